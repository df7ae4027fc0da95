//! The Bukti Setor Zakat (reference §11): what a receipt must show under PER-6/PJ/2011 art. 2
//! and what we add (receipt number, NPWZ, type, fund, licence, verification), the institution
//! profile that issues it, and the verification code — a signature over the receipt's facts
//! that anyone can check at the public `/verify/{code}` without an account.
//!
//! Pure: the web layer renders [`Receipt::fields`] as HTML and PDF, so both print the same
//! facts in the same order; storage loads the facts; the key comes from the caller.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::Date;
use uuid::Uuid;

use crate::ledger::{DonationStatus, ReceiptNumber};
use crate::names::named_enum;
use crate::{DonationType, Fund, Money};

// ---------------------------------------------------------------------------------------------
// The institution profile

named_enum! {
    /// Under which licence the institution collects zakat (UU 23/2011, PP 14/2014).
    pub enum LicenceType ("licence type") {
        /// BAZNAS itself, or a provincial or regency/city BAZNAS.
        Baznas = "baznas",
        /// A LAZ licensed nationally (by the Minister of Religious Affairs).
        LazNational = "laz_national",
        /// A LAZ licensed for a province.
        LazProvincial = "laz_provincial",
        /// A LAZ licensed for a regency or city.
        LazRegency = "laz_regency",
        /// A zakat collection unit (UPZ) of a BAZNAS.
        Upz = "upz",
        /// A mosque committee acting as amil under a BAZNAS or LAZ.
        MosqueCommittee = "mosque_committee",
    }
}

impl LicenceType {
    /// How a receipt names the licence, in Indonesian.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            LicenceType::Baznas => "BAZNAS",
            LicenceType::LazNational => "LAZ Skala Nasional",
            LicenceType::LazProvincial => "LAZ Skala Provinsi",
            LicenceType::LazRegency => "LAZ Skala Kabupaten/Kota",
            LicenceType::Upz => "Unit Pengumpul Zakat (UPZ)",
            LicenceType::MosqueCommittee => "Amil Zakat Masjid",
        }
    }
}

/// The institution's name, the officer's name and title, the licence number: printed on one
/// line of an A5 receipt.
pub const INSTITUTION_TEXT_LENGTH_MAX: usize = 200;

/// The institution's address: three printed lines.
pub const INSTITUTION_ADDRESS_LENGTH_MAX: usize = 500;

/// A logo prints about 2 cm wide (some 240 pixels at 300 dpi); 32 KiB is plenty for a PNG or
/// JPEG of that, keeps every receipt (which embeds it) small, and its base64 fits the API's
/// 64 KiB request body.
pub const LOGO_BYTES_MAX: usize = 32 * 1024;

/// A logo wider or taller than this (in pixels) is a photograph, not a logo.
pub const LOGO_PIXELS_MAX: u32 = 2048;

/// The institution's four-digit code, the first part of every NPWZ it issues
/// ([`crate::npwz::Npwz::new`]). `0000` until the profile sets one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InstitutionCode(u16);

/// Text that is not a four-digit institution code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an institution code is four digits, `0001` to `9999`")]
pub struct NotAnInstitutionCode;

impl InstitutionCode {
    /// The code no profile has set.
    pub const UNSET: InstitutionCode = InstitutionCode(0);

    /// Four digits, `0001` to `9999`.
    pub fn parse(text: &str) -> Result<InstitutionCode, NotAnInstitutionCode> {
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NotAnInstitutionCode);
        }
        let code: u16 = text.parse().map_err(|_| NotAnInstitutionCode)?;
        if code == 0 {
            return Err(NotAnInstitutionCode);
        }
        Ok(InstitutionCode(code))
    }

    /// From a stored number; `None` outside `0..=9999`.
    #[must_use]
    pub fn from_stored(code: i64) -> Option<InstitutionCode> {
        u16::try_from(code)
            .ok()
            .filter(|code| *code <= 9999)
            .map(InstitutionCode)
    }

    /// What [`crate::npwz::Npwz::new`] takes as its `institution`.
    #[must_use]
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for InstitutionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

/// A logo's image format: what a PDF can embed and a browser show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl LogoFormat {
    /// The media type.
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Jpeg => "image/jpeg",
        }
    }

    /// From a stored media type.
    #[must_use]
    pub fn from_media_type(text: &str) -> Option<LogoFormat> {
        match text {
            "image/png" => Some(LogoFormat::Png),
            "image/jpeg" => Some(LogoFormat::Jpeg),
            _ => None,
        }
    }
}

