//! Row shapes and queries shared by both backends' SQL.

use domain::ledger::ReceiptNumber;
use domain::{DonationType, Fund};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A donation row with its reversals folded in.
pub(crate) const DONATION_SELECT: &str = "SELECT d.id, d.receipt_year, d.receipt_serial, d.type, d.fund, d.campaign_id, \
     d.donor_id, d.amount_minor, d.currency, d.method, d.received_on, d.note, d.amil_share_minor, d.recorded_by, \
     d.recorded_at, d.account, d.rate_to_idr, d.booked_minor, \
     CAST(COALESCE((SELECT SUM(r.amount_minor) FROM donation_reversals r WHERE r.donation_id = d.id), 0) AS BIGINT) \
       AS reversed_minor, \
     EXISTS (SELECT 1 FROM donation_reversals r WHERE r.donation_id = d.id AND r.kind = 'void') AS voided \
     FROM donations d";

/// A row of [`DONATION_SELECT`] as a driver reads it, before the ledger's types: each driver
/// (sqlx for the readers, rusqlite for the SQLite writer) fills it, and [`Self::into_donation`]
/// alone decides what the text means (the legacy account of a row written before accounts
/// were stored, the booked amount of a row from before foreign currencies).
pub(crate) struct DonationColumns {
    pub id: Uuid,
    pub receipt_year: i32,
    pub receipt_serial: i64,
    pub donation_type: String,
    pub fund: String,
    pub campaign_id: Option<Uuid>,
    pub donor_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: String,
    pub method: String,
    pub received_on: Date,
    pub note: Option<String>,
    pub amil_share_minor: i64,
    pub recorded_by: i64,
    pub recorded_at: OffsetDateTime,
    pub account: Option<String>,
    pub rate_to_idr: Option<String>,
    pub booked_minor: Option<i64>,
    pub reversed_minor: i64,
    pub voided: bool,
}

impl DonationColumns {
    /// The donation, or why the stored text is not one.
    pub(crate) fn into_donation(
        self,
    ) -> Result<domain::ledger::Donation, Box<dyn std::error::Error + Send + Sync>> {
        let currency: domain::Currency = self
            .currency
            .parse()
            .map_err(|_| "unknown currency in the database")?;
        let amount = domain::Money::from_minor(self.amount_minor, currency)?;
        let fund: Fund = self.fund.parse()?;
        let account = match self.account {
            Some(code) => domain::ledger::Account::from_code(&code)
                .ok_or_else(|| format!("no account `{code}`"))?,
            None => fund.legacy_donation_account(self.campaign_id),
        };
        let rate_to_idr = self
            .rate_to_idr
            .map(|rate| domain::ledger::RateToIdr::parse(&rate))
            .transpose()?;
        Ok(domain::ledger::Donation {
            id: self.id,
            receipt: ReceiptNumber {
                year: self.receipt_year,
                serial: self.receipt_serial,
            },
            donation_type: self.donation_type.parse()?,
            fund,
            account,
            campaign_id: self.campaign_id,
            donor_id: self.donor_id,
            amount,
            rate_to_idr,
            booked_minor: self.booked_minor.unwrap_or(amount.minor()),
            method: self.method.parse()?,
            received_on: self.received_on,
            note: self.note,
            amil_share_minor: self.amil_share_minor,
            reversed_minor: self.reversed_minor,
            voided: self.voided,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
        })
    }
}

/// The most donations one page lists.
pub const DONATION_PAGE_SIZE_MAX: u16 = 200;

/// Which donations to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DonationFilter {
    /// Received on or after.
    pub received_from: Option<Date>,
    /// Received on or before.
    pub received_to: Option<Date>,
    /// Of this type.
    pub donation_type: Option<DonationType>,
    /// Feeding this fund.
    pub fund: Option<Fund>,
    /// For this campaign.
    pub campaign_id: Option<Uuid>,
    /// From this donor.
    pub donor_id: Option<Uuid>,
    /// From a donor on file whose name contains this (case-insensitive for ASCII letters):
    /// the staff pages' search, for those who may read personal data.
    pub donor_name: Option<String>,
    /// Standing so.
    pub status: Option<domain::ledger::DonationStatus>,
    /// With receipt numbers before this one (the previous page's last).
    pub before: Option<ReceiptNumber>,
    /// At most this many (1 to [`DONATION_PAGE_SIZE_MAX`]).
    pub limit: u16,
}

