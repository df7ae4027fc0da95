//! Why the books refuse a change, with typed amounts; each refusal's name is the last segment
//! of its problem type.

use uuid::Uuid;

use crate::ledger::{Account, Balance, DistributionRule, RateToIdrError, ShareError};
use crate::{Currency, Money};

/// Why a change was refused. Nothing of it is written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
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
    #[error("only {} {} can still be refunded", .remaining, .remaining.currency())]
    RefundTooLarge {
        /// What is left.
        remaining: Money,
    },
    /// Paying this would take a fund below zero.
    #[error("the `{account}` balance is {balance}, less than the {} {} this needs", .needed, .needed.currency())]
    InsufficientFunds {
        /// The fund's account.
        account: Account,
        /// What it holds.
        balance: Balance,
        /// What is needed.
        needed: Money,
    },
    /// Paying this would take cash or the bank below what it holds.
    #[error("the `{account}` balance is {balance}, less than the {} {} this needs: pay from where the money is", .needed, .needed.currency())]
    InsufficientCash {
        /// The asset account.
        account: Account,
        /// What it holds.
        balance: Balance,
        /// What is needed.
        needed: Money,
    },
    /// The amil fund has spent part of the share a reversal must give back, and the
    /// institution chose to refuse such reversals (`amil_shortfall: refuse`).
    #[error("the amil fund holds {balance}, less than the {} {} amil share this reversal gives back; set `amil_shortfall` to `receivable` to book the difference as owed by the amil", .needed, .needed.currency())]
    AmilShareSpent {
        /// What the amil fund holds.
        balance: Balance,
        /// The share to give back.
        needed: Money,
    },
    /// A rule of the funds table.
    #[error(transparent)]
    Rule(#[from] DistributionRule),
    /// A share above its cap.
    #[error(transparent)]
    Share(#[from] ShareError),
    /// A campaign whose allowed asnaf include the amil, or none.
    #[error(
        "a campaign's `allowed_asnaf` must name at least one asnaf and never `amil`: the amil takes its share at receipt (`amil_share_percent`)"
    )]
    CampaignAsnaf,
    /// A gift in another currency without its rate.
    #[error(
        "a gift in {0} needs `rate_to_idr`, the rupiah one {0} was worth at receipt: funds are kept in IDR"
    )]
    RateRequired(Currency),
    /// A rate on a rupiah gift.
    #[error("`rate_to_idr` is only for gifts in another currency than IDR; leave it out")]
    RateForIdr,
    /// A rate that does not book.
    #[error(transparent)]
    Rate(#[from] RateToIdrError),
    /// Wakaf benefits are recorded in rupiah.
    #[error("wakaf benefits are recorded in IDR, not {0}")]
    NotInRupiah(Currency),
    /// Every NPWZ serial (seven digits) was issued.
    #[error(
        "every NPWZ serial up to {} was issued; no more donors can be filed",
        crate::npwz::SERIAL_MAX
    )]
    NpwzExhausted,
}

impl Refusal {
    /// The refusal's name, the last segment of its problem type.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Refusal::UnknownDonor(_) => "unknown-donor",
            Refusal::UnknownCampaign(_) => "unknown-campaign",
            Refusal::UnknownRecipient(_) => "unknown-recipient",
            Refusal::UnknownDonation(_) => "not-found",
            Refusal::AlreadyVoid | Refusal::NothingLeft => "already-reversed",
            Refusal::RefundTooLarge { .. } => "refund-too-large",
            Refusal::InsufficientFunds { .. } => "insufficient-funds",
            Refusal::InsufficientCash { .. } => "insufficient-cash",
            Refusal::AmilShareSpent { .. } => "amil-share-spent",
            Refusal::Rule(rule) => rule.name(),
            Refusal::Share(_) => "share-above-cap",
            Refusal::CampaignAsnaf => "campaign-asnaf",
            Refusal::RateRequired(_) | Refusal::RateForIdr | Refusal::Rate(_) => "rate-to-idr",
            Refusal::NotInRupiah(_) => "not-in-rupiah",
            Refusal::NpwzExhausted => "npwz-exhausted",
        }
    }
}
