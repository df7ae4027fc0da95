//! Money: an exact count of a currency's minor units. Never floating point.
//!
//! Amounts arrive as decimal strings (`"150000.00"`) and are parsed once, at the boundary,
//! into [`Money`]; from then on they are integers. A string with more fraction digits than
//! the currency has is refused, not rounded: rounding someone's donation silently is a bug.

use std::fmt;
use std::str::FromStr;

/// The largest amount accepted in one money movement, in minor units: 10^15, i.e.
/// Rp 10 trillion at two decimals — beyond any real donation, and small enough that adding
/// up nine thousand of them still fits in an `i64`.
pub const AMOUNT_MINOR_MAX: i64 = 1_000_000_000_000_000;

/// A currency we accept, with its ISO 4217 minor-unit exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// The currencies Islamic charities we serve receive, with their ISO 4217 exponents.
/// IDR has two minor digits in ISO 4217 although rupiah amounts are whole in practice.
const CURRENCIES: [Currency; 16] = [
    Currency {
        code: "IDR",
        exponent: 2,
    },
    Currency {
        code: "MYR",
        exponent: 2,
    },
    Currency {
        code: "SGD",
        exponent: 2,
    },
    Currency {
        code: "BND",
        exponent: 2,
    },
    Currency {
        code: "SAR",
        exponent: 2,
    },
    Currency {
        code: "AED",
        exponent: 2,
    },
    Currency {
        code: "QAR",
        exponent: 2,
    },
    Currency {
        code: "KWD",
        exponent: 3,
    },
    Currency {
        code: "BHD",
        exponent: 3,
    },
    Currency {
        code: "OMR",
        exponent: 3,
    },
    Currency {
        code: "EGP",
        exponent: 2,
    },
    Currency {
        code: "TRY",
        exponent: 2,
    },
    Currency {
        code: "USD",
        exponent: 2,
    },
    Currency {
        code: "EUR",
        exponent: 2,
    },
    Currency {
        code: "GBP",
        exponent: 2,
    },
    Currency {
        code: "JPY",
        exponent: 0,
    },
];

impl Currency {
    /// Indonesian rupiah, the platform's home currency.
    pub const IDR: Currency = CURRENCIES[0];

    /// The ISO 4217 code, e.g. `IDR`.
    #[must_use]
    pub fn code(self) -> &'static str {
        self.code
    }

    /// How many fraction digits the currency has (2 for IDR, 0 for JPY, 3 for KWD).
    #[must_use]
    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A currency code that is not one we accept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown currency: use an ISO 4217 code such as `IDR`, `MYR` or `USD`")]
pub struct UnknownCurrency;

impl FromStr for Currency {
    type Err = UnknownCurrency;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        CURRENCIES
            .into_iter()
            .find(|currency| currency.code == code)
            .ok_or(UnknownCurrency)
    }
}

/// An amount of money: a positive count of minor units of one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Why a decimal string is not an amount.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AmountError {
    /// Nothing but digits and at most one decimal point, e.g. `"150000.00"`.
    #[error(
        "not a decimal number: write digits with an optional `.` and fraction, e.g. `150000.00`"
    )]
    NotADecimal,
    /// A minus sign.
    #[error("must be positive")]
    Negative,
    /// Zero is not a donation.
    #[error("must be greater than zero")]
    Zero,
    /// More fraction digits than the currency has.
    #[error("has more than {exponent} fraction digit(s), the most {currency} allows")]
    TooPrecise {
        /// The currency.
        currency: &'static str,
        /// Its number of fraction digits.
        exponent: u8,
    },
    /// Above [`AMOUNT_MINOR_MAX`].
    #[error("is larger than the most one movement may carry")]
    TooLarge,
}

impl Money {
    /// Parses a positive decimal string in `currency`, exactly.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, AmountError> {
        if text.starts_with('-') {
            return Err(AmountError::Negative);
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
            return Err(AmountError::NotADecimal);
        }
        let exponent = usize::from(currency.exponent);
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > exponent {
            return Err(AmountError::TooPrecise {
                currency: currency.code,
                exponent: currency.exponent,
            });
        }
        let whole = whole.trim_start_matches('0');
        // 19 digits overflow i64 before the range check could see them.
        if whole.len() > 18 {
            return Err(AmountError::TooLarge);
        }
        let scaled = format!("{whole}{fraction:0<exponent$}");
        let minor: i64 = if scaled.is_empty() {
            0
        } else {
            scaled.parse().map_err(|_| AmountError::TooLarge)?
        };
        Money::from_minor(minor, currency)
    }

    /// An amount of `minor` units of `currency`; positive and at most [`AMOUNT_MINOR_MAX`].
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Money, AmountError> {
        match minor {
            ..0 => Err(AmountError::Negative),
            0 => Err(AmountError::Zero),
            1..=AMOUNT_MINOR_MAX => Ok(Money { minor, currency }),
            _ => Err(AmountError::TooLarge),
        }
    }

    /// The amount in minor units.
    #[must_use]
    pub fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    #[must_use]
    pub fn currency(self) -> Currency {
        self.currency
    }
}

