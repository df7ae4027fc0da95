//! What a caller asks of the books: the people, donations, reversals, distributions, wakaf
//! benefits, campaigns and settings to record, each a [`Change`].

use time::Date;
use uuid::Uuid;

use crate::ledger::{Asnaf, DonationType, Fund, PublicPurpose, RateToIdr, Setting, Share};
use crate::npwz::Npwz;
use crate::{Money, PaymentMethod, Role};

/// Personal data of a donor (muzaki) or recipient (mustahik). Never in the audit chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PersonalData {
    /// Full name as printed on receipts.
    pub name: String,
    /// NIK (national identity number).
    pub nik: Option<String>,
    /// NPWP (tax number), needed for a tax-deductible receipt.
    pub npwp: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// The name a person's record keeps once their personal data was erased (UU 27/2022): the
/// record, its id and the books stay; nothing says who it was.
pub const ERASED_NAME: &str = "[erased]";

/// A recipient (mustahik) to file: who they are and why they may receive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewRecipient {
    /// Name, NIK, phone, address (NPWP and e-mail are not kept for recipients).
    pub person: PersonalData,
    /// Their asnaf, when assessed.
    pub asnaf: Option<Asnaf>,
    /// How many people live in their household.
    pub household_size: Option<u16>,
    /// Why they are eligible (the assessment's note).
    pub eligibility_note: Option<String>,
}

/// A donor as filed: the NPWZ the institution issued and their personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiledDonor {
    /// Their id.
    pub id: Uuid,
    /// The NPWZ issued on registration.
    pub npwz: Npwz,
    /// Their personal data.
    pub person: PersonalData,
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

/// Who receives a distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecipientRef {
    /// A recipient already on file.
    Existing(Uuid),
    /// A new recipient, filed with the distribution.
    New(PersonalData),
}

/// A donation to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDonation {
    /// Its type, which decides the fund.
    pub donation_type: DonationType,
    /// The campaign it was given for, if any: its purpose restricts the money.
    pub campaign_id: Option<Uuid>,
    /// Who gave it.
    pub donor: DonorRef,
    /// How much, in the currency it was given in.
    pub amount: Money,
    /// Rupiah per unit at receipt: required for another currency than IDR.
    pub rate_to_idr: Option<RateToIdr>,
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
    /// Recorded in error (a bounced transfer, say); the receipt stays, marked void.
    Void,
    /// Paid back to the donor: this many minor units of the donation's own currency.
    Refund(i64),
}

impl ReversalKind {
    /// `void` or `refund`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReversalKind::Void => "void",
            ReversalKind::Refund(_) => "refund",
        }
    }
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

/// A distribution (penyaluran) to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDistribution {
    /// The fund it is paid from.
    pub fund: Fund,
    /// For money kept per campaign: the campaign whose money it is.
    pub campaign_id: Option<Uuid>,
    /// Who receives it.
    pub recipient: RecipientRef,
    /// The recipient's asnaf (every fund but `non_halal`).
    pub asnaf: Option<Asnaf>,
    /// The public-interest use (the `non_halal` fund only).
    pub purpose: Option<PublicPurpose>,
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

/// What a wakaf asset earned (rent, crops, profit), to record into the distributable
/// `wakaf_benefits` fund; the principal stays in `wakaf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWakafBenefit {
    /// How much, in rupiah.
    pub amount: Money,
    /// How it came in.
    pub method: PaymentMethod,
    /// When.
    pub received_on: Date,
    /// What earned it (`sewa ruko wakaf`).
    pub source: String,
    /// The nazhir's share, taken at receipt: at most 10 %.
    pub nazhir_share: Share,
    /// A free-text note.
    pub note: Option<String>,
}

/// A campaign to open: a purpose donors can give for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCampaign {
    /// Its name.
    pub name: String,
    /// What its money may be used for.
    pub purpose: String,
    /// The asnaf its money may pay; `None`: every asnaf but the amil.
    pub allowed_asnaf: Option<Vec<Asnaf>>,
    /// The amil's share of infak/sedekah given for it, at most 20 %.
    pub amil_share: Share,
}

/// A change to the books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Record a donation.
    Donation(NewDonation),
    /// Void or refund a donation.
    Reversal(NewReversal),
    /// Record a distribution.
    Distribution(NewDistribution),
    /// Record what a wakaf earned.
    WakafBenefit(NewWakafBenefit),
    /// File a donor (an NPWZ is issued).
    Donor(PersonalData),
    /// File a recipient.
    Recipient(NewRecipient),
    /// Open a campaign.
    Campaign(NewCampaign),
    /// Change a setting.
    Setting(Setting),
}

impl Change {
    /// The roles that may make this change.
    #[must_use]
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Change::Donation(_)
            | Change::Reversal(_)
            | Change::Distribution(_)
            | Change::WakafBenefit(_)
            | Change::Donor(_)
            | Change::Recipient(_) => crate::role::RECORDERS,
            Change::Campaign(_) | Change::Setting(_) => crate::role::ADMINS,
        }
    }
}
