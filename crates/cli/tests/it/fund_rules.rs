//! Issue 11's scenarios through the API: each way money could go where the law says it must
//! not is refused with a problem type naming the rule, or booked as `docs/BOOKS.md` says. Every
//! test runs on SQLite and, with `TEST_DATABASE_URL`, on PostgreSQL; the teardown checks that
//! the journal balances and that no fund and no asset is below zero.

use domain::Role;
use serde_json::{Value, json};

use crate::support::{RawConnection, TestApp};

const PROBLEM: &str = "urn:donation-platform:problem:";

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

/// An anonymous IDR donation.
fn gift(kind: &str, amount: &str, method: &str) -> Value {
    json!({ "type": kind, "amount": amount, "currency": "IDR", "method": method,
            "received_on": today(), "anonymous": true })
}

/// An anonymous IDR donation for a campaign.
fn gift_for(kind: &str, amount: &str, campaign: &str) -> Value {
    let mut body = gift(kind, amount, "bank_transfer");
    body["campaign_id"] = json!(campaign);
    body
}

/// A distribution to a new recipient of `asnaf`, paid by bank transfer.
fn to_asnaf(fund: &str, asnaf: &str, amount: &str) -> Value {
    json!({ "fund": fund, "asnaf": asnaf, "program": "Bantuan pangan", "amount": amount,
            "currency": "IDR", "recipient": { "name": "Ahmad" } })
}

/// A distribution of non-halal money to a public `purpose`.
fn to_purpose(purpose: &str, amount: &str) -> Value {
    json!({ "fund": "non_halal", "purpose": purpose, "program": "Jembatan desa", "amount": amount,
            "currency": "IDR", "recipient": { "name": "Pemerintah Desa Karanganyar" } })
}

/// `body` for campaign `id`.
fn for_campaign(body: Value, id: &str) -> Value {
    with(body, "campaign_id", id)
}

fn with(mut body: Value, field: &str, value: impl Into<Value>) -> Value {
    body[field] = value.into();
    body
}

/// Asserts a problem answer: `status` and the type naming `rule`; returns the problem.
async fn refused(response: reqwest::Response, status: u16, rule: &str) -> Value {
    assert_eq!(
        response.status(),
        status,
        "expected {status} {rule}, got {}",
        response.text().await.unwrap()
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], format!("{PROBLEM}{rule}"), "{problem}");
    assert_eq!(problem["status"], status, "{problem}");
    problem
}

