//! The public zakat calculator over HTTP: the reference's examples with the seeded decree
//! figures, the data admins add (audited), bad input, determinism and the rate limit.

use domain::Role;
use serde_json::{Value, json};

use crate::support::TestApp;

async fn calculate(app: &TestApp, category: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/zakat/{category}")))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn ok(app: &TestApp, category: &str, body: &Value) -> Value {
    let response = calculate(app, category, body).await;
    assert_eq!(response.status(), 200, "{category} {body}");
    response.json().await.unwrap()
}

async fn invalid(app: &TestApp, category: &str, body: &Value) -> String {
    let response = calculate(app, category, body).await;
    let status = response.status().as_u16();
    let problem: Value = response.json().await.unwrap();
    assert_eq!(status, 422, "{category} {body}: {problem}");
    problem["field"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_reference_examples_with_the_seeded_decree_figures() {
    let app = TestApp::spawn().await;
    let salary = ok(
        &app,
        "income",
        &json!({"date": "2025-03-01", "income": "10000000", "period": "monthly"}),
    )
    .await;
    assert_eq!(salary["amount_payable"], "250000.00");
    assert!(
        salary["parameters"].to_string().contains("BAZNAS"),
        "{salary}"
    );
    let trade = ok(
        &app,
        "trade",
        &json!({"date": "2025-03-01", "cash": "50000000", "inventory": "100000000",
        "receivables": "20000000", "debts": "30000000", "gold_price_per_gram": "1500000"}),
    )
    .await;
    assert_eq!(trade["amount_exact"], "3500000.00");
    let fitrah = ok(
        &app,
        "fitrah",
        &json!({"date": "2025-03-20", "persons": 4, "form": "cash", "region": "Jabodetabek"}),
    )
    .await;
    assert_eq!(fitrah["amount_payable"], "188000.00");
    assert!(
        fitrah["parameters"].to_string().contains("14/2025"),
        "{fitrah}"
    );
    let harvest = ok(
        &app,
        "agriculture",
        &json!({"date": "2025-03-01", "harvest_kg": "1000", "irrigation": "irrigated"}),
    )
    .await;
    assert_eq!(
        harvest["in_kind"],
        json!([{"unit": "kg", "quantity": "50.00"}])
    );
    let camels = ok(
        &app,
        "livestock",
        &json!({"date": "2025-03-01", "animal": "camel", "count": 121}),
    )
    .await;
    assert_eq!(
        camels["in_kind"],
        json!([{"kind": "bint_labun", "count": 3}])
    );
    let hanafi = ok(
        &app,
        "livestock",
        &json!({"date": "2025-03-01", "animal": "camel", "count": 121, "madhhab": "hanafi"}),
    )
    .await;
    assert_eq!(hanafi["in_kind"], json!([{"kind": "hiqqah", "count": 2}]));
    // Some bodies count the nisab in other grams: 87.48 g x Rp 1.5 million.
    let south_asian = ok(
        &app,
        "maal",
        &json!({"date": "2025-03-01", "cash": "130000000",
        "gold_price_per_gram": "1500000", "gold_nisab_grams": "87.48"}),
    )
    .await;
    assert_eq!(south_asian["nisab"]["value"], "131220000.00");
    assert_eq!(south_asian["due"], false);
    // Before the earliest decree figure, nothing is in force unless the request says it.
    assert_eq!(
        invalid(
            &app,
            "income",
            &json!({"date": "2020-01-01", "income": "10000000"})
        )
        .await,
        "nisab_monthly"
    );
    let given = ok(
        &app,
        "income",
        &json!({"date": "2020-01-01", "income": "10000000", "nisab_monthly": "5000000"}),
    )
    .await;
    assert_eq!(given["amount_payable"], "250000.00");
    app.teardown().await;
}

#[tokio::test]
async fn the_steps_cite_their_sources_and_the_same_request_gives_the_same_bytes() {
    let app = TestApp::spawn().await;
    let body = json!({"date": "2025-03-01", "grams": "100", "karat": 22, "jewellery": "stored", "gold_price_per_gram": "1500000"});
    let first = calculate(&app, "gold", &body).await.bytes().await.unwrap();
    let second = calculate(&app, "gold", &body).await.bytes().await.unwrap();
    assert_eq!(first, second);
    let result: Value = serde_json::from_slice(&first).unwrap();
    // 100 g x 22/24 = 91.666… g pure: above 85 g; x Rp 1.5 million x 2.5 %.
    assert!(result["due"].as_bool().unwrap());
    assert_eq!(result["amount_payable"], "3437500.00");
    // The steps that did the work name their sources: karat, nisab, rate, rounding.
    let citations: Vec<&str> = result["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["citation"].as_str().unwrap())
        .collect();
    for source in ["karat / 24", "nisab 85 g gold", "2.5 %"] {
        assert!(
            citations.iter().any(|c| c.contains(source)),
            "{source}: {citations:#?}"
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn bad_input_is_a_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let date = "2025-03-01";
    let cases = [
        ("maal", json!({"date": date, "cash": "-1"}), "cash"),
        ("maal", json!({"date": date, "cash": "abc"}), "cash"),
        ("maal", json!({"date": date, "cash": "1e9"}), "cash"),
        (
            "maal",
            json!({"date": date, "cash": "10000000000000000"}),
            "cash",
        ),
        ("maal", json!({"date": date, "cash": "1.001"}), "cash"),
        ("maal", json!({"date": date, "cash": 5}), "cash"),
        ("maal", json!({"date": date}), "cash"),
        (
            "maal",
            json!({"date": date, "cash": "1", "animal": "camel"}),
            "animal",
        ),
        ("maal", json!({"date": "2025-02-30", "cash": "1"}), "date"),
        ("maal", json!({"date": "3000-01-01", "cash": "1"}), "date"),
        (
            "maal",
            json!({"date": date, "cash": "1", "haul_calendar": "solar"}),
            "haul_calendar",
        ),
        (
            "fitrah",
            json!({"date": date, "persons": 0, "form": "cash", "region": "jabodetabek"}),
            "persons",
        ),
        (
            "fitrah",
            json!({"date": date, "persons": 0, "form": "rice_kg"}),
            "persons",
        ),
        (
            "maal",
            json!({"date": date, "cash": "1", "nisab_basis": "platinum"}),
            "nisab_basis",
        ),
        (
            "maal",
            json!({"date": date, "cash": "1", "held_since": "2026-01-01"}),
            "held_since",
        ),
        (
            "gold",
            json!({"date": date, "grams": "100", "karat": 25, "gold_price_per_gram": "1"}),
            "karat",
        ),
        (
            "gold",
            json!({"date": date, "grams": "100", "karat": -1}),
            "karat",
        ),
        (
            "fitrah",
            json!({"date": date, "persons": 2, "form": "cash", "region": "atlantis"}),
            "region",
        ),
        (
            "fitrah",
            json!({"date": date, "persons": 2, "form": "cash"}),
            "region",
        ),
        (
            "fitrah",
            json!({"date": date, "persons": 100_000, "form": "rice_kg"}),
            "persons",
        ),
        (
            "livestock",
            json!({"date": date, "animal": "horse", "count": 3}),
            "animal",
        ),
        (
            "livestock",
            json!({"date": date, "animal": "sheep", "count": 4_294_967_296_u64}),
            "count",
        ),
        (
            "agriculture",
            json!({"date": date, "harvest_kg": "1000"}),
            "irrigation",
        ),
    ];
    for (category, body, field) in cases {
        assert_eq!(
            invalid(&app, category, &body).await,
            field,
            "{category} {body}"
        );
    }
    let unknown = calculate(&app, "horses", &json!({"date": date})).await;
    assert_eq!(unknown.status(), 404);
    app.teardown().await;
}

#[tokio::test]
async fn admins_add_prices_that_later_calculations_cite_and_the_audit_chain_records() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let price = json!({"name": "gold_price_per_gram", "value": "1600000", "effective_from": "2025-01-01",
        "source": "Antam, 2025-01-01"});
    let refused = app
        .client
        .post(app.url("/api/v1/zakat/data"))
        .bearer_auth(&amil)
        .json(&price)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let created = app
        .client
        .post(app.url("/api/v1/zakat/data"))
        .bearer_auth(&admin)
        .json(&price)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let savings = ok(
        &app,
        "maal",
        &json!({"date": "2025-06-01", "cash": "200000000"}),
    )
    .await;
    assert_eq!(savings["amount_payable"], "5000000.00");
    assert!(
        savings["parameters"]
            .to_string()
            .contains("Antam, 2025-01-01"),
        "{savings}"
    );
    // Not yet in force before its date.
    assert_eq!(
        invalid(
            &app,
            "maal",
            &json!({"date": "2024-12-31", "cash": "200000000"})
        )
        .await,
        "gold_price_per_gram"
    );
    let listed: Value = app
        .get("/api/v1/zakat/data?date=2025-06-01")
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["data"].to_string().contains("Antam"), "{listed}");
    let audit = app.get_as("/api/v1/audit/verify", &admin).await;
    assert_eq!(audit.status(), 200);
    app.teardown().await;
}

#[tokio::test]
async fn each_client_address_is_rate_limited() {
    let app = TestApp::spawn_with(&[("ZAKAT_RATE_LIMIT", "5")]).await;
    let body = json!({"date": "2025-03-01", "value": "1000"});
    for _ in 0..5 {
        assert_eq!(calculate(&app, "rikaz", &body).await.status(), 200);
    }
    let limited = calculate(&app, "rikaz", &body).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    app.teardown().await;
}

#[tokio::test]
async fn the_zakat_command_prints_what_the_api_answers() {
    let app = TestApp::spawn().await;
    let api = ok(
        &app,
        "income",
        &json!({"date": "2025-03-01", "income": "10000000", "period": "monthly"}),
    )
    .await;
    let dir = crate::support::binary::temp_dir();
    let command = |args: &[&str]| {
        crate::support::BinaryCommand::new(dir.path())
            .args(args.iter().copied())
            .env("DATABASE_URL", app.database_url())
            .env("DATA_DIR", app.data_dir())
            .output()
    };
    let args = [
        "zakat",
        "income",
        "--date",
        "2025-03-01",
        "--income",
        "10000000",
        "--period",
        "monthly",
    ];
    let as_json = command(&[&args[..], &["--json"]].concat());
    assert_eq!(as_json.code(), 0, "{}", as_json.all_output());
    let printed: Value = serde_json::from_str(&as_json.stdout).unwrap();
    assert_eq!(printed, api);
    let table = command(&args);
    assert!(
        table.stdout.contains("zakat income on 2025-03-01: due"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("amount payable  250000.00 IDR"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("[MUI fatwa 3/2003"),
        "{}",
        table.stdout
    );
    let bad = command(&[
        "zakat",
        "income",
        "--date",
        "2025-03-01",
        "--income",
        "lots",
    ]);
    assert_eq!(bad.code(), 64);
    assert!(
        bad.stderr
            .contains("`income`: must be a non-negative decimal"),
        "{}",
        bad.stderr
    );
    app.teardown().await;
}

#[tokio::test]
async fn every_seeded_decree_figure_is_in_force_from_its_decree_date_citing_it() {
    let app = TestApp::spawn().await;
    // Income nisab per year (2023, 2024, 2025, 2026): the day before a decree, the one before.
    let nisab = [
        ("2023-06-01", "6828806.00", "reference/zakat.md"),
        ("2024-01-01", "6859394.00", "No. 1 Tahun 2024"),
        ("2025-01-14", "6859394.00", "No. 1 Tahun 2024"),
        ("2025-01-15", "7140498.00", "No. 13 Tahun 2025"),
        ("2026-02-19", "7140498.00", "No. 13 Tahun 2025"),
        ("2026-02-20", "7640144.00", "No. 15 Tahun 2026"),
    ];
    for (date, monthly, decree) in nisab {
        let result = ok(&app, "income", &json!({"date": date, "income": "1000000"})).await;
        assert_eq!(result["nisab"]["value"], monthly, "{date}");
        assert!(
            result["parameters"].to_string().contains(decree),
            "{date}: {result}"
        );
        let annual = ok(
            &app,
            "income",
            &json!({"date": date, "income": "1000000", "period": "annual"}),
        )
        .await;
        let annual_value = annual["nisab"]["value"].as_str().unwrap().to_owned();
        let expected = match monthly {
            "6828806.00" => "81945667.00",
            "6859394.00" => "82312725.00",
            "7140498.00" => "85685972.00",
            _ => "91681728.00",
        };
        assert_eq!(annual_value, expected, "{date}");
    }
    // Fitrah and fidyah, Jabodetabek: 2025 (decree 14/2025), 2026 (Keputusan 14/2026).
    for (date, fitrah, fidyah_rate, decree) in [
        ("2025-03-20", "47000.00", "60000.00", "14/2025"),
        ("2026-02-02", "47000.00", "60000.00", "14/2025"),
        ("2026-02-03", "50000.00", "65000.00", "No. 14 Tahun 2026"),
    ] {
        let one = ok(
            &app,
            "fitrah",
            &json!({"date": date, "persons": 1, "region": "jabodetabek"}),
        )
        .await;
        assert_eq!(one["amount_exact"], fitrah, "{date}");
        assert!(one["parameters"].to_string().contains(decree), "{one}");
        let day = fidyah(&app, &json!({"date": date, "days": 1})).await;
        assert_eq!(day.status(), 200);
        let day: Value = day.json().await.unwrap();
        assert_eq!(day["amount_exact"], fidyah_rate, "{date}");
        assert!(day["parameters"].to_string().contains(decree), "{day}");
    }
    app.teardown().await;
}

async fn fidyah(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/zakat/fidyah"))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn fidyah_is_days_times_persons_times_the_decree_rate_with_its_food_equivalent() {
    let app = TestApp::spawn().await;
    let response = fidyah(
        &app,
        &json!({"date": "2026-03-01", "days": 30, "persons": 2}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["category"], "fidyah");
    assert_eq!(result["amount_payable"], "3900000.00");
    assert_eq!(
        result["in_kind"],
        json!([{"unit": "kg", "quantity": "40.50"}])
    );
    assert!(result["trace"].to_string().contains("2:184"), "{result}");
    // Today (WIB) when no date is given, echoed in the answer; one person by default.
    let today = fidyah(&app, &json!({"days": 1})).await;
    assert_eq!(today.status(), 200);
    let today: Value = today.json().await.unwrap();
    let wib = time::OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap())
        .date();
    assert_eq!(today["date"], wib.to_string());
    for (body, field) in [
        (json!({"days": 0}), "days"),
        (json!({}), "days"),
        (json!({"days": 1, "persons": 0}), "persons"),
        (json!({"days": 1, "region": "atlantis"}), "region"),
        (json!({"days": 1, "cash": "5"}), "cash"),
    ] {
        let response = fidyah(&app, &body).await;
        let status = response.status().as_u16();
        let problem: Value = response.json().await.unwrap();
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    app.teardown().await;
}

#[tokio::test]
async fn the_date_defaults_to_today_in_wib_and_the_haul_may_be_counted_on_the_hijri_calendar() {
    let app = TestApp::spawn().await;
    let today = ok(&app, "rikaz", &json!({"value": "1000"})).await;
    let wib = time::OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap())
        .date();
    assert_eq!(today["date"], wib.to_string());
    assert!(today["parameters"].to_string().contains("WIB"), "{today}");
    // 1 Muharram 1445 to 1 Muharram 1446: 354 days, a Hijri year but not 355 days.
    let body = |calendar: &str| {
        json!({"date": "2024-07-07", "held_since": "2023-07-19", "cash": "200000000",
            "gold_price_per_gram": "1500000", "haul_calendar": calendar})
    };
    let hijri = ok(&app, "maal", &body("hijri")).await;
    assert_eq!(hijri["due"], true, "{hijri}");
    assert_eq!(hijri["options"]["haul_calendar"], "hijri");
    assert!(
        hijri["trace"].to_string().contains("1 Muharram 1446 H"),
        "{hijri}"
    );
    let days = ok(&app, "maal", &body("days")).await;
    assert_eq!(days["due"], false, "{days}");
    app.teardown().await;
}

#[tokio::test]
async fn the_zakat_command_lists_a_categorys_fields_and_stops_quietly_on_a_closed_pipe() {
    let app = TestApp::spawn().await;
    let dir = crate::support::binary::temp_dir();
    let command = |args: &[&str]| {
        crate::support::BinaryCommand::new(dir.path())
            .args(args.iter().copied())
            .env("DATABASE_URL", app.database_url())
            .env("DATA_DIR", app.data_dir())
            .output()
    };
    let help = command(&["zakat", "fidyah", "--help"]);
    assert_eq!(help.code(), 0, "{}", help.all_output());
    for field in ["--days", "--persons", "--region", "--date"] {
        assert!(help.stdout.contains(field), "{field}: {}", help.stdout);
    }
    assert!(!help.stdout.contains("--harvest-kg"), "{}", help.stdout);
    let zero = command(&[
        "zakat",
        "fitrah",
        "--persons",
        "0",
        "--region",
        "jabodetabek",
    ]);
    assert_eq!(zero.code(), 64);
    assert!(
        zero.stderr.contains("`persons`: must be at least 1"),
        "{}",
        zero.stderr
    );
    let fidyah = command(&["zakat", "fidyah", "--days", "3", "--date", "2026-03-01"]);
    assert_eq!(fidyah.code(), 0, "{}", fidyah.all_output());
    assert!(
        fidyah.stdout.contains("amount payable  195000.00 IDR"),
        "{}",
        fidyah.stdout
    );
    // The reader goes away before the answer is written (`… | head -c1`).
    let mut child = std::process::Command::new(crate::support::binary::BIN)
        .args(["zakat", "fidyah", "--days", "3", "--json"])
        .current_dir(dir.path())
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .env("DATA_DIR", app.data_dir())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    app.teardown().await;
}
