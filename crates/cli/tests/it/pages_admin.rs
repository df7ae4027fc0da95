//! The register, campaign, settings and user pages: each form writes through the API's own
//! code (what the API then reports is what the form sent; the audit chain has the change), a
//! refused form comes back 422 with the API's message next to the field and what was typed
//! kept, a form posted twice files once, and each role sees and may do what the API lets it.

use domain::Role;
use serde_json::{Value, json};

use crate::support::pages::{Page, PageClient, TEST_PASSWORD};
use crate::support::{RawConnection, TestApp};

/// NIKs of a valid shape: Kota Bandung, born 17 August 1985, serials 1, 2, ….
fn nik(serial: u16) -> String {
    format!("3273011708850{serial:03}")
}

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

/// The message the page shows next to the field whose element id is `id`, if any.
fn field_error(page: &Page, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}-error\">");
    let at = page.body.find(&marker)? + marker.len();
    Some(page.body[at..].split('<').next()?.to_owned())
}

/// The id at the end of a redirect's path (`/staff/muzakki/{id}?filed=1`).
fn id_in(location: &str) -> String {
    location
        .split(['?', '#'])
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

/// How many audit entries record `action`.
async fn audited(app: &TestApp, action: &str) -> i64 {
    RawConnection::open(app.database_url())
        .await
        .count(&format!(
            "SELECT COUNT(*) FROM audit_entries WHERE action = '{action}'"
        ))
        .await
}

async fn api_get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app.get_as(path, token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The API's explanation of what is wrong with `field` in `body` posted to `path`.
async fn api_message(app: &TestApp, path: &str, token: &str, body: &Value, field: &str) -> String {
    let response = app.post(path, token, None, body).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["field"], field, "{problem}");
    problem["detail"]
        .as_str()
        .unwrap()
        .trim_start_matches(&format!("`{field}`: "))
        .to_owned()
}

#[tokio::test]
async fn a_muzakki_filed_through_the_form_gets_an_npwz_shown_on_their_page() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let form = amil.get("/staff/muzakki/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let key = form.input_value("idempotency_key").expect("a fresh key");
    let fields = [
        ("idempotency_key", key.as_str()),
        ("name", "Siti Aminah"),
        ("nik", &nik(1)),
        ("npwp", "01.234.567.8-901.000"),
        ("phone", "0812 3456 7890"),
        ("email", "siti@example.org"),
        ("address", ""),
    ];
    let filed = amil.post_form("/staff/muzakki", &fields).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let location = filed.location().to_owned();
    assert!(location.starts_with("/staff/muzakki/"), "{location}");
    let id = id_in(&location);

    let (status, donor) = api_get(&app, &format!("/api/v1/donors/{id}"), &token).await;
    assert_eq!(status, 200);
    let npwz = donor["npwz"]
        .as_str()
        .expect("an NPWZ was issued")
        .to_owned();
    assert!(npwz.parse::<domain::npwz::Npwz>().is_ok(), "{npwz}");
    assert_eq!(donor["personal_data"]["nik"], nik(1));
    assert_eq!(donor["personal_data"]["npwp"], "012345678901000");
    assert_eq!(donor["personal_data"]["address"], Value::Null);

    let page = amil.get(&location).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&npwz), "the NPWZ is shown");
    assert!(page.body.contains("Siti Aminah") && page.body.contains(&nik(1)));
    assert!(
        page.body.contains("NPWZ diterbitkan"),
        "the notice, in Indonesian"
    );
    let english = amil.get(&format!("/staff/muzakki/{id}?lang=en")).await;
    assert!(english.body.contains("<html lang=\"en\""));
    assert!(english.body.contains("Full name") && english.body.contains(&npwz));

    // The same form again (a double click, a reload): the same muzakki, not a second one.
    let again = amil.post_form("/staff/muzakki", &fields).await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(id_in(again.location()), id);
    let (_, found) = api_get(&app, &format!("/api/v1/donors?nik={}", nik(1)), &token).await;
    assert_eq!(found["donors"].as_array().unwrap().len(), 1, "{found}");

    // Found by name and by NPWZ; a donor who does not match is not listed.
    let other = amil
        .post_form("/staff/muzakki", &[("name", "Budi Santoso")])
        .await;
    assert_eq!(other.status, 303, "without a key too: {}", other.body);
    let by_name = amil.get("/staff/muzakki?name=aminah").await;
    assert!(by_name.body.contains("Siti Aminah") && !by_name.body.contains("Budi Santoso"));
    let by_npwz = amil.get(&format!("/staff/muzakki?npwz={npwz}")).await;
    assert!(by_npwz.body.contains("Siti Aminah") && !by_npwz.body.contains("Budi Santoso"));
    let everyone = amil.get("/staff/muzakki").await;
    assert!(everyone.body.contains("Siti Aminah") && everyone.body.contains("Budi Santoso"));
    app.teardown().await;
}

