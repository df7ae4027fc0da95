//! Visitors, sessions and forms.
//!
//! Every page request passes [`visit`], which decides the language, opens the session cookie
//! (AES-256-GCM, keyed from `SECRET_KEY_BASE`: a visitor can neither read nor forge it),
//! refuses any form whose `_csrf` field is not the session's token, and afterwards writes the
//! cookies and renders error pages.
//!
//! A signed-in session is a token like an API token (`api_tokens`, `kind = 'session'`): the
//! cookie carries it, [`Staff`] checks it as the API checks a bearer token, and every write
//! re-checks it inside the writer's transaction, so signing out — here or everywhere — or a
//! disabled user stops the session at once. Sessions live in the database, not in the
//! process: they survive an upgrade and work on every instance.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use cookie::{Cookie, CookieJar, SameSite};
use domain::Role;
use serde::{Deserialize, Serialize};
use storage::ledger::{Actor, Credential};
use subtle::ConstantTimeEq as _;

use super::error::{ErrorPage, PageError};
use super::i18n::{self, LANG_COOKIE, Lang};
use crate::AppState;

/// How long a sign-in lasts (a working day and then some), in the cookie and the database.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// The largest form body: a donation form is under 2 KiB.
pub const FORM_BYTES_MAX: usize = 64 * 1024;

/// The form field carrying the session's CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// The web session's settings, from the configuration: the cookie key and whether the site is
/// served over HTTPS (prod), which makes cookies `Secure` with the `__Host-` prefix.
pub struct WebSettings {
    key: cookie::Key,
    secure: bool,
    pub(crate) throttle: LoginThrottle,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl WebSettings {
    /// Settings whose cookie key is derived from `secret_key_base` (HKDF-SHA256, a label of
    /// its own, so it is independent of the other keys derived from the same secret);
    /// `secure` in production (HTTPS, HSTS).
    #[must_use]
    pub fn new(secret_key_base: &[u8], secure: bool) -> WebSettings {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"donation_platform web"), secret_key_base);
        let mut key = [0; 64];
        hkdf.expand(b"session cookie key v1", &mut key)
            .expect("64 bytes is a valid HKDF-SHA256 length");
        WebSettings {
            key: cookie::Key::from(&key),
            secure,
            throttle: LoginThrottle::default(),
        }
    }

    /// Whether the site is served over HTTPS only.
    #[must_use]
    pub fn secure(&self) -> bool {
        self.secure
    }

    fn cookie_name(&self) -> &'static str {
        // `__Host-`: the browser accepts it only Secure, for this host, on `/`.
        if self.secure {
            "__Host-session"
        } else {
            "session"
        }
    }
}

/// What the session cookie holds.
#[derive(Clone, Serialize, Deserialize)]
struct SessionCookie {
    /// The CSRF token, base64url.
    csrf: String,
    /// The session token and the user's e-mail, when signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_in: Option<SignedIn>,
}

impl SessionCookie {
    fn anonymous() -> SessionCookie {
        SessionCookie {
            csrf: random_token(),
            signed_in: None,
        }
    }
}

