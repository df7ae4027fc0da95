//! The security headers on every response of the application, pages, API and errors alike.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::AppState;

/// The Content-Security-Policy: scripts and styles only from our own (digested) files, no
/// inline script at all, no framing, forms only to us. The one inline style allowed, by its
/// hash, is the printable receipt's, which is a self-contained page by design.
static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let receipt_style = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(crate::receipts::html::STYLE.as_bytes()));
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{receipt_style}'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
});

/// HSTS for two years, subdomains included: set in prod only, where the site is HTTPS.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// The headers set on every response, as constants: built once, cloned without copying.
const ALWAYS: [(HeaderName, HeaderValue); 5] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    ),
];

/// Adds the headers to a response (without replacing a Content-Security-Policy a handler
/// chose).
pub(crate) fn add_headers(state: &AppState, headers: &mut HeaderMap) {
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| CONTENT_SECURITY_POLICY.clone());
    for (name, value) in ALWAYS {
        headers.insert(name, value);
    }
    if state.web().secure() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
}
