//! `/api/v1/zakat/{category}`: the public zakat calculator, and `/api/v1/zakat/data`: the
//! prices and decree figures it uses (read by anyone, added by admins, audited).

use std::str::FromStr as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::zakat::request::{self as zakat_request, CALCULATION_DATE_LATEST};
use domain::zakat::{Calculation, Category, DataName, Request, RequestError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storage::ledger::NewZakatDatum;
use utoipa::ToSchema;

use super::auth::Admin;
use super::error::ApiError;
use super::input::{self, ApiJson, JsonFields};
use super::json_response;
use crate::AppState;

/// A fidyah request (`POST /api/v1/zakat/fidyah`): the fields the fidyah calculation takes.
/// Documentation only: the body is read like every category's, into the domain's request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FidyahRequest {
    /// Fasting days missed, at least 1.
    #[schema(minimum = 1, maximum = 10000, example = 3)]
    pub days: u32,
    /// Persons whose days they are (default 1).
    #[schema(minimum = 1, maximum = 10000)]
    pub persons: Option<u32>,
    /// The calculation date, `YYYY-MM-DD`: the decree rate in force then (default: today in
    /// WIB, UTC+7; the answer says which date it used).
    #[schema(example = "2026-03-01", format = Date)]
    pub date: Option<String>,
    /// The region whose decree sets the rate (default `jabodetabek`).
    pub region: Option<String>,
    /// The class within the region, where it publishes several.
    pub class: Option<String>,
    /// Rupiah per person and day, instead of the region's rate in force.
    pub fidyah_per_day: Option<String>,
    /// `up` (default), `half_up`, `half_even` or `none`.
    pub rounding: Option<domain::zakat::Rounding>,
}

/// A calculation's answer (the domain's result, as documented here).
#[derive(Debug, Serialize, ToSchema)]
pub struct ZakatResult {
    /// The category.
    pub category: Category,
    /// The calculation date.
    #[schema(format = Date)]
    pub date: String,
    /// Whether zakat is due.
    pub due: bool,
    /// `IDR`.
    pub currency: String,
    /// The exact amount due (money categories), more decimals than the currency if need be.
    #[schema(example = "250000.00")]
    pub amount_exact: Option<String>,
    /// The amount to pay, rounded per `rounding` (default up to the whole rupiah).
    #[schema(example = "250000.00")]
    pub amount_payable: Option<String>,
    /// What is due in kind: `{kind, count}` (livestock) or `{unit, quantity}` (harvests, rice).
    pub in_kind: Vec<Value>,
    /// The nisab compared with: `{basis, value, unit}`.
    pub nisab: Option<Value>,
    /// The options in force.
    pub options: Value,
    /// Every value used: `{name, value, source}`.
    pub parameters: Vec<Value>,
    /// The steps in order: `{rule, citation}`.
    pub trace: Vec<Value>,
}

