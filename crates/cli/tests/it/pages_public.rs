//! The public pages: calculator, receipt verification, campaign transparency.
//!
//! Each page is checked against what the API answers for the same thing (the pages reuse its
//! code, so the figures must be the API's), in both languages, and the public pages against
//! the personal data the books hold.

use domain::{Currency, Money, Role};
use serde_json::{Value, json};
use web::pages::format;
use web::pages::i18n::Lang;

use crate::pages::assert_a_whole_page_without_javascript;
use crate::support::TestApp;
use crate::support::pages::{Page, PageClient};

/// Text as maud writes it into a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn assert_has(page: &Page, what: &str) {
    assert!(
        page.body.contains(what),
        "`{what}` is not on the page:\n{}",
        page.body
    );
}

fn assert_has_not(page: &Page, what: &str) {
    assert!(
        !page.body.contains(what),
        "`{what}` must not be on the page:\n{}",
        page.body
    );
}

/// The API's answer to a calculation.
async fn api_calculation(app: &TestApp, category: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/zakat/{category}")))
        .json(body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// An amount the API wrote (`"3750000.00"`).
fn idr(value: &Value) -> Money {
    Money::parse(value.as_str().unwrap(), Currency::IDR).unwrap()
}

/// Whole rupiah.
fn rupiah(amount: i64) -> Money {
    Money::from_minor(amount * 100, Currency::IDR).unwrap()
}

/// `?name=value&…`, encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    let url = reqwest::Url::parse_with_params("http://localhost/", pairs).unwrap();
    url.query().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn pages_public_calculator_gives_the_apis_amount_in_both_languages_with_its_trace() {
    let app = TestApp::spawn().await;
    let visitor = PageClient::new(&app);
    let fields =
        json!({"date": "2025-03-01", "cash": "150000000", "gold_price_per_gram": "1500000"});
    let (status, api) = api_calculation(&app, "maal", &fields).await;
    assert_eq!(status, 200, "{api}");
    let payable = idr(&api["amount_payable"]);
    assert_eq!(payable, rupiah(3_750_000), "2.5 % of 150 million");

    let query = "date=2025-03-01&cash=150000000&gold_price_per_gram=1500000";
    for (lang, written) in [(Lang::Id, "Rp 3.750.000"), (Lang::En, "Rp 3,750,000")] {
        let page = visitor
            .get(&format!("/zakat/maal?{query}&lang={}", lang.tag()))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_has(&page, &format!("<html lang=\"{}\"", lang.tag()));
        assert_eq!(format::money(lang, payable), written);
        assert_has(&page, &format!("id=\"amount-payable\">{written}<"));
        // Every step of the API's trace, with its citation, in order.
        let mut from = 0;
        for step in api["trace"].as_array().unwrap() {
            for part in ["rule", "citation"] {
                let text = escaped(step[part].as_str().unwrap());
                let at = page.body[from..]
                    .find(&text)
                    .unwrap_or_else(|| panic!("step {part} `{text}` missing or out of order"));
                from += at + text.len();
            }
        }
        // The form keeps what was typed, for another try.
        assert_eq!(page.input_value("cash").as_deref(), Some("150000000"));
        assert_a_whole_page_without_javascript(&format!("/zakat/maal ({lang:?})"), &page.body);
    }
    // An amount written the Indonesian way is the same amount.
    let page = visitor
        .get("/zakat/maal?date=2025-03-01&cash=150.000.000&gold_price_per_gram=1.500.000&lang=id")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_has(&page, "id=\"amount-payable\">Rp 3.750.000<");

    // Below the nisab nothing is due, and the page says so rather than show an amount.
    let page = visitor
        .get("/zakat/maal?date=2025-03-01&cash=100000000&gold_price_per_gram=1500000&lang=en")
        .await;
    assert_eq!(page.status, 200);
    assert_has(&page, "No zakat is due");
    assert_has_not(&page, "amount-payable");
    app.teardown().await;
}

#[tokio::test]
async fn pages_public_calculator_shows_the_data_in_force_with_its_source_and_date() {
    let app = TestApp::spawn().await;
    let visitor = PageClient::new(&app);
    // No nisab given: the decree in force on the date is used and cited.
    let (status, api) = api_calculation(
        &app,
        "income",
        &json!({"date": "2025-03-01", "income": "10000000"}),
    )
    .await;
    assert_eq!(status, 200, "{api}");
    let nisab = api["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "nisab_monthly")
        .expect("the monthly nisab in force is a parameter")
        .clone();
    let source = nisab["source"].as_str().unwrap();
    let (decree, from) = source
        .rsplit_once("; in force from ")
        .expect("a stored value says since when it is in force");
    let from =
        time::Date::parse(from, &time::format_description::well_known::Iso8601::DATE).unwrap();
    for lang in [Lang::Id, Lang::En] {
        let page = visitor
            .get(&format!(
                "/zakat/income?date=2025-03-01&income=10000000&lang={}",
                lang.tag()
            ))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_has(&page, &escaped(decree));
        assert_has(&page, &format::date(lang, from));
        assert_has(&page, &format::money(lang, idr(&nisab["value"])));
        assert_has(&page, &format::money(lang, idr(&api["amount_payable"])));
    }
    // The blank form says which value an empty field stands for.
    let page = visitor.get("/zakat/income?lang=en").await;
    assert_eq!(page.status, 200);
    assert_has(&page, "Leave empty to use Rp ");
    // The index lists every category and the values in force today, with their sources.
    let index = visitor.get("/zakat?lang=en").await;
    assert_eq!(index.status, 200);
    for category in [
        "maal",
        "gold",
        "silver",
        "trade",
        "income",
        "fitrah",
        "agriculture",
        "livestock",
        "mining",
        "rikaz",
        "stocks",
        "fidyah",
    ] {
        assert_has(&index, &format!("href=\"/zakat/{category}\""));
        let form = visitor.get(&format!("/zakat/{category}")).await;
        assert_eq!(form.status, 200, "/zakat/{category}");
        assert_a_whole_page_without_javascript(&format!("/zakat/{category}"), &form.body);
    }
    assert_has(&index, "Ketua BAZNAS");
    assert_has(&index, "<td>jabodetabek</td>");
    assert_a_whole_page_without_javascript("/zakat", &index.body);
    app.teardown().await;
}

#[tokio::test]
async fn pages_public_calculator_refuses_bad_input_with_422_and_the_apis_message_at_the_field() {
    let app = TestApp::spawn().await;
    let visitor = PageClient::new(&app);
    for (category, query, field, api_body) in [
        (
            "maal",
            "cash=abc&gold_price_per_gram=1500000",
            "cash",
            json!({"cash": "abc", "gold_price_per_gram": "1500000"}),
        ),
        (
            "maal",
            "cash=&gold_price_per_gram=1500000",
            "cash",
            json!({"gold_price_per_gram": "1500000"}),
        ),
        (
            "gold",
            "grams=100&karat=30&gold_price_per_gram=1500000",
            "karat",
            json!({"grams": "100", "karat": 30, "gold_price_per_gram": "1500000"}),
        ),
        ("fidyah", "persons=2", "days", json!({"persons": 2})),
        (
            "maal",
            "cash=1000&date=2025-02-30",
            "date",
            json!({"cash": "1000", "date": "2025-02-30"}),
        ),
    ] {
        let (status, problem) = api_calculation(&app, category, &api_body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
        let message = problem["detail"]
            .as_str()
            .unwrap()
            .strip_prefix(&format!("`{field}`: "))
            .unwrap()
            .to_owned();
        let page = visitor.get(&format!("/zakat/{category}?{query}")).await;
        assert_eq!(page.status, 422, "/zakat/{category}?{query}: {}", page.body);
        assert_has(
            &page,
            &format!(
                "<p class=\"field-error\" id=\"{field}-error\">{}</p>",
                escaped(&message)
            ),
        );
        assert_has(&page, &format!("id=\"{field}\""));
        assert_has(&page, "aria-invalid=\"true\"");
        assert_has_not(&page, "amount-payable");
        assert_a_whole_page_without_javascript(&format!("/zakat/{category}?{query}"), &page.body);
    }
    // What was typed stays in the form.
    let page = visitor.get("/zakat/maal?cash=abc&debts=5000&lang=en").await;
    assert_eq!(page.input_value("cash").as_deref(), Some("abc"));
    assert_eq!(page.input_value("debts").as_deref(), Some("5000"));
    assert_has(&page, "Check the figures");
    // A category the calculator does not know is the HTML 404.
    let page = visitor.get("/zakat/perhiasan").await;
    assert_eq!(page.status, 404);
    assert_has(&page, "<h1>");
    app.teardown().await;
}

#[tokio::test]
async fn pages_public_calculator_shares_the_apis_rate_limit() {
    let app = TestApp::spawn_with(&[("ZAKAT_RATE_LIMIT", "2")]).await;
    let visitor = PageClient::new(&app);
    // The blank form is not a calculation.
    for _ in 0..3 {
        assert_eq!(visitor.get("/zakat/rikaz").await.status, 200);
    }
    for _ in 0..2 {
        assert_eq!(visitor.get("/zakat/rikaz?value=1000000").await.status, 200);
    }
    let page = visitor.get("/zakat/rikaz?value=1000000").await;
    assert_eq!(page.status, 429);
    assert!(page.headers.contains_key("retry-after"));
    assert_has(&page, "<h1>");
    // The API counts the same client's page calculations.
    let (status, _) = api_calculation(&app, "rikaz", &json!({"value": "1000000"})).await;
    assert_eq!(status, 429);
    app.teardown().await;
}

/// Today in WIB, where the books are kept.
fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

/// A zakat donation of Siti Aminah's (NIK and NPWP on file).
fn siti(amount: &str) -> Value {
    json!({"type": "zakat_maal", "amount": amount, "currency": "IDR", "method": "bank_transfer",
        "received_on": today(),
        "donor": {"name": "Siti Aminah", "nik": "3273015708850001", "npwp": "01.234.567.8-901.000",
                  "phone": "081234567890", "email": "siti@example.org"}})
}

fn code_of(donation: &Value) -> String {
    donation["verification_url"]
        .as_str()
        .unwrap()
        .rsplit_once("/verify/")
        .unwrap()
        .1
        .to_owned()
}

#[tokio::test]
async fn pages_public_verify_form_leads_to_the_codes_page() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let donation = app.donate(&amil, &siti("1000000")).await;
    let code = code_of(&donation);
    let visitor = PageClient::new(&app);
    for lang in ["id", "en"] {
        let form = visitor.get(&format!("/verify?lang={lang}")).await;
        assert_eq!(form.status, 200);
        assert_has(&form, "name=\"code\"");
        assert_a_whole_page_without_javascript("/verify", &form.body);
    }
    let answer = visitor.get(&format!("/verify?code={code}")).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location(), format!("/verify/{code}"));
    // The whole link (as the QR code holds it) works as well as the code.
    let url = donation["verification_url"].as_str().unwrap();
    let answer = visitor
        .get(&format!(
            "/verify?{}",
            query(&[("code", &format!(" {url} "))])
        ))
        .await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location(), format!("/verify/{code}"));
    let page = visitor.get(answer.location()).await;
    assert_eq!(page.status, 200);
    // Nothing typed, or something that cannot be a code: the form again, saying so.
    for typed in ["", "a/../b", "<script>"] {
        let page = visitor
            .get(&format!(
                "/verify?{}",
                query(&[("code", typed), ("lang", "en")])
            ))
            .await;
        assert_eq!(page.status, 422, "{typed}");
        assert_has(&page, "id=\"code-error\"");
        assert_has_not(&page, "<script>");
    }
    app.teardown().await;
}

/// Voids (`void`) or refunds (`refunds`) a donation through the API.
async fn reverse(app: &TestApp, token: &str, donation: &Value, kind: &str, body: &Value) {
    let key = uuid::Uuid::new_v4().to_string();
    let path = format!(
        "/api/v1/donations/{}/{kind}",
        donation["id"].as_str().unwrap()
    );
    let response = app.post(&path, token, Some(&key), body).await;
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
}

#[tokio::test]
async fn pages_public_verify_shows_genuine_void_or_refunded_in_the_sites_layout_and_language() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let first = app.donate(&amil, &siti("1000000")).await;
    let second = app.donate(&amil, &siti("2000000")).await;
    let visitor = PageClient::new(&app);
    let code = code_of(&first);

    let page = visitor.get(&format!("/verify/{code}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_has(&page, "<html lang=\"id\"");
    assert_has(&page, "ASLI");
    assert_has(&page, "Siti Aminah");
    assert_has(&page, "3273**********01");
    assert_has(&page, first["receipt_number"].as_str().unwrap());
    assert_has(&page, "Rp 1.000.000");
    for private in [
        "3273015708850001",
        "012345678901000",
        "081234567890",
        "siti@example.org",
    ] {
        assert_has_not(&page, private);
    }
    assert_a_whole_page_without_javascript("/verify/{code}", &page.body);
    let page = visitor.get(&format!("/verify/{code}?lang=en")).await;
    assert_eq!(page.status, 200);
    assert_has(&page, "<html lang=\"en\"");
    assert_has(&page, "Genuine");
    assert_has(&page, "Receipt number");

    // Voided and refunded receipts say so.
    reverse(&app, &amil, &first, "void", &json!({"reason": "bounced"})).await;
    reverse(
        &app,
        &amil,
        &second,
        "refunds",
        &json!({"amount": "500000"}),
    )
    .await;
    let page = visitor.get(&format!("/verify/{code}?lang=id")).await;
    assert_eq!(page.status, 200);
    assert_has(&page, "BATAL");
    assert_has_not(&page, ">ASLI<");
    let page = visitor
        .get(&format!("/verify/{}?lang=en", code_of(&second)))
        .await;
    assert_eq!(page.status, 200);
    assert_has(&page, "Refunded");
    assert_has(&page, "Rp 500.000");
    app.teardown().await;
}

#[tokio::test]
async fn pages_public_verify_not_genuine_is_a_404_page_and_json_and_pdf_clients_get_the_api() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let donation = app.donate(&amil, &siti("1000000")).await;
    reverse(
        &app,
        &amil,
        &donation,
        "void",
        &json!({"reason": "bounced"}),
    )
    .await;
    let visitor = PageClient::new(&app);
    let code = code_of(&donation);

    // A changed character: not genuine, a 404 page in the layout that says so.
    let mut changed = code.clone().into_bytes();
    let last = changed.len() - 1;
    changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    for lang in ["id", "en"] {
        let page = visitor.get(&format!("/verify/{changed}?lang={lang}")).await;
        assert_eq!(page.status, 404);
        assert_has(&page, "TIDAK ASLI");
        assert_has(&page, "class=\"site-header\"");
        assert_has_not(&page, "Siti Aminah");
        assert_a_whole_page_without_javascript("/verify/{changed}", &page.body);
    }

    // A client asking for JSON still gets the API's answer.
    let json = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    assert_eq!(json.headers()["content-type"], "application/json");
    let view: Value = json.json().await.unwrap();
    assert_eq!(view["status"], "void");
    assert_eq!(view["nik"], "3273**********01");
    let json = app
        .client
        .get(app.url(&format!("/verify/{changed}")))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 404);
    assert_eq!(json.headers()["content-type"], "application/problem+json");
    // And one asking for a PDF gets the API's printable answer, not the site's page.
    let pdf = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let body = pdf.text().await.unwrap();
    assert!(body.contains("Verifikasi Bukti Setor Zakat"), "{body}");
    assert!(!body.contains("class=\"site-header\""), "{body}");
    app.teardown().await;
}