/// A validated logo: a PNG or JPEG of at most [`LOGO_BYTES_MAX`] bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logo {
    format: LogoFormat,
    bytes: Vec<u8>,
}

/// Why bytes are not a logo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// Too large.
    #[error("the logo is larger than {} KiB: scale it down", LOGO_BYTES_MAX / 1024)]
    TooLarge,
    /// Neither PNG nor JPEG.
    #[error("the logo must be a PNG or JPEG image")]
    Format,
    /// Too many pixels.
    #[error("the logo is wider or taller than {LOGO_PIXELS_MAX} pixels")]
    Dimensions,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

impl Logo {
    /// Checks the size and the format by the image's own header (never a declared type):
    /// a PNG's signature and `IHDR` (with its dimensions), or a JPEG's start-of-image marker.
    pub fn parse(bytes: Vec<u8>) -> Result<Logo, LogoError> {
        if bytes.len() > LOGO_BYTES_MAX {
            return Err(LogoError::TooLarge);
        }
        let format = if bytes.starts_with(PNG_SIGNATURE) {
            if bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
                return Err(LogoError::Format);
            }
            let dimension =
                |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("four bytes"));
            let (width, height) = (dimension(16), dimension(20));
            if width == 0 || height == 0 {
                return Err(LogoError::Format);
            }
            if width > LOGO_PIXELS_MAX || height > LOGO_PIXELS_MAX {
                return Err(LogoError::Dimensions);
            }
            LogoFormat::Png
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && bytes.ends_with(&[0xFF, 0xD9]) {
            LogoFormat::Jpeg
        } else {
            return Err(LogoError::Format);
        };
        Ok(Logo { format, bytes })
    }

    /// Its format.
    #[must_use]
    pub fn format(&self) -> LogoFormat {
        self.format
    }

    /// Its bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its SHA-256, hex: how the audit chain records it.
    #[must_use]
    pub fn sha256_hex(&self) -> String {
        use sha2::Digest as _;
        use std::fmt::Write as _;
        Sha256::digest(&self.bytes)
            .iter()
            .fold(String::with_capacity(64), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            })
    }
}

/// The licensed body that issues receipts, as its admin set it (audited).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Institution {
    /// Its name, as licensed.
    pub name: String,
    /// Under which licence it collects.
    pub licence_type: LicenceType,
    /// The licence's number (the decree, e.g. `KMA No. 333 Tahun 2015`).
    pub licence_number: String,
    /// Its address.
    pub address: String,
    /// The officer who signs receipts.
    pub officer_name: String,
    /// The officer's title (`Kepala Bagian Pengumpulan`).
    pub officer_title: String,
    /// The first four digits of every NPWZ it issues.
    pub code: InstitutionCode,
    /// Its logo, if any.
    pub logo: Option<Logo>,
}

