//! The zakat calculator: every category of the rule book (`reference/zakat.md`) as a pure
//! function of what is owned, the options chosen, the data values in force and the date.
//!
//! Nothing here reads a clock or a database: the caller resolves the data values in force on
//! the calculation date (prices, BAZNAS decree figures) and passes them with their sources.
//! Arithmetic is exact (`rust_decimal`): 2.5 % is a division by 40, which terminates. Every
//! result lists the values it used with their sources and a trace of the rules it applied,
//! each with its citation, so an amil can show a muzaki how the amount came about.

mod citations;
pub mod data;
pub mod haul;
mod livestock;
mod options;
pub mod request;
mod rules;

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

pub use data::{DataName, DataRecord};
pub use haul::HaulCalendar;
pub use livestock::{Animal, camels, cattle, sheep};
pub use options::{
    CamelsAbove120, IncomeMethod, Jewellery, Madhhab, NisabBasis, OptionChoices, Options, Rounding,
};
pub use request::{Request, RequestError, RequestFields};

/// How dates are written in requests, answers and stored data: `YYYY-MM-DD`.
pub(crate) const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

use crate::names::named_enum;

named_enum! {
    /// What kind of wealth a calculation is for.
    pub enum Category ("zakat category") {
        /// Money, savings, deposits, e-money.
        Maal = "maal",
        /// Gold, by weight and karat.
        Gold = "gold",
        /// Silver, by weight.
        Silver = "silver",
        /// Trade goods (zakat perniagaan).
        Trade = "trade",
        /// Income (zakat penghasilan), BAZNAS method.
        Income = "income",
        /// Zakat fitrah, per person.
        Fitrah = "fitrah",
        /// Harvests (zakat pertanian).
        Agriculture = "agriculture",
        /// Free-grazing sheep, cattle, camels.
        Livestock = "livestock",
        /// Mined minerals.
        Mining = "mining",
        /// Found treasure.
        Rikaz = "rikaz",
        /// Shares.
        Stocks = "stocks",
        /// Fidyah: a missed fast redeemed by feeding the poor (QS Al-Baqarah 2:184). Not zakat,
        /// but calculated the same way, from a decree rate in force on a date.
        Fidyah = "fidyah",
    }
}

named_enum! {
    /// Whether an income is the month's or the year's.
    pub enum Period ("period") {
        /// Compared with the monthly nisab.
        Monthly = "monthly",
        /// Compared with the annual nisab.
        Annual = "annual",
    }
}

named_enum! {
    /// How zakat fitrah is given.
    pub enum FitrahForm ("fitrah form") {
        /// Money, at the value set for the region and year.
        Cash = "cash",
        /// Rice by weight: 2.5 kg per person.
        RiceKg = "rice_kg",
        /// Rice by volume: 3.5 litres per person.
        RiceLitre = "rice_litre",
    }
}

named_enum! {
    /// How a harvest was watered.
    pub enum Irrigation ("irrigation") {
        /// By rain, rivers or springs: a tenth.
        RainFed = "rain_fed",
        /// By irrigation at a cost: a twentieth.
        Irrigated = "irrigated",
        /// Both, about equally: three fortieths.
        Mixed = "mixed",
    }
}

named_enum! {
    /// Why shares are held.
    pub enum StockHolding ("stock holding") {
        /// For trading: zakat on market value.
        Trading = "trading",
        /// Long-term: on market value too (institution practice; see the trace).
        LongTerm = "long_term",
    }
}

