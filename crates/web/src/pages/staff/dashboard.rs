//! `GET /staff`: the dashboard — fund balances, collections and distributions of the last
//! twelve months (SVG charts drawn here, with their numbers as a table), and the campaigns
//! that collected most in those months.
//!
//! Fast on big books: the balances are the kept ones (`GET /api/v1/funds`' code), the series
//! are sums the database makes per month and campaign (`storage::views::books`), and the four
//! reads run at once.

mod chart;

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr as _;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use domain::{Currency, Fund};
use maud::{Markup, html};
use rust_decimal::Decimal;
use storage::views::MonthlySum;
use time::{Date, Month};
use uuid::Uuid;

use self::chart::Bar;
use super::super::error::PageError;
use super::super::format;
use super::super::i18n::Lang;
use super::super::layout;
use super::super::session::Staff;
use super::reports::{amount_in, asset_name, campaign_names, fund_name, rupiah};
use crate::AppState;
use crate::api::funds::{FundBalanceView, FundsView, funds_view};

/// How many months the charts show: this one and the eleven before it.
const MONTHS_SHOWN: u8 = 12;

/// How many campaigns the dashboard ranks.
const TOP_CAMPAIGNS: usize = 5;

const IDR: Currency = Currency::IDR;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/staff", get(dashboard))
}

/// The `MONTHS_SHOWN` months ending with `today`'s, oldest first.
fn months_ending(today: Date) -> Vec<(i32, Month)> {
    let mut months = Vec::with_capacity(usize::from(MONTHS_SHOWN));
    let (mut year, mut month) = (today.year(), today.month());
    for _ in 0..MONTHS_SHOWN {
        months.push((year, month));
        if month == Month::January {
            year -= 1;
        }
        month = month.previous();
    }
    months.reverse();
    months
}

fn month_key((year, month): (i32, Month)) -> String {
    format!("{year:04}-{:02}", u8::from(month))
}

/// One month's totals: (count, minor units).
#[derive(Clone, Copy, Default)]
struct Tally {
    count: i64,
    minor: i64,
}

impl Tally {
    fn add(&mut self, sum: &MonthlySum) {
        self.count += sum.count;
        self.minor += sum.amount_minor;
    }
}

/// The sums folded per month.
fn per_month(sums: &[MonthlySum]) -> HashMap<&str, Tally> {
    let mut months: HashMap<&str, Tally> = HashMap::new();
    for sum in sums {
        months.entry(sum.month.as_str()).or_default().add(sum);
    }
    months
}

/// The sums folded per campaign (money given for none left out).
fn per_campaign(sums: &[MonthlySum]) -> HashMap<Uuid, Tally> {
    let mut campaigns: HashMap<Uuid, Tally> = HashMap::new();
    for sum in sums {
        if let Some(id) = sum.campaign_id {
            campaigns.entry(id).or_default().add(sum);
        }
    }
    campaigns
}

/// A whole-rupiah amount for a chart's gridline: `Rp 2,5 jt` would need a compact format per
/// language; the exact one is short enough at the scale of one institution.
fn minor_as_rupiah(lang: Lang, minor: i64) -> String {
    let exact = IDR.format_minor(minor);
    exact
        .parse()
        .map_or(exact, |value| format::rupiah(lang, value))
}

/// `GET /staff`.
async fn dashboard(State(state): State<AppState>, staff: Staff) -> Result<Markup, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let today = domain::zakat::request::today_in_wib(time::OffsetDateTime::now_utc());
    let months = months_ending(today);
    let (first_year, first_month) = months[0];
    let from = Date::from_calendar_date(first_year, first_month, 1)
        .expect("the first day of a month exists");
    let database = state.database();
    let (funds, collected, distributed, names) = tokio::try_join!(
        async { funds_view(&state).await.map_err(PageError::from) },
        async {
            database
                .donations_by_month(from, today)
                .await
                .map_err(PageError::from)
        },
        async {
            database
                .distributions_by_month(from, today)
                .await
                .map_err(PageError::from)
        },
        campaign_names(&state),
    )?;
    let title = staff.t("nav-dashboard");
    let body = html! {
        h1 { (title) }
        @if staff.can(domain::role::RECORDERS) {
            p.actions.dashboard-actions {
                a.button href="/staff/donations/new" { (staff.t("dashboard-record-donation")) }
                a.button.secondary href="/staff/distributions/new" { (staff.t("dashboard-record-distribution")) }
                a.button.secondary href="/staff/reports" { (staff.t("nav-reports")) }
            }
        }
        (balances(&staff, &funds, &names))
        (over_time(&staff, &months, &collected, &distributed))
        (top_campaigns(&staff, &collected, &distributed, &names))
    };
    Ok(layout::staff(&staff, &title, &body))
}

