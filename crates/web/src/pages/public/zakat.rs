//! The zakat calculator: `/zakat` (every category, and the prices and decree values in force
//! today) and `/zakat/{category}`, a GET form whose fields are the API request's fields. With a
//! query it shows the answer of the same code as `POST /api/v1/zakat/{category}`
//! ([`crate::api::zakat::answer`]), counted against the same per-client rate, with the cited
//! trace and the data in force it used; a field the calculation refuses comes back as a 422
//! with the API's message next to it.
//!
//! The page only adapts what a form sends to the API's request: empty fields are left out,
//! whole numbers and yes/no become JSON numbers and booleans, and an amount written with the
//! page language's thousands separators (`150.000.000` in Indonesian, `150,000,000` in English)
//! loses them. Everything else — what is required, what is in range, what a choice may be — is
//! the domain's to say.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use domain::zakat::data::{self, DataName, DataRecord, Place};
use domain::zakat::request::{self as zakat_request, category_fields};
use domain::zakat::{
    Animal, Calculation, CamelsAbove120, Category, FitrahForm, HaulCalendar, InKind, IncomeMethod,
    Irrigation, Jewellery, Madhhab, NisabBasis, Period, Rounding, StockHolding,
};
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use time::Date;

use crate::AppState;
use crate::api::ApiError;
use crate::client::{ClientAddress, limit_key};
use crate::pages::error::PageError;
use crate::pages::format;
use crate::pages::i18n::Lang;
use crate::pages::layout;
use crate::pages::session::Visitor;

/// A query longer than this is not one the form sent (every field filled in is under 1 KiB).
const QUERY_LENGTH_MAX: usize = 4096;

/// The query parameter that picks the language: the layer reads it, the calculation does not.
const LANG_PARAMETER: &str = "lang";

/// How a field is typed in.
#[derive(Clone, Copy, Debug)]
enum Input {
    /// Rupiah: a decimal.
    Rupiah,
    /// Grams or kilograms: a decimal.
    Quantity,
    /// A whole number in a range.
    Whole { min: u32, max: u32 },
    /// `YYYY-MM-DD`.
    Date,
    /// One of the domain's names.
    Choice(fn() -> Vec<&'static str>),
    /// `true` or `false` (or the default).
    YesNo,
    /// A short text (a region's name).
    Text,
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|value| name(*value)).collect()
}

/// How `field` is typed in (every field of [`zakat_request::COMMON_FIELDS`] and of every
/// category; the unit tests hold this to the domain's lists).
fn input(field: &str) -> Input {
    match field {
        "cash"
        | "debts"
        | "inventory"
        | "receivables"
        | "income"
        | "deductions"
        | "annual_total"
        | "value"
        | "market_value"
        | "gold_price_per_gram"
        | "silver_price_per_gram"
        | "nisab_annual"
        | "nisab_monthly"
        | "fitrah_per_person"
        | "fidyah_per_day" => Input::Rupiah,
        "grams" | "harvest_kg" | "gold_nisab_grams" | "silver_nisab_grams" => Input::Quantity,
        "karat" => Input::Whole { min: 1, max: 24 },
        "persons" => Input::Whole {
            min: 1,
            max: zakat_request::PERSONS_MAX,
        },
        "days" => Input::Whole {
            min: 1,
            max: zakat_request::FIDYAH_DAYS_MAX,
        },
        "count" => Input::Whole {
            min: 0,
            max: zakat_request::HEADS_MAX,
        },
        "date" | "held_since" => Input::Date,
        "jewellery" => Input::Choice(|| names(Jewellery::ALL, Jewellery::as_str)),
        "period" => Input::Choice(|| names(Period::ALL, Period::as_str)),
        "form" => Input::Choice(|| names(FitrahForm::ALL, FitrahForm::as_str)),
        "irrigation" => Input::Choice(|| names(Irrigation::ALL, Irrigation::as_str)),
        "animal" => Input::Choice(|| names(Animal::ALL, Animal::as_str)),
        "holding" => Input::Choice(|| names(StockHolding::ALL, StockHolding::as_str)),
        "haul_calendar" => Input::Choice(|| names(HaulCalendar::ALL, HaulCalendar::as_str)),
        "nisab_basis" => Input::Choice(|| names(NisabBasis::ALL, NisabBasis::as_str)),
        "madhhab" => Input::Choice(|| names(Madhhab::ALL, Madhhab::as_str)),
        "camels_above_120" => Input::Choice(|| names(CamelsAbove120::ALL, CamelsAbove120::as_str)),
        "income_method" => Input::Choice(|| names(IncomeMethod::ALL, IncomeMethod::as_str)),
        "rounding" => Input::Choice(|| names(Rounding::ALL, Rounding::as_str)),
        "worn_jewellery_zakatable" | "deduct_debts" => Input::YesNo,
        _ => Input::Text,
    }
}

