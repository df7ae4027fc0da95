//! Bearer-token authentication and role checks.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use domain::Role;

use super::error::ApiError;
use crate::AppState;

/// The authenticated caller of an API request.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// Their user id.
    pub user_id: i64,
    /// Their role.
    pub role: Role,
    /// The hash of the token they came with, for the ledger writer to re-check.
    pub credential: [u8; 32],
}

impl Caller {
    /// Refuses callers whose role is not in `roles` (`who` names them for the message).
    pub fn require(self, roles: &[Role], who: &'static str) -> Result<Caller, ApiError> {
        if roles.contains(&self.role) {
            Ok(self)
        } else {
            Err(ApiError::Forbidden(who))
        }
    }

    /// Admins and amil staff: those who record money movements.
    pub fn recorder(self) -> Result<Caller, ApiError> {
        self.require(&[Role::Admin, Role::Amil], "admins and amil staff")
    }

    /// Admins and auditors.
    pub fn auditor(self) -> Result<Caller, ApiError> {
        self.require(&[Role::Admin, Role::Auditor], "admins and auditors")
    }

    /// Admins.
    pub fn admin(self) -> Result<Caller, ApiError> {
        self.require(&[Role::Admin], "admins")
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
        if let Some((user_id, role)) = state.cached_authentication(&credential) {
            return Ok(Caller {
                user_id,
                role,
                credential,
            });
        }
        match state.database().authenticate(&credential).await? {
            Some((user_id, role)) => {
                state.remember_authentication(credential, user_id, role);
                Ok(Caller {
                    user_id,
                    role,
                    credential,
                })
            }
            None => Err(ApiError::Unauthenticated),
        }
    }
}
