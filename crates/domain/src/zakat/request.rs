//! A calculation request: which fields each category takes, what each must be, the options,
//! the data values given in the request, and how it becomes a [`Question`] answered with the
//! values in force on its date. The HTTP endpoint and the `zakat` command both build a
//! [`Request`] here from the same named fields, so they cannot disagree.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime, UtcOffset};

use super::data::{self, DataName, DataRecord, Place};
use super::{
    Animal, Calculation, CamelsAbove120, Category, Data, FitrahForm, HaulCalendar, Holding,
    IncomeMethod, Irrigation, Jewellery, Madhhab, NisabBasis, OptionChoices, Period, Question,
    Rounding, Sourced, StockHolding, ZakatError,
};

/// Rupiah amounts: beyond 10^15 no real holding goes.
pub const RUPIAH_MAX: i64 = 1_000_000_000_000_000;
/// Rupiah have two minor digits (ISO 4217), though amounts are mostly whole.
pub const RUPIAH_DECIMALS_MAX: u32 = 2;
/// Weights and harvests: beyond 10^12 grams or kilograms it is a typo.
pub const QUANTITY_MAX: i64 = 1_000_000_000_000;
/// Weights and harvests: a milligram of a gram, a gram of a kilogram, is precise enough.
pub const QUANTITY_DECIMALS_MAX: u32 = 6;
/// A decimal written longer than this is not a number anyone typed.
pub const DECIMAL_TEXT_LENGTH_MAX: usize = 32;
/// Persons in a household (fitrah) or fed (fidyah): beyond this it is a typo.
pub const PERSONS_MAX: u32 = 10_000;
/// Heads in a herd: beyond this it is a typo.
pub const HEADS_MAX: u32 = 10_000_000;
/// Days of fidyah: a lifetime of Ramadans (80 years of 30 days) is 2,400; beyond 10,000 it is
/// a typo.
pub const FIDYAH_DAYS_MAX: u32 = 10_000;
/// Region and class names: decree regions are a few words.
pub const REGION_LENGTH_MAX: usize = 64;
/// The earliest calculation date: the calculator serves the past, not archaeology.
pub const CALCULATION_DATE_EARLIEST: Date = time::macros::date!(1990 - 01 - 01);
/// The latest calculation date: planning ahead, within reason.
pub const CALCULATION_DATE_LATEST: Date = time::macros::date!(2100 - 12 - 31);
/// Western Indonesian Time (WIB, UTC+7): "today" for a calculation without a date, as a person
/// in Jakarta means it.
pub const WIB: UtcOffset = crate::ledger::RECEIPT_YEAR_OFFSET;
/// The region whose fidyah decree applies when none is named: BAZNAS RI's own (Jabodetabek).
pub const FIDYAH_REGION_DEFAULT: &str = "jabodetabek";

/// The calendar date in WIB at `now`: what a calculation without a date is for.
#[must_use]
pub fn today_in_wib(now: OffsetDateTime) -> Date {
    now.to_offset(WIB).date()
}

/// A field a calculation takes, with what it is for (`zakat <category> --help` lists them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its name, as in the JSON body and as `--name` on the command line.
    pub name: &'static str,
    /// What it is and what it takes.
    pub help: &'static str,
}

/// A [`Field`] literal (a struct expression, so slices of them are promoted to statics).
macro_rules! field {
    ($name:literal, $help:literal $(,)?) => {
        Field {
            name: $name,
            help: $help,
        }
    };
}