/// A row of the funds' table.
enum FundRow<'a> {
    /// A fund kept as one account.
    Own(&'a FundBalanceView),
    /// A fund kept per campaign (restricted infak): its total, over the rows that follow.
    Total {
        fund: Fund,
        currency: String,
        total: Decimal,
    },
    /// One campaign's account of it.
    Campaign {
        account: &'a FundBalanceView,
        name: String,
    },
}

/// The funds in their order; a fund kept per campaign as its total, then each campaign's
/// account by name.
fn fund_rows<'a>(funds: &'a FundsView, names: &HashMap<Uuid, String>) -> Vec<FundRow<'a>> {
    let mut rows = Vec::new();
    for fund in Fund::ALL {
        let accounts: Vec<&FundBalanceView> =
            funds.funds.iter().filter(|f| f.fund == *fund).collect();
        rows.extend(
            accounts
                .iter()
                .filter(|account| account.campaign_id.is_none())
                .map(|account| FundRow::Own(account)),
        );
        let mut campaigns: Vec<(&FundBalanceView, String)> = accounts
            .iter()
            .filter_map(|account| {
                let id = account.campaign_id?;
                let name = names.get(&id).cloned().unwrap_or_else(|| id.to_string());
                Some((*account, name))
            })
            .collect();
        if campaigns.is_empty() {
            continue;
        }
        campaigns.sort_by(|a, b| (&a.0.currency, &a.1).cmp(&(&b.0.currency, &b.1)));
        let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (account, _) in &campaigns {
            *totals.entry(account.currency.as_str()).or_default() +=
                Decimal::from_str(&account.balance).unwrap_or_default();
        }
        for (currency, total) in totals {
            rows.push(FundRow::Total {
                fund: *fund,
                currency: currency.to_owned(),
                total,
            });
            rows.extend(
                campaigns
                    .iter()
                    .filter(|(account, _)| account.currency == currency)
                    .map(|(account, name)| FundRow::Campaign {
                        account,
                        name: name.clone(),
                    }),
            );
        }
    }
    rows
}

