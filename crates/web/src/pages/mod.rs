//! The web pages: server-rendered HTML (maud templates compiled into the binary) in Indonesian
//! and English, usable without JavaScript.
//!
//! - [`session`]: the language, the encrypted session cookie, CSRF, signing in ([`Staff`]).
//! - [`layout`]: the frame of every page and the error pages; [`i18n`] and [`format`]: the
//!   message catalogues (`crates/web/locales`) and how numbers, money and dates are written.
//! - [`assets`]: the embedded, digested, precompressed CSS, JS and images.
//! - The pages themselves: [`public`] (landing), [`account`] (sign in and out), and one
//!   module per area.
//!
//! Every page route runs behind [`session::visit`]; security headers are added to every
//! response of the application by [`crate::security`].

mod account;
pub mod assets;
mod error;
pub mod format;
pub mod i18n;
mod layout;
mod public;
pub mod session;
mod staff;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use error::PageError;
pub use session::{Staff, Visitor, WebSettings};

use crate::AppState;

/// The page routes (and `/assets`).
pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .merge(public::routes())
        .merge(staff::routes())
        .route("/login", get(account::form).post(account::sign_in))
        .route("/logout", post(account::sign_out))
        .route("/logout/everywhere", post(account::sign_out_everywhere))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::visit,
        ));
    Router::new()
        .route("/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(pages)
}

/// 303 See Other to a local `path`: after a form, the browser GETs the result (a reload does
/// not post again).
#[must_use]
pub fn redirect(path: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(path) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The HTML 404 page for a browser that asked for a path no route serves.
#[must_use]
pub fn not_found(headers: &axum::http::HeaderMap, path: &str) -> Response {
    let visitor = Visitor {
        lang: i18n::negotiate(headers),
        csrf: String::new(),
        signed_in: None,
        path: path.to_owned(),
    };
    let page = error::ErrorPage {
        status: StatusCode::NOT_FOUND,
        detail: None,
    };
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        layout::error_page(&visitor, &page).into_string(),
    )
        .into_response()
}
