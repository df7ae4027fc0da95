//! The shares taken at receipt — the amil's of zakat and of infak/sedekah, the nazhir's of
//! wakaf benefits — with the caps the law sets, and the settings that choose them.

use std::fmt;

use crate::Currency;
use crate::names::named_enum;

/// A share of an amount, in basis points (1/100 of a percent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(u16);

/// The most a share may be, and the rule that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareCap {
    /// The amil's share of zakat: one eighth, as one of eight asnaf (MUI fatwa 8/2011).
    Zakat,
    /// The amil's right from infak/sedekah: 20 % (Peraturan BAZNAS 1/2016).
    Infak,
    /// The nazhir's share of wakaf benefits: 10 % (UU 41/2004 art. 12).
    Nazhir,
}

impl ShareCap {
    /// The cap.
    #[must_use]
    pub fn max(self) -> Share {
        match self {
            ShareCap::Zakat => Share(1250),
            ShareCap::Infak => Share(2000),
            ShareCap::Nazhir => Share(1000),
        }
    }

    /// The rule that sets it.
    #[must_use]
    pub fn rule(self) -> &'static str {
        match self {
            ShareCap::Zakat => "the amil share of zakat (one of eight asnaf, MUI fatwa 8/2011)",
            ShareCap::Infak => "the amil share of infak/sedekah (Peraturan BAZNAS 1/2016)",
            ShareCap::Nazhir => "the nazhir share of wakaf benefits (UU 41/2004 art. 12)",
        }
    }
}

/// Why a share was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// Not a percentage like `12.5`.
    #[error("`{0}` is not a percentage such as `12.5` (at most two decimals)")]
    NotAPercentage(String),
    /// Above the cap.
    #[error("{} may be at most {} %", .0.rule(), .0.max())]
    AboveCap(ShareCap),
}

impl Share {
    /// No share.
    pub const ZERO: Share = Share(0);

    /// Parses a percentage with at most two decimals (`12.5`, `10`, `0`), at most `cap`.
    pub fn parse_percent(text: &str, cap: ShareCap) -> Result<Share, ShareError> {
        let bad = || ShareError::NotAPercentage(text.chars().take(32).collect());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > 2 {
            return Err(bad());
        }
        let whole: u16 = whole.parse().map_err(|_| bad())?;
        let fraction: u16 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
        let basis_points = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(bad)?;
        let share = Share(basis_points);
        if share > cap.max() {
            return Err(ShareError::AboveCap(cap));
        }
        Ok(share)
    }

    /// The share in basis points.
    #[must_use]
    pub fn basis_points(self) -> u16 {
        self.0
    }

    /// The share of `amount_minor`, rounded down — to whole rupiah for IDR, where institutions
    /// book whole rupiah (the fund keeps the sen), to the minor unit otherwise. What is not
    /// taken stays with the recipients.
    #[must_use]
    pub fn of(self, amount_minor: i64, currency: Currency) -> i64 {
        let raw = i128::from(amount_minor) * i128::from(self.0) / 10_000;
        let unit = if currency == Currency::IDR {
            10_i128.pow(u32::from(currency.exponent()))
        } else {
            1
        };
        i64::try_from(raw / unit * unit).expect("a share is smaller than the amount")
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The part of `total` that goes with reversing `now` more of `whole`, `before` having been
/// reversed already: spread cumulatively and rounded down at each step, so reversing the
/// whole in any number of steps gives back exactly `total`.
#[must_use]
pub(crate) fn part_of(total: i64, whole: i64, before: i64, now: i64) -> i64 {
    let cumulative = |reversed: i64| {
        i64::try_from(i128::from(total) * i128::from(reversed) / i128::from(whole))
            .expect("a part fits in i64")
    };
    cumulative(before + now) - cumulative(before)
}

named_enum! {
    /// What a void or refund does when the amil fund has already spent the share it must give
    /// back (reference §10; `docs/BOOKS.md`).
    pub enum AmilShortfall ("amil shortfall choice") {
        /// Refuse the reversal with a 409 naming the shortfall (the default: nothing is owed
        /// without someone deciding so).
        Refuse = "refuse",
        /// Book what the amil fund cannot give back to `asset:amil_share_receivable`: the amil
        /// owes it to the fund the donation fed.
        Receivable = "receivable",
    }
}

/// The ledger's settings in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The amil's share of zakat, taken at receipt.
    pub amil_share: Share,
    /// The amil's share of unrestricted infak/sedekah, taken at receipt.
    pub amil_share_infak: Share,
    /// What a reversal does when the amil share was spent.
    pub amil_shortfall: AmilShortfall,
}

impl Default for Settings {
    /// 12.5 % of zakat, nothing of infak/sedekah, refuse a shortfall.
    fn default() -> Self {
        Settings {
            amil_share: ShareCap::Zakat.max(),
            amil_share_infak: Share::ZERO,
            amil_shortfall: AmilShortfall::Refuse,
        }
    }
}

/// One setting change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The amil's share of zakat.
    AmilShare(Share),
    /// The amil's share of unrestricted infak/sedekah.
    AmilShareInfak(Share),
    /// What a reversal does when the amil share was spent.
    AmilShortfall(AmilShortfall),
}

