//! The haul counted in days and on the Hijri calendar (Umm al-Qura).

use time::macros::date;

use crate::zakat::haul::{HaulCalendar, HijriDate, haul, hijri};

#[test]
fn muharram_1445_to_muharram_1446_is_354_days_and_a_complete_hijri_year() {
    assert_eq!(
        hijri(date!(2023 - 07 - 19)).unwrap(),
        HijriDate {
            year: 1445,
            month: 1,
            day: 1
        }
    );
    assert_eq!(
        hijri(date!(2024 - 07 - 07)).unwrap(),
        HijriDate {
            year: 1446,
            month: 1,
            day: 1
        }
    );
    let by_hijri = haul(
        date!(2023 - 07 - 19),
        date!(2024 - 07 - 07),
        HaulCalendar::Hijri,
    )
    .unwrap();
    assert_eq!(by_hijri.days, 354);
    assert!(by_hijri.complete);
    // Counted in days (the default), a lunar year of 354.367 days needs 355.
    let by_days = haul(
        date!(2023 - 07 - 19),
        date!(2024 - 07 - 07),
        HaulCalendar::Days,
    )
    .unwrap();
    assert!(!by_days.complete);
    // The day before the anniversary is not a year on either count.
    let eve = haul(
        date!(2023 - 07 - 19),
        date!(2024 - 07 - 06),
        HaulCalendar::Hijri,
    )
    .unwrap();
    assert!(!eve.complete);
}

#[test]
fn ramadan_1446_started_on_1_march_2025() {
    assert_eq!(
        hijri(date!(2025 - 03 - 01)).unwrap(),
        HijriDate {
            year: 1446,
            month: 9,
            day: 1
        }
    );
    assert_eq!(
        hijri(date!(2025 - 03 - 01)).unwrap().to_string(),
        "1 Ramadan 1446 H"
    );
}

#[test]
fn a_start_on_the_30th_completes_on_the_last_day_of_a_29_day_month() {
    // Find a 30th whose month a year later has 29 days, and check the year ends on its 29th.
    let mut day = date!(2020 - 01 - 01);
    let mut checked = 0;
    while day < date!(2030 - 01 - 01) {
        let start = hijri(day).unwrap();
        if start.day == 30 {
            // The last day of the same month a year later: 29th or 30th.
            let mut end = day + time::Duration::days(350);
            while hijri(end).unwrap()
                < (HijriDate {
                    year: start.year + 1,
                    month: start.month,
                    day: 29,
                })
            {
                end += time::Duration::days(1);
            }
            let next = hijri(end + time::Duration::days(1)).unwrap();
            let complete = haul(day, end, HaulCalendar::Hijri).unwrap().complete;
            // A 29-day month: its 29th completes the year; a 30-day month: not until its 30th.
            assert_eq!(
                complete,
                next.day == 1,
                "{start} -> {}",
                hijri(end).unwrap()
            );
            checked += 1;
        }
        day += time::Duration::days(1);
    }
    assert!(checked > 50, "{checked}");
}
