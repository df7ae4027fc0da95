//! What callers hand the ledger and what it hands back, around the books' own types
//! (`domain::ledger`): who asks, with which token and idempotency key, and why it was refused.

use std::sync::Arc;

use domain::Role;
use domain::ledger::{Change, Outcome};
use time::OffsetDateTime;

use crate::StorageError;

/// Who asks for a change, as the audit chain names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A user of the API, by the token they came with. Callers admit requests on a briefly
    /// cached authentication; the write re-checks the token in its own transaction (live, not
    /// expired, its user enabled and still in a role the change allows), so a revoked token,
    /// an expired one or a disabled user never writes.
    User(Credential),
    /// Someone at the server's command line (`donation_platform user create`, …), by OS user.
    Operator(String),
}

impl Actor {
    /// The audit chain's `actor` field: `user:<id>` or `operator:<name>`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Actor::User(credential) => user_label(credential.user_id),
            Actor::Operator(name) => format!("operator:{name}"),
        }
    }
}

/// The audit chain's name for a user.
pub(crate) fn user_label(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// An API caller as authenticated: the user and the hash of the token they came with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credential {
    /// The user the token belonged to when it was checked.
    pub user_id: i64,
    /// The SHA-256 of the token (`domain::credentials::token_hash`).
    pub token_hash: [u8; 32],
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// What a live token stands for (revoked tokens and disabled users have none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The user.
    pub user_id: i64,
    /// Their role.
    pub role: Role,
    /// When the token stops working, if it was created with a lifetime.
    pub expires_at: Option<OffsetDateTime>,
}

impl Authenticated {
    /// Refuses a token past its expiry, or a role that may not make a change needing `roles`.
    pub fn check(&self, roles: &[Role], now: OffsetDateTime) -> Result<(), Refusal> {
        if let Some(at) = domain::credentials::token_expired(self.expires_at, now) {
            return Err(Refusal::CredentialExpired(at));
        }
        if !roles.contains(&self.role) {
            return Err(Refusal::RoleNotAllowed(self.role));
        }
        Ok(())
    }
}

/// `at` as RFC 3339 (`2026-12-01T05:00:00Z`).
fn rfc3339(at: &OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// A response as sent, kept for replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The HTTP status.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// Renders an outcome as the response a retry must get back byte for byte.
pub type Renderer = Arc<dyn Fn(&Outcome) -> Rendered + Send + Sync>;

/// An `Idempotency-Key` claim on a change.
#[derive(Clone)]
pub struct Idempotency {
    /// The key as the client sent it (scoped to the user).
    pub key: String,
    /// A digest of the request, to tell a retry from a different request with the same key.
    pub request_digest: [u8; 32],
    /// How the response is rendered, inside the transaction that claims the key.
    pub render: Renderer,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A change with who asks for it and, optionally, its idempotency claim.
#[derive(Clone, Debug)]
pub struct Request {
    /// The user who asks (changes to the ledger come through the API, from users).
    pub user_id: i64,
    /// What to change.
    pub change: Change,
    /// The claim, if the client sent a key.
    pub idempotency: Option<Idempotency>,
    /// The hash of the API token the request came with. Callers may admit requests on a
    /// briefly cached authentication; the writer checks in the batch's own transaction that
    /// the token is still live and still the actor's, so a revoked token or a disabled user
    /// never writes.
    pub credential: Option<[u8; 32]>,
}

impl Request {
    pub(crate) fn claim(&self) -> Option<(i64, &Idempotency)> {
        Some((self.user_id, self.idempotency.as_ref()?))
    }
}

/// What a change returns: a fresh outcome (with its rendered response when the request had an
/// idempotency key) or the response of an earlier request with the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per request, moved once; boxing buys nothing"
)]
pub enum Applied {
    /// Done now.
    Done(Outcome, Option<Rendered>),
    /// Done before: the original response.
    Replayed(Rendered),
}

/// Why the ledger refused a change. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The token was revoked or its user disabled.
    #[error("this API token was revoked or its user disabled")]
    CredentialRevoked,
    /// The token's lifetime ended.
    #[error("this API token expired at {}; create a new one with `donation_platform token create`", rfc3339(.0))]
    CredentialExpired(OffsetDateTime),
    /// The user's role no longer allows the change.
    #[error("the `{0}` role may not make this change")]
    RoleNotAllowed(Role),
    /// The key was used before for a different request.
    #[error(
        "this `Idempotency-Key` was already used for a different request; use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// The books refused it (a rule of the ledger's; see `domain::ledger::Refusal`).
    #[error(transparent)]
    Books(#[from] domain::ledger::Refusal),
}

/// Why a change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The change is not allowed; nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The database failed, or the batch broke an invariant and was refused. Nothing was
    /// written, except when the connection was lost while committing: then the database may
    /// have committed, and a retry with the same idempotency key gets the stored response.
    /// Shared: one failure can fail every request of a batch.
    #[error("the ledger could not write")]
    Storage(#[source] Arc<StorageError>),
    /// The writer has stopped (the server is shutting down).
    #[error("the ledger is shutting down")]
    Stopped,
}

/// A user as found for signing in.
#[derive(Clone, PartialEq, Eq)]
pub struct SignInUser {
    /// Id.
    pub id: i64,
    /// Role.
    pub role: Role,
    /// The argon2id PHC string (`domain::credentials::hash_password`).
    pub password_hash: String,
    /// Whether the user was disabled.
    pub disabled: bool,
}

impl std::fmt::Debug for SignInUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInUser")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A user as listed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Id.
    pub id: i64,
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Whether the user was disabled.
    pub disabled: bool,
}
