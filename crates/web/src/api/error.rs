//! The API's one error type: every failure becomes a problem document with a stable `type`.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ledger::{DistributionRule, Refusal as BooksRefusal, ShareError};
use storage::StorageError;
use storage::ledger::{LedgerError, Refusal};

use crate::problem::Problem;
use crate::telemetry::ErrorCause;

/// Why an API request failed.
#[derive(Debug)]
pub enum ApiError {
    /// A field is present but wrong (422), or missing.
    Invalid {
        /// The field, as a path (`amount`, `donor.name`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The body is not JSON, or not the JSON the operation takes (400).
    Malformed(String),
    /// The body is larger than [`super::REQUEST_BODY_BYTES_MAX`] (413).
    TooLarge,
    /// The body is not `application/json` (415).
    UnsupportedMediaType,
    /// No usable credentials (401).
    Unauthenticated,
    /// The caller's role may not do this (403).
    Forbidden(&'static str),
    /// No such resource (404).
    NotFound(String),
    /// The person's personal data was erased: their record cannot change (409).
    Erased(String),
    /// `Idempotency-Key` missing where required, or unusable (400).
    IdempotencyKey(String),
    /// A request with the same key is being worked on (409).
    KeyInFlight,
    /// The ledger refused the change (409/422).
    Refused(Refusal),
    /// A share above the cap the law sets (422 `share-above-cap`), in the request's `field`.
    ShareAboveCap {
        /// The field, as a path (`percent`, `amil_share_percent`).
        field: String,
        /// The cap it exceeds.
        error: ShareError,
    },
    /// This client sent more requests than its rate allows (429); retry after the seconds.
    TooManyRequests(u64),
    /// The server is shutting down (503).
    Unavailable,
    /// The database failed: a uniqueness conflict (409), nothing found where a write needed a
    /// row (404), a broken ledger invariant (500, a bug), else unavailable (503, with
    /// `Retry-After`). The cause goes on the request's log line, never in the body.
    Storage(Arc<StorageError>),
    /// A bug (500). The cause was logged.
    Internal,
}

impl ApiError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A share in `field` that could not be taken: above its cap (the rule's own problem
    /// type, like the books' refusal of it), or not a percentage at all (an invalid field).
    pub fn share(field: impl Into<String>, error: ShareError) -> Self {
        match error {
            ShareError::AboveCap(_) => ApiError::ShareAboveCap {
                field: field.into(),
                error,
            },
            ShareError::NotAPercentage(_) => ApiError::invalid(field, error.to_string()),
        }
    }

    /// What a form shows for this error when it is about what the form sent — a field, a
    /// rule of the books the request breaks, a key reused for another request — as the field
    /// it is about (the request's name, `donor.name`) and the problem's detail. Any other
    /// error (not found, forbidden, unavailable, …) is a page of its own: `Err(self)`.
    pub(crate) fn into_form_problem(self) -> Result<(Option<String>, String), ApiError> {
        let about_the_request = match &self {
            ApiError::Invalid { .. }
            | ApiError::ShareAboveCap { .. }
            | ApiError::IdempotencyKey(_)
            | ApiError::Refused(Refusal::IdempotencyKeyReused) => true,
            ApiError::Refused(Refusal::Books(refusal)) => {
                !matches!(refusal, BooksRefusal::UnknownDonation(_))
            }
            ApiError::Storage(err) => matches!(err.as_ref(), StorageError::Conflict { .. }),
            _ => false,
        };
        if !about_the_request {
            return Err(self);
        }
        let problem = self.problem();
        Ok((problem.field, problem.detail))
    }

    /// What went wrong, as the problem document's `detail` says it.
    #[must_use]
    pub fn detail(self) -> String {
        self.problem().detail
    }

    fn problem(self) -> Problem {
        use StatusCode as S;
        match self {
            ApiError::Invalid { field, message } => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-field",
                format!("`{field}`: {message}"),
            )
            .with_field(field),
            ApiError::Malformed(message) => {
                Problem::new(S::BAD_REQUEST, "malformed-request", message)
            }
            ApiError::TooLarge => Problem::new(
                S::PAYLOAD_TOO_LARGE,
                "body-too-large",
                format!(
                    "the request body is larger than {} bytes",
                    super::REQUEST_BODY_BYTES_MAX
                ),
            ),
            ApiError::UnsupportedMediaType => Problem::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            ApiError::Unauthenticated => Problem::new(
                S::UNAUTHORIZED,
                "unauthenticated",
                "send an API token as `Authorization: Bearer <token>` (create one with `donation_platform token create`)",
            ),
            ApiError::Forbidden(who) => {
                Problem::new(S::FORBIDDEN, "forbidden", format!("only {who} may do this"))
            }
            ApiError::NotFound(what) => Problem::new(S::NOT_FOUND, "not-found", what),
            ApiError::Erased(what) => Problem::new(S::CONFLICT, "erased", what),
            ApiError::IdempotencyKey(message) => {
                Problem::new(S::BAD_REQUEST, "idempotency-key", message)
                    .with_field("Idempotency-Key")
            }
            ApiError::KeyInFlight => Problem::new(
                S::CONFLICT,
                "idempotency-key-in-flight",
                "a request with this `Idempotency-Key` is still being processed; retry after it finishes",
            ),
            ApiError::Refused(refusal) => refusal_problem(&refusal),
            ApiError::ShareAboveCap { field, error } => {
                let refusal = BooksRefusal::Share(error);
                Problem::new(S::UNPROCESSABLE_ENTITY, refusal.name(), refusal.to_string())
                    .with_field(field)
            }
            ApiError::TooManyRequests(seconds) => Problem::new(
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                format!("too many requests from this address; retry in {seconds} s"),
            ),
            ApiError::Unavailable => Problem::new(
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "this instance is shutting down; nothing was recorded, retry with the same `Idempotency-Key`",
            ),
            ApiError::Storage(err) => storage_problem(&err),
            ApiError::Internal => Problem::new(
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; it was logged",
            ),
        }
    }
}

/// Seconds a client is asked to wait before retrying while the database fails: the writer
/// tries again every second (`storage::ledger::WRITE_PROBE_INTERVAL`), and a client retrying
/// sooner only adds load to a struggling database.
pub const STORAGE_RETRY_AFTER_SECONDS: u64 = 2;

/// Whether the failure is the database's (503) rather than the request's or a bug's.
fn is_unavailable(err: &StorageError) -> bool {
    !matches!(
        err,
        StorageError::Conflict { .. } | StorageError::NotFound | StorageError::Invariant(_)
    )
}

fn storage_problem(err: &StorageError) -> Problem {
    use StatusCode as S;
    match err {
        StorageError::Conflict { constraint } => Problem::new(
            S::CONFLICT,
            "conflict",
            format!("this conflicts with what is stored (`{constraint}`); nothing was recorded"),
        ),
        StorageError::NotFound => Problem::new(
            S::NOT_FOUND,
            "not-found",
            "nothing matched; nothing was recorded",
        ),
        StorageError::Invariant(_) => ApiError::Internal.problem(),
        _ => Problem::new(
            S::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is unavailable right now; retry in a few seconds (a change with the same `Idempotency-Key` is recorded at most once)",
        ),
    }
}

fn refusal_problem(refusal: &Refusal) -> Problem {
    use StatusCode as S;
    let detail = refusal.to_string();
    match refusal {
        Refusal::CredentialRevoked => Problem::new(
            S::UNAUTHORIZED,
            "unauthenticated",
            "this API token was revoked or its user disabled; nothing was recorded",
        ),
        Refusal::CredentialExpired(_) => Problem::new(S::UNAUTHORIZED, "token-expired", detail),
        Refusal::RoleNotAllowed(_) => Problem::new(S::FORBIDDEN, "forbidden", detail),
        Refusal::IdempotencyKeyReused => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "idempotency-key-reused", detail)
                .with_field("Idempotency-Key")
        }
        Refusal::Books(refusal) => books_problem(refusal, detail),
    }
}

