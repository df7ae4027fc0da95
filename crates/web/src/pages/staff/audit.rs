//! The audit trail: browse the chain (newest first, by action), verify it, and copy its signed
//! head — for admins and auditors (`domain::role::VERIFIERS`), as the API's verification.
//!
//! Verifying is the API's code (`api::audit::verify_view`): the whole chain recomputed, every
//! checkpoint's signature checked, every kept balance compared with its journal. The signed
//! head is what `donation_platform audit head` prints, for keeping outside the database and
//! checking later with `audit verify --against`.

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::routing::get;
use domain::audit::{self, Hash};
use maud::{Markup, html};
use storage::ledger::HeadLine;
use storage::views::AuditListed;

use super::super::error::PageError;
use super::super::format;
use super::super::layout;
use super::super::session::Staff;
use crate::AppState;
use crate::api::audit::{AuditReportView, verify_view};

/// Entries one page of the trail lists.
const PAGE_SIZE: u16 = 50;

/// Hex digits of a hash the list shows (the full hash is its tooltip): 48 bits tell entries
/// apart at a glance.
const HASH_PREFIX_DIGITS: usize = 12;

/// An action is a dotted name of a few words (`donation.record`); anything longer is not one.
const ACTION_LENGTH_MAX: usize = 64;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/audit", get(list))
        .route("/staff/audit/verify", get(verify))
}

/// The trail's query: `before` (a sequence number: the page lists older entries) and
/// `action` (only those).
struct ListQuery {
    before: Option<i64>,
    action: Option<String>,
}

impl ListQuery {
    fn of(uri: &Uri) -> Result<ListQuery, PageError> {
        let mut query = ListQuery {
            before: None,
            action: None,
        };
        for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            let value = value.trim();
            match name.as_ref() {
                "before" if query.before.is_none() && !value.is_empty() => {
                    let seq = value
                        .parse::<i64>()
                        .ok()
                        .filter(|seq| *seq > 0)
                        .ok_or_else(|| {
                            PageError::BadRequest(
                                "`before` must be a positive entry number".to_owned(),
                            )
                        })?;
                    query.before = Some(seq);
                }
                "action" if query.action.is_none() && !value.is_empty() => {
                    if value.len() > ACTION_LENGTH_MAX {
                        return Err(PageError::BadRequest(format!(
                            "`action` is at most {ACTION_LENGTH_MAX} characters"
                        )));
                    }
                    query.action = Some(value.to_owned());
                }
                _ => {}
            }
        }
        Ok(query)
    }

    /// The link to this list with `before` (and the same action).
    fn link(&self, before: Option<i64>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(action) = &self.action {
            query.append_pair("action", action);
        }
        if let Some(before) = before {
            query.append_pair("before", &before.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            "/staff/audit".to_owned()
        } else {
            format!("/staff/audit?{query}")
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    audit::to_hex(bytes)
}

/// A hash as its first digits, the whole in the tooltip.
fn short_hash(bytes: &[u8]) -> Markup {
    let full = hex(bytes);
    let prefix: String = full.chars().take(HASH_PREFIX_DIGITS).collect();
    html! { code.hash title=(full) { (prefix) "…" } }
}

/// `GET /staff/audit?action=&before=`: the chain, newest first, a page at a time.
async fn list(State(state): State<AppState>, staff: Staff, uri: Uri) -> Result<Markup, PageError> {
    staff.require(domain::role::VERIFIERS)?;
    let query = ListQuery::of(&uri)?;
    let database = state.database();
    let (length, entries) = tokio::try_join!(
        database.audit_length(),
        database.audit_list(query.before, query.action.as_deref(), PAGE_SIZE),
    )?;
    let lang = staff.lang;
    let older = (entries.len() == usize::from(PAGE_SIZE))
        .then(|| entries.last().map(|entry| entry.seq))
        .flatten();
    let title = staff.t("audit-title");
    let body = html! {
        h1 { (title) }
        p.lead {
            (staff.t_args("audit-length", &[("count", format::count(lang, length).into())])) " "
            a href="/staff/audit/verify" { (staff.t("audit-verify-link")) }
        }
        form.filters method="get" action="/staff/audit" {
            div.field {
                label for="audit-action" {
                    (staff.t("audit-action"))
                    span.hint { (staff.t("audit-action-hint")) }
                }
                input #audit-action type="text" name="action" maxlength=(ACTION_LENGTH_MAX)
                    value=[query.action.as_deref()] autocomplete="off" spellcheck="false";
            }
            button type="submit" { (staff.t("audit-filter")) }
            @if query.action.is_some() {
                a href="/staff/audit" { (staff.t("audit-all-actions")) }
            }
        }
        @if entries.is_empty() {
            p.muted #audit-empty { (staff.t("audit-none")) }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label=(staff.t("audit-caption")) {
                table #audit-entries {
                    caption { (staff.t("audit-caption")) }
                    thead {
                        tr {
                            th.number scope="col" { (staff.t("audit-col-seq")) }
                            th scope="col" { (staff.t("audit-col-time")) }
                            th scope="col" { (staff.t("audit-col-actor")) }
                            th scope="col" { (staff.t("audit-col-action")) }
                            th scope="col" { (staff.t("audit-col-subject")) }
                            th scope="col" { (staff.t("audit-col-hash")) }
                            th scope="col" { (staff.t("audit-col-prev")) }
                        }
                    }
                    tbody {
                        @for entry in &entries {
                            (entry_row(lang, entry))
                        }
                    }
                }
            }
        }
        nav.pager aria-label=(staff.t("audit-pages")) {
            @if query.before.is_some() {
                a href=(query.link(None)) { (staff.t("audit-newest")) }
            }
            @if let Some(seq) = older {
                a href=(query.link(Some(seq))) rel="next" { (staff.t("audit-older")) }
            }
        }
    };
    Ok(layout::staff(&staff, &title, &body))
}

