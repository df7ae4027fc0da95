//! `/api/v1/funds`: the balances kept with the journal (one row per account and currency, moved
//! in the transaction of the lines that move it; `ledger check` recomputes them from the journal).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use domain::{Account, Currency, Fund};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Caller;
use super::error::ApiError;
use super::json_response;
use crate::AppState;

/// What one fund (or one campaign's restricted account) holds in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundBalanceView {
    /// The fund.
    pub fund: Fund,
    /// The campaign, for restricted accounts.
    pub campaign_id: Option<Uuid>,
    /// ISO 4217.
    pub currency: String,
    /// Exact decimal string; never negative.
    pub balance: String,
}

/// What an asset account holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetBalanceView {
    /// `cash` or `bank`.
    pub account: String,
    /// ISO 4217.
    pub currency: String,
    /// Exact decimal string.
    pub balance: String,
}

/// Fund and asset balances. Funds total what the assets hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundsView {
    /// Every fund (IDR at least, zero included) and every restricted campaign account.
    pub funds: Vec<FundBalanceView>,
    /// Cash and bank.
    pub assets: Vec<AssetBalanceView>,
}

/// Fund balances.
#[utoipa::path(
    get, path = "/api/v1/funds", operation_id = "listFunds", tag = "funds",
    responses(
        (status = 200, description = "Balances", body = FundsView),
        super::problems::ReadProblems,
    ),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    Ok(json_response(200, &funds_view(&state).await?))
}

/// The balances as `GET /api/v1/funds` answers them (the dashboard shows the same).
pub(crate) async fn funds_view(state: &AppState) -> Result<FundsView, ApiError> {
    let mut funds: BTreeMap<(Fund, Option<Uuid>, String), i64> = Fund::ALL
        .iter()
        .filter(|fund| **fund != Fund::InfakSedekahRestricted)
        .map(|fund| ((*fund, None, Currency::IDR.code().to_owned()), 0))
        .collect();
    let mut assets = Vec::new();
    for balance in state.database().balances().await? {
        let Some(currency) = balance.currency.parse::<Currency>().ok() else {
            continue;
        };
        match Account::from_code(&balance.account) {
            Some(Account::Fund(fund, campaign)) => {
                // Funds are credit-normal: what a fund holds is the negated sum of its lines.
                *funds
                    .entry((fund, campaign, balance.currency.clone()))
                    .or_default() -= balance.lines_sum_minor;
            }
            Some(Account::Cash | Account::Bank | Account::AmilShareReceivable) => {
                assets.push(AssetBalanceView {
                    account: balance.account.trim_start_matches("asset:").to_owned(),
                    currency: balance.currency.clone(),
                    balance: currency.format_minor(balance.lines_sum_minor),
                });
            }
            None => {}
        }
    }
    let funds = funds
        .into_iter()
        .filter_map(|((fund, campaign_id, code), minor)| {
            let currency: Currency = code.parse().ok()?;
            Some(FundBalanceView {
                fund,
                campaign_id,
                currency: code,
                balance: currency.format_minor(minor),
            })
        })
        .collect();
    Ok(FundsView { funds, assets })
}
