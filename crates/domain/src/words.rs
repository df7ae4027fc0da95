//! Amounts in Indonesian words (*terbilang*), as a Bukti Setor Zakat writes them next to the
//! figures: `Rp 2.500.000` is "dua juta lima ratus ribu rupiah".
//!
//! Our own because the crates that do this are unmaintained one-author crates that stop at
//! triliun; the rules fit on a page and are tested below against the forms tax receipts use.

use crate::{Currency, Money};

const DIGITS: [&str; 10] = [
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
];

/// Each power of a thousand, from the largest an `i64` of sen can reach (9.2 × 10¹⁶ rupiah).
const SCALES: [(u64, &str); 5] = [
    (1_000_000_000_000_000, "kuadriliun"),
    (1_000_000_000_000, "triliun"),
    (1_000_000_000, "miliar"),
    (1_000_000, "juta"),
    (1_000, "ribu"),
];

/// `n` in words: 0 "nol", 11 "sebelas", 1,000 "seribu", 1,000,000 "satu juta".
#[must_use]
pub fn number(n: u64) -> String {
    if n == 0 {
        return DIGITS[0].to_owned();
    }
    let mut words: Vec<String> = Vec::new();
    let mut rest = n;
    for (scale, name) in SCALES {
        let count = rest / scale;
        rest %= scale;
        match count {
            0 => {}
            // "seribu", but "satu juta", "satu miliar": only a thousand takes the se- prefix.
            1 if scale == 1_000 => words.push("seribu".to_owned()),
            _ => words.push(format!("{} {name}", below_thousand(count))),
        }
    }
    if rest > 0 {
        words.push(below_thousand(rest));
    }
    words.join(" ")
}

/// 1..=999 in words.
fn below_thousand(n: u64) -> String {
    debug_assert!((1..1000).contains(&n));
    let (hundreds, tens) = (n / 100, n % 100);
    let mut words = Vec::new();
    match hundreds {
        0 => {}
        1 => words.push("seratus".to_owned()),
        h => words.push(format!("{} ratus", DIGITS[digit(h)])),
    }
    match tens {
        0 => {}
        10 => words.push("sepuluh".to_owned()),
        11 => words.push("sebelas".to_owned()),
        12..=19 => words.push(format!("{} belas", DIGITS[digit(tens - 10)])),
        1..=9 => words.push(DIGITS[digit(tens)].to_owned()),
        _ => {
            words.push(format!("{} puluh", DIGITS[digit(tens / 10)]));
            if tens % 10 > 0 {
                words.push(DIGITS[digit(tens % 10)].to_owned());
            }
        }
    }
    words.join(" ")
}

fn digit(d: u64) -> usize {
    usize::try_from(d).expect("a decimal digit")
}

/// An amount as a receipt writes it: "dua juta lima ratus ribu rupiah", "seratus USD dua puluh
/// lima sen".
#[must_use]
pub fn amount(money: Money) -> String {
    let currency = money.currency();
    // Money is positive by construction.
    let minor = money.minor().unsigned_abs();
    let scale = 10_u64.pow(u32::from(currency.exponent()));
    let (whole, cents) = (minor / scale, minor % scale);
    let mut text = format!("{} {}", number(whole), unit_name(currency));
    if cents > 0 {
        text.push(' ');
        text.push_str(&number(cents));
        text.push_str(" sen");
    }
    text
}

/// Rupiah by name; a foreign currency by its ISO code, as Indonesian receipts write it.
fn unit_name(currency: Currency) -> &'static str {
    if currency == Currency::IDR {
        "rupiah"
    } else {
        currency.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_a_receipt_uses() {
        for (n, words) in [
            (0, "nol"),
            (1, "satu"),
            (10, "sepuluh"),
            (11, "sebelas"),
            (15, "lima belas"),
            (20, "dua puluh"),
            (99, "sembilan puluh sembilan"),
            (100, "seratus"),
            (101, "seratus satu"),
            (110, "seratus sepuluh"),
            (999, "sembilan ratus sembilan puluh sembilan"),
            (1_000, "seribu"),
            (1_001, "seribu satu"),
            (1_100, "seribu seratus"),
            (2_000, "dua ribu"),
            (11_000, "sebelas ribu"),
            (101_000, "seratus satu ribu"),
            (1_000_000, "satu juta"),
            (1_001_000, "satu juta seribu"),
            (2_500_000, "dua juta lima ratus ribu"),
            (
                1_234_567_890,
                "satu miliar dua ratus tiga puluh empat juta lima ratus enam puluh tujuh ribu delapan ratus sembilan puluh",
            ),
            (1_000_000_000_000, "satu triliun"),
            (
                92_233_720_368_547_758,
                "sembilan puluh dua kuadriliun dua ratus tiga puluh tiga triliun tujuh ratus dua puluh miliar tiga ratus enam puluh delapan juta lima ratus empat puluh tujuh ribu tujuh ratus lima puluh delapan",
            ),
        ] {
            assert_eq!(number(n), words, "{n}");
        }
    }

    #[test]
    fn amounts_name_their_unit_and_sen() {
        let rp = |text| Money::parse(text, Currency::IDR).unwrap();
        assert_eq!(amount(rp("2500000")), "dua juta lima ratus ribu rupiah");
        assert_eq!(amount(rp("1000")), "seribu rupiah");
        assert_eq!(
            amount(rp("31250.50")),
            "tiga puluh satu ribu dua ratus lima puluh rupiah lima puluh sen"
        );
        let usd = Money::parse("100.25", "USD".parse().unwrap()).unwrap();
        assert_eq!(amount(usd), "seratus USD dua puluh lima sen");
    }

    #[test]
    fn no_word_is_doubled_or_empty() {
        for n in (0..2_000_000_u64).step_by(997) {
            let text = number(n);
            assert!(
                !text.contains("  ") && !text.ends_with(' '),
                "{n}: {text:?}"
            );
            assert!(!text.starts_with("satu ribu"), "{n}: {text:?}");
            assert!(n == 0 || !text.contains("nol"), "{n}: {text:?}");
        }
    }
}
