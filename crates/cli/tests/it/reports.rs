//! PSAK 109 statements, collections and distributions reports, and the CSV exports: every
//! figure checked against values worked out by hand below, the statements reconciled with the
//! journal (`GET /api/v1/funds`), CSV and HTML variants, roles, bad periods.
//!
//! The books: period 1 is January 2026, period 2 runs from 1 February 2026 to today (a void and
//! a refund are dated by the day they are recorded, today, so they fall in period 2). The
//! zakat amil share is the default 12.5 %; infak and sedekah take none.

use domain::Role;
use serde_json::{Value, json};

use crate::support::TestApp;

const P1: &str = "from=2026-01-01&to=2026-01-31";

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

fn p2() -> String {
    format!("from=2026-02-01&to={}", today())
}

fn gift(kind: &str, amount: &str, method: &str, on: &str) -> Value {
    json!({ "type": kind, "amount": amount, "currency": "IDR", "method": method,
            "received_on": on, "anonymous": true })
}

fn pay(fund: &str, to: (&str, &str), amount: &str, method: &str, on: &str) -> Value {
    let mut body = json!({ "fund": fund, "program": "Bantuan pangan, Demak", "amount": amount,
            "currency": "IDR", "method": method, "distributed_on": on,
            "recipient": { "name": "Ahmad" } });
    body[to.0] = json!(to.1);
    body
}

async fn created(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status == 201 || status == 200, "{status}: {body}");
    body
}