/// A signed-in session, as the cookie carries it.
#[derive(Clone, Serialize, Deserialize)]
pub struct SignedIn {
    token: String,
    /// The user's e-mail, to show in the menu.
    pub email: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// 32 random bytes, base64url.
fn random_token() -> String {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Who is looking at a page: their language, their session's CSRF token, whether they are
/// signed in, and the path they asked for. Every page handler can take it.
#[derive(Clone, Debug)]
pub struct Visitor {
    /// The language of the page.
    pub lang: Lang,
    /// The session's CSRF token, for the `_csrf` field of every form.
    pub csrf: String,
    /// The sign-in the cookie carries (not yet checked: [`Staff`] checks it).
    pub signed_in: Option<SignedIn>,
    /// The path and query asked for (the language switcher links to it).
    pub path: String,
}

impl Visitor {
    /// The message `id` in the visitor's language.
    #[must_use]
    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    /// The message `id` with arguments.
    #[must_use]
    pub fn t_args(&self, id: &str, args: &[(&'static str, i18n::Arg)]) -> String {
        self.lang.t_args(id, args)
    }

    /// The hidden field every form carries.
    #[must_use]
    pub fn csrf_field(&self) -> maud::Markup {
        maud::html! { input type="hidden" name=(CSRF_FIELD) value=(self.csrf); }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .expect("page routes run behind `pages::session::visit`"))
    }
}

/// A signed-in user of the staff pages (any role: check with [`Staff::require`]). Taking it
/// sends a visitor who is not signed in (or whose session ended) to the sign-in page.
#[derive(Clone, Debug)]
pub struct Staff {
    /// The visitor (language, CSRF token).
    pub visitor: Visitor,
    /// The user.
    pub user_id: i64,
    /// Their role.
    pub role: Role,
    /// Their e-mail.
    pub email: String,
    credential: [u8; 32],
}

impl std::ops::Deref for Staff {
    type Target = Visitor;

    fn deref(&self) -> &Visitor {
        &self.visitor
    }
}

impl Staff {
    /// Whether the user's role is one of `roles` (`domain::role::*`).
    #[must_use]
    pub fn can(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// [`PageError::Forbidden`] unless the user's role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), PageError> {
        if self.can(roles) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// The session as the ledger's actor: a write re-checks it in its transaction.
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor::User(self.credential())
    }

    /// The session's credential.
    #[must_use]
    pub fn credential(&self) -> Credential {
        Credential {
            user_id: self.user_id,
            token_hash: self.credential,
        }
    }

    /// The user as the API's handlers know a caller, to share their code.
    #[must_use]
    #[allow(
        dead_code,
        reason = "the staff pages share the API handlers through it"
    )]
    pub(crate) fn caller(&self) -> crate::api::Caller {
        crate::api::Caller {
            user_id: self.user_id,
            role: self.role,
            credential: self.credential,
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(visitor) = Visitor::from_request_parts(parts, state).await;
        let sign_in = || PageError::SignIn {
            next: if parts.method == Method::GET {
                visitor.path.clone()
            } else {
                "/staff".to_owned()
            },
        };
        let Some(signed_in) = visitor.signed_in.clone() else {
            return Err(sign_in());
        };
        let credential = domain::credentials::token_hash(&signed_in.token);
        let found = if let Some(found) = state.cached_authentication(&credential) {
            found
        } else {
            let Some(found) = state.database().authenticate(&credential).await? else {
                return Err(sign_in());
            };
            state.remember_authentication(credential, found);
            found
        };
        let now = time::OffsetDateTime::now_utc();
        if domain::credentials::token_expired(found.expires_at, now).is_some() {
            return Err(sign_in());
        }
        Ok(Staff {
            visitor,
            user_id: found.user_id,
            role: found.role,
            email: signed_in.email,
            credential,
        })
    }
}

/// What a handler asks the session layer to do with the session, as a response extension.
#[derive(Clone)]
pub(crate) enum SessionChange {
    /// Signed in: a new session (and a new CSRF token) carrying the token.
    SignIn { token: String, email: String },
    /// Signed out: a new anonymous session.
    SignOut,
}

/// The session layer around every page route (see the module documentation).
pub(crate) async fn visit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let settings = state.web();
    let (mut parts, body) = request.into_parts();
    let asked = i18n::requested(parts.uri.query());
    let lang = asked.unwrap_or_else(|| i18n::negotiate(&parts.headers));
    let jar = jar(&parts.headers);
    let opened = jar
        .private(&settings.key)
        .get(settings.cookie_name())
        .and_then(|cookie| serde_json::from_str::<SessionCookie>(cookie.value()).ok());
    let fresh = opened.is_none();
    let session = opened.unwrap_or_else(SessionCookie::anonymous);
    let visitor = Visitor {
        lang,
        csrf: session.csrf.clone(),
        signed_in: session.signed_in.clone(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned()),
    };
    let body = if matches!(parts.method, Method::GET | Method::HEAD) {
        body
    } else {
        match checked_form(&parts.headers, body, &session.csrf).await {
            Ok(bytes) => Body::from(bytes),
            Err(err) => {
                return finish(
                    &state,
                    &visitor,
                    err.into_response(),
                    fresh.then_some(session),
                    asked,
                );
            }
        }
    };
    parts.extensions.insert(visitor.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    finish(&state, &visitor, response, fresh.then_some(session), asked)
}

/// The form body, once its `_csrf` field matches the session's token.
async fn checked_form(
    headers: &HeaderMap,
    body: Body,
    csrf: &str,
) -> Result<axum::body::Bytes, PageError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form {
        // Our forms send nothing else; a cross-site `text/plain` or multipart post is refused
        // before its body is read.
        return Err(PageError::Csrf);
    }
    let bytes = axum::body::to_bytes(body, FORM_BYTES_MAX)
        .await
        .map_err(|_| PageError::BadRequest(format!("a form is at most {FORM_BYTES_MAX} bytes")))?;
    let sent = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    if bool::from(sent.as_bytes().ct_eq(csrf.as_bytes())) && !sent.is_empty() {
        Ok(bytes)
    } else {
        Err(PageError::Csrf)
    }
}

fn jar(headers: &HeaderMap) -> CookieJar {
    let mut jar = CookieJar::new();
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .take(64);
    for pair in cookies {
        if let Ok(cookie) = Cookie::parse(pair.trim().to_owned()) {
            jar.add_original(cookie);
        }
    }
    jar
}

/// Writes the cookies the response needs, renders an error page, and keeps pages out of
/// shared caches (they carry CSRF tokens and, for staff, personal data).
fn finish(
    state: &AppState,
    visitor: &Visitor,
    mut response: Response,
    new_session: Option<SessionCookie>,
    asked: Option<Lang>,
) -> Response {
    let settings = state.web();
    let change = response.extensions_mut().remove::<SessionChange>();
    let session = match change {
        Some(SessionChange::SignIn { token, email }) => Some((
            SessionCookie {
                csrf: random_token(),
                signed_in: Some(SignedIn { token, email }),
            },
            Some(SESSION_TTL),
        )),
        Some(SessionChange::SignOut) => Some((SessionCookie::anonymous(), None)),
        None => new_session.map(|session| (session, None)),
    };
    if let Some((session, lifetime)) = session {
        let mut cookie = Cookie::new(
            settings.cookie_name(),
            serde_json::to_string(&session).expect("a session serializes"),
        );
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(settings.secure);
        if let Some(lifetime) = lifetime {
            cookie.set_max_age(time::Duration::try_from(lifetime).ok());
        }
        let mut jar = CookieJar::new();
        jar.private_mut(&settings.key).add(cookie);
        append_cookies(&mut response, &jar);
    }
    if let Some(lang) = asked {
        let mut cookie = Cookie::new(LANG_COOKIE, lang.tag());
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(settings.secure);
        cookie.set_max_age(time::Duration::days(365));
        let mut jar = CookieJar::new();
        jar.add(cookie);
        append_cookies(&mut response, &jar);
    }
    if let Some(page) = response.extensions_mut().remove::<ErrorPage>() {
        let markup = super::layout::error_page(visitor, &page);
        let (parts, _) = response.into_parts();
        response = Response::from_parts(parts, Body::from(markup.into_string()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn append_cookies(response: &mut Response, jar: &CookieJar) {
    for cookie in jar.delta() {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// Failed sign-ins allowed per account within [`THROTTLE_WINDOW`]; the next attempt is refused.
pub const FAILED_SIGN_INS_PER_ACCOUNT: usize = 5;
/// Failed sign-ins allowed per client address (an office behind one NAT shares it).
pub const FAILED_SIGN_INS_PER_ADDRESS: usize = 20;
/// The window failures are counted in.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most: a flood of made-up e-mails cannot grow the process without bound.
const THROTTLE_KEYS_MAX: usize = 100_000;

/// Counts failed sign-ins per account and per client address, in this process. A guesser gets
/// [`FAILED_SIGN_INS_PER_ACCOUNT`] tries per account per window (per instance behind a load
/// balancer), then 429 with `Retry-After` until the oldest failure leaves the window.
#[derive(Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// How long to wait before trying again, if any of `keys` (key, allowance) is used up.
    pub(crate) fn wait(&self, keys: &[(String, usize)]) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        keys.iter()
            .filter_map(|(key, allowed)| {
                let times = failures.get_mut(key)?;
                while times
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= THROTTLE_WINDOW)
                {
                    times.pop_front();
                }
                (times.len() >= *allowed).then(|| {
                    let oldest = times[times.len() - allowed];
                    THROTTLE_WINDOW.saturating_sub(now.duration_since(oldest))
                })
            })
            .max()
    }

    /// Counts a failure against every key.
    pub(crate) fn fail(&self, keys: &[(String, usize)]) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= THROTTLE_KEYS_MAX {
            let now = Instant::now();
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|at| now.duration_since(*at) < THROTTLE_WINDOW)
            });
            if failures.len() >= THROTTLE_KEYS_MAX {
                failures.clear();
            }
        }
        let now = Instant::now();
        for (key, allowed) in keys {
            let times = failures.entry(key.clone()).or_default();
            times.push_back(now);
            while times.len() > *allowed {
                times.pop_front();
            }
        }
    }