/// A refusal of the books': one problem type per rule (docs/BOOKS.md), 409 where the books
/// hold too little right now, 422 where the request itself breaks a rule.
fn books_problem(refusal: &BooksRefusal, detail: String) -> Problem {
    use StatusCode as S;
    let name = refusal.name();
    match refusal {
        BooksRefusal::UnknownDonor(_) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "unknown-reference", detail)
                .with_field("donor_id")
        }
        BooksRefusal::UnknownCampaign(_) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "unknown-reference", detail)
                .with_field("campaign_id")
        }
        BooksRefusal::UnknownRecipient(_) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "unknown-reference", detail)
                .with_field("recipient_id")
        }
        BooksRefusal::UnknownDonation(_) => Problem::new(S::NOT_FOUND, "not-found", detail),
        BooksRefusal::AlreadyVoid | BooksRefusal::NothingLeft => {
            Problem::new(S::CONFLICT, "donation-closed", detail)
        }
        BooksRefusal::RefundTooLarge { .. } => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "invalid-field",
            format!("`amount`: {detail}"),
        )
        .with_field("amount"),
        BooksRefusal::InsufficientFunds { .. }
        | BooksRefusal::InsufficientCash { .. }
        | BooksRefusal::AmilShareSpent { .. }
        | BooksRefusal::NpwzExhausted => Problem::new(S::CONFLICT, name, detail),
        BooksRefusal::Rule(rule) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, name, detail).with_field(rule_field(*rule))
        }
        BooksRefusal::Share(_) => Problem::new(S::UNPROCESSABLE_ENTITY, name, detail),
        BooksRefusal::CampaignAsnaf => {
            Problem::new(S::UNPROCESSABLE_ENTITY, name, detail).with_field("allowed_asnaf")
        }
        BooksRefusal::RateRequired(_) | BooksRefusal::RateForIdr | BooksRefusal::Rate(_) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, name, detail).with_field("rate_to_idr")
        }
        BooksRefusal::NotInRupiah(_) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, name, detail).with_field("currency")
        }
    }
}

