//! Receipt numbers: a gap-free serial per calendar year in WIB (reference §11).

use std::fmt;

use time::{OffsetDateTime, UtcOffset};

/// Receipts are numbered per calendar year in Western Indonesian Time (WIB, UTC+7), where the
/// institutions this serves keep their books. A donation recorded at 23:30 WIB on 31 December
/// belongs to that year's series, not the next.
pub const RECEIPT_YEAR_OFFSET: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+7 is a valid offset"),
};

/// A receipt number: a serial without gaps within its calendar year (reference §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReceiptNumber {
    /// The calendar year of the series.
    pub year: i32,
    /// 1, 2, 3, … within the year.
    pub serial: i64,
}

impl ReceiptNumber {
    /// The year whose series a donation recorded at `recorded_at` joins.
    #[must_use]
    pub fn year_of(recorded_at: OffsetDateTime) -> i32 {
        recorded_at.to_offset(RECEIPT_YEAR_OFFSET).year()
    }
}

/// Text that is not a receipt number `YYYY-NNNNNN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a receipt number: write `YYYY-NNNNNN`, e.g. `2026-000042`")]
pub struct NotAReceiptNumber;

impl std::str::FromStr for ReceiptNumber {
    type Err = NotAReceiptNumber;

    /// The inverse of `Display`: a four-digit year, a dash, a serial of six or more digits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (year, serial) = text.split_once('-').ok_or(NotAReceiptNumber)?;
        let digits = |part: &str, min: usize, max: usize| {
            (min..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4, 4) || !digits(serial, 6, 18) {
            return Err(NotAReceiptNumber);
        }
        Ok(ReceiptNumber {
            year: year.parse().map_err(|_| NotAReceiptNumber)?,
            serial: serial.parse().map_err(|_| NotAReceiptNumber)?,
        })
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:06}", self.year, self.serial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_years_turn_at_midnight_in_jakarta() {
        let late_december_utc = time::macros::datetime!(2026-12-31 16:59:59 UTC);
        let new_year_in_jakarta = time::macros::datetime!(2026-12-31 17:00:00 UTC);
        assert_eq!(ReceiptNumber::year_of(late_december_utc), 2026);
        assert_eq!(ReceiptNumber::year_of(new_year_in_jakarta), 2027);
        let number = ReceiptNumber {
            year: 2026,
            serial: 42,
        };
        assert_eq!(number.to_string(), "2026-000042");
        assert_eq!("2026-000042".parse(), Ok(number));
        assert_eq!("2026-42".parse::<ReceiptNumber>(), Err(NotAReceiptNumber));
    }
}
