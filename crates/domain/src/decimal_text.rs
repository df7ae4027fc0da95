//! A decimal written as text in a buffer on the stack: the digits `Decimal`'s `Display`
//! writes, with a minimum of decimals and, for the zakat trace, the whole part grouped.
//!
//! Why not `Decimal::to_string`: the calculator writes a dozen amounts per answer, and each
//! went through `core::fmt` (padding, a `String` per amount, and for the trace's `Rp 1,234`
//! three more): 17 % of the instructions of a zakat request (BENCHMARKS.md, "HTTP path
//! against the OTP yardstick"). The digits come from the mantissa as an integer.

use std::fmt;

use rust_decimal::Decimal;

/// Room for the longest text: a sign, 29 digits (a 96-bit mantissa), nine group separators, a
/// point and a leading zero, and 28 decimals of padding.
const CAPACITY: usize = 80;

/// A decimal's text, held on the stack.
#[derive(Clone, Copy)]
pub struct DecimalText {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl DecimalText {
    /// `value` without trailing zeros, but with at least `min_decimals` decimals (`0.00`
    /// for zero with two), and its whole part's digits grouped by threes with `separator`
    /// when one is given: `Decimal`'s own text for `(0, None)`.
    #[must_use]
    pub fn new(value: Decimal, min_decimals: u32, separator: Option<u8>) -> Self {
        let mut value = value.normalize();
        if value.scale() < min_decimals {
            // As `Decimal` does it: where the mantissa has no room, fewer decimals.
            value.rescale(min_decimals);
        }
        let mantissa = value.mantissa();
        let scale = value.scale();
        let negative = mantissa < 0;
        let magnitude = mantissa.unsigned_abs();
        // The digits, least significant first: in 64-bit arithmetic while they fit (every
        // amount the calculator sees), a 128-bit division per digit being a library call.
        let mut digits = [0_u8; 32];
        let mut count = 0;
        if let Ok(small) = u64::try_from(magnitude) {
            push_digits(&mut digits, &mut count, small, 0);
        } else {
            // Above 2^64: the low 19 digits (zeros included), then the rest; both fit.
            const TEN_TO_19: u128 = 10_000_000_000_000_000_000;
            let [high, low] = [magnitude / TEN_TO_19, magnitude % TEN_TO_19]
                .map(|part| u64::try_from(part).unwrap_or(u64::MAX));
            push_digits(&mut digits, &mut count, low, 19);
            push_digits(&mut digits, &mut count, high, 0);
        }
        let scale = scale as usize;
        // A whole part of at least one digit: zeros stand between the point and the first
        // significant digit (`0.00025`).
        let count = count.max(scale + 1);
        let mut text = DecimalText {
            bytes: [0; CAPACITY],
            len: 0,
        };
        if negative {
            text.push(b'-');
        }
        // From the most significant digit; `position` counts digits from the right.
        for position in (0..count).rev() {
            // A slot past the mantissa's digits is a zero of padding.
            text.push(digits[position].max(b'0'));
            if position == scale && scale > 0 {
                text.push(b'.');
            } else if let Some(separator) = separator
                && position > scale
                && (position - scale).is_multiple_of(3)
            {
                text.push(separator);
            }
        }
        text
    }

    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, `-`, `.` and an ASCII separator are ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// Puts `value`'s digits, least significant first, at `digits[*count..]`: at least
/// `min_digits` of them (zeros in front).
fn push_digits(digits: &mut [u8; 32], count: &mut usize, mut value: u64, min_digits: usize) {
    let start = *count;
    while value > 0 || *count - start < min_digits {
        digits[*count] = b'0' + (value % 10) as u8;
        value /= 10;
        *count += 1;
    }
}

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use proptest::prelude::*;

    use super::*;

    /// What the API wrote before: `Decimal`'s own text, normalized, at least `min_decimals`.
    fn decimal_to_string(value: Decimal, min_decimals: u32) -> String {
        let mut value = value.normalize();
        if value.scale() < min_decimals {
            value.rescale(min_decimals);
        }
        value.to_string()
    }

    /// What the trace wrote before: the normalized text, its whole part grouped with commas.
    fn grouped_to_string(value: Decimal) -> String {
        let text = value.normalize().to_string();
        let (whole, fraction) = text
            .split_once('.')
            .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
        let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        match fraction {
            Some(fraction) => format!("{sign}{grouped}.{fraction}"),
            None => format!("{sign}{grouped}"),
        }
    }

    #[test]
    fn amounts_read_as_before() {
        for (value, two, grouped) in [
            ("0", "0.00", "0"),
            ("-0.000", "0.00", "0"),
            ("250000", "250000.00", "250,000"),
            ("3437.50", "3437.50", "3,437.5"),
            ("0.00025", "0.00025", "0.00025"),
            ("-1234567.8", "-1234567.80", "-1,234,567.8"),
            ("100", "100.00", "100"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
                "79,228,162,514,264,337,593,543,950,335",
            ),
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
        ] {
            let value = Decimal::from_str(value).unwrap();
            assert_eq!(DecimalText::new(value, 2, None).as_str(), two);
            assert_eq!(DecimalText::new(value, 0, Some(b',')).as_str(), grouped);
            assert_eq!(
                DecimalText::new(value, 2, None).as_str(),
                decimal_to_string(value, 2)
            );
            assert_eq!(
                DecimalText::new(value, 0, Some(b',')).as_str(),
                grouped_to_string(value)
            );
        }
    }

    proptest! {
        #[test]
        fn any_decimal_reads_as_decimals_own_text(
            mantissa in any::<i128>(),
            scale in 0_u32..=28,
            min_decimals in 0_u32..=2,
        ) {
            let mantissa = mantissa % (1_i128 << 96);
            let value = Decimal::from_i128_with_scale(mantissa, scale);
            let plain = DecimalText::new(value, min_decimals, None);
            prop_assert_eq!(plain.as_str(), decimal_to_string(value, min_decimals));
            let grouped = DecimalText::new(value, 0, Some(b','));
            prop_assert_eq!(grouped.as_str(), grouped_to_string(value));
        }
    }
}
