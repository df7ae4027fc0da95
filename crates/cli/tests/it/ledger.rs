//! The ledger through the API: donations and their funds, reversals, distributions and the
//! rules that refuse them, receipts, roles.

use domain::Role;
use serde_json::{Value, json};

use crate::support::TestApp;

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

fn donation(kind: &str, amount: &str) -> Value {
    json!({ "type": kind, "amount": amount, "currency": "IDR", "method": "bank_transfer",
            "received_on": today(), "anonymous": true })
}

#[tokio::test]
async fn a_zakat_donation_feeds_the_zakat_fund_and_moves_the_amil_share() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let body = json!({ "type": "zakat_maal", "amount": "2500000", "currency": "IDR", "method": "cash",
                       "received_on": today(), "donor": { "name": "Siti Aminah", "npwp": "01.234.567.8-901.000" },
                       "note": "zakat tahunan" });
    let recorded = app.donate(&amil, &body).await;
    let year = &today()[..4];
    assert_eq!(recorded["receipt_number"], format!("{year}-000001"));
    assert_eq!(recorded["fund"], "zakat");
    assert_eq!(recorded["status"], "recorded");
    assert_eq!(recorded["amount"], "2500000.00");
    assert_eq!(recorded["amil_share"], "312500.00");
    assert_eq!(recorded["anonymous"], false);
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "2187500.00");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "312500.00");

    let id = recorded["id"].as_str().unwrap();
    let shown: Value = app
        .get_as(&format!("/api/v1/donations/{id}"), &amil)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown, recorded);

    let infak = app.donate(&amil, &donation("infak", "100000")).await;
    assert_eq!(infak["fund"], "infak_sedekah_unrestricted");
    assert_eq!(infak["amil_share"], "0.00");
    assert_eq!(infak["receipt_number"], format!("{year}-000002"));

    let page: Value = app
        .get_as("/api/v1/donations?type=zakat_maal", &amil)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["donations"].as_array().unwrap().len(), 1);
    let page: Value = app
        .get_as("/api/v1/donations?limit=1", &amil)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["donations"][0]["receipt_number"],
        format!("{year}-000002")
    );
    let next = page["next_before"].as_str().unwrap();
    let page: Value = app
        .get_as(&format!("/api/v1/donations?limit=1&before={next}"), &amil)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["donations"][0]["receipt_number"],
        format!("{year}-000001")
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_amil_share_follows_the_setting_and_never_exceeds_one_eighth() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let too_much = app
        .client
        .put(app.url("/api/v1/settings/amil_share"))
        .bearer_auth(&admin)
        .json(&json!({ "percent": "12.6" }))
        .send()
        .await
        .unwrap();
    assert_eq!(too_much.status(), 422);
    let set = app
        .client
        .put(app.url("/api/v1/settings/amil_share"))
        .bearer_auth(&admin)
        .json(&json!({ "percent": "10" }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let recorded = app.donate(&admin, &donation("zakat_fitrah", "45000")).await;
    assert_eq!(recorded["amil_share"], "4500.00");
    let settings: Value = app
        .get_as("/api/v1/settings", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["amil_share_percent"], "10.00");
    app.teardown().await;
}

#[tokio::test]
async fn refunds_and_voids_reverse_the_donation_and_its_amil_share() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let recorded = app
        .donate(&amil, &donation("zakat_penghasilan", "1000000"))
        .await;
    let id = recorded["id"].as_str().unwrap();

    let refund = app
        .post(
            &format!("/api/v1/donations/{id}/refunds"),
            &amil,
            None,
            &json!({ "amount": "400000" }),
        )
        .await;
    assert_eq!(refund.status(), 201);
    let after: Value = refund.json().await.unwrap();
    assert_eq!(after["status"], "partially_refunded");
    assert_eq!(after["refunded_amount"], "400000.00");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "525000.00");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "75000.00");

    let too_much = app
        .post(
            &format!("/api/v1/donations/{id}/refunds"),
            &amil,
            None,
            &json!({ "amount": "600000.01" }),
        )
        .await;
    assert_eq!(too_much.status(), 422);
    let problem: Value = too_much.json().await.unwrap();
    assert_eq!(problem["field"], "amount");

    let void = app
        .post(
            &format!("/api/v1/donations/{id}/void"),
            &amil,
            None,
            &json!({ "reason": "recorded twice" }),
        )
        .await;
    assert_eq!(void.status(), 200);
    let voided: Value = void.json().await.unwrap();
    assert_eq!(voided["status"], "void");
    assert_eq!(
        voided["receipt_number"], recorded["receipt_number"],
        "a void keeps its receipt number"
    );
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "0.00");
    assert_eq!(app.fund_balance(&amil, "amil", None).await, "0.00");

    let again = app
        .post(
            &format!("/api/v1/donations/{id}/void"),
            &amil,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
    let next = app.donate(&amil, &donation("infak", "1000")).await;
    let serial = |v: &Value| {
        v["receipt_number"].as_str().unwrap()[5..]
            .parse::<u32>()
            .unwrap()
    };
    assert_eq!(
        serial(&next),
        serial(&recorded) + 1,
        "voided receipts keep their place in the series"
    );
    app.teardown().await;
}