/// Fields every category takes: the date, the options, data values instead of those in force.
pub const COMMON_FIELDS: [Field; 18] = [
    field!(
        "date",
        "YYYY-MM-DD: the data in force then and the end of the haul (default: today in WIB)",
    ),
    field!(
        "held_since",
        "YYYY-MM-DD: held since (categories with a haul; default: a full lunar year)",
    ),
    field!(
        "haul_calendar",
        "`days` (355 days, default) or `hijri` (the Umm al-Qura anniversary)",
    ),
    field!(
        "nisab_basis",
        "`gold` (default), `silver` or `lower_of_two`"
    ),
    field!(
        "madhhab",
        "`hanafi`, `maliki`, `shafii` or `hanbali`: a preset of the options",
    ),
    field!(
        "worn_jewellery_zakatable",
        "`true` or `false`: whether jewellery in normal use is zakatable (default: no)",
    ),
    field!("camels_above_120", "`majority` (default) or `hanafi`"),
    field!("income_method", "`gross` (default) or `net`"),
    field!(
        "deduct_debts",
        "`true` or `false`: deduct debts due within 12 months (default: yes)",
    ),
    field!(
        "rounding",
        "`up` (default), `half_up`, `half_even` or `none`",
    ),
    field!(
        "gold_nisab_grams",
        "grams of gold in the nisab (default 85)"
    ),
    field!(
        "silver_nisab_grams",
        "grams of silver in the nisab (default 595)"
    ),
    field!(
        "gold_price_per_gram",
        "rupiah per gram of pure gold, instead of the value in force",
    ),
    field!(
        "silver_price_per_gram",
        "rupiah per gram of pure silver, instead of the value in force",
    ),
    field!(
        "nisab_annual",
        "annual income nisab, instead of BAZNAS's in force"
    ),
    field!(
        "nisab_monthly",
        "monthly income nisab, instead of BAZNAS's in force"
    ),
    field!(
        "fitrah_per_person",
        "fitrah per person, instead of the region's in force",
    ),
    field!(
        "fidyah_per_day",
        "fidyah per person and day, instead of the region's in force",
    ),
];

/// The fields of `category`, besides [`COMMON_FIELDS`].
#[must_use]
pub fn category_fields(category: Category) -> &'static [Field] {
    const CASH: Field = field!("cash", "rupiah: money, savings, deposits, e-money");
    const DEBTS: Field = field!("debts", "rupiah: debts due within 12 months");
    const GRAMS: Field = field!("grams", "weight in grams");
    const JEWELLERY: Field = field!(
        "jewellery",
        "`none` (default), `worn` (jewellery in normal use) or `stored`",
    );
    const PERSONS: Field = field!("persons", "members of the household (at least 1)");
    const REGION: Field = field!(
        "region",
        "the region whose decree sets the cash value, e.g. `jabodetabek`",
    );
    const CLASS: Field = field!(
        "class",
        "the class within the region, where it publishes several",
    );
    const VALUE: Field = field!("value", "rupiah: market value");
    match category {
        Category::Maal => &[CASH, DEBTS],
        Category::Gold => &[
            GRAMS,
            field!("karat", "purity, 1 to 24 (default 24)"),
            JEWELLERY,
        ],
        Category::Silver => &[GRAMS, JEWELLERY],
        Category::Trade => &[
            field!("cash", "rupiah: cash and bank balances"),
            field!("inventory", "rupiah: stock at market value"),
            field!("receivables", "rupiah: collectible receivables"),
            DEBTS,
        ],
        Category::Income => &[
            field!("income", "rupiah: the income"),
            field!("period", "`monthly` (default) or `annual`"),
            field!(
                "deductions",
                "rupiah: basic needs and instalments, deducted with `income_method` = `net`",
            ),
            field!(
                "annual_total",
                "rupiah: the year's income so far, to reconcile a month below nisab",
            ),
        ],
        Category::Fitrah => &[
            PERSONS,
            field!("form", "`cash` (default), `rice_kg` or `rice_litre`"),
            REGION,
            CLASS,
        ],
        Category::Agriculture => &[
            field!("harvest_kg", "grain harvested (gabah), kg"),
            field!("irrigation", "`rain_fed`, `irrigated` or `mixed`"),
        ],
        Category::Livestock => &[
            field!("animal", "`sheep`, `cattle` or `camel`"),
            field!("count", "heads"),
        ],
        Category::Mining | Category::Rikaz => &[VALUE],
        Category::Stocks => &[
            field!("market_value", "rupiah: market value of the shares"),
            field!("holding", "`trading` (default) or `long_term`"),
        ],
        Category::Fidyah => &[
            field!("days", "fasting days missed (at least 1)"),
            field!("persons", "persons whose days they are (default 1)"),
            field!(
                "region",
                "the region whose decree sets the rate (default `jabodetabek`)",
            ),
            CLASS,
        ],
    }
}