/// What the campaign test put in the books about people: none of it may be on a public page.
const PERSONAL: [&str; 13] = [
    "Siti Aminah",
    "3273015708850001",
    "3273**********01",
    "081234567890",
    "siti@example.org",
    "Budi Santoso",
    "3174010101800002",
    "Pak Darto",
    "3321010101700003",
    "Bu Sri Wahyuni",
    "3321010101700004",
    "089876543210",
    "salah input",
];

/// Gifts for campaign `id` (zakat 10 M from Siti Aminah, infak 2 M from Budi Santoso, a
/// sedekah of 0.5 M voided) and one not for it (7 M), then 3 M of its zakat to a fakir and 1 M
/// of its infak to a miskin. What the books then hold for it, as the API says.
async fn give_and_distribute(app: &TestApp, admin: &str, id: &str) -> Money {
    let mut zakat = siti("10000000");
    zakat["campaign_id"] = json!(id);
    app.donate(admin, &zakat).await;
    let infak = json!({"type": "infak", "amount": "2000000", "currency": "IDR", "method": "cash",
        "received_on": today(),
        "campaign_id": id, "donor": {"name": "Budi Santoso", "nik": "3174010101800002"},
        "note": "untuk keluarga Pak Darto"});
    app.donate(admin, &infak).await;
    let sedekah = json!({"type": "sedekah", "amount": "500000", "currency": "IDR", "method": "cash",
        "received_on": today(),
        "campaign_id": id, "anonymous": true});
    let voided = app.donate(admin, &sedekah).await;
    let response = app
        .post(
            &format!("/api/v1/donations/{}/void", voided["id"].as_str().unwrap()),
            admin,
            Some(&uuid::Uuid::new_v4().to_string()),
            &json!({"reason": "salah input"}),
        )
        .await;
    assert!(response.status().is_success());
    // Not for the campaign: not in its sums.
    app.donate(admin, &siti("7000000")).await;

    for (fund, asnaf, amount, name, nik) in [
        ("zakat", "fakir", "3000000", "Pak Darto", "3321010101700003"),
        (
            "infak_sedekah_restricted",
            "miskin",
            "1000000",
            "Bu Sri Wahyuni",
            "3321010101700004",
        ),
    ] {
        let paid = app
            .post(
                "/api/v1/distributions",
                admin,
                None,
                &json!({"fund": fund, "campaign_id": id, "asnaf": asnaf, "program": "Bantuan pangan",
                        "amount": amount, "currency": "IDR",
                        "recipient": {"name": name, "nik": nik, "phone": "089876543210"}}),
            )
            .await;
        assert_eq!(paid.status(), 201, "{}", paid.text().await.unwrap());
    }
    // What the books hold for the campaign, as the API says.
    let mut held_minor = 0;
    for fund in ["zakat", "infak_sedekah_restricted"] {
        let balance = app.fund_balance(admin, fund, Some(id)).await;
        held_minor += Money::parse(&balance, Currency::IDR).unwrap().minor();
    }
    Money::from_minor(held_minor, Currency::IDR).expect("the campaign holds money")
}

