//! The haul: whether wealth has been held a lunar year on the calculation date, counted either
//! in days (a lunar year is 354.367 days, so 355 whole days) or on the Hijri calendar by the
//! Umm al-Qura rules (the anniversary of the start date in the Hijri year after).
//!
//! The two differ by a day around the anniversary: a Hijri year is 354 or 355 days long, so
//! 1 Muharram 1445 → 1 Muharram 1446 (2023-07-19 → 2024-07-07) is 354 days, a complete year on
//! the Hijri calendar and one day short when counted in days. `reference/zakat.md` §2 allows
//! either; the default stays `days` so existing answers do not change.

use icu_calendar::cal::Hijri;
use icu_calendar::{Date as IcuDate, Iso};
use time::Date;

use crate::names::named_enum;

named_enum! {
    /// How the haul (a lunar year of possession) is counted.
    pub enum HaulCalendar ("haul calendar") {
        /// 355 whole days (a lunar year is 354.367 days): the default.
        Days = "days",
        /// The Hijri anniversary of the start date, by the Umm al-Qura calendar (Saudi Arabia's
        /// official calendar, KACST's month starts).
        Hijri = "hijri",
    }
}

/// Days in a lunar year, rounded up: 354.367 days have passed only once 355 have.
pub const HAUL_DAYS: i64 = 355;

/// A date on the Hijri calendar (Umm al-Qura rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HijriDate {
    /// Anno Hegirae.
    pub year: i32,
    /// 1 (Muharram) to 12 (Dhu al-Hijjah).
    pub month: u8,
    /// 1 to 30.
    pub day: u8,
}

/// The months' names, as Indonesian amil write them.
const HIJRI_MONTHS: [&str; 12] = [
    "Muharram",
    "Safar",
    "Rabiul Awal",
    "Rabiul Akhir",
    "Jumadil Awal",
    "Jumadil Akhir",
    "Rajab",
    "Syaban",
    "Ramadan",
    "Syawal",
    "Zulkaidah",
    "Zulhijah",
];

impl std::fmt::Display for HijriDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let month = HIJRI_MONTHS
            .get(usize::from(self.month).saturating_sub(1))
            .copied()
            .unwrap_or("?");
        write!(f, "{} {month} {} H", self.day, self.year)
    }
}

/// Why a date cannot be put on the Hijri calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{date} is outside the range of the Hijri calendar")]
pub struct OutOfRange {
    /// The Gregorian date.
    pub date: Date,
}

/// `date` on the Hijri calendar, Umm al-Qura rules.
pub fn hijri(date: Date) -> Result<HijriDate, OutOfRange> {
    let iso = IcuDate::<Iso>::try_new_iso(date.year(), u8::from(date.month()), date.day())
        .map_err(|_| OutOfRange { date })?;
    let on = iso.to_calendar(Hijri::new_umm_al_qura());
    Ok(HijriDate {
        year: on.year().extended_year(),
        month: on.month().ordinal,
        day: on.day_of_month().0,
    })
}

/// How a haul came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Haul {
    /// Whole days from the start to the calculation date.
    pub days: i64,
    /// The start and the calculation date on the Hijri calendar (with `hijri`).
    pub hijri: Option<(HijriDate, HijriDate)>,
    /// Whether a lunar year has passed.
    pub complete: bool,
}

/// Whether wealth held since `since` has been held a lunar year on `on`, counted by
/// `calendar`. With `hijri`, a start on the 30th of a month whose next year's month has 29
/// days is complete on that month's last day.
pub fn haul(since: Date, on: Date, calendar: HaulCalendar) -> Result<Haul, OutOfRange> {
    let days = (on - since).whole_days();
    match calendar {
        HaulCalendar::Days => Ok(Haul {
            days,
            hijri: None,
            complete: days >= HAUL_DAYS,
        }),
        HaulCalendar::Hijri => {
            let (start, end) = (hijri(since)?, hijri(on)?);
            let anniversary = anniversary(start).ok_or(OutOfRange { date: since })?;
            Ok(Haul {
                days,
                hijri: Some((start, end)),
                // Hijri dates compare as (year, month, day).
                complete: end >= anniversary,
            })
        }
    }
}

/// The same day a Hijri year after `start`; the 30th becomes the 29th when that month has 29
/// days (months have 29 or 30), so a start on the 30th is never held past its year.
fn anniversary(start: HijriDate) -> Option<HijriDate> {
    let year = start.year + 1;
    let first =
        IcuDate::try_new_hijri_with_calendar(year, start.month, 1, Hijri::new_umm_al_qura())
            .ok()?;
    Some(HijriDate {
        year,
        month: start.month,
        day: start.day.min(first.days_in_month()),
    })
}
