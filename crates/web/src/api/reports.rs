//! `/api/v1/reports/…`: the PSAK 109 statements (changes in funds, financial position) and
//! the collections and distributions reports, as JSON, CSV or printable HTML by `Accept`.
//! The figures come from `domain::reports` over what storage sums (docs/REPORTS.md).

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use domain::reports::{Period, Totals};
use domain::{Account, Currency, DonationType, Fund};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::ReportReader;
use super::error::ApiError;
use super::tabular::{self, Cell, Format, Table};
use super::{input, json_response, query};
use crate::AppState;

const IDR: Currency = Currency::IDR;

fn amount(minor: i64) -> String {
    IDR.format_minor(minor)
}

/// A period's bounds.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The first day, `YYYY-MM-DD` (required).
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD` (required), on or after `from`.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// The day a position is drawn up at the end of.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// `YYYY-MM-DD`; today in WIB when absent.
    #[param(format = Date)]
    pub to: Option<String>,
}

fn required_date(field: &str, value: Option<&str>) -> Result<Date, ApiError> {
    let value = value
        .ok_or_else(|| ApiError::invalid(field, "is required: a date written `YYYY-MM-DD`"))?;
    input::date(field, value)
}

/// The period a query names: both dates valid, `from` not after `to` (422 naming the field).
pub(crate) fn period(uri: &Uri) -> Result<Period, ApiError> {
    let params: PeriodQuery = query(uri)?;
    period_of(params.from.as_deref(), params.to.as_deref())
}

/// The period from `from` to `to` as given (`YYYY-MM-DD`): both required and valid, `from`
/// not after `to` (422 naming the field). The report pages check their period pickers with it.
pub(crate) fn period_of(from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    let from = required_date("from", from)?;
    let to = required_date("to", to)?;
    Period::new(from, to).map_err(|err| ApiError::invalid("from", err.to_string()))
}

/// The day a position is drawn up at, given in `field` (`YYYY-MM-DD`; 422 naming the field);
/// today in WIB when absent.
pub(crate) fn as_of(field: &str, value: Option<&str>) -> Result<Date, ApiError> {
    match value {
        Some(day) => input::date(field, day),
        None => Ok(domain::zakat::request::today_in_wib(
            time::OffsetDateTime::now_utc(),
        )),
    }
}

fn period_line(period: Period) -> String {
    format!("{} – {} (IDR)", period.from(), period.to())
}

/// A report as the API answers it: its JSON view, and the tables its CSV (the first) and
/// printable HTML are made of. The report pages render the view and answer the same CSV.
pub(crate) struct Report<V> {
    /// The JSON view.
    pub view: V,
    /// The CSV file's name, without `.csv`.
    name: String,
    /// The printable HTML's title.
    title: &'static str,
    /// What the printable HTML covers.
    meta: String,
    /// The first is the CSV.
    tables: Vec<Table>,
}

impl<V: Serialize> Report<V> {
    /// Answers as the caller's `Accept` asks.
    fn answer(&self, headers: &HeaderMap) -> Response {
        match Format::of(headers) {
            Format::Json => json_response(200, &self.view),
            Format::Csv => self.csv(),
            Format::Html => tabular::respond(
                "text/html; charset=utf-8",
                None,
                tabular::html(self.title, &self.meta, &self.tables).into_bytes(),
            ),
        }
    }

    /// The CSV download (`Accept: text/csv`).
    pub(crate) fn csv(&self) -> Response {
        tabular::respond(
            "text/csv; charset=utf-8",
            Some(&format!("{}.csv", self.name)),
            tabular::csv(&self.tables[0]),
        )
    }
}

/// One fund's opening, in, out and closing.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundColumnView {
    /// The fund.
    pub fund: Fund,
    /// Before the period's first day.
    pub opening: String,
    /// What came in within the period.
    #[serde(rename = "in")]
    pub in_: String,
    /// What went out within the period.
    pub out: String,
    /// At the end of the period's last day: `opening + in - out`.
    pub closing: String,
}

/// A row of the statement: per fund, what it gained (positive) or gave (negative).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementRowView {
    /// `opening`, `receipts.<type>`, `receipts.wakaf_benefit`, `amil_share`, `nazhir_share`,
    /// `reversals.void`, `reversals.refund`, `distributions.<asnaf or purpose>`, `closing`.
    pub key: String,
    /// As printed.
    pub label: String,
    /// Per fund name, an exact decimal string in IDR.
    pub amounts: std::collections::BTreeMap<String, String>,
    /// Across every fund.
    pub total: String,
}

/// The statement of changes in funds (laporan perubahan dana, PSAK 109).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesInFundsView {
    /// The first day.
    #[schema(format = Date)]
    pub from: String,
    /// The last day.
    #[schema(format = Date)]
    pub to: String,
    /// Always IDR: the books' currency.
    pub currency: String,
    /// One per fund.
    pub columns: Vec<FundColumnView>,
    /// `opening`, every movement row (zero rows included), `closing`.
    pub rows: Vec<StatementRowView>,
}

fn statement_row(key: String, label: String, amounts: &[i64]) -> StatementRowView {
    StatementRowView {
        key,
        label,
        amounts: Fund::ALL
            .iter()
            .zip(amounts)
            .map(|(fund, minor)| (fund.as_str().to_owned(), amount(*minor)))
            .collect(),
        total: amount(amounts.iter().sum()),
    }
}

/// The statement of changes in funds for a period.
#[utoipa::path(
    get, path = "/api/v1/reports/changes-in-funds", operation_id = "reportChangesInFunds", tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The statement: JSON, CSV (`Accept: text/csv`, the rows by fund) or printable HTML (`Accept: text/html`)",
            content((ChangesInFundsView = "application/json"), (String = "text/csv"), (String = "text/html"))),
        super::problems::ReadProblems,
        super::problems::PeriodProblems,
    ),
    security(("bearer" = []))
)]
pub async fn changes_in_funds(
    State(state): State<AppState>,
    _reader: ReportReader,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let period = period(&uri)?;
    Ok(changes_in_funds_report(&state, period)
        .await?
        .answer(&headers))
}

/// The statement of changes in funds for `period`, as the API answers it.
pub(crate) async fn changes_in_funds_report(
    state: &AppState,
    period: Period,
) -> Result<Report<ChangesInFundsView>, ApiError> {
    let statement = state.database().changes_in_funds(period).await?;
    let mut rows = vec![statement_row(
        "opening".to_owned(),
        "Saldo awal / opening balance".to_owned(),
        &statement.columns.map(|c| c.opening_minor),
    )];
    rows.extend(
        statement
            .rows
            .iter()
            .map(|row| statement_row(row.line.key(), row.line.label(), &row.amounts_minor)),
    );
    rows.push(statement_row(
        "closing".to_owned(),
        "Saldo akhir / closing balance".to_owned(),
        &statement.columns.map(|c| c.closing_minor),
    ));
    let view = ChangesInFundsView {
        from: period.from().to_string(),
        to: period.to().to_string(),
        currency: IDR.code().to_owned(),
        columns: statement
            .columns
            .iter()
            .map(|c| FundColumnView {
                fund: c.fund,
                opening: amount(c.opening_minor),
                in_: amount(c.in_minor),
                out: amount(c.out_minor),
                closing: amount(c.closing_minor),
            })
            .collect(),
        rows,
    };
    let mut columns = vec!["key".to_owned(), "row".to_owned()];
    columns.extend(Fund::ALL.iter().map(|f| f.as_str().to_owned()));
    columns.push("total".to_owned());
    let table = Table {
        title: "Laporan perubahan dana / statement of changes in funds".to_owned(),
        columns,
        rows: view
            .rows
            .iter()
            .map(|row| {
                let mut cells = vec![Cell::Text(row.key.clone()), Cell::Text(row.label.clone())];
                cells.extend(
                    Fund::ALL
                        .iter()
                        .map(|f| Cell::Figure(row.amounts[f.as_str()].clone())),
                );
                cells.push(Cell::Figure(row.total.clone()));
                cells
            })
            .collect(),
    };
    Ok(Report {
        view,
        name: format!("changes-in-funds_{}_{}", period.from(), period.to()),
        title: "Laporan perubahan dana (PSAK 109)",
        meta: period_line(period),
        tables: vec![table],
    })
}

/// What an account holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionAssetView {
    /// `cash`, `bank` or `amil_share_receivable`.
    pub account: String,
    /// Exact decimal string, IDR.
    pub balance: String,
}

/// What a fund account holds (a campaign's restricted account on its own).
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionFundView {
    /// The fund.
    pub fund: Fund,
    /// The campaign, for an account kept per campaign.
    pub campaign_id: Option<Uuid>,
    /// Exact decimal string, IDR.
    pub balance: String,
}

/// A fund's total over its accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionFundTotalView {
    /// The fund.
    pub fund: Fund,
    /// Exact decimal string, IDR.
    pub balance: String,
}

/// The statement of financial position (laporan posisi keuangan) at the end of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct FinancialPositionView {
    /// The day.
    #[schema(format = Date)]
    pub as_of: String,
    /// Always IDR.
    pub currency: String,
    /// Cash, bank and what the amil fund owes back.
    pub assets: Vec<PositionAssetView>,
    /// Every fund account.
    pub funds: Vec<PositionFundView>,
    /// Per fund, every fund listed.
    pub fund_totals: Vec<PositionFundTotalView>,
    /// The assets' total.
    pub total_assets: String,
    /// The funds' total: equal to the assets'.
    pub total_funds: String,
}

/// The statement of financial position at the end of a day.
#[utoipa::path(
    get, path = "/api/v1/reports/financial-position", operation_id = "reportFinancialPosition", tag = "reports",
    params(AsOfQuery),
    responses(
        (status = 200, description = "The statement: JSON, CSV or printable HTML, by `Accept`",
            content((FinancialPositionView = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 400, description = "Malformed query", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::ReadProblems,
        (status = 403, description = "The caller's role may not read reports", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` is not a valid date", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn financial_position(
    State(state): State<AppState>,
    _reader: ReportReader,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params: AsOfQuery = query(&uri)?;
    let as_of = as_of("to", params.to.as_deref())?;
    Ok(financial_position_report(&state, as_of)
        .await?
        .answer(&headers))
}