#[tokio::test]
async fn pages_public_campaigns_show_the_books_sums_and_no_personal_data() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let campaign = app
        .post(
            "/api/v1/campaigns",
            &admin,
            None,
            &json!({"name": "Banjir Demak", "purpose": "Bantuan korban banjir Demak", "allowed_asnaf": ["fakir", "miskin"]}),
        )
        .await;
    assert_eq!(campaign.status(), 201);
    let campaign: Value = campaign.json().await.unwrap();
    let id = campaign["id"].as_str().unwrap();
    let visitor = PageClient::new(&app);

    // Before anything is given: zeros, and the page still renders whole.
    let page = visitor.get(&format!("/campaigns/{id}?lang=en")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_has(&page, "Banjir Demak");
    assert_has(&page, "Nothing has been distributed");

    let held = give_and_distribute(&app, &admin, id).await;
    for lang in [Lang::Id, Lang::En] {
        let money = |amount: i64| format::money(lang, rupiah(amount));
        let page = visitor
            .get(&format!("/campaigns/{id}?lang={}", lang.tag()))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        // Collected: 10 M + 2 M + 0.5 M, less the voided 0.5 M.
        assert_has(
            &page,
            &format!("class=\"collected\">{}<", money(12_000_000)),
        );
        assert_has(
            &page,
            &format!("class=\"distributed\">{}<", money(4_000_000)),
        );
        assert_has(
            &page,
            &format!("id=\"campaign-balance\">{}<", format::money(lang, held)),
        );
        assert_has(
            &page,
            &format!("class=\"balance\">{}<", format::money(lang, held)),
        );
        // The voided gift, taken off.
        assert_has(&page, &format!("\u{2212} {}", money(500_000)));
        // By asnaf: fakir 3 M, miskin 1 M.
        let fakir = if lang == Lang::Id {
            "Fakir"
        } else {
            "Fakir (the destitute)"
        };
        let miskin = if lang == Lang::Id {
            "Miskin"
        } else {
            "Miskin (the poor)"
        };
        for (asnaf, amount) in [(fakir, 3_000_000), (miskin, 1_000_000)] {
            let row = format!(
                "<th scope=\"row\">{}</th><td class=\"number\">1</td><td class=\"number\">{}</td>",
                escaped(asnaf),
                money(amount)
            );
            assert_has(&page, &row);
        }
        for private in PERSONAL {
            assert_has_not(&page, private);
        }
        assert_a_whole_page_without_javascript(&format!("/campaigns/{id}"), &page.body);

        let list = visitor
            .get(&format!("/campaigns?lang={}", lang.tag()))
            .await;
        assert_eq!(list.status, 200);
        assert_has(&list, &format!("href=\"/campaigns/{id}\""));
        assert_has(
            &list,
            &format!("class=\"collected\">{}<", money(12_000_000)),
        );
        for private in PERSONAL {
            assert_has_not(&list, private);
        }
        assert_a_whole_page_without_javascript("/campaigns", &list.body);
    }
    // The personal data is in the books (the staff's API shows it): its absence above is the
    // pages', not the data's.
    let donors = app
        .get_as("/api/v1/donors", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        donors.contains("Budi Santoso") && donors.contains("Siti Aminah"),
        "{donors}"
    );

    // No such campaign, or not an id: the HTML 404.
    for path in [
        format!("/campaigns/{}", uuid::Uuid::now_v7()),
        "/campaigns/not-an-id".to_owned(),
    ] {
        let page = visitor.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_has(&page, "<h1>");
    }
    app.teardown().await;
}
