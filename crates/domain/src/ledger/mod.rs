//! The ledger's rules (SPEC §5, reference §10): donation types and the fund each feeds, the
//! amil and nazhir shares, the eight asnaf, which fund may pay for what, receipt numbers, and
//! the balanced journal lines of every money movement — as [`Books`], a state machine over
//! what the books hold that storage loads, applies changes to and writes back.

mod accounts;
mod books;
mod invariants;
mod receipt;
mod rules;
mod shares;

pub use accounts::{Account, Balance, Line};
pub use books::{
    AuditNote, Books, Campaign, CampaignRules, Change, Distribution, Donation, DonationStatus,
    DonorRef, ERASED_NAME, Effects, Entry, FiledDonor, Needs, NewCampaign, NewDistribution,
    NewDonation, NewRecipient, NewReversal, NewWakafBenefit, Outcome, PersonalData, RecipientRef,
    Record, Refusal, Reversal, ReversalKind, WakafBenefit,
};
pub use invariants::{Posting, Violation, check_postings};
pub use receipt::{NotAReceiptNumber, RECEIPT_YEAR_OFFSET, ReceiptNumber};
pub use rules::{AsnafList, BOOKS_CURRENCY, DistributionRule, RateToIdr, RateToIdrError, Target};
pub use shares::{AmilShortfall, Setting, SettingError, Settings, Share, ShareCap, ShareError};

use crate::names::named_enum;

named_enum! {
    /// What a donation is (penerimaan), which decides the fund it feeds.
    pub enum DonationType ("donation type") {
        /// Zakat on wealth.
        ZakatMaal = "zakat_maal",
        /// Zakat on income (MUI fatwa 3/2003).
        ZakatPenghasilan = "zakat_penghasilan",
        /// Zakat al-fitr, paid before Eid.
        ZakatFitrah = "zakat_fitrah",
        /// A voluntary gift.
        Infak = "infak",
        /// Charity in general.
        Sedekah = "sedekah",
        /// An endowment.
        Wakaf = "wakaf",
        /// Bank interest, late fees and other wealth the institution may not keep.
        NonHalal = "non_halal",
        /// Ransom for fasts a person cannot make up (QS Al-Baqarah 2:184): food for the poor.
        Fidyah = "fidyah",
        /// Expiation for a broken oath or fast: food or clothing for the poor.
        Kafarat = "kafarat",
    }
}

named_enum! {
    /// The funds kept apart under PSAK 109 (reference §10).
    pub enum Fund ("fund") {
        /// Zakat received, for the seven non-amil asnaf.
        Zakat = "zakat",
        /// Earmarked infak/sedekah: one account per campaign, only for its purpose.
        InfakSedekahRestricted = "infak_sedekah_restricted",
        /// General infak/sedekah, for any sharia-compliant program.
        InfakSedekahUnrestricted = "infak_sedekah_unrestricted",
        /// The amil share: operations and salaries.
        Amil = "amil",
        /// Non-halal receipts: public facilities only.
        NonHalal = "non_halal",
        /// Wakaf principal: kept, never distributed (UU 41/2004).
        Wakaf = "wakaf",
        /// What wakaf assets earn: distributable, the nazhir's share taken at receipt.
        WakafBenefits = "wakaf_benefits",
        /// Fidyah received: food for the fakir and miskin.
        Fidyah = "fidyah",
        /// Kafarat received: for the fakir and miskin.
        Kafarat = "kafarat",
    }
}

named_enum! {
    /// The eight asnaf of QS At-Taubah 9:60.
    pub enum Asnaf ("asnaf") {
        /// The destitute.
        Fakir = "fakir",
        /// The poor.
        Miskin = "miskin",
        /// Those who administer zakat.
        Amil = "amil",
        /// Those whose hearts are to be reconciled.
        Mualaf = "mualaf",
        /// Those in bondage.
        Riqab = "riqab",
        /// Debtors.
        Gharimin = "gharimin",
        /// In the cause of Allah.
        FiSabilillah = "fi_sabilillah",
        /// Stranded travellers.
        IbnuSabil = "ibnu_sabil",
    }
}

named_enum! {
    /// How money came in or went out.
    pub enum PaymentMethod ("payment method") {
        /// Cash at the counter.
        Cash = "cash",
        /// A bank transfer.
        BankTransfer = "bank_transfer",
        /// QRIS (Indonesia's QR payment standard).
        Qris = "qris",
        /// A bank virtual account.
        VirtualAccount = "virtual_account",
        /// A debit or credit card.
        Card = "card",
        /// An e-wallet.
        EWallet = "e_wallet",
    }
}

named_enum! {
    /// The public-interest uses non-halal money may pay for (reference §10): never worship,
    /// never the amil.
    pub enum PublicPurpose ("public purpose") {
        /// Roads, bridges, public toilets, drainage and other public facilities.
        PublicFacilities = "public_facilities",
        /// Relief after a disaster.
        DisasterRelief = "disaster_relief",
        /// Public health: clinics, sanitation, clean water.
        Health = "health",
        /// Social welfare that is not worship: orphanages, elderly care.
        SocialWelfare = "social_welfare",
        /// Environmental protection.
        Environment = "environment",
    }
}

impl DonationType {
    /// Whether this is one of the three kinds of zakat.
    #[must_use]
    pub fn is_zakat(self) -> bool {
        matches!(
            self,
            DonationType::ZakatMaal | DonationType::ZakatPenghasilan | DonationType::ZakatFitrah
        )
    }

    /// The fund a donation of this type feeds. Infak and sedekah for a campaign are
    /// earmarked (restricted); without one they are unrestricted.
    #[must_use]
    pub fn fund(self, for_campaign: bool) -> Fund {
        match self {
            DonationType::ZakatMaal
            | DonationType::ZakatPenghasilan
            | DonationType::ZakatFitrah => Fund::Zakat,
            DonationType::Infak | DonationType::Sedekah if for_campaign => {
                Fund::InfakSedekahRestricted
            }
            DonationType::Infak | DonationType::Sedekah => Fund::InfakSedekahUnrestricted,
            DonationType::Wakaf => Fund::Wakaf,
            DonationType::NonHalal => Fund::NonHalal,
            DonationType::Fidyah => Fund::Fidyah,
            DonationType::Kafarat => Fund::Kafarat,
        }
    }
}

impl Fund {
    /// Whether money given to this fund for a campaign is kept apart per campaign, restricted
    /// to its purpose (UU 23/2011 art. 28): zakat, infak/sedekah, fidyah and kafarat. Wakaf
    /// principal is never spent and non-halal money has its own rule, so for them a campaign
    /// is only a reporting tag.
    #[must_use]
    pub fn kept_per_campaign(self) -> bool {
        matches!(
            self,
            Fund::Zakat | Fund::InfakSedekahRestricted | Fund::Fidyah | Fund::Kafarat
        )
    }

    /// The account a donation to this fund for `campaign` (if any) is kept in.
    #[must_use]
    pub fn account(self, campaign: Option<uuid::Uuid>) -> Account {
        Account::Fund(self, campaign.filter(|_| self.kept_per_campaign()))
    }
}