/// The condition (` AND …`, on `donations d`) for a donation standing as `status`: what
/// [`domain::ledger::Donation::status`] decides from the reversals, in SQL.
pub(crate) fn status_condition(status: domain::ledger::DonationStatus) -> &'static str {
    use domain::ledger::DonationStatus as S;
    match status {
        S::Recorded => {
            " AND NOT EXISTS (SELECT 1 FROM donation_reversals r WHERE r.donation_id = d.id)"
        }
        S::Void => {
            " AND EXISTS (SELECT 1 FROM donation_reversals r WHERE r.donation_id = d.id AND r.kind = 'void')"
        }
        S::PartiallyRefunded => {
            " AND NOT EXISTS (SELECT 1 FROM donation_reversals r WHERE r.donation_id = d.id AND r.kind = 'void') \
             AND (SELECT COALESCE(SUM(r.amount_minor), 0) FROM donation_reversals r WHERE r.donation_id = d.id) \
             BETWEEN 1 AND d.amount_minor - 1"
        }
        S::Refunded => {
            " AND NOT EXISTS (SELECT 1 FROM donation_reversals r WHERE r.donation_id = d.id AND r.kind = 'void') \
             AND (SELECT COALESCE(SUM(r.amount_minor), 0) FROM donation_reversals r WHERE r.donation_id = d.id) \
             >= d.amount_minor"
        }
    }
}

/// An account's balance in one currency: the signed sum of its journal lines, as kept beside
/// them (`account_balances`; [`crate::Database::ledger_check`] compares the two).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundBalance {
    /// The account code.
    pub account: String,
    /// The currency.
    pub currency: String,
    /// Debits minus credits, in minor units.
    pub lines_sum_minor: i64,
}

/// A zakat calculator data value as stored: in force from `effective_from` until a later one
/// for the same name, region and class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZakatDatum {
    /// Its id (also its audit subject, `zakat_data:<id>`).
    pub id: i64,
    /// `gold_price_per_gram`, `silver_price_per_gram`, `nisab_annual`, `nisab_monthly`,
    /// `fitrah_per_person`, `fidyah_per_day`.
    pub name: String,
    /// The region it applies to; empty for the whole country.
    pub region: String,
    /// The class within the region; empty when the region has one value.
    pub class: String,
    /// Exact decimal rupiah.
    pub value: String,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    /// The decree or price source.
    pub source: String,
}

/// A new zakat data value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewZakatDatum {
    /// As in [`ZakatDatum`].
    pub name: String,
    /// As in [`ZakatDatum`].
    pub region: String,
    /// As in [`ZakatDatum`].
    pub class: String,
    /// As in [`ZakatDatum`].
    pub value: String,
    /// As in [`ZakatDatum`].
    pub effective_from: String,
    /// As in [`ZakatDatum`].
    pub source: String,
}

/// An audit entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub recorded_at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub subject: String,
    /// The canonical payload.
    pub payload: String,
    /// Its digest.
    pub payload_digest: Vec<u8>,
    /// The previous entry's hash.
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub hash: Vec<u8>,
}

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The chain had this many entries…
    pub seq: i64,
    /// …ending in this hash.
    pub hash: Vec<u8>,
    /// How it was signed: `ed25519`, or `hmac-sha256` before migration 0005.
    pub algorithm: String,
    /// Which key signed it: the Ed25519 public key, or the HMAC key's 8-byte fingerprint.
    pub key_id: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A bind parameter of an administrative statement.
#[derive(Clone, Debug)]
pub(crate) enum Bind {
    Text(String),
    /// A text, or NULL.
    OptText(Option<String>),
    Int(i64),
    /// An integer, or NULL.
    OptInt(Option<i64>),
    Bool(bool),
    Uuid(Uuid),
    Bytes(Vec<u8>),
    /// Bytes, or NULL.
    OptBytes(Option<Vec<u8>>),
    /// A timestamp, or NULL.
    Time(Option<OffsetDateTime>),
    /// The transaction's timestamp.
    Now,
}

/// An administrative change: one statement returning the changed row's id, and its audit entry.
pub(crate) struct Admin<'a> {
    pub actor: &'a str,
    /// The API caller's token, re-checked inside the transaction (`None`: an operator).
    pub credential: Option<super::model::Credential>,
    /// The roles the caller's token must still have.
    pub roles: &'static [domain::Role],
    pub action: &'static str,
    pub subject_kind: &'static str,
    pub payload: serde_json::Value,
    pub statement: &'static str,
    pub binds: Vec<Bind>,
}

/// A campaign's allowed asnaf as stored: comma-separated names.
pub(crate) fn asnaf_column(allowed: domain::ledger::AsnafList) -> String {
    allowed
        .iter()
        .map(domain::Asnaf::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// A campaign's rules from its stored columns; a campaign opened before campaigns declared
/// them pays every asnaf but the amil and takes no amil share.
pub(crate) fn campaign_rules(
    allowed_asnaf: Option<String>,
    amil_share_percent: Option<String>,
) -> Result<domain::ledger::CampaignRules, Box<dyn std::error::Error + Send + Sync>> {
    let mut rules = domain::ledger::CampaignRules::LEGACY;
    if let Some(allowed) = allowed_asnaf {
        let asnaf = allowed
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<domain::Asnaf>, _>>()?;
        rules.allowed_asnaf = domain::ledger::AsnafList::of(&asnaf);
    }
    if let Some(share) = amil_share_percent {
        rules.amil_share = domain::Share::parse_percent(&share, domain::ShareCap::Infak)?;
    }
    Ok(rules)
}

/// The most donors, recipients or distributions one page lists.
pub const REGISTER_PAGE_SIZE_MAX: u16 = 200;

/// Which register a person is on; also the audit subject's kind and the read log's `subject`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Register {
    /// Muzakki.
    Donors,
    /// Mustahik.
    Recipients,
}

impl Register {
    /// `donor` or `recipient`.
    #[must_use]
    pub fn subject(self) -> &'static str {
        match self {
            Register::Donors => "donor",
            Register::Recipients => "recipient",
        }
    }
}

