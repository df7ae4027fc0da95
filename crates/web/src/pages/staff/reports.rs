//! The reports: the PSAK 109 statements (changes in funds, financial position), collections
//! and distributions, as printable pages with a period picker and, with `&format=csv`, the
//! API's CSV byte for byte.
//!
//! Every figure comes from the API's own report functions (`api::reports::*_report`): the page
//! renders the same view the JSON carries, so the two cannot disagree. Each amount is written
//! for people (`Rp 2.500.000`) inside `<data value="2500000.00">`, which keeps the exact
//! figure for machines and tests.

use std::collections::HashMap;
use std::str::FromStr as _;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::reports::Period;
use domain::{DonationType, Fund};
use maud::{Markup, html};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::super::error::PageError;
use super::super::format;
use super::super::i18n::Lang;
use super::super::layout;
use super::super::session::{FORM_INVALID, Staff};
use crate::AppState;
use crate::api::ApiError;
use crate::api::reports::{
    self as api, ChangesInFundsView, CollectionsView, DistributionsReportView,
    FinancialPositionView, GroupView, StatementRowView, TotalsView,
};

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/reports", get(index))
        .route("/staff/reports/changes-in-funds", get(changes_in_funds))
        .route("/staff/reports/financial-position", get(financial_position))
        .route("/staff/reports/collections", get(collections))
        .route("/staff/reports/distributions", get(distributions))
}

// ---------------------------------------------------------------------------------------------
// Names and figures, shared with the dashboard.

/// A fund's name in the page's language.
pub(super) fn fund_name(lang: Lang, fund: Fund) -> String {
    lang.t(&format!("books-fund-{}", fund.as_str()))
}

/// A donation type's name.
pub(super) fn type_name(lang: Lang, donation_type: DonationType) -> String {
    lang.t(&format!("books-type-{}", donation_type.as_str()))
}

/// An asnaf's or public purpose's name (`fakir`, `disaster_relief`, …).
pub(super) fn use_name(lang: Lang, name: &str) -> String {
    lang.t(&format!("books-use-{name}"))
}

/// An asset account's name (`cash`, `bank`, `amil_share_receivable`).
pub(super) fn asset_name(lang: Lang, account: &str) -> String {
    lang.t(&format!("books-asset-{account}"))
}

/// An exact decimal amount of `currency` (ISO 4217) as people read it, inside `<data>`
/// carrying the exact figure.
pub(super) fn amount_in(lang: Lang, exact: &str, currency: &str) -> Markup {
    let shown = match Decimal::from_str(exact) {
        Ok(value) if currency == "IDR" => format::rupiah(lang, value),
        Ok(value) => format!("{currency} {}", format::decimal(lang, value)),
        Err(_) => exact.to_owned(),
    };
    html! { data value=(exact) { (shown) } }
}

/// An exact decimal amount of rupiah, as [`amount_in`].
pub(super) fn rupiah(lang: Lang, exact: &str) -> Markup {
    amount_in(lang, exact, "IDR")
}

/// `2026-03` as `Maret 2026`; as given when it is not a month.
pub(super) fn month_name(lang: Lang, month: &str) -> String {
    let parsed = month.split_once('-').and_then(|(year, month)| {
        let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
        Some((year.parse::<i32>().ok()?, month))
    });
    match parsed {
        Some((year, month)) => format::month_year(lang, year, month),
        None => month.to_owned(),
    }
}

/// Campaign names by id, for the rows the reports key by campaign.
pub(super) async fn campaign_names(state: &AppState) -> Result<HashMap<Uuid, String>, PageError> {
    Ok(state
        .database()
        .campaign_names()
        .await?
        .into_iter()
        .collect())
}

/// A campaign's name, or (no campaign) what the page calls money given for none.
fn campaign_label(staff: &Staff, names: &HashMap<Uuid, String>, id: Option<Uuid>) -> String {
    match id {
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
        None => staff.t("reports-no-campaign"),
    }
}