fn entry_row(lang: super::super::i18n::Lang, entry: &AuditListed) -> Markup {
    let filter = form_urlencoded::Serializer::new(String::new())
        .append_pair("action", &entry.action)
        .finish();
    html! {
        tr #{ "entry-" (entry.seq) } {
            th.number scope="row" { (entry.seq) }
            td { time datetime=(audit::format_recorded_at(entry.recorded_at)) { (format::date_time(lang, entry.recorded_at)) } }
            td { code { (entry.actor) } }
            td { a href={ "/staff/audit?" (filter) } { code { (entry.action) } } }
            td { code.subject { (entry.subject) } }
            td { (short_hash(&entry.hash)) }
            td { (short_hash(&entry.prev_hash)) }
        }
    }
}

/// The head of a chain that verified, signed as `audit head` signs it.
fn signed_head(state: &AppState, report: &AuditReportView) -> Option<HeadLine> {
    if report.problem.is_some() || report.entries == 0 {
        return None;
    }
    let hash = audit::from_hex(&report.head).and_then(|bytes| Hash::try_from(bytes).ok())?;
    Some(HeadLine::sign(
        state.checkpoint_key(),
        report.entries,
        &hash,
    ))
}

/// `GET /staff/audit/verify`: runs the verification and shows the outcome, the newest signed
/// checkpoint and the signed head.
async fn verify(State(state): State<AppState>, staff: Staff) -> Result<Markup, PageError> {
    staff.require(domain::role::VERIFIERS)?;
    let report = verify_view(&state).await?;
    let checkpoint = state.database().latest_checkpoint().await?;
    let head = signed_head(&state, &report);
    let title = staff.t("audit-verify-title");
    let body = html! {
        h1 { (title) }
        (outcome(&staff, &report))
        (chain_facts(&staff, &report))
        h2 { (staff.t("audit-latest-checkpoint")) }
        @if let Some(checkpoint) = &checkpoint {
            dl.facts #latest-checkpoint {
                dt { (staff.t("audit-col-seq")) }
                dd #checkpoint-seq { (checkpoint.seq) }
                dt { (staff.t("audit-col-time")) }
                dd { (format::date_time(staff.lang, checkpoint.created_at)) }
                dt { (staff.t("audit-algorithm")) }
                dd { (checkpoint.algorithm) }
                dt { (staff.t("audit-col-hash")) }
                dd { code.hash-full { (hex(&checkpoint.hash)) } }
                dt { (staff.t("audit-key-id")) }
                dd { code.hash-full { (hex(&checkpoint.key_id)) } }
                dt { (staff.t("audit-signature")) }
                dd { code.hash-full { (hex(&checkpoint.signature)) } }
            }
        } @else {
            p.muted { (staff.t("audit-no-checkpoint")) }
        }
        h2 { (staff.t("audit-signed-head")) }
        @if let Some(head) = &head {
            p { (staff.t("audit-signed-head-intro")) }
            pre.head-line #signed-head { code { (serde_json::to_string(head).unwrap_or_default()) } }
            p.hint {
                (staff.t("audit-signed-head-check")) " "
                code { "donation_platform audit verify --against heads.jsonl" }
            }
        } @else {
            p.muted #no-signed-head { (staff.t("audit-no-head")) }
        }
    };
    Ok(layout::staff(&staff, &title, &body))
}

