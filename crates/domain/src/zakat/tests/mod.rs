//! The reference's worked examples, the livestock tables written out, and properties.

use rust_decimal::Decimal;
use time::macros::date;

use super::*;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn data() -> Data {
    Data {
        gold_price_per_gram: Some(Sourced::new(d("1500000"), "test price")),
        silver_price_per_gram: Some(Sourced::new(d("15000"), "test price")),
        nisab_annual: Some(Sourced::new(d("85685972"), "BAZNAS decree (2025)")),
        nisab_monthly: Some(Sourced::new(d("7140498"), "BAZNAS decree (2025)")),
        fitrah_per_person: Some(Sourced::new(
            d("47000"),
            "BAZNAS decree 14/2025, Jabodetabek",
        )),
        fidyah_per_day: Some(Sourced::new(
            d("60000"),
            "BAZNAS decree 14/2025, Jabodetabek",
        )),
    }
}

fn ask(holding: Holding) -> Calculation {
    ask_with(holding, Options::default())
}

fn ask_with(holding: Holding, options: Options) -> Calculation {
    let question = Question {
        holding,
        date: date!(2025 - 03 - 01),
        held_since: None,
    };
    calculate(&question, options, &data()).unwrap()
}

#[test]
fn a_monthly_salary_of_10_million_owes_250_thousand() {
    let result = ask(Holding::Income {
        income: d("10000000"),
        period: Period::Monthly,
        deductions: Decimal::ZERO,
        annual_total: None,
    });
    assert!(result.due);
    assert_eq!(result.amount_exact, Some(d("250000")));
    assert_eq!(result.amount_payable, Some(d("250000")));
    assert_eq!(result.nisab.unwrap().value, d("7140498"));
}

#[test]
fn trade_of_140_million_net_owes_3_5_million() {
    let result = ask(Holding::Trade {
        cash: d("50000000"),
        inventory: d("100000000"),
        receivables: d("20000000"),
        debts: d("30000000"),
    });
    assert_eq!(result.amount_exact, Some(d("3500000")));
}

#[test]
fn harvests_owe_a_tenth_rain_fed_a_twentieth_irrigated_and_nothing_below_653_kg() {
    let harvest = |kg: &str, irrigation| {
        ask(Holding::Agriculture {
            harvest_kg: d(kg),
            irrigation,
        })
    };
    let kg = |result: Calculation| match result.in_kind.as_slice() {
        [
            InKind::Quantity {
                unit: "kg",
                quantity,
            },
        ] => Some(*quantity),
        [] => None,
        other => panic!("{other:?}"),
    };
    assert_eq!(kg(harvest("1000", Irrigation::RainFed)), Some(d("100")));
    assert_eq!(kg(harvest("1000", Irrigation::Irrigated)), Some(d("50")));
    assert_eq!(kg(harvest("1000", Irrigation::Mixed)), Some(d("75")));
    let below = harvest("600", Irrigation::RainFed);
    assert!(!below.due);
    assert_eq!(kg(below), None);
}

#[test]
fn fitrah_is_persons_times_the_regional_value_or_the_rice() {
    let cash = ask(Holding::Fitrah {
        persons: 4,
        form: FitrahForm::Cash,
        region: "jabodetabek".to_owned(),
        class: None,
    });
    assert_eq!(cash.amount_exact, Some(d("188000")));
    assert!(cash.parameters.iter().any(|p| p.source.contains("14/2025")));
    let rice = ask(Holding::Fitrah {
        persons: 4,
        form: FitrahForm::RiceKg,
        region: String::new(),
        class: None,
    });
    assert_eq!(
        rice.in_kind,
        vec![InKind::Quantity {
            unit: "kg",
            quantity: d("10")
        }]
    );
    let litres = ask(Holding::Fitrah {
        persons: 3,
        form: FitrahForm::RiceLitre,
        region: String::new(),
        class: None,
    });
    assert_eq!(
        litres.in_kind,
        vec![InKind::Quantity {
            unit: "litre",
            quantity: d("10.5")
        }]
    );
}

#[test]
fn gold_is_weighed_by_karat_and_worn_jewellery_follows_the_madhhab() {
    // 100 g of 18 karat = 75 g pure: below 85 g.
    let eighteen = ask(Holding::Gold {
        grams: d("100"),
        karat: 18,
        jewellery: Jewellery::None,
    });
    assert!(!eighteen.due);
    // 100 g of 24 karat at Rp 1.5 million: 150 million x 2.5 % = 3.75 million.
    let pure = ask(Holding::Gold {
        grams: d("100"),
        karat: 24,
        jewellery: Jewellery::None,
    });
    assert_eq!(pure.amount_exact, Some(d("3750000")));
    let worn = Holding::Gold {
        grams: d("100"),
        karat: 24,
        jewellery: Jewellery::Worn,
    };
    assert!(
        !ask(worn.clone()).due,
        "exempt by default (Shafi'i practice)"
    );
    let hanafi = OptionChoices {
        madhhab: Some(Madhhab::Hanafi),
        ..OptionChoices::default()
    }
    .resolve();
    assert_eq!(ask_with(worn, hanafi).amount_exact, Some(d("3750000")));
}