/// A stored setting that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("setting `{key}` holds `{value}`, which this release cannot read")]
pub struct SettingError {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl Setting {
    /// Every stored key.
    pub const KEYS: [&'static str; 3] = [
        "amil_share_percent",
        "amil_share_infak_percent",
        "amil_shortfall",
    ];

    /// The stored key.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Setting::AmilShare(_) => Setting::KEYS[0],
            Setting::AmilShareInfak(_) => Setting::KEYS[1],
            Setting::AmilShortfall(_) => Setting::KEYS[2],
        }
    }

    /// The stored value.
    #[must_use]
    pub fn value(self) -> String {
        match self {
            Setting::AmilShare(share) | Setting::AmilShareInfak(share) => share.to_string(),
            Setting::AmilShortfall(choice) => choice.to_string(),
        }
    }

    /// Reads a stored setting back.
    pub fn parse(key: &str, value: &str) -> Result<Setting, SettingError> {
        let bad = || SettingError {
            key: key.to_owned(),
            value: value.chars().take(64).collect(),
        };
        match key {
            "amil_share_percent" => Share::parse_percent(value, ShareCap::Zakat)
                .map(Setting::AmilShare)
                .map_err(|_| bad()),
            "amil_share_infak_percent" => Share::parse_percent(value, ShareCap::Infak)
                .map(Setting::AmilShareInfak)
                .map_err(|_| bad()),
            "amil_shortfall" => value.parse().map(Setting::AmilShortfall).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl Settings {
    /// The settings after `setting`.
    #[must_use]
    pub fn with(mut self, setting: Setting) -> Settings {
        match setting {
            Setting::AmilShare(share) => self.amil_share = share,
            Setting::AmilShareInfak(share) => self.amil_share_infak = share,
            Setting::AmilShortfall(choice) => self.amil_shortfall = choice,
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_capped_by_their_rule() {
        assert_eq!(
            Share::parse_percent("12.5", ShareCap::Zakat),
            Ok(ShareCap::Zakat.max())
        );
        assert_eq!(
            Share::parse_percent("12.51", ShareCap::Zakat),
            Err(ShareError::AboveCap(ShareCap::Zakat))
        );
        assert_eq!(
            Share::parse_percent("20", ShareCap::Infak).map(Share::basis_points),
            Ok(2000)
        );
        assert!(Share::parse_percent("20.01", ShareCap::Infak).is_err());
        assert!(Share::parse_percent("10.5", ShareCap::Nazhir).is_err());
        assert!(Share::parse_percent("1.234", ShareCap::Zakat).is_err());
        assert!(Share::parse_percent("-1", ShareCap::Zakat).is_err());
        assert!(Share::parse_percent("", ShareCap::Zakat).is_err());
        assert_eq!(ShareCap::Zakat.max().to_string(), "12.50");
        assert_eq!(
            ShareError::AboveCap(ShareCap::Infak).to_string(),
            "the amil share of infak/sedekah (Peraturan BAZNAS 1/2016) may be at most 20.00 %"
        );
    }

    #[test]
    fn the_share_of_rupiah_is_whole_rupiah_rounded_down() {
        // 12.5 % of Rp 250,001.00 is Rp 31,250.125: the amil gets Rp 31,250.
        assert_eq!(
            ShareCap::Zakat.max().of(25_000_100, Currency::IDR),
            3_125_000
        );
        // Another currency keeps its minor unit.
        let usd: Currency = "USD".parse().unwrap();
        assert_eq!(ShareCap::Zakat.max().of(10_001, usd), 1250);
    }

    #[test]
    fn reversing_in_parts_gives_back_exactly_the_whole() {
        let (whole, total) = (1_000_003, 125_000);
        let mut reversed = 0;
        let mut back = 0;
        for part in [333_333, 1, 400_000, 266_669] {
            back += part_of(total, whole, reversed, part);
            reversed += part;
        }
        assert_eq!((reversed, back), (whole, total));
    }

    #[test]
    fn settings_round_trip_through_their_stored_form() {
        for setting in [
            Setting::AmilShare(Share(1000)),
            Setting::AmilShareInfak(Share(2000)),
            Setting::AmilShortfall(AmilShortfall::Receivable),
        ] {
            assert_eq!(Setting::parse(setting.key(), &setting.value()), Ok(setting));
        }
        assert!(Setting::parse("amil_share_infak_percent", "25").is_err());
        assert!(Setting::parse("nope", "1").is_err());
    }
}
