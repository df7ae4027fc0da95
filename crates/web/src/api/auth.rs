//! Bearer-token authentication and role checks.
//!
//! Role checks are extractors ([`Admin`], [`Recorder`], [`Verifier`]) that handlers take before
//! their body: axum runs extractors in argument order, so a caller whose role may not write is
//! refused (403) before the body is read or validated, and learns nothing about its fields.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use domain::Role;
use storage::ledger::{Authenticated, Credential, Refusal};
use time::OffsetDateTime;

use super::error::ApiError;
use crate::AppState;

/// The authenticated caller of an API request.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// Their user id.
    pub user_id: i64,
    /// Their role.
    pub role: Role,
    /// The hash of the token they came with, for the write to re-check in its transaction.
    pub credential: [u8; 32],
}

impl Caller {
    /// The caller as the ledger's actor: writes re-check the token in their own transaction.
    #[must_use]
    pub fn actor(self) -> storage::ledger::Actor {
        storage::ledger::Actor::User(Credential {
            user_id: self.user_id,
            token_hash: self.credential,
        })
    }
}

/// A token longer than this is not one of ours; refusing early bounds the hashing work.
const TOKEN_LENGTH_MAX: usize = 128;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty() && token.len() <= TOKEN_LENGTH_MAX)
            .ok_or(ApiError::Unauthenticated)?;
        let credential = domain::credentials::token_hash(token);
        let found = if let Some(found) = state.cached_authentication(&credential) {
            found
        } else {
            let found = state
                .database()
                .authenticate(&credential)
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            state.remember_authentication(credential, found);
            found
        };
        live(&found)?;
        Ok(Caller {
            user_id: found.user_id,
            role: found.role,
            credential,
        })
    }
}

/// Refuses a token past its expiry (401 naming when it expired).
fn live(found: &Authenticated) -> Result<(), ApiError> {
    match domain::credentials::token_expired(found.expires_at, OffsetDateTime::now_utc()) {
        Some(at) => Err(ApiError::Refused(Refusal::CredentialExpired(at))),
        None => Ok(()),
    }
}

/// Declares an extractor that authenticates the caller and requires one of `$roles`.
macro_rules! role_guard {
    ($(#[$attribute:meta])* $name:ident, $roles:expr, $who:literal) => {
        $(#[$attribute])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                let caller = Caller::from_request_parts(parts, state).await?;
                if $roles.contains(&caller.role) {
                    Ok($name(caller))
                } else {
                    Err(ApiError::Forbidden($who))
                }
            }
        }
    };
}

role_guard!(
    /// A caller who records money movements: admins and amil staff.
    Recorder,
    domain::role::RECORDERS,
    "admins and amil staff"
);
role_guard!(
    /// A caller who reads reports and exports (every role: `domain::role::REPORT_READERS`).
    #[expect(dead_code, reason = "reading needs the role, not who the caller is")]
    ReportReader,
    domain::role::REPORT_READERS,
    "admins, amil staff and auditors"
);
role_guard!(
    /// An admin.
    Admin,
    domain::role::ADMINS,
    "admins"
);
role_guard!(
    /// A caller who verifies the audit chain: admins and auditors.
    #[expect(dead_code, reason = "verifying needs the role, not who the caller is")]
    Verifier,
    domain::role::VERIFIERS,
    "admins and auditors"
);
role_guard!(
    /// A caller who reads donors' personal data (and so prints their receipts): admins and
    /// amil staff.
    PersonalDataReader,
    domain::role::PERSONAL_DATA_READERS,
    "admins and amil staff"
);
