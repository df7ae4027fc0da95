//! The data values the calculator reads (prices, BAZNAS decree figures): each named, dated and
//! sourced, and which one is in force on a date for a region and class.
//!
//! Values are never edited: a change is a new record in force from its date. Of the records for
//! a name, region and class, the one in force on a date is the one with the latest
//! `effective_from` on or before it; two with the same date are a correction, and the one
//! recorded later (the higher `id`) wins. That is how migration 0009 corrects a figure that was
//! seeded with the wrong date without editing the append-only table.

use std::str::FromStr as _;

use rust_decimal::Decimal;
use time::Date;

use super::Sourced;
use crate::names::named_enum;

named_enum! {
    /// The name of a data value the calculator reads.
    pub enum DataName ("zakat data name") {
        /// Rupiah per gram of pure gold.
        GoldPricePerGram = "gold_price_per_gram",
        /// Rupiah per gram of pure silver.
        SilverPricePerGram = "silver_price_per_gram",
        /// BAZNAS's published annual income nisab.
        NisabAnnual = "nisab_annual",
        /// BAZNAS's published monthly income nisab.
        NisabMonthly = "nisab_monthly",
        /// The cash value of one person's zakat fitrah, per region (and class).
        FitrahPerPerson = "fitrah_per_person",
        /// The cash value of one day's fidyah for one person, per region (and class).
        FidyahPerDay = "fidyah_per_day",
    }
}

impl DataName {
    /// Whether decrees set this value per region (fitrah, fidyah) rather than for the country.
    #[must_use]
    pub fn is_regional(self) -> bool {
        matches!(self, DataName::FitrahPerPerson | DataName::FidyahPerDay)
    }
}

/// One stored data value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRecord {
    /// The order it was recorded in (the stored id): of two with the same date, the later wins.
    pub id: i64,
    /// What it is.
    pub name: DataName,
    /// The region it applies to, lowercase; empty for the whole country.
    pub region: String,
    /// The class within the region, lowercase; empty when the region has one value.
    pub class: String,
    /// Rupiah.
    pub value: Decimal,
    /// In force from this date until a later record for the same name, region and class.
    pub effective_from: Date,
    /// The decree or price source, as results cite it.
    pub source: String,
}

/// Why a stored data value cannot be read (a row that the write path would have refused).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The name is not one the calculator knows.
    #[error("zakat data {id}: {source}")]
    Name {
        /// The record's id.
        id: i64,
        /// What was wrong.
        source: crate::UnknownName,
    },
    /// The value is not a decimal.
    #[error("zakat data {id}: value {value:?} is not a decimal")]
    Value {
        /// The record's id.
        id: i64,
        /// What was stored.
        value: String,
    },
    /// The date is not `YYYY-MM-DD`.
    #[error("zakat data {id}: effective_from {date:?} is not a YYYY-MM-DD date")]
    Date {
        /// The record's id.
        id: i64,
        /// What was stored.
        date: String,
    },
}

impl DataRecord {
    /// A record from its stored text form.
    pub fn from_stored(
        id: i64,
        name: &str,
        region: &str,
        class: &str,
        value: &str,
        effective_from: &str,
        source: &str,
    ) -> Result<DataRecord, DataError> {
        let name = DataName::from_str(name).map_err(|source| DataError::Name { id, source })?;
        let value = Decimal::from_str(value).map_err(|_| DataError::Value {
            id,
            value: value.chars().take(40).collect(),
        })?;
        let effective_from =
            Date::parse(effective_from, super::DATE_FORMAT).map_err(|_| DataError::Date {
                id,
                date: effective_from.chars().take(40).collect(),
            })?;
        Ok(DataRecord {
            id,
            name,
            region: region.to_owned(),
            class: class.to_owned(),
            value,
            effective_from,
            source: source.to_owned(),
        })
    }

    /// The value with its source as results cite it: the decree and the date it took force.
    #[must_use]
    pub fn sourced(&self) -> Sourced {
        Sourced::new(
            self.value,
            format!("{}; in force from {}", self.source, self.effective_from),
        )
    }
}

/// Where a regional value is looked up: a region and, where it publishes several, a class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place<'a> {
    /// Lowercase region, e.g. `jabodetabek`; empty for the whole country.
    pub region: &'a str,
    /// Lowercase class; empty for the region's one value.
    pub class: &'a str,
}

/// The record of `name` in force on `on` at `place`: the region's (and class's) own, else the
/// country's. `None` when none had taken force by then.
#[must_use]
pub fn in_force<'a>(
    records: &'a [DataRecord],
    name: DataName,
    on: Date,
    place: Place<'_>,
) -> Option<&'a DataRecord> {
    let latest = |region: &str, class: &str| {
        records
            .iter()
            .filter(|r| r.name == name && r.effective_from <= on)
            .filter(|r| r.region == region && r.class == class)
            .max_by_key(|r| (r.effective_from, r.id))
    };
    let national = place.region.is_empty() && place.class.is_empty();
    // The country's own value is looked for once, not twice, where no region is asked for.
    latest(place.region, place.class).or_else(|| if national { None } else { latest("", "") })
}

/// The regions that have a value of `name` in force on `on`, sorted: what an error lists.
#[must_use]
pub fn regions(records: &[DataRecord], name: DataName, on: Date) -> Vec<&str> {
    let mut regions: Vec<&str> = records
        .iter()
        .filter(|r| r.name == name && r.effective_from <= on && !r.region.is_empty())
        .map(|r| r.region.as_str())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    regions
}