/// The statement of financial position at the end of `as_of`, as the API answers it.
pub(crate) async fn financial_position_report(
    state: &AppState,
    as_of: Date,
) -> Result<Report<FinancialPositionView>, ApiError> {
    let position = state.database().financial_position(as_of).await?;
    let view = FinancialPositionView {
        as_of: as_of.to_string(),
        currency: IDR.code().to_owned(),
        assets: position
            .assets
            .iter()
            .map(|(account, minor)| PositionAssetView {
                account: account.code().trim_start_matches("asset:").to_owned(),
                balance: amount(*minor),
            })
            .collect(),
        funds: position
            .funds
            .iter()
            .filter_map(|(account, minor)| match account {
                Account::Fund(fund, campaign_id) => Some(PositionFundView {
                    fund: *fund,
                    campaign_id: *campaign_id,
                    balance: amount(*minor),
                }),
                _ => None,
            })
            .collect(),
        fund_totals: Fund::ALL
            .iter()
            .zip(position.fund_totals)
            .map(|(fund, minor)| PositionFundTotalView {
                fund: *fund,
                balance: amount(minor),
            })
            .collect(),
        total_assets: amount(position.total_minor),
        total_funds: amount(position.total_minor),
    };
    let table = position_table(&view);
    Ok(Report {
        view,
        name: format!("financial-position_{as_of}"),
        title: "Laporan posisi keuangan (PSAK 109)",
        meta: format!("per {as_of} (IDR)"),
        tables: vec![table],
    })
}

