//! The records the books keep: campaigns with their rules, donations, reversals,
//! distributions and wakaf benefits, as stored and answered.

use serde_json::json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::ReversalKind;
use crate::ledger::rules::{AsnafList, BOOKS_CURRENCY};
use crate::ledger::{
    Account, Asnaf, DonationType, Fund, PublicPurpose, RateToIdr, ReceiptNumber, Share,
};
use crate::{Currency, Money, PaymentMethod};

/// What a campaign's money may pay for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignRules {
    /// The asnaf its money may pay.
    pub allowed_asnaf: AsnafList,
    /// The amil's share of infak/sedekah given for it.
    pub amil_share: Share,
}

impl CampaignRules {
    /// Every asnaf but the amil, who takes its share at receipt.
    pub const DEFAULT_ASNAF: AsnafList = AsnafList(!(1 << 2));

    /// The rules of a campaign opened before campaigns declared them.
    pub const LEGACY: CampaignRules = CampaignRules {
        allowed_asnaf: CampaignRules::DEFAULT_ASNAF,
        amil_share: Share::ZERO,
    };
}

/// A campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its purpose.
    pub purpose: String,
    /// What its money may pay for.
    pub rules: CampaignRules,
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
    /// The account it is kept in (per campaign for money given for one).
    pub account: Account,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// The donor, unless anonymous.
    pub donor_id: Option<Uuid>,
    /// How much, as given.
    pub amount: Money,
    /// Rupiah per unit at receipt, for another currency.
    pub rate_to_idr: Option<RateToIdr>,
    /// What the books hold of it, in [`Donation::booked_currency`]'s minor units.
    pub booked_minor: i64,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When it was received.
    pub received_on: Date,
    /// The note.
    pub note: Option<String>,
    /// The part moved to the amil fund, booked.
    pub amil_share_minor: i64,
    /// How much was refunded or voided so far, in the amount's currency.
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// What can still be refunded or voided, in the amount's currency.
    #[must_use]
    pub fn remaining_minor(&self) -> i64 {
        self.amount.minor() - self.reversed_minor
    }

    /// The currency the books hold it in: IDR, but for a foreign gift recorded before gifts
    /// carried their rate, which stays in its own currency.
    #[must_use]
    pub fn booked_currency(&self) -> Currency {
        if self.rate_to_idr.is_some() {
            BOOKS_CURRENCY
        } else {
            self.amount.currency()
        }
    }

    /// What the audit chain records: the facts on its receipt and its journal entry, no
    /// personal data (the donor is only an id).
    #[must_use]
    pub fn audit_payload(&self, entry: &serde_json::Value) -> serde_json::Value {
        json!({
            "id": self.id,
            "receipt_number": self.receipt.to_string(),
            "type": self.donation_type,
            "fund": self.fund,
            "account": self.account.code(),
            "campaign_id": self.campaign_id,
            "donor_id": self.donor_id,
            "amount": self.amount.to_string(),
            "currency": self.amount.currency().code(),
            "rate_to_idr": self.rate_to_idr.map(|rate| rate.to_string()),
            "amount_booked": self.booked_currency().format_minor(self.booked_minor),
            "booked_currency": self.booked_currency().code(),
            "method": self.method,
            "received_on": self.received_on.to_string(),
            "amil_share_minor": self.amil_share_minor,
            "journal_entry": entry,
        })
    }
}

impl Fund {
    /// The account a donation recorded before campaign money was kept per campaign is in:
    /// only restricted infak/sedekah was.
    #[must_use]
    pub fn legacy_donation_account(self, campaign: Option<Uuid>) -> Account {
        Account::Fund(
            self,
            campaign.filter(|_| self == Fund::InfakSedekahRestricted),
        )
    }
}

/// A void or refund as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reversal {
    /// Its id.
    pub id: Uuid,
    /// The donation.
    pub donation_id: Uuid,
    /// Void or refund.
    pub kind: ReversalKind,
    /// How much, in the donation's currency.
    pub amount_minor: i64,
    /// How much the books give back, in the donation's booked currency.
    pub booked_minor: i64,
    /// The part of the amil share given back.
    pub amil_share_minor: i64,
    /// The part of that share the amil fund could not cover, booked as owed.
    pub receivable_minor: i64,
    /// Why.
    pub reason: Option<String>,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When.
    pub recorded_at: OffsetDateTime,
}

/// A distribution as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// Its id.
    pub id: Uuid,
    /// The fund it was paid from.
    pub fund: Fund,
    /// The campaign whose money it was.
    pub campaign_id: Option<Uuid>,
    /// Who received it.
    pub recipient_id: Uuid,
    /// Their asnaf.
    pub asnaf: Option<Asnaf>,
    /// The public-interest use (non-halal money).
    pub purpose: Option<PublicPurpose>,
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

/// What a wakaf earned, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WakafBenefit {
    /// Its id.
    pub id: Uuid,
    /// How much.
    pub amount: Money,
    /// How it came in.
    pub method: PaymentMethod,
    /// When.
    pub received_on: Date,
    /// What earned it.
    pub source: String,
    /// The nazhir's share, moved to the amil fund.
    pub nazhir_share_minor: i64,
    /// The note.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}