/// A request's fields as they arrive (a JSON body, `--field value` pairs): text where the
/// value is a decimal or a date, so a bad one is refused naming its field rather than rounded.
/// Only the date and the category's fields are needed; options default to Indonesian practice;
/// data values default to those in force on the date.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ZakatRequest))]
#[serde(deny_unknown_fields)]
pub struct RequestFields {
    /// The calculation date, `YYYY-MM-DD`: the data in force then, and the end of the haul.
    /// Absent: today in WIB (UTC+7); the answer says which date it used.
    #[cfg_attr(feature = "openapi", schema(example = "2025-03-01", format = Date))]
    pub date: Option<String>,
    /// Held since (categories with a haul); absent: a full lunar year.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub held_since: Option<String>,
    /// How the haul is counted: `days` (355 days, the default) or `hijri` (the anniversary on
    /// the Umm al-Qura calendar).
    pub haul_calendar: Option<HaulCalendar>,
    /// Money and savings (`maal`), cash and bank (`trade`), rupiah.
    #[cfg_attr(feature = "openapi", schema(example = "150000000"))]
    pub cash: Option<String>,
    /// Debts due within 12 months (`maal`, `trade`).
    pub debts: Option<String>,
    /// Stock at market value (`trade`).
    pub inventory: Option<String>,
    /// Collectible receivables (`trade`).
    pub receivables: Option<String>,
    /// Weight in grams (`gold`, `silver`).
    pub grams: Option<String>,
    /// Gold purity, 1 to 24 (`gold`; default 24).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 24))]
    pub karat: Option<u8>,
    /// `none` (default), `worn` (jewellery in normal use), `stored` (`gold`, `silver`).
    pub jewellery: Option<Jewellery>,
    /// The income (`income`).
    pub income: Option<String>,
    /// `monthly` or `annual` (`income`).
    pub period: Option<Period>,
    /// Basic needs and instalments, deducted with `income_method` = `net` (`income`).
    pub deductions: Option<String>,
    /// The year's income so far, for the annual reconciliation of a month below nisab.
    pub annual_total: Option<String>,
    /// Members of the household (`fitrah`), persons fed (`fidyah`, default 1); at least 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub persons: Option<u32>,
    /// Fasting days missed (`fidyah`).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub days: Option<u32>,
    /// `cash`, `rice_kg` or `rice_litre` (`fitrah`).
    pub form: Option<FitrahForm>,
    /// Region whose decree sets the cash value, e.g. `jabodetabek` (`fitrah` in cash;
    /// `fidyah`, default `jabodetabek`).
    pub region: Option<String>,
    /// Class within the region, where it publishes several (`fitrah`, `fidyah`).
    pub class: Option<String>,
    /// Grain harvested, kg (`agriculture`).
    pub harvest_kg: Option<String>,
    /// `rain_fed`, `irrigated` or `mixed` (`agriculture`).
    pub irrigation: Option<Irrigation>,
    /// `sheep`, `cattle` or `camel` (`livestock`).
    pub animal: Option<Animal>,
    /// Heads (`livestock`).
    #[cfg_attr(feature = "openapi", schema(maximum = 10_000_000))]
    pub count: Option<u32>,
    /// Market value (`mining`, `rikaz`).
    pub value: Option<String>,
    /// Market value of the shares (`stocks`).
    pub market_value: Option<String>,
    /// `trading` (default) or `long_term` (`stocks`).
    pub holding: Option<StockHolding>,
    /// `gold` (default), `silver` or `lower_of_two`.
    pub nisab_basis: Option<NisabBasis>,
    /// `hanafi`, `maliki`, `shafii` or `hanbali`: a preset of the flags below.
    pub madhhab: Option<Madhhab>,
    /// Whether jewellery in normal use is zakatable (Hanafi: yes; default: no).
    pub worn_jewellery_zakatable: Option<bool>,
    /// `majority` (default) or `hanafi`.
    pub camels_above_120: Option<CamelsAbove120>,
    /// `gross` (default) or `net`.
    pub income_method: Option<IncomeMethod>,
    /// Deduct debts due within 12 months (default: yes).
    pub deduct_debts: Option<bool>,
    /// `up` (default), `half_up`, `half_even` or `none`.
    pub rounding: Option<Rounding>,
    /// Grams of gold in the nisab (default 85; some bodies use 87.48).
    #[cfg_attr(feature = "openapi", schema(example = "85"))]
    pub gold_nisab_grams: Option<String>,
    /// Grams of silver in the nisab (default 595; some bodies use 612.36).
    #[cfg_attr(feature = "openapi", schema(example = "595"))]
    pub silver_nisab_grams: Option<String>,
    /// Rupiah per gram of pure gold, instead of the value in force.
    pub gold_price_per_gram: Option<String>,
    /// Rupiah per gram of pure silver, instead of the value in force.
    pub silver_price_per_gram: Option<String>,
    /// Annual income nisab, instead of BAZNAS's in force.
    pub nisab_annual: Option<String>,
    /// Monthly income nisab, instead of BAZNAS's in force.
    pub nisab_monthly: Option<String>,
    /// Fitrah per person, instead of the region's in force.
    pub fitrah_per_person: Option<String>,
    /// Fidyah per person and day, instead of the region's in force.
    pub fidyah_per_day: Option<String>,
}