/// The request field a funds-table rule is about.
fn rule_field(rule: DistributionRule) -> &'static str {
    match rule {
        DistributionRule::WakafPrincipal => "fund",
        DistributionRule::NotKeptPerCampaign(_)
        | DistributionRule::RestrictedWithoutCampaign
        | DistributionRule::CampaignCannotSpend { .. } => "campaign_id",
        DistributionRule::ShareOnlyAtReceipt(_)
        | DistributionRule::ZakatToAmil
        | DistributionRule::OnlyThePoor(_)
        | DistributionRule::OutsideCampaignPurpose { .. }
        | DistributionRule::AsnafRequired(_) => "asnaf",
        DistributionRule::NonHalalPublicUse => "purpose",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_and_detail().0
    }
}

impl ApiError {
    /// The problem response (status, headers, the cause for the log line) and its detail: the
    /// web pages keep the first but the body, and show the second in an HTML page.
    pub(crate) fn into_response_and_detail(self) -> (Response, String) {
        let unauthenticated = matches!(
            self,
            ApiError::Unauthenticated
                | ApiError::Refused(Refusal::CredentialRevoked | Refusal::CredentialExpired(_))
        );
        let retry_after = match &self {
            ApiError::TooManyRequests(seconds) => Some(*seconds),
            ApiError::Storage(err) if is_unavailable(err) => Some(STORAGE_RETRY_AFTER_SECONDS),
            _ => None,
        };
        let cause = match &self {
            ApiError::Storage(err) => Some(ErrorCause::new(storage::error_chain(err.as_ref()))),
            ApiError::Unavailable => Some(ErrorCause::new("the ledger writer has stopped")),
            _ => None,
        };
        let problem = self.problem();
        let detail = problem.detail.clone();
        let mut response = problem.into_response();
        if unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(cause) = cause {
            response.extensions_mut().insert(cause);
        }
        (response, detail)
    }
}

impl From<LedgerError> for ApiError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Refused(refusal) => ApiError::Refused(refusal),
            LedgerError::Storage(err) => ApiError::Storage(err),
            LedgerError::Stopped => ApiError::Unavailable,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        ApiError::Storage(Arc::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn respond(err: impl Into<ApiError>) -> Response {
        err.into().into_response()
    }

    fn cause(response: &Response) -> Option<String> {
        response
            .extensions()
            .get::<ErrorCause>()
            .map(|cause| format!("{cause:?}"))
    }

    #[test]
    fn a_share_above_its_cap_names_the_rule_and_the_field() {
        use domain::{Share, ShareCap};
        let json = |err: ApiError| serde_json::to_value(err.problem()).unwrap();
        let above = Share::parse_percent("20.01", ShareCap::Infak).unwrap_err();
        let problem = json(ApiError::share("amil_share_percent", above));
        assert_eq!(problem["status"], 422);
        assert_eq!(
            problem["type"],
            "urn:donation-platform:problem:share-above-cap"
        );
        assert_eq!(problem["field"], "amil_share_percent");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("Peraturan BAZNAS 1/2016"), "{detail}");
        let garbled = Share::parse_percent("ten", ShareCap::Infak).unwrap_err();
        let problem = json(ApiError::share("percent", garbled));
        assert_eq!(
            problem["type"],
            "urn:donation-platform:problem:invalid-field"
        );
        assert_eq!(problem["field"], "percent");
    }

    #[test]
    fn a_uniqueness_conflict_is_409_naming_the_constraint_not_503() {
        let conflict = || StorageError::Conflict {
            constraint: "users_email_key".to_owned(),
        };
        let response = respond(conflict());
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(!response.headers().contains_key(header::RETRY_AFTER));
        assert!(
            ApiError::from(conflict())
                .detail()
                .contains("`users_email_key`")
        );
        // Through the ledger writer too.
        let response = respond(LedgerError::Storage(Arc::new(conflict())));
        assert_eq!(response.status(), StatusCode::CONFLICT);
    }

    #[test]
    fn a_failing_database_is_503_with_retry_after_and_its_cause_for_the_log_line_only() {
        let failure = || StorageError::Io {
            path: "/var/lib/donation_platform/ledger.db".into(),
            source: std::io::Error::other("no space left on device"),
        };
        let response = respond(failure());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let cause = cause(&response).expect("the cause rides along for the log line");
        assert!(cause.contains("no space left on device"), "{cause}");
        let detail = ApiError::from(failure()).detail();
        assert!(
            !detail.contains("ledger.db"),
            "the body stays opaque: {detail}"
        );
    }

    #[test]
    fn a_broken_invariant_is_a_500_bug_and_nothing_found_a_404() {
        let violation = domain::ledger::Violation::Unbalanced {
            entry: uuid::Uuid::nil(),
            currency: "IDR".to_owned(),
            sum_minor: 1,
        };
        let response = respond(StorageError::Invariant(violation));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = cause(&response).unwrap();
        assert!(cause.contains("does not balance"), "{cause}");
        assert_eq!(
            respond(StorageError::NotFound).status(),
            StatusCode::NOT_FOUND
        );
    }
}