#[test]
fn the_nisab_basis_chooses_the_metal() {
    // 10 million: below 85 g gold (127.5 million), above 595 g silver (8.925 million).
    let savings = Holding::Maal {
        cash: d("10000000"),
        debts: Decimal::ZERO,
    };
    assert!(!ask(savings.clone()).due);
    let lower = OptionChoices {
        nisab_basis: Some(NisabBasis::LowerOfTwo),
        ..OptionChoices::default()
    }
    .resolve();
    assert_eq!(ask_with(savings, lower).amount_exact, Some(d("250000")));
}

#[test]
fn rikaz_is_a_fifth_without_nisab() {
    let result = ask(Holding::Rikaz { value: d("1000") });
    assert_eq!(result.amount_exact, Some(d("200")));
}

#[test]
fn exact_amounts_keep_their_digits_and_payable_rounds_up() {
    // 127,500,001 x 2.5 % = 3,187,500.025
    let result = ask(Holding::Maal {
        cash: d("127500001"),
        debts: Decimal::ZERO,
    });
    assert_eq!(result.amount_exact, Some(d("3187500.025")));
    assert_eq!(result.amount_payable, Some(d("3187501")));
    assert_eq!(format_decimal(result.amount_payable.unwrap()), "3187501.00");
}

#[test]
fn each_step_cites_the_rule_it_applied_and_the_same_question_gives_the_same_bytes() {
    use super::citations as cite;
    let holding = Holding::Trade {
        cash: d("50000000"),
        inventory: d("100000000"),
        receivables: d("20000000"),
        debts: d("30000000"),
    };
    let result = ask(holding.clone());
    let citations: Vec<&str> = result.trace.iter().map(|step| step.citation).collect();
    assert_eq!(
        citations,
        [
            cite::TRADE_BASE,
            cite::DEBTS,
            cite::HAUL,
            cite::NISAB_GOLD,
            cite::NISAB_GOLD,
            cite::RATE_QUARTER_TENTH,
        ],
        "{:#?}",
        result.trace
    );
    assert!(
        result.trace[1].rule.contains("Rp 30,000,000"),
        "{:?}",
        result.trace[1]
    );
    let first = serde_json::to_vec(&result).unwrap();
    let second = serde_json::to_vec(&ask(holding)).unwrap();
    assert_eq!(first, second);
}

#[test]
fn a_missing_price_is_named() {
    let question = Question {
        holding: Holding::Maal {
            cash: d("1"),
            debts: Decimal::ZERO,
        },
        date: date!(2025 - 03 - 01),
        held_since: None,
    };
    let err = calculate(&question, Options::default(), &Data::default()).unwrap_err();
    assert_eq!(err.field, "gold_price_per_gram");
}

#[test]
fn a_haul_not_complete_owes_nothing_yet() {
    let question = Question {
        holding: Holding::Maal {
            cash: d("500000000"),
            debts: Decimal::ZERO,
        },
        date: date!(2025 - 03 - 01),
        held_since: Some(date!(2024 - 03 - 12)),
    };
    let result = calculate(&question, Options::default(), &data()).unwrap();
    assert!(!result.due, "354 days < a lunar year");
    let question = Question {
        held_since: Some(date!(2024 - 03 - 11)),
        ..question
    };
    assert!(
        calculate(&question, Options::default(), &data())
            .unwrap()
            .due
    );
}

#[test]
fn a_month_below_nisab_is_due_when_the_year_reaches_the_annual_nisab() {
    let month = |annual_total| Holding::Income {
        income: d("6000000"),
        period: Period::Monthly,
        deductions: Decimal::ZERO,
        annual_total,
    };
    assert!(!ask(month(None)).due, "6 million < the monthly nisab");
    assert!(
        !ask(month(Some(d("80000000")))).due,
        "the year is below 85,685,972 too"
    );
    let reconciled = ask(month(Some(d("90000000"))));
    assert_eq!(reconciled.amount_exact, Some(d("150000")));
    assert!(
        reconciled
            .trace
            .iter()
            .any(|step| step.citation.contains("annual nisab"))
    );
}

#[test]
fn net_income_deducts_basic_needs() {
    let net = OptionChoices {
        income_method: Some(IncomeMethod::Net),
        ..OptionChoices::default()
    }
    .resolve();
    let salary = |deductions: &str| Holding::Income {
        income: d("10000000"),
        period: Period::Monthly,
        deductions: d(deductions),
        annual_total: None,
    };
    assert_eq!(
        ask_with(salary("2000000"), net).amount_exact,
        Some(d("200000"))
    );
    assert!(
        !ask_with(salary("4000000"), net).due,
        "6 million net is below the monthly nisab"
    );
    assert_eq!(
        ask(salary("4000000")).amount_exact,
        Some(d("250000")),
        "gross ignores them"
    );
}

#[test]
fn rounding_is_an_option() {
    let exact = d("3187500.5");
    assert_eq!(Rounding::Up.apply(exact), d("3187501"));
    assert_eq!(Rounding::HalfUp.apply(exact), d("3187501"));
    assert_eq!(Rounding::HalfEven.apply(exact), d("3187500"));
    assert_eq!(Rounding::None.apply(exact), exact);
    assert_eq!(Rounding::Up.apply(d("3187500.025")), d("3187501"));
}

mod hijri_haul;
mod livestock_tables;
mod properties;
mod requests;
