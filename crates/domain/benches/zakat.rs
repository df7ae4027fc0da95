//! Calculations per second in-process: one question of every category in turn (the mix a
//! public calculator sees), `calculate` alone and with the JSON the API sends. Run by
//! `bench/zakat.py` (`cargo bench -p domain --bench zakat`); prints one JSON line.

use std::hint::black_box;
use std::time::{Duration, Instant};

use domain::zakat::{
    Animal, Data, FitrahForm, Holding, Irrigation, Jewellery, Options, Period, Question, Sourced,
    StockHolding, calculate,
};
use rust_decimal::Decimal;
use time::macros::date;

/// How long each measured round runs, and how many rounds (the median is reported).
const ROUND: Duration = Duration::from_secs(2);
const ROUNDS: usize = 5;

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn questions() -> Vec<Question> {
    let holdings = vec![
        Holding::Maal {
            cash: d("150000000"),
            debts: d("10000000"),
        },
        Holding::Gold {
            grams: d("100"),
            karat: 22,
            jewellery: Jewellery::Stored,
        },
        Holding::Silver {
            grams: d("700"),
            jewellery: Jewellery::None,
        },
        Holding::Trade {
            cash: d("50000000"),
            inventory: d("100000000"),
            receivables: d("20000000"),
            debts: d("30000000"),
        },
        Holding::Income {
            income: d("10000000"),
            period: Period::Monthly,
            deductions: Decimal::ZERO,
            annual_total: None,
        },
        Holding::Fitrah {
            persons: 4,
            form: FitrahForm::Cash,
            region: "jabodetabek".to_owned(),
            class: None,
        },
        Holding::Agriculture {
            harvest_kg: d("1000"),
            irrigation: Irrigation::Mixed,
        },
        Holding::Livestock {
            animal: Animal::Camel,
            count: 130,
        },
        Holding::Mining {
            value: d("200000000"),
        },
        Holding::Rikaz {
            value: d("10000000"),
        },
        Holding::Stocks {
            market_value: d("300000000"),
            holding: StockHolding::Trading,
        },
    ];
    holdings
        .into_iter()
        .map(|holding| Question {
            holding,
            date: date!(2025 - 03 - 01),
            held_since: None,
        })
        .collect()
}

fn data() -> Data {
    Data {
        gold_price_per_gram: Some(Sourced::new(d("1500000"), "bench")),
        silver_price_per_gram: Some(Sourced::new(d("15000"), "bench")),
        nisab_annual: Some(Sourced::new(d("85685972"), "bench")),
        nisab_monthly: Some(Sourced::new(d("7140498"), "bench")),
        fitrah_per_person: Some(Sourced::new(d("47000"), "bench")),
        fidyah_per_day: Some(Sourced::new(d("60000"), "bench")),
    }
}

/// Calculations per second over `ROUND`, cycling through the questions.
fn round(questions: &[Question], data: &Data, with_json: bool) -> f64 {
    let started = Instant::now();
    let mut done = 0u32;
    while started.elapsed() < ROUND {
        for question in questions {
            let result = calculate(black_box(question), Options::default(), black_box(data))
                .expect("the bench questions are valid");
            if with_json {
                black_box(serde_json::to_vec(&result).expect("serializes"));
            } else {
                black_box(result);
            }
        }
        done += u32::try_from(questions.len()).expect("a handful of questions");
    }
    f64::from(done) / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let questions = questions();
    let data = data();
    let mut alone = Vec::new();
    let mut with_json = Vec::new();
    for _ in 0..ROUNDS {
        alone.push(round(&questions, &data, false));
        with_json.push(round(&questions, &data, true));
    }
    let (alone, alone_min, alone_max) = median(alone);
    let (json, json_min, json_max) = median(with_json);
    println!(
        "{{\"calculations_per_s\": {alone:.0}, \"calculations_per_s_min\": {alone_min:.0}, \"calculations_per_s_max\": {alone_max:.0}, \
         \"with_json_per_s\": {json:.0}, \"with_json_per_s_min\": {json_min:.0}, \"with_json_per_s_max\": {json_max:.0}, \"rounds\": {ROUNDS}, \"round_s\": {}}}",
        ROUND.as_secs()
    );
}