// ---------------------------------------------------------------------------------------------
// The query: period pickers, the format.

/// The parameters of a report's query (the first of each name; others, such as `lang`, are
/// not the report's).
struct Params(HashMap<String, String>);

impl Params {
    fn of(uri: &Uri) -> Params {
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            params
                .entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        Params(params)
    }

    /// A parameter as given; an empty one counts as absent.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether the CSV is asked for (`format=csv`); `html` or nothing is the page.
    fn csv(&self) -> Result<bool, PageError> {
        match self.get("format") {
            None | Some("html") => Ok(false),
            Some("csv") => Ok(true),
            Some(_) => Err(PageError::BadRequest(
                "`format` must be `html` or `csv`".to_owned(),
            )),
        }
    }
}

/// One of the four reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ChangesInFunds,
    FinancialPosition,
    Collections,
    Distributions,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::ChangesInFunds,
        Kind::FinancialPosition,
        Kind::Collections,
        Kind::Distributions,
    ];

    fn path(self) -> &'static str {
        match self {
            Kind::ChangesInFunds => "/staff/reports/changes-in-funds",
            Kind::FinancialPosition => "/staff/reports/financial-position",
            Kind::Collections => "/staff/reports/collections",
            Kind::Distributions => "/staff/reports/distributions",
        }
    }

    /// What its ids and messages are named by.
    fn slug(self) -> &'static str {
        match self {
            Kind::ChangesInFunds => "changes",
            Kind::FinancialPosition => "position",
            Kind::Collections => "collections",
            Kind::Distributions => "distributions",
        }
    }

    fn title(self, staff: &Staff) -> String {
        staff.t(match self {
            Kind::ChangesInFunds => "reports-changes-title",
            Kind::FinancialPosition => "reports-position-title",
            Kind::Collections => "reports-collections-title",
            Kind::Distributions => "reports-distributions-title",
        })
    }

    fn intro(self, staff: &Staff) -> String {
        staff.t(match self {
            Kind::ChangesInFunds => "reports-changes-intro",
            Kind::FinancialPosition => "reports-position-intro",
            Kind::Collections => "reports-collections-intro",
            Kind::Distributions => "reports-distributions-intro",
        })
    }

    /// The date fields of its picker.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::FinancialPosition => &["at"],
            _ => &["from", "to"],
        }
    }
}

/// What a picker shows in its fields, and the problem with one of them.
struct Picker<'a> {
    values: HashMap<&'static str, String>,
    invalid: Option<(&'a str, &'a str)>,
}

impl Picker<'_> {
    /// The picker of a period shown.
    fn of_period(period: Period) -> Picker<'static> {
        Picker {
            values: HashMap::from([
                ("from", period.from().to_string()),
                ("to", period.to().to_string()),
            ]),
            invalid: None,
        }
    }

    /// The picker of a day shown.
    fn of_day(day: time::Date) -> Picker<'static> {
        Picker {
            values: HashMap::from([("at", day.to_string())]),
            invalid: None,
        }
    }
}

/// This year so far: what a report shows when no period is asked for.
fn year_to_date(today: time::Date) -> Period {
    let first =
        time::Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
    Period::new(first, today).expect("January 1st is not after today")
}

fn today() -> time::Date {
    domain::zakat::request::today_in_wib(time::OffsetDateTime::now_utc())
}

/// The period a report's query names (checked as the API checks it), or this year so far
/// when it names none.
fn requested_period(params: &Params) -> Result<Period, ApiError> {
    match (params.get("from"), params.get("to")) {
        (None, None) => Ok(year_to_date(today())),
        (from, to) => api::period_of(from, to),
    }
}

/// The defaults of the index's pickers: this year so far, and today.
fn default_picker(kind: Kind, today: time::Date) -> Picker<'static> {
    if kind == Kind::FinancialPosition {
        Picker::of_day(today)
    } else {
        Picker::of_period(year_to_date(today))
    }
}