/// A count of the report, as the language writes numbers.
fn count(staff: &Staff, n: u64) -> String {
    format::count(staff.lang, i64::try_from(n).unwrap_or(i64::MAX))
}

/// Intact, or the first bad entry (linked to where the trail lists it), and any kept balance
/// that differs from its journal.
fn outcome(staff: &Staff, report: &AuditReportView) -> Markup {
    let lang = staff.lang;
    html! {
        @match &report.problem {
            None if report.ok => {
                div.alert.ok #audit-outcome role="status" {
                    strong { (staff.t("audit-intact")) } " "
                    (staff.t_args("audit-intact-detail", &[
                        ("entries", count(staff, report.entries).into()),
                        ("checkpoints", count(staff, report.checkpoints_verified).into()),
                        ("balances", count(staff, report.balances_checked).into()),
                    ]))
                }
            }
            None => {
                div.alert.error #audit-outcome role="alert" {
                    strong { (staff.t("audit-balances-differ")) }
                }
            }
            Some(problem) => {
                div.alert.error #audit-outcome role="alert" {
                    strong { (staff.t("audit-broken")) } " "
                    (staff.t("audit-first-bad")) " "
                    a href={ "/staff/audit?before=" (problem.seq.saturating_add(1)) } {
                        "#" strong #first-bad-entry { (problem.seq) }
                    }
                    p lang="en" { (problem.reason) }
                }
            }
        }
        @if !report.balance_differences.is_empty() {
            h2 { (staff.t("audit-differences")) }
            div.table-wrap tabindex="0" role="region" aria-label=(staff.t("audit-differences")) {
                table #balance-differences {
                    thead {
                        tr {
                            th scope="col" { (staff.t("reports-col-account")) }
                            th scope="col" { (staff.t("audit-col-currency")) }
                            th.number scope="col" { (staff.t("audit-col-kept")) }
                            th.number scope="col" { (staff.t("audit-col-journal")) }
                        }
                    }
                    tbody {
                        @for difference in &report.balance_differences {
                            tr {
                                th scope="row" { code { (difference.account) } }
                                td { (difference.currency) }
                                td.number { (format::count(lang, difference.kept_minor)) }
                                td.number { (format::count(lang, difference.journal_minor)) }
                            }
                        }
                    }
                }
            }
            p.hint { (staff.t("audit-minor-units")) }
        }
    }
}

/// What the verification counted, the head hash and the public key.
fn chain_facts(staff: &Staff, report: &AuditReportView) -> Markup {
    html! {
        h2 { (staff.t("audit-chain")) }
        dl.facts #audit-facts {
            dt { (staff.t("audit-entries")) }
            dd { (count(staff, report.entries)) }
            dt { (staff.t("audit-head")) }
            dd { code.hash-full { (report.head) } }
            dt { (staff.t("audit-checkpoints")) }
            dd {
                (count(staff, report.checkpoints_verified))
                @if report.checkpoints_other_key > 0 || report.checkpoints_legacy_hmac > 0 {
                    " " span.muted {
                        (staff.t_args("audit-checkpoints-older", &[
                            ("other", count(staff, report.checkpoints_other_key).into()),
                            ("legacy", count(staff, report.checkpoints_legacy_hmac).into()),
                        ]))
                    }
                }
            }
            dt { (staff.t("audit-balances")) }
            dd { (count(staff, report.balances_checked)) }
            dt { (staff.t("audit-public-key")) }
            dd { code.hash-full #public-key { (report.public_key) } }
        }
    }
}