/// A donor (muzaki) on file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DonorRecord {
    /// Their id.
    pub id: Uuid,
    /// The NPWZ issued on registration (none for donors filed before the registers).
    pub npwz: Option<String>,
    /// Their personal data (the name is [`domain::ledger::ERASED_NAME`] once erased).
    pub person: domain::ledger::PersonalData,
    /// Filed.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: Option<OffsetDateTime>,
    /// When their personal data was erased.
    pub erased_at: Option<OffsetDateTime>,
}

/// A recipient (mustahik) on file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientRecord {
    /// Their id.
    pub id: Uuid,
    /// Name, NIK, phone, address.
    pub person: domain::ledger::PersonalData,
    /// Their asnaf.
    pub asnaf: Option<domain::Asnaf>,
    /// Their household's size.
    pub household_size: Option<u16>,
    /// Why they are eligible.
    pub eligibility_note: Option<String>,
    /// Filed.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: Option<OffsetDateTime>,
    /// When their personal data was erased.
    pub erased_at: Option<OffsetDateTime>,
}

/// Which people to list: every given criterion must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFilter {
    /// The name contains this (case-insensitive for ASCII letters).
    pub name: Option<String>,
    /// This NIK (digits).
    pub nik: Option<String>,
    /// This NPWP (digits; donors only).
    pub npwp: Option<String>,
    /// This phone number, as filed.
    pub phone: Option<String>,
    /// This NPWZ, as printed (donors only).
    pub npwz: Option<String>,
    /// Of this asnaf (recipients only).
    pub asnaf: Option<domain::Asnaf>,
    /// Filed before this one (the previous page's last id; ids are time-ordered).
    pub before: Option<Uuid>,
    /// At most this many (1 to [`REGISTER_PAGE_SIZE_MAX`]).
    pub limit: u16,
}

/// What a change does to one field of a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Field<T> {
    /// Left as it is.
    #[default]
    Unchanged,
    /// Emptied (NULL).
    Cleared,
    /// Set to this.
    Set(T),
}

impl<T> Field<T> {
    /// Whether the change touches the field.
    #[must_use]
    pub fn is_changed(&self) -> bool {
        !matches!(self, Field::Unchanged)
    }

    /// The new value, if it is set to one.
    #[must_use]
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Set(value) => Some(value),
            Field::Unchanged | Field::Cleared => None,
        }
    }
}

/// A change to a person's record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonPatch {
    /// A new name (never cleared).
    pub name: Option<String>,
    /// NIK.
    pub nik: Field<String>,
    /// NPWP (donors only).
    pub npwp: Field<String>,
    /// Phone.
    pub phone: Field<String>,
    /// E-mail (donors only).
    pub email: Field<String>,
    /// Postal address.
    pub address: Field<String>,
    /// Asnaf (recipients only).
    pub asnaf: Field<domain::Asnaf>,
    /// Household size (recipients only).
    pub household_size: Field<u16>,
    /// Eligibility note (recipients only).
    pub eligibility_note: Field<String>,
}

impl PersonPatch {
    /// The names of the fields it changes, for the audit entry (never their values).
    #[must_use]
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("nik", self.nik.is_changed()),
            ("npwp", self.npwp.is_changed()),
            ("phone", self.phone.is_changed()),
            ("email", self.email.is_changed()),
            ("address", self.address.is_changed()),
            ("asnaf", self.asnaf.is_changed()),
            ("household_size", self.household_size.is_changed()),
            ("eligibility_note", self.eligibility_note.is_changed()),
        ]
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
    }
}

/// How often one user read one person's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonReads {
    /// The reader.
    pub user_id: i64,
    /// How many times.
    pub read_count: i64,
    /// The last time.
    pub last_read_at: OffsetDateTime,
}

/// Which distributions to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistributionFilter {
    /// Paid on or after.
    pub distributed_from: Option<Date>,
    /// Paid on or before.
    pub distributed_to: Option<Date>,
    /// From this fund.
    pub fund: Option<Fund>,
    /// To this asnaf.
    pub asnaf: Option<domain::Asnaf>,
    /// For this public purpose (non-halal money).
    pub purpose: Option<domain::PublicPurpose>,
    /// Of this campaign's money.
    pub campaign_id: Option<Uuid>,
    /// To this recipient.
    pub recipient_id: Option<Uuid>,
    /// Recorded before this one (the previous page's last id; ids are time-ordered).
    pub before: Option<Uuid>,
    /// At most this many (1 to [`REGISTER_PAGE_SIZE_MAX`]).
    pub limit: u16,
}

/// `text` as a `LIKE` pattern matching names that contain it, lowercased, with `%`, `_` and
/// the escape character itself escaped (`ESCAPE '\'`).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
