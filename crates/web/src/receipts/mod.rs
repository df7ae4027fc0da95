//! Rendering receipts (the rules are `domain::receipts`): a donation and its donor into a
//! [`domain::receipts::Receipt`], and that into printable HTML or a PDF; the links the API
//! gives (`receipt_url`, `verification_url`), absolute under the public base URL.

pub mod html;
pub mod pdf;

use domain::ledger::Donation;
use domain::receipts::{
    ANONYMOUS_NAME, AnnualLine, AnnualReceipt, Payer, Receipt, ReceiptFacts, VerificationCode,
    VerificationKey,
};
use storage::ledger::DonorRecord;
use uuid::Uuid;

/// What signs receipts and where they are verified.
#[derive(Clone, Debug)]
pub struct Receipts {
    key: VerificationKey,
    /// `https://donasi.example.org` (no trailing slash).
    public_base: String,
}

impl Receipts {
    /// Receipts signed with `key`, linked under `public_base` (`https://HOST`; a trailing
    /// slash is dropped).
    #[must_use]
    pub fn new(key: VerificationKey, public_base: &str) -> Receipts {
        Receipts {
            key,
            public_base: public_base.trim_end_matches('/').to_owned(),
        }
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> &VerificationKey {
        &self.key
    }

    /// The donation's receipt, absolute.
    #[must_use]
    pub fn receipt_url(&self, id: Uuid) -> String {
        format!("{}/api/v1/donations/{id}/receipt", self.public_base)
    }

    /// Where anyone checks the receipt, absolute: what the QR code carries.
    #[must_use]
    pub fn verification_url(&self, code: &VerificationCode) -> String {
        format!("{}/verify/{code}", self.public_base)
    }

    /// The verification code of `donation`'s receipt.
    #[must_use]
    pub fn code(&self, donation: &Donation) -> VerificationCode {
        VerificationCode::sign(&self.key, &facts(donation))
    }
}

/// What a donation's code signs.
#[must_use]
pub fn facts(donation: &Donation) -> ReceiptFacts {
    ReceiptFacts {
        id: donation.id,
        receipt: donation.receipt,
        amount: donation.amount,
        received_on: donation.received_on,
        donation_type: donation.donation_type,
    }
}

/// The payer as receipts print them: an anonymous gift (or an erased donor) has no identity
/// numbers; an erased donor's name is the erasure marker.
#[must_use]
pub fn payer(donor: Option<&DonorRecord>) -> Payer {
    match donor {
        None => Payer {
            name: ANONYMOUS_NAME.to_owned(),
            ..Payer::default()
        },
        Some(donor) => Payer {
            name: donor.person.name.clone(),
            nik: donor.person.nik.clone(),
            npwp: donor.person.npwp.clone(),
            npwz: donor.npwz.clone(),
        },
    }
}

/// A donation's receipt.
#[must_use]
pub fn receipt(receipts: &Receipts, donation: &Donation, donor: Option<&DonorRecord>) -> Receipt {
    Receipt {
        facts: facts(donation),
        fund: donation.fund,
        method: donation.method,
        payer: payer(donor),
        status: donation.status(),
        refunded_minor: if donation.voided {
            0
        } else {
            donation.reversed_minor
        },
        code: receipts.code(donation),
    }
}

/// A donor's annual receipt from their donations of the year (any order, any type): the zakat
/// that still stands, oldest first.
#[must_use]
pub fn annual(year: i32, donor: &DonorRecord, donations: &[Donation]) -> AnnualReceipt {
    let mut lines: Vec<AnnualLine> = donations
        .iter()
        .filter(|donation| donation.donation_type.is_zakat())
        .filter_map(|donation| {
            let amount = domain::receipts::standing_idr_minor(donation)?;
            (amount > 0).then_some(AnnualLine {
                receipt: donation.receipt,
                received_on: donation.received_on,
                donation_type: donation.donation_type,
                amount_idr_minor: amount,
            })
        })
        .collect();
    lines.sort_by_key(|line| (line.received_on, line.receipt));
    AnnualReceipt {
        year,
        payer: payer(Some(donor)),
        lines,
    }
}

/// Donations read per query while gathering a donor's year: a payroll deduction a month is
/// twelve; a page bounds what one query holds.
const ANNUAL_PAGE_SIZE: u16 = 200;

/// Loads a donor's annual receipt for `year` (by the date received); `None` when there is no
/// such donor. Reads their donations of the year a page at a time.
pub async fn load_annual(
    database: &storage::Database,
    donor_id: Uuid,
    year: i32,
) -> Result<Option<AnnualReceipt>, storage::StorageError> {
    let Some(donor) = database.donor(donor_id).await? else {
        return Ok(None);
    };
    let (Ok(from), Ok(to)) = (
        time::Date::from_calendar_date(year, time::Month::January, 1),
        time::Date::from_calendar_date(year, time::Month::December, 31),
    ) else {
        return Ok(None);
    };
    let mut filter = storage::ledger::DonationFilter {
        received_from: Some(from),
        received_to: Some(to),
        donor_id: Some(donor_id),
        limit: ANNUAL_PAGE_SIZE,
        ..storage::ledger::DonationFilter::default()
    };
    let mut donations = Vec::new();
    loop {
        let page = database.donations(&filter).await?;
        let full = page.len() == usize::from(ANNUAL_PAGE_SIZE);
        filter.before = page.last().map(|donation| donation.receipt);
        donations.extend(page.into_iter().filter(|d| d.donation_type.is_zakat()));
        if !full {
            break;
        }
    }
    Ok(Some(annual(year, &donor, &donations)))
}