impl Institution {
    /// What a receipt prints before an admin set the profile: it says so, so an unconfigured
    /// installation never prints something that looks like a valid tax receipt.
    #[must_use]
    pub fn unset() -> Institution {
        Institution {
            name: "(institution profile not set)".to_owned(),
            licence_type: LicenceType::Baznas,
            licence_number: "-".to_owned(),
            address: "-".to_owned(),
            officer_name: "-".to_owned(),
            officer_title: "-".to_owned(),
            code: InstitutionCode::UNSET,
            logo: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The verification code

/// The key receipts are signed with: derived from `SECRET_KEY_BASE` with HKDF-SHA256 (RFC 5869)
/// under its own label, so it is independent of every other key derived from the same secret.
#[derive(Clone)]
pub struct VerificationKey([u8; 32]);

/// HKDF's `info` for the receipt key.
const VERIFICATION_KEY_INFO: &[u8] = b"receipt-verification";

impl VerificationKey {
    /// The key for `secret_key_base`.
    #[must_use]
    pub fn derive(secret_key_base: &[u8]) -> VerificationKey {
        let mut key = [0; 32];
        hkdf::Hkdf::<Sha256>::new(None, secret_key_base)
            .expand(VERIFICATION_KEY_INFO, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        VerificationKey(key)
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationKey(***)")
    }
}

/// What a receipt's code signs: the facts that make it this receipt. Not its status (a void
/// keeps its code, and verification reports the void) and no personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptFacts {
    /// The donation's id.
    pub id: Uuid,
    /// Its receipt number.
    pub receipt: ReceiptNumber,
    /// The amount and currency, as given.
    pub amount: Money,
    /// When it was received.
    pub received_on: Date,
    /// Its type.
    pub donation_type: DonationType,
}

impl ReceiptFacts {
    /// The canonical bytes signed: fields in a fixed order, each ended by a newline (no field
    /// can contain one), versioned so the format can change without old codes colliding.
    fn canonical(&self) -> String {
        format!(
            "receipt-v1\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.id,
            self.receipt,
            self.amount,
            self.amount.currency().code(),
            self.received_on,
            self.donation_type,
        )
    }
}

/// Crockford's base 32: no `I`, `L`, `O` or `U`, so a code read aloud or typed from paper is
/// not mistaken; case-insensitive.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The signature's length in symbols: 16 × 5 = 80 bits. A forger guessing a code for a given
/// receipt number succeeds once in 2^80 tries; the verification page is rate-limited anyway.
pub const TAG_SYMBOLS: usize = 16;

/// The longest text `/verify/{code}` looks at: a receipt number (up to 23 characters), the
/// tag with its dashes (19) and a dash; anything longer is refused before any work.
pub const VERIFICATION_CODE_LENGTH_MAX: usize = 64;

/// A receipt's verification code: its receipt number (to find it) and a truncated HMAC-SHA256
/// of its facts (to prove the institution issued it with these facts), printed as
/// `2026-000042-7K3M-Q9XD-2HBW-T4RA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerificationCode {
    /// The receipt it claims to be.
    pub receipt: ReceiptNumber,
    tag: [u8; TAG_SYMBOLS],
}

/// Text that is not a verification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a receipt verification code")]
pub struct NotAVerificationCode;

impl VerificationCode {
    /// The code of the receipt with `facts`.
    #[must_use]
    pub fn sign(key: &VerificationKey, facts: &ReceiptFacts) -> VerificationCode {
        VerificationCode {
            receipt: facts.receipt,
            tag: tag(key, facts),
        }
    }

    /// Whether this code is the one the institution issued for `facts` (in constant time).
    #[must_use]
    pub fn matches(&self, key: &VerificationKey, facts: &ReceiptFacts) -> bool {
        use subtle::ConstantTimeEq;
        self.receipt == facts.receipt && bool::from(self.tag.ct_eq(&tag(key, facts)))
    }

    /// Parses a code as printed, in either case, dashes optional in the tag. A symbol outside
    /// the alphabet (`I`, `L`, `O`, `U` included: no aliases) makes it no code.
    pub fn parse(text: &str) -> Result<VerificationCode, NotAVerificationCode> {
        if text.len() > VERIFICATION_CODE_LENGTH_MAX || !text.is_ascii() {
            return Err(NotAVerificationCode);
        }
        let mut parts = text.splitn(3, '-');
        let (Some(year), Some(serial), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NotAVerificationCode);
        };
        let receipt: ReceiptNumber = format!("{year}-{serial}")
            .parse()
            .map_err(|_| NotAVerificationCode)?;
        if receipt.to_string() != format!("{year}-{serial}") {
            return Err(NotAVerificationCode);
        }
        let symbols: Vec<u8> = rest
            .bytes()
            .filter(|b| *b != b'-')
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if symbols.len() != TAG_SYMBOLS || rest.starts_with('-') || rest.ends_with('-') {
            return Err(NotAVerificationCode);
        }
        let mut tag = [0; TAG_SYMBOLS];
        for (slot, symbol) in tag.iter_mut().zip(symbols) {
            *slot = CROCKFORD
                .iter()
                .position(|c| *c == symbol)
                .and_then(|value| u8::try_from(value).ok())
                .ok_or(NotAVerificationCode)?;
        }
        Ok(VerificationCode { receipt, tag })
    }
}

/// The first 80 bits of HMAC-SHA256(key, facts), as sixteen 5-bit symbols.
fn tag(key: &VerificationKey, facts: &ReceiptFacts) -> [u8; TAG_SYMBOLS] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC takes any key");
    mac.update(facts.canonical().as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut bits = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"));
    bits >>= 128 - 5 * TAG_SYMBOLS;
    let mut tag = [0; TAG_SYMBOLS];
    for slot in tag.iter_mut().rev() {
        *slot = u8::try_from(bits & 0x1F).expect("five bits");
        bits >>= 5;
    }
    tag
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.receipt)?;
        for (i, symbol) in self.tag.iter().enumerate() {
            if i % 4 == 0 {
                f.write_str("-")?;
            }
            write!(f, "{}", char::from(CROCKFORD[usize::from(*symbol)]))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// What a receipt shows

/// What verification says of a receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Issued by the institution and standing in full.
    Genuine,
    /// Voided: it keeps its number and shows as void.
    Void,
    /// Refunded, in full or in part (the refunded amount is shown).
    Refunded,
}

impl Standing {
    /// A donation's standing.
    #[must_use]
    pub fn of(status: DonationStatus) -> Standing {
        match status {
            DonationStatus::Recorded => Standing::Genuine,
            DonationStatus::Void => Standing::Void,
            DonationStatus::PartiallyRefunded | DonationStatus::Refunded => Standing::Refunded,
        }
    }

