//! `/staff/users` (admins): the users with their role and status, creating a user with an
//! initial password, disabling and enabling one (a disabled user's sessions and tokens stop at
//! once), and each user's API tokens — listed without their secret, created (the token shown
//! once, on the answer to the form) and revoked. Every change is the same audit-chained write
//! as the `user` and `token` commands make.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::Role;
use domain::role::ADMINS;
use maud::{Markup, html};
use storage::StorageError;
use storage::ledger::LedgerError;
use storage::views::admin::UserAccount;

use super::super::error::PageError;
use super::super::session::{FORM_INVALID, Staff};
use super::super::{format, layout, redirect};
use super::registers::form::{self, Field, Filled, Kind, Problem, Sent};
use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/users", get(list).post(create))
        .route("/staff/users/{id}", get(show))
        .route("/staff/users/{id}/disable", post(disable))
        .route("/staff/users/{id}/enable", post(enable))
        .route("/staff/users/{id}/tokens", post(create_token))
        .route(
            "/staff/users/{id}/tokens/{token}/revoke",
            post(revoke_token),
        )
}

/// The lifetimes a token can be given here (the `--expires-in` of `token create`), the
/// default first.
const TOKEN_LIFETIMES: [&str; 4] = ["90d", "30d", "7d", "365d"];

/// What a user's page says after a form did its work (`?created=1`, …).
const NOTICES: [&str; 4] = ["created", "disabled", "enabled", "revoked"];

/// The fields of the new-user form.
const USER_FIELDS: [&str; 4] = ["email", "role", "password", "password_again"];

fn role_options(staff: &Staff) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|role| {
            (
                role.as_str().to_owned(),
                staff.t(&format!("users-role-{}", role.as_str())),
            )
        })
        .collect()
}

fn status(staff: &Staff, user: &UserAccount) -> Markup {
    html! {
        @if user.disabled_at.is_some() {
            span.badge.danger { (staff.t("users-disabled")) }
        } @else {
            span.badge { (staff.t("users-active")) }
        }
    }
}

/// `GET /staff/users`.
async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    list_page(&state, &staff, &Filled::default(), StatusCode::OK).await
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    filled: &Filled,
    status_code: StatusCode,
) -> Result<Response, PageError> {
    let users = state.database().user_accounts().await?;
    let title = staff.t("users-title");
    let labels: Vec<(&str, String)> = USER_FIELDS
        .iter()
        .map(|name| (*name, staff.t(&format!("users-field-{name}"))))
        .collect();
    let body = html! {
        h1 { (title) }
        div.table-wrap tabindex="0" {
            table.stack-table {
                caption.visually-hidden { (title) }
                thead { tr {
                    th scope="col" { (staff.t("users-field-email")) }
                    th scope="col" { (staff.t("users-field-role")) }
                    th scope="col" { (staff.t("users-status")) }
                    th scope="col" { (staff.t("users-created")) }
                } }
                tbody {
                    @for user in &users {
                        tr {
                            th scope="row" {
                                a href={ "/staff/users/" (user.id) } { (user.email) }
                                @if user.id == staff.user_id { " " span.hint { (staff.t("users-you")) } }
                            }
                            td data-label=(staff.t("users-field-role")) { (staff.t(&format!("users-role-{}", user.role.as_str()))) }
                            td data-label=(staff.t("users-status")) { (status(staff, user)) }
                            td data-label=(staff.t("users-created")) { (format::date(staff.lang, user.created_at.date())) }
                        }
                    }
                }
            }
        }
        section.panel #new-user aria-labelledby="new-user-title" {
            h2 #new-user-title { (staff.t("users-new")) }
            p.hint { (staff.t("users-new-text")) }
            form.stack method="post" action="/staff/users" novalidate {
                (staff.csrf_field())
                (form::summary(staff, filled, &labels))
                (Field::new("user", "email", staff.t("users-field-email")).kind(Kind::Email).required().max_length(254).autocomplete("off").render(filled))
                (form::select(filled, ("user", "role"), &staff.t("users-field-role"), &role_options(staff), None))
                (Field::new("user", "password", staff.t("users-field-password")).kind(Kind::Password).required()
                    .autocomplete("new-password").hint(staff.t_args("users-hint-password", &[("min", i64::try_from(domain::credentials::PASSWORD_LENGTH_MIN).unwrap_or(12).into())])).render(filled))
                (Field::new("user", "password_again", staff.t("users-field-password_again")).kind(Kind::Password).required()
                    .autocomplete("new-password").render(filled))
                button #create-user type="submit" { (staff.t("users-create")) }
            }
        }
    };
    Ok((status_code, layout::staff(staff, &title, &body)).into_response())
}