/// The period picker of `kind` (a GET form: reading changes nothing).
fn picker(staff: &Staff, kind: Kind, picker: &Picker<'_>) -> Markup {
    let slug = kind.slug();
    html! {
        form.filters.report-picker method="get" action=(kind.path()) {
            @for field in kind.fields() {
                @let id = format!("{slug}-{field}");
                @let error_id = format!("{id}-error");
                @let invalid = picker.invalid.filter(|(name, _)| name == field);
                div.field {
                    label for=(id) { (staff.t(&format!("reports-field-{field}"))) }
                    @if let Some((_, message)) = invalid {
                        input #(id) type="date" name=(field) required
                            value=[picker.values.get(field)]
                            aria-invalid="true" aria-describedby=(error_id);
                        p.field-error #(error_id) {
                            (staff.t("reports-invalid-date")) br;
                            span lang="en" { (message) }
                        }
                    } @else {
                        input #(id) type="date" name=(field) required
                            value=[picker.values.get(field)];
                    }
                }
            }
            button type="submit" { (staff.t("reports-show")) }
        }
    }
}

/// The page of `kind` refusing its picker's `field` (422), the values kept as entered.
fn invalid(staff: &Staff, kind: Kind, params: &Params, field: &str, message: &str) -> Response {
    let picker_state = Picker {
        values: kind
            .fields()
            .iter()
            .filter_map(|field| Some((*field, params.get(field)?.to_owned())))
            .collect(),
        invalid: Some((field, message)),
    };
    let title = kind.title(staff);
    let body = html! {
        div.report {
            h1 { (title) }
            div.alert.error role="alert" { (staff.t("reports-invalid")) }
            (picker(staff, kind, &picker_state))
        }
    };
    (FORM_INVALID, layout::staff(staff, &title, &body)).into_response()
}

/// A refused field as the 422 page; any other error as its error page.
fn invalid_or_error(staff: &Staff, kind: Kind, params: &Params, err: ApiError) -> Response {
    match err {
        ApiError::Invalid { field, message } => invalid(staff, kind, params, &field, &message),
        other => PageError::from(other).into_response(),
    }
}

/// The link to the CSV of what is shown.
fn csv_link(kind: Kind, picker: &Picker<'_>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for field in kind.fields() {
        if let Some(value) = picker.values.get(field) {
            query.append_pair(field, value);
        }
    }
    query.append_pair("format", "csv");
    format!("{}?{}", kind.path(), query.finish())
}

/// A report page: title, what it covers, the picker, the CSV and print buttons, the body.
fn report_page(
    staff: &Staff,
    kind: Kind,
    covers: &str,
    shown: &Picker<'_>,
    body: &Markup,
) -> Markup {
    let title = kind.title(staff);
    let page = html! {
        div.report {
            p.report-kicker {
                (staff.t("books-institution-report"))
                @if matches!(kind, Kind::ChangesInFunds | Kind::FinancialPosition) { " · PSAK 109" }
            }
            h1 { (title) }
            p.report-meta { (covers) }
            div.report-tools.no-print {
                (picker(staff, kind, shown))
                p.actions {
                    a.button.secondary href=(csv_link(kind, shown)) download { (staff.t("reports-csv")) }
                    button.secondary.print type="button" hidden { (staff.t("reports-print")) }
                    a href="/staff/reports" { (staff.t("reports-all")) }
                }
            }
            (body)
        }
    };
    layout::staff(staff, &title, &page)
}