/// Why a request cannot be answered: the field at fault and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A field the category does not take.
    #[error(
        "is not a field of the `{category}` calculation: it takes {}, the date and the options",
        category_fields(*category).iter().map(|f| format!("`{}`", f.name)).collect::<Vec<_>>().join(", ")
    )]
    NotAField {
        /// The field given (at most 64 characters of it).
        field: String,
        /// The category asked for.
        category: Category,
    },
    /// A required field is absent.
    #[error("is required: {what}")]
    Missing {
        /// The field.
        field: &'static str,
        /// What it takes.
        what: &'static str,
    },
    /// A whole number out of its range.
    #[error("must be {}", if value < min { format!("at least {min}") } else { format!("at most {max}") })]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// What was given.
        value: u32,
        /// The least it may be.
        min: u32,
        /// The most it may be.
        max: u32,
    },
    /// A field present but wrong.
    #[error("{message}")]
    Invalid {
        /// The field (a path, for nested ones).
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
}

impl RequestError {
    /// The field at fault, as the problem document's `field` names it.
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            RequestError::NotAField { field, .. } | RequestError::Invalid { field, .. } => field,
            RequestError::Missing { field, .. } | RequestError::OutOfRange { field, .. } => field,
        }
    }

    fn invalid(field: impl Into<String>, message: impl Into<String>) -> RequestError {
        RequestError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<ZakatError> for RequestError {
    fn from(err: ZakatError) -> RequestError {
        RequestError::invalid(err.field, err.message)
    }
}

/// A checked calculation request: typed values, the date not yet defaulted.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// What is owned (or owed, for fidyah).
    pub holding: Holding,
    /// The calculation date; `None`: today in WIB, which the caller's clock says.
    pub date: Option<Date>,
    /// Held since, for the categories with a haul.
    pub held_since: Option<Date>,
    /// The options chosen.
    pub options: OptionChoices,
    /// Data values given in the request instead of those in force.
    pub given: BTreeMap<DataName, Decimal>,
}

impl Request {
    /// The request for `category` from its named fields (a JSON object): every field checked,
    /// the first at fault named.
    pub fn from_fields(
        category: Category,
        fields: &Map<String, Value>,
    ) -> Result<Request, RequestError> {
        let allowed = category_fields(category);
        if let Some(name) = fields.keys().find(|key| {
            !allowed.iter().any(|f| f.name == key.as_str())
                && !COMMON_FIELDS.iter().any(|f| f.name == key.as_str())
        }) {
            return Err(RequestError::NotAField {
                field: name.chars().take(64).collect(),
                category,
            });
        }
        // Read from the object in place: no copy of it per request.
        let raw: RequestFields = serde_path_to_error::deserialize(fields).map_err(|err| {
            let path = err.path().to_string();
            let message = err.into_inner().to_string();
            let field = if path == "." {
                first_quoted(&message).unwrap_or_else(|| "body".to_owned())
            } else {
                path
            };
            RequestError::invalid(field, message)
        })?;
        Request::parse(category, &raw)
    }

