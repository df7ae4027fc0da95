//! The options where practice or the schools of law differ: explicit, with defaults for
//! Indonesia, and a madhhab preset that expands into the individual flags.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::HaulCalendar;
use crate::names::named_enum;

named_enum! {
    /// Which metal's nisab money is measured against.
    pub enum NisabBasis ("nisab basis") {
        /// 85 g of gold: Indonesian practice (BAZNAS, MUI fatwa 3/2003, PMA 31/2019).
        Gold = "gold",
        /// 595 g of silver.
        Silver = "silver",
        /// Whichever of the two is lower (more people pay).
        LowerOfTwo = "lower_of_two",
    }
}

named_enum! {
    /// A school of law, as a preset of the rule flags.
    pub enum Madhhab ("madhhab") {
        /// Worn jewellery zakatable; camels above 120 restart the cycle.
        Hanafi = "hanafi",
        /// Worn jewellery exempt; camels above 120 by the letter of Abu Bakr.
        Maliki = "maliki",
        /// As Maliki (Indonesian practice).
        Shafii = "shafii",
        /// As Maliki.
        Hanbali = "hanbali",
    }
}

named_enum! {
    /// How camels above 120 are counted.
    pub enum CamelsAbove120 ("camel rule above 120") {
        /// The letter of Abu Bakr: every 40 a bint labun, every 50 a hiqqah.
        Majority = "majority",
        /// The cycle restarts on top of the 2 hiqqah.
        Hanafi = "hanafi",
    }
}

named_enum! {
    /// Whether income zakat is on the gross or the net income.
    pub enum IncomeMethod ("income method") {
        /// All income (BAZNAS's default).
        Gross = "gross",
        /// After basic needs and instalments (`deductions`).
        Net = "net",
    }
}

named_enum! {
    /// How the payable amount is rounded to the whole rupiah.
    pub enum Rounding ("rounding") {
        /// Up: in favour of the recipients (the default).
        Up = "up",
        /// To nearest, halves up.
        HalfUp = "half_up",
        /// To nearest, halves to even.
        HalfEven = "half_even",
        /// Not rounded: payable is the exact amount.
        None = "none",
    }
}

named_enum! {
    /// Whether gold or silver is jewellery, and how it is used.
    pub enum Jewellery ("jewellery") {
        /// Bullion, coins, savings.
        None = "none",
        /// Permissible jewellery in normal use by a woman.
        Worn = "worn",
        /// Jewellery kept for saving or trade.
        Stored = "stored",
    }
}

impl Rounding {
    /// `exact` rounded to the whole rupiah this way.
    #[must_use]
    pub fn apply(self, exact: Decimal) -> Decimal {
        let strategy = match self {
            Rounding::Up => RoundingStrategy::ToPositiveInfinity,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::None => return exact,
        };
        exact.round_dp_with_strategy(0, strategy)
    }
}

/// The options a request sets; unset ones take the madhhab preset, then the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionChoices {
    /// `nisab_basis`.
    pub nisab_basis: Option<NisabBasis>,
    /// `madhhab`: a preset for the flags below.
    pub madhhab: Option<Madhhab>,
    /// `worn_jewellery_zakatable`.
    pub worn_jewellery_zakatable: Option<bool>,
    /// `camels_above_120`.
    pub camels_above_120: Option<CamelsAbove120>,
    /// `income_method`.
    pub income_method: Option<IncomeMethod>,
    /// `deduct_debts`.
    pub deduct_debts: Option<bool>,
    /// `rounding`.
    pub rounding: Option<Rounding>,
    /// `gold_nisab_grams`.
    pub gold_nisab_grams: Option<Decimal>,
    /// `silver_nisab_grams`.
    pub silver_nisab_grams: Option<Decimal>,
    /// `haul_calendar`.
    pub haul_calendar: Option<HaulCalendar>,
}

/// Grams of pure gold in the nisab, by Indonesian practice (some bodies use 87.48).
pub const GOLD_NISAB_GRAMS: u32 = 85;
/// Grams of pure silver in the nisab (some bodies use 612.36).
pub const SILVER_NISAB_GRAMS: u32 = 595;

/// The options in force for a calculation, every one explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Options {
    /// Gold (default), silver, or the lower of the two.
    pub nisab_basis: NisabBasis,
    /// The preset the flags came from, if one was chosen.
    pub madhhab: Option<Madhhab>,
    /// Hanafi: yes; the others and the default (Indonesian, Shafi'i practice): no.
    pub worn_jewellery_zakatable: bool,
    /// Majority (default) or Hanafi.
    pub camels_above_120: CamelsAbove120,
    /// Gross (default) or net.
    pub income_method: IncomeMethod,
    /// Deduct debts due within 12 months from money and trade (default: yes, AAOIFI 35).
    pub deduct_debts: bool,
    /// Up (default), half-up, half-even or none.
    pub rounding: Rounding,
    /// Grams of gold in the nisab (default 85).
    #[serde(serialize_with = "super::decimal_string")]
    pub gold_nisab_grams: Decimal,
    /// Grams of silver in the nisab (default 595).
    #[serde(serialize_with = "super::decimal_string")]
    pub silver_nisab_grams: Decimal,
    /// How the haul is counted: 355 days (default) or the Hijri anniversary.
    pub haul_calendar: HaulCalendar,
}

impl OptionChoices {
    /// The options in force: each explicit choice, else the madhhab's, else Indonesia's default.
    #[must_use]
    pub fn resolve(&self) -> Options {
        let hanafi = self.madhhab == Some(Madhhab::Hanafi);
        Options {
            nisab_basis: self.nisab_basis.unwrap_or(NisabBasis::Gold),
            madhhab: self.madhhab,
            worn_jewellery_zakatable: self.worn_jewellery_zakatable.unwrap_or(hanafi),
            camels_above_120: self.camels_above_120.unwrap_or(if hanafi {
                CamelsAbove120::Hanafi
            } else {
                CamelsAbove120::Majority
            }),
            income_method: self.income_method.unwrap_or(IncomeMethod::Gross),
            deduct_debts: self.deduct_debts.unwrap_or(true),
            rounding: self.rounding.unwrap_or(Rounding::Up),
            gold_nisab_grams: self
                .gold_nisab_grams
                .unwrap_or(Decimal::from(GOLD_NISAB_GRAMS)),
            silver_nisab_grams: self
                .silver_nisab_grams
                .unwrap_or(Decimal::from(SILVER_NISAB_GRAMS)),
            haul_calendar: self.haul_calendar.unwrap_or(HaulCalendar::Days),
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        OptionChoices::default().resolve()
    }
}