/// A storage conflict (the e-mail is taken) or nothing found (the user is gone or already in
/// the state asked for), told apart from a real failure.
fn not_found_or_conflict(err: &LedgerError) -> Option<&'static str> {
    match err {
        LedgerError::Storage(err) => match **err {
            StorageError::Conflict { .. } => Some("conflict"),
            StorageError::NotFound => Some("not-found"),
            _ => None,
        },
        _ => None,
    }
}

/// `POST /staff/users`: creates the user (as `user create` does: the e-mail checked, the
/// password hashed with argon2id, audit-chained).
async fn create(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let refuse = |sent: Sent, problem: Problem| {
        let state = state.clone();
        let staff = staff.clone();
        async move { list_page(&state, &staff, &sent.refill(problem), FORM_INVALID).await }
    };
    let email = match domain::credentials::user_email(sent.get("email")) {
        Ok(email) => email,
        Err(err) => return refuse(sent, Problem::at("email", err.to_string())).await,
    };
    let Some(role) = Role::ALL
        .into_iter()
        .find(|role| role.as_str() == sent.get("role"))
    else {
        return refuse(sent, Problem::at("role", staff.t("users-role-unknown"))).await;
    };
    let password = sent.get("password").to_owned();
    if password != sent.get("password_again") {
        return refuse(
            sent,
            Problem::at("password_again", staff.t("users-passwords-differ")),
        )
        .await;
    }
    let mut salt = [0; 16];
    getrandom::fill(&mut salt).map_err(|_| PageError::Api(crate::api::ApiError::Unavailable))?;
    // argon2id takes tens of milliseconds of a core: off the async workers.
    let hashed =
        tokio::task::spawn_blocking(move || domain::credentials::hash_password(&password, salt))
            .await
            .map_err(|_| PageError::Api(crate::api::ApiError::Internal))?;
    let hash = match hashed {
        Ok(hash) => hash,
        Err(err) => return refuse(sent, Problem::at("password", err.to_string())).await,
    };
    match state
        .database()
        .create_user(state.checkpoint_key(), &staff.actor(), &email, role, &hash)
        .await
    {
        Ok(id) => Ok(redirect(&format!("/staff/users/{id}?created=1"))),
        Err(err) if not_found_or_conflict(&err) == Some("conflict") => {
            refuse(sent, Problem::at("email", staff.t("users-email-taken"))).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The user the path names.
async fn user_of(state: &AppState, id: &str) -> Result<UserAccount, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    state
        .database()
        .user_account(id)
        .await?
        .ok_or(PageError::NotFound)
}

/// `GET /staff/users/{id}`.
async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let user = user_of(&state, &id).await?;
    let query = Sent::from_query(query.as_deref());
    let notice = NOTICES.into_iter().find(|flag| !query.get(flag).is_empty());
    user_page(&state, &staff, &user, notice, None, None, StatusCode::OK).await
}

/// A token just created: shown once, never stored.
struct NewToken {
    id: i64,
    token: String,
    expires_at: time::OffsetDateTime,
}

async fn user_page(
    state: &AppState,
    staff: &Staff,
    user: &UserAccount,
    notice: Option<&str>,
    new_token: Option<&NewToken>,
    problem: Option<Problem>,
    status_code: StatusCode,
) -> Result<Response, PageError> {
    let tokens = state.database().api_tokens_of(user.id).await?;
    let title = user.email.clone();
    let path = format!("/staff/users/{}", user.id);
    let token_form = match &problem {
        Some(problem) if problem.field.as_deref() == Some("expires_in") => {
            Filled::default().refused(problem.clone())
        }
        _ => Filled::default().with("expires_in", TOKEN_LIFETIMES[0]),
    };
    let general = problem.filter(|problem| problem.field.is_none());
    let body = html! {
        p.breadcrumb { a href="/staff/users" { (staff.t("users-title")) } }
        h1 { (title) }
        @if let Some(notice) = notice {
            p.alert.ok role="status" { (staff.t(&format!("users-notice-{notice}"))) }
        }
        @if let Some(problem) = &general {
            p.alert.error role="alert" { (problem.message) }
        }
        @if let Some(new_token) = new_token {
            div.alert.ok.new-token role="status" {
                p { strong { (staff.t("users-token-created")) } }
                p { (staff.t("users-token-once")) }
                p { code #new-token { (new_token.token) } }
                p.hint {
                    (staff.t_args("users-token-facts", &[
                        ("id", new_token.id.into()),
                        ("expires", format::date_time(staff.lang, new_token.expires_at).into()),
                    ]))
                }
            }
        }
        section.panel aria-labelledby="account-title" {
            h2 #account-title { (staff.t("users-account")) }
            dl.facts {
                dt { (staff.t("users-field-email")) } dd { (user.email) }
                dt { (staff.t("users-field-role")) } dd { (staff.t(&format!("users-role-{}", user.role.as_str()))) }
                dt { (staff.t("users-status")) } dd { (status(staff, user)) }
                dt { (staff.t("users-created")) } dd { (format::date_time(staff.lang, user.created_at)) }
                @if let Some(at) = user.disabled_at {
                    dt { (staff.t("users-disabled-at")) } dd { (format::date_time(staff.lang, at)) }
                }
            }
            @if user.id == staff.user_id {
                p.hint { (staff.t("users-self")) }
            } @else if user.disabled_at.is_some() {
                form method="post" action={ (path) "/enable" } {
                    (staff.csrf_field())
                    button #enable-user type="submit" { (staff.t("users-enable")) }
                }
            } @else {
                form method="post" action={ (path) "/disable" } data-confirm=(staff.t("users-disable-question")) {
                    (staff.csrf_field())
                    p.hint { (staff.t("users-disable-text")) }
                    button.danger #disable-user type="submit" { (staff.t("users-disable")) }
                }
            }
        }
        (tokens_section(staff, user, &tokens, &token_form))
    };
    Ok((status_code, layout::staff(staff, &title, &body)).into_response())
}

/// The user's API tokens (never a secret), the revoke buttons and the form for a new one.
fn tokens_section(
    staff: &Staff,
    user: &UserAccount,
    tokens: &[storage::views::admin::ApiTokenInfo],
    token_form: &Filled,
) -> Markup {
    let now = time::OffsetDateTime::now_utc();
    let path = format!("/staff/users/{}", user.id);
    let lifetimes: Vec<(String, String)> = TOKEN_LIFETIMES
        .iter()
        .map(|lifetime| {
            (
                (*lifetime).to_owned(),
                staff.t(&format!("users-lifetime-{lifetime}")),
            )
        })
        .collect();
    html! {
    section.panel aria-labelledby="tokens-title" {
        h2 #tokens-title { (staff.t("users-tokens")) }
        p.hint { (staff.t("users-tokens-text")) }
        @if tokens.is_empty() {
            p { (staff.t("users-tokens-none")) }
        } @else {
            div.table-wrap tabindex="0" {
                table.stack-table {
                    caption.visually-hidden { (staff.t("users-tokens")) }
                    thead { tr {
                        th scope="col" .number { (staff.t("users-token-id")) }
                        th scope="col" { (staff.t("users-created")) }
                        th scope="col" { (staff.t("users-token-expires")) }
                        th scope="col" { (staff.t("users-status")) }
                        th scope="col" { span.visually-hidden { (staff.t("users-token-actions")) } }
                    } }
                    tbody {
                        @for token in tokens {
                            tr {
                                td.number data-label=(staff.t("users-token-id")) { (token.id) }
                                td data-label=(staff.t("users-created")) { (format::date_time(staff.lang, token.created_at)) }
                                td data-label=(staff.t("users-token-expires")) {
                                    @match token.expires_at {
                                        Some(at) => (format::date_time(staff.lang, at)),
                                        None => (staff.t("users-token-no-expiry")),
                                    }
                                }
                                td data-label=(staff.t("users-status")) {
                                    @if let Some(at) = token.revoked_at {
                                        span.badge.danger { (staff.t("users-token-revoked")) } " " (format::date(staff.lang, at.date()))
                                    } @else if token.live(now) {
                                        span.badge { (staff.t("users-token-live")) }
                                    } @else {
                                        span.badge.danger { (staff.t("users-token-expired")) }
                                    }
                                }
                                td {
                                    @if token.revoked_at.is_none() {
                                        form.inline-form method="post" action={ (path) "/tokens/" (token.id) "/revoke" }
                                            data-confirm=(staff.t("users-revoke-question")) {
                                            (staff.csrf_field())
                                            button.secondary type="submit" aria-label=(staff.t_args("users-revoke-label", &[("id", token.id.into())])) {
                                                (staff.t("users-revoke"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if user.disabled_at.is_none() {
            h3 { (staff.t("users-token-new")) }
            form.stack method="post" action={ (path) "/tokens" } {
                (staff.csrf_field())
                (form::select(token_form, ("token", "expires_in"), &staff.t("users-field-expires_in"), &lifetimes, None))
                button #create-token type="submit" { (staff.t("users-token-create")) }
            }
        }
    }
    }
}

/// `POST /staff/users/{id}/disable`: as `user disable`; their sessions and tokens stop at
/// once (the authentication cache forgets them) and their sessions are ended for good. An
/// admin cannot disable themselves.
async fn disable(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let user = user_of(&state, &id).await?;
    if user.id == staff.user_id {
        let problem = Problem {
            field: None,
            message: staff.t("users-self"),
        };
        return user_page(
            &state,
            &staff,
            &user,
            None,
            None,
            Some(problem),
            FORM_INVALID,
        )
        .await;
    }
    match state
        .database()
        .disable_user(state.checkpoint_key(), &staff.actor(), &user.email)
        .await
    {
        Ok(_) => {}
        // Disabled already (a second click): nothing more to do.
        Err(err) if not_found_or_conflict(&err) == Some("not-found") => {}
        Err(err) => return Err(err.into()),
    }
    // Their web sessions end too, so enabling them again later revives none of them.
    match state
        .database()
        .end_sessions_of(state.checkpoint_key(), &staff.actor(), user.id)
        .await
    {
        Ok(_) => {}
        Err(err) if not_found_or_conflict(&err) == Some("not-found") => {}
        Err(err) => return Err(err.into()),
    }
    state.forget_authentication(&[0; 32], Some(user.id));
    Ok(redirect(&format!("/staff/users/{}?disabled=1", user.id)))
}

/// `POST /staff/users/{id}/enable`: their tokens that neither expired nor were revoked work
/// again.
async fn enable(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let user = user_of(&state, &id).await?;
    match state
        .database()
        .enable_user(state.checkpoint_key(), &staff.actor(), &user.email)
        .await
    {
        Ok(_) => {}
        Err(err) if not_found_or_conflict(&err) == Some("not-found") => {}
        Err(err) => return Err(err.into()),
    }
    Ok(redirect(&format!("/staff/users/{}?enabled=1", user.id)))
}

/// `POST /staff/users/{id}/tokens`: as `token create`; the token is on this answer only (a
/// page, not a redirect: it is stored nowhere it could be shown again).
async fn create_token(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let user = user_of(&state, &id).await?;
    let lifetime = match domain::credentials::parse_token_lifetime(sent.get("expires_in")) {
        Ok(lifetime) => lifetime,
        Err(err) => {
            let problem = Problem::at("expires_in", err.to_string());
            return user_page(
                &state,
                &staff,
                &user,
                None,
                None,
                Some(problem),
                FORM_INVALID,
            )
            .await;
        }
    };
    // Whole seconds: the expiry is shown to people and compared across backends.
    let now = time::OffsetDateTime::now_utc();
    let expires_at = (now + lifetime)
        .replace_nanosecond(0)
        .unwrap_or(now + lifetime);
    let mut random = [0; 32];
    getrandom::fill(&mut random).map_err(|_| PageError::Api(crate::api::ApiError::Unavailable))?;
    let token = domain::credentials::token_from_bytes(random);
    let hash = domain::credentials::token_hash(&token);
    match state
        .database()
        .create_token(
            state.checkpoint_key(),
            &staff.actor(),
            &user.email,
            &hash,
            Some(expires_at),
        )
        .await
    {
        Ok(token_id) => {
            let new_token = NewToken {
                id: token_id,
                token,
                expires_at,
            };
            user_page(
                &state,
                &staff,
                &user,
                None,
                Some(&new_token),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(err) if not_found_or_conflict(&err) == Some("not-found") => {
            let problem = Problem {
                field: None,
                message: staff.t("users-token-disabled-user"),
            };
            user_page(
                &state,
                &staff,
                &user,
                None,
                None,
                Some(problem),
                FORM_INVALID,
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /staff/users/{id}/tokens/{token}/revoke`: as `token revoke`; the token stops at once.
async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, token)): Path<(String, String)>,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let user = user_of(&state, &id).await?;
    let token: i64 = token.parse().map_err(|_| PageError::NotFound)?;
    // Only a token of this user, as the page listed it.
    let tokens = state.database().api_tokens_of(user.id).await?;
    if !tokens.iter().any(|listed| listed.id == token) {
        return Err(PageError::NotFound);
    }
    match state
        .database()
        .revoke_token(state.checkpoint_key(), &staff.actor(), token)
        .await
    {
        Ok(_) => {}
        // Revoked already (a second click).
        Err(err) if not_found_or_conflict(&err) == Some("not-found") => {}
        Err(err) => return Err(err.into()),
    }
    state.forget_authentication(&[0; 32], Some(user.id));
    Ok(redirect(&format!("/staff/users/{}?revoked=1", user.id)))
}

#[cfg(test)]
mod tests {
    use domain::Role;

    use super::super::registers::form::assert_messages_exist;
    use super::{NOTICES, TOKEN_LIFETIMES, USER_FIELDS};

    #[test]
    fn every_message_the_user_pages_build_from_a_name_exists() {
        let mut ids: Vec<String> = Role::ALL
            .iter()
            .map(|role| format!("users-role-{}", role.as_str()))
            .collect();
        ids.extend(USER_FIELDS.map(|field| format!("users-field-{field}")));
        ids.extend(TOKEN_LIFETIMES.map(|lifetime| format!("users-lifetime-{lifetime}")));
        ids.extend(NOTICES.map(|notice| format!("users-notice-{notice}")));
        assert_messages_exist(ids);
    }

    #[test]
    fn every_lifetime_offered_is_one_a_token_may_have() {
        for lifetime in TOKEN_LIFETIMES {
            assert!(
                domain::credentials::parse_token_lifetime(lifetime).is_ok(),
                "{lifetime}"
            );
        }
    }
}
