//! Checking a receipt: `/verify` (a form for the code printed on a Bukti Setor Zakat) and
//! `/verify/{code}` (where the receipt's QR code leads). A browser gets a page in the site's
//! layout and language with the receipt's standing and what the receipt shows, the payer's NIK
//! and NPWP masked as on the API's answer; a client that asks for JSON or a PDF gets the API's
//! answer ([`crate::api::receipts::verify`]), unchanged. One check decides both
//! ([`crate::api::receipts::verified`]).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::receipts::{Standing, VERIFICATION_CODE_LENGTH_MAX};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::api::receipts::{self, Format, Verified};
use crate::pages::error::PageError;
use crate::pages::layout;
use crate::pages::session::Visitor;

/// What the check form sends.
#[derive(Deserialize)]
pub(crate) struct CodeQuery {
    code: Option<String>,
}

/// Longer than this, what was typed is not a code nor a link to one (the link is the site's
/// address and the code): refused before it is looked at.
const TYPED_LENGTH_MAX: usize = 512;

/// `GET /verify`: the form; with `?code=`, 303 to the code's page.
pub(crate) async fn form(visitor: Visitor, Query(query): Query<CodeQuery>) -> Response {
    let Some(typed) = query.code else {
        return page(&visitor, "", None).into_response();
    };
    let typed = typed.trim();
    match code_of(typed) {
        Some(code) => super::super::redirect(&format!("/verify/{code}")),
        None => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&visitor, typed, Some("public-verify-code-missing")),
        )
            .into_response(),
    }
}

/// The code in what was typed: the code itself, or the verification link (the part after
/// `/verify/`), as path-safe text. `None` when nothing usable was typed.
fn code_of(typed: &str) -> Option<String> {
    if typed.len() > TYPED_LENGTH_MAX {
        return None;
    }
    let code = typed
        .rsplit_once("/verify/")
        .map_or(typed, |(_, code)| code)
        .trim()
        .trim_end_matches('/');
    // A code is letters, digits and dashes; anything else cannot be one, and is kept out of
    // the path it would otherwise change.
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then(|| code.to_owned())
}

fn page(visitor: &Visitor, typed: &str, problem: Option<&str>) -> Markup {
    let title = visitor.t("public-verify-title");
    let body = html! {
        section.narrow {
            h1 { (title) }
            p { (visitor.t("public-verify-lead")) }
            form.stack method="get" action="/verify" novalidate {
                label for="code" { (visitor.t("public-verify-code")) }
                span.hint #code-hint { (visitor.t("public-verify-code-hint")) }
                input #code type="text" name="code" value=(typed) required autocomplete="off"
                    autocapitalize="characters" spellcheck="false" maxlength=(TYPED_LENGTH_MAX)
                    aria-describedby=(if problem.is_some() { "code-hint code-error" } else { "code-hint" })
                    aria-invalid=[problem.map(|_| "true")];
                @if let Some(problem) = problem {
                    p.field-error #code-error { (visitor.t(problem)) }
                }
                button #check-receipt type="submit" { (visitor.t("public-verify-check")) }
            }
        }
    };
    layout::public(visitor, &title, &body)
}

/// `GET /verify/{code}`: the receipt's standing — a page for a browser, the API's JSON or PDF
/// answer for a client that asks for one. Not genuine: a 404 that says so.
pub(crate) async fn check(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if receipts::format(&headers) != Format::Html {
        return Ok(receipts::verify(State(state), headers, Path(code))
            .await
            .into_response());
    }
    match receipts::verified(&state, &code).await? {
        Some(verified) => Ok(genuine(&visitor, &verified).into_response()),
        None => Ok((StatusCode::NOT_FOUND, not_genuine(&visitor, &code)).into_response()),
    }
}

fn genuine(visitor: &Visitor, verified: &Verified) -> Markup {
    let standing = Standing::of(verified.receipt.status);
    let (class, label, text) = match standing {
        Standing::Genuine => (
            "genuine",
            "public-verify-genuine",
            "public-verify-genuine-text",
        ),
        Standing::Void => ("void", "public-verify-void", "public-verify-void-text"),
        Standing::Refunded => (
            "refunded",
            "public-verify-refunded",
            "public-verify-refunded-text",
        ),
    };
    let title = visitor.t("public-verify-title");
    let fields = verified.receipt.fields(&verified.institution, true);
    let body = html! {
        h1 { (title) }
        div.standing.(class) role="status" {
            p.standing-label { (visitor.t(label)) }
            p { (visitor.t(text)) }
        }
        section.panel aria-labelledby="receipt-shows" {
            h2 #receipt-shows { (visitor.t("public-verify-shows")) }
            p.hint { (visitor.t("public-verify-shows-hint")) }
            dl.facts.receipt-facts {
                @for (label, value) in &fields {
                    dt { (field_label(visitor, label)) }
                    dd lang="id" { (value) }
                }
            }
        }
        p { a href="/verify" { (visitor.t("public-verify-another")) } }
    };
    layout::public(visitor, &title, &body)
}

fn not_genuine(visitor: &Visitor, code: &str) -> Markup {
    let title = visitor.t("public-verify-not-genuine-title");
    let shown: String = code.chars().take(VERIFICATION_CODE_LENGTH_MAX).collect();
    let body = html! {
        section.narrow {
            h1 { (title) }
            div.standing.not-genuine role="status" {
                p.standing-label { (visitor.t("public-verify-not-genuine")) }
                p { (visitor.t("public-verify-not-genuine-text")) }
            }
            p { (visitor.t("public-verify-code")) ": " code { (shown) } }
            p { a href="/verify" { (visitor.t("public-verify-again")) } }
        }
    };
    layout::public(visitor, &title, &body)
}

/// The receipt's own (Indonesian) label of a field in the visitor's language; a label the
/// page does not know is shown as printed.
fn field_label(visitor: &Visitor, printed: &str) -> String {
    let id = match printed {
        "Nomor Bukti" => "public-verify-field-receipt",
        "Tanggal Setor" => "public-verify-field-received",
        "Nama Muzakki" => "public-verify-field-payer",
        "NPWP" => "public-verify-field-npwp",
        "NIK" => "public-verify-field-nik",
        "NPWZ" => "public-verify-field-npwz",
        "Jenis Zakat/Dana" => "public-verify-field-type",
        "Dana (Fund)" => "public-verify-field-fund",
        "Cara Bayar" => "public-verify-field-method",
        "Jumlah" => "public-verify-field-amount",
        "Terbilang" => "public-verify-field-words",
        "Dikembalikan (refunded)" => "public-verify-field-refunded",
        "Lembaga Amil Zakat" => "public-verify-field-institution",
        "Izin" => "public-verify-field-licence",
        "Petugas" => "public-verify-field-officer",
        "Kode Verifikasi" => "public-verify-field-code",
        other => return other.to_owned(),
    };
    visitor.t(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_taken_from_a_code_or_a_link_and_nothing_else() {
        let code = "2026-000001-ABCD-EFGH-JKMN-PQRS";
        assert_eq!(code_of(code).as_deref(), Some(code));
        assert_eq!(
            code_of(&format!("https://donasi.example.org/verify/{code}")).as_deref(),
            Some(code)
        );
        assert_eq!(code_of(&format!("  {code}/ ")).as_deref(), Some(code));
        assert_eq!(code_of("2026-000001 ABCD-EFGH"), None);
        assert_eq!(code_of(""), None);
        assert_eq!(code_of("../../staff"), None);
        assert_eq!(code_of("a?b=c"), None);
        assert_eq!(code_of(&"A".repeat(TYPED_LENGTH_MAX + 1)), None);
    }
}