/// The funds' and assets' balances, as `GET /api/v1/funds` gives them.
fn balances(staff: &Staff, funds: &FundsView, names: &HashMap<Uuid, String>) -> Markup {
    let lang = staff.lang;
    let rows = fund_rows(funds, names);
    html! {
        section aria-labelledby="balances-heading" {
            h2 #balances-heading { (staff.t("dashboard-balances")) }
            div.books-grid {
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("dashboard-funds")) {
                    table #fund-balances {
                        caption { (staff.t("dashboard-funds")) }
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-fund")) }
                                th.number scope="col" { (staff.t("reports-col-balance")) }
                            }
                        }
                        tbody {
                            @for row in &rows {
                                @match row {
                                    FundRow::Own(fund) => tr data-key={ (fund.fund.as_str()) ":" (fund.currency) } {
                                        th scope="row" { (fund_name(lang, fund.fund)) }
                                        td.number { (amount_in(lang, &fund.balance, &fund.currency)) }
                                    },
                                    FundRow::Total { fund, currency, total } => tr data-key={ (fund.as_str()) ":total:" (currency) } {
                                        th scope="row" { (fund_name(lang, *fund)) }
                                        td.number { (amount_in(lang, &total.to_string(), currency)) }
                                    },
                                    FundRow::Campaign { account, name } => tr.sub data-key={
                                        (account.fund.as_str()) ":" (account.campaign_id.map(|id| id.to_string()).unwrap_or_default()) ":" (account.currency)
                                    } {
                                        th scope="row" { (staff.t_args("dashboard-restricted-for", &[("campaign", name.clone().into())])) }
                                        td.number { (amount_in(lang, &account.balance, &account.currency)) }
                                    },
                                }
                            }
                        }
                    }
                }
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("dashboard-assets")) {
                    table #asset-balances {
                        caption { (staff.t("dashboard-assets")) }
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-account")) }
                                th.number scope="col" { (staff.t("reports-col-balance")) }
                            }
                        }
                        tbody {
                            @if funds.assets.is_empty() {
                                tr { td colspan="2" { (staff.t("dashboard-no-assets")) } }
                            }
                            @for asset in &funds.assets {
                                tr data-key={ (asset.account) ":" (asset.currency) } {
                                    th scope="row" { (asset_name(lang, &asset.account)) }
                                    td.number { (amount_in(lang, &asset.balance, &asset.currency)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One month of the charts.
struct MonthRow {
    /// `YYYY-MM`.
    key: String,
    /// `Maret 2026`.
    name: String,
    month: Month,
    collected: Tally,
    distributed: Tally,
}

/// Collections and distributions per month: two charts and the table of their numbers.
fn over_time(
    staff: &Staff,
    months: &[(i32, Month)],
    collected: &[MonthlySum],
    distributed: &[MonthlySum],
) -> Markup {
    let lang = staff.lang;
    let collected = per_month(collected);
    let distributed = per_month(distributed);
    let rows: Vec<MonthRow> = months
        .iter()
        .map(|&(year, month)| {
            let key = month_key((year, month));
            let tally =
                |sums: &HashMap<&str, Tally>| sums.get(key.as_str()).copied().unwrap_or_default();
            MonthRow {
                name: format::month_year(lang, year, month),
                month,
                collected: tally(&collected),
                distributed: tally(&distributed),
                key,
            }
        })
        .collect();
    html! {
        section aria-labelledby="over-time-heading" {
            h2 #over-time-heading { (staff.t("dashboard-over-time")) }
            div.books-grid {
                (month_chart(staff, &rows, "chart-collections", "collections", "dashboard-chart-collections", |row| row.collected))
                (month_chart(staff, &rows, "chart-distributions", "distributions", "dashboard-chart-distributions", |row| row.distributed))
            }
            (monthly_table(staff, &rows))
        }
    }
}

/// A chart of what `pick` takes from each month, titled by the message `title_id`.
fn month_chart(
    staff: &Staff,
    rows: &[MonthRow],
    id: &str,
    class: &str,
    title_id: &str,
    pick: fn(&MonthRow) -> Tally,
) -> Markup {
    let lang = staff.lang;
    let bars: Vec<Bar> = rows
        .iter()
        .map(|row| Bar {
            label: short_month(lang, row.month),
            title: format!("{}: {}", row.name, minor_as_rupiah(lang, pick(row).minor)),
            value: pick(row).minor,
        })
        .collect();
    let total: i64 = rows.iter().map(|row| pick(row).minor).sum();
    let highest = rows.iter().max_by_key(|row| pick(row).minor);
    let description = match highest {
        Some(row) if pick(row).minor > 0 => staff.t_args(
            "dashboard-chart-desc",
            &[
                ("total", minor_as_rupiah(lang, total).into()),
                ("month", row.name.clone().into()),
                ("highest", minor_as_rupiah(lang, pick(row).minor).into()),
            ],
        ),
        _ => staff.t("dashboard-chart-empty"),
    };
    let name = |row: Option<&MonthRow>| row.map(|row| row.name.clone()).unwrap_or_default();
    let title = staff.t_args(
        title_id,
        &[
            ("from", name(rows.first()).into()),
            ("to", name(rows.last()).into()),
        ],
    );
    html! {
        figure.chart-figure {
            figcaption { (title) }
            (chart::bar_chart(id, &title, &description, class, &bars, |minor| minor_as_rupiah(lang, minor)))
            p.hint { (description) }
        }
    }
}

/// The charts' numbers, newest month first, with the totals.
fn monthly_table(staff: &Staff, rows: &[MonthRow]) -> Markup {
    let lang = staff.lang;
    let sum = |pick: fn(&MonthRow) -> i64| -> i64 { rows.iter().map(pick).sum() };
    html! {
        div.table-wrap tabindex="0" role="region" aria-label=(staff.t("dashboard-monthly-caption")) {
            table #monthly {
                caption { (staff.t("dashboard-monthly-caption")) }
                thead {
                    tr {
                        th scope="col" { (staff.t("reports-col-month")) }
                        th.number scope="col" { (staff.t("dashboard-col-donations")) }
                        th.number scope="col" { (staff.t("dashboard-col-collected")) }
                        th.number scope="col" { (staff.t("dashboard-col-distributions")) }
                        th.number scope="col" { (staff.t("dashboard-col-distributed")) }
                    }
                }
                tbody {
                    @for row in rows.iter().rev() {
                        tr data-key=(row.key) {
                            th scope="row" { (row.name) }
                            td.number { (format::count(lang, row.collected.count)) }
                            td.number { (rupiah(lang, &IDR.format_minor(row.collected.minor))) }
                            td.number { (format::count(lang, row.distributed.count)) }
                            td.number { (rupiah(lang, &IDR.format_minor(row.distributed.minor))) }
                        }
                    }
                }
                tfoot {
                    tr data-key="total" {
                        th scope="row" { (staff.t("reports-col-total")) }
                        td.number { (format::count(lang, sum(|row| row.collected.count))) }
                        td.number { (rupiah(lang, &IDR.format_minor(sum(|row| row.collected.minor)))) }
                        td.number { (format::count(lang, sum(|row| row.distributed.count))) }
                        td.number { (rupiah(lang, &IDR.format_minor(sum(|row| row.distributed.minor)))) }
                    }
                }
            }
        }
    }
}

/// `Jan`, `Agu`, `Des`: a month's name cut to three letters (both languages' abbreviations).
fn short_month(lang: Lang, month: Month) -> String {
    format::month(lang, month).chars().take(3).collect()
}

/// The campaigns that collected most in the months shown.
fn top_campaigns(
    staff: &Staff,
    collected: &[MonthlySum],
    distributed: &[MonthlySum],
    names: &HashMap<Uuid, String>,
) -> Markup {
    let lang = staff.lang;
    let received = per_campaign(collected);
    let paid = per_campaign(distributed);
    // Largest first; ties by name so the order is stable.
    let mut ranked: Vec<(&Uuid, &Tally)> = received.iter().collect();
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    ranked.sort_by(|a, b| {
        b.1.minor
            .cmp(&a.1.minor)
            .then_with(|| name(a.0).cmp(&name(b.0)))
    });
    ranked.truncate(TOP_CAMPAIGNS);
    html! {
        section aria-labelledby="campaigns-heading" {
            h2 #campaigns-heading { (staff.t("dashboard-top-campaigns")) }
            @if ranked.is_empty() {
                p.muted { (staff.t("dashboard-no-campaigns")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(staff.t("dashboard-top-campaigns-caption")) {
                    table #top-campaigns {
                        caption { (staff.t("dashboard-top-campaigns-caption")) }
                        thead {
                            tr {
                                th scope="col" { (staff.t("reports-col-campaign")) }
                                th.number scope="col" { (staff.t("dashboard-col-donations")) }
                                th.number scope="col" { (staff.t("dashboard-col-collected")) }
                                th.number scope="col" { (staff.t("dashboard-col-distributed")) }
                            }
                        }
                        tbody {
                            @for (id, tally) in &ranked {
                                tr data-key=(id) {
                                    th scope="row" { a href={ "/campaigns/" (id) } { (name(id)) } }
                                    td.number { (format::count(lang, tally.count)) }
                                    td.number { (rupiah(lang, &IDR.format_minor(tally.minor))) }
                                    td.number { (rupiah(lang, &IDR.format_minor(paid.get(*id).map_or(0, |t| t.minor)))) }
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

    #[test]
    fn the_twelve_months_end_with_this_one_across_a_new_year() {
        let months = months_ending(time::macros::date!(2026 - 03 - 15));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], (2025, Month::April));
        assert_eq!(months[8], (2025, Month::December));
        assert_eq!(months[11], (2026, Month::March));
        assert_eq!(month_key(months[9]), "2026-01");
    }

    #[test]
    fn month_labels_are_three_letters_in_each_language() {
        assert_eq!(short_month(Lang::Id, Month::August), "Agu");
        assert_eq!(short_month(Lang::En, Month::August), "Aug");
        assert_eq!(short_month(Lang::Id, Month::May), "Mei");
    }
}