/// Records both periods' books; returns the id of the campaign.
#[expect(
    clippy::too_many_lines,
    reason = "the books of both periods, written out in order"
)]
async fn record_books(app: &TestApp, amil: &str, admin: &str) -> String {
    let jan = "2026-01-10";
    let campaign = created(
        app.post(
            "/api/v1/campaigns",
            admin,
            None,
            &json!({ "name": "Banjir Demak", "purpose": "Bantuan korban banjir" }),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let zakat_maal = app
        .donate(amil, &gift("zakat_maal", "1000000", "bank_transfer", jan))
        .await;
    app.donate(amil, &gift("zakat_penghasilan", "400000", "cash", jan))
        .await;
    app.donate(amil, &gift("zakat_fitrah", "45000", "cash", jan))
        .await;
    app.donate(amil, &gift("infak", "200000", "bank_transfer", jan))
        .await;
    let sedekah = app
        .donate(amil, &gift("sedekah", "100000", "cash", jan))
        .await;
    let mut restricted = gift("infak", "300000", "bank_transfer", jan);
    restricted["campaign_id"] = json!(campaign);
    app.donate(amil, &restricted).await;
    app.donate(amil, &gift("wakaf", "5000000", "bank_transfer", jan))
        .await;
    app.donate(amil, &gift("non_halal", "150000", "bank_transfer", jan))
        .await;
    app.donate(amil, &gift("fidyah", "90000", "cash", jan))
        .await;
    app.donate(amil, &gift("kafarat", "60000", "cash", jan))
        .await;
    let mut usd = gift("sedekah", "10", "bank_transfer", jan);
    usd["currency"] = json!("USD");
    usd["rate_to_idr"] = json!("15850.25");
    let usd = app.donate(amil, &usd).await;
    assert_eq!(usd["amount_booked"], "158502.50");
    created(
        app.post(
            "/api/v1/wakaf/benefits",
            amil,
            None,
            &json!({ "amount": "500000", "method": "bank_transfer", "received_on": jan,
                     "source": "Sewa ruko wakaf", "nazhir_share_percent": "10" }),
        )
        .await,
    )
    .await;
    let distribute = |body: Value| async move {
        created(app.post("/api/v1/distributions", amil, None, &body).await).await
    };
    distribute(pay(
        "zakat",
        ("asnaf", "fakir"),
        "300000",
        "bank_transfer",
        "2026-01-20",
    ))
    .await;

    // Period 2.
    let feb = "2026-02-05";
    app.donate(amil, &gift("zakat_maal", "800000", "bank_transfer", feb))
        .await;
    let mut formula = gift("infak", "50000", "cash", feb);
    formula["note"] = json!("=HYPERLINK(\"http://evil.example\",\"klik\")");
    app.donate(amil, &formula).await;
    let feb = "2026-02-10";
    distribute(pay(
        "non_halal",
        ("purpose", "public_facilities"),
        "100000",
        "bank_transfer",
        feb,
    ))
    .await;
    distribute(pay("fidyah", ("asnaf", "miskin"), "90000", "cash", feb)).await;
    distribute(pay(
        "zakat",
        ("asnaf", "gharimin"),
        "200000",
        "bank_transfer",
        feb,
    ))
    .await;
    distribute(pay(
        "wakaf_benefits",
        ("asnaf", "fakir"),
        "100000",
        "bank_transfer",
        feb,
    ))
    .await;
    distribute(pay("kafarat", ("asnaf", "miskin"), "60000", "cash", feb)).await;
    let void = format!("/api/v1/donations/{}/void", sedekah["id"].as_str().unwrap());
    created(
        app.post(&void, amil, None, &json!({ "reason": "salah catat" }))
            .await,
    )
    .await;
    let refund = format!(
        "/api/v1/donations/{}/refunds",
        zakat_maal["id"].as_str().unwrap()
    );
    created(
        app.post(&refund, amil, None, &json!({ "amount": "100000" }))
            .await,
    )
    .await;
    campaign
}

async fn report(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get_as(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

/// The statement's cell for `key` and `fund`.
fn cell<'a>(statement: &'a Value, key: &str, fund: &str) -> &'a str {
    statement["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}"))["amounts"][fund]
        .as_str()
        .unwrap()
}

fn column<'a>(statement: &'a Value, fund: &str) -> (&'a str, &'a str, &'a str, &'a str) {
    let c = statement["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["fund"] == fund)
        .unwrap();
    (
        c["opening"].as_str().unwrap(),
        c["in"].as_str().unwrap(),
        c["out"].as_str().unwrap(),
        c["closing"].as_str().unwrap(),
    )
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "every figure written out by hand, in one place"
)]
async fn statements_match_the_books_worked_out_by_hand_and_reconcile_with_the_journal() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let admin = app.token(Role::Admin).await;
    let auditor = app.token(Role::Auditor).await;
    let campaign = record_books(&app, &amil, &admin).await;

    // Period 1: nothing before it.
    let s1 = report(
        &app,
        &auditor,
        &format!("/api/v1/reports/changes-in-funds?{P1}"),
    )
    .await;
    assert_eq!(cell(&s1, "opening", "zakat"), "0.00");
    assert_eq!(cell(&s1, "receipts.zakat_maal", "zakat"), "1000000.00");
    assert_eq!(
        cell(&s1, "receipts.zakat_penghasilan", "zakat"),
        "400000.00"
    );
    assert_eq!(cell(&s1, "receipts.zakat_fitrah", "zakat"), "45000.00");
    // 12.5 % of 1,000,000 + 400,000 + 45,000.
    assert_eq!(cell(&s1, "amil_share", "zakat"), "-180625.00");
    assert_eq!(cell(&s1, "amil_share", "amil"), "180625.00");
    assert_eq!(cell(&s1, "distributions.fakir", "zakat"), "-300000.00");
    assert_eq!(
        column(&s1, "zakat"),
        ("0.00", "1445000.00", "480625.00", "964375.00")
    );
    assert_eq!(
        cell(&s1, "receipts.infak", "infak_sedekah_restricted"),
        "300000.00"
    );
    assert_eq!(
        cell(&s1, "receipts.infak", "infak_sedekah_unrestricted"),
        "200000.00"
    );
    // 100,000 in rupiah and 10 USD at 15,850.25.
    assert_eq!(
        cell(&s1, "receipts.sedekah", "infak_sedekah_unrestricted"),
        "258502.50"
    );
    assert_eq!(cell(&s1, "receipts.wakaf", "wakaf"), "5000000.00");
    assert_eq!(
        cell(&s1, "receipts.wakaf_benefit", "wakaf_benefits"),
        "500000.00"
    );
    assert_eq!(cell(&s1, "nazhir_share", "wakaf_benefits"), "-50000.00");
    assert_eq!(cell(&s1, "nazhir_share", "amil"), "50000.00");
    assert_eq!(cell(&s1, "receipts.non_halal", "non_halal"), "150000.00");
    assert_eq!(cell(&s1, "receipts.fidyah", "fidyah"), "90000.00");
    assert_eq!(cell(&s1, "receipts.kafarat", "kafarat"), "60000.00");
    assert_eq!(
        cell(&s1, "reversals.void", "infak_sedekah_unrestricted"),
        "0.00"
    );
    assert_eq!(cell(&s1, "closing", "amil"), "230625.00");
    assert_eq!(cell(&s1, "closing", "wakaf_benefits"), "450000.00");
    let closing_1 = s1["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(closing_1["key"], "closing");
    assert_eq!(closing_1["total"], "7703502.50");

    // Period 2 opens where period 1 closed.
    let s2 = report(
        &app,
        &auditor,
        &format!("/api/v1/reports/changes-in-funds?{}", p2()),
    )
    .await;
    for fund in domain::Fund::ALL {
        assert_eq!(
            cell(&s2, "opening", fund.as_str()),
            cell(&s1, "closing", fund.as_str()),
            "{fund}"
        );
    }
    assert_eq!(cell(&s2, "receipts.zakat_maal", "zakat"), "800000.00");
    assert_eq!(cell(&s2, "amil_share", "zakat"), "-100000.00");
    // The refund of 100,000 gives back 100,000 less its 12,500 share, which the amil returns.
    assert_eq!(cell(&s2, "reversals.refund", "zakat"), "-87500.00");
    assert_eq!(cell(&s2, "reversals.refund", "amil"), "-12500.00");
    assert_eq!(
        cell(&s2, "reversals.void", "infak_sedekah_unrestricted"),
        "-100000.00"
    );
    assert_eq!(cell(&s2, "distributions.gharimin", "zakat"), "-200000.00");
    assert_eq!(
        cell(&s2, "distributions.public_facilities", "non_halal"),
        "-100000.00"
    );
    assert_eq!(cell(&s2, "distributions.miskin", "fidyah"), "-90000.00");
    assert_eq!(cell(&s2, "distributions.miskin", "kafarat"), "-60000.00");
    assert_eq!(
        cell(&s2, "distributions.fakir", "wakaf_benefits"),
        "-100000.00"
    );
    assert_eq!(
        column(&s2, "zakat"),
        ("964375.00", "812500.00", "400000.00", "1376875.00")
    );
    assert_eq!(
        cell(&s2, "closing", "infak_sedekah_unrestricted"),
        "408502.50"
    );
    assert_eq!(cell(&s2, "closing", "amil"), "318125.00");
    assert_eq!(cell(&s2, "closing", "fidyah"), "0.00");
    let closing_2 = s2["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(closing_2["total"], "7803502.50");

    // The position today is the journal's balances, as /funds reads them.
    let position = report(&app, &auditor, "/api/v1/reports/financial-position").await;
    assert_eq!(position["as_of"], today());
    assert_eq!(position["total_assets"], "7803502.50");
    assert_eq!(position["total_funds"], "7803502.50");
    let funds: Value = app
        .get_as("/api/v1/funds", &auditor)
        .await
        .json()
        .await
        .unwrap();
    for fund in funds["funds"].as_array().unwrap() {
        let listed = position["funds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["fund"] == fund["fund"] && f["campaign_id"] == fund["campaign_id"])
            .map_or("0.00", |f| f["balance"].as_str().unwrap());
        assert_eq!(listed, fund["balance"], "{fund}");
    }
    for asset in funds["assets"].as_array().unwrap() {
        let listed = position["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == asset["account"])
            .unwrap();
        assert_eq!(listed["balance"], asset["balance"], "{asset}");
    }
    let cash = |p: &Value| {
        p["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == "cash")
            .unwrap()["balance"]
            .clone()
    };
    assert_eq!(cash(&position), "495000.00");
    // At the end of period 1: its closing balances.
    let january = report(
        &app,
        &auditor,
        "/api/v1/reports/financial-position?to=2026-01-31",
    )
    .await;
    assert_eq!(january["total_funds"], "7703502.50");
    assert_eq!(cash(&january), "695000.00");
    let zakat_total = january["fund_totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fund"] == "zakat")
        .unwrap();
    assert_eq!(zakat_total["balance"], "964375.00");

    // Collections in period 1, by type and campaign.
    let collections = report(&app, &auditor, &format!("/api/v1/reports/collections?{P1}")).await;
    let by_type = |kind: &str| {
        collections["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == kind)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_type("zakat_maal"),
        json!({ "type": "zakat_maal", "count": 1, "amount": "1000000.00", "amil_share": "125000.00",
                "reversed": "100000.00", "net": "900000.00" })
    );
    assert_eq!(by_type("sedekah")["amount"], "258502.50");
    assert_eq!(by_type("sedekah")["reversed"], "100000.00");
    assert_eq!(by_type("infak")["count"], 2);
    assert_eq!(collections["total"]["count"], 11);
    assert_eq!(collections["total"]["amount"], "7503502.50");
    let for_campaign = collections["by_campaign"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["campaign_id"] == campaign.as_str())
        .unwrap();
    assert_eq!(for_campaign["amount"], "300000.00");
    assert_eq!(collections["by_month"][0]["month"], "2026-01");

    // Distributions in period 2, by asnaf or purpose.
    let paid = report(
        &app,
        &auditor,
        &format!("/api/v1/reports/distributions?{}", p2()),
    )
    .await;
    let target = |key: &str| {
        paid["by_target"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(
        target("miskin"),
        json!({ "key": "miskin", "count": 2, "amount": "150000.00" })
    );
    assert_eq!(target("gharimin")["amount"], "200000.00");
    assert_eq!(target("public_facilities")["amount"], "100000.00");
    assert_eq!(target("fakir")["amount"], "100000.00");
    assert_eq!(target("riqab")["count"], 0);
    assert_eq!(
        paid["total"],
        json!({ "key": "total", "count": 5, "amount": "550000.00" })
    );
    assert_eq!(paid["by_program"][0]["key"], "Bantuan pangan, Demak");

    app.teardown().await;
}

async fn text(app: &TestApp, token: &str, path: &str, accept: &str) -> (String, String) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn reports_come_as_csv_and_printable_html_and_exports_stream_guarded_csv() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let admin = app.token(Role::Admin).await;
    record_books(&app, &amil, &admin).await;

    let (kind, csv) = text(
        &app,
        &amil,
        &format!("/api/v1/reports/changes-in-funds?{P1}"),
        "text/csv",
    )
    .await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "key,row,zakat,infak_sedekah_restricted,infak_sedekah_unrestricted,amil,non_halal,wakaf,\
         wakaf_benefits,fidyah,kafarat,total"
    );
    assert!(csv.contains(
        "closing,Saldo akhir / closing balance,964375.00,300000.00,458502.50,230625.00,150000.00,\
         5000000.00,450000.00,90000.00,60000.00,7703502.50"
    ), "{csv}");
    assert!(
        csv.contains("amil_share,Bagian amil / amil share,-180625.00,"),
        "{csv}"
    );

    let (kind, html) = text(
        &app,
        &amil,
        &format!("/api/v1/reports/changes-in-funds?{P1}"),
        "text/html",
    )
    .await;
    assert_eq!(kind, "text/html; charset=utf-8");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("@media print"));
    assert!(html.contains("<td class=\"n\">964375.00</td>"));

    let (_, position) = text(
        &app,
        &amil,
        "/api/v1/reports/financial-position?to=2026-01-31",
        "text/csv",
    )
    .await;
    assert!(position.starts_with("section,account,campaign_id,balance\n"));
    assert!(position.contains("asset,cash,,695000.00\n"), "{position}");
    assert!(
        position.contains("total_funds,,,7703502.50\n"),
        "{position}"
    );
    let (_, collections) = text(
        &app,
        &amil,
        &format!("/api/v1/reports/collections?{P1}"),
        "text/csv",
    )
    .await;
    assert!(
        collections
            .starts_with("month,type,fund,campaign_id,count,amount,amil_share,reversed,net\n")
    );
    assert!(
        collections
            .contains("2026-01,zakat_maal,zakat,,1,1000000.00,125000.00,100000.00,900000.00\n")
    );
    let (_, paid) = text(
        &app,
        &amil,
        &format!("/api/v1/reports/distributions?{P1}"),
        "text/html",
    )
    .await;
    assert!(paid.contains("<td>Bantuan pangan, Demak</td>"));

    // Exports: the period filters, CSV quotes, formulas are defused.
    let (kind, donations) = text(
        &app,
        &amil,
        &format!("/api/v1/exports/donations.csv?{}", p2()),
        "*/*",
    )
    .await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(donations.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..4], ["receipt_number", "id", "received_on", "type"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{donations}");
    let note = header.iter().position(|h| h == "note").unwrap();
    let infak = rows.iter().find(|r| &r[3] == "infak").unwrap();
    assert_eq!(
        &infak[note],
        "'=HYPERLINK(\"http://evil.example\",\"klik\")"
    );
    assert!(donations.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"klik\"\")\""));
    let (_, january) = text(
        &app,
        &amil,
        &format!("/api/v1/exports/donations.csv?{P1}"),
        "text/csv",
    )
    .await;
    let mut reader = csv::Reader::from_reader(january.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 11);
    let status = 14;
    assert!(rows.iter().any(|r| &r[status] == "void"));
    assert!(rows.iter().any(|r| &r[status] == "partially_refunded"));

    let (_, distributions) = text(
        &app,
        &amil,
        &format!("/api/v1/exports/distributions.csv?{P1}"),
        "text/csv",
    )
    .await;
    let mut lines = distributions.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,distributed_on,fund,campaign_id,recipient_id,asnaf,purpose,program,amount,currency,method,note,recorded_by,recorded_at"
    );
    let row = lines.next().unwrap();
    assert!(row.contains(",2026-01-20,zakat,,"), "{row}");
    assert!(
        row.contains(",fakir,,\"Bantuan pangan, Demak\",300000.00,IDR,bank_transfer,"),
        "{row}"
    );
    assert_eq!(lines.next(), None);
    let (_, empty_year) = text(
        &app,
        &amil,
        "/api/v1/exports/distributions.csv?from=2025-01-01&to=2025-12-31",
        "text/csv",
    )
    .await;
    assert_eq!(empty_year.lines().count(), 1, "only the header");

    app.teardown().await;
}

#[tokio::test]
async fn every_role_reads_reports_and_bad_periods_name_their_field() {
    let app = TestApp::spawn().await;
    let paths = [
        format!("/api/v1/reports/changes-in-funds?{P1}"),
        "/api/v1/reports/financial-position?to=2026-01-31".to_owned(),
        format!("/api/v1/reports/collections?{P1}"),
        format!("/api/v1/reports/distributions?{P1}"),
        format!("/api/v1/exports/donations.csv?{P1}"),
        format!("/api/v1/exports/distributions.csv?{P1}"),
    ];
    for role in Role::ALL {
        let token = app.token(role).await;
        for path in &paths {
            assert_eq!(
                app.get_as(path, &token).await.status(),
                200,
                "{role} {path}"
            );
        }
    }
    for path in &paths {
        assert_eq!(app.get(path).await.status(), 401, "{path}");
    }
    let token = app.token(Role::Auditor).await;
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-31", "from"),
        ("from=2026-13-01&to=2026-01-31", "from"),
        ("from=2026-01-01", "to"),
        ("to=2026-01-31", "from"),
        ("from=2026-01-01&to=31-01-2026", "to"),
        ("from=2026-01-01&to=2999-01-01", "to"),
    ] {
        for report in ["changes-in-funds", "collections", "distributions"] {
            let response = app
                .get_as(&format!("/api/v1/reports/{report}?{query}"), &token)
                .await;
            assert_eq!(response.status(), 422, "{report}?{query}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["field"], field, "{report}?{query}: {problem}");
        }
        let response = app
            .get_as(&format!("/api/v1/exports/donations.csv?{query}"), &token)
            .await;
        assert_eq!(response.status(), 422, "export ?{query}");
    }
    let response = app
        .get_as("/api/v1/reports/financial-position?to=yesterday", &token)
        .await;
    assert_eq!(response.status(), 422);
    app.teardown().await;
}
