//! The donation and distribution pages: recording through the forms (once, however often the
//! form is sent), the problems shown at their fields, voids and refunds, the receipt, the
//! search, what an auditor may not do, and both languages.

use domain::Role;
use serde_json::{Value, json};

use crate::pages::assert_a_whole_page_without_javascript;
use crate::support::pages::{Page, PageClient};
use crate::support::{RawConnection, TestApp};

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

async fn stored(app: &TestApp, table: &str) -> i64 {
    RawConnection::open(app.database_url())
        .await
        .count(&format!("SELECT COUNT(*) FROM {table}"))
        .await
}

/// Every value of the inputs named `name` on the page, in order.
fn input_values(page: &Page, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\"");
    page.body
        .match_indices(&marker)
        .filter_map(|(at, _)| {
            let end = page.body[at..].find('>')? + at;
            let tag = &page.body[at..end];
            Some(tag.split("value=\"").nth(1)?.split('"').next()?.to_owned())
        })
        .collect()
}

/// The fields of a new zakat donation from a new donor, as a clerk fills the form in.
fn zakat_form(key: &str, amount: &str, name: &str) -> Vec<(&'static str, String)> {
    [
        ("idempotency_key", key),
        ("type", "zakat_maal"),
        ("campaign_id", ""),
        ("amount", amount),
        ("currency", "IDR"),
        ("rate_to_idr", ""),
        ("method", "cash"),
        ("received_on", &today()),
        ("donor", "new"),
        ("donor_name", name),
        ("donor_nik", ""),
        ("donor_npwp", ""),
        ("donor_phone", "0812 3456 789"),
        ("donor_email", ""),
        ("donor_address", ""),
        ("donor_id", ""),
        ("note", "counter 2"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

/// Posts owned form fields (with the CSRF token of the last page).
async fn post(client: &PageClient, path: &str, fields: &[(&str, String)]) -> Page {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    client.post_form(path, &fields).await
}

/// The fields of a distribution from the zakat fund, in cash, to the miskin `recipient` on file.
fn zakat_distribution(key: &str, recipient: &str, amount: &str) -> Vec<(&'static str, String)> {
    [
        ("idempotency_key", key),
        ("fund", "zakat"),
        ("campaign_id", ""),
        ("recipient", "existing"),
        ("recipient_id", recipient),
        ("recipient_name", ""),
        ("asnaf", "miskin"),
        ("purpose", ""),
        ("program", "Bantuan sembako"),
        ("amount", amount),
        ("currency", "IDR"),
        ("method", "cash"),
        ("distributed_on", &today()),
        ("note", ""),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

async fn api_json(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get_as(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The donation id a form's redirect names.
fn donation_id(page: &Page) -> String {
    assert_eq!(page.status, 303, "{}", page.body);
    page.location()
        .strip_prefix("/staff/donations/")
        .unwrap_or_else(|| panic!("to a donation: {}", page.location()))
        .to_owned()
}

#[tokio::test]
async fn a_donation_recorded_through_the_form_is_recorded_once_however_often_it_is_sent() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let form = amil.get("/staff/donations/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("id=\"record-donation\""),
        "{}",
        form.body
    );
    let key = form
        .input_value("idempotency_key")
        .expect("a key in the form");
    assert_eq!(key.len(), 36, "a UUID: {key}");
    // Each rendering has its own key.
    let again = amil.get("/staff/donations/new").await;
    assert_ne!(again.input_value("idempotency_key").unwrap(), key);

    let fields = zakat_form(&key, "2500000", "Siti Aminah");
    let first = post(&amil, "/staff/donations", &fields).await;
    let id = donation_id(&first);
    // The donation as the API sees it: the amounts, the amil's eighth, the donor filed.
    let donation = api_json(&app, &token, &format!("/api/v1/donations/{id}")).await;
    assert_eq!(donation["type"], "zakat_maal");
    assert_eq!(donation["amount"], "2500000.00");
    assert_eq!(donation["currency"], "IDR");
    assert_eq!(donation["method"], "cash");
    assert_eq!(donation["received_on"], today());
    assert_eq!(donation["note"], "counter 2");
    assert_eq!(donation["amil_share"], "312500.00");
    let donor = api_json(
        &app,
        &token,
        &format!("/api/v1/donors/{}", donation["donor_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(donor["personal_data"]["name"], "Siti Aminah");
    assert_eq!(donor["personal_data"]["phone"], "0812 3456 789");

    // Sent again (a double click, a reload of the answer): the same donation, no other.
    let second = post(&amil, "/staff/donations", &fields).await;
    assert_eq!(donation_id(&second), id);
    assert_eq!(stored(&app, "donations").await, 1);
    let list = api_json(&app, &token, "/api/v1/donations").await;
    assert_eq!(list["donations"].as_array().unwrap().len(), 1);

    // The same key with other values: refused on the form, which gets a new key.
    let changed = zakat_form(&key, "3000000", "Siti Aminah");
    let refused = post(&amil, "/staff/donations", &changed).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("sudah pernah dikirim dengan isian lain"),
        "the reason is shown: {}",
        refused.body
    );
    assert!(refused.body.contains("value=\"3000000\""), "values kept");
    let fresh = refused.input_value("idempotency_key").unwrap();
    assert_ne!(fresh, key);
    assert_eq!(stored(&app, "donations").await, 1);
    // Sent with the new key, it is a new donation.
    let changed = zakat_form(&fresh, "3000000", "Siti Aminah");
    let other = post(&amil, "/staff/donations", &changed).await;
    assert_ne!(donation_id(&other), id);
    assert_eq!(stored(&app, "donations").await, 2);

    // The donation's page.
    let page = amil.get(&format!("/staff/donations/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Siti Aminah"));
    assert!(page.body.contains("Rp 2.500.000"), "{}", page.body);
    assert!(page.body.contains(&format!(
        "id=\"receipt-link\" href=\"/staff/donations/{id}/receipt\""
    )));
    app.teardown().await;
}

#[tokio::test]
async fn two_concurrent_submissions_of_one_form_record_one_donation_and_answer_alike() {
    let app = TestApp::spawn().await;
    let (admin, _, _) = PageClient::signed_in(&app, Role::Admin).await;
    let form = admin.get("/staff/donations/new").await;
    let key = form.input_value("idempotency_key").unwrap();
    let fields = zakat_form(&key, "1000000", "Budi Santoso");
    for _ in 0..3 {
        let (one, two) = tokio::join!(
            post(&admin, "/staff/donations", &fields),
            post(&admin, "/staff/donations", &fields)
        );
        assert_eq!(donation_id(&one), donation_id(&two));
    }
    assert_eq!(stored(&app, "donations").await, 1);
    assert_eq!(stored(&app, "donors").await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn a_bad_field_is_422_with_the_message_at_the_field_and_the_values_kept() {
    let app = TestApp::spawn().await;
    let (amil, _, _) = PageClient::signed_in(&app, Role::Amil).await;
    let form = amil.get("/staff/donations/new?lang=en").await;
    let key = form.input_value("idempotency_key").unwrap();

    let page = post(
        &amil,
        "/staff/donations",
        &zakat_form(&key, "12abc", "Siti Aminah"),
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("<html lang=\"en\""));
    // The message is at the field, the field marked, what was typed still there.
    assert!(page.body.contains("id=\"amount-error\""), "{}", page.body);
    assert!(
        page.body
            .contains("aria-describedby=\"amount-hint amount-error\"")
    );
    assert!(page.body.contains("value=\"12abc\""));
    assert!(page.body.contains("value=\"Siti Aminah\""));
    assert!(
        page.body.contains("href=\"#amount\""),
        "the summary links to it"
    );
    assert_eq!(
        page.input_value("idempotency_key").unwrap(),
        key,
        "same form, same key"
    );
    assert_a_whole_page_without_javascript("422 donation form", &page.body);

    // A new donor without a name: the name is at fault.
    let page = post(&amil, "/staff/donations", &zakat_form(&key, "100000", " ")).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("id=\"donor_name-error\""),
        "{}",
        page.body
    );
    // No type chosen: required, said in the page's language.
    let mut fields = zakat_form(&key, "100000", "Siti");
    fields[1] = ("type", String::new());
    let page = post(&amil, "/staff/donations", &fields).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("id=\"type-error\">Required.</p>"),
        "{}",
        page.body
    );
    // A date in the future: the API's own message, at the date.
    let mut fields = zakat_form(&key, "100000", "Siti");
    fields[7] = ("received_on", "2999-01-01".to_owned());
    let page = post(&amil, "/staff/donations", &fields).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("id=\"received_on-error\">is in the future"),
        "{}",
        page.body
    );
    // A donor on file that is not one.
    let mut fields = zakat_form(&key, "100000", "");
    fields[8] = ("donor", "existing".to_owned());
    fields[15] = (
        "donor_id",
        "0190f0a2-5b1c-7d3e-9f00-1a2b3c4d5e6f".to_owned(),
    );
    let page = post(&amil, "/staff/donations", &fields).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("id=\"donor_id-error\""), "{}", page.body);

    assert_eq!(stored(&app, "donations").await, 0, "nothing recorded");
    // Then, corrected, the same form records.
    let page = post(
        &amil,
        "/staff/donations",
        &zakat_form(&key, "120000", "Siti Aminah"),
    )
    .await;
    donation_id(&page);
    assert_eq!(stored(&app, "donations").await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn a_donation_is_refunded_in_part_then_voided_through_its_forms() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let donation = app
        .donate(
            &token,
            &json!({"type": "infak", "amount": "2000000", "currency": "IDR", "method": "cash",
                "received_on": today(), "anonymous": true}),
        )
        .await;
    let id = donation["id"].as_str().unwrap();
    let path = format!("/staff/donations/{id}");
    let page = amil.get(&path).await;
    assert_eq!(page.status, 200);
    let keys = input_values(&page, "idempotency_key");
    assert_eq!(keys.len(), 2, "a refund and a void form");
    assert_ne!(keys[0], keys[1]);
    assert_eq!(
        input_values(&page, "amount"),
        ["2000000.00"],
        "the refund of what is left"
    );

    // Too much: refused at the amount, nothing reversed.
    let too_much = amil
        .post_form(
            &format!("{path}/refund"),
            &[
                ("idempotency_key", &keys[0]),
                ("amount", "2500000"),
                ("reason", "typo"),
            ],
        )
        .await;
    assert_eq!(too_much.status, 422, "{}", too_much.body);
    assert!(
        too_much.body.contains("id=\"refund-amount-error\""),
        "{}",
        too_much.body
    );
    assert!(too_much.body.contains("value=\"2500000\""));
    assert_eq!(stored(&app, "donation_reversals").await, 0);

    // A part, sent twice: refunded once.
    let fields = [
        ("idempotency_key", keys[0].as_str()),
        ("amount", "500000"),
        ("reason", "asked back"),
    ];
    for _ in 0..2 {
        let answer = amil.post_form(&format!("{path}/refund"), &fields).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.location(), path);
    }
    let after = api_json(&app, &token, &format!("/api/v1/donations/{id}")).await;
    assert_eq!(after["refunded_amount"], "500000.00");
    assert_eq!(after["status"], "partially_refunded");
    assert_eq!(stored(&app, "donation_reversals").await, 1);

    // The rest, voided.
    let page = amil.get(&path).await;
    assert!(page.body.contains("asked back"), "the refund is listed");
    let void_key = input_values(&page, "idempotency_key")[1].clone();
    let answer = amil
        .post_form(
            &format!("{path}/void"),
            &[
                ("idempotency_key", &void_key),
                ("reason", "duplicate entry"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let after = api_json(&app, &token, &format!("/api/v1/donations/{id}")).await;
    assert_eq!(after["status"], "void");
    assert_eq!(after["refunded_amount"], "2000000.00");
    let page = amil.get(&path).await;
    assert!(page.body.contains("duplicate entry") && page.body.contains("asked back"));
    assert!(
        !page.body.contains("/void\""),
        "no correction form once nothing is left"
    );
    // A void sent again with a new key: the ledger's refusal, on the page.
    let again = amil
        .post_form(
            &format!("{path}/void"),
            &[("idempotency_key", "another-key"), ("reason", "")],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.body.contains("role=\"alert\""));
    assert_eq!(stored(&app, "donation_reversals").await, 2);
    app.teardown().await;
}

#[tokio::test]
async fn the_receipt_page_is_the_printable_receipt_and_its_pdf() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let donation = app
        .donate(
            &token,
            &json!({"type": "zakat_penghasilan", "amount": "750000", "currency": "IDR",
                "method": "bank_transfer", "received_on": today(), "donor": {"name": "Siti Aminah"}}),
        )
        .await;
    let id = donation["id"].as_str().unwrap();
    let receipt = amil.get(&format!("/staff/donations/{id}/receipt")).await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert!(
        receipt.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(receipt.body.contains("BUKTI SETOR ZAKAT"));
    assert!(receipt.body.contains("Siti Aminah"));
    let url = donation["verification_url"].as_str().unwrap();
    assert!(
        receipt.body.contains("<p class=\"url\">")
            && receipt.body.contains(&format!("<a href=\"{url}\">")),
        "the verification link: {}",
        receipt.body
    );
    // The same bytes the API renders.
    let api = app
        .get_as(&format!("/api/v1/donations/{id}/receipt"), &token)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(receipt.body, api);
    let pdf = amil
        .client
        .get(app.url(&format!("/staff/donations/{id}/receipt?format=pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    // The donation's page links both.
    let page = amil.get(&format!("/staff/donations/{id}")).await;
    assert!(
        page.body
            .contains(&format!("/staff/donations/{id}/receipt?format=pdf"))
    );
    // Nothing for an id that is none.
    assert_eq!(
        amil.get("/staff/donations/nothing/receipt").await.status,
        404
    );
    assert_eq!(amil.get("/staff/donations/nothing").await.status, 404);
    app.teardown().await;
}

#[tokio::test]
async fn an_auditor_reads_the_books_but_sees_no_write_form_no_personal_data_and_may_not_post() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let donation = app
        .donate(
            &admin,
            &json!({"type": "infak", "amount": "300000", "currency": "IDR", "method": "cash",
                "received_on": today(), "donor": {"name": "Siti Aminah"}}),
        )
        .await;
    let id = donation["id"].as_str().unwrap();
    let (auditor, _, _) = PageClient::signed_in(&app, Role::Auditor).await;
    let list = auditor.get("/staff/donations").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body
            .contains(donation["receipt_number"].as_str().unwrap())
    );
    assert!(!list.body.contains("Siti Aminah"), "no donor's name");
    assert!(!list.body.contains("/staff/donations/new"));
    assert!(!list.body.contains("name=\"donor\""), "no search by name");
    assert_eq!(auditor.get("/staff/donations?donor=siti").await.status, 403);
    let page = auditor.get(&format!("/staff/donations/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Siti Aminah"));
    assert!(!page.body.contains("receipt-link"));
    assert!(!page.body.contains("idempotency_key"), "no write form");
    assert_eq!(auditor.get("/staff/donations/new").await.status, 403);
    assert_eq!(
        auditor
            .get(&format!("/staff/donations/{id}/receipt"))
            .await
            .status,
        403
    );
    assert_eq!(auditor.get("/staff/distributions/new").await.status, 403);
    assert_eq!(auditor.get("/staff/distributions").await.status, 200);

    // Posting anyway (with the session's token): refused, nothing written.
    let key = uuid::Uuid::new_v4().to_string();
    let posted = post(
        &auditor,
        "/staff/donations",
        &zakat_form(&key, "100000", "Budi"),
    )
    .await;
    assert_eq!(posted.status, 403);
    let posted = auditor
        .post_form(
            &format!("/staff/donations/{id}/refund"),
            &[("idempotency_key", key.as_str()), ("amount", "1000")],
        )
        .await;
    assert_eq!(posted.status, 403);
    let posted = auditor
        .post_form(
            &format!("/staff/donations/{id}/void"),
            &[("idempotency_key", key.as_str())],
        )
        .await;
    assert_eq!(posted.status, 403);
    let posted = auditor
        .post_form(
            "/staff/distributions",
            &[
                ("idempotency_key", key.as_str()),
                ("fund", "infak_sedekah_unrestricted"),
            ],
        )
        .await;
    assert_eq!(posted.status, 403);
    assert_eq!(stored(&app, "donations").await, 1);
    assert_eq!(stored(&app, "donation_reversals").await, 0);
    assert_eq!(stored(&app, "distributions").await, 0);
    app.teardown().await;
}

/// A million rupiah of zakat received in cash, and a miskin recipient on file: their id.
async fn zakat_and_a_recipient(app: &TestApp, token: &str) -> String {
    app.donate(
        token,
        &json!({"type": "zakat_maal", "amount": "1000000", "currency": "IDR", "method": "cash",
            "received_on": today(), "anonymous": true}),
    )
    .await;
    let recipient: Value = app
        .post(
            "/api/v1/recipients",
            token,
            Some(&uuid::Uuid::new_v4().to_string()),
            &json!({"name": "Pak Darto", "asnaf": "miskin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    recipient["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_distribution_recorded_through_its_form_is_recorded_once_and_listed() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let recipient_id = zakat_and_a_recipient(&app, &token).await;
    let recipient_id = recipient_id.as_str();
    let form = amil
        .get(&format!(
            "/staff/distributions/new?recipient_id={recipient_id}"
        ))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        form.input_value("recipient_id").as_deref(),
        Some(recipient_id)
    );
    let key = form.input_value("idempotency_key").unwrap();
    let fields = zakat_distribution(&key, recipient_id, "250000");
    let first = post(&amil, "/staff/distributions", &fields).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let location = first.location().to_owned();
    let id = location.strip_prefix("/staff/distributions/").unwrap();
    let distribution = api_json(&app, &token, &format!("/api/v1/distributions/{id}")).await;
    assert_eq!(distribution["amount"], "250000.00");
    assert_eq!(distribution["fund"], "zakat");
    assert_eq!(distribution["asnaf"], "miskin");
    assert_eq!(distribution["recipient_id"], recipient_id);
    assert_eq!(distribution["program"], "Bantuan sembako");
    assert_eq!(distribution["method"], "cash");
    // Twice: once.
    let second = post(&amil, "/staff/distributions", &fields).await;
    assert_eq!(second.location(), location);
    assert_eq!(stored(&app, "distributions").await, 1);
    let page = amil.get(&location).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Pak Darto") && page.body.contains("Rp 250.000"));

    // The list shows it, by its fund.
    let list = amil.get("/staff/distributions?fund=zakat").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&location));
    let none = amil.get("/staff/distributions?fund=wakaf_benefits").await;
    assert!(!none.body.contains(&location));
    app.teardown().await;
}

#[tokio::test]
async fn what_the_ledger_refuses_comes_back_on_the_distribution_form_in_its_words() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let recipient_id = zakat_and_a_recipient(&app, &token).await;
    let recipient_id = recipient_id.as_str();
    let form = amil.get("/staff/distributions/new").await;
    let key = form.input_value("idempotency_key").unwrap();

    // More than the zakat fund holds: the ledger's refusal, as the API words it.
    let refused = post(
        &amil,
        "/staff/distributions",
        &zakat_distribution(&key, recipient_id, "5000000"),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let api = app
        .post(
            "/api/v1/distributions",
            &token,
            None,
            &json!({"fund": "zakat", "recipient_id": recipient_id, "asnaf": "miskin",
                "program": "Bantuan sembako", "amount": "5000000", "currency": "IDR", "method": "cash"}),
        )
        .await;
    assert_eq!(api.status(), 409);
    let detail = api.json::<Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("balance"), "{detail}");
    assert!(
        refused.body.contains(&detail),
        "{detail} in {}",
        refused.body
    );
    assert!(refused.body.contains("value=\"5000000\""), "values kept");
    assert_eq!(refused.input_value("idempotency_key").unwrap(), key);

    // A rule of the funds: zakat for the amil is refused at the asnaf.
    let mut wrong = zakat_distribution(&key, recipient_id, "1000");
    wrong[6].1 = "amil".to_owned();
    let refused = post(&amil, "/staff/distributions", &wrong).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"asnaf-error\""),
        "{}",
        refused.body
    );
    // Non-halal money for worship has no purpose to name: refused at the purpose.
    let mut no_purpose = zakat_distribution(&key, recipient_id, "1000");
    no_purpose[1].1 = "non_halal".to_owned();
    no_purpose[6].1 = String::new();
    let refused = post(&amil, "/staff/distributions", &no_purpose).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"purpose-error\""),
        "{}",
        refused.body
    );
    assert_eq!(stored(&app, "distributions").await, 0);
    app.teardown().await;
}

#[tokio::test]
async fn the_search_finds_donations_by_donor_name_receipt_number_and_status() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let donate = |name: &'static str, kind: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            app.donate(
                token,
                &json!({"type": kind, "amount": "100000", "currency": "IDR", "method": "qris",
                    "received_on": today(), "donor": {"name": name}}),
            )
            .await
        }
    };
    let siti = donate("Siti Aminah", "zakat_maal").await;
    let budi = donate("Budi Santoso", "sedekah").await;
    let link = |donation: &Value| {
        format!(
            "href=\"/staff/donations/{}\"",
            donation["id"].as_str().unwrap()
        )
    };

    let all = amil.get("/staff/donations").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let (at_budi, at_siti) = (
        all.body.find(&link(&budi)).unwrap(),
        all.body.find(&link(&siti)).unwrap(),
    );
    assert!(at_budi < at_siti, "newest receipt first");
    assert!(all.body.contains("Siti Aminah") && all.body.contains("Budi Santoso"));

    let by_name = amil.get("/staff/donations?donor=aMiNaH").await;
    assert!(by_name.body.contains(&link(&siti)));
    assert!(!by_name.body.contains(&link(&budi)));
    assert!(
        by_name.body.contains("value=\"aMiNaH\""),
        "the search is kept"
    );

    let number = budi["receipt_number"].as_str().unwrap();
    let by_number = amil
        .get(&format!("/staff/donations?receipt={number}"))
        .await;
    assert!(by_number.body.contains(&link(&budi)));
    assert!(!by_number.body.contains(&link(&siti)));

    let by_type = amil.get("/staff/donations?type=sedekah").await;
    assert!(by_type.body.contains(&link(&budi)) && !by_type.body.contains(&link(&siti)));

    // Status: refund Budi's in part.
    let refund = app
        .post(
            &format!("/api/v1/donations/{}/refunds", budi["id"].as_str().unwrap()),
            &token,
            None,
            &json!({"amount": "1000"}),
        )
        .await;
    assert_eq!(refund.status(), 201);
    let partly = amil.get("/staff/donations?status=partially_refunded").await;
    assert!(partly.body.contains(&link(&budi)) && !partly.body.contains(&link(&siti)));
    let untouched = amil.get("/staff/donations?status=recorded").await;
    assert!(untouched.body.contains(&link(&siti)) && !untouched.body.contains(&link(&budi)));

    let nothing = amil.get("/staff/donations?donor=nobody%25").await;
    assert_eq!(nothing.status, 200);
    assert!(!nothing.body.contains(&link(&siti)) && !nothing.body.contains(&link(&budi)));

    // A receipt number that is none, a date that is none: said at the field.
    let bad = amil.get("/staff/donations?receipt=42").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("id=\"search-receipt-error\""),
        "{}",
        bad.body
    );
    let bad = amil.get("/staff/donations?received_from=yesterday").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("id=\"search-received_from-error\""),
        "{}",
        bad.body
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_pages_render_whole_in_both_languages() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    let donation = app
        .donate(
            &token,
            &json!({"type": "zakat_maal", "amount": "2500000", "currency": "IDR", "method": "cash",
                "received_on": today(), "donor": {"name": "Siti Aminah"}}),
        )
        .await;
    let recipient: Value = app
        .post(
            "/api/v1/recipients",
            &token,
            Some(&uuid::Uuid::new_v4().to_string()),
            &json!({"name": "Pak Darto", "asnaf": "fakir"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let distribution: Value = app
        .post(
            "/api/v1/distributions",
            &token,
            None,
            &json!({"fund": "zakat", "recipient_id": recipient["id"], "asnaf": "fakir",
                "program": "Sembako", "amount": "100000", "currency": "IDR", "method": "cash"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let donation_page = format!("/staff/donations/{}", donation["id"].as_str().unwrap());
    let distribution_page = format!(
        "/staff/distributions/{}",
        distribution["id"].as_str().unwrap()
    );
    for (lang, words, money) in [
        (
            "id",
            ["Catat donasi", "Penyaluran", "Rincian"],
            "Rp 2.500.000",
        ),
        (
            "en",
            ["Record the donation", "Distributions", "Details"],
            "Rp 2,500,000",
        ),
    ] {
        for (path, word) in [
            ("/staff/donations/new", words[0]),
            ("/staff/donations", money),
            (donation_page.as_str(), money),
            (donation_page.as_str(), words[2]),
            ("/staff/distributions", words[1]),
            ("/staff/distributions/new", words[1]),
            (distribution_page.as_str(), "Pak Darto"),
        ] {
            let path = format!("{path}?lang={lang}");
            let page = admin.get(&path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert!(
                page.body.contains(&format!("<html lang=\"{lang}\"")),
                "{path}"
            );
            assert!(
                page.body.contains(word),
                "{path}: `{word}` in {}",
                page.body
            );
            assert_a_whole_page_without_javascript(&path, &page.body);
        }
    }
    app.teardown().await;
}