/// Asserts `status` and returns the JSON body.
async fn accepted(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(
        response.status(),
        status,
        "{}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

async fn distribute(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post("/api/v1/distributions", token, None, body).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// Opens a campaign; returns its id.
async fn campaign(app: &TestApp, admin: &str, extra: &Value) -> String {
    let mut body = json!({ "name": "Banjir Demak", "purpose": "Bantuan korban banjir Demak" });
    for (field, value) in extra.as_object().unwrap() {
        body[field] = value.clone();
    }
    let opened = accepted(app.post("/api/v1/campaigns", admin, None, &body).await, 201).await;
    opened["id"].as_str().unwrap().to_owned()
}

/// `GET /api/v1/funds`.
async fn funds(app: &TestApp, token: &str) -> Value {
    accepted(app.get_as("/api/v1/funds", token).await, 200).await
}

/// What an asset account (`cash`, `bank`, `amil_share_receivable`) holds in IDR.
async fn asset(app: &TestApp, token: &str, account: &str) -> String {
    funds(app, token).await["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == account && a["currency"] == "IDR")
        .map_or_else(
            || "0.00".to_owned(),
            |a| a["balance"].as_str().unwrap().to_owned(),
        )
}

/// Fund balances (fund, campaign) in IDR and asset balances, to compare before and after a
/// refusal.
async fn snapshot(app: &TestApp, token: &str) -> Value {
    funds(app, token).await
}

#[tokio::test]
async fn s1_restricted_campaign_money_serves_its_purpose_never_the_amil() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;

    let demak = campaign(&app, &admin, &json!({})).await;
    let sedekah = app
        .donate(&amil, &gift_for("sedekah", "300000", &demak))
        .await;
    assert_eq!(sedekah["fund"], "infak_sedekah_restricted");
    assert_eq!(sedekah["amil_share"], "0.00", "the campaign takes no share");
    let before = snapshot(&app, &amil).await;

    let to_amil = for_campaign(
        to_asnaf("infak_sedekah_restricted", "amil", "300000"),
        &demak,
    );
    refused(
        distribute(&app, &amil, &to_amil).await,
        422,
        "amil-share-only-at-receipt",
    )
    .await;
    refused(
        distribute(
            &app,
            &amil,
            &to_asnaf("infak_sedekah_restricted", "fakir", "300000"),
        )
        .await,
        422,
        "restricted-without-campaign",
    )
    .await;
    assert_eq!(snapshot(&app, &amil).await, before, "nothing was booked");

    // A campaign that feeds the poor only: its money pays nobody else.
    let food = campaign(
        &app,
        &admin,
        &json!({ "name": "Pangan Demak", "allowed_asnaf": ["fakir", "miskin"] }),
    )
    .await;
    app.donate(&amil, &gift_for("infak", "100000", &food)).await;
    let problem = refused(
        distribute(
            &app,
            &amil,
            &for_campaign(
                to_asnaf("infak_sedekah_restricted", "gharimin", "100000"),
                &food,
            ),
        )
        .await,
        422,
        "campaign-purpose",
    )
    .await;
    assert_eq!(problem["field"], "asnaf");

    accepted(
        distribute(
            &app,
            &amil,
            &for_campaign(
                to_asnaf("infak_sedekah_restricted", "fakir", "300000"),
                &demak,
            ),
        )
        .await,
        201,
    )
    .await;
    accepted(
        distribute(
            &app,
            &amil,
            &for_campaign(
                to_asnaf("infak_sedekah_restricted", "miskin", "100000"),
                &food,
            ),
        )
        .await,
        201,
    )
    .await;
    for id in [&demak, &food] {
        assert_eq!(
            app.fund_balance(&amil, "infak_sedekah_restricted", Some(id))
                .await,
            "0.00"
        );
    }
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "0.00");
    app.teardown().await;
}

#[tokio::test]
async fn s2_wakaf_principal_is_kept_and_only_its_benefits_are_distributed() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let wakaf = app
        .donate(&amil, &gift("wakaf", "2000000", "bank_transfer"))
        .await;
    assert_eq!(wakaf["fund"], "wakaf");
    assert_eq!(wakaf["amil_share"], "0.00");

    let problem = refused(
        distribute(&app, &amil, &to_asnaf("wakaf", "fakir", "2000000")).await,
        422,
        "wakaf-principal",
    )
    .await;
    assert_eq!(problem["field"], "fund");
    assert_eq!(app.fund_balance(&amil, "wakaf", None).await, "2000000.00");

    let benefit = |percent: Option<&str>| {
        let mut body = json!({ "amount": "500000", "method": "bank_transfer", "received_on": today(),
                               "source": "Sewa ruko wakaf Jl. Pemuda" });
        if let Some(percent) = percent {
            body["nazhir_share_percent"] = json!(percent);
        }
        body
    };
    let problem = refused(
        app.post(
            "/api/v1/wakaf/benefits",
            &amil,
            None,
            &benefit(Some("10.01")),
        )
        .await,
        422,
        "share-above-cap",
    )
    .await;
    assert_eq!(problem["field"], "nazhir_share_percent");
    refused(
        app.post(
            "/api/v1/wakaf/benefits",
            &amil,
            None,
            &with(benefit(None), "currency", "USD"),
        )
        .await,
        422,
        "not-in-rupiah",
    )
    .await;

    let recorded = accepted(
        app.post("/api/v1/wakaf/benefits", &amil, None, &benefit(Some("10")))
            .await,
        201,
    )
    .await;
    assert_eq!(recorded["amount"], "500000.00");
    assert_eq!(recorded["nazhir_share"], "50000.00");
    assert_eq!(recorded["distributable"], "450000.00");
    assert_eq!(
        app.fund_balance(&amil, "wakaf_benefits", None).await,
        "450000.00"
    );
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "50000.00");

    // The benefits pay the asnaf, never the nazhir beyond its share.
    refused(
        distribute(&app, &amil, &to_asnaf("wakaf_benefits", "amil", "1000")).await,
        422,
        "amil-share-only-at-receipt",
    )
    .await;
    refused(
        distribute(
            &app,
            &amil,
            &to_asnaf("wakaf_benefits", "fakir", "450000.01"),
        )
        .await,
        409,
        "insufficient-funds",
    )
    .await;
    accepted(
        distribute(&app, &amil, &to_asnaf("wakaf_benefits", "fakir", "450000")).await,
        201,
    )
    .await;
    assert_eq!(
        app.fund_balance(&amil, "wakaf_benefits", None).await,
        "0.00"
    );
    assert_eq!(
        app.fund_balance(&amil, "wakaf", None).await,
        "2000000.00",
        "the principal is untouched"
    );
    assert_eq!(asset(&app, &amil, "bank").await, "2050000.00");
    app.teardown().await;
}