#[tokio::test]
async fn a_bad_nik_or_npwp_comes_back_422_named_at_its_field_with_the_form_kept() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    amil.get("/staff/muzakki/new").await;
    let refused = amil
        .post_form(
            "/staff/muzakki",
            &[("name", "Siti Aminah"), ("nik", "3273013208850001")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let expected = api_message(
        &app,
        "/api/v1/donors",
        &token,
        &json!({ "name": "Siti Aminah", "nik": "3273013208850001" }),
        "nik",
    )
    .await;
    assert_eq!(
        field_error(&refused, "donor-nik").as_deref(),
        Some(expected.as_str()),
        "the API's message, next to the NIK field"
    );
    assert!(field_error(&refused, "donor-name").is_none());
    assert!(refused.body.contains("aria-invalid=\"true\""));
    assert_eq!(refused.input_value("name").as_deref(), Some("Siti Aminah"));
    assert_eq!(
        refused.input_value("nik").as_deref(),
        Some("3273013208850001")
    );

    let npwp = amil
        .post_form(
            "/staff/muzakki",
            &[("name", "Siti Aminah"), ("npwp", "01.234.567.8-901.ABC")],
        )
        .await;
    assert_eq!(npwp.status, 422);
    assert!(field_error(&npwp, "donor-npwp").is_some(), "{}", npwp.body);
    let nameless = amil.post_form("/staff/muzakki", &[("name", "  ")]).await;
    assert_eq!(nameless.status, 422);
    assert!(field_error(&nameless, "donor-name").is_some());

    // Nothing was filed; a search by a bad NIK is refused at its field too.
    let (_, all) = api_get(&app, "/api/v1/donors", &token).await;
    assert_eq!(all["donors"], json!([]));
    let search = amil.get("/staff/muzakki?nik=123").await;
    assert_eq!(search.status, 422);
    assert!(
        field_error(&search, "search-nik").is_some(),
        "{}",
        search.body
    );
    app.teardown().await;
}

#[tokio::test]
async fn a_muzakki_is_changed_and_erased_and_an_auditor_sees_no_personal_data() {
    let app = TestApp::spawn().await;
    let (admin, _, admin_token) = PageClient::signed_in(&app, Role::Admin).await;
    let (amil, _, amil_token) = PageClient::signed_in(&app, Role::Amil).await;
    let (auditor, _, _) = PageClient::signed_in(&app, Role::Auditor).await;
    let donation = app
        .donate(
            &amil_token,
            &json!({ "type": "zakat_maal", "amount": "2500000", "currency": "IDR", "method": "cash",
                     "received_on": today(), "donor": { "name": "Siti Aminah", "phone": "0811" } }),
        )
        .await;
    let id = donation["donor_id"].as_str().unwrap().to_owned();
    let path = format!("/staff/muzakki/{id}");

    // The donation and the year's annual receipt are on the page.
    let page = amil.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(donation["receipt_number"].as_str().unwrap())
    );
    assert!(page.body.contains("Rp 2.500.000"), "{}", page.body);
    let year = &today()[..4];
    let receipt = amil.get(&format!("{path}/receipts/{year}")).await;
    assert_eq!(receipt.status, 200);
    assert!(receipt.body.contains("Siti Aminah"));
    assert_eq!(
        auditor.get(&format!("{path}/receipts/{year}")).await.status,
        403
    );

    // Changed: the phone replaced, an e-mail added; a field emptied is removed.
    let changed = amil
        .post_form(
            &path,
            &[
                ("name", "Siti Aminah"),
                ("phone", ""),
                ("email", "siti@example.org"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let (_, donor) = api_get(&app, &format!("/api/v1/donors/{id}"), &amil_token).await;
    assert_eq!(donor["personal_data"]["email"], "siti@example.org");
    assert_eq!(donor["personal_data"]["phone"], Value::Null);
    let unchanged = amil
        .post_form(
            &path,
            &[("name", "Siti Aminah"), ("email", "siti@example.org")],
        )
        .await;
    assert_eq!(unchanged.status, 422, "nothing to change");
    let bad = amil
        .post_form(
            &path,
            &[("name", "Siti Aminah"), ("email", "not-an-address")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(field_error(&bad, "edit-email").is_some(), "{}", bad.body);

    // An auditor: the NPWZ and the books, not the person.
    let seen = auditor.get(&path).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.contains(donor["npwz"].as_str().unwrap()));
    assert!(!seen.body.contains("Siti Aminah") && !seen.body.contains("siti@example.org"));
    assert!(!seen.body.contains("action=\"/staff/muzakki/"), "no forms");
    assert_eq!(auditor.get("/staff/muzakki?name=siti").await.status, 403);
    assert_eq!(auditor.get("/staff/muzakki/new").await.status, 403);
    assert_eq!(
        auditor
            .post_form("/staff/muzakki", &[("name", "X")])
            .await
            .status,
        403
    );
    assert_eq!(
        auditor
            .post_form(&path, &[("name", "Someone Else")])
            .await
            .status,
        403
    );

    // Erased by an admin only, and only once the box is ticked.
    assert_eq!(
        amil.post_form(&format!("{path}/erase"), &[("confirm", "yes")])
            .await
            .status,
        403
    );
    admin.get(&path).await;
    let unconfirmed = admin.post_form(&format!("{path}/erase"), &[]).await;
    assert_eq!(unconfirmed.status, 422);
    assert!(field_error(&unconfirmed, "erase-confirm").is_some());
    let erased = admin
        .post_form(&format!("{path}/erase"), &[("confirm", "yes")])
        .await;
    assert_eq!(erased.status, 303);
    let (_, donor) = api_get(&app, &format!("/api/v1/donors/{id}"), &admin_token).await;
    assert_eq!(donor["erased"], true);
    let page = admin.get(&path).await;
    assert!(!page.body.contains("Siti Aminah") && !page.body.contains("siti@example.org"));
    assert_eq!(audited(&app, "donor.erase").await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn a_mustahik_is_filed_with_asnaf_and_household_changed_and_erased() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    let form = admin.get("/staff/mustahik/new").await;
    assert_eq!(form.status, 200);
    let key = form.input_value("idempotency_key").unwrap();
    let fields = [
        ("idempotency_key", key.as_str()),
        ("name", "Pak Darto"),
        ("nik", &nik(7)),
        ("asnaf", "miskin"),
        ("household_size", "4"),
        ("eligibility_note", "Buruh harian, empat anak"),
    ];
    let filed = admin.post_form("/staff/mustahik", &fields).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let id = id_in(filed.location());
    assert_eq!(
        id_in(admin.post_form("/staff/mustahik", &fields).await.location()),
        id,
        "filed once"
    );
    let (_, recipient) = api_get(&app, &format!("/api/v1/recipients/{id}"), &token).await;
    assert_eq!(recipient["asnaf"], "miskin");
    assert_eq!(recipient["personal_data"]["household_size"], 4);
    let page = admin.get(&format!("/staff/mustahik/{id}?lang=en")).await;
    assert!(page.body.contains("Pak Darto") && page.body.contains("Miskin (poor)"));
    let listed = admin.get("/staff/mustahik?asnaf=miskin").await;
    assert!(listed.body.contains("Pak Darto"));
    let other = admin.get("/staff/mustahik?asnaf=fakir").await;
    assert!(!other.body.contains("Pak Darto"));

    for (size, why) in [("abc", "not a number"), ("120", "over 99")] {
        let refused = admin
            .post_form(
                "/staff/mustahik",
                &[("name", "Bu Sari"), ("household_size", size)],
            )
            .await;
        assert_eq!(refused.status, 422, "{why}");
        assert!(
            field_error(&refused, "recipient-household_size").is_some(),
            "{why}: {}",
            refused.body
        );
        assert_eq!(refused.input_value("name").as_deref(), Some("Bu Sari"));
    }

    let path = format!("/staff/mustahik/{id}");
    let changed = admin
        .post_form(
            &path,
            &[
                ("name", "Pak Darto"),
                ("nik", &nik(7)),
                ("asnaf", "fakir"),
                ("household_size", "5"),
                ("eligibility_note", "Buruh harian, empat anak"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let (_, recipient) = api_get(&app, &format!("/api/v1/recipients/{id}"), &token).await;
    assert_eq!(recipient["asnaf"], "fakir");
    assert_eq!(recipient["personal_data"]["household_size"], 5);

    let erased = admin
        .post_form(&format!("{path}/erase"), &[("confirm", "yes")])
        .await;
    assert_eq!(erased.status, 303);
    let (_, recipient) = api_get(&app, &format!("/api/v1/recipients/{id}"), &token).await;
    assert_eq!(recipient["erased"], true);
    assert_eq!(recipient["personal_data"]["eligibility_note"], Value::Null);
    app.teardown().await;
}

#[tokio::test]
async fn a_campaign_opened_through_the_form_takes_donations_for_its_purpose() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    let form = admin.get("/staff/campaigns/new").await;
    assert_eq!(form.status, 200);
    let key = form.input_value("idempotency_key").unwrap();
    let fields = [
        ("idempotency_key", key.as_str()),
        ("name", "Banjir Demak 2026"),
        ("purpose", "Bantuan darurat korban banjir"),
        ("allowed_asnaf", "fakir"),
        ("allowed_asnaf", "miskin"),
        ("amil_share_percent", "5"),
    ];
    let opened = admin.post_form("/staff/campaigns", &fields).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    let location = opened.location().to_owned();
    let id = location
        .split("opened=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let again = admin.post_form("/staff/campaigns", &fields).await;
    assert_eq!(again.location(), location, "opened once");

    // The API takes money for it, kept apart in its fund.
    app.donate(
        &token,
        &json!({ "type": "infak", "amount": "1000000", "currency": "IDR", "method": "cash",
                 "received_on": today(), "anonymous": true, "campaign_id": id }),
    )
    .await;
    assert_ne!(
        app.fund_balance(&token, "infak_sedekah_restricted", Some(&id))
            .await,
        "0.00"
    );

    // Public: its page for anyone, signed in or not.
    let public = PageClient::new(&app).get(&format!("/campaigns/{id}")).await;
    assert_eq!(public.status, 200, "{}", public.body);
    assert!(public.body.contains("Banjir Demak 2026"));
    assert!(public.body.contains("Bantuan darurat korban banjir"));

    let list = admin.get(&location).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body.matches("Banjir Demak 2026").count(),
        2,
        "named once in the notice, once in the list: {}",
        list.body
    );
    assert!(
        list.body.contains("Rp 1.000.000"),
        "collected: {}",
        list.body
    );
    assert!(
        list.body.contains("Rp 950.000"),
        "held, the 5 % amil share taken: {}",
        list.body
    );
    assert!(list.body.contains("Fakir, Miskin"));
    assert!(!list.body.contains("Gharimin"));
    let english = admin.get("/staff/campaigns?lang=en").await;
    assert!(english.body.contains("Rp 1,000,000") && english.body.contains("Collected"));

    assert_eq!(audited(&app, "campaign.create").await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn the_campaign_form_refuses_what_the_api_refuses_and_only_admins_open_one() {
    let app = TestApp::spawn().await;
    let admin = crate::support::pages::staff(&app, Role::Admin).await;
    admin.get("/staff/campaigns/new").await;
    let above = admin
        .post_form(
            "/staff/campaigns",
            &[
                ("name", "Qurban"),
                ("purpose", "Hewan qurban"),
                ("amil_share_percent", "25"),
            ],
        )
        .await;
    assert_eq!(above.status, 422);
    let message = field_error(&above, "campaign-amil_share_percent").unwrap();
    assert!(message.contains("Peraturan BAZNAS 1/2016"), "{message}");
    assert_eq!(above.input_value("name").as_deref(), Some("Qurban"));
    let amil_asnaf = admin
        .post_form(
            "/staff/campaigns",
            &[
                ("name", "Qurban"),
                ("purpose", "Hewan qurban"),
                ("allowed_asnaf", "amil"),
            ],
        )
        .await;
    assert_eq!(amil_asnaf.status, 422);
    assert!(
        field_error(&amil_asnaf, "campaign-allowed_asnaf").is_some(),
        "{}",
        amil_asnaf.body
    );

    let amil = crate::support::pages::staff(&app, Role::Amil).await;
    assert_eq!(amil.get("/staff/campaigns").await.status, 200);
    assert_eq!(amil.get("/staff/campaigns/new").await.status, 403);
    let refused = amil
        .post_form("/staff/campaigns", &[("name", "X"), ("purpose", "Y")])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(audited(&app, "campaign.create").await, 0, "nothing opened");
    app.teardown().await;
}

#[tokio::test]
async fn each_settings_form_changes_what_the_api_reports_and_is_audit_chained() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    let page = admin.get("/staff/settings").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let settings = || async { api_get(&app, "/api/v1/settings", &token).await.1 };
    let before = audited(&app, "setting.change").await;

    let saved = admin
        .post_form("/staff/settings/amil-share", &[("percent", "10")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(settings().await["amil_share_percent"], "10.00");
    let above = admin
        .post_form("/staff/settings/amil-share", &[("percent", "13")])
        .await;
    assert_eq!(above.status, 422);
    assert!(
        field_error(&above, "amil-share-percent")
            .unwrap()
            .contains("12.5"),
        "{}",
        above.body
    );
    assert_eq!(above.input_value("percent").as_deref(), Some("13"));
    assert_eq!(settings().await["amil_share_percent"], "10.00");

    let saved = admin
        .post_form("/staff/settings/amil-share-infak", &[("percent", "7.5")])
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(settings().await["amil_share_infak_percent"], "7.50");
    let saved = admin
        .post_form("/staff/settings/amil-shortfall", &[("value", "receivable")])
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(settings().await["amil_shortfall"], "receivable");
    let unknown = admin
        .post_form("/staff/settings/amil-shortfall", &[("value", "forgive")])
        .await;
    assert_eq!(unknown.status, 422);
    assert!(field_error(&unknown, "amil-shortfall-value").is_some());
    assert_eq!(audited(&app, "setting.change").await, before + 3);

    // The page shows what is in force.
    let page = admin.get("/staff/settings").await;
    assert!(
        page.body.contains("10 %") && page.body.contains("7,5 %"),
        "{}",
        page.body
    );
    let english = admin.get("/staff/settings?lang=en").await;
    assert!(
        english.body.contains("7.5 %") && english.body.contains("Book it as owed by the amil fund")
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_zakat_data_and_institution_forms_change_what_the_api_reports() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    admin.get("/staff/settings").await;

    // A gold price with its date and source: the calculator's data.
    let datum = [
        ("name", "gold_price_per_gram"),
        ("value", "1765432"),
        ("effective_from", &today()),
        ("source", "Harga buyback Antam (uji)"),
        ("region", ""),
        ("class", ""),
    ];
    let saved = admin.post_form("/staff/settings/zakat-data", &datum).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, data) = api_get(&app, "/api/v1/zakat/data", &token).await;
    assert!(
        data["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["value"] == "1765432.00"
                && row["source"] == "Harga buyback Antam (uji)"
                && row["effective_from"] == today().as_str()),
        "{data}"
    );
    assert_eq!(audited(&app, "zakat_data.create").await, 1);
    let bad = admin
        .post_form(
            "/staff/settings/zakat-data",
            &[
                ("name", "gold_price_per_gram"),
                ("value", "banyak"),
                ("effective_from", &today()),
                ("source", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        field_error(&bad, "zakat-data-value").is_some(),
        "{}",
        bad.body
    );

    // The institution profile, whose code starts every NPWZ issued afterwards.
    let profile = [
        ("name", "LAZ Amanah Umat"),
        ("licence_type", "laz_provincial"),
        ("licence_number", "KMA No. 333 Tahun 2015"),
        ("address", "Jl. Merdeka 1, Bandung"),
        ("officer_name", "H. Ahmad"),
        ("officer_title", "Kepala Bagian Pengumpulan"),
        ("code", "3173"),
    ];
    let saved = admin
        .post_form("/staff/settings/institution", &profile)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, institution) = api_get(&app, "/api/v1/settings/institution", &token).await;
    assert_eq!(institution["configured"], true);
    assert_eq!(institution["name"], "LAZ Amanah Umat");
    assert_eq!(institution["code"], "3173");
    assert_eq!(audited(&app, "institution.update").await, 1);
    let mut short_code = profile;
    short_code[6] = ("code", "12");
    let bad = admin
        .post_form("/staff/settings/institution", &short_code)
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        field_error(&bad, "institution-code").is_some(),
        "{}",
        bad.body
    );
    let filed = admin
        .post_form("/staff/muzakki", &[("name", "Siti Aminah")])
        .await;
    let (_, donor) = api_get(
        &app,
        &format!("/api/v1/donors/{}", id_in(filed.location())),
        &token,
    )
    .await;
    assert!(
        donor["npwz"].as_str().unwrap().starts_with("3173-"),
        "{donor}"
    );

    // The page shows what is in force.
    let page = admin.get("/staff/settings").await;
    assert!(page.body.contains("Rp 1.765.432") && page.body.contains("LAZ Amanah Umat"));
    app.teardown().await;
}

#[tokio::test]
async fn only_admins_change_settings_and_manage_users() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let auditor = crate::support::pages::staff(&app, Role::Auditor).await;
    let page = amil.get("/staff/settings").await;
    assert_eq!(
        page.status, 200,
        "reading is everyone's, as through the API"
    );
    assert!(!page.body.contains("action=\"/staff/settings/"), "no forms");
    for (path, field) in [
        ("/staff/settings/amil-share", ("percent", "1")),
        ("/staff/settings/amil-share-infak", ("percent", "1")),
        ("/staff/settings/amil-shortfall", ("value", "receivable")),
        ("/staff/settings/institution", ("name", "X")),
        ("/staff/settings/zakat-data", ("value", "1")),
    ] {
        assert_eq!(amil.post_form(path, &[field]).await.status, 403, "{path}");
        assert_eq!(
            auditor.post_form(path, &[field]).await.status,
            403,
            "{path}"
        );
    }
    let (_, settings) = api_get(&app, "/api/v1/settings", &token).await;
    assert_eq!(settings["amil_shortfall"], "refuse", "unchanged");
    for client in [&amil, &auditor] {
        assert_eq!(client.get("/staff/users").await.status, 403);
        assert_eq!(client.get("/staff/users/1").await.status, 403);
        let created = client
            .post_form(
                "/staff/users",
                &[
                    ("email", "x@example.org"),
                    ("role", "admin"),
                    ("password", TEST_PASSWORD),
                    ("password_again", TEST_PASSWORD),
                ],
            )
            .await;
        assert_eq!(created.status, 403);
        assert_eq!(
            client.post_form("/staff/users/1/disable", &[]).await.status,
            403
        );
    }
    assert_eq!(
        audited(&app, "user.create").await,
        2,
        "the two test users only"
    );
    app.teardown().await;
}

#[tokio::test]
async fn a_user_created_through_the_form_signs_in_and_disabling_them_ends_their_session() {
    let app = TestApp::spawn().await;
    let (admin, admin_email, _) = PageClient::signed_in(&app, Role::Admin).await;
    let list = admin.get("/staff/users").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&admin_email));
    let password = "a new password for Rina";
    let form = |email: &'static str, again: &'static str| {
        [
            ("email", email),
            ("role", "amil"),
            ("password", password),
            ("password_again", again),
        ]
    };
    for (fields, field) in [
        (
            form("rina@example.org", "another password entirely"),
            "password_again",
        ),
        (form("not an address", password), "email"),
        (
            [
                ("email", "rina@example.org"),
                ("role", "amil"),
                ("password", "short"),
                ("password_again", "short"),
            ],
            "password",
        ),
    ] {
        let refused = admin.post_form("/staff/users", &fields).await;
        assert_eq!(refused.status, 422, "{field}");
        assert!(
            field_error(&refused, &format!("user-{field}")).is_some(),
            "{field}: {}",
            refused.body
        );
        assert!(
            !refused.body.contains(password),
            "a password is never shown back"
        );
    }
    let created = admin
        .post_form("/staff/users", &form(" Rina@Example.org ", password))
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let path = created.location().split('?').next().unwrap().to_owned();
    let taken = admin
        .post_form("/staff/users", &form("rina@example.org", password))
        .await;
    assert_eq!(taken.status, 422);
    assert!(field_error(&taken, "user-email").is_some());

    let rina = PageClient::new(&app);
    assert_eq!(rina.sign_in("rina@example.org", password).await.status, 303);
    let dashboard = rina.get("/staff").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("rina@example.org"));

    let user_page = admin.get(&path).await;
    assert!(user_page.body.contains("rina@example.org"));
    let disabled = admin.post_form(&format!("{path}/disable"), &[]).await;
    assert_eq!(disabled.status, 303);
    let stopped = rina.get("/staff").await;
    assert_eq!(stopped.status, 303, "their session stopped at once");
    assert!(stopped.location().starts_with("/login"));
    assert_eq!(
        PageClient::new(&app)
            .sign_in("rina@example.org", password)
            .await
            .status,
        401
    );
    let enabled = admin.post_form(&format!("{path}/enable"), &[]).await;
    assert_eq!(enabled.status, 303);
    assert_eq!(
        rina.get("/staff").await.status,
        303,
        "enabled again, the old session stays ended"
    );
    let again = PageClient::new(&app);
    assert_eq!(
        again.sign_in("rina@example.org", password).await.status,
        303
    );
    assert_eq!(again.get("/staff").await.status, 200);
    assert_eq!(audited(&app, "user.disable").await, 1);
    assert_eq!(audited(&app, "user.enable").await, 1);
    assert_eq!(audited(&app, "session.end_all").await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves() {
    let app = TestApp::spawn().await;
    let (admin, admin_email, _) = PageClient::signed_in(&app, Role::Admin).await;
    let users = admin.get("/staff/users").await;
    let own = users
        .body
        .split("href=\"/staff/users/")
        .skip(1)
        .find(|row| row.contains(&admin_email))
        .and_then(|row| row.split('"').next())
        .unwrap()
        .to_owned();
    let page = admin.get(&format!("/staff/users/{own}")).await;
    assert!(!page.body.contains("/disable\""), "no button for it");
    let refused = admin
        .post_form(&format!("/staff/users/{own}/disable"), &[])
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        admin.get("/staff/users").await.status,
        200,
        "still signed in"
    );
    assert_eq!(audited(&app, "user.disable").await, 0);
    app.teardown().await;
}

#[tokio::test]
async fn a_token_is_shown_once_works_on_the_api_with_its_users_role_and_stops_when_revoked() {
    let app = TestApp::spawn().await;
    let (admin, _, _) = PageClient::signed_in(&app, Role::Admin).await;
    admin.get("/staff/users").await;
    let created = admin
        .post_form(
            "/staff/users",
            &[
                ("email", "script@example.org"),
                ("role", "auditor"),
                ("password", TEST_PASSWORD),
                ("password_again", TEST_PASSWORD),
            ],
        )
        .await;
    let path = created.location().split('?').next().unwrap().to_owned();
    admin.get(&path).await;
    let bad = admin
        .post_form(&format!("{path}/tokens"), &[("expires_in", "0m")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        field_error(&bad, "token-expires_in").is_some(),
        "{}",
        bad.body
    );

    let shown = admin
        .post_form(&format!("{path}/tokens"), &[("expires_in", "30d")])
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let marker = "<code id=\"new-token\">";
    let at = shown.body.find(marker).expect("the token is shown") + marker.len();
    let token = shown.body[at..].split('<').next().unwrap().to_owned();
    assert!(
        token.starts_with(domain::credentials::TOKEN_PREFIX),
        "{token}"
    );
    let page = admin.get(&path).await;
    assert!(!page.body.contains(&token), "shown once only");
    assert!(page.body.contains("/revoke\""), "listed, revocable");

    let (status, _) = api_get(&app, "/api/v1/settings", &token).await;
    assert_eq!(status, 200, "the token works");
    let forbidden = app
        .post(
            "/api/v1/campaigns",
            &token,
            None,
            &json!({ "name": "X", "purpose": "Y" }),
        )
        .await;
    assert_eq!(forbidden.status(), 403, "with its user's role (auditor)");

    let revoke = page
        .body
        .split("action=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|action| action.ends_with("/revoke"))
        .unwrap()
        .to_owned();
    assert_eq!(admin.post_form(&revoke, &[]).await.status, 303);
    let (status, _) = api_get(&app, "/api/v1/settings", &token).await;
    assert_eq!(status, 401, "revoked at once");
    assert_eq!(audited(&app, "token.revoke").await, 1);
    let page = admin.get(&path).await;
    assert!(!page.body.contains("/revoke\""), "nothing left to revoke");
    app.teardown().await;
}

#[tokio::test]
async fn every_admin_page_speaks_both_languages() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    let donation = app
        .donate(
            &token,
            &json!({ "type": "zakat_maal", "amount": "2500000", "currency": "IDR", "method": "cash",
                     "received_on": today(), "donor": { "name": "Siti Aminah" } }),
        )
        .await;
    let recipient: Value = app
        .post(
            "/api/v1/recipients",
            &token,
            None,
            &json!({ "name": "Pak Darto", "asnaf": "miskin" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let donor = donation["donor_id"].as_str().unwrap();
    let recipient = recipient["id"].as_str().unwrap();
    let pages = [
        ("/staff/users/1".to_owned(), "Token API", "API tokens"),
        (
            "/staff/muzakki".to_owned(),
            "Daftarkan muzaki",
            "File a muzakki",
        ),
        ("/staff/muzakki/new".to_owned(), "Nama lengkap", "Full name"),
        (
            format!("/staff/muzakki/{donor}"),
            "Ubah data",
            "Change the record",
        ),
        ("/staff/mustahik".to_owned(), "Semua asnaf", "Any asnaf"),
        (
            "/staff/mustahik/new".to_owned(),
            "Jumlah anggota keluarga",
            "Household size",
        ),
        (
            format!("/staff/mustahik/{recipient}"),
            "Penyaluran yang diterima",
            "Distributions received",
        ),
        (
            "/staff/campaigns".to_owned(),
            "Belum ada program",
            "No campaign has been opened yet",
        ),
        (
            "/staff/campaigns/new".to_owned(),
            "Buka program",
            "Open the campaign",
        ),
        (
            "/staff/settings".to_owned(),
            "Bagian amil dari zakat",
            "Amil share of zakat",
        ),
        ("/staff/users".to_owned(), "Buat pengguna", "Create a user"),
    ];
    for (path, indonesian, english) in &pages {
        for (lang, text, other) in [("id", indonesian, english), ("en", english, indonesian)] {
            let page = admin.get(&format!("{path}?lang={lang}")).await;
            assert_eq!(page.status, 200, "{path} {lang}");
            assert!(page.body.contains(&format!("<html lang=\"{lang}\"")));
            assert!(page.body.contains(*text), "{path} {lang}: {text}");
            assert!(!page.body.contains(*other), "{path} {lang}: not {other}");
            crate::pages::assert_a_whole_page_without_javascript(path, &page.body);
        }
    }
    app.teardown().await;
}
