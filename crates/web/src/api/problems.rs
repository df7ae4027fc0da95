//! The problem responses operations share, documented once for the OpenAPI document.

use crate::problem::Problem;

/// What a write (`POST`, `PUT`) can answer with besides success.
#[derive(utoipa::IntoResponses)]
#[expect(
    dead_code,
    reason = "only documents responses; errors are built by `ApiError`"
)]
pub enum WriteProblems {
    /// Malformed JSON, or a missing or unusable `Idempotency-Key`
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid API token
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The caller's role may not do this
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// A request with the same `Idempotency-Key` is in flight, or the ledger's state forbids it (a fund holds too little, the donation is void or refunded)
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than 64 KiB
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not JSON
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A field is invalid (named in `field`), a fund rule forbids it, or the key was used for another request
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// The ledger is unavailable; nothing was recorded
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// What a read (`GET`) can answer with besides success and its own 404/422.
#[derive(utoipa::IntoResponses)]
#[expect(
    dead_code,
    reason = "only documents responses; errors are built by `ApiError`"
)]
pub enum ReadProblems {
    /// No valid API token
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The database is unavailable
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// What a report or an export over a period can answer with besides success and
/// [`ReadProblems`].
#[derive(utoipa::IntoResponses)]
#[expect(
    dead_code,
    reason = "only documents responses; errors are built by `ApiError`"
)]
pub enum PeriodProblems {
    /// Malformed query
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The caller's role may not read reports
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// A date is missing or invalid, or `from` is after `to` (named in `field`)
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}