    /// How the verification page says it, in Indonesian and English.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Standing::Genuine => "ASLI — genuine receipt",
            Standing::Void => "BATAL (VOID) — this receipt was voided",
            Standing::Refunded => "DIKEMBALIKAN — refunded",
        }
    }
}

/// The payer as a receipt prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payer {
    /// Full name (`Hamba Allah` for an anonymous gift).
    pub name: String,
    /// NIK.
    pub nik: Option<String>,
    /// NPWP.
    pub npwp: Option<String>,
    /// NPWZ.
    pub npwz: Option<String>,
}

/// How a receipt names an anonymous payer: "servant of God", the customary form.
pub const ANONYMOUS_NAME: &str = "Hamba Allah";

/// One donation's receipt: every fact it prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The facts its code signs.
    pub facts: ReceiptFacts,
    /// Its fund.
    pub fund: Fund,
    /// How it was paid.
    pub method: crate::PaymentMethod,
    /// Who paid.
    pub payer: Payer,
    /// Where it stands.
    pub status: DonationStatus,
    /// How much was refunded, in the amount's currency (minor units).
    pub refunded_minor: i64,
    /// Its verification code.
    pub code: VerificationCode,
}

/// A label and its value, in print order.
pub type Field = (&'static str, String);

impl Receipt {
    /// Every field the receipt prints, in order: PER-6/PJ/2011 art. 2 (name, NPWP/NIK, amount,
    /// date, the licensed body, the officer) and ours (number, NPWZ, type, fund, licence,
    /// method, code). `mask` hides most of the NIK and NPWP, as the public verification page
    /// shows them.
    #[must_use]
    pub fn fields(&self, institution: &Institution, mask: bool) -> Vec<Field> {
        let id_number = |value: &Option<String>| match value {
            Some(value) if mask => masked(value),
            Some(value) => value.clone(),
            None => "-".to_owned(),
        };
        let mut fields = vec![
            ("Nomor Bukti", self.facts.receipt.to_string()),
            ("Tanggal Setor", indonesian_date(self.facts.received_on)),
            ("Nama Muzakki", self.payer.name.clone()),
            ("NPWP", id_number(&self.payer.npwp)),
            ("NIK", id_number(&self.payer.nik)),
            (
                "NPWZ",
                self.payer.npwz.clone().unwrap_or_else(|| "-".into()),
            ),
            (
                "Jenis Zakat/Dana",
                type_label(self.facts.donation_type).to_owned(),
            ),
            ("Dana (Fund)", fund_label(self.fund).to_owned()),
            ("Cara Bayar", method_label(self.method).to_owned()),
            ("Jumlah", figures(self.facts.amount)),
            (
                "Terbilang",
                capitalised(&crate::words::amount(self.facts.amount)),
            ),
        ];
        if self.refunded_minor > 0 {
            let refunded = self
                .facts
                .amount
                .currency()
                .format_minor(self.refunded_minor);
            let refunded =
                Money::parse(&refunded, self.facts.amount.currency()).map_or(refunded, figures);
            fields.push(("Dikembalikan (refunded)", refunded));
        }
        fields.extend([
            ("Lembaga Amil Zakat", institution.name.clone()),
            (
                "Izin",
                format!(
                    "{} — {}",
                    institution.licence_type.label(),
                    institution.licence_number
                ),
            ),
            (
                "Petugas",
                format!(
                    "{} ({})",
                    institution.officer_name, institution.officer_title
                ),
            ),
            ("Kode Verifikasi", self.code.to_string()),
        ]);
        fields
    }
}

/// All of a donor's zakat in a year, on one receipt (payroll-deducted zakat is many small
/// donations; the tax return takes one figure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnualReceipt {
    /// The year.
    pub year: i32,
    /// Who paid.
    pub payer: Payer,
    /// The donations it sums, oldest first: receipt number, date, type, what stands of it.
    pub lines: Vec<AnnualLine>,
}