fn period_text(staff: &Staff, period: Period) -> String {
    staff.t_args(
        "reports-period",
        &[
            ("from", format::date(staff.lang, period.from()).into()),
            ("to", format::date(staff.lang, period.to()).into()),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// The pages.

/// `GET /staff/reports`: what each report is, each with its period picker.
async fn index(staff: Staff) -> Result<Markup, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let today = today();
    let title = staff.t("reports-title");
    let body = html! {
        h1 { (title) }
        p.lead { (staff.t("reports-lead")) }
        div.report-cards {
            @for kind in Kind::ALL {
                section.card aria-labelledby={ "report-" (kind.slug()) } {
                    h2 #{ "report-" (kind.slug()) } {
                        a href=(kind.path()) { (kind.title(&staff)) }
                    }
                    p { (kind.intro(&staff)) }
                    (picker(&staff, kind, &default_picker(kind, today)))
                }
            }
        }
    };
    Ok(layout::staff(&staff, &title, &body))
}

/// `GET /staff/reports/changes-in-funds?from=&to=`: the statement of changes in funds.
async fn changes_in_funds(
    State(state): State<AppState>,
    staff: Staff,
    uri: Uri,
) -> Result<Response, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let kind = Kind::ChangesInFunds;
    let params = Params::of(&uri);
    let csv = params.csv()?;
    let period = match requested_period(&params) {
        Ok(period) => period,
        Err(err) => return Ok(invalid_or_error(&staff, kind, &params, err)),
    };
    let report = api::changes_in_funds_report(&state, period).await?;
    if csv {
        return Ok(report.csv());
    }
    let body = changes_table(&staff, &report.view);
    Ok(report_page(
        &staff,
        kind,
        &period_text(&staff, period),
        &Picker::of_period(period),
        &body,
    )
    .into_response())
}

/// A statement row's label from its key (`opening`, `receipts.zakat_maal`, …); the rows of
/// receipts and of distributions sit under their group's heading, so they are named by what
/// they are of alone.
fn row_label(staff: &Staff, key: &str) -> String {
    let lang = staff.lang;
    match key.split_once('.') {
        Some(("receipts", "wakaf_benefit")) => staff.t("reports-row-wakaf-benefit"),
        Some(("receipts", name)) => DonationType::from_str(name).map_or_else(
            |_| key.to_owned(),
            |donation_type| type_name(lang, donation_type),
        ),
        Some(("distributions", name)) => use_name(lang, name),
        Some(("reversals", "void")) => staff.t("reports-row-void"),
        Some(("reversals", "refund")) => staff.t("reports-row-refund"),
        _ => match key {
            "opening" => staff.t("reports-row-opening"),
            "closing" => staff.t("reports-row-closing"),
            "amil_share" => staff.t("reports-row-amil-share"),
            "nazhir_share" => staff.t("reports-row-nazhir-share"),
            other => other.to_owned(),
        },
    }
}

/// Whether an exact decimal amount is zero (`0.00`, `-0.00`).
fn is_zero(exact: &str) -> bool {
    exact
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
}

fn changes_table(staff: &Staff, view: &ChangesInFundsView) -> Markup {
    let lang = staff.lang;
    let width = view.columns.len() + 2;
    let rows = |pick: &dyn Fn(&str) -> bool| -> Vec<&StatementRowView> {
        view.rows.iter().filter(|row| pick(&row.key)).collect()
    };
    let opening = rows(&|key| key == "opening");
    let receipts = rows(&|key| key.starts_with("receipts."));
    let shares =
        rows(&|key| key == "amil_share" || key == "nazhir_share" || key.starts_with("reversals."));
    let distributions = rows(&|key| key.starts_with("distributions."));
    let closing = rows(&|key| key == "closing");
    let line = |row: &StatementRowView, edge: bool| {
        let zero = !edge && row.amounts.values().all(|amount| is_zero(amount));
        html! {
            tr.edge[edge].zero[zero] data-key=(row.key) {
                th scope="row" { (row_label(staff, &row.key)) }
                @for column in &view.columns {
                    td.number {
                        @if let Some(amount) = row.amounts.get(column.fund.as_str()) {
                            (rupiah(lang, amount))
                        }
                    }
                }
                td.number.total { (rupiah(lang, &row.total)) }
            }
        }
    };
    html! {
        div.table-wrap tabindex="0" role="region" aria-label=(staff.t("reports-changes-title")) {
            table.statement #changes-in-funds {
                caption { (staff.t("reports-changes-caption")) }
                thead {
                    tr {
                        th scope="col" { (staff.t("reports-col-row")) }
                        @for column in &view.columns {
                            th.number scope="col" { (fund_name(lang, column.fund)) }
                        }
                        th.number scope="col" { (staff.t("reports-col-total")) }
                    }
                }
                tbody { @for row in opening { (line(row, true)) } }
                tbody {
                    tr.group { th scope="rowgroup" colspan=(width) { (staff.t("reports-group-receipts")) } }
                    @for row in receipts { (line(row, false)) }
                }
                tbody {
                    tr.group { th scope="rowgroup" colspan=(width) { (staff.t("reports-group-shares")) } }
                    @for row in shares { (line(row, false)) }
                }
                tbody {
                    tr.group { th scope="rowgroup" colspan=(width) { (staff.t("reports-group-distributions")) } }
                    @for row in distributions { (line(row, false)) }
                }
                tbody { @for row in closing { (line(row, true)) } }
            }
        }
        p.hint { (staff.t("reports-changes-note")) }
    }
}