#[tokio::test]
async fn distributions_follow_the_funds_table_and_never_overdraw() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let admin = app.token(Role::Admin).await;
    app.donate(&amil, &donation("zakat_maal", "1000000")).await;
    app.donate(&amil, &donation("non_halal", "50000")).await;
    let distribute = |fund: &str, asnaf: &str, amount: &str, campaign: Option<&str>| {
        json!({ "fund": fund, "asnaf": asnaf, "program": "Bantuan pangan", "amount": amount, "currency": "IDR",
                "recipient": { "name": "Ahmad", "nik": "3201234507890001" }, "campaign_id": campaign })
    };
    let paid = app
        .post(
            "/api/v1/distributions",
            &amil,
            None,
            &distribute("zakat", "fakir", "500000", None),
        )
        .await;
    assert_eq!(paid.status(), 201, "{}", paid.text().await.unwrap());
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "375000.00");

    let overdraw = app
        .post(
            "/api/v1/distributions",
            &amil,
            None,
            &distribute("zakat", "miskin", "375000.01", None),
        )
        .await;
    assert_eq!(overdraw.status(), 409);
    let problem: Value = overdraw.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:donation-platform:problem:insufficient-funds"
    );

    for (fund, asnaf, campaign, rule) in [
        ("zakat", "amil", None, "zakat-to-amil"),
        ("non_halal", "amil", None, "non-halal-public-use"),
        (
            "infak_sedekah_restricted",
            "fakir",
            None,
            "restricted-without-campaign",
        ),
    ] {
        let refused = app
            .post(
                "/api/v1/distributions",
                &amil,
                None,
                &distribute(fund, asnaf, "1000", campaign),
            )
            .await;
        assert_eq!(refused.status(), 422, "{fund} to {asnaf}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(
            problem["type"],
            format!("urn:donation-platform:problem:{rule}"),
            "{problem}"
        );
    }

    let campaign = app
        .post(
            "/api/v1/campaigns",
            &admin,
            None,
            &json!({ "name": "Banjir Demak", "purpose": "Flood relief" }),
        )
        .await;
    assert_eq!(campaign.status(), 201);
    let campaign: Value = campaign.json().await.unwrap();
    let campaign_id = campaign["id"].as_str().unwrap();
    let mut gift = donation("sedekah", "200000");
    gift["campaign_id"] = json!(campaign_id);
    let gift = app.donate(&amil, &gift).await;
    assert_eq!(gift["fund"], "infak_sedekah_restricted");
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_restricted", Some(campaign_id))
            .await,
        "200000.00"
    );
    let relief = app
        .post(
            "/api/v1/distributions",
            &amil,
            None,
            &distribute(
                "infak_sedekah_restricted",
                "ibnu_sabil",
                "150000",
                Some(campaign_id),
            ),
        )
        .await;
    assert_eq!(relief.status(), 201);
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_restricted", Some(campaign_id))
            .await,
        "50000.00"
    );
    app.teardown().await;
}

#[tokio::test]
async fn requests_need_a_token_and_the_right_role() {
    let app = TestApp::spawn().await;
    let auditor = app.token(Role::Auditor).await;
    let none = app
        .client
        .post(app.url("/api/v1/donations"))
        .json(&donation("infak", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = app
        .post(
            "/api/v1/donations",
            "dpt_not-a-token",
            Some("k"),
            &donation("infak", "1"),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let forbidden = app
        .post(
            "/api/v1/donations",
            &auditor,
            Some("k"),
            &donation("infak", "1"),
        )
        .await;
    assert_eq!(forbidden.status(), 403);
    assert_eq!(
        forbidden.headers()["content-type"],
        "application/problem+json"
    );
    let verify: Value = app
        .get_as("/api/v1/audit/verify", &auditor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
    app.teardown().await;
}

#[tokio::test]
async fn receipt_numbers_have_no_gaps_under_concurrent_recording() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let posts = (0..60).map(|i| {
        let app = &app;
        let amil = &amil;
        async move {
            app.donate(amil, &donation("sedekah", &format!("{}", 1000 + i)))
                .await
        }
    });
    let recorded = futures::future::join_all(posts).await;
    let mut serials: Vec<u32> = recorded
        .iter()
        .map(|d| d["receipt_number"].as_str().unwrap()[5..].parse().unwrap())
        .collect();
    serials.sort_unstable();
    assert_eq!(serials, (1..=60).collect::<Vec<_>>());
    app.teardown().await;
}