fn position_table(view: &FinancialPositionView) -> Table {
    let figure = |text: &str| Cell::Figure(text.to_owned());
    let mut rows: Vec<Vec<Cell>> = view
        .assets
        .iter()
        .map(|a| {
            vec![
                Cell::Text("asset".to_owned()),
                Cell::Text(a.account.clone()),
                Cell::Text(String::new()),
                figure(&a.balance),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::Text("total_assets".to_owned()),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        figure(&view.total_assets),
    ]);
    rows.extend(view.fund_totals.iter().map(|f| {
        vec![
            Cell::Text("fund".to_owned()),
            Cell::Text(f.fund.as_str().to_owned()),
            Cell::Text(String::new()),
            figure(&f.balance),
        ]
    }));
    rows.extend(
        view.funds
            .iter()
            .filter(|f| f.campaign_id.is_some())
            .map(|f| {
                vec![
                    Cell::Text("fund_campaign".to_owned()),
                    Cell::Text(f.fund.as_str().to_owned()),
                    Cell::Text(f.campaign_id.map(|c| c.to_string()).unwrap_or_default()),
                    figure(&f.balance),
                ]
            }),
    );
    rows.push(vec![
        Cell::Text("total_funds".to_owned()),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        figure(&view.total_funds),
    ]);
    Table {
        title: "Laporan posisi keuangan / statement of financial position".to_owned(),
        columns: ["section", "account", "campaign_id", "balance"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    }
}

/// Counts and sums.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsView {
    /// How many.
    pub count: i64,
    /// The amount booked, IDR.
    pub amount: String,
    /// The amil share taken at receipt (collections; `0.00` for distributions).
    pub amil_share: String,
    /// Voided or refunded since (collections; `0.00` for distributions).
    pub reversed: String,
    /// `amount - reversed`.
    pub net: String,
}

impl From<&Totals> for TotalsView {
    fn from(totals: &Totals) -> Self {
        TotalsView {
            count: totals.count,
            amount: amount(totals.amount_minor),
            amil_share: amount(totals.amil_share_minor),
            reversed: amount(totals.reversed_minor),
            net: amount(totals.net_minor()),
        }
    }
}

/// Collections of one month, type, fund and campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionsRowView {
    /// `YYYY-MM`.
    pub month: String,
    /// The type.
    #[serde(rename = "type")]
    pub donation_type: DonationType,
    /// The fund.
    pub fund: Fund,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// Totals.
    #[serde(flatten)]
    pub totals: TotalsView,
}

