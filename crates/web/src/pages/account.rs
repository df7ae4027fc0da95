//! Signing in and out.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use storage::StorageError;
use storage::ledger::LedgerError;

use super::error::PageError;
use super::layout;
use super::session::{
    FAILED_SIGN_INS_PER_ACCOUNT, FAILED_SIGN_INS_PER_ADDRESS, SESSION_TTL, SessionChange, Staff,
    Visitor, local_path,
};
use crate::AppState;
use crate::client::{ClientAddress, limit_key};

/// An e-mail or password longer than this is not one: refused before any hashing.
const CREDENTIAL_LENGTH_MAX: usize = 256;

/// An argon2id hash (same parameters as real ones) of nothing anyone types: an unknown e-mail
/// costs a sign-in the same hashing as a wrong password, so timing does not tell which
/// e-mails have accounts.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    domain::credentials::hash_password("\u{0}not a password anyone can type", [7; 16])
        .expect("the dummy password is of a valid length")
});

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
pub(crate) async fn form(
    visitor: Visitor,
    axum::extract::Query(query): axum::extract::Query<NextQuery>,
) -> Response {
    if visitor.signed_in.is_some() {
        return super::redirect(&local_path(query.next.as_deref()));
    }
    page(&visitor, query.next.as_deref(), "", None).into_response()
}

fn page(visitor: &Visitor, next: Option<&str>, email: &str, problem: Option<&str>) -> Markup {
    let title = visitor.t("sign-in-title");
    let body = html! {
        section.narrow {
            h1 { (title) }
            @if let Some(problem) = problem {
                p.alert.error role="alert" { (visitor.t(problem)) }
            }
            form.stack method="post" action="/login" {
                (visitor.csrf_field())
                input type="hidden" name="next" value=(local_path(next));
                label for="email" { (visitor.t("field-email")) }
                input #email type="email" name="email" value=(email) autocomplete="username" required maxlength="254";
                label for="password" { (visitor.t("field-password")) }
                input #password type="password" name="password" autocomplete="current-password" required maxlength="256";
                button type="submit" { (visitor.t("sign-in")) }
            }
        }
    };
    layout::public(visitor, &title, &body)
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /login`: the session on the right password; the form again on a wrong one; 429 once
/// the account or the address used up its failures.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    visitor: Visitor,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let email = form.email.trim().to_lowercase();
    let keys = [
        (format!("account:{email}"), FAILED_SIGN_INS_PER_ACCOUNT),
        (
            format!("address:{}", limit_key(client)),
            FAILED_SIGN_INS_PER_ADDRESS,
        ),
    ];
    let throttle = &state.web().throttle;
    if let Some(wait) = throttle.wait(&keys) {
        return Err(PageError::Throttled(wait));
    }
    let refuse = |problem| {
        let markup = page(&visitor, form.next.as_deref(), &email, Some(problem));
        Ok((StatusCode::UNAUTHORIZED, markup).into_response())
    };
    if email.len() > CREDENTIAL_LENGTH_MAX || form.password.len() > CREDENTIAL_LENGTH_MAX {
        throttle.fail(&keys);
        return refuse("sign-in-wrong");
    }
    let user = state.database().sign_in_user(&email).await?;
    let stored = user
        .as_ref()
        .map_or(DUMMY_HASH.as_str(), |user| user.password_hash.as_str())
        .to_owned();
    let password = form.password.clone();
    // argon2id takes tens of milliseconds of a core: off the async workers.
    let right = tokio::task::spawn_blocking(move || {
        domain::credentials::verify_password(&password, &stored)
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|user| right && !user.disabled) else {
        throttle.fail(&keys);
        return refuse("sign-in-wrong");
    };
    throttle.clear(&keys[0].0);
    let mut random = [0; 32];
    getrandom::fill(&mut random).map_err(|_| PageError::Api(crate::api::ApiError::Unavailable))?;
    let token = domain::credentials::token_from_bytes(random);
    let hash = domain::credentials::token_hash(&token);
    let expires_at = (time::OffsetDateTime::now_utc() + SESSION_TTL)
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc() + SESSION_TTL);
    match state
        .database()
        .start_session(state.checkpoint_key(), user.id, &hash, expires_at)
        .await
    {
        Ok(_) => {}
        Err(LedgerError::Storage(err)) if matches!(*err, StorageError::NotFound) => {
            return refuse("sign-in-wrong");
        }
        Err(err) => return Err(err.into()),
    }
    tracing::info!(user_id = user.id, "signed in");
    let mut response = super::redirect(&local_path(form.next.as_deref()));
    response
        .extensions_mut()
        .insert(SessionChange::SignIn { token, email });
    Ok(response)
}

/// `POST /logout`: ends this session.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Response, PageError> {
    end(&state, &staff, false).await
}

/// `POST /logout/everywhere`: ends every session of the user (every browser, every device).
pub(crate) async fn sign_out_everywhere(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Response, PageError> {
    end(&state, &staff, true).await
}

async fn end(state: &AppState, staff: &Staff, everywhere: bool) -> Result<Response, PageError> {
    match state
        .database()
        .end_sessions(state.checkpoint_key(), staff.credential(), everywhere)
        .await
    {
        Ok(_) => {}
        Err(LedgerError::Storage(err)) if matches!(*err, StorageError::NotFound) => {}
        Err(err) => return Err(err.into()),
    }
    state.forget_authentication(
        &staff.credential().token_hash,
        everywhere.then_some(staff.user_id),
    );
    let mut response = super::redirect("/");
    response.extensions_mut().insert(SessionChange::SignOut);
    Ok(response)
}
