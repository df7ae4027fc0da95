//! Requests: the fields each category takes, the data in force on a date, the date that
//! defaults to today in WIB, fidyah, and the edges that are refused.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use time::macros::{date, datetime};

use crate::zakat::data::{DataName, DataRecord};
use crate::zakat::request::{Request, RequestError, today_in_wib};
use crate::zakat::{Calculation, Category, InKind};

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn record(id: i64, name: DataName, region: &str, value: &str, from: time::Date) -> DataRecord {
    DataRecord {
        id,
        name,
        region: region.to_owned(),
        class: String::new(),
        value: d(value),
        effective_from: from,
        source: format!("decree {id}"),
    }
}

/// The seeded decree figures as migrations 0004 and 0009 leave them, the wrong-dated 2025 row
/// included.
fn records() -> Vec<DataRecord> {
    vec![
        record(
            3,
            DataName::NisabMonthly,
            "",
            "7140498",
            date!(2024 - 01 - 01),
        ),
        record(
            5,
            DataName::FitrahPerPerson,
            "jabodetabek",
            "47000",
            date!(2025 - 01 - 01),
        ),
        record(
            6,
            DataName::FidyahPerDay,
            "jabodetabek",
            "60000",
            date!(2025 - 01 - 01),
        ),
        record(
            8,
            DataName::NisabMonthly,
            "",
            "6859394",
            date!(2024 - 01 - 01),
        ),
        record(
            10,
            DataName::NisabMonthly,
            "",
            "7140498",
            date!(2025 - 01 - 15),
        ),
        record(
            12,
            DataName::NisabMonthly,
            "",
            "7640144",
            date!(2026 - 02 - 20),
        ),
        record(
            13,
            DataName::FitrahPerPerson,
            "jabodetabek",
            "50000",
            date!(2026 - 02 - 03),
        ),
        record(
            14,
            DataName::FidyahPerDay,
            "jabodetabek",
            "65000",
            date!(2026 - 02 - 03),
        ),
    ]
}

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn answer(category: Category, body: Value) -> Result<Calculation, RequestError> {
    Request::from_fields(category, &fields(body))?.answer(&records(), date!(2026 - 03 - 10))
}

fn refused(category: Category, body: Value) -> String {
    answer(category, body).unwrap_err().field().to_owned()
}

#[test]
fn the_monthly_nisab_in_force_follows_the_decree_dates_and_the_later_correction_wins() {
    for (on, nisab) in [
        ("2024-01-01", "6859394"),
        ("2025-01-14", "6859394"),
        ("2025-01-15", "7140498"),
        ("2026-02-19", "7140498"),
        ("2026-02-20", "7640144"),
    ] {
        let result = answer(Category::Income, json!({"date": on, "income": "10000000"})).unwrap();
        assert_eq!(result.nisab.unwrap().value, d(nisab), "{on}");
    }
}

#[test]
fn without_a_date_the_calculation_is_for_today_and_says_so() {
    let result = answer(Category::Income, json!({"income": "10000000"})).unwrap();
    assert_eq!(result.date, date!(2026 - 03 - 10));
    assert_eq!(result.parameters[0].name, "date");
    assert!(result.parameters[0].source.contains("WIB"));
    let given = answer(
        Category::Income,
        json!({"date": "2026-03-01", "income": "10000000"}),
    )
    .unwrap();
    assert!(given.parameters.iter().all(|p| p.name != "date"));
}

#[test]
fn today_in_wib_is_already_tomorrow_at_17_utc() {
    assert_eq!(
        today_in_wib(datetime!(2026-03-09 16:59:59 UTC)),
        date!(2026 - 03 - 09)
    );
    assert_eq!(
        today_in_wib(datetime!(2026-03-09 17:00:00 UTC)),
        date!(2026 - 03 - 10)
    );
}

#[test]
fn fidyah_is_days_times_persons_times_the_rate_and_a_mudd_a_day_in_kind() {
    let result = answer(
        Category::Fidyah,
        json!({"date": "2026-03-01", "days": 30, "persons": 2}),
    )
    .unwrap();
    assert!(result.due);
    assert_eq!(result.amount_exact, Some(d("3900000")));
    assert_eq!(
        result.in_kind,
        vec![InKind::Quantity {
            unit: "kg",
            quantity: d("40.5")
        }]
    );
    assert!(
        result
            .trace
            .iter()
            .any(|step| step.citation.contains("2:184"))
    );
    // Before the 2026 decree, the 2025 rate; a rate given in the request wins.
    let earlier = answer(Category::Fidyah, json!({"date": "2026-02-02", "days": 1})).unwrap();
    assert_eq!(earlier.amount_exact, Some(d("60000")));
    let given = answer(
        Category::Fidyah,
        json!({"date": "2026-03-01", "days": 1, "fidyah_per_day": "70000"}),
    )
    .unwrap();
    assert_eq!(given.amount_exact, Some(d("70000")));
}

#[test]
fn fitrah_2026_uses_the_2026_decree_from_its_date() {
    let before = answer(
        Category::Fitrah,
        json!({"date": "2026-02-02", "persons": 4, "region": "Jabodetabek"}),
    )
    .unwrap();
    assert_eq!(before.amount_exact, Some(d("188000")));
    let after = answer(
        Category::Fitrah,
        json!({"date": "2026-02-03", "persons": 4, "region": "jabodetabek"}),
    )
    .unwrap();
    assert_eq!(after.amount_exact, Some(d("200000")));
}

#[test]
fn bad_requests_name_their_field() {
    let cases = [
        (
            Category::Fitrah,
            json!({"persons": 0, "region": "jabodetabek"}),
            "persons",
        ),
        (
            Category::Fitrah,
            json!({"persons": 0, "form": "rice_kg"}),
            "persons",
        ),
        (Category::Fidyah, json!({"days": 0}), "days"),
        (Category::Fidyah, json!({}), "days"),
        (
            Category::Fidyah,
            json!({"days": 1, "persons": 0}),
            "persons",
        ),
        (
            Category::Fidyah,
            json!({"days": 1, "region": "atlantis"}),
            "region",
        ),
        (Category::Fidyah, json!({"days": 1, "cash": "1"}), "cash"),
        (Category::Maal, json!({"cash": 5}), "cash"),
        (
            Category::Maal,
            json!({"cash": "1", "haul_calendar": "solar"}),
            "haul_calendar",
        ),
        (
            Category::Maal,
            json!({"cash": "1", "date": "2026-02-30"}),
            "date",
        ),
        (
            Category::Maal,
            json!({"cash": "1", "held_since": "2026-04-01"}),
            "held_since",
        ),
    ];
    for (category, body, field) in cases {
        assert_eq!(refused(category, body.clone()), field, "{category} {body}");
    }
    let zero = answer(
        Category::Fitrah,
        json!({"persons": 0, "region": "jabodetabek"}),
    )
    .unwrap_err();
    assert_eq!(zero.to_string(), "must be at least 1");
}

#[test]
fn a_field_of_another_category_is_refused_listing_the_right_ones() {
    let err = answer(Category::Fidyah, json!({"days": 1, "harvest_kg": "5"})).unwrap_err();
    assert_eq!(err.field(), "harvest_kg");
    assert!(
        err.to_string()
            .contains("`days`, `persons`, `region`, `class`"),
        "{err}"
    );
}