/// Totals of one type.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByTypeView {
    /// The type.
    #[serde(rename = "type")]
    pub donation_type: DonationType,
    /// Totals.
    #[serde(flatten)]
    pub totals: TotalsView,
}

/// Totals of one campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByCampaignView {
    /// The campaign (null: given for none).
    pub campaign_id: Option<Uuid>,
    /// Totals.
    #[serde(flatten)]
    pub totals: TotalsView,
}

/// Totals of one month.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByMonthView {
    /// `YYYY-MM`.
    pub month: String,
    /// Totals.
    #[serde(flatten)]
    pub totals: TotalsView,
}

/// Collections (penghimpunan) in a period, by the day each donation was received.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionsView {
    /// The first day.
    #[schema(format = Date)]
    pub from: String,
    /// The last day.
    #[schema(format = Date)]
    pub to: String,
    /// Always IDR (gifts in another currency at the rupiah they were booked at).
    pub currency: String,
    /// By month, type, fund and campaign.
    pub rows: Vec<CollectionsRowView>,
    /// By type, every type listed.
    pub by_type: Vec<ByTypeView>,
    /// By campaign.
    pub by_campaign: Vec<ByCampaignView>,
    /// By month.
    pub by_month: Vec<ByMonthView>,
    /// Everything.
    pub total: TotalsView,
}

fn totals_cells(totals: &TotalsView) -> [Cell; 5] {
    [
        Cell::Figure(totals.count.to_string()),
        Cell::Figure(totals.amount.clone()),
        Cell::Figure(totals.amil_share.clone()),
        Cell::Figure(totals.reversed.clone()),
        Cell::Figure(totals.net.clone()),
    ]
}

const TOTALS_COLUMNS: [&str; 5] = ["count", "amount", "amil_share", "reversed", "net"];

fn columns(leading: &[&str], trailing: &[&str]) -> Vec<String> {
    leading
        .iter()
        .chain(trailing)
        .map(|c| (*c).to_owned())
        .collect()
}

fn campaign_cell(campaign_id: Option<Uuid>) -> Cell {
    Cell::Text(campaign_id.map(|c| c.to_string()).unwrap_or_default())
}

/// Collections by type, campaign and month.
#[utoipa::path(
    get, path = "/api/v1/reports/collections", operation_id = "reportCollections", tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The report: JSON, CSV (the rows by month, type, fund and campaign) or printable HTML, by `Accept`",
            content((CollectionsView = "application/json"), (String = "text/csv"), (String = "text/html"))),
        super::problems::ReadProblems,
        super::problems::PeriodProblems,
    ),
    security(("bearer" = []))
)]
pub async fn collections(
    State(state): State<AppState>,
    _reader: ReportReader,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let period = period(&uri)?;
    Ok(collections_report(&state, period).await?.answer(&headers))
}