/// What is owned, per category. Amounts are rupiah; weights grams; harvests kilograms.
#[derive(Clone, Debug, PartialEq)]
pub enum Holding {
    /// Money and savings, less debts due within 12 months.
    Maal {
        /// Cash, savings, deposits, e-money.
        cash: Decimal,
        /// Debts due within 12 months.
        debts: Decimal,
    },
    /// Gold.
    Gold {
        /// Weight in grams.
        grams: Decimal,
        /// Purity, 1–24.
        karat: u8,
        /// Whether it is jewellery, and how it is used.
        jewellery: Jewellery,
    },
    /// Silver.
    Silver {
        /// Weight of pure silver in grams.
        grams: Decimal,
        /// Whether it is jewellery, and how it is used.
        jewellery: Jewellery,
    },
    /// A business's zakatable assets.
    Trade {
        /// Cash and bank balances.
        cash: Decimal,
        /// Stock at market value.
        inventory: Decimal,
        /// Receivables expected to be collected.
        receivables: Decimal,
        /// Debts due within 12 months.
        debts: Decimal,
    },
    /// Income of a month or a year.
    Income {
        /// The income.
        income: Decimal,
        /// Whose period it is.
        period: Period,
        /// Basic needs and instalments, deducted when the method is `net`.
        deductions: Decimal,
        /// The year's total so far, for the annual reconciliation of a month below nisab.
        annual_total: Option<Decimal>,
    },
    /// A household's zakat fitrah.
    Fitrah {
        /// Members of the household.
        persons: u32,
        /// Cash or rice.
        form: FitrahForm,
        /// The region whose decree sets the cash value.
        region: String,
        /// The class within the region, where it publishes several.
        class: Option<String>,
    },
    /// A harvest.
    Agriculture {
        /// Grain harvested (gabah), kilograms.
        harvest_kg: Decimal,
        /// How it was watered.
        irrigation: Irrigation,
    },
    /// A herd.
    Livestock {
        /// Which animal.
        animal: Animal,
        /// How many.
        count: u32,
    },
    /// Mined minerals, by value.
    Mining {
        /// Market value.
        value: Decimal,
    },
    /// Found treasure, by value.
    Rikaz {
        /// Market value.
        value: Decimal,
    },
    /// Shares.
    Stocks {
        /// Market value.
        market_value: Decimal,
        /// Why they are held.
        holding: StockHolding,
    },
    /// Fasting days missed, redeemed by fidyah.
    Fidyah {
        /// Days missed.
        days: u32,
        /// Persons whose days they are.
        persons: u32,
        /// The region whose decree sets the rate.
        region: String,
        /// The class within the region, where it publishes several.
        class: Option<String>,
    },
}

impl Holding {
    /// The category this holding is for.
    #[must_use]
    pub fn category(&self) -> Category {
        match self {
            Holding::Maal { .. } => Category::Maal,
            Holding::Gold { .. } => Category::Gold,
            Holding::Silver { .. } => Category::Silver,
            Holding::Trade { .. } => Category::Trade,
            Holding::Income { .. } => Category::Income,
            Holding::Fitrah { .. } => Category::Fitrah,
            Holding::Agriculture { .. } => Category::Agriculture,
            Holding::Livestock { .. } => Category::Livestock,
            Holding::Mining { .. } => Category::Mining,
            Holding::Rikaz { .. } => Category::Rikaz,
            Holding::Stocks { .. } => Category::Stocks,
            Holding::Fidyah { .. } => Category::Fidyah,
        }
    }
}

/// A data value with where it comes from (a decree, a price source, the request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced {
    /// The value.
    pub value: Decimal,
    /// Its source, as cited in the result.
    pub source: String,
}

impl Sourced {
    /// `value` from `source`.
    pub fn new(value: Decimal, source: impl Into<String>) -> Sourced {
        Sourced {
            value,
            source: source.into(),
        }
    }
}

/// The data values in force on the calculation date (or given in the request). A category
/// that needs one that is missing fails naming it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Data {
    /// Rupiah per gram of pure gold.
    pub gold_price_per_gram: Option<Sourced>,
    /// Rupiah per gram of pure silver.
    pub silver_price_per_gram: Option<Sourced>,
    /// BAZNAS's published annual income nisab.
    pub nisab_annual: Option<Sourced>,
    /// BAZNAS's published monthly income nisab.
    pub nisab_monthly: Option<Sourced>,
    /// The cash value of one person's fitrah in the region and class.
    pub fitrah_per_person: Option<Sourced>,
    /// The cash value of one day's fidyah for one person in the region and class.
    pub fidyah_per_day: Option<Sourced>,
}

/// One calculation's question.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// What is owned.
    pub holding: Holding,
    /// The calculation date: the data in force then, and the end of the haul.
    pub date: Date,
    /// Since when it has been held, for the categories with a haul; `None`: a full year.
    pub held_since: Option<Date>,
}

