//! `/api/v1/zakat/{category}`: the public zakat calculator, and `/api/v1/zakat/data`: the
//! prices and decree figures it uses (read by anyone, added by admins, audited).

use std::str::FromStr as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::zakat::{
    Animal, CamelsAbove120, Category, Data, FitrahForm, Holding, IncomeMethod, Irrigation,
    Jewellery, Madhhab, NisabBasis, OptionChoices, Period, Question, Rounding, Sourced,
    StockHolding,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storage::ledger::{NewZakatDatum, ZakatDatum};
use time::Date;
use utoipa::ToSchema;

use super::auth::Admin;
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::json_response;
use crate::AppState;

/// Rupiah amounts: at most two decimals, at most 10^15 (beyond any real holding).
const RUPIAH_MAX: i64 = 1_000_000_000_000_000;
/// Weights and harvests: at most six decimals, at most 10^12.
const QUANTITY_MAX: i64 = 1_000_000_000_000;
const QUANTITY_DECIMALS_MAX: u32 = 6;
/// Persons in a household, heads in a herd: beyond these it is a typo.
const PERSONS_MAX: u32 = 10_000;
const HEADS_MAX: u32 = 10_000_000;
/// The latest calculation date: planning ahead, within reason.
const CALCULATION_DATE_LATEST: Date = time::macros::date!(2100 - 12 - 31);

/// The data names the calculator reads.
const DATA_NAMES: [&str; 6] = [
    "gold_price_per_gram",
    "silver_price_per_gram",
    "nisab_annual",
    "nisab_monthly",
    "fitrah_per_person",
    "fidyah_per_day",
];

/// Fields every category takes: the date, the options, explicit data values.
const COMMON_FIELDS: [&str; 16] = [
    "date",
    "held_since",
    "nisab_basis",
    "madhhab",
    "worn_jewellery_zakatable",
    "camels_above_120",
    "income_method",
    "deduct_debts",
    "rounding",
    "gold_nisab_grams",
    "silver_nisab_grams",
    "gold_price_per_gram",
    "silver_price_per_gram",
    "nisab_annual",
    "nisab_monthly",
    "fitrah_per_person",
];

/// A calculation request. Only `date` and the fields of the category are needed; options
/// default to Indonesian practice; data values default to those in force on `date`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZakatRequest {
    /// The calculation date, `YYYY-MM-DD`: the data in force then, and the end of the haul.
    #[schema(example = "2025-03-01", format = Date)]
    pub date: String,
    /// Held since (categories with a haul); absent: a full lunar year.
    #[schema(format = Date)]
    pub held_since: Option<String>,
    /// Money and savings (`maal`), cash and bank (`trade`), rupiah.
    #[schema(example = "150000000")]
    pub cash: Option<String>,
    /// Debts due within 12 months (`maal`, `trade`).
    pub debts: Option<String>,
    /// Stock at market value (`trade`).
    pub inventory: Option<String>,
    /// Collectible receivables (`trade`).
    pub receivables: Option<String>,
    /// Weight in grams (`gold`, `silver`).
    pub grams: Option<String>,
    /// Gold purity, 1 to 24 (`gold`; default 24).
    #[schema(minimum = 1, maximum = 24)]
    pub karat: Option<u8>,
    /// `none` (default), `worn` (jewellery in normal use), `stored` (`gold`, `silver`).
    pub jewellery: Option<Jewellery>,
    /// The income (`income`).
    pub income: Option<String>,
    /// `monthly` or `annual` (`income`).
    pub period: Option<Period>,
    /// Basic needs and instalments, deducted with `income_method` = `net` (`income`).
    pub deductions: Option<String>,
    /// The year's income so far, for the annual reconciliation of a month below nisab.
    pub annual_total: Option<String>,
    /// Members of the household (`fitrah`).
    #[schema(maximum = 10000)]
    pub persons: Option<u32>,
    /// `cash`, `rice_kg` or `rice_litre` (`fitrah`).
    pub form: Option<FitrahForm>,
    /// Region whose decree sets the cash value, e.g. `jabodetabek` (`fitrah`, `cash`).
    pub region: Option<String>,
    /// Class within the region, where it publishes several (`fitrah`).
    pub class: Option<String>,
    /// Grain harvested, kg (`agriculture`).
    pub harvest_kg: Option<String>,
    /// `rain_fed`, `irrigated` or `mixed` (`agriculture`).
    pub irrigation: Option<Irrigation>,
    /// `sheep`, `cattle` or `camel` (`livestock`).
    pub animal: Option<Animal>,
    /// Heads (`livestock`).
    #[schema(maximum = 10_000_000)]
    pub count: Option<u32>,
    /// Market value (`mining`, `rikaz`).
    pub value: Option<String>,
    /// Market value of the shares (`stocks`).
    pub market_value: Option<String>,
    /// `trading` (default) or `long_term` (`stocks`).
    pub holding: Option<StockHolding>,
    /// `gold` (default), `silver` or `lower_of_two`.
    pub nisab_basis: Option<NisabBasis>,
    /// `hanafi`, `maliki`, `shafii` or `hanbali`: a preset of the flags below.
    pub madhhab: Option<Madhhab>,
    /// Whether jewellery in normal use is zakatable (Hanafi: yes; default: no).
    pub worn_jewellery_zakatable: Option<bool>,
    /// `majority` (default) or `hanafi`.
    pub camels_above_120: Option<CamelsAbove120>,
    /// `gross` (default) or `net`.
    pub income_method: Option<IncomeMethod>,
    /// Deduct debts due within 12 months (default: yes).
    pub deduct_debts: Option<bool>,
    /// `up` (default), `half_up`, `half_even` or `none`.
    pub rounding: Option<Rounding>,
    /// Grams of gold in the nisab (default 85; some bodies use 87.48).
    #[schema(example = "85")]
    pub gold_nisab_grams: Option<String>,
    /// Grams of silver in the nisab (default 595; some bodies use 612.36).
    #[schema(example = "595")]
    pub silver_nisab_grams: Option<String>,
    /// Rupiah per gram of pure gold, instead of the value in force.
    pub gold_price_per_gram: Option<String>,
    /// Rupiah per gram of pure silver, instead of the value in force.
    pub silver_price_per_gram: Option<String>,
    /// Annual income nisab, instead of BAZNAS's in force.
    pub nisab_annual: Option<String>,
    /// Monthly income nisab, instead of BAZNAS's in force.
    pub nisab_monthly: Option<String>,
    /// Fitrah per person, instead of the region's in force.
    pub fitrah_per_person: Option<String>,
}

