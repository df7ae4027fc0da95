//! Indonesian identity numbers a register keeps: the NIK (*Nomor Induk Kependudukan*, the
//! population number on the KTP) and the NPWP (*Nomor Pokok Wajib Pajak*, the tax number a
//! Bukti Setor Zakat must carry for the deduction, PER-6/PJ/2011).
//!
//! What is checked, cheaply and without a lookup service:
//! - **NIK**, 16 digits `PPKKCC DDMMYY SSSS`: `PP` is one of the province codes of the
//!   Kemendagri list (11–19, 21, 31–36, 51–53, 61–65, 71–76, 81–82, 91–96), the regency
//!   `KK` and district `CC` are not `00`, `DDMMYY` is a date of birth that exists (a woman's day
//!   has 40 added: 41–71; 29 February only in a leap year of 19YY or 20YY), and the serial
//!   `SSSS` is not `0000`. Whether the regency and district exist in that province is not
//!   checked (the list changes with every new regency).
//! - **NPWP**: the legacy 15 digits, written plain or as `99.999.999.9-999.999` (no other
//!   grouping), or the 16 digits used since 2024 (PMK 112/2022): an individual's NIK (checked
//!   as one) or, for an institution, `0` followed by its 15-digit NPWP. The legacy check digit
//!   (the ninth) is not checked: its algorithm is not published by the tax office.
//!
//! Both are kept as their digits only.

use std::fmt;

/// Province codes (the first two digits of a NIK), Kemendagri; 93–96 are the Papua
/// provinces formed in 2022.
const PROVINCES: [u8; 38] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
    71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
];

/// A NIK whose structure holds (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nik(String);

/// An NPWP in one of its two forms (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Npwp(String);

/// Why a text is not a NIK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Not sixteen digits.
    #[error("a NIK is 16 digits")]
    Format,
    /// The first two digits are no province's.
    #[error("a NIK begins with a province code (11 to 96); `{0:02}` is none")]
    Province(u8),
    /// Regency or district `00`.
    #[error("a NIK's regency and district codes (digits 3 to 6) are never `00`")]
    Region,
    /// Digits 7 to 12 are not a date of birth.
    #[error(
        "a NIK's digits 7 to 12 are the date of birth `DDMMYY` (40 added to a woman's day); these are no date"
    )]
    BirthDate,
    /// Serial `0000`.
    #[error("a NIK's last four digits are never `0000`")]
    Serial,
}

/// Why a text is not an NPWP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NpwpError {
    /// Neither 15 nor 16 digits, or grouped otherwise than `99.999.999.9-999.999`.
    #[error(
        "an NPWP is 15 digits (`99.999.999.9-999.999`, or the digits alone) or, since 2024, 16 digits"
    )]
    Format,
    /// 16 digits not beginning with `0` are a NIK, and this one is not.
    #[error("a 16-digit NPWP is `0` and the 15-digit NPWP, or the holder's NIK: {0}")]
    Nik(NikError),
}

impl Nik {
    /// Checks `text` (the 16 digits; spaces around are trimmed).
    ///
    /// # Errors
    /// Which part of the structure does not hold.
    pub fn parse(text: &str) -> Result<Nik, NikError> {
        let digits = text.trim();
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NikError::Format);
        }
        let pair = |at: usize| -> u8 {
            let bytes = digits.as_bytes();
            (bytes[at] - b'0') * 10 + (bytes[at + 1] - b'0')
        };
        let province = pair(0);
        if !PROVINCES.contains(&province) {
            return Err(NikError::Province(province));
        }
        if pair(2) == 0 || pair(4) == 0 {
            return Err(NikError::Region);
        }
        let day = match pair(6) {
            day @ 1..=31 => day,
            day @ 41..=71 => day - 40,
            _ => return Err(NikError::BirthDate),
        };
        let (month, year) = (pair(8), pair(10));
        if !birth_date_exists(day, month, year) {
            return Err(NikError::BirthDate);
        }
        if &digits[12..] == "0000" {
            return Err(NikError::Serial);
        }
        Ok(Nik(digits.to_owned()))
    }

    /// The sixteen digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `day`.`month`.`yy` is a date in 19yy or 20yy (the NIK does not say which century).