/// Zakat in kind: animals, or a quantity of grain or rice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum InKind {
    /// Animals of a kind (`sheep`, `tabi`, `musinnah`, `bint_makhad`, `bint_labun`, `hiqqah`,
    /// `jadhaah`).
    Animals {
        /// The animal due, by its age class.
        kind: &'static str,
        /// How many.
        count: u32,
    },
    /// A quantity (`kg`, `litre`).
    Quantity {
        /// Its unit.
        unit: &'static str,
        /// How much, exactly.
        #[serde(serialize_with = "decimal_string")]
        quantity: Decimal,
    },
}

/// The nisab a calculation compared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nisab {
    /// What it is (`85 g gold`, `653 kg grain`, `BAZNAS monthly income nisab`).
    pub basis: String,
    /// Its value in `unit`.
    pub value: Decimal,
    /// `IDR`, `g`, `kg` or `head`.
    pub unit: &'static str,
}

impl Serialize for Nisab {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        // Rupiah as amounts are written (`7140498.00`); weights and heads as counted (`85`).
        let value = if self.unit == "IDR" {
            format_decimal(self.value)
        } else {
            self.value.normalize().to_string()
        };
        let mut nisab = s.serialize_struct("Nisab", 3)?;
        nisab.serialize_field("basis", &self.basis)?;
        nisab.serialize_field("value", &value)?;
        nisab.serialize_field("unit", self.unit)?;
        nisab.end()
    }
}

/// A value the calculation used, with its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parameter {
    /// The request field or data name.
    pub name: &'static str,
    /// The value, as text.
    pub value: String,
    /// Where it comes from.
    pub source: String,
}

/// One step of the calculation: what was done, and the rule's source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What was done, with the numbers.
    pub rule: String,
    /// The text the rule comes from.
    pub citation: &'static str,
}

/// A calculation's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Calculation {
    /// The category.
    pub category: Category,
    /// The calculation date.
    #[serde(serialize_with = "date_string")]
    pub date: Date,
    /// Whether zakat is due.
    pub due: bool,
    /// The currency of the amounts.
    pub currency: &'static str,
    /// The exact amount due, when it is money.
    #[serde(serialize_with = "optional_decimal_string")]
    pub amount_exact: Option<Decimal>,
    /// The amount to pay, rounded as the options say.
    #[serde(serialize_with = "optional_decimal_string")]
    pub amount_payable: Option<Decimal>,
    /// What is due in kind (livestock, harvests, fitrah in rice).
    pub in_kind: Vec<InKind>,
    /// The nisab compared with, if the category has one.
    pub nisab: Option<Nisab>,
    /// The options in force, after the madhhab preset and explicit choices.
    pub options: Options,
    /// Every input and data value used, with its source.
    pub parameters: Vec<Parameter>,
    /// The steps, in order.
    pub trace: Vec<Step>,
}

/// Why a calculation cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ZakatError {
    /// The request field at fault (or the data value that is missing).
    pub field: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

impl ZakatError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> ZakatError {
        ZakatError {
            field,
            message: message.into(),
        }
    }
}

/// Calculates the zakat on `question` with `options` and the `data` values in force.
pub fn calculate(
    question: &Question,
    options: Options,
    data: &Data,
) -> Result<Calculation, ZakatError> {
    rules::calculate(question, options, data)
}

/// A decimal as the API writes amounts: exact, with at least two decimals (`250000.00`,
/// `0.00025`).
#[must_use]
pub fn format_decimal(value: Decimal) -> String {
    amount_text(value).as_str().to_owned()
}

/// [`format_decimal`]'s text, on the stack.
fn amount_text(value: Decimal) -> crate::decimal_text::DecimalText {
    crate::decimal_text::DecimalText::new(value, 2, None)
}

fn decimal_string<S: serde::Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(amount_text(*value).as_str())
}

// serde's `serialize_with` hands over a reference to the field.
#[expect(clippy::ref_option, reason = "the signature serde calls")]
fn optional_decimal_string<S: serde::Serializer>(
    value: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => s.serialize_str(amount_text(*value).as_str()),
        None => s.serialize_none(),
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature serde calls"
)]
fn date_string<S: serde::Serializer>(value: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.to_string())
}

#[cfg(test)]
mod tests;
