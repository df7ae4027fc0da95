//! Numbers, money and dates as each language writes them: `Rp 2.500.000` and `7 Desember 2026`
//! in Indonesian, `Rp 2,500,000` and `7 December 2026` in English.
//!
//! Written here rather than taken from ICU: two languages, one currency symbol and whole
//! rupiah make it a few lines, where `icu_decimal` with its data would add a megabyte.

use domain::Money;
use rust_decimal::Decimal;

use super::i18n::Lang;

/// The thousands separator and the decimal mark.
fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::Id => ('.', ','),
        Lang::En => (',', '.'),
    }
}

/// `digits` (ASCII, no sign) grouped by thousands.
fn grouped(digits: &str, separator: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// A plain decimal number: `2.500.000,5` / `2,500,000.5` (fraction digits as given; trailing
/// zeros of the fraction dropped).
#[must_use]
pub fn decimal(lang: Lang, value: Decimal) -> String {
    let text = value.normalize().to_string();
    localised(lang, &text, false)
}

/// A whole count: `1.234` / `1,234`.
#[must_use]
pub fn count(lang: Lang, value: i64) -> String {
    localised(lang, &value.to_string(), false)
}

/// An amount of money: `Rp 2.500.000` (whole rupiah show no fraction), `Rp 1.250,50`,
/// `USD 1,250.50`.
#[must_use]
pub fn money(lang: Lang, amount: Money) -> String {
    minor_units(lang, amount.minor(), amount.currency())
}

/// A count of minor units of `currency` written as [`money`] — also zero or negative, which a
/// [`Money`] never is (a donation's amil share or what was reversed of it may be nothing).
#[must_use]
pub fn minor_units(lang: Lang, minor: i64, currency: domain::Currency) -> String {
    let text = currency.format_minor(minor);
    let unit = if currency == domain::Currency::IDR {
        "Rp"
    } else {
        currency.code()
    };
    format!("{unit} {}", localised(lang, &text, true))
}

/// An IDR amount given as a decimal (zakat results, report totals): as [`money`].
#[must_use]
pub fn rupiah(lang: Lang, value: Decimal) -> String {
    let text = value.round_dp(2).normalize().to_string();
    format!("Rp {}", localised(lang, &text, true))
}

/// `text` (`-1234.50`) with the language's separators; `drop_zero_fraction`: `,00` is not shown.
fn localised(lang: Lang, text: &str, drop_zero_fraction: bool) -> String {
    let (thousands, mark) = separators(lang);
    let (sign, unsigned) = text
        .strip_prefix('-')
        .map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let mut out = format!("{sign}{}", grouped(whole, thousands));
    let hidden = fraction.is_empty() || (drop_zero_fraction && fraction.chars().all(|c| c == '0'));
    if !hidden {
        out.push(mark);
        out.push_str(fraction);
        // Money shows cents as two digits: `,5` is `,50`.
        if drop_zero_fraction && fraction.len() == 1 {
            out.push('0');
        }
    }
    out
}

/// `7 Desember 2026` / `7 December 2026`.
#[must_use]
pub fn date(lang: Lang, date: time::Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month(lang, date.month()),
        date.year()
    )
}

/// `Desember 2026` / `December 2026`.
#[must_use]
pub fn month_year(lang: Lang, year: i32, month_of_year: time::Month) -> String {
    format!("{} {year}", month(lang, month_of_year))
}

/// The month's name.
#[must_use]
pub fn month(lang: Lang, month: time::Month) -> String {
    lang.t(&format!("month-{}", u8::from(month)))
}

/// `7 Desember 2026 14.05 UTC` / `7 December 2026 14:05 UTC`.
#[must_use]
pub fn date_time(lang: Lang, at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let separator = match lang {
        Lang::Id => '.',
        Lang::En => ':',
    };
    format!(
        "{} {:02}{separator}{:02} UTC",
        date(lang, at.date()),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Currency;

    fn idr(text: &str) -> Money {
        Money::parse(text, Currency::IDR).unwrap()
    }

    #[test]
    fn rupiah_as_each_language_writes_it() {
        assert_eq!(money(Lang::Id, idr("2500000")), "Rp 2.500.000");
        assert_eq!(money(Lang::En, idr("2500000")), "Rp 2,500,000");
        assert_eq!(money(Lang::Id, idr("1250.5")), "Rp 1.250,50");
        assert_eq!(money(Lang::En, idr("1250.50")), "Rp 1,250.50");
        assert_eq!(money(Lang::Id, idr("999")), "Rp 999");
        assert_eq!(
            rupiah(Lang::Id, Decimal::new(-123_456_700, 2)),
            "Rp -1.234.567"
        );
        assert_eq!(rupiah(Lang::En, Decimal::new(2_550, 1)), "Rp 255");
    }

    #[test]
    fn plain_numbers_and_dates() {
        assert_eq!(decimal(Lang::Id, Decimal::new(8_550_000, 1)), "855.000");
        assert_eq!(minor_units(Lang::Id, 0, domain::Currency::IDR), "Rp 0");
        assert_eq!(
            minor_units(Lang::En, -150_050, domain::Currency::IDR),
            "Rp -1,500.50"
        );
        assert_eq!(decimal(Lang::En, Decimal::new(25, 3)), "0.025");
        assert_eq!(count(Lang::Id, 1_234_567), "1.234.567");
        let day = time::macros::date!(2026 - 12 - 07);
        assert_eq!(date(Lang::Id, day), "7 Desember 2026");
        assert_eq!(date(Lang::En, day), "7 December 2026");
    }
}