/// The fields a category cannot be calculated without (marked on the form; the domain says
/// so again if one is left out).
fn required(category: Category) -> &'static [&'static str] {
    match category {
        Category::Maal => &["cash"],
        Category::Gold | Category::Silver => &["grams"],
        Category::Trade => &[],
        Category::Income => &["income"],
        Category::Fitrah => &["persons"],
        Category::Agriculture => &["harvest_kg", "irrigation"],
        Category::Livestock => &["animal", "count"],
        Category::Mining | Category::Rikaz => &["value"],
        Category::Stocks => &["market_value"],
        Category::Fidyah => &["days"],
    }
}

/// Whether the category counts a haul (a lunar year of possession).
fn has_haul(category: Category) -> bool {
    matches!(
        category,
        Category::Maal
            | Category::Gold
            | Category::Silver
            | Category::Trade
            | Category::Livestock
            | Category::Stocks
    )
}

/// The options that change this category's answer.
fn options_of(category: Category) -> &'static [&'static str] {
    const MONEY_NISAB: [&str; 4] = [
        "nisab_basis",
        "rounding",
        "gold_nisab_grams",
        "silver_nisab_grams",
    ];
    match category {
        Category::Maal | Category::Trade => &[
            "nisab_basis",
            "deduct_debts",
            "rounding",
            "gold_nisab_grams",
            "silver_nisab_grams",
        ],
        Category::Mining | Category::Stocks => &MONEY_NISAB,
        Category::Gold => &[
            "madhhab",
            "worn_jewellery_zakatable",
            "rounding",
            "gold_nisab_grams",
        ],
        Category::Silver => &[
            "madhhab",
            "worn_jewellery_zakatable",
            "rounding",
            "silver_nisab_grams",
        ],
        Category::Income => &["income_method", "rounding"],
        Category::Fitrah | Category::Rikaz | Category::Fidyah => &["rounding"],
        Category::Livestock => &["madhhab", "camels_above_120"],
        Category::Agriculture => &[],
    }
}

/// The prices and decree values this category reads (each may be given instead).
fn data_of(category: Category) -> &'static [DataName] {
    match category {
        Category::Maal | Category::Trade | Category::Mining | Category::Stocks => {
            &[DataName::GoldPricePerGram, DataName::SilverPricePerGram]
        }
        Category::Gold => &[DataName::GoldPricePerGram],
        Category::Silver => &[DataName::SilverPricePerGram],
        Category::Income => &[DataName::NisabMonthly, DataName::NisabAnnual],
        Category::Fitrah => &[DataName::FitrahPerPerson],
        Category::Fidyah => &[DataName::FidyahPerDay],
        Category::Agriculture | Category::Livestock | Category::Rikaz => &[],
    }
}