/// Calculate zakat (public; rate-limited per client). Same request, same bytes.
#[utoipa::path(
    post, path = "/api/v1/zakat/{category}", operation_id = "calculateZakat", tag = "zakat",
    params(("category" = Category, Path, description = "What kind of wealth")),
    request_body(content = domain::zakat::RequestFields, examples(
        ("maal" = (summary = "Savings (category maal)", value = json!({"date": "2025-03-01", "cash": "150000000", "debts": "10000000", "gold_price_per_gram": "1500000"}))),
        ("gold" = (summary = "Gold (category gold)", value = json!({"date": "2025-03-01", "grams": "100", "karat": 22, "jewellery": "stored", "gold_price_per_gram": "1500000"}))),
        ("silver" = (summary = "Silver (category silver)", value = json!({"date": "2025-03-01", "grams": "700", "silver_price_per_gram": "15000"}))),
        ("trade" = (summary = "Trade (category trade)", value = json!({"date": "2025-03-01", "cash": "50000000", "inventory": "100000000", "receivables": "20000000", "debts": "30000000", "gold_price_per_gram": "1500000"}))),
        ("income" = (summary = "Monthly salary (category income)", value = json!({"date": "2025-03-01", "income": "10000000", "period": "monthly"}))),
        ("fitrah" = (summary = "Household fitrah in cash (category fitrah)", value = json!({"date": "2025-03-20", "persons": 4, "form": "cash", "region": "jabodetabek"}))),
        ("agriculture" = (summary = "Rain-fed harvest (category agriculture)", value = json!({"date": "2025-03-01", "harvest_kg": "1000", "irrigation": "rain_fed"}))),
        ("livestock" = (summary = "Camels, Hanafi (category livestock)", value = json!({"date": "2025-03-01", "animal": "camel", "count": 130, "madhhab": "hanafi"}))),
        ("mining" = (summary = "Mining (category mining)", value = json!({"date": "2025-03-01", "value": "200000000", "gold_price_per_gram": "1500000"}))),
        ("rikaz" = (summary = "Found treasure (category rikaz)", value = json!({"date": "2025-03-01", "value": "10000000"}))),
        ("stocks" = (summary = "Shares for trading (category stocks)", value = json!({"date": "2025-03-01", "market_value": "300000000", "holding": "trading", "gold_price_per_gram": "1500000"}))),
    )),
    responses(
        (status = 200, description = "The calculation", body = ZakatResult),
        (status = 400, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, out of range, or not one of the category's", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub(crate) async fn calculate(
    State(state): State<AppState>,
    Path(category): Path<String>,
    _quota: crate::client::ZakatQuota,
    JsonFields(fields): JsonFields,
) -> Result<Response, ApiError> {
    let category = Category::from_str(&category)
        .map_err(|err| ApiError::NotFound(format!("no zakat category: {err}")))?;
    let result = answer(&state, category, &fields).await?;
    Ok(json_response(200, &result))
}

/// Fidyah for missed fasts (public; rate-limited per client): days x persons x the decree rate
/// in force in the region, and the same in kind (one mudd, about 0.675 kg of staple food, per
/// day and person).
#[utoipa::path(
    post, path = "/api/v1/zakat/fidyah", operation_id = "calculateFidyah", tag = "zakat",
    request_body(content = FidyahRequest, examples(
        ("jabodetabek" = (summary = "Three days, one person, Jabodetabek", value = json!({"date": "2026-03-01", "days": 3}))),
        ("household" = (summary = "Thirty days for two persons, rate given", value = json!({"date": "2026-03-01", "days": 30, "persons": 2, "fidyah_per_day": "65000"}))),
    )),
    responses(
        (status = 200, description = "The calculation", body = ZakatResult),
        (status = 400, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, out of range, or not one of fidyah's; no rate in force for the region", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub(crate) async fn fidyah(
    State(state): State<AppState>,
    _quota: crate::client::ZakatQuota,
    JsonFields(fields): JsonFields,
) -> Result<Response, ApiError> {
    let result = answer(&state, Category::Fidyah, &fields).await?;
    Ok(json_response(200, &result))
}

/// The domain's answer to `fields` for `category`, on today's date in WIB when none is given
/// (the calculator page asks the same).
pub(crate) async fn answer(
    state: &AppState,
    category: Category,
    fields: &serde_json::Map<String, Value>,
) -> Result<Calculation, ApiError> {
    let request = Request::from_fields(category, fields).map_err(|err| invalid(&err))?;
    let records = state.zakat_data().await?;
    let today = zakat_request::today_in_wib(time::OffsetDateTime::now_utc());
    request.answer(&records, today).map_err(|err| invalid(&err))
}

/// A request the domain refused: a 422 naming the field.
fn invalid(err: &RequestError) -> ApiError {
    ApiError::invalid(err.field().to_owned(), err.to_string())
}

/// A zakat data value to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZakatDatumRequest {
    /// `gold_price_per_gram`, `silver_price_per_gram`, `nisab_annual`, `nisab_monthly`,
    /// `fitrah_per_person` or `fidyah_per_day`.
    #[schema(example = "gold_price_per_gram")]
    pub name: String,
    /// Rupiah, at most two decimals.
    #[schema(example = "1650000")]
    pub value: String,
    /// In force from this date, `YYYY-MM-DD`.
    #[schema(example = "2026-11-01", format = Date)]
    pub effective_from: String,
    /// The decree or price source, as results will cite it.
    #[schema(example = "Antam buyback price, 2026-11-01")]
    pub source: String,
    /// The region (fitrah, fidyah), e.g. `jabodetabek`; absent for the whole country.
    pub region: Option<String>,
    /// The class within the region, where it publishes several.
    pub class: Option<String>,
}

/// A stored zakat data value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZakatDatumView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its region (empty: the whole country).
    pub region: String,
    /// Its class (empty: the region's only value).
    pub class: String,
    /// Rupiah.
    pub value: String,
    /// In force from.
    #[schema(format = Date)]
    pub effective_from: String,
    /// Its source.
    pub source: String,
}

