//! The dashboard, report and audit pages: the figures they show are the API's (balances,
//! statements, CSV byte for byte), the chart carries this month's collections, bad dates are
//! refused with the field named, the audit trail lists the newest actions and its
//! verification names the first entry tampered with; both languages; who may see what.

use domain::Role;
use serde_json::{Value, json};
use web::pages::format;
use web::pages::i18n::Lang;

use crate::support::pages::{Page, PageClient, staff};
use crate::support::{RawConnection, TestApp};

fn today() -> time::Date {
    domain::zakat::request::today_in_wib(time::OffsetDateTime::now_utc())
}

fn gift(kind: &str, amount: &str) -> Value {
    json!({ "type": kind, "amount": amount, "currency": "IDR", "method": "bank_transfer",
            "received_on": today().to_string(), "anonymous": true })
}

async fn created(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status == 201 || status == 200, "{status}: {body}");
    body
}

/// Books of today: zakat 2,500,000 and infak 300,000 for a campaign ("Banjir Demak"), a
/// zakat distribution of 400,000 to a fakir (all by bank transfer); returns the campaign's id.
async fn record_books(app: &TestApp, token: &str) -> String {
    let campaign = created(
        app.post(
            "/api/v1/campaigns",
            token,
            None,
            &json!({ "name": "Banjir Demak", "purpose": "Bantuan korban banjir" }),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.donate(token, &gift("zakat_maal", "2500000")).await;
    let mut restricted = gift("infak", "300000");
    restricted["campaign_id"] = json!(campaign);
    app.donate(token, &restricted).await;
    created(
        app.post(
            "/api/v1/distributions",
            token,
            None,
            &json!({ "fund": "zakat", "asnaf": "fakir", "program": "Bantuan pangan",
                     "amount": "400000", "currency": "IDR", "method": "bank_transfer",
                     "distributed_on": today().to_string(), "recipient": { "name": "Ahmad" } }),
        )
        .await,
    )
    .await;
    campaign
}

async fn api_json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get_as(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The part of `body` from the element with `id` to the end of its table.
fn table<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[start..];
    &rest[..rest.find("</table>").unwrap_or(rest.len())]
}

/// The exact figures (`<data value>`) of the row `data-key="{key}"` in `html`, in order.
fn row(html: &str, key: &str) -> Vec<String> {
    let start = html
        .find(&format!("data-key=\"{key}\""))
        .unwrap_or_else(|| panic!("no row `{key}` in {html}"));
    let rest = &html[start..];
    let row = &rest[..rest.find("</tr>").unwrap()];
    row.split("<data value=\"")
        .skip(1)
        .map(|part| part.split('"').next().unwrap().to_owned())
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_dashboard_shows_the_apis_balances_and_this_months_collections_in_a_chart() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    record_books(&app, &token).await;
    let funds = api_json(&app, "/api/v1/funds", &token).await;
    let page = admin.get("/staff").await;
    assert_eq!(page.status, 200, "{}", page.body);

    // Every balance the API gives, on its row, to the cent; cash and bank too.
    let balances = table(&page.body, "fund-balances");
    let listed = funds["funds"].as_array().unwrap();
    assert!(listed.len() >= 8, "{funds}");
    for fund in listed {
        let key = match fund["campaign_id"].as_str() {
            Some(campaign) => format!(
                "{}:{campaign}:{}",
                text(&fund["fund"]),
                text(&fund["currency"])
            ),
            None => format!("{}:{}", text(&fund["fund"]), text(&fund["currency"])),
        };
        assert_eq!(row(balances, &key), vec![text(&fund["balance"])], "{key}");
    }
    assert!(balances.contains("Terikat: Banjir Demak"), "{balances}");
    // The restricted fund, kept per campaign, shows its total over its campaigns.
    assert_eq!(
        row(balances, "infak_sedekah_restricted:total:IDR"),
        vec!["300000.00"]
    );
    let zakat = listed
        .iter()
        .find(|f| f["fund"] == "zakat" && f["campaign_id"].is_null())
        .unwrap();
    // 2,500,000 less the 12.5 % amil share, less 400,000 paid out.
    assert_eq!(zakat["balance"], "1787500.00");
    assert!(balances.contains(">Rp 1.787.500</data>"), "{balances}");
    let assets = table(&page.body, "asset-balances");
    for asset in funds["assets"].as_array().unwrap() {
        let key = format!("{}:{}", text(&asset["account"]), text(&asset["currency"]));
        assert_eq!(row(assets, &key), vec![text(&asset["balance"])], "{key}");
    }

    // The chart of collections has this month's bar with its amount; its numbers are in the
    // table beside it.
    let today = today();
    let month = format::month_year(Lang::Id, today.year(), today.month());
    let chart = &page.body[page.body.find("id=\"chart-collections-title\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert!(
        chart.contains(&format!("<title>{month}: Rp 2.800.000</title>")),
        "{chart}"
    );
    assert!(page.body.contains("<svg class=\"chart collections\""));
    assert!(page.body.contains("role=\"img\""));
    let this_month = format!("{}-{:02}", today.year(), u8::from(today.month()));
    assert_eq!(
        row(table(&page.body, "monthly"), &this_month),
        vec!["2800000.00", "400000.00"]
    );
    // The campaign leads the top campaigns with what it collected.
    let top = table(&page.body, "top-campaigns");
    assert!(top.contains("Banjir Demak"), "{top}");
    assert!(top.contains(">Rp 300.000</data>"), "{top}");

    // In English: the same figures, written the English way.
    let english = admin.get("/staff?lang=en").await;
    assert_eq!(english.status, 200);
    assert!(english.body.contains("<html lang=\"en\""));
    let month = format::month_year(Lang::En, today.year(), today.month());
    assert!(
        english
            .body
            .contains(&format!("<title>{month}: Rp 2,800,000</title>")),
        "{}",
        english.body
    );
    assert!(english.body.contains("Restricted: Banjir Demak"));
    app.teardown().await;
}

#[tokio::test]
async fn the_psak_statements_on_the_pages_are_the_apis_to_the_cent() {
    let app = TestApp::spawn().await;
    let (auditor, _, auditor_token) = PageClient::signed_in(&app, Role::Auditor).await;
    let admin = app.token(Role::Admin).await;
    let campaign = record_books(&app, &admin).await;
    let today = today();
    let period = format!("from={}-01-01&to={today}", today.year());

    // Changes in funds: every row, every fund, and the totals.
    let path = format!("/staff/reports/changes-in-funds?{period}");
    let page = auditor.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let api = api_json(
        &app,
        &format!("/api/v1/reports/changes-in-funds?{period}"),
        &auditor_token,
    )
    .await;
    let statement = table(&page.body, "changes-in-funds");
    let columns: Vec<String> = api["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(&c["fund"]))
        .collect();
    for line in api["rows"].as_array().unwrap() {
        let mut expected: Vec<String> = columns.iter().map(|f| text(&line["amounts"][f])).collect();
        expected.push(text(&line["total"]));
        assert_eq!(
            row(statement, line["key"].as_str().unwrap()),
            expected,
            "{}",
            line["key"]
        );
    }
    assert!(statement.contains("Saldo akhir"));
    assert!(
        statement.contains("<th scope=\"rowgroup\" colspan=\"11\">Penerimaan</th>"),
        "{statement}"
    );
    assert!(statement.contains(">Zakat maal</th>"));

    // Financial position: each fund, each campaign's account, the totals.
    let page = auditor
        .get(&format!("/staff/reports/financial-position?at={today}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let api = api_json(
        &app,
        &format!("/api/v1/reports/financial-position?to={today}"),
        &auditor_token,
    )
    .await;
    assert_eq!(
        row(&page.body, "total_assets"),
        vec![text(&api["total_assets"])]
    );
    assert_eq!(
        row(&page.body, "total_funds"),
        vec![text(&api["total_funds"])]
    );
    assert_eq!(api["total_funds"], "2400000.00");
    let funds = table(&page.body, "funds");
    for total in api["fund_totals"].as_array().unwrap() {
        assert_eq!(
            row(funds, total["fund"].as_str().unwrap()),
            vec![text(&total["balance"])]
        );
    }
    assert_eq!(
        row(funds, &format!("infak_sedekah_restricted:{campaign}")),
        vec!["300000.00"]
    );
    assert!(funds.contains("Banjir Demak"));

    app.teardown().await;
}

#[tokio::test]
async fn the_collections_and_distributions_on_the_pages_are_the_apis_to_the_cent() {
    let app = TestApp::spawn().await;
    let (auditor, _, auditor_token) = PageClient::signed_in(&app, Role::Auditor).await;
    let admin = app.token(Role::Admin).await;
    record_books(&app, &admin).await;
    let today = today();
    let period = format!("from={}-01-01&to={today}", today.year());

    // Collections: the totals and the by-type rows.
    let page = auditor
        .get(&format!("/staff/reports/collections?{period}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let api = api_json(
        &app,
        &format!("/api/v1/reports/collections?{period}"),
        &auditor_token,
    )
    .await;
    let by_type = table(&page.body, "by-type");
    let totals = |t: &Value| -> Vec<String> {
        ["amount", "amil_share", "reversed", "net"]
            .iter()
            .map(|f| text(&t[*f]))
            .collect()
    };
    assert_eq!(row(by_type, "total"), totals(&api["total"]));
    for by in api["by_type"].as_array().unwrap() {
        assert_eq!(row(by_type, by["type"].as_str().unwrap()), totals(by));
    }
    assert_eq!(api["total"]["amount"], "2800000.00");

    // Distributions: by asnaf, and the total.
    let page = auditor
        .get(&format!("/staff/reports/distributions?{period}&lang=en"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let api = api_json(
        &app,
        &format!("/api/v1/reports/distributions?{period}"),
        &auditor_token,
    )
    .await;
    let by_target = table(&page.body, "by-target");
    assert_eq!(row(by_target, "total"), vec![text(&api["total"]["amount"])]);
    assert_eq!(row(by_target, "fakir"), vec!["400000.00"]);
    assert!(by_target.contains("Fakir (the destitute)"), "{by_target}");
    assert!(page.body.contains(">Rp 400,000</data>"));
    app.teardown().await;
}

#[tokio::test]
async fn each_reports_csv_is_the_apis_csv_byte_for_byte() {
    let app = TestApp::spawn().await;
    let (amil, _, token) = PageClient::signed_in(&app, Role::Amil).await;
    let admin = app.token(Role::Admin).await;
    record_books(&app, &admin).await;
    let today = today();
    let period = format!("from={}-01-01&to={today}", today.year());
    for (page_query, api_query) in [
        (
            format!("changes-in-funds?{period}"),
            format!("changes-in-funds?{period}"),
        ),
        (
            format!("financial-position?at={today}"),
            format!("financial-position?to={today}"),
        ),
        (
            format!("collections?{period}"),
            format!("collections?{period}"),
        ),
        (
            format!("distributions?{period}"),
            format!("distributions?{period}"),
        ),
    ] {
        let page = amil
            .client
            .get(app.url(&format!("/staff/reports/{page_query}&format=csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{page_query}");
        let api = app
            .client
            .get(app.url(&format!("/api/v1/reports/{api_query}")))
            .bearer_auth(&token)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200, "{api_query}");
        for header in ["content-type", "content-disposition"] {
            assert_eq!(
                page.headers()[header],
                api.headers()[header],
                "{page_query}: {header}"
            );
        }
        let page = page.bytes().await.unwrap();
        let api = api.bytes().await.unwrap();
        assert!(page.len() > 40, "{page_query}: {page:?}");
        assert_eq!(page, api, "{page_query}");
    }
    // The page links its CSV.
    let page = amil
        .get(&format!("/staff/reports/collections?{period}"))
        .await;
    assert!(
        page.body.contains(&format!(
            "href=\"/staff/reports/collections?from={}-01-01&amp;to={today}&amp;format=csv\"",
            today.year()
        )),
        "{}",
        page.body
    );
    app.teardown().await;
}

fn assert_invalid(page: &Page, id: &str, entered: &str) {
    assert_eq!(page.status, 422, "{}", page.body);
    let start = page
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id}: {}", page.body));
    let tag = &page.body[start..start + page.body[start..].find('>').unwrap()];
    assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
    assert!(
        tag.contains(&format!("value=\"{entered}\"")),
        "the entered value is kept: {tag}"
    );
    assert!(
        page.body.contains(&format!("id=\"{id}-error\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("role=\"alert\""));
    assert_eq!(page.body.matches("<h1").count(), 1);
}

#[tokio::test]
async fn a_bad_date_is_422_with_the_field_named_and_what_was_entered_kept() {
    let app = TestApp::spawn().await;
    let (staff, _, _) = PageClient::signed_in(&app, Role::Amil).await;
    let page = staff
        .get("/staff/reports/collections?from=2026-13-01&to=2026-01-31")
        .await;
    assert_invalid(&page, "collections-from", "2026-13-01");
    assert!(
        page.body.contains("YYYY-MM-DD"),
        "the API's message: {}",
        page.body
    );
    // `from` after `to`: the API names `from`.
    let page = staff
        .get("/staff/reports/changes-in-funds?from=2026-02-01&to=2026-01-31")
        .await;
    assert_invalid(&page, "changes-from", "2026-02-01");
    // A missing end.
    let page = staff
        .get("/staff/reports/distributions?from=2026-01-01&lang=en")
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("id=\"distributions-to-error\""));
    assert!(page.body.contains("<html lang=\"en\""));
    let page = staff.get("/staff/reports/financial-position?at=nope").await;
    assert_invalid(&page, "position-at", "nope");
    // The CSV of a bad period is not a CSV.
    let page = staff
        .get("/staff/reports/collections?from=x&to=2026-01-31&format=csv")
        .await;
    assert_eq!(page.status, 422);
    // An unknown format is a bad request.
    let page = staff
        .get("/staff/reports/collections?from=2026-01-01&to=2026-01-31&format=pdf")
        .await;
    assert_eq!(page.status, 400);
    app.teardown().await;
}

#[tokio::test]
async fn the_reports_index_offers_a_period_picker_for_each_report() {
    let app = TestApp::spawn().await;
    let (staff, _, _) = PageClient::signed_in(&app, Role::Auditor).await;
    for lang in ["id", "en"] {
        let page = staff.get(&format!("/staff/reports?lang={lang}")).await;
        assert_eq!(page.status, 200);
        for (action, fields) in [
            (
                "changes-in-funds",
                ["changes-from", "changes-to"].as_slice(),
            ),
            ("financial-position", ["position-at"].as_slice()),
            (
                "collections",
                ["collections-from", "collections-to"].as_slice(),
            ),
            (
                "distributions",
                ["distributions-from", "distributions-to"].as_slice(),
            ),
        ] {
            assert!(
                page.body.contains(&format!(
                    "method=\"get\" action=\"/staff/reports/{action}\""
                )),
                "{action}"
            );
            for field in fields {
                assert!(page.body.contains(&format!("for=\"{field}\"")), "{field}");
            }
        }
    }
    let today = today();
    assert_eq!(
        staff.get("/staff/reports").await.input_value("at"),
        Some(today.to_string())
    );
    // A report without a period shows this year so far.
    let page = staff.get("/staff/reports/collections").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let first = format!("{}-01-01", today.year());
    assert_eq!(page.input_value("from"), Some(first.clone()));
    assert_eq!(page.input_value("to"), Some(today.to_string()));
    // Switching the language keeps the period shown.
    let page = staff
        .get(&format!(
            "/staff/reports/collections?from={first}&to={today}&lang=id"
        ))
        .await;
    assert!(
        page.body.contains(&format!(
            "href=\"/staff/reports/collections?from={first}&amp;to={today}&amp;lang=en\""
        )),
        "{}",
        page.body
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_audit_trail_lists_the_newest_actions_first_and_filters_by_action() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    record_books(&app, &token).await;
    let sedekah = app.donate(&token, &gift("sedekah", "100000")).await;
    let void = format!("/api/v1/donations/{}/void", sedekah["id"].as_str().unwrap());
    created(
        app.post(&void, &token, None, &json!({ "reason": "salah catat" }))
            .await,
    )
    .await;
    let length = RawConnection::open(app.database_url())
        .await
        .count("SELECT MAX(seq) FROM audit_entries")
        .await;

    let page = admin.get("/staff/audit").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let entries = table(&page.body, "audit-entries");
    // The newest first: the void, at the head of the chain.
    let first = &entries[entries.find("<tr id=\"entry-").unwrap()..];
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(
        first.starts_with(&format!("<tr id=\"entry-{length}\"")),
        "{first}"
    );
    assert!(first.contains("donation.void"), "{first}");
    assert!(entries.contains("donation.record"));
    assert!(entries.contains("distribution.record"));
    assert!(
        page.body
            .contains(&format!("Entri dalam rantai: {length}.")),
        "{}",
        page.body
    );

    // Only the donations recorded.
    let page = admin.get("/staff/audit?action=donation.record").await;
    let entries = table(&page.body, "audit-entries");
    assert_eq!(entries.matches("<tr id=\"entry-").count(), 3, "{entries}");
    assert!(!entries.contains("donation.void"));
    assert_eq!(
        page.input_value("action").as_deref(),
        Some("donation.record")
    );

    // Older than the void: the void is not listed, the entry before it is.
    let page = admin
        .get(&format!("/staff/audit?before={length}&lang=en"))
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(&format!("id=\"entry-{length}\"")));
    assert!(page.body.contains(&format!("id=\"entry-{}\"", length - 1)));
    assert!(page.body.contains("Audit trail"));
    assert_eq!(admin.get("/staff/audit?before=abc").await.status, 400);
    app.teardown().await;
}

/// Lets the test change what the application never may (as `audit.rs` does).
async fn tamper(app: &TestApp, sql: &str) {
    let mut raw = RawConnection::open(app.database_url()).await;
    let unlock = if raw.is_sqlite() {
        "DROP TRIGGER audit_entries_are_never_updated; DROP TRIGGER audit_entries_are_never_deleted;"
    } else {
        "ALTER TABLE audit_entries DISABLE TRIGGER USER;"
    };
    raw.execute(unlock).await.unwrap();
    raw.execute(sql).await.unwrap();
}

#[tokio::test]
async fn verify_shows_an_intact_chain_and_its_signed_head_then_names_the_first_bad_entry() {
    let app = TestApp::spawn().await;
    let (auditor, _, token) = PageClient::signed_in(&app, Role::Auditor).await;
    let admin = app.token(Role::Admin).await;
    record_books(&app, &admin).await;
    let api = api_json(&app, "/api/v1/audit/verify", &token).await;
    assert_eq!(api["ok"], true);

    let page = auditor.get("/staff/audit/verify").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("class=\"alert ok\" id=\"audit-outcome\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Rantai utuh."));
    assert!(page.body.contains(api["head"].as_str().unwrap()));
    assert!(page.body.contains(api["public_key"].as_str().unwrap()));
    // The newest checkpoint signs the newest entry.
    let entries = api["entries"].as_u64().unwrap();
    assert!(
        page.body
            .contains(&format!("id=\"checkpoint-seq\">{entries}<")),
        "{}",
        page.body
    );
    // The signed head, as `audit head` prints it, verifies against the chain.
    let line = page.body.split("id=\"signed-head\"><code>").nth(1).unwrap();
    let line = line[..line.find("</code>").unwrap()].replace("&quot;", "\"");
    let head: storage::ledger::HeadLine = serde_json::from_str(&line).unwrap();
    assert_eq!(head.seq, entries);
    assert_eq!(head.hash, api["head"].as_str().unwrap());
    let report = app
        .state
        .database()
        .audit_verify_against(app.state.checkpoint_key(), &[head])
        .await
        .unwrap();
    assert!(report.is_ok() && report.heads_checked == 1, "{report:?}");

    // Someone edits an entry in the database: the page names it.
    tamper(
        &app,
        "UPDATE audit_entries SET actor = 'user:999' WHERE seq = 4",
    )
    .await;
    let page = auditor.get("/staff/audit/verify?lang=en").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("class=\"alert error\" id=\"audit-outcome\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"first-bad-entry\">4<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("The chain is broken."));
    assert!(page.body.contains("href=\"/staff/audit?before=5\""));
    assert!(
        !page.body.contains("id=\"signed-head\""),
        "no head is signed for a broken chain"
    );
    // The invariants of teardown do not hold for a tampered chain.
    app.stop_without_checks().await;
}

#[tokio::test]
async fn who_may_see_the_dashboard_the_reports_and_the_audit_trail() {
    let app = TestApp::spawn().await;
    let today = today();
    let report = format!(
        "/staff/reports/collections?from={}-01-01&to={today}",
        today.year()
    );
    let amil = staff(&app, Role::Amil).await;
    let auditor = staff(&app, Role::Auditor).await;
    let admin = staff(&app, Role::Admin).await;
    for path in ["/staff", "/staff/reports", report.as_str()] {
        for (who, client) in [("amil", &amil), ("auditor", &auditor), ("admin", &admin)] {
            assert_eq!(client.get(path).await.status, 200, "{who}: {path}");
        }
    }
    for path in ["/staff/audit", "/staff/audit/verify"] {
        assert_eq!(amil.get(path).await.status, 403, "amil: {path}");
        assert_eq!(auditor.get(path).await.status, 200, "auditor: {path}");
        assert_eq!(admin.get(path).await.status, 200, "admin: {path}");
    }
    // The auditor reads; the dashboard offers them nothing to record.
    let dashboard = auditor.get("/staff").await;
    assert!(
        !dashboard.body.contains("/staff/donations/new"),
        "{}",
        dashboard.body
    );
    assert!(
        amil.get("/staff")
            .await
            .body
            .contains("/staff/donations/new")
    );
    // Signed out: to the sign-in page, back here afterwards.
    let visitor = PageClient::new(&app);
    for path in ["/staff", "/staff/reports", "/staff/audit/verify"] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(page.location().starts_with("/login?next="), "{path}");
    }
    let csv = visitor.get(&format!("{report}&format=csv")).await;
    assert_eq!(csv.status, 303, "no CSV without signing in");
    app.teardown().await;
}