/// `GET /zakat`: every category, and the values in force today.
pub(crate) async fn index(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Markup, PageError> {
    let records = state.zakat_data().await?;
    let today = zakat_request::today_in_wib(time::OffsetDateTime::now_utc());
    let title = visitor.t("public-zakat-title");
    let body = html! {
        h1 { (title) }
        p.lead { (visitor.t("public-zakat-lead")) }
        ul.cards.categories {
            @for category in Category::ALL {
                li.card {
                    h2 {
                        a href={ "/zakat/" (category.as_str()) } {
                            (visitor.t(&category_name(*category)))
                        }
                    }
                    p { (visitor.t(&category_text(*category))) }
                }
            }
        }
        (in_force_today(&visitor, &records, today))
    };
    Ok(layout::public(&visitor, &title, &body))
}

/// The prices and decree values in force on `today`, national first, then per region.
fn in_force_today(visitor: &Visitor, records: &[DataRecord], today: Date) -> Markup {
    let mut rows: Vec<&DataRecord> = Vec::new();
    for name in DataName::ALL {
        if name.is_regional() {
            let mut places: Vec<(&str, &str)> = records
                .iter()
                .filter(|r| r.name == *name && r.effective_from <= today)
                .map(|r| (r.region.as_str(), r.class.as_str()))
                .collect();
            places.sort_unstable();
            places.dedup();
            for (region, class) in places {
                if let Some(record) = data::in_force(records, *name, today, Place { region, class })
                {
                    rows.push(record);
                }
            }
        } else if let Some(record) = data::in_force(records, *name, today, Place::default()) {
            rows.push(record);
        }
    }
    html! {
        section.in-force aria-labelledby="in-force" {
            h2 #in-force { (visitor.t_args("public-zakat-in-force", &[("date", format::date(visitor.lang, today).into())])) }
            @if rows.is_empty() {
                p { (visitor.t("public-zakat-in-force-none")) }
            } @else {
                div.table-wrap tabindex="0" {
                    table {
                        thead {
                            tr {
                                th scope="col" { (visitor.t("public-zakat-column-value-name")) }
                                th scope="col" { (visitor.t("public-zakat-column-region")) }
                                th.number scope="col" { (visitor.t("public-zakat-column-value")) }
                                th scope="col" { (visitor.t("public-zakat-column-source")) }
                                th scope="col" { (visitor.t("public-zakat-column-from")) }
                            }
                        }
                        tbody {
                            @for record in rows {
                                tr {
                                    th scope="row" { (visitor.t(&field_label(record.name.as_str()))) }
                                    td { (place_label(visitor, &record.region, &record.class)) }
                                    td.number { (format::rupiah(visitor.lang, record.value)) }
                                    td { (record.source) }
                                    td { (format::date(visitor.lang, record.effective_from)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn place_label(visitor: &Visitor, region: &str, class: &str) -> String {
    match (region, class) {
        ("", _) => visitor.t("public-zakat-national"),
        (region, "") => region.to_owned(),
        (region, class) => format!("{region} · {class}"),
    }
}

/// What a visitor sent: the values as typed (to show again) and the request as the API takes it.
struct Submitted {
    /// Every named value, as typed (the last of a repeated name).
    typed: BTreeMap<String, String>,
    /// The request's fields: the non-empty ones, typed as the API's JSON would be.
    fields: Map<String, Value>,
}

impl Submitted {
    /// From the query, or `None` for a blank form (no query but the language).
    fn from_query(query: Option<&str>, lang: Lang) -> Option<Submitted> {
        let query = query.filter(|query| !query.is_empty())?;
        let mut typed = BTreeMap::new();
        let mut fields = Map::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if name == LANG_PARAMETER {
                continue;
            }
            let value = value.trim().to_owned();
            if value.is_empty() {
                fields.remove(name.as_ref());
            } else {
                fields.insert(name.to_string(), json_value(&name, &value, lang));
            }
            typed.insert(name.into_owned(), value);
        }
        (!typed.is_empty()).then_some(Submitted { typed, fields })
    }

    fn value(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

/// A typed value as the API's JSON carries it; anything the domain will refuse is passed on as
/// typed, for the domain to name the field.
fn json_value(field: &str, typed: &str, lang: Lang) -> Value {
    match input(field) {
        Input::Whole { .. } => typed
            .parse::<u64>()
            .map_or_else(|_| Value::from(typed), Value::from),
        Input::YesNo => match typed {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::from(other),
        },
        Input::Rupiah | Input::Quantity => Value::from(plain_decimal(typed, lang)),
        Input::Date | Input::Choice(_) | Input::Text => Value::from(typed),
    }
}

/// An amount as the language writes it (`Rp 150.000.000,50` in Indonesian, `150,000,000.50` in
/// English) as the API takes it (`150000000.50`). Only a number grouped exactly by thousands
/// is read that way: `2.5` stays `2.5` in either language, anything else is left for the
/// domain to refuse.
fn plain_decimal(typed: &str, lang: Lang) -> String {
    let text = typed
        .strip_prefix("Rp")
        .or_else(|| typed.strip_prefix("rp"))
        .or_else(|| typed.strip_prefix("RP"))
        .unwrap_or(typed)
        .trim();
    let (thousands, mark) = match lang {
        Lang::Id => ('.', ','),
        Lang::En => (',', '.'),
    };
    let (whole, fraction) = text.split_once(mark).unwrap_or((text, ""));
    let groups: Vec<&str> = whole.split(thousands).collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|group| group.len() == 3)
        && groups
            .iter()
            .all(|group| group.bytes().all(|b| b.is_ascii_digit()))
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if grouped {
        let digits = groups.concat();
        if fraction.is_empty() {
            digits
        } else {
            format!("{digits}.{fraction}")
        }
    } else if lang == Lang::Id
        && !text.contains('.')
        && text.matches(',').count() == 1
        && text.bytes().all(|b| b.is_ascii_digit() || b == b',')
    {
        // `2,5` is how Indonesian writes two and a half.
        text.replace(',', ".")
    } else {
        text.to_owned()
    }
}

/// A field the calculation refused, and why (the API's words).
struct Refusal {
    field: String,
    message: String,
}

/// `GET /zakat/{category}`: the form; with a query, the answer under it too.
pub(crate) async fn calculator(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    visitor: Visitor,
    Path(category): Path<String>,
    uri: Uri,
) -> Result<Response, PageError> {
    let category = Category::from_str(&category).map_err(|_| PageError::NotFound)?;
    let query = uri.query().filter(|query| query.len() <= QUERY_LENGTH_MAX);
    if uri
        .query()
        .is_some_and(|query| query.len() > QUERY_LENGTH_MAX)
    {
        return Err(PageError::BadRequest(format!(
            "a calculation's query is at most {QUERY_LENGTH_MAX} bytes"
        )));
    }
    let records = state.zakat_data().await?;
    let today = zakat_request::today_in_wib(time::OffsetDateTime::now_utc());
    let Some(submitted) = Submitted::from_query(query, visitor.lang) else {
        let view = Form {
            category,
            submitted: None,
            refusal: None,
            records: &records,
            today,
        };
        return Ok(page(&visitor, &view, None).into_response());
    };
    // The API's per-client rate: a page is a client of the same calculator.
    state.zakat_rate_limit(limit_key(client))?;
    let answer = crate::api::zakat::answer(&state, category, &submitted.fields).await;
    let (status, calculation, refusal) = match answer {
        Ok(calculation) => (StatusCode::OK, Some(calculation), None),
        Err(ApiError::Invalid { field, message }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(Refusal { field, message }),
        ),
        Err(err) => return Err(err.into()),
    };
    let view = Form {
        category,
        submitted: Some(&submitted),
        refusal: refusal.as_ref(),
        records: &records,
        today,
    };
    Ok((status, page(&visitor, &view, calculation.as_ref())).into_response())
}

/// The form as it is to be shown.
struct Form<'a> {
    category: Category,
    submitted: Option<&'a Submitted>,
    refusal: Option<&'a Refusal>,
    records: &'a [DataRecord],
    today: Date,
}

impl Form<'_> {
    fn value(&self, field: &str) -> &str {
        self.submitted
            .map_or("", |submitted| submitted.value(field))
    }

    /// The calculation date the form is about: the one typed, if it is one, else today.
    fn date(&self) -> Date {
        zakat_request::parse_date("date", self.value("date")).unwrap_or(self.today)
    }

    fn refused(&self, field: &str) -> Option<&str> {
        self.refusal
            .filter(|refusal| refusal.field == field)
            .map(|refusal| refusal.message.as_str())
    }

    /// Whether any of `fields` was filled in or refused: its group is shown open.
    fn touched<'f>(&self, mut fields: impl Iterator<Item = &'f str>) -> bool {
        fields.any(|field| !self.value(field).is_empty() || self.refused(field).is_some())
    }

    /// The fields the form shows, in order.
    fn shown(&self) -> Vec<&'static str> {
        let mut shown: Vec<&'static str> = category_fields(self.category)
            .iter()
            .map(|field| field.name)
            .collect();
        shown.push("date");
        if has_haul(self.category) {
            shown.extend(["held_since", "haul_calendar"]);
        }
        shown.extend(options_of(self.category));
        shown.extend(data_of(self.category).iter().map(|name| name.as_str()));
        shown
    }
}

fn page(visitor: &Visitor, form: &Form<'_>, calculation: Option<&Calculation>) -> Markup {
    let name = visitor.t(&category_name(form.category));
    let title = match (form.refusal, calculation) {
        (Some(_), _) => visitor.t_args(
            "public-zakat-title-refused",
            &[("category", name.clone().into())],
        ),
        (None, Some(_)) => visitor.t_args(
            "public-zakat-title-result",
            &[("category", name.clone().into())],
        ),
        (None, None) => name.clone(),
    };
    let body = html! {
        p.breadcrumb { a href="/zakat" { (visitor.t("public-zakat-title")) } }
        h1 { (name) }
        p.lead { (visitor.t(&category_text(form.category))) }
        @if let Some(refusal) = form.refusal {
            div.alert.error role="alert" {
                p { (visitor.t("public-zakat-refused")) }
                @if !form.shown().contains(&refusal.field.as_str()) {
                    p { code { (refusal.field) } ": " (refusal.message) }
                } @else {
                    p { a href={ "#" (refusal.field) } { (visitor.t(&field_label(&refusal.field))) } ": " (refusal.message) }
                }
            }
        }
        @if let Some(calculation) = calculation {
            (result(visitor, form.category, calculation))
        }
        (calculator_form(visitor, form, calculation.is_some()))
    };
    layout::public(visitor, &title, &body)
}

fn calculator_form(visitor: &Visitor, form: &Form<'_>, answered: bool) -> Markup {
    let category = form.category;
    let own: Vec<&str> = category_fields(category)
        .iter()
        .map(|field| field.name)
        .collect();
    let mut when = vec!["date"];
    if has_haul(category) {
        when.extend(["held_since", "haul_calendar"]);
    }
    let options = options_of(category);
    let data: Vec<&str> = data_of(category).iter().map(|name| name.as_str()).collect();
    html! {
        section.calculator aria-labelledby="calculator-form" {
            h2 #calculator-form {
                @if answered { (visitor.t("public-zakat-form-again")) } @else { (visitor.t("public-zakat-form")) }
            }
            form.stack.zakat-form method="get" action={ "/zakat/" (category.as_str()) } novalidate {
                fieldset {
                    legend { (visitor.t("public-zakat-group-holding")) }
                    @for field in &own { (field_markup(visitor, form, field)) }
                }
                fieldset {
                    legend { (visitor.t("public-zakat-group-when")) }
                    @for field in &when { (field_markup(visitor, form, field)) }
                }
                @if !options.is_empty() {
                    details.group open[form.touched(options.iter().copied())] {
                        summary { (visitor.t("public-zakat-group-options")) }
                        p.hint { (visitor.t("public-zakat-group-options-hint")) }
                        @for field in options { (field_markup(visitor, form, field)) }
                    }
                }
                @if !data.is_empty() {
                    details.group open[form.touched(data.iter().copied())] {
                        summary { (visitor.t("public-zakat-group-data")) }
                        p.hint { (visitor.t("public-zakat-group-data-hint")) }
                        @for field in &data { (field_markup(visitor, form, field)) }
                    }
                }
                p.actions {
                    button #calculate type="submit" { (visitor.t("public-zakat-calculate")) }
                    a href={ "/zakat/" (category.as_str()) } { (visitor.t("public-zakat-clear")) }
                }
            }
        }
    }
}

/// One labelled field, with its hint and, if refused, the API's message beside it.
fn field_markup(visitor: &Visitor, form: &Form<'_>, field: &str) -> Markup {
    let kind = input(field);
    let required = required(form.category).contains(&field);
    let refused = form.refused(field);
    let typed = form.value(field);
    let value = if field == "date" && form.submitted.is_none() {
        form.today.to_string()
    } else {
        typed.to_owned()
    };
    let hint_id = format!("{field}-hint");
    let error_id = format!("{field}-error");
    let described = if refused.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        hint_id.clone()
    };
    let hint = field_hint(visitor, form, field);
    html! {
        div.field {
            label for=(field) {
                (visitor.t(&field_label(field)))
                @if required { " " abbr.required title=(visitor.t("public-zakat-required")) { "*" } }
            }
            span.hint #(hint_id) { (hint) }
            @match kind {
                Input::Choice(choices) => {
                    select #(field) name=(field) aria-describedby=(described) aria-invalid=[refused.map(|_| "true")] required[required] {
                        option value="" selected[value.is_empty()] {
                            @if required { (visitor.t("public-zakat-choose")) } @else { (visitor.t("public-zakat-default")) }
                        }
                        @for choice in choices() {
                            option value=(choice) selected[value == choice] { (visitor.t(&option_label(field, choice))) }
                        }
                    }
                }
                Input::YesNo => {
                    select #(field) name=(field) aria-describedby=(described) aria-invalid=[refused.map(|_| "true")] {
                        option value="" selected[value.is_empty()] { (visitor.t("public-zakat-default")) }
                        option value="true" selected[value == "true"] { (visitor.t("public-zakat-yes")) }
                        option value="false" selected[value == "false"] { (visitor.t("public-zakat-no")) }
                    }
                }
                Input::Whole { min, max } => {
                    input #(field) name=(field) type="number" inputmode="numeric" min=(min) max=(max) step="1" value=(value)
                        aria-describedby=(described) aria-invalid=[refused.map(|_| "true")] required[required];
                }
                Input::Date => {
                    input #(field) name=(field) type="date" value=(value) min=(zakat_request::CALCULATION_DATE_EARLIEST) max=(zakat_request::CALCULATION_DATE_LATEST)
                        aria-describedby=(described) aria-invalid=[refused.map(|_| "true")] required[required];
                }
                Input::Rupiah | Input::Quantity => {
                    input #(field) name=(field) type="text" inputmode="decimal" autocomplete="off" value=(value)
                        maxlength=(zakat_request::DECIMAL_TEXT_LENGTH_MAX + 8)
                        aria-describedby=(described) aria-invalid=[refused.map(|_| "true")] required[required];
                }
                Input::Text => {
                    input #(field) name=(field) type="text" value=(value) maxlength=(zakat_request::REGION_LENGTH_MAX)
                        list=[(field == "region").then_some("regions")]
                        aria-describedby=(described) aria-invalid=[refused.map(|_| "true")] required[required];
                    @if field == "region" { (regions(form)) }
                }
            }
            @if let Some(message) = refused {
                p.field-error #(error_id) { (message) }
            }
        }
    }
}

/// The regions with a fitrah or fidyah value in force on the form's date, to pick from.
fn regions(form: &Form<'_>) -> Markup {
    let name = if form.category == Category::Fidyah {
        DataName::FidyahPerDay
    } else {
        DataName::FitrahPerPerson
    };
    let regions = data::regions(form.records, name, form.date());
    html! {
        datalist #regions {
            @for region in regions { option value=(region); }
        }
    }
}

/// The hint under a field: what it takes, and for a price or decree value, the one in force on
/// the form's date (which an empty field means).
fn field_hint(visitor: &Visitor, form: &Form<'_>, field: &str) -> String {
    let hint = visitor.t(&format!("public-field-{field}-hint"));
    let Ok(name) = DataName::from_str(field) else {
        return hint;
    };
    let date = form.date();
    let region = match form.value("region") {
        "" if form.category == Category::Fidyah => zakat_request::FIDYAH_REGION_DEFAULT.to_owned(),
        region => region.to_lowercase(),
    };
    let class = form.value("class").to_lowercase();
    let place = if name.is_regional() {
        Place {
            region: &region,
            class: &class,
        }
    } else {
        Place::default()
    };
    match data::in_force(form.records, name, date, place) {
        Some(record) => visitor.t_args(
            "public-zakat-in-force-hint",
            &[
                ("value", format::rupiah(visitor.lang, record.value).into()),
                ("source", record.source.clone().into()),
                (
                    "from",
                    format::date(visitor.lang, record.effective_from).into(),
                ),
            ],
        ),
        None => format!("{hint} {}", visitor.t("public-zakat-in-force-hint-none")),
    }
}

/// The answer: due or not and how much, the nisab, the values used with their sources, the
/// options in force, and the steps with their citations.
fn result(visitor: &Visitor, category: Category, calculation: &Calculation) -> Markup {
    let lang = visitor.lang;
    let (inputs, data): (Vec<_>, Vec<_>) = calculation
        .parameters
        .iter()
        .partition(|parameter| DataName::from_str(parameter.name).is_err());
    html! {
        section.result aria-labelledby="result" {
            h2 #result { (visitor.t("public-zakat-result")) }
            div.verdict.due[calculation.due] {
                @if calculation.due {
                    p.verdict-title { (visitor.t(&format!("public-zakat-due-{}", due_kind(category)))) }
                } @else {
                    p.verdict-title { (visitor.t("public-zakat-not-due")) }
                }
                @if let Some(payable) = calculation.amount_payable.filter(|_| calculation.due) {
                    p.amount #amount-payable { (format::rupiah(lang, payable)) }
                    @if let Some(exact) = calculation.amount_exact.filter(|exact| *exact != payable) {
                        p.muted { (visitor.t_args("public-zakat-exact", &[("amount", exact_rupiah(lang, exact).into())])) }
                    }
                }
                @if !calculation.in_kind.is_empty() {
                    ul.in-kind {
                        @for kind in &calculation.in_kind { li { (in_kind(visitor, kind)) } }
                    }
                }
                p.muted {
                    (visitor.t_args("public-zakat-on-date", &[("date", format::date(lang, calculation.date).into())]))
                    @if let Some(nisab) = &calculation.nisab {
                        " " (visitor.t_args("public-zakat-nisab", &[
                            ("value", nisab_value(lang, nisab.value, nisab.unit).into()),
                            ("basis", nisab.basis.clone().into()),
                        ]))
                    }
                }
            }
            h3 { (visitor.t("public-zakat-trace")) }
            p.hint { (visitor.t("public-zakat-trace-hint")) }
            ol.trace {
                @for step in &calculation.trace {
                    li {
                        span.rule lang="en" { (step.rule) }
                        " "
                        cite lang="en" { (step.citation) }
                    }
                }
            }
            @if !data.is_empty() {
                h3 { (visitor.t("public-zakat-data-used")) }
                div.table-wrap tabindex="0" {
                    table {
                        thead {
                            tr {
                                th scope="col" { (visitor.t("public-zakat-column-value-name")) }
                                th.number scope="col" { (visitor.t("public-zakat-column-value")) }
                                th scope="col" { (visitor.t("public-zakat-column-source")) }
                                th scope="col" { (visitor.t("public-zakat-column-from")) }
                            }
                        }
                        tbody {
                            @for parameter in &data {
                                @let (source, from) = source_and_date(visitor, &parameter.source);
                                tr {
                                    th scope="row" { (visitor.t(&field_label(parameter.name))) }
                                    td.number { (parameter_value(lang, parameter.name, &parameter.value)) }
                                    td { (source) }
                                    td { (from) }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (visitor.t("public-zakat-inputs-used")) }
            dl.facts {
                @for parameter in &inputs {
                    @let (source, _) = source_and_date(visitor, &parameter.source);
                    dt { (label_or_name(visitor, parameter.name)) }
                    dd {
                        (parameter_value(lang, parameter.name, &parameter.value))
                        @if parameter.source != GIVEN {
                            " " span.muted { "(" (source) ")" }
                        }
                    }
                }
                @for (field, value) in options_in_force(visitor, category, calculation) {
                    dt { (visitor.t(&field_label(field))) }
                    dd { (value) }
                }
            }
        }
    }
}

/// How the domain cites a value given in the request.
const GIVEN: &str = "given in the request";

/// `X; in force from YYYY-MM-DD` (a stored value, `DataRecord::sourced`) as its source and the
/// date written in the page's language; a value given in the request says so.
fn source_and_date(visitor: &Visitor, source: &str) -> (String, String) {
    if source == GIVEN {
        return (visitor.t("public-zakat-source-given"), String::new());
    }
    if let Some((source, from)) = source.rsplit_once("; in force from ")
        && let Ok(from) = zakat_request::parse_date("from", from)
    {
        return (source.to_owned(), format::date(visitor.lang, from));
    }
    (source.to_owned(), String::new())
}

/// A field's label, or its name when it has none (a value the domain names that no form field
/// takes).
fn label_or_name(visitor: &Visitor, name: &str) -> String {
    let id = field_label(name);
    let label = visitor.t(&id);
    if label == id { name.to_owned() } else { label }
}

/// A parameter's value as the page's language writes it: rupiah, numbers and dates, names of
/// choices by their label.
fn parameter_value(lang: Lang, name: &str, value: &str) -> String {
    let decimal = Decimal::from_str(value).ok();
    match (input(name), decimal) {
        (Input::Rupiah, Some(value)) => format::rupiah(lang, value),
        (Input::Quantity | Input::Whole { .. }, Some(value)) => format::decimal(lang, value),
        (Input::Date, _) => zakat_request::parse_date(name, value)
            .map_or_else(|_| value.to_owned(), |date| format::date(lang, date)),
        (Input::Choice(choices), _) if choices().contains(&value) => {
            lang.t(&option_label(name, value))
        }
        _ => value.to_owned(),
    }
}

/// The options in force that matter for the category, each as its label and value.
fn options_in_force(
    visitor: &Visitor,
    category: Category,
    calculation: &Calculation,
) -> Vec<(&'static str, String)> {
    let options = calculation.options;
    let lang = visitor.lang;
    let yes_no = |value: bool| {
        visitor.t(if value {
            "public-zakat-yes"
        } else {
            "public-zakat-no"
        })
    };
    let mut shown: Vec<&str> = options_of(category).to_vec();
    if has_haul(category) {
        shown.push("haul_calendar");
    }
    shown
        .into_iter()
        .filter_map(|field| {
            let value = match field {
                "nisab_basis" => lang.t(&option_label(field, options.nisab_basis.as_str())),
                "madhhab" => options.madhhab.map_or_else(
                    || visitor.t("public-zakat-none"),
                    |madhhab| lang.t(&option_label(field, madhhab.as_str())),
                ),
                "worn_jewellery_zakatable" => yes_no(options.worn_jewellery_zakatable),
                "camels_above_120" => {
                    lang.t(&option_label(field, options.camels_above_120.as_str()))
                }
                "income_method" => lang.t(&option_label(field, options.income_method.as_str())),
                "deduct_debts" => yes_no(options.deduct_debts),
                "rounding" => lang.t(&option_label(field, options.rounding.as_str())),
                "gold_nisab_grams" => {
                    format!("{} g", format::decimal(lang, options.gold_nisab_grams))
                }
                "silver_nisab_grams" => {
                    format!("{} g", format::decimal(lang, options.silver_nisab_grams))
                }
                "haul_calendar" => lang.t(&option_label(field, options.haul_calendar.as_str())),
                _ => return None,
            };
            Some((field, value))
        })
        .collect()
}

/// What a category's due amount is called: zakat, or (for fidyah) fidyah.
fn due_kind(category: Category) -> &'static str {
    if category == Category::Fidyah {
        "fidyah"
    } else {
        "zakat"
    }
}

fn exact_rupiah(lang: Lang, value: Decimal) -> String {
    format!("Rp {}", format::decimal(lang, value))
}

fn nisab_value(lang: Lang, value: Decimal, unit: &str) -> String {
    if unit == "IDR" {
        format::rupiah(lang, value)
    } else {
        format!(
            "{} {}",
            format::decimal(lang, value),
            lang.t(&unit_label(unit))
        )
    }
}

fn in_kind(visitor: &Visitor, kind: &InKind) -> String {
    match kind {
        InKind::Animals { kind, count } => visitor.t_args(
            "public-zakat-in-kind-animals",
            &[
                ("count", i64::from(*count).into()),
                ("kind", visitor.t(&format!("public-animal-{kind}")).into()),
            ],
        ),
        InKind::Quantity { unit, quantity } => format!(
            "{} {}",
            format::decimal(visitor.lang, *quantity),
            visitor.t(&unit_label(unit))
        ),
    }
}

fn category_name(category: Category) -> String {
    format!("public-category-{}", category.as_str())
}

fn category_text(category: Category) -> String {
    format!("public-category-{}-text", category.as_str())
}

fn field_label(field: &str) -> String {
    format!("public-field-{field}")
}

fn option_label(field: &str, choice: &str) -> String {
    format!("public-option-{field}-{choice}")
}

fn unit_label(unit: &str) -> String {
    format!("public-unit-{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::zakat::request::COMMON_FIELDS;

    fn has(id: &str) -> bool {
        Lang::Id.t(id) != id && Lang::En.t(id) != id
    }

    /// The ids the page builds at run time (the catalogue test sees only literal ones).
    #[test]
    fn every_label_the_calculator_builds_exists_in_both_languages() {
        let mut missing = Vec::new();
        let mut want = |id: String| {
            if !has(&id) {
                missing.push(id);
            }
        };
        for category in Category::ALL {
            want(category_name(*category));
            want(category_text(*category));
            want(format!("public-zakat-due-{}", due_kind(*category)));
            for field in category_fields(*category) {
                want(field_label(field.name));
                want(format!("public-field-{}-hint", field.name));
            }
        }
        for field in COMMON_FIELDS {
            want(field_label(field.name));
            want(format!("public-field-{}-hint", field.name));
            if let Input::Choice(choices) = input(field.name) {
                for choice in choices() {
                    want(option_label(field.name, choice));
                }
            }
        }
        for category in Category::ALL {
            for field in category_fields(*category) {
                if let Input::Choice(choices) = input(field.name) {
                    for choice in choices() {
                        want(option_label(field.name, choice));
                    }
                }
            }
        }
        for kind in [
            "sheep",
            "tabi",
            "musinnah",
            "bint_makhad",
            "bint_labun",
            "hiqqah",
            "jadhaah",
        ] {
            want(format!("public-animal-{kind}"));
        }
        for unit in ["kg", "litre", "g", "head"] {
            want(unit_label(unit));
        }
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    /// Every field the domain takes has a way to be typed in that matches what it is.
    #[test]
    fn every_field_of_the_domain_has_its_input() {
        let texts = ["region", "class"];
        let all = COMMON_FIELDS
            .iter()
            .chain(Category::ALL.iter().flat_map(|c| category_fields(*c)));
        for field in all {
            let kind = input(field.name);
            assert!(
                !matches!(kind, Input::Text) || texts.contains(&field.name),
                "`{}` falls back to a text field",
                field.name
            );
        }
        for category in Category::ALL {
            for field in required(*category) {
                assert!(
                    category_fields(*category).iter().any(|f| f.name == *field),
                    "{category}: `{field}` is not its field"
                );
            }
            for field in options_of(*category) {
                assert!(
                    COMMON_FIELDS.iter().any(|f| f.name == *field),
                    "{category}: `{field}` is not an option"
                );
            }
        }
    }

    #[test]
    fn amounts_written_the_languages_way_become_the_apis_decimals() {
        assert_eq!(plain_decimal("150.000.000", Lang::Id), "150000000");
        assert_eq!(plain_decimal("Rp 1.500.000,50", Lang::Id), "1500000.50");
        assert_eq!(plain_decimal("2,5", Lang::Id), "2.5");
        assert_eq!(plain_decimal("2.5", Lang::Id), "2.5");
        assert_eq!(plain_decimal("150000000", Lang::Id), "150000000");
        assert_eq!(plain_decimal("150,000,000", Lang::En), "150000000");
        assert_eq!(plain_decimal("1,500,000.50", Lang::En), "1500000.50");
        assert_eq!(plain_decimal("2.5", Lang::En), "2.5");
        // Not grouped by thousands: left for the domain to refuse, as typed.
        assert_eq!(plain_decimal("1.50.000", Lang::Id), "1.50.000");
        assert_eq!(plain_decimal("12,34,567", Lang::En), "12,34,567");
        assert_eq!(plain_decimal("abc", Lang::En), "abc");
        assert_eq!(plain_decimal("-1.000", Lang::Id), "-1.000");
    }

    #[test]
    fn a_query_becomes_the_apis_fields_without_the_language_or_empty_values() {
        let submitted = Submitted::from_query(
            Some("cash=150.000.000&debts=&karat=22&deduct_debts=false&lang=en&date=2025-03-01"),
            Lang::Id,
        )
        .unwrap();
        assert_eq!(
            Value::Object(submitted.fields.clone()),
            serde_json::json!({"cash": "150000000", "karat": 22, "deduct_debts": false, "date": "2025-03-01"})
        );
        assert_eq!(submitted.value("cash"), "150.000.000");
        assert_eq!(submitted.value("debts"), "");
        assert!(Submitted::from_query(Some("lang=en"), Lang::En).is_none());
        assert!(Submitted::from_query(None, Lang::En).is_none());
        // Submitted with every field empty: a request, which the domain will refuse.
        let empty = Submitted::from_query(Some("cash="), Lang::Id).unwrap();
        assert!(empty.fields.is_empty());
    }
}