    /// The request for `category` from fields already deserialized.
    pub fn parse(category: Category, raw: &RequestFields) -> Result<Request, RequestError> {
        let date = raw
            .date
            .as_deref()
            .map(|text| parse_date("date", text))
            .transpose()?;
        let held_since = raw
            .held_since
            .as_deref()
            .map(|text| parse_date("held_since", text))
            .transpose()?;
        let mut given = BTreeMap::new();
        for (name, text) in [
            (DataName::GoldPricePerGram, &raw.gold_price_per_gram),
            (DataName::SilverPricePerGram, &raw.silver_price_per_gram),
            (DataName::NisabAnnual, &raw.nisab_annual),
            (DataName::NisabMonthly, &raw.nisab_monthly),
            (DataName::FitrahPerPerson, &raw.fitrah_per_person),
            (DataName::FidyahPerDay, &raw.fidyah_per_day),
        ] {
            if let Some(text) = text {
                given.insert(name, rupiah(name.as_str(), text)?);
            }
        }
        let options = OptionChoices {
            nisab_basis: raw.nisab_basis,
            madhhab: raw.madhhab,
            worn_jewellery_zakatable: raw.worn_jewellery_zakatable,
            camels_above_120: raw.camels_above_120,
            income_method: raw.income_method,
            deduct_debts: raw.deduct_debts,
            rounding: raw.rounding,
            gold_nisab_grams: nisab_grams("gold_nisab_grams", raw.gold_nisab_grams.as_deref())?,
            silver_nisab_grams: nisab_grams(
                "silver_nisab_grams",
                raw.silver_nisab_grams.as_deref(),
            )?,
            haul_calendar: raw.haul_calendar,
        };
        let holding = holding(category, raw, &given)?;
        Ok(Request {
            holding,
            date,
            held_since,
            options,
            given,
        })
    }

    /// The answer on the request's date, or on `today` (in WIB) when it has none, with the
    /// data values given in the request, else those in force in `records` then.
    pub fn answer(&self, records: &[DataRecord], today: Date) -> Result<Calculation, RequestError> {
        let date = self.date.unwrap_or(today);
        if self.held_since.is_some_and(|since| since > date) {
            return Err(RequestError::invalid(
                "held_since",
                format!("is after the calculation date {date}"),
            ));
        }
        let question = Question {
            holding: self.holding.clone(),
            date,
            held_since: self.held_since,
        };
        let values = self.data(records, &question)?;
        let mut calculation = super::calculate(&question, self.options.resolve(), &values)?;
        if self.date.is_none() {
            calculation.parameters.insert(
                0,
                super::Parameter {
                    name: "date",
                    value: date.to_string(),
                    source: "not given: today in WIB (UTC+7)".to_owned(),
                },
            );
        }
        Ok(calculation)
    }