/// The amount as an exact decimal string with all of the currency's fraction digits,
/// e.g. `150000.00` (IDR), `5000` (JPY), `1.250` (KWD). No currency code.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.currency.format_minor(self.minor))
    }
}

impl Currency {
    /// Any signed count of minor units (a balance, a difference) as an exact decimal string
    /// with all of the currency's fraction digits: `-1250.50`, `0.00`.
    #[must_use]
    pub fn format_minor(self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let magnitude = minor.unsigned_abs();
        let exponent = u32::from(self.exponent);
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10_u64.pow(exponent);
        let width = usize::from(self.exponent);
        format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn idr(text: &str) -> Result<Money, AmountError> {
        Money::parse(text, Currency::IDR)
    }

    #[test]
    fn decimal_strings_become_exact_minor_units() {
        assert_eq!(idr("150000").unwrap().minor(), 15_000_000);
        assert_eq!(idr("150000.5").unwrap().minor(), 15_000_050);
        assert_eq!(idr("150000.50").unwrap().minor(), 15_000_050);
        assert_eq!(idr("0.01").unwrap().minor(), 1);
        assert_eq!(
            idr("007.100").unwrap().minor(),
            710,
            "trailing zeros are not precision"
        );
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(Money::parse("1.25", kwd).unwrap().minor(), 1_250);
        let jpy: Currency = "JPY".parse().unwrap();
        assert_eq!(Money::parse("5000", jpy).unwrap().minor(), 5_000);
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        assert_eq!(idr("-5"), Err(AmountError::Negative));
        assert_eq!(idr("0"), Err(AmountError::Zero));
        assert_eq!(idr("0.00"), Err(AmountError::Zero));
        assert_eq!(
            idr("1.001"),
            Err(AmountError::TooPrecise {
                currency: "IDR",
                exponent: 2
            })
        );
        for bad in [
            "", ".5", "5.", "1e5", "1,000", " 1", "1 ", "+1", "0x10", "1.2.3", "١٢٣",
        ] {
            assert_eq!(idr(bad), Err(AmountError::NotADecimal), "{bad:?}");
        }
        assert_eq!(idr("10000000000000.01"), Err(AmountError::TooLarge));
        assert_eq!(
            idr("99999999999999999999999999"),
            Err(AmountError::TooLarge)
        );
        assert!(
            idr("10000000000000").is_ok(),
            "the maximum itself is accepted"
        );
    }

    #[test]
    fn unknown_currencies_are_refused() {
        assert_eq!("XYZ".parse::<Currency>(), Err(UnknownCurrency));
        assert_eq!(
            "idr".parse::<Currency>(),
            Err(UnknownCurrency),
            "codes are upper case"
        );
    }

    #[test]
    fn amounts_print_with_every_fraction_digit_of_their_currency() {
        assert_eq!(idr("150000").unwrap().to_string(), "150000.00");
        assert_eq!(idr("0.05").unwrap().to_string(), "0.05");
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(Money::parse("1.25", kwd).unwrap().to_string(), "1.250");
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_amount(minor in 1..=AMOUNT_MINOR_MAX, index in 0..CURRENCIES.len()) {
            let money = Money::from_minor(minor, CURRENCIES[index]).unwrap();
            prop_assert_eq!(Money::parse(&money.to_string(), money.currency()), Ok(money));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = idr(&text);
        }
    }

    #[test]
    fn signed_minor_amounts_format_with_every_fraction_digit() {
        assert_eq!(Currency::IDR.format_minor(0), "0.00");
        assert_eq!(Currency::IDR.format_minor(-150_050), "-1500.50");
        assert_eq!(
            Currency::IDR.format_minor(i64::MIN),
            "-92233720368547758.08"
        );
    }
}