/// `GET /staff/reports/financial-position?at=`: the statement of financial position at the end
/// of a day (today in WIB when not given).
async fn financial_position(
    State(state): State<AppState>,
    staff: Staff,
    uri: Uri,
) -> Result<Response, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let kind = Kind::FinancialPosition;
    let params = Params::of(&uri);
    let csv = params.csv()?;
    let at = match api::as_of("at", params.get("at")) {
        Ok(at) => at,
        Err(err) => return Ok(invalid_or_error(&staff, kind, &params, err)),
    };
    let report = api::financial_position_report(&state, at).await?;
    if csv {
        return Ok(report.csv());
    }
    let names = campaign_names(&state).await?;
    let body = position_tables(&staff, &report.view, &names);
    let covers = staff.t_args(
        "reports-as-of",
        &[("day", format::date(staff.lang, at).into())],
    );
    Ok(report_page(&staff, kind, &covers, &Picker::of_day(at), &body).into_response())
}

fn position_tables(
    staff: &Staff,
    view: &FinancialPositionView,
    names: &HashMap<Uuid, String>,
) -> Markup {
    let lang = staff.lang;
    html! {
        div.report-columns {
            section aria-labelledby="position-assets" {
                h2 #position-assets { (staff.t("reports-assets")) }
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("reports-assets")) {
                    table #assets {
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-account")) }
                                th.number scope="col" { (staff.t("reports-col-balance")) }
                            }
                        }
                        tbody {
                            @for asset in &view.assets {
                                tr data-key=(asset.account) {
                                    th scope="row" { (asset_name(lang, &asset.account)) }
                                    td.number { (rupiah(lang, &asset.balance)) }
                                }
                            }
                        }
                        tfoot {
                            tr data-key="total_assets" {
                                th scope="row" { (staff.t("reports-total-assets")) }
                                td.number { (rupiah(lang, &view.total_assets)) }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="position-funds" {
                h2 #position-funds { (staff.t("reports-funds")) }
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("reports-funds")) {
                    table #funds {
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-fund")) }
                                th.number scope="col" { (staff.t("reports-col-balance")) }
                            }
                        }
                        tbody {
                            @for total in &view.fund_totals {
                                tr data-key=(total.fund.as_str()) {
                                    th scope="row" { (fund_name(lang, total.fund)) }
                                    td.number { (rupiah(lang, &total.balance)) }
                                }
                                @for account in view.funds.iter().filter(|f| f.fund == total.fund && f.campaign_id.is_some()) {
                                    tr.sub data-key={ (total.fund.as_str()) ":" (account.campaign_id.map(|c| c.to_string()).unwrap_or_default()) } {
                                        th scope="row" { (campaign_label(staff, names, account.campaign_id)) }
                                        td.number { (rupiah(lang, &account.balance)) }
                                    }
                                }
                            }
                        }
                        tfoot {
                            tr data-key="total_funds" {
                                th scope="row" { (staff.t("reports-total-funds")) }
                                td.number { (rupiah(lang, &view.total_funds)) }
                            }
                        }
                    }
                }
            }
        }
        p.hint { (staff.t("reports-position-note")) }
    }
}