/// One donation on an annual receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnualLine {
    /// Its receipt number (verifiable on its own).
    pub receipt: ReceiptNumber,
    /// When it was received.
    pub received_on: Date,
    /// Its type.
    pub donation_type: DonationType,
    /// What stands of it in rupiah, after refunds (a void stands at nothing and is left out).
    pub amount_idr_minor: i64,
}

impl AnnualReceipt {
    /// The year's total in rupiah.
    #[must_use]
    pub fn total_idr_minor(&self) -> i64 {
        self.lines.iter().map(|line| line.amount_idr_minor).sum()
    }

    /// The total in figures.
    #[must_use]
    pub fn total_figures(&self) -> String {
        figures_minor(self.total_idr_minor(), crate::Currency::IDR)
    }

    /// The total in words.
    #[must_use]
    pub fn total_words(&self) -> String {
        let total = self.total_idr_minor();
        match Money::from_minor(total, crate::Currency::IDR) {
            Ok(money) if total > 0 => capitalised(&crate::words::amount(money)),
            _ => capitalised(&format!("{} rupiah", crate::words::number(0))),
        }
    }
}

/// What stands of a donation in rupiah after refunds: its booked rupiah less the refunded
/// part's proportional share (rounded down, as the books give it back). `None` for a foreign
/// gift booked in its own currency (before gifts carried their rate) and for a void.
#[must_use]
pub fn standing_idr_minor(donation: &crate::ledger::Donation) -> Option<i64> {
    if donation.voided || donation.booked_currency() != crate::Currency::IDR {
        return None;
    }
    let amount = i128::from(donation.amount.minor());
    let left = amount - i128::from(donation.reversed_minor);
    let booked = i128::from(donation.booked_minor);
    i64::try_from(booked * left / amount).ok()
}

/// NIK or NPWP with all but the first four and last two digits hidden: enough for its holder
/// to recognise, too little to use.
#[must_use]
pub fn masked(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 4 || i >= chars.len() - 2 || !c.is_ascii_digit() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// An amount as Indonesian receipts write figures: `Rp 2.500.000,00`, `USD 1.250,50`.
#[must_use]
pub fn figures(money: Money) -> String {
    figures_minor(money.minor(), money.currency())
}

fn figures_minor(minor: i64, currency: crate::Currency) -> String {
    let text = currency.format_minor(minor);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = whole
        .strip_prefix('-')
        .map_or(("", whole), |digits| ("-", digits));
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    let unit = if currency == crate::Currency::IDR {
        "Rp"
    } else {
        currency.code()
    };
    if fraction.is_empty() {
        format!("{sign}{unit} {grouped}")
    } else {
        format!("{sign}{unit} {grouped},{fraction}")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// `30 Maret 2026`.
#[must_use]
pub fn indonesian_date(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    )
}

/// A donation type as a receipt names it.
#[must_use]
pub fn type_label(donation_type: DonationType) -> &'static str {
    match donation_type {
        DonationType::ZakatMaal => "Zakat Maal",
        DonationType::ZakatPenghasilan => "Zakat Penghasilan",
        DonationType::ZakatFitrah => "Zakat Fitrah",
        DonationType::Infak => "Infak",
        DonationType::Sedekah => "Sedekah",
        DonationType::Wakaf => "Wakaf Uang",
        DonationType::NonHalal => "Dana Non-Halal",
        DonationType::Fidyah => "Fidyah",
        DonationType::Kafarat => "Kafarat",
    }
}

/// A fund as a receipt names it.
#[must_use]
pub fn fund_label(fund: Fund) -> &'static str {
    match fund {
        Fund::Zakat => "Dana Zakat",
        Fund::InfakSedekahRestricted => "Dana Infak/Sedekah Terikat",
        Fund::InfakSedekahUnrestricted => "Dana Infak/Sedekah Tidak Terikat",
        Fund::Amil => "Dana Amil",
        Fund::NonHalal => "Dana Non-Halal",
        Fund::Wakaf => "Dana Wakaf",
        Fund::WakafBenefits => "Hasil Pengelolaan Wakaf",
        Fund::Fidyah => "Dana Fidyah",
        Fund::Kafarat => "Dana Kafarat",
    }
}