#[tokio::test]
async fn s3_infak_pays_the_amil_only_through_its_capped_share_at_receipt() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let first = app
        .donate(&amil, &gift("infak", "500000", "bank_transfer"))
        .await;
    assert_eq!(first["amil_share"], "0.00", "no share by default");
    refused(
        distribute(
            &app,
            &amil,
            &to_asnaf("infak_sedekah_unrestricted", "amil", "500000"),
        )
        .await,
        422,
        "amil-share-only-at-receipt",
    )
    .await;

    let settings = accepted(app.get_as("/api/v1/settings", &admin).await, 200).await;
    assert_eq!(settings["amil_share_infak_percent"], "0.00");
    for above in ["20.01", "25", "100"] {
        let problem = refused(
            put(
                &app,
                &admin,
                "/api/v1/settings/amil_share_infak",
                &json!({ "percent": above }),
            )
            .await,
            422,
            "share-above-cap",
        )
        .await;
        assert_eq!(problem["field"], "percent");
    }
    let set = accepted(
        put(
            &app,
            &admin,
            "/api/v1/settings/amil_share_infak",
            &json!({ "percent": "20" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(set["amil_share_infak_percent"], "20.00");
    assert_eq!(
        set["amil_share_percent"], "12.50",
        "the zakat share is its own"
    );

    let second = app
        .donate(&amil, &gift("sedekah", "250000", "bank_transfer"))
        .await;
    assert_eq!(second["amil_share"], "50000.00");
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_unrestricted", None)
            .await,
        "700000.00",
        "the earlier gift keeps its whole amount"
    );
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "50000.00");

    // A campaign's share is its own (capped the same: a test of its own below).
    let demak = campaign(&app, &admin, &json!({ "amil_share_percent": "5" })).await;
    let restricted = app
        .donate(&amil, &gift_for("infak", "100000", &demak))
        .await;
    assert_eq!(restricted["amil_share"], "5000.00");
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_restricted", Some(&demak))
            .await,
        "95000.00"
    );
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "55000.00");
    app.teardown().await;
}

#[tokio::test]
async fn s4_no_payment_from_the_cash_box_beyond_what_it_holds() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    app.donate(&amil, &gift("zakat_maal", "1000000", "bank_transfer"))
        .await;
    app.donate(&amil, &gift("infak", "188000", "cash")).await;
    assert_eq!(asset(&app, &amil, "cash").await, "188000.00");
    let before = snapshot(&app, &amil).await;

    let in_cash = with(to_asnaf("zakat", "fakir", "500000"), "method", "cash");
    let problem = refused(
        distribute(&app, &amil, &in_cash).await,
        409,
        "insufficient-cash",
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("asset:cash") && detail.contains("188000.00"),
        "{detail}"
    );
    assert_eq!(snapshot(&app, &amil).await, before, "nothing was booked");

    // The bank holds it: paid from there.
    accepted(
        distribute(
            &app,
            &amil,
            &with(
                to_asnaf("zakat", "fakir", "500000"),
                "method",
                "bank_transfer",
            ),
        )
        .await,
        201,
    )
    .await;
    // The bank cannot pay more than it holds either: spend what it holds, then try.
    accepted(
        distribute(&app, &amil, &to_asnaf("zakat", "miskin", "375000")).await,
        201,
    )
    .await;
    accepted(
        distribute(&app, &amil, &to_asnaf("amil", "amil", "125000")).await,
        201,
    )
    .await;
    assert_eq!(asset(&app, &amil, "bank").await, "0.00");
    let by_qris = with(
        to_asnaf("infak_sedekah_unrestricted", "miskin", "1000"),
        "method",
        "qris",
    );
    let problem = refused(
        distribute(&app, &amil, &by_qris).await,
        409,
        "insufficient-cash",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("asset:bank"),
        "{problem}"
    );
    // The whole cash box can go.
    accepted(
        distribute(
            &app,
            &amil,
            &with(
                to_asnaf("infak_sedekah_unrestricted", "miskin", "188000"),
                "method",
                "cash",
            ),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(asset(&app, &amil, "cash").await, "0.00");
    assert_eq!(asset(&app, &amil, "bank").await, "0.00");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "0.00");
    app.teardown().await;
}