/// `GET /staff/reports/collections?from=&to=`: what came in, by type, month and campaign.
async fn collections(
    State(state): State<AppState>,
    staff: Staff,
    uri: Uri,
) -> Result<Response, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let kind = Kind::Collections;
    let params = Params::of(&uri);
    let csv = params.csv()?;
    let period = match requested_period(&params) {
        Ok(period) => period,
        Err(err) => return Ok(invalid_or_error(&staff, kind, &params, err)),
    };
    let report = api::collections_report(&state, period).await?;
    if csv {
        return Ok(report.csv());
    }
    let names = campaign_names(&state).await?;
    let body = collections_tables(&staff, &report.view, &names);
    Ok(report_page(
        &staff,
        kind,
        &period_text(&staff, period),
        &Picker::of_period(period),
        &body,
    )
    .into_response())
}

/// The column headings of a collections table after its first.
fn totals_head(staff: &Staff) -> Markup {
    html! {
        th.number scope="col" { (staff.t("reports-col-count")) }
        th.number scope="col" { (staff.t("reports-col-amount")) }
        th.number scope="col" { (staff.t("reports-col-amil-share")) }
        th.number scope="col" { (staff.t("reports-col-reversed")) }
        th.number scope="col" { (staff.t("reports-col-net")) }
    }
}

fn totals_cells(lang: Lang, totals: &TotalsView) -> Markup {
    html! {
        td.number { (format::count(lang, totals.count)) }
        td.number { (rupiah(lang, &totals.amount)) }
        td.number { (rupiah(lang, &totals.amil_share)) }
        td.number { (rupiah(lang, &totals.reversed)) }
        td.number { (rupiah(lang, &totals.net)) }
    }
}

/// A table with a heading: `rows` are (key, label, totals).
fn totals_table(
    staff: &Staff,
    id: &str,
    heading: &str,
    first_column: &str,
    rows: &[(String, String, &TotalsView)],
    total: &TotalsView,
) -> Markup {
    let lang = staff.lang;
    html! {
        section aria-labelledby={ (id) "-heading" } {
            h2 #{ (id) "-heading" } { (heading) }
            div.table-wrap tabindex="0" role="region" aria-label=(heading) {
                table #(id) {
                    thead { tr { th scope="col" { (first_column) } (totals_head(staff)) } }
                    tbody {
                        @for (key, label, totals) in rows {
                            tr data-key=(key) { th scope="row" { (label) } (totals_cells(lang, totals)) }
                        }
                    }
                    tfoot {
                        tr data-key="total" {
                            th scope="row" { (staff.t("reports-col-total")) }
                            (totals_cells(lang, total))
                        }
                    }
                }
            }
        }
    }
}