/// The fields of each category, besides [`COMMON_FIELDS`].
fn category_fields(category: Category) -> &'static [&'static str] {
    match category {
        Category::Maal => &["cash", "debts"],
        Category::Gold => &["grams", "karat", "jewellery"],
        Category::Silver => &["grams", "jewellery"],
        Category::Trade => &["cash", "inventory", "receivables", "debts"],
        Category::Income => &["income", "period", "deductions", "annual_total"],
        Category::Fitrah => &["persons", "form", "region", "class"],
        Category::Agriculture => &["harvest_kg", "irrigation"],
        Category::Livestock => &["animal", "count"],
        Category::Mining | Category::Rikaz => &["value"],
        Category::Stocks => &["market_value", "holding"],
    }
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
    post, path = "/api/v1/zakat/{category}", tag = "zakat",
    params(("category" = Category, Path, description = "What kind of wealth")),
    request_body(content = ZakatRequest, examples(
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
    body: ApiJson<serde_json::Map<String, Value>>,
) -> Result<Response, ApiError> {
    let rows = state.zakat_data().await?;
    let result = answer(&rows, &category, body.value)?;
    Ok(json_response(200, &result))
}

/// Every zakat data value stored, newest first per name, region and class: what [`answer`]
/// picks the values in force from.
pub async fn stored_data(
    database: &storage::Database,
) -> Result<Vec<ZakatDatum>, storage::StorageError> {
    database
        .zakat_data(&CALCULATION_DATE_LATEST.to_string())
        .await
}

/// Answers a calculation request: `category` and the request's fields as JSON, with the data
/// values in `stored` ([`stored_data`]). The HTTP endpoint and the `zakat` command both come
/// here, so they cannot disagree.
pub fn answer(
    stored: &[ZakatDatum],
    category: &str,
    fields: serde_json::Map<String, Value>,
) -> Result<domain::zakat::Calculation, ApiError> {
    let category = Category::from_str(category)
        .map_err(|err| ApiError::NotFound(format!("no zakat category: {err}")))?;
    let allowed = category_fields(category);
    if let Some(field) = fields
        .keys()
        .find(|key| !allowed.contains(&key.as_str()) && !COMMON_FIELDS.contains(&key.as_str()))
    {
        return Err(ApiError::invalid(
            field.chars().take(64).collect::<String>(),
            format!(
                "is not a field of the `{category}` calculation: it takes {}, the date and the options",
                allowed
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let request: ZakatRequest = input::deserialize(&Value::Object(fields))?;
    let question = question(category, &request)?;
    let data = data_in_force(stored, &question, &request)?;
    let options = OptionChoices {
        nisab_basis: request.nisab_basis,
        madhhab: request.madhhab,
        worn_jewellery_zakatable: request.worn_jewellery_zakatable,
        camels_above_120: request.camels_above_120,
        income_method: request.income_method,
        deduct_debts: request.deduct_debts,
        rounding: request.rounding,
        gold_nisab_grams: nisab_grams("gold_nisab_grams", request.gold_nisab_grams.as_ref())?,
        silver_nisab_grams: nisab_grams("silver_nisab_grams", request.silver_nisab_grams.as_ref())?,
    }
    .resolve();
    domain::zakat::calculate(&question, options, &data)
        .map_err(|err| ApiError::invalid(err.field, err.message))
}

fn question(category: Category, request: &ZakatRequest) -> Result<Question, ApiError> {
    let date = calculation_date("date", &request.date)?;
    let held_since = request
        .held_since
        .as_deref()
        .map(|text| calculation_date("held_since", text))
        .transpose()?;
    if held_since.is_some_and(|since| since > date) {
        return Err(ApiError::invalid("held_since", "is after `date`"));
    }
    let zero = || Ok(Decimal::ZERO);
    let holding = match category {
        Category::Maal => Holding::Maal {
            cash: rupiah("cash", required("cash", request.cash.as_ref())?)?,
            debts: optional(request.debts.as_ref(), "debts", rupiah, zero)?,
        },
        Category::Gold => Holding::Gold {
            grams: quantity("grams", required("grams", request.grams.as_ref())?)?,
            karat: request.karat.unwrap_or(24),
            jewellery: request.jewellery.unwrap_or(Jewellery::None),
        },
        Category::Silver => Holding::Silver {
            grams: quantity("grams", required("grams", request.grams.as_ref())?)?,
            jewellery: request.jewellery.unwrap_or(Jewellery::None),
        },
        Category::Trade => Holding::Trade {
            cash: optional(request.cash.as_ref(), "cash", rupiah, zero)?,
            inventory: optional(request.inventory.as_ref(), "inventory", rupiah, zero)?,
            receivables: optional(request.receivables.as_ref(), "receivables", rupiah, zero)?,
            debts: optional(request.debts.as_ref(), "debts", rupiah, zero)?,
        },
        Category::Income => Holding::Income {
            income: rupiah("income", required("income", request.income.as_ref())?)?,
            period: request.period.unwrap_or(Period::Monthly),
            deductions: optional(request.deductions.as_ref(), "deductions", rupiah, zero)?,
            annual_total: request
                .annual_total
                .as_deref()
                .map(|text| rupiah("annual_total", text))
                .transpose()?,
        },
        Category::Fitrah => fitrah(request)?,
        Category::Agriculture => Holding::Agriculture {
            harvest_kg: quantity(
                "harvest_kg",
                required("harvest_kg", request.harvest_kg.as_ref())?,
            )?,
            irrigation: request
                .irrigation
                .ok_or_else(|| missing("irrigation", "`rain_fed`, `irrigated` or `mixed`"))?,
        },
        Category::Livestock => {
            let count = request
                .count
                .ok_or_else(|| missing("count", "a head count"))?;
            if count > HEADS_MAX {
                return Err(ApiError::invalid(
                    "count",
                    format!("must be at most {HEADS_MAX}"),
                ));
            }
            Holding::Livestock {
                animal: request
                    .animal
                    .ok_or_else(|| missing("animal", "`sheep`, `cattle` or `camel`"))?,
                count,
            }
        }
        Category::Mining => Holding::Mining {
            value: rupiah("value", required("value", request.value.as_ref())?)?,
        },
        Category::Rikaz => Holding::Rikaz {
            value: rupiah("value", required("value", request.value.as_ref())?)?,
        },
        Category::Stocks => Holding::Stocks {
            market_value: rupiah(
                "market_value",
                required("market_value", request.market_value.as_ref())?,
            )?,
            holding: request.holding.unwrap_or(StockHolding::Trading),
        },
    };
    Ok(Question {
        holding,
        date,
        held_since,
    })
}

fn fitrah(request: &ZakatRequest) -> Result<Holding, ApiError> {
    let persons = request
        .persons
        .ok_or_else(|| missing("persons", "the members of the household"))?;
    if persons > PERSONS_MAX {
        return Err(ApiError::invalid(
            "persons",
            format!("must be at most {PERSONS_MAX}"),
        ));
    }
    let form = request.form.unwrap_or(FitrahForm::Cash);
    let region = input::optional_text("region", request.region.as_deref(), 64)?.unwrap_or_default();
    let class = input::optional_text("class", request.class.as_deref(), 64)?;
    if form == FitrahForm::Cash && region.is_empty() && request.fitrah_per_person.is_none() {
        return Err(missing(
            "region",
            "the region whose decree sets the cash value, e.g. `jabodetabek` (or give `fitrah_per_person`)",
        ));
    }
    Ok(Holding::Fitrah {
        persons,
        form,
        region: region.to_lowercase(),
        class: class.map(|class| class.to_lowercase()),
    })
}

/// The data values for `question`: the request's own, else those in force on its date.
fn data_in_force(
    stored: &[ZakatDatum],
    question: &Question,
    request: &ZakatRequest,
) -> Result<Data, ApiError> {
    // ISO dates compare as text.
    let on = question.date.to_string();
    let rows: Vec<&ZakatDatum> = stored
        .iter()
        .filter(|row| row.effective_from <= on)
        .collect();
    let (region, class) = match &question.holding {
        Holding::Fitrah { region, class, .. } => (region.as_str(), class.as_deref().unwrap_or("")),
        _ => ("", ""),
    };
    let stored = |name: &str| -> Option<Sourced> {
        // Newest first within each (name, region, class): the first match is in force.
        let datum: &ZakatDatum = rows
            .iter()
            .find(|row| row.name == name && row.region == region && row.class == class)
            .or_else(|| {
                rows.iter()
                    .find(|row| row.name == name && row.region.is_empty())
            })?;
        Some(Sourced::new(
            datum.value.parse().ok()?,
            format!("{}; in force from {}", datum.source, datum.effective_from),
        ))
    };
    let value = |name: &'static str, given: &Option<String>| -> Result<Option<Sourced>, ApiError> {
        match given {
            Some(text) => Ok(Some(Sourced::new(
                rupiah(name, text)?,
                "given in the request",
            ))),
            None => Ok(stored(name)),
        }
    };
    let data = Data {
        gold_price_per_gram: value("gold_price_per_gram", &request.gold_price_per_gram)?,
        silver_price_per_gram: value("silver_price_per_gram", &request.silver_price_per_gram)?,
        nisab_annual: value("nisab_annual", &request.nisab_annual)?,
        nisab_monthly: value("nisab_monthly", &request.nisab_monthly)?,
        fitrah_per_person: value("fitrah_per_person", &request.fitrah_per_person)?,
    };
    if let Holding::Fitrah {
        form: FitrahForm::Cash,
        region,
        ..
    } = &question.holding
        && data.fitrah_per_person.is_none()
    {
        let known: Vec<String> = rows
            .iter()
            .filter(|row| row.name == "fitrah_per_person")
            .map(|row| format!("`{}`", row.region))
            .collect();
        return Err(ApiError::invalid(
            "region",
            format!(
                "no fitrah value for region `{region}` is in force on {}: known regions then: {}; or give `fitrah_per_person`",
                question.date,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    }
    Ok(data)
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
    post, path = "/api/v1/zakat/data", tag = "zakat",
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
    if !DATA_NAMES.contains(&request.name.as_str()) {
        return Err(ApiError::invalid(
            "name",
            format!(
                "must be one of {}",
                DATA_NAMES.map(|n| format!("`{n}`")).join(", ")
            ),
        ));
    }
    let value = rupiah("value", &request.value)?;
    if value.is_zero() {
        return Err(ApiError::invalid("value", "must be more than 0"));
    }
    let effective_from = calculation_date("effective_from", &request.effective_from)?;
    let datum = NewZakatDatum {
        name: request.name,
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
    get, path = "/api/v1/zakat/data", tag = "zakat",
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
        Some(text) => calculation_date("date", &text)?.to_string(),
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

fn required<'a>(field: &'static str, value: Option<&'a String>) -> Result<&'a str, ApiError> {
    value
        .map(String::as_str)
        .ok_or_else(|| missing(field, "a decimal string, e.g. \"1000000\""))
}

fn optional(
    value: Option<&String>,
    field: &'static str,
    parse: fn(&'static str, &str) -> Result<Decimal, ApiError>,
    default: impl FnOnce() -> Result<Decimal, ApiError>,
) -> Result<Decimal, ApiError> {
    value.map_or_else(default, |text| parse(field, text))
}

/// A nisab in grams: a positive weight.
fn nisab_grams(field: &'static str, value: Option<&String>) -> Result<Option<Decimal>, ApiError> {
    let Some(text) = value else {
        return Ok(None);
    };
    let grams = quantity(field, text)?;
    if grams.is_zero() {
        return Err(ApiError::invalid(field, "must be more than 0"));
    }
    Ok(Some(grams))
}

fn missing(field: &'static str, what: &str) -> ApiError {
    ApiError::invalid(field, format!("is required: {what}"))
}

/// Rupiah: a plain decimal string (`"1500000"`, `"1500000.50"`), not negative, at most two
/// decimals and 10^15.
fn rupiah(field: &'static str, text: &str) -> Result<Decimal, ApiError> {
    decimal(field, text, 2, RUPIAH_MAX)
}

/// Grams, kilograms: up to six decimals and 10^12.
fn quantity(field: &'static str, text: &str) -> Result<Decimal, ApiError> {
    decimal(field, text, QUANTITY_DECIMALS_MAX, QUANTITY_MAX)
}

fn decimal(field: &'static str, text: &str, decimals: u32, max: i64) -> Result<Decimal, ApiError> {
    let plain = !text.is_empty()
        && text.len() <= 32
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    let value = plain.then(|| Decimal::from_str(text).ok()).flatten().ok_or_else(|| {
        ApiError::invalid(field, format!("must be a non-negative decimal string such as \"1500000\" or \"2.5\", not {:?}", text.chars().take(40).collect::<String>()))
    })?;
    if value.scale() > decimals {
        return Err(ApiError::invalid(
            field,
            format!("has more than {decimals} decimals"),
        ));
    }
    if value > Decimal::from(max) {
        return Err(ApiError::invalid(field, format!("must be at most {max}")));
    }
    Ok(value)
}

/// A `YYYY-MM-DD` date from 1990 to 2100: the calculator serves the past and plans the future.
fn calculation_date(field: &'static str, text: &str) -> Result<Date, ApiError> {
    input::date_between(field, text, input::DATE_EARLIEST, CALCULATION_DATE_LATEST)
}