#[tokio::test]
async fn s5_non_halal_money_pays_public_uses_never_worship_nor_the_amil() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let interest = app
        .donate(&amil, &gift("non_halal", "1000000", "bank_transfer"))
        .await;
    assert_eq!(interest["fund"], "non_halal");
    assert_eq!(interest["amil_share"], "0.00");

    let mosque = json!({ "fund": "non_halal", "asnaf": "fi_sabilillah", "program": "Renovasi masjid",
                         "amount": "1000000", "currency": "IDR", "recipient": { "name": "DKM Al-Ikhlas" } });
    let problem = refused(
        distribute(&app, &amil, &mosque).await,
        422,
        "non-halal-public-use",
    )
    .await;
    assert_eq!(problem["field"], "purpose");
    refused(
        distribute(&app, &amil, &to_asnaf("non_halal", "amil", "1000")).await,
        422,
        "non-halal-public-use",
    )
    .await;
    refused(
        distribute(
            &app,
            &amil,
            &with(to_purpose("public_facilities", "1000"), "asnaf", "fakir"),
        )
        .await,
        422,
        "non-halal-public-use",
    )
    .await;
    // Worship is no public purpose the API knows: the value itself is refused.
    for worship in ["worship", "mosque", "ibadah"] {
        let problem = refused(
            distribute(&app, &amil, &to_purpose(worship, "1000")).await,
            422,
            "invalid-field",
        )
        .await;
        assert_eq!(problem["field"], "purpose", "{problem}");
    }
    // A purpose is for non-halal money only.
    refused(
        distribute(
            &app,
            &amil,
            &with(
                with(to_purpose("health", "1000"), "fund", "zakat"),
                "asnaf",
                Value::Null,
            ),
        )
        .await,
        422,
        "asnaf-required",
    )
    .await;
    assert_eq!(
        app.fund_balance(&amil, "non_halal", None).await,
        "1000000.00"
    );

    let paid = accepted(
        distribute(&app, &amil, &to_purpose("public_facilities", "600000")).await,
        201,
    )
    .await;
    assert_eq!(paid["purpose"], "public_facilities");
    assert_eq!(paid["asnaf"], Value::Null);
    accepted(
        distribute(&app, &amil, &to_purpose("disaster_relief", "400000")).await,
        201,
    )
    .await;
    assert_eq!(app.fund_balance(&amil, "non_halal", None).await, "0.00");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "0.00");
    app.teardown().await;
}

#[tokio::test]
async fn s6_a_void_whose_amil_share_was_spent_is_refused_or_booked_as_owed() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    app.donate(&amil, &gift("infak", "1000000", "bank_transfer"))
        .await;
    let zakat = app
        .donate(&amil, &gift("zakat_maal", "1000000", "bank_transfer"))
        .await;
    assert_eq!(zakat["amil_share"], "125000.00");
    accepted(
        distribute(&app, &amil, &to_asnaf("amil", "amil", "100000")).await,
        201,
    )
    .await;
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "25000.00");
    let settings = accepted(app.get_as("/api/v1/settings", &admin).await, 200).await;
    assert_eq!(settings["amil_shortfall"], "refuse", "the default");

    let void = format!("/api/v1/donations/{}/void", zakat["id"].as_str().unwrap());
    let reason = json!({ "reason": "transfer bounced" });
    let before = snapshot(&app, &amil).await;
    let problem = refused(
        app.post(&void, &amil, None, &reason).await,
        409,
        "amil-share-spent",
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("25000.00") && detail.contains("125000.00"),
        "the refusal names what the amil holds and must give back: {detail}"
    );
    assert_eq!(snapshot(&app, &amil).await, before, "nothing was booked");

    refused(
        put(
            &app,
            &admin,
            "/api/v1/settings/amil_shortfall",
            &json!({ "value": "forgive" }),
        )
        .await,
        422,
        "invalid-field",
    )
    .await;
    let set = accepted(
        put(
            &app,
            &admin,
            "/api/v1/settings/amil_shortfall",
            &json!({ "value": "receivable" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(set["amil_shortfall"], "receivable");

    let voided = accepted(app.post(&void, &amil, None, &reason).await, 200).await;
    assert_eq!(voided["status"], "void");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "0.00");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "0.00");
    assert_eq!(
        asset(&app, &amil, "amil_share_receivable").await,
        "100000.00",
        "what the amil spent is owed back"
    );
    assert_eq!(asset(&app, &amil, "bank").await, "900000.00");
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_unrestricted", None)
            .await,
        "1000000.00"
    );

    let recorded = RawConnection::open(app.database_url())
        .await
        .count(
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'donation.void' \
             AND payload LIKE '%\"receivable_minor\":10000000%'",
        )
        .await;
    assert_eq!(recorded, 1, "the void's audit entry records the receivable");
    app.teardown().await;
}