    /// Forgets an account's failures (it signed in).
    pub(crate) fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

/// A path to go back to after signing in: local paths only (`/…`, never `//host` or a
/// backslash trick), else the dashboard.
#[must_use]
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control)
                && path.len() <= 2048 =>
        {
            path.to_owned()
        }
        _ => "/staff".to_owned(),
    }
}

/// `StatusCode` of a page handler's re-rendered form: what was sent is wrong.
pub const FORM_INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_within_the_window_waits() {
        let throttle = LoginThrottle::default();
        let keys = [("user:a@example.org".to_owned(), FAILED_SIGN_INS_PER_ACCOUNT)];
        for _ in 0..FAILED_SIGN_INS_PER_ACCOUNT {
            assert_eq!(throttle.wait(&keys), None);
            throttle.fail(&keys);
        }
        let wait = throttle.wait(&keys).expect("the sixth attempt waits");
        assert!(
            wait > THROTTLE_WINDOW.saturating_sub(Duration::from_secs(5))
                && wait <= THROTTLE_WINDOW
        );
        throttle.clear("user:a@example.org");
        assert_eq!(throttle.wait(&keys), None);
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            local_path(Some("/staff/donations?page=2")),
            "/staff/donations?page=2"
        );
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(hostile)), "/staff", "{hostile:?}");
        }
        assert_eq!(local_path(None), "/staff");
    }

    #[test]
    fn the_cookie_key_depends_on_the_secret() {
        let one = WebSettings::new(&[1; 64], false);
        let two = WebSettings::new(&[2; 64], true);
        let mut jar = CookieJar::new();
        jar.private_mut(&one.key).add(Cookie::new("session", "x"));
        let sealed = jar.delta().next().unwrap().value().to_owned();
        let mut other = CookieJar::new();
        other.add_original(Cookie::new("session", sealed.clone()));
        assert!(other.private(&two.key).get("session").is_none());
        let mut same = CookieJar::new();
        same.add_original(Cookie::new("session", sealed));
        assert_eq!(same.private(&one.key).get("session").unwrap().value(), "x");
        assert_eq!(two.cookie_name(), "__Host-session");
    }
}