/// The values the calculator uses, with the date range query.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZakatDataPage {
    /// Every value that took effect on or before `date`, newest first per name and region.
    pub data: Vec<ZakatDatumView>,
}

/// Record a price or decree figure (admin; audited; never edits one: a later
/// `effective_from` supersedes).
#[utoipa::path(
    post, path = "/api/v1/zakat/data", operation_id = "createZakatDatum", tag = "zakat",
    request_body = ZakatDatumRequest,
    responses(
        (status = 201, description = "Recorded", body = ZakatDatumView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_datum(
    State(state): State<AppState>,
    Admin(caller): Admin,
    body: ApiJson<ZakatDatumRequest>,
) -> Result<Response, ApiError> {
    let request = body.value;
    let name = DataName::from_str(&request.name)
        .map_err(|err| ApiError::invalid("name", format!("must be one of {}", err.choices)))?;
    let value = zakat_request::rupiah("value", &request.value).map_err(|err| invalid(&err))?;
    if value.is_zero() {
        return Err(ApiError::invalid("value", "must be more than 0"));
    }
    let effective_from = zakat_request::parse_date("effective_from", &request.effective_from)
        .map_err(|err| invalid(&err))?;
    let datum = NewZakatDatum {
        name: name.as_str().to_owned(),
        region: input::optional_text("region", request.region.as_deref(), 64)?
            .unwrap_or_default()
            .to_lowercase(),
        class: input::optional_text("class", request.class.as_deref(), 64)?
            .unwrap_or_default()
            .to_lowercase(),
        value: domain::zakat::format_decimal(value),
        effective_from: effective_from.to_string(),
        source: input::text("source", &request.source, 200)?,
    };
    let actor = caller.actor();
    let id = state
        .database()
        .create_zakat_datum(state.checkpoint_key(), &actor, &datum)
        .await?;
    state.forget_zakat_data();
    let view = ZakatDatumView {
        id,
        name: datum.name,
        region: datum.region,
        class: datum.class,
        value: datum.value,
        effective_from: datum.effective_from,
        source: datum.source,
    };
    Ok(json_response(StatusCode::CREATED.as_u16(), &view))
}

/// The prices and decree figures that took effect on or before `date` (default: all).
#[utoipa::path(
    get, path = "/api/v1/zakat/data", operation_id = "listZakatData", tag = "zakat",
    params(("date" = Option<String>, Query, description = "`YYYY-MM-DD`", format = Date)),
    responses(
        (status = 200, description = "The values", body = ZakatDataPage),
        (status = 400, description = "Malformed query", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The date is invalid", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub(crate) async fn list_data(
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DataQuery {
        date: Option<String>,
    }
    let query: DataQuery = super::query(&uri)?;
    let until = match query.date {
        Some(text) => zakat_request::parse_date("date", &text)
            .map_err(|err| invalid(&err))?
            .to_string(),
        None => CALCULATION_DATE_LATEST.to_string(),
    };
    let rows = state.database().zakat_data(&until).await?;
    let data = rows
        .into_iter()
        .map(|row| ZakatDatumView {
            id: row.id,
            name: row.name,
            region: row.region,
            class: row.class,
            value: row.value,
            effective_from: row.effective_from,
            source: row.source,
        })
        .collect();
    Ok(json_response(200, &ZakatDataPage { data }))
}