#[tokio::test]
async fn s7_the_amil_share_is_whole_rupiah_rounded_down_and_the_fund_keeps_the_sen() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let odd = app
        .donate(&amil, &gift("zakat_maal", "250001", "bank_transfer"))
        .await;
    assert_eq!(odd["amil_share"], "31250.00", "12.5 % is 31,250.125");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "218751.00");
    let sen = app
        .donate(
            &amil,
            &gift("zakat_penghasilan", "250001.99", "bank_transfer"),
        )
        .await;
    assert_eq!(sen["amil_share"], "31250.00", "12.5 % is 31,250.24875");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "437502.99");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "62500.00");

    accepted(
        put(
            &app,
            &admin,
            "/api/v1/settings/amil_share_infak",
            &json!({ "percent": "20" }),
        )
        .await,
        200,
    )
    .await;
    let infak = app.donate(&amil, &gift("infak", "1000.55", "cash")).await;
    assert_eq!(infak["amil_share"], "200.00", "20 % is 200.11");
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_unrestricted", None)
            .await,
        "800.55"
    );
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "62700.00");
    app.teardown().await;
}

#[tokio::test]
async fn s8_a_foreign_gift_is_booked_in_rupiah_at_its_rate_and_keeps_its_amount() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let usd = json!({ "type": "zakat_maal", "amount": "100.00", "currency": "USD",
                      "method": "bank_transfer", "received_on": today(), "anonymous": true });
    let problem = refused(
        app.post("/api/v1/donations", &amil, Some("usd-no-rate"), &usd)
            .await,
        422,
        "rate-to-idr",
    )
    .await;
    assert_eq!(problem["field"], "rate_to_idr");
    refused(
        app.post(
            "/api/v1/donations",
            &amil,
            Some("idr-with-rate"),
            &with(gift("zakat_maal", "100000", "cash"), "rate_to_idr", "1"),
        )
        .await,
        422,
        "rate-to-idr",
    )
    .await;
    let problem = refused(
        app.post(
            "/api/v1/donations",
            &amil,
            Some("usd-bad-rate"),
            &with(usd.clone(), "rate_to_idr", "-15850"),
        )
        .await,
        422,
        "invalid-field",
    )
    .await;
    assert_eq!(problem["field"], "rate_to_idr");

    let recorded = app
        .donate(&amil, &with(usd, "rate_to_idr", "15850.25"))
        .await;
    assert_eq!(recorded["amount"], "100.00");
    assert_eq!(recorded["currency"], "USD");
    assert_eq!(recorded["rate_to_idr"], "15850.25");
    assert_eq!(recorded["amount_booked"], "1585025.00");
    assert_eq!(recorded["booked_currency"], "IDR");
    assert_eq!(
        recorded["amil_share"], "198128.00",
        "12.5 % of Rp 1,585,025, whole rupiah"
    );
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "1386897.00");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "198128.00");
    assert_eq!(asset(&app, &amil, "bank").await, "1585025.00");
    let all = funds(&app, &amil).await;
    assert!(
        all["funds"]
            .as_array()
            .unwrap()
            .iter()
            .chain(all["assets"].as_array().unwrap())
            .all(|row| row["currency"] == "IDR"),
        "the books hold rupiah only: {all}"
    );

    // Refunding half gives back half of what was booked, and of the share.
    let id = recorded["id"].as_str().unwrap();
    let after = accepted(
        app.post(
            &format!("/api/v1/donations/{id}/refunds"),
            &amil,
            None,
            &json!({ "amount": "50.00" }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(after["refunded_amount"], "50.00");
    assert_eq!(after["currency"], "USD");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "693448.50");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "99064.00");
    assert_eq!(asset(&app, &amil, "bank").await, "792512.50");
    let shown = accepted(
        app.get_as(&format!("/api/v1/donations/{id}"), &amil).await,
        200,
    )
    .await;
    assert_eq!(shown["amount"], "100.00");
    assert_eq!(shown["amount_booked"], "1585025.00");
    app.teardown().await;
}