/// Collections in `period`, as the API answers them.
pub(crate) async fn collections_report(
    state: &AppState,
    period: Period,
) -> Result<Report<CollectionsView>, ApiError> {
    let report = state.database().collections(period).await?;
    let view = CollectionsView {
        from: period.from().to_string(),
        to: period.to().to_string(),
        currency: IDR.code().to_owned(),
        rows: report
            .rows
            .iter()
            .map(|row| CollectionsRowView {
                month: row.month.clone(),
                donation_type: row.donation_type,
                fund: row.fund,
                campaign_id: row.campaign_id,
                totals: (&row.totals).into(),
            })
            .collect(),
        by_type: report
            .by_type
            .iter()
            .map(|(donation_type, totals)| ByTypeView {
                donation_type: *donation_type,
                totals: totals.into(),
            })
            .collect(),
        by_campaign: report
            .by_campaign
            .iter()
            .map(|(campaign_id, totals)| ByCampaignView {
                campaign_id: *campaign_id,
                totals: totals.into(),
            })
            .collect(),
        by_month: report
            .by_month
            .iter()
            .map(|(month, totals)| ByMonthView {
                month: month.clone(),
                totals: totals.into(),
            })
            .collect(),
        total: (&report.total).into(),
    };
    let tables = Vec::from(collections_tables(&view));
    Ok(Report {
        view,
        name: format!("collections_{}_{}", period.from(), period.to()),
        title: "Laporan penghimpunan / collections",
        meta: period_line(period),
        tables,
    })
}

fn collections_tables(view: &CollectionsView) -> [Table; 4] {
    let rows = Table {
        title: "Rincian / by month, type, fund and campaign".to_owned(),
        columns: columns(&["month", "type", "fund", "campaign_id"], &TOTALS_COLUMNS),
        rows: view
            .rows
            .iter()
            .map(|row| {
                let mut cells = vec![
                    Cell::Text(row.month.clone()),
                    Cell::Text(row.donation_type.as_str().to_owned()),
                    Cell::Text(row.fund.as_str().to_owned()),
                    campaign_cell(row.campaign_id),
                ];
                cells.extend(totals_cells(&row.totals));
                cells
            })
            .collect(),
    };
    let by_type = Table {
        title: "Per jenis / by type".to_owned(),
        columns: columns(&["type"], &TOTALS_COLUMNS),
        rows: view
            .by_type
            .iter()
            .map(|t| {
                let mut cells = vec![Cell::Text(t.donation_type.as_str().to_owned())];
                cells.extend(totals_cells(&t.totals));
                cells
            })
            .collect(),
    };
    let by_campaign = Table {
        title: "Per program / by campaign".to_owned(),
        columns: columns(&["campaign_id"], &TOTALS_COLUMNS),
        rows: view
            .by_campaign
            .iter()
            .map(|c| {
                let mut cells = vec![campaign_cell(c.campaign_id)];
                cells.extend(totals_cells(&c.totals));
                cells
            })
            .collect(),
    };
    let by_month = Table {
        title: "Per bulan / by month".to_owned(),
        columns: columns(&["month"], &TOTALS_COLUMNS),
        rows: view
            .by_month
            .iter()
            .map(|m| {
                let mut cells = vec![Cell::Text(m.month.clone())];
                cells.extend(totals_cells(&m.totals));
                cells
            })
            .chain(std::iter::once({
                let mut cells = vec![Cell::Text("total".to_owned())];
                cells.extend(totals_cells(&view.total));
                cells
            }))
            .collect(),
    };
    [rows, by_type, by_campaign, by_month]
}

/// Distributions of one fund, campaign, asnaf or purpose and program.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionsRowView {
    /// The fund.
    pub fund: Fund,
    /// The campaign whose money it was, if any.
    pub campaign_id: Option<Uuid>,
    /// The asnaf, or (non-halal money) the public purpose.
    pub target: String,
    /// The program.
    pub program: String,
    /// How many.
    pub count: i64,
    /// IDR.
    pub amount: String,
}

/// Count and amount of a group.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// The asnaf or purpose, program or fund.
    pub key: String,
    /// How many.
    pub count: i64,
    /// IDR.
    pub amount: String,
}

