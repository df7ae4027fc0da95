//! What callers hand the ledger and what it hands back.

use std::sync::Arc;

use domain::ledger::{DistributionRule, ReceiptNumber};
use domain::{Asnaf, DonationType, Fund, Money, PaymentMethod, Role};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

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

/// Personal data of a donor (muzaki). Never logged, never in the audit chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PersonalData {
    /// Full name as printed on receipts.
    pub name: String,
    /// NIK (national identity number).
    pub nik: Option<String>,
    /// NPWP (tax number), needed for a tax-deductible receipt.
    pub npwp: Option<String>,
    /// NPWZ (BAZNAS payer number).
    pub npwz: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// Who gave a donation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DonorRef {
    /// A donor already on file.
    Existing(Uuid),
    /// A new donor, filed with the donation.
    New(PersonalData),
    /// No donor on file.
    Anonymous,
}

/// A donation to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDonation {
    /// Its type, which decides the fund.
    pub donation_type: DonationType,
    /// The campaign it was given for, if any.
    pub campaign_id: Option<Uuid>,
    /// Who gave it.
    pub donor: DonorRef,
    /// How much.
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When the institution received it.
    pub received_on: Date,
    /// A free-text note.
    pub note: Option<String>,
}

/// A void (the whole remaining amount) or a refund (part or all of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReversalKind {
    /// The donation was recorded in error; its receipt stays, marked void.
    Void,
    /// Money was paid back to the donor: this many minor units of the donation's currency.
    Refund(i64),
}

/// A reversal of a donation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReversal {
    /// The donation reversed.
    pub donation_id: Uuid,
    /// Void or refund.
    pub kind: ReversalKind,
    /// Why.
    pub reason: Option<String>,
}

/// Who receives a distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecipientRef {
    /// A recipient already on file.
    Existing(Uuid),
    /// A new recipient (mustahik), filed with the distribution.
    New(PersonalData),
}

/// A distribution (penyaluran) to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDistribution {
    /// The fund it is paid from.
    pub fund: Fund,
    /// For restricted funds: the campaign whose money it is.
    pub campaign_id: Option<Uuid>,
    /// Who receives it.
    pub recipient: RecipientRef,
    /// The recipient's asnaf.
    pub asnaf: Asnaf,
    /// The program it is paid under.
    pub program: String,
    /// How much.
    pub amount: Money,
    /// How it is paid.
    pub method: PaymentMethod,
    /// When it was paid.
    pub distributed_on: Date,
    /// A free-text note.
    pub note: Option<String>,
}

/// A campaign (a restricted purpose donors can give for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCampaign {
    /// Its name.
    pub name: String,
    /// What its money may be used for.
    pub purpose: String,
}

/// A change to the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Record a donation.
    Donation(NewDonation),
    /// Void or refund a donation.
    Reversal(NewReversal),
    /// Record a distribution.
    Distribution(NewDistribution),
    /// File a donor.
    Donor(PersonalData),
    /// Open a campaign.
    Campaign(NewCampaign),
    /// Set the share of zakat that goes to the amil fund.
    AmilShare(domain::AmilShare),
}

impl Change {
    /// The roles that may make this change.
    #[must_use]
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Change::Donation(_)
            | Change::Reversal(_)
            | Change::Distribution(_)
            | Change::Donor(_) => domain::role::RECORDERS,
            Change::Campaign(_) | Change::AmilShare(_) => domain::role::ADMINS,
        }
    }
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

/// A donation as stored, with what happened to it since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Donation {
    /// Its id.
    pub id: Uuid,
    /// Its receipt number.
    pub receipt: ReceiptNumber,
    /// Its type.
    pub donation_type: DonationType,
    /// The fund it feeds.
    pub fund: Fund,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// The donor, unless anonymous.
    pub donor_id: Option<Uuid>,
    /// How much.
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When it was received.
    pub received_on: Date,
    /// The note.
    pub note: Option<String>,
    /// The part moved to the amil fund.
    pub amil_share_minor: i64,
    /// How much was refunded or voided so far.
    pub reversed_minor: i64,
    /// Whether it was voided.
    pub voided: bool,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When.
    pub recorded_at: OffsetDateTime,
}

/// Where a donation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DonationStatus {
    /// Recorded, nothing reversed.
    Recorded,
    /// Part of it was refunded.
    PartiallyRefunded,
    /// All of it was refunded.
    Refunded,
    /// Voided; the receipt keeps its number and shows as void.
    Void,
}

impl Donation {
    /// Where it stands.
    #[must_use]
    pub fn status(&self) -> DonationStatus {
        if self.voided {
            DonationStatus::Void
        } else if self.reversed_minor == 0 {
            DonationStatus::Recorded
        } else if self.reversed_minor < self.amount.minor() {
            DonationStatus::PartiallyRefunded
        } else {
            DonationStatus::Refunded
        }
    }

    /// What can still be refunded or voided.
    #[must_use]
    pub fn remaining_minor(&self) -> i64 {
        self.amount.minor() - self.reversed_minor
    }
}

/// A distribution as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// Its id.
    pub id: Uuid,
    /// The fund it was paid from.
    pub fund: Fund,
    /// The campaign, for restricted funds.
    pub campaign_id: Option<Uuid>,
    /// Who received it.
    pub recipient_id: Uuid,
    /// Their asnaf.
    pub asnaf: Asnaf,
    /// The program.
    pub program: String,
    /// How much.
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When.
    pub distributed_on: Date,
    /// The note.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// What a change produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The donation recorded.
    Donation(Donation),
    /// The donation after the reversal, and the reversal's id.
    Reversal {
        /// The reversal's id.
        id: Uuid,
        /// Void or refund.
        kind: ReversalKind,
        /// The donation as it now stands.
        donation: Donation,
    },
    /// The distribution recorded.
    Distribution(Distribution),
    /// The donor's id.
    Donor(Uuid),
    /// The campaign's id.
    Campaign(Uuid),
    /// The amil share now in force.
    AmilShare(domain::AmilShare),
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
    /// No such donor.
    #[error("no donor with id `{0}`")]
    UnknownDonor(Uuid),
    /// No such campaign.
    #[error("no campaign with id `{0}`")]
    UnknownCampaign(Uuid),
    /// No such recipient.
    #[error("no recipient with id `{0}`")]
    UnknownRecipient(Uuid),
    /// No such donation.
    #[error("no donation with id `{0}`")]
    UnknownDonation(Uuid),
    /// The donation was voided already.
    #[error("the donation is void; nothing is left to reverse")]
    AlreadyVoid,
    /// Everything was refunded already.
    #[error("the donation was refunded in full; nothing is left to reverse")]
    NothingLeft,
    /// More than what is left was asked back.
    #[error("only {remaining} can still be refunded")]
    RefundTooLarge {
        /// What is left, formatted with its currency.
        remaining: String,
    },
    /// Paying this would take a fund below zero.
    #[error("the `{account}` balance is {balance}, less than the {needed} this needs")]
    InsufficientFunds {
        /// The account.
        account: String,
        /// Its balance.
        balance: String,
        /// What is needed.
        needed: String,
    },
    /// A rule of the funds table.
    #[error(transparent)]
    Rule(#[from] DistributionRule),
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