#[tokio::test]
async fn s9_zakat_for_a_campaign_is_restricted_to_that_campaigns_asnaf() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let debts = campaign(
        &app,
        &admin,
        &json!({ "name": "Lunas Utang Petani", "purpose": "Melunasi utang petani gagal panen",
                 "allowed_asnaf": ["fakir", "gharimin"] }),
    )
    .await;
    let given = app
        .donate(&amil, &gift_for("zakat_maal", "1000000", &debts))
        .await;
    assert_eq!(given["fund"], "zakat");
    assert_eq!(given["campaign_id"], debts.as_str());
    assert_eq!(given["amil_share"], "125000.00", "zakat's own share");
    app.donate(&amil, &gift("zakat_fitrah", "100000", "bank_transfer"))
        .await;
    assert_eq!(
        app.fund_balance(&amil, "zakat", Some(&debts)).await,
        "875000.00"
    );
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "87500.00");
    let before = snapshot(&app, &amil).await;

    // The general zakat fund cannot spend it.
    refused(
        distribute(&app, &amil, &to_asnaf("zakat", "gharimin", "87500.01")).await,
        409,
        "insufficient-funds",
    )
    .await;
    let campaign_zakat =
        |asnaf: &str, amount: &str| for_campaign(to_asnaf("zakat", asnaf, amount), &debts);
    let problem = refused(
        distribute(&app, &amil, &campaign_zakat("miskin", "1000")).await,
        422,
        "campaign-purpose",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("`gharimin`"),
        "{problem}"
    );
    refused(
        distribute(&app, &amil, &campaign_zakat("amil", "1000")).await,
        422,
        "zakat-to-amil",
    )
    .await;
    refused(
        distribute(&app, &amil, &campaign_zakat("gharimin", "875000.01")).await,
        409,
        "insufficient-funds",
    )
    .await;
    assert_eq!(snapshot(&app, &amil).await, before, "nothing was booked");

    accepted(
        distribute(&app, &amil, &campaign_zakat("gharimin", "875000")).await,
        201,
    )
    .await;
    assert_eq!(app.fund_balance(&amil, "zakat", Some(&debts)).await, "0.00");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "87500.00");
    app.teardown().await;
}

