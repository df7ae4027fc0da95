//! The muzakki and mustahik registers: search, file, read, change and erase a person's
//! record, through the same code as `/api/v1/donors` and `/api/v1/recipients` (who may see a
//! person's data, every read counted, NIK and NPWP checked, NPWZ issued, audited).
//!
//! [`form`] is what every form of the registers, campaign, settings and user pages shares.

pub(crate) mod form;
mod mustahik;
mod muzakki;

use axum::Router;
use axum::routing::{get, post};
use maud::{Markup, html};

use super::super::format;
use super::super::session::{Staff, Visitor};
use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/muzakki", get(muzakki::list).post(muzakki::create))
        .route("/staff/muzakki/new", get(muzakki::new))
        .route(
            "/staff/muzakki/{id}",
            get(muzakki::show).post(muzakki::update),
        )
        .route("/staff/muzakki/{id}/erase", post(muzakki::erase))
        .route(
            "/staff/muzakki/{id}/receipts/{year}",
            get(muzakki::annual_receipt),
        )
        .route(
            "/staff/mustahik",
            get(mustahik::list).post(mustahik::create),
        )
        .route("/staff/mustahik/new", get(mustahik::new))
        .route(
            "/staff/mustahik/{id}",
            get(mustahik::show).post(mustahik::update),
        )
        .route("/staff/mustahik/{id}/erase", post(mustahik::erase))
}

/// A register's id from the path: anything that is not a UUID names no one (404).
fn person_id(text: &str) -> Result<uuid::Uuid, super::super::PageError> {
    text.parse().map_err(|_| super::super::PageError::NotFound)
}

/// "Filed on …, last changed …, erased …" of a record, as the API wrote them.
fn record_dates(
    visitor: &Visitor,
    created_at: &str,
    updated_at: Option<&str>,
    erased_at: Option<&str>,
) -> Markup {
    html! {
        dt { (visitor.t("registers-filed")) }
        dd { (form::api_time(visitor, created_at)) }
        @if let Some(updated_at) = updated_at {
            dt { (visitor.t("registers-updated")) }
            dd { (form::api_time(visitor, updated_at)) }
        }
        @if let Some(erased_at) = erased_at {
            dt { (visitor.t("registers-erased-at")) }
            dd { (form::api_time(visitor, erased_at)) }
        }
    }
}

/// Who read a record how often: shown to admins (the API's `access`).
fn access(
    staff: &Staff,
    access: Option<&crate::api::admin_pages::AccessView>,
    users: &[storage::views::admin::UserAccount],
) -> Markup {
    let Some(access) = access else {
        return html! {};
    };
    html! {
        section.panel aria-labelledby="access-title" {
            h2 #access-title { (staff.t("registers-access-title")) }
            p.hint { (staff.t_args("registers-access-count", &[("count", access.read_count.into())])) }
            @if !access.readers.is_empty() {
                div.table-wrap tabindex="0" {
                    table.stack-table {
                        thead { tr {
                            th scope="col" { (staff.t("registers-access-reader")) }
                            th scope="col" .number { (staff.t("registers-access-reads")) }
                            th scope="col" { (staff.t("registers-access-last")) }
                        } }
                        tbody {
                            @for reader in &access.readers {
                                tr {
                                    td data-label=(staff.t("registers-access-reader")) {
                                        @match users.iter().find(|user| user.id == reader.user_id) {
                                            Some(user) => (user.email),
                                            None => { "user:" (reader.user_id) },
                                        }
                                    }
                                    td.number data-label=(staff.t("registers-access-reads")) { (format::count(staff.lang, reader.read_count)) }
                                    td data-label=(staff.t("registers-access-last")) { (form::api_time(staff, &reader.last_read_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The erase form: a box to tick and a button, asking again with JavaScript on.
fn erase_form(staff: &Staff, action: &str, error: Option<&str>) -> Markup {
    html! {
        section.panel.danger-zone aria-labelledby="erase-title" {
            h2 #erase-title { (staff.t("registers-erase-title")) }
            p { (staff.t("registers-erase-text")) }
            form.stack method="post" action=(action) data-confirm=(staff.t("registers-erase-confirm-question")) {
                (staff.csrf_field())
                @if let Some(error) = error {
                    p.field-error #erase-confirm-error { (error) }
                }
                div.choice {
                    input #erase-confirm type="checkbox" name="confirm" value="yes" required
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "erase-confirm-error")];
                    label for="erase-confirm" { (staff.t("registers-erase-confirm")) }
                }
                button.danger type="submit" { (staff.t("registers-erase-button")) }
            }
        }
    }
}

/// A notice after a form did what it should (`?filed=1`, `?saved=1`, `?erased=1`).
fn notice(staff: &Staff, query: &form::Sent, what: &[(&str, &str)]) -> Markup {
    html! {
        @for (flag, message) in what {
            @if !query.get(flag).is_empty() {
                p.alert.ok role="status" { (staff.t(message)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::{Asnaf, DonationType};
    use storage::ledger::DonationStatus;

    use super::form::assert_messages_exist;

    #[test]
    fn every_message_the_registers_build_from_a_name_exists() {
        let mut ids: Vec<String> = Vec::new();
        ids.extend(
            Asnaf::ALL
                .iter()
                .map(|asnaf| format!("admin-asnaf-{}", asnaf.as_str())),
        );
        ids.extend(
            DonationType::ALL
                .iter()
                .map(|kind| format!("admin-donation-type-{}", kind.as_str())),
        );
        ids.extend(
            [
                DonationStatus::Recorded,
                DonationStatus::PartiallyRefunded,
                DonationStatus::Refunded,
                DonationStatus::Void,
            ]
            .map(|status| {
                format!(
                    "admin-donation-status-{}",
                    super::muzakki::status_name(status)
                )
            }),
        );
        ids.extend(
            super::muzakki::PERSONAL_FIELDS
                .iter()
                .chain(&super::mustahik::FIELDS)
                .map(|field| format!("registers-field-{field}")),
        );
        ids.extend(
            [
                "registers-muzakki-filed",
                "registers-mustahik-filed",
                "registers-saved",
                "registers-erased-notice",
            ]
            .map(str::to_owned),
        );
        assert_messages_exist(ids);
    }
}