fn method_label(method: crate::PaymentMethod) -> &'static str {
    match method {
        crate::PaymentMethod::Cash => "Tunai",
        crate::PaymentMethod::BankTransfer => "Transfer Bank",
        crate::PaymentMethod::Qris => "QRIS",
        crate::PaymentMethod::VirtualAccount => "Virtual Account",
        crate::PaymentMethod::Card => "Kartu Debit/Kredit",
        crate::PaymentMethod::EWallet => "Dompet Elektronik",
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;
    use crate::Currency;

    fn facts() -> ReceiptFacts {
        ReceiptFacts {
            id: Uuid::from_u128(42),
            receipt: ReceiptNumber {
                year: 2026,
                serial: 42,
            },
            amount: Money::parse("2500000", Currency::IDR).unwrap(),
            received_on: date!(2026 - 03 - 30),
            donation_type: DonationType::ZakatPenghasilan,
        }
    }

    fn key() -> VerificationKey {
        VerificationKey::derive(&[7; 64])
    }

    #[test]
    fn a_code_prints_and_parses_back_in_either_case() {
        let code = VerificationCode::sign(&key(), &facts());
        let text = code.to_string();
        assert_eq!(text.len(), "2026-000042-".len() + 19, "{text}");
        assert!(text.starts_with("2026-000042-"), "{text}");
        assert_eq!(VerificationCode::parse(&text), Ok(code));
        assert_eq!(VerificationCode::parse(&text.to_lowercase()), Ok(code));
        assert!(code.matches(&key(), &facts()));
    }

    #[test]
    fn a_code_signs_every_fact() {
        let code = VerificationCode::sign(&key(), &facts());
        let mut other = facts();
        other.amount = Money::parse("2500001", Currency::IDR).unwrap();
        assert!(!code.matches(&key(), &other));
        let mut other = facts();
        other.received_on = date!(2026 - 03 - 31);
        assert!(!code.matches(&key(), &other));
        let mut other = facts();
        other.donation_type = DonationType::ZakatMaal;
        assert!(!code.matches(&key(), &other));
        let mut other = facts();
        other.id = Uuid::from_u128(43);
        assert!(!code.matches(&key(), &other));
        assert!(!code.matches(&VerificationKey::derive(&[8; 64]), &facts()));
    }

    #[test]
    fn aliases_and_junk_are_no_code() {
        let text = VerificationCode::sign(&key(), &facts()).to_string();
        for bad in [
            String::new(),
            "2026-000042".to_owned(),
            format!("{text}0"),
            text.replacen("2026-000042", "2026-42", 1),
            format!("{}O", &text[..text.len() - 1]),
            format!("{}I", &text[..text.len() - 1]),
            "x".repeat(VERIFICATION_CODE_LENGTH_MAX + 1),
            format!("{}é", &text[..text.len() - 1]),
        ] {
            assert_eq!(
                VerificationCode::parse(&bad),
                Err(NotAVerificationCode),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_changed_character_fails_verification(position in 0_usize..30, change in 1_usize..32) {
            let code = VerificationCode::sign(&key(), &facts()).to_string();
            let mut bytes = code.clone().into_bytes();
            let at = position % bytes.len();
            let original = bytes[at];
            bytes[at] = if original == b'-' {
                b'A'
            } else if original.is_ascii_digit() && at < 11 {
                b'0' + u8::try_from((usize::from(original - b'0') + change) % 10).unwrap()
            } else {
                let index = CROCKFORD.iter().position(|c| *c == original).unwrap();
                CROCKFORD[(index + change) % 32]
            };
            prop_assume!(bytes[at] != original);
            let changed = String::from_utf8(bytes).unwrap();
            let verified = VerificationCode::parse(&changed).is_ok_and(|code| code.matches(&key(), &facts()));
            prop_assert!(!verified, "{changed} verified");
        }
    }

    #[test]
    fn the_key_is_hkdf_of_the_secret_under_its_own_label() {
        // RFC 5869 with an empty salt: a different label gives an unrelated key.
        let mut other = [0; 32];
        hkdf::Hkdf::<Sha256>::new(None, &[7; 64])
            .expand(b"something-else", &mut other)
            .unwrap();
        assert_ne!(key().0, other);
        assert_eq!(key().0, VerificationKey::derive(&[7; 64]).0);
    }

    #[test]
    fn figures_are_grouped_the_indonesian_way() {
        let idr = |text| Money::parse(text, Currency::IDR).unwrap();
        assert_eq!(figures(idr("2500000")), "Rp 2.500.000,00");
        assert_eq!(figures(idr("11")), "Rp 11,00");
        assert_eq!(figures(idr("1234567890.5")), "Rp 1.234.567.890,50");
        assert_eq!(figures_minor(0, Currency::IDR), "Rp 0,00");
    }

    #[test]
    fn masking_keeps_the_ends_of_a_number() {
        assert_eq!(masked("3273011708850001"), "3273**********01");
        assert_eq!(masked("01.234.567.8-901.000"), "01.2**.***.*-***.*00");
        assert_eq!(masked("123"), "***");
    }

    #[test]
    fn institution_codes_are_four_digits_not_zero() {
        assert_eq!(
            InstitutionCode::parse("3173").map(InstitutionCode::get),
            Ok(3173)
        );
        assert_eq!(InstitutionCode::parse("0042").unwrap().to_string(), "0042");
        for bad in ["0000", "42", "12345", "12a4", ""] {
            assert!(InstitutionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logos_are_checked_by_their_own_header() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend([0, 0, 0, 13]);
        png.extend(b"IHDR");
        png.extend(64_u32.to_be_bytes());
        png.extend(32_u32.to_be_bytes());
        assert_eq!(
            Logo::parse(png.clone()).map(|logo| logo.format()),
            Ok(LogoFormat::Png)
        );
        let mut huge = png.clone();
        huge[16..20].copy_from_slice(&4096_u32.to_be_bytes());
        assert_eq!(Logo::parse(huge), Err(LogoError::Dimensions));
        assert_eq!(Logo::parse(b"GIF89a".to_vec()), Err(LogoError::Format));
        assert_eq!(
            Logo::parse(vec![0; LOGO_BYTES_MAX + 1]),
            Err(LogoError::TooLarge)
        );
        assert_eq!(
            Logo::parse(vec![0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9]).map(|logo| logo.format()),
            Ok(LogoFormat::Jpeg)
        );
    }

    #[test]
    fn a_receipt_prints_every_required_field() {
        let receipt = Receipt {
            facts: facts(),
            fund: Fund::Zakat,
            method: crate::PaymentMethod::BankTransfer,
            payer: Payer {
                name: "Siti Aminah".into(),
                nik: Some("3273015708850001".into()),
                npwp: Some("01.234.567.8-901.000".into()),
                npwz: Some("3173-26-0000001-5".into()),
            },
            status: DonationStatus::Recorded,
            refunded_minor: 0,
            code: VerificationCode::sign(&key(), &facts()),
        };
        let mut institution = Institution::unset();
        institution.name = "BAZNAS Kota Bandung".into();
        let text = receipt
            .fields(&institution, false)
            .into_iter()
            .map(|(label, value)| format!("{label}: {value}"))
            .collect::<Vec<_>>()
            .join("\n");
        for expected in [
            "Siti Aminah",
            "3273015708850001",
            "01.234.567.8-901.000",
            "Rp 2.500.000,00",
            "Dua juta lima ratus ribu rupiah",
            "30 Maret 2026",
            "BAZNAS Kota Bandung",
            "2026-000042",
            "3173-26-0000001-5",
            "Zakat Penghasilan",
            "Dana Zakat",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
        let public: String = receipt
            .fields(&institution, true)
            .into_iter()
            .map(|(_, value)| value)
            .collect();
        assert!(!public.contains("3273015708850001"));
    }
}
