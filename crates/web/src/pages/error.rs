//! What a page handler can fail with, shown as an HTML page in the visitor's language.
//!
//! A handler returns [`PageError`] with `?`; its response carries only the status, headers
//! and an [`ErrorPage`] marker, and the session layer ([`super::session`]), which knows the
//! visitor's language, renders the page.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use storage::StorageError;
use storage::ledger::LedgerError;

use crate::api::ApiError;

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Nothing here (404).
    NotFound,
    /// The signed-in user's role may not see or do this (403).
    Forbidden,
    /// A form came without the token of the visitor's session (403): a cross-site forgery,
    /// or a form left open across a sign-out.
    Csrf,
    /// Not signed in: to `/login`, coming back to `next` afterwards (303).
    SignIn {
        /// The path and query to return to.
        next: String,
    },
    /// Too many failed sign-ins; try again after the duration (429).
    Throttled(Duration),
    /// A request no form of ours sends (400), with what is wrong.
    BadRequest(String),
    /// What the API would have answered, shown as a page (its status, its detail).
    Api(ApiError),
}

/// The marker the session layer turns into a rendered error page.
#[derive(Clone, Debug)]
pub(crate) struct ErrorPage {
    pub status: StatusCode,
    /// A technical detail to show under the localised explanation, if any.
    pub detail: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (mut response, detail) = match self {
            PageError::NotFound => (StatusCode::NOT_FOUND.into_response(), None),
            PageError::Forbidden | PageError::Csrf => (StatusCode::FORBIDDEN.into_response(), None),
            PageError::SignIn { next } => return sign_in_redirect(&next),
            PageError::Throttled(wait) => {
                let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
                let seconds = wait.as_secs().max(1);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                (response, None)
            }
            PageError::BadRequest(detail) => {
                (StatusCode::BAD_REQUEST.into_response(), Some(detail))
            }
            PageError::Api(err) => {
                let (response, detail) = err.into_response_and_detail();
                let (parts, _) = response.into_parts();
                (
                    Response::from_parts(parts, axum::body::Body::empty()),
                    Some(detail),
                )
            }
        };
        response.headers_mut().remove(header::CONTENT_TYPE);
        response.headers_mut().remove(header::WWW_AUTHENTICATE);
        let status = response.status();
        response
            .extensions_mut()
            .insert(ErrorPage { status, detail });
        response
    }
}

/// 303 to the sign-in page, which brings the visitor back to `next` (a local path only).
fn sign_in_redirect(next: &str) -> Response {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    super::redirect(&format!("/login?{query}"))
}

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        PageError::Api(err)
    }
}

impl From<StorageError> for PageError {
    fn from(err: StorageError) -> Self {
        PageError::Api(ApiError::from(err))
    }
}

impl From<LedgerError> for PageError {
    fn from(err: LedgerError) -> Self {
        PageError::Api(ApiError::from(err))
    }
}