fn birth_date_exists(day: u8, month: u8, yy: u8) -> bool {
    let Ok(month) = time::Month::try_from(month) else {
        return false;
    };
    [1900, 2000]
        .into_iter()
        .any(|century| day <= time::util::days_in_month(month, century + i32::from(yy)))
}

impl Npwp {
    /// Checks `text`: 15 digits plain or as `99.999.999.9-999.999`, or 16 digits plain.
    ///
    /// # Errors
    /// When neither form holds.
    pub fn parse(text: &str) -> Result<Npwp, NpwpError> {
        let text = text.trim();
        let digits: String = if text.contains(['.', '-']) {
            // The legacy printed form, exactly: anything else is a typo worth asking about.
            let shape = text
                .bytes()
                .map(|b| if b.is_ascii_digit() { b'9' } else { b })
                .collect::<Vec<u8>>();
            if shape != b"99.999.999.9-999.999" {
                return Err(NpwpError::Format);
            }
            text.chars().filter(char::is_ascii_digit).collect()
        } else {
            text.to_owned()
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NpwpError::Format);
        }
        match digits.len() {
            15 => Ok(Npwp(digits)),
            16 if digits.starts_with('0') => Ok(Npwp(digits)),
            16 => Nik::parse(&digits)
                .map(|_| Npwp(digits))
                .map_err(NpwpError::Nik),
            _ => Err(NpwpError::Format),
        }
    }

    /// The digits (15 or 16).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Npwp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nik_of_a_real_shape_is_accepted_for_men_and_women() {
        // Kota Bandung (32 73), district 01, born 17 August 1985 / a woman born 5 July 1989.
        assert_eq!(
            Nik::parse("3273011708850001").unwrap().as_str(),
            "3273011708850001"
        );
        assert!(Nik::parse("3201234507890001").is_ok());
        assert!(Nik::parse(" 3201010101010001 ").is_ok());
    }

    #[test]
    fn each_part_of_a_nik_is_checked() {
        assert_eq!(Nik::parse("327301170885000"), Err(NikError::Format));
        assert_eq!(Nik::parse("32730117088500011"), Err(NikError::Format));
        assert_eq!(Nik::parse("3273-11708850001"), Err(NikError::Format));
        assert_eq!(Nik::parse("2073011708850001"), Err(NikError::Province(20)));
        assert_eq!(Nik::parse("9973011708850001"), Err(NikError::Province(99)));
        assert_eq!(Nik::parse("3200011708850001"), Err(NikError::Region));
        assert_eq!(Nik::parse("3273001708850001"), Err(NikError::Region));
        assert_eq!(Nik::parse("3273013208850001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3273013508850001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3273017208850001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3273011713850001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3273013104850001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3273011708850000"), Err(NikError::Serial));
    }

    #[test]
    fn the_29th_of_february_needs_a_leap_year_in_either_century() {
        assert!(Nik::parse("3273012902000001").is_ok(), "2000");
        assert!(Nik::parse("3273016902960001").is_ok(), "1996, a woman");
        assert!(Nik::parse("3273012902000001").is_ok());
        assert_eq!(
            Nik::parse("3273012902010001"),
            Err(NikError::BirthDate),
            "neither 1901 nor 2001"
        );
    }

    #[test]
    fn an_npwp_is_fifteen_digits_plain_or_printed_or_sixteen() {
        assert_eq!(
            Npwp::parse("01.234.567.8-901.000").unwrap().as_str(),
            "012345678901000"
        );
        assert!(Npwp::parse("012345678901000").is_ok());
        assert!(Npwp::parse("0012345678901000").is_ok(), "an institution");
        assert!(Npwp::parse("3273011708850001").is_ok(), "a person's NIK");
        assert_eq!(Npwp::parse("01.234.567.8-901.ABC"), Err(NpwpError::Format));
        assert_eq!(Npwp::parse("012.345.678-901.000"), Err(NpwpError::Format));
        assert_eq!(Npwp::parse("01234567890100"), Err(NpwpError::Format));
        assert_eq!(Npwp::parse("01234567890100000"), Err(NpwpError::Format));
        assert_eq!(
            Npwp::parse("3273013208850001"),
            Err(NpwpError::Nik(NikError::BirthDate))
        );
    }
}