fn collections_tables(
    staff: &Staff,
    view: &CollectionsView,
    names: &HashMap<Uuid, String>,
) -> Markup {
    let lang = staff.lang;
    let by_type: Vec<_> = view
        .by_type
        .iter()
        .map(|row| {
            (
                row.donation_type.as_str().to_owned(),
                type_name(lang, row.donation_type),
                &row.totals,
            )
        })
        .collect();
    let by_month: Vec<_> = view
        .by_month
        .iter()
        .map(|row| (row.month.clone(), month_name(lang, &row.month), &row.totals))
        .collect();
    let by_campaign: Vec<_> = view
        .by_campaign
        .iter()
        .map(|row| {
            (
                row.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
                campaign_label(staff, names, row.campaign_id),
                &row.totals,
            )
        })
        .collect();
    html! {
        dl.summary {
            div { dt { (staff.t("reports-col-count")) } dd { (format::count(lang, view.total.count)) } }
            div { dt { (staff.t("reports-col-amount")) } dd { (rupiah(lang, &view.total.amount)) } }
            div { dt { (staff.t("reports-col-amil-share")) } dd { (rupiah(lang, &view.total.amil_share)) } }
            div { dt { (staff.t("reports-col-reversed")) } dd { (rupiah(lang, &view.total.reversed)) } }
            div { dt { (staff.t("reports-col-net")) } dd #collections-net { (rupiah(lang, &view.total.net)) } }
        }
        (totals_table(staff, "by-type", &staff.t("reports-by-type"), &staff.t("reports-col-type"), &by_type, &view.total))
        (totals_table(staff, "by-month", &staff.t("reports-by-month"), &staff.t("reports-col-month"), &by_month, &view.total))
        (totals_table(staff, "by-campaign", &staff.t("reports-by-campaign"), &staff.t("reports-col-campaign"), &by_campaign, &view.total))
        section aria-labelledby="collection-rows-heading" {
            h2 #collection-rows-heading { (staff.t("reports-details")) }
            @if view.rows.is_empty() {
                p.muted { (staff.t("reports-nothing")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("reports-details")) {
                    table #collection-rows {
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-month")) }
                                th scope="col" { (staff.t("reports-col-type")) }
                                th scope="col" { (staff.t("reports-col-fund")) }
                                th scope="col" { (staff.t("reports-col-campaign")) }
                                (totals_head(staff))
                            }
                        }
                        tbody {
                            @for row in &view.rows {
                                tr {
                                    th scope="row" { (month_name(lang, &row.month)) }
                                    td { (type_name(lang, row.donation_type)) }
                                    td { (fund_name(lang, row.fund)) }
                                    td { (campaign_label(staff, names, row.campaign_id)) }
                                    (totals_cells(lang, &row.totals))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /staff/reports/distributions?from=&to=`: what was paid out, by asnaf or purpose,
/// program and fund.
async fn distributions(
    State(state): State<AppState>,
    staff: Staff,
    uri: Uri,
) -> Result<Response, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let kind = Kind::Distributions;
    let params = Params::of(&uri);
    let csv = params.csv()?;
    let period = match requested_period(&params) {
        Ok(period) => period,
        Err(err) => return Ok(invalid_or_error(&staff, kind, &params, err)),
    };
    let report = api::distributions_report(&state, period).await?;
    if csv {
        return Ok(report.csv());
    }
    let names = campaign_names(&state).await?;
    let body = distributions_tables(&staff, &report.view, &names);
    Ok(report_page(
        &staff,
        kind,
        &period_text(&staff, period),
        &Picker::of_period(period),
        &body,
    )
    .into_response())
}

/// A table of groups (count and amount) with a heading; `label` names a group's key.
fn group_table(
    staff: &Staff,
    id: &str,
    heading: &str,
    first_column: &str,
    groups: &[GroupView],
    total: &GroupView,
    label: impl Fn(&str) -> String,
) -> Markup {
    let lang = staff.lang;
    html! {
        section aria-labelledby={ (id) "-heading" } {
            h2 #{ (id) "-heading" } { (heading) }
            div.table-wrap tabindex="0" role="region" aria-label=(heading) {
                table #(id) {
                    thead {
                        tr {
                            th scope="col" { (first_column) }
                            th.number scope="col" { (staff.t("reports-col-count")) }
                            th.number scope="col" { (staff.t("reports-col-amount")) }
                        }
                    }
                    tbody {
                        @for group in groups {
                            tr data-key=(group.key) {
                                th scope="row" { (label(&group.key)) }
                                td.number { (format::count(lang, group.count)) }
                                td.number { (rupiah(lang, &group.amount)) }
                            }
                        }
                    }
                    tfoot {
                        tr data-key="total" {
                            th scope="row" { (staff.t("reports-col-total")) }
                            td.number { (format::count(lang, total.count)) }
                            td.number { (rupiah(lang, &total.amount)) }
                        }
                    }
                }
            }
        }
    }
}

fn distributions_tables(
    staff: &Staff,
    view: &DistributionsReportView,
    names: &HashMap<Uuid, String>,
) -> Markup {
    let lang = staff.lang;
    html! {
        dl.summary {
            div { dt { (staff.t("reports-col-count")) } dd { (format::count(lang, view.total.count)) } }
            div { dt { (staff.t("reports-col-amount")) } dd #distributions-total { (rupiah(lang, &view.total.amount)) } }
        }
        (group_table(staff, "by-target", &staff.t("reports-by-target"), &staff.t("reports-col-target"),
            &view.by_target, &view.total, |key| use_name(lang, key)))
        (group_table(staff, "by-program", &staff.t("reports-by-program"), &staff.t("reports-col-program"),
            &view.by_program, &view.total, str::to_owned))
        (group_table(staff, "by-fund", &staff.t("reports-by-fund"), &staff.t("reports-col-fund"),
            &view.by_fund, &view.total, |key| Fund::from_str(key).map_or_else(|_| key.to_owned(), |fund| fund_name(lang, fund))))
        section aria-labelledby="distribution-rows-heading" {
            h2 #distribution-rows-heading { (staff.t("reports-details")) }
            @if view.rows.is_empty() {
                p.muted { (staff.t("reports-nothing")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("reports-details")) {
                    table #distribution-rows {
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-target")) }
                                th scope="col" { (staff.t("reports-col-program")) }
                                th scope="col" { (staff.t("reports-col-fund")) }
                                th scope="col" { (staff.t("reports-col-campaign")) }
                                th.number scope="col" { (staff.t("reports-col-count")) }
                                th.number scope="col" { (staff.t("reports-col-amount")) }
                            }
                        }
                        tbody {
                            @for row in &view.rows {
                                tr {
                                    th scope="row" { (use_name(lang, &row.target)) }
                                    td { (row.program) }
                                    td { (fund_name(lang, row.fund)) }
                                    td { (campaign_label(staff, names, row.campaign_id)) }
                                    td.number { (format::count(lang, row.count)) }
                                    td.number { (rupiah(lang, &row.amount)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::reports::Use;

    #[test]
    fn every_fund_type_asset_asnaf_and_purpose_has_a_name_in_both_languages() {
        for lang in Lang::ALL {
            let mut names: Vec<(String, String)> = Vec::new();
            for fund in Fund::ALL {
                names.push((fund.as_str().to_owned(), fund_name(lang, *fund)));
            }
            for donation_type in DonationType::ALL {
                names.push((
                    donation_type.as_str().to_owned(),
                    type_name(lang, *donation_type),
                ));
            }
            for target in Use::all() {
                names.push((target.as_str().to_owned(), use_name(lang, target.as_str())));
            }
            for asset in ["cash", "bank", "amil_share_receivable"] {
                names.push((asset.to_owned(), asset_name(lang, asset)));
            }
            for (key, name) in names {
                assert!(!name.starts_with("books-"), "{lang:?}: no name for `{key}`");
            }
        }
    }

    #[test]
    fn amounts_keep_the_exact_figure_and_read_as_rupiah() {
        assert_eq!(
            rupiah(Lang::Id, "2500000.00").into_string(),
            "<data value=\"2500000.00\">Rp 2.500.000</data>"
        );
        assert_eq!(
            amount_in(Lang::En, "12.50", "USD").into_string(),
            "<data value=\"12.50\">USD 12.5</data>"
        );
        assert_eq!(month_name(Lang::Id, "2026-03"), "Maret 2026");
        assert_eq!(month_name(Lang::En, "bad"), "bad");
    }
}