#[tokio::test]
async fn fidyah_and_kafarat_have_their_own_funds_and_feed_only_the_poor() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let fidyah = app.donate(&amil, &gift("fidyah", "300000", "cash")).await;
    assert_eq!(fidyah["fund"], "fidyah");
    assert_eq!(fidyah["amil_share"], "0.00");
    let kafarat = app.donate(&amil, &gift("kafarat", "200000", "cash")).await;
    assert_eq!(kafarat["fund"], "kafarat");
    assert_eq!(kafarat["amil_share"], "0.00");
    assert_eq!(app.fund_balance(&amil, "fidyah", None).await, "300000.00");
    assert_eq!(app.fund_balance(&amil, "kafarat", None).await, "200000.00");

    for (fund, asnaf) in [
        ("fidyah", "gharimin"),
        ("fidyah", "amil"),
        ("kafarat", "ibnu_sabil"),
        ("kafarat", "amil"),
    ] {
        let problem = refused(
            distribute(
                &app,
                &amil,
                &with(to_asnaf(fund, asnaf, "1000"), "method", "cash"),
            )
            .await,
            422,
            "fakir-miskin-only",
        )
        .await;
        assert_eq!(problem["field"], "asnaf", "{fund} to {asnaf}");
    }
    accepted(
        distribute(
            &app,
            &amil,
            &with(to_asnaf("fidyah", "fakir", "300000"), "method", "cash"),
        )
        .await,
        201,
    )
    .await;
    accepted(
        distribute(
            &app,
            &amil,
            &with(to_asnaf("kafarat", "miskin", "200000"), "method", "cash"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(app.fund_balance(&amil, "fidyah", None).await, "0.00");
    assert_eq!(app.fund_balance(&amil, "kafarat", None).await, "0.00");

    app.teardown().await;
}

#[tokio::test]
async fn fidyah_and_kafarat_for_a_campaign_need_one_that_feeds_the_poor() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let debts = campaign(
        &app,
        &admin,
        &json!({ "name": "Lunas Utang", "allowed_asnaf": ["gharimin", "ibnu_sabil"] }),
    )
    .await;
    for kind in ["fidyah", "kafarat"] {
        let problem = refused(
            app.post(
                "/api/v1/donations",
                &amil,
                Some(&format!("{kind}-for-debts")),
                &gift_for(kind, "65000", &debts),
            )
            .await,
            422,
            "campaign-cannot-spend",
        )
        .await;
        assert_eq!(problem["field"], "campaign_id");
    }
    let hunger = campaign(
        &app,
        &admin,
        &json!({ "name": "Lapar Ramadan", "allowed_asnaf": ["miskin", "ibnu_sabil"] }),
    )
    .await;
    let given = app
        .donate(&amil, &gift_for("fidyah", "65000", &hunger))
        .await;
    assert_eq!(given["fund"], "fidyah");
    assert_eq!(
        app.fund_balance(&amil, "fidyah", Some(&hunger)).await,
        "65000.00"
    );
    let for_hunger = |asnaf: &str| for_campaign(to_asnaf("fidyah", asnaf, "65000"), &hunger);
    refused(
        distribute(&app, &amil, &for_hunger("ibnu_sabil")).await,
        422,
        "fakir-miskin-only",
    )
    .await;
    refused(
        distribute(&app, &amil, &for_hunger("fakir")).await,
        422,
        "campaign-purpose",
    )
    .await;
    accepted(distribute(&app, &amil, &for_hunger("miskin")).await, 201).await;
    assert_eq!(
        app.fund_balance(&amil, "fidyah", Some(&hunger)).await,
        "0.00"
    );
    app.teardown().await;
}

#[tokio::test]
async fn a_campaign_never_names_the_amil_and_its_share_stays_under_the_infak_cap() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let open = |body: Value| {
        let app = &app;
        let admin = &admin;
        async move { app.post("/api/v1/campaigns", admin, None, &body).await }
    };
    for allowed in [json!(["fakir", "amil"]), json!([])] {
        let problem = refused(
            open(
                json!({ "name": "Operasional", "purpose": "Gaji amil", "allowed_asnaf": allowed }),
            )
            .await,
            422,
            "campaign-asnaf",
        )
        .await;
        assert_eq!(problem["field"], "allowed_asnaf");
    }
    for above in ["20.01", "25", "100"] {
        let problem = refused(
            open(json!({ "name": "Banjir Demak", "purpose": "Bantuan banjir", "amil_share_percent": above })).await,
            422,
            "share-above-cap",
        )
        .await;
        assert_eq!(problem["field"], "amil_share_percent");
    }
    let opened = accepted(
        open(
            json!({ "name": "Banjir Demak", "purpose": "Bantuan banjir", "amil_share_percent": "20",
                     "allowed_asnaf": ["fakir", "miskin"] }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(opened["amil_share_percent"], "20.00");
    assert_eq!(opened["allowed_asnaf"], json!(["fakir", "miskin"]));
    let default = accepted(
        open(json!({ "name": "Masjid", "purpose": "Umum" })).await,
        201,
    )
    .await;
    assert_eq!(default["amil_share_percent"], "0.00");
    assert_eq!(
        default["allowed_asnaf"],
        json!([
            "fakir",
            "miskin",
            "mualaf",
            "riqab",
            "gharimin",
            "fi_sabilillah",
            "ibnu_sabil"
        ]),
        "every asnaf but the amil"
    );
    app.teardown().await;
}