/// Distributions (penyaluran) in a period, by the day each was paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionsReportView {
    /// The first day.
    #[schema(format = Date)]
    pub from: String,
    /// The last day.
    #[schema(format = Date)]
    pub to: String,
    /// Always IDR.
    pub currency: String,
    /// By fund, campaign, asnaf or purpose, and program.
    pub rows: Vec<DistributionsRowView>,
    /// By asnaf, then public purpose, every one listed.
    pub by_target: Vec<GroupView>,
    /// By program.
    pub by_program: Vec<GroupView>,
    /// By fund, every one listed.
    pub by_fund: Vec<GroupView>,
    /// Everything.
    pub total: GroupView,
}

fn group(key: &str, totals: &Totals) -> GroupView {
    GroupView {
        key: key.to_owned(),
        count: totals.count,
        amount: amount(totals.amount_minor),
    }
}

fn group_table(title: &str, key: &str, groups: &[GroupView]) -> Table {
    Table {
        title: title.to_owned(),
        columns: columns(&[key], &["count", "amount"]),
        rows: groups
            .iter()
            .map(|g| {
                vec![
                    Cell::Text(g.key.clone()),
                    Cell::Figure(g.count.to_string()),
                    Cell::Figure(g.amount.clone()),
                ]
            })
            .collect(),
    }
}

/// Distributions by asnaf, purpose and program.
#[utoipa::path(
    get, path = "/api/v1/reports/distributions", operation_id = "reportDistributions", tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The report: JSON, CSV (the rows by fund, campaign, asnaf or purpose and program) or printable HTML, by `Accept`",
            content((DistributionsReportView = "application/json"), (String = "text/csv"), (String = "text/html"))),
        super::problems::ReadProblems,
        super::problems::PeriodProblems,
    ),
    security(("bearer" = []))
)]
pub async fn distributions(
    State(state): State<AppState>,
    _reader: ReportReader,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let period = period(&uri)?;
    Ok(distributions_report(&state, period).await?.answer(&headers))
}

/// Distributions in `period`, as the API answers them.
pub(crate) async fn distributions_report(
    state: &AppState,
    period: Period,
) -> Result<Report<DistributionsReportView>, ApiError> {
    let report = state.database().distributions_report(period).await?;
    let view = DistributionsReportView {
        from: period.from().to_string(),
        to: period.to().to_string(),
        currency: IDR.code().to_owned(),
        rows: report
            .rows
            .iter()
            .map(|row| DistributionsRowView {
                fund: row.fund,
                campaign_id: row.campaign_id,
                target: row.target.as_str().to_owned(),
                program: row.program.clone(),
                count: row.totals.count,
                amount: amount(row.totals.amount_minor),
            })
            .collect(),
        by_target: report
            .by_target
            .iter()
            .map(|(target, totals)| group(target.as_str(), totals))
            .collect(),
        by_program: report
            .by_program
            .iter()
            .map(|(program, totals)| group(program, totals))
            .collect(),
        by_fund: report
            .by_fund
            .iter()
            .map(|(fund, totals)| group(fund.as_str(), totals))
            .collect(),
        total: group("total", &report.total),
    };
    let rows = Table {
        title: "Rincian / by fund, campaign, asnaf or purpose and program".to_owned(),
        columns: columns(
            &["fund", "campaign_id", "asnaf_or_purpose", "program"],
            &["count", "amount"],
        ),
        rows: view
            .rows
            .iter()
            .map(|row| {
                vec![
                    Cell::Text(row.fund.as_str().to_owned()),
                    campaign_cell(row.campaign_id),
                    Cell::Text(row.target.clone()),
                    Cell::Text(row.program.clone()),
                    Cell::Figure(row.count.to_string()),
                    Cell::Figure(row.amount.clone()),
                ]
            })
            .collect(),
    };
    let mut by_fund = view.by_fund.clone();
    by_fund.push(group("total", &report.total));
    let tables = vec![
        rows,
        group_table(
            "Per asnaf / by asnaf or purpose",
            "asnaf_or_purpose",
            &view.by_target,
        ),
        group_table("Per program / by program", "program", &view.by_program),
        group_table("Per dana / by fund", "fund", &by_fund),
    ];
    Ok(Report {
        view,
        name: format!("distributions_{}_{}", period.from(), period.to()),
        title: "Laporan penyaluran / distributions",
        meta: period_line(period),
        tables,
    })
}