    /// The data values for `question`: the request's own, else those in force on its date.
    fn data(&self, records: &[DataRecord], question: &Question) -> Result<Data, RequestError> {
        let (region, class) = match &question.holding {
            Holding::Fitrah { region, class, .. } | Holding::Fidyah { region, class, .. } => {
                (region.as_str(), class.as_deref().unwrap_or(""))
            }
            _ => ("", ""),
        };
        let place = Place { region, class };
        let value = |name: DataName| -> Option<Sourced> {
            match self.given.get(&name) {
                Some(value) => Some(Sourced::new(*value, "given in the request")),
                None => {
                    data::in_force(records, name, question.date, place).map(DataRecord::sourced)
                }
            }
        };
        let data = Data {
            gold_price_per_gram: value(DataName::GoldPricePerGram),
            silver_price_per_gram: value(DataName::SilverPricePerGram),
            nisab_annual: value(DataName::NisabAnnual),
            nisab_monthly: value(DataName::NisabMonthly),
            fitrah_per_person: value(DataName::FitrahPerPerson),
            fidyah_per_day: value(DataName::FidyahPerDay),
        };
        let regional = match &question.holding {
            Holding::Fitrah {
                form: FitrahForm::Cash,
                ..
            } => Some((DataName::FitrahPerPerson, &data.fitrah_per_person, "fitrah")),
            Holding::Fidyah { .. } => {
                Some((DataName::FidyahPerDay, &data.fidyah_per_day, "fidyah"))
            }
            _ => None,
        };
        if let Some((name, None, what)) = regional {
            let known = data::regions(records, name, question.date);
            return Err(RequestError::invalid(
                "region",
                format!(
                    "no {what} value for region `{region}` is in force on {}: known regions then: {}; or give `{name}`",
                    question.date,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            ));
        }
        Ok(data)
    }
}

fn holding(
    category: Category,
    raw: &RequestFields,
    given: &BTreeMap<DataName, Decimal>,
) -> Result<Holding, RequestError> {
    let zero = Decimal::ZERO;
    let or_zero = |field: &'static str, value: Option<&String>| {
        value.map_or(Ok(zero), |text| rupiah(field, text))
    };
    Ok(match category {
        Category::Maal => Holding::Maal {
            cash: rupiah("cash", required("cash", raw.cash.as_ref())?)?,
            debts: or_zero("debts", raw.debts.as_ref())?,
        },
        Category::Gold => Holding::Gold {
            grams: quantity("grams", required("grams", raw.grams.as_ref())?)?,
            karat: raw.karat.unwrap_or(24),
            jewellery: raw.jewellery.unwrap_or(Jewellery::None),
        },
        Category::Silver => Holding::Silver {
            grams: quantity("grams", required("grams", raw.grams.as_ref())?)?,
            jewellery: raw.jewellery.unwrap_or(Jewellery::None),
        },
        Category::Trade => Holding::Trade {
            cash: or_zero("cash", raw.cash.as_ref())?,
            inventory: or_zero("inventory", raw.inventory.as_ref())?,
            receivables: or_zero("receivables", raw.receivables.as_ref())?,
            debts: or_zero("debts", raw.debts.as_ref())?,
        },
        Category::Income => Holding::Income {
            income: rupiah("income", required("income", raw.income.as_ref())?)?,
            period: raw.period.unwrap_or(Period::Monthly),
            deductions: or_zero("deductions", raw.deductions.as_ref())?,
            annual_total: raw
                .annual_total
                .as_deref()
                .map(|text| rupiah("annual_total", text))
                .transpose()?,
        },
        Category::Fitrah => fitrah(raw, given)?,
        Category::Fidyah => fidyah(raw)?,
        Category::Agriculture => Holding::Agriculture {
            harvest_kg: quantity(
                "harvest_kg",
                required("harvest_kg", raw.harvest_kg.as_ref())?,
            )?,
            irrigation: raw.irrigation.ok_or(RequestError::Missing {
                field: "irrigation",
                what: "`rain_fed`, `irrigated` or `mixed`",
            })?,
        },
        Category::Livestock => {
            let count = raw.count.ok_or(RequestError::Missing {
                field: "count",
                what: "a head count",
            })?;
            Holding::Livestock {
                animal: raw.animal.ok_or(RequestError::Missing {
                    field: "animal",
                    what: "`sheep`, `cattle` or `camel`",
                })?,
                count: within("count", count, 0, HEADS_MAX)?,
            }
        }
        Category::Mining => Holding::Mining {
            value: rupiah("value", required("value", raw.value.as_ref())?)?,
        },
        Category::Rikaz => Holding::Rikaz {
            value: rupiah("value", required("value", raw.value.as_ref())?)?,
        },
        Category::Stocks => Holding::Stocks {
            market_value: rupiah(
                "market_value",
                required("market_value", raw.market_value.as_ref())?,
            )?,
            holding: raw.holding.unwrap_or(StockHolding::Trading),
        },
    })
}

fn fitrah(
    raw: &RequestFields,
    given: &BTreeMap<DataName, Decimal>,
) -> Result<Holding, RequestError> {
    let persons = raw.persons.ok_or(RequestError::Missing {
        field: "persons",
        what: "the members of the household",
    })?;
    let persons = within("persons", persons, 1, PERSONS_MAX)?;
    let form = raw.form.unwrap_or(FitrahForm::Cash);
    let region = place_name("region", raw.region.as_deref())?.unwrap_or_default();
    let class = place_name("class", raw.class.as_deref())?;
    if form == FitrahForm::Cash
        && region.is_empty()
        && !given.contains_key(&DataName::FitrahPerPerson)
    {
        return Err(RequestError::Missing {
            field: "region",
            what: "the region whose decree sets the cash value, e.g. `jabodetabek` (or give `fitrah_per_person`)",
        });
    }
    Ok(Holding::Fitrah {
        persons,
        form,
        region,
        class,
    })
}

