//! The NPWZ (*Nomor Pokok Wajib Zakat*), the number an amil body gives a muzakki on
//! registration and prints on every Bukti Setor Zakat.
//!
//! Format: `IIII-YY-SSSSSSS-C`, fourteen digits —
//! - `IIII` the institution's code (from its profile; `0000` until one is set),
//! - `YY` the year of registration,
//! - `SSSSSSS` the institution's registration serial, one per muzakki, never reused,
//! - `C` a Damm check digit over the thirteen before it, which catches every changed digit and
//!   every swap of two neighbouring digits (a Luhn digit misses `09` ↔ `90`).
//!
//! Parsing accepts the digits with or without the dashes.

use std::fmt;
use std::str::FromStr;

/// The Damm quasigroup of order 10 (H. M. Damm, 2004): a weakly totally anti-symmetric table,
/// which is what makes the check digit catch neighbouring swaps.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The largest serial seven digits hold.
pub const SERIAL_MAX: u32 = 9_999_999;

/// A valid NPWZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Npwz {
    institution: u16,
    year: u16,
    serial: u32,
}

/// Why a text is not an NPWZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NpwzError {
    /// Not fourteen digits.
    #[error("an NPWZ is fourteen digits, `IIII-YY-SSSSSSS-C` (dashes optional)")]
    Format,
    /// The check digit does not match: a digit was changed or two were swapped.
    #[error(
        "the NPWZ check digit does not match: a digit is wrong; copy it again from the receipt"
    )]
    CheckDigit,
}

impl Npwz {
    /// The NPWZ of the `serial`-th muzakki an institution registered, in `year`.
    ///
    /// # Panics
    /// When a part does not fit its digits (an institution code above 9999, a serial of zero
    /// or above [`SERIAL_MAX`]): the caller checks its serial before issuing.
    #[must_use]
    pub fn new(institution: u16, year: i32, serial: u32) -> Npwz {
        assert!(institution <= 9999, "an institution code is four digits");
        assert!(
            (1..=SERIAL_MAX).contains(&serial),
            "a serial is seven digits"
        );
        let year = u16::try_from(year.rem_euclid(100)).expect("two digits");
        Npwz {
            institution,
            year,
            serial,
        }
    }

    /// The registration serial.
    #[must_use]
    pub fn serial(self) -> u32 {
        self.serial
    }

    fn body(self) -> String {
        format!("{:04}{:02}{:07}", self.institution, self.year, self.serial)
    }
}

/// The Damm check digit of `digits` (ASCII digits only).
fn check_digit(digits: &str) -> u8 {
    digits.bytes().fold(0, |interim, b| {
        DAMM[usize::from(interim)][usize::from(b - b'0')]
    })
}

impl fmt::Display for Npwz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.body();
        write!(
            f,
            "{}-{}-{}-{}",
            &body[..4],
            &body[4..6],
            &body[6..],
            check_digit(&body)
        )
    }
}

impl FromStr for Npwz {
    type Err = NpwzError;

    fn from_str(text: &str) -> Result<Npwz, NpwzError> {
        let digits: String = text.chars().filter(|c| *c != '-').collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NpwzError::Format);
        }
        if check_digit(&digits) != 0 {
            return Err(NpwzError::CheckDigit);
        }
        let number =
            |range: std::ops::Range<usize>| -> u32 { digits[range].parse().expect("ascii digits") };
        let serial = number(6..13);
        if serial == 0 {
            return Err(NpwzError::Format);
        }
        Ok(Npwz {
            institution: u16::try_from(number(0..4)).expect("four digits"),
            year: u16::try_from(number(4..6)).expect("two digits"),
            serial,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn prints_and_parses_back() {
        let npwz = Npwz::new(3173, 2026, 123);
        let text = npwz.to_string();
        assert!(text.starts_with("3173-26-0000123-"), "{text}");
        assert_eq!(text.parse(), Ok(npwz));
        assert_eq!(text.replace('-', "").parse(), Ok(npwz));
        assert_eq!("3173-26-000012".parse::<Npwz>(), Err(NpwzError::Format));
        assert_eq!("3173-26-000012x-1".parse::<Npwz>(), Err(NpwzError::Format));
    }

    proptest! {
        #[test]
        fn any_changed_digit_is_caught(
            institution in 0_u16..=9999,
            year in 2000_i32..2100,
            serial in 1..=SERIAL_MAX,
            position in 0_usize..14,
            change in 1_u8..10,
        ) {
            let mut digits = Npwz::new(institution, year, serial).to_string().replace('-', "").into_bytes();
            digits[position] = b'0' + (digits[position] - b'0' + change) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert_eq!(changed.parse::<Npwz>(), Err(NpwzError::CheckDigit));
        }

        #[test]
        fn any_swap_of_neighbours_is_caught(
            institution in 0_u16..=9999,
            year in 2000_i32..2100,
            serial in 1..=SERIAL_MAX,
            position in 0_usize..13,
        ) {
            let mut digits = Npwz::new(institution, year, serial).to_string().replace('-', "").into_bytes();
            prop_assume!(digits[position] != digits[position + 1]);
            digits.swap(position, position + 1);
            let swapped = String::from_utf8(digits).unwrap();
            prop_assert!(swapped.parse::<Npwz>().is_err());
        }
    }
}
