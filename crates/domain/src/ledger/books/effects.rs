//! What an accepted change does: the answer for the caller ([`Outcome`]), the rows to store
//! ([`Record`]), the balanced journal entries ([`Entry`]) and what the audit chain records
//! ([`AuditNote`]).

use serde_json::json;
use uuid::Uuid;

use super::{Campaign, Distribution, Donation, FiledDonor, NewRecipient, Reversal, WakafBenefit};
use crate::Currency;
use crate::ledger::{Line, Setting, Settings};
use crate::npwz::Npwz;

/// What a change produced, as the caller answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The donation recorded.
    Donation(Donation),
    /// The reversal and the donation as it now stands.
    Reversal {
        /// The reversal.
        reversal: Reversal,
        /// The donation after it.
        donation: Donation,
    },
    /// The distribution recorded.
    Distribution(Distribution),
    /// The wakaf benefit recorded.
    WakafBenefit(WakafBenefit),
    /// The donor filed: their id and NPWZ.
    Donor {
        /// Their id.
        id: Uuid,
        /// The NPWZ issued.
        npwz: Npwz,
    },
    /// The recipient's id.
    Recipient(Uuid),
    /// The campaign opened.
    Campaign(Campaign),
    /// The settings now in force.
    Settings(Settings),
}

/// A row to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A donor filed.
    Donor(FiledDonor),
    /// A recipient filed.
    Recipient(Uuid, NewRecipient),
    /// A campaign opened.
    Campaign(Campaign),
    /// A donation.
    Donation(Donation),
    /// A void or refund.
    Reversal(Reversal),
    /// A distribution.
    Distribution(Distribution),
    /// A wakaf benefit.
    WakafBenefit(WakafBenefit),
    /// A setting's new value.
    Setting(Setting),
}

/// A balanced journal entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its id.
    pub id: Uuid,
    /// `donation`, `void`, `refund`, `distribution`, `wakaf_benefit`.
    pub kind: &'static str,
    /// The record it books.
    pub source_id: Uuid,
    /// The currency of its lines.
    pub currency: Currency,
    /// Its lines; they sum to zero.
    pub lines: Vec<Line>,
}

impl Entry {
    /// How the audit chain records it.
    #[must_use]
    pub fn describe(&self) -> serde_json::Value {
        let lines: Vec<_> = self
            .lines
            .iter()
            .map(
                |line| json!({ "account": line.account.code(), "amount_minor": line.amount_minor }),
            )
            .collect();
        json!({ "id": self.id, "currency": self.currency.code(), "lines": lines })
    }
}

/// What the audit chain records of a change: never personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditNote {
    /// `donation.record`, …
    pub action: &'static str,
    /// `donation:<id>`, …
    pub subject: String,
    /// The facts, as canonical JSON.
    pub payload: serde_json::Value,
}

/// What an accepted change does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effects {
    /// What the caller is answered.
    pub outcome: Outcome,
    /// Rows to store, parents first.
    pub records: Vec<Record>,
    /// Journal entries.
    pub entries: Vec<Entry>,
    /// Audit notes, in order.
    pub audit: Vec<AuditNote>,
}