fn fidyah(raw: &RequestFields) -> Result<Holding, RequestError> {
    let days = raw.days.ok_or(RequestError::Missing {
        field: "days",
        what: "the fasting days missed",
    })?;
    Ok(Holding::Fidyah {
        days: within("days", days, 1, FIDYAH_DAYS_MAX)?,
        persons: within("persons", raw.persons.unwrap_or(1), 1, PERSONS_MAX)?,
        region: place_name("region", raw.region.as_deref())?
            .unwrap_or_else(|| FIDYAH_REGION_DEFAULT.to_owned()),
        class: place_name("class", raw.class.as_deref())?,
    })
}

fn within(field: &'static str, value: u32, min: u32, max: u32) -> Result<u32, RequestError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(RequestError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

/// A region or class name: trimmed, lowercase, at most [`REGION_LENGTH_MAX`] characters, no
/// control characters; empty counts as absent.
fn place_name(field: &'static str, value: Option<&str>) -> Result<Option<String>, RequestError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > REGION_LENGTH_MAX {
        return Err(RequestError::invalid(
            field,
            format!("is longer than {REGION_LENGTH_MAX} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(RequestError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_lowercase()))
}

fn required<'a>(field: &'static str, value: Option<&'a String>) -> Result<&'a str, RequestError> {
    value.map(String::as_str).ok_or(RequestError::Missing {
        field,
        what: "a decimal string, e.g. \"1000000\"",
    })
}

/// A nisab in grams: a positive weight.
fn nisab_grams(field: &'static str, value: Option<&str>) -> Result<Option<Decimal>, RequestError> {
    let Some(text) = value else {
        return Ok(None);
    };
    let grams = quantity(field, text)?;
    if grams.is_zero() {
        return Err(RequestError::invalid(field, "must be more than 0"));
    }
    Ok(Some(grams))
}

/// Rupiah: a plain decimal string (`"1500000"`, `"1500000.50"`), not negative, at most two
/// decimals and 10^15.
pub fn rupiah(field: &str, text: &str) -> Result<Decimal, RequestError> {
    decimal(field, text, RUPIAH_DECIMALS_MAX, RUPIAH_MAX)
}

/// Grams, kilograms: up to six decimals and 10^12.
fn quantity(field: &str, text: &str) -> Result<Decimal, RequestError> {
    decimal(field, text, QUANTITY_DECIMALS_MAX, QUANTITY_MAX)
}

fn decimal(field: &str, text: &str, decimals: u32, max: i64) -> Result<Decimal, RequestError> {
    let plain = !text.is_empty()
        && text.len() <= DECIMAL_TEXT_LENGTH_MAX
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    let value = plain
        .then(|| Decimal::from_str(text).ok())
        .flatten()
        .ok_or_else(|| {
            RequestError::invalid(
                field,
                format!(
                    "must be a non-negative decimal string such as \"1500000\" or \"2.5\", not {:?}",
                    text.chars().take(40).collect::<String>()
                ),
            )
        })?;
    if value.scale() > decimals {
        return Err(RequestError::invalid(
            field,
            format!("has more than {decimals} decimals"),
        ));
    }
    if value > Decimal::from(max) {
        return Err(RequestError::invalid(
            field,
            format!("must be at most {max}"),
        ));
    }
    Ok(value)
}

/// A `YYYY-MM-DD` date from [`CALCULATION_DATE_EARLIEST`] to [`CALCULATION_DATE_LATEST`].
pub fn parse_date(field: &str, text: &str) -> Result<Date, RequestError> {
    let date = Date::parse(text, super::DATE_FORMAT).map_err(|_| {
        RequestError::invalid(
            field,
            "must be a date written `YYYY-MM-DD`, e.g. `2026-03-30`",
        )
    })?;
    if date < CALCULATION_DATE_EARLIEST {
        return Err(RequestError::invalid(
            field,
            format!("is before {CALCULATION_DATE_EARLIEST}"),
        ));
    }
    if date > CALCULATION_DATE_LATEST {
        return Err(RequestError::invalid(
            field,
            format!("is after {CALCULATION_DATE_LATEST}"),
        ));
    }
    Ok(date)
}

/// The first backticked word of a serde message: `karat` in "missing field \`karat\`".
fn first_quoted(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}
