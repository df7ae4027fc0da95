//! The browser tests: headless Chromium through the pages (tests/browser/flow.mjs).
//!
//! This test starts the application, makes an admin user and some books to look at (a
//! campaign, a donation, a mustahik paid), then runs `node flow.mjs`, which drives Debian's
//! Chromium with playwright-core: sign in, record a donation and submit it twice (one
//! donation), open and print its receipt, open its verification URL signed out, the zakat
//! calculator in Indonesian and in English, the dashboard and a PSAK 109 statement, sign out;
//! and every page of the route contract once, each checked with axe-core. A screenshot of
//! every step lands in `target/browser/` (with `receipt.pdf`). The test fails when node does,
//! and when the pinned node tools are missing: it never passes without running.
//!
//! `cargo xtask test` installs the tools (playwright-core and axe-core, from
//! tests/browser/package-lock.json) and names their directory in `DONATION_PLATFORM_NODE_TOOLS`;
//! `cargo xtask browser` runs this test alone the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::Role;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::pages::TEST_PASSWORD;

/// Names the directory with the installed `node_modules` (set by `cargo xtask`).
const NODE_TOOLS_ENV: &str = "DONATION_PLATFORM_NODE_TOOLS";
/// Names the Chromium program; Debian's by default.
const CHROMIUM_ENV: &str = "CHROMIUM";
const CHROMIUM_DEFAULT: &str = "/usr/bin/chromium";
/// Longer than the flow takes on a slow machine (some 20 s here), short enough to fail a hang.
const FLOW_TIMEOUT: Duration = Duration::from_secs(240);

/// Where the pinned node tools are, or a panic that says how to install them.
fn node_tools() -> PathBuf {
    const HOW: &str = "run `cargo xtask browser` (this test alone) or `cargo xtask test` (the \
        suite), which install playwright-core and axe-core from \
        crates/cli/tests/browser/package-lock.json and set it";
    let Some(dir) = std::env::var_os(NODE_TOOLS_ENV).filter(|dir| !dir.is_empty()) else {
        panic!(
            "the browser test needs the pinned node tools and {NODE_TOOLS_ENV} is not set: {HOW}"
        );
    };
    let dir = PathBuf::from(dir);
    for package in ["playwright-core", "axe-core"] {
        let manifest = dir.join("node_modules").join(package).join("package.json");
        assert!(
            manifest.is_file(),
            "{NODE_TOOLS_ENV}={} has no {package} installed: {HOW}",
            dir.display()
        );
    }
    dir
}

fn chromium() -> PathBuf {
    let program = std::env::var_os(CHROMIUM_ENV)
        .filter(|program| !program.is_empty())
        .map_or_else(|| PathBuf::from(CHROMIUM_DEFAULT), PathBuf::from);
    assert!(
        program.is_file(),
        "the browser test needs Chromium at {} (`apt-get install chromium`, as .ci/run does; \
         or set {CHROMIUM_ENV})",
        program.display()
    );
    program
}

/// `target/browser`, emptied: the workspace's target directory is the parent of cargo's
/// temporary directory for integration tests.
fn screenshot_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory");
    let dir = target.join("browser");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The seeded donor and mustahik.
const DONOR: &str = "Siti Aminah";
const MUSTAHIK: &str = "Pak Darto";

/// What the flow visits besides what it records itself: returns the ids it needs.
async fn seed(app: &TestApp, token: &str) -> Value {
    // The receipts' letterhead.
    let institution = app
        .client
        .put(app.url("/api/v1/settings/institution"))
        .bearer_auth(token)
        .json(&json!({
            "name": "LAZ Amanah Umat Bandung", "licence_type": "laz_provincial",
            "licence_number": "KEP-BAZNAS/JB/77/2024", "address": "Jl. Asia Afrika No. 1, Bandung 40111",
            "officer_name": "Ahmad Fauzi", "officer_title": "Kepala Bagian Pengumpulan", "code": "3173",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        institution.status(),
        200,
        "{}",
        institution.text().await.unwrap()
    );
    let campaign = app
        .post(
            "/api/v1/campaigns",
            token,
            None,
            &json!({"name": "Banjir Demak", "purpose": "disaster relief", "allowed_asnaf": ["fakir", "miskin"]}),
        )
        .await;
    assert_eq!(campaign.status(), 201, "{}", campaign.text().await.unwrap());
    let campaign: Value = campaign.json().await.unwrap();
    // Today where the books are kept (WIB), as flow.mjs's period is.
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    let donation = app
        .donate(
            token,
            &json!({"type": "zakat_maal", "amount": "2500000", "currency": "IDR", "method": "cash",
                "received_on": today, "campaign_id": campaign["id"], "donor": {"name": DONOR}}),
        )
        .await;
    let distribution = app
        .post(
            "/api/v1/distributions",
            token,
            Some(&uuid::Uuid::new_v4().to_string()),
            &json!({"fund": "zakat", "campaign_id": campaign["id"], "asnaf": "miskin",
                "program": "Bantuan pangan", "amount": "500000", "currency": "IDR", "method": "cash",
                "recipient": {"name": MUSTAHIK}}),
        )
        .await;
    assert_eq!(
        distribution.status(),
        201,
        "{}",
        distribution.text().await.unwrap()
    );
    let distribution: Value = distribution.json().await.unwrap();
    let code = donation["verification_url"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .unwrap();
    json!({
        "campaign_id": campaign["id"],
        "donation_id": donation["id"],
        "donor_id": donation["donor_id"],
        "code": code,
        "distribution_id": distribution["id"],
        "recipient_id": distribution["recipient_id"],
        // No public page may show them (flow.mjs records a donation from the third).
        "names": [DONOR, MUSTAHIK, "Hamba Allah Peramban"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_in_chromium_goes_through_the_pages_and_every_page_passes_axe() {
    let tools = node_tools();
    let chromium = chromium();
    // The receipts link to the host the browser uses, so verification stays on one origin.
    let app = TestApp::spawn_with(&[("HOST", "127.0.0.1")]).await;
    let (token, _, email) = app.user_with_token(Role::Admin, None).await;
    let seed = seed(&app, &token).await;
    let donations_before = donation_count(&app, &token).await;
    // Chromium asks for it on pages that name no icon (the printable receipt): not a 404.
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    let out = screenshot_dir();

    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/flow.mjs");
    let mut node = tokio::process::Command::new("node");
    node.arg(&flow)
        .env("BROWSER_BASE_URL", app.url(""))
        .env("BROWSER_EMAIL", &email)
        .env("BROWSER_PASSWORD", TEST_PASSWORD)
        .env("BROWSER_API_TOKEN", &token)
        .env("BROWSER_CHROMIUM", &chromium)
        .env("BROWSER_OUT", &out)
        .env("BROWSER_SEED", seed.to_string())
        .env(NODE_TOOLS_ENV, &tools)
        .kill_on_drop(true);
    let status = tokio::time::timeout(FLOW_TIMEOUT, node.status())
        .await
        .unwrap_or_else(|_| panic!("flow.mjs did not finish within {FLOW_TIMEOUT:?}"))
        .expect("node runs (the Debian package nodejs, as .ci/run installs)");
    assert!(
        status.success(),
        "flow.mjs failed ({status}): its output above lists why; screenshots in {}",
        out.display()
    );

    // What the flow checked through the API, once more from here: one donation recorded.
    assert_eq!(
        donation_count(&app, &token).await,
        donations_before + 1,
        "the browser's donation, submitted twice, is recorded once"
    );
    for name in ["receipt.pdf", "01-landing.png"] {
        assert!(out.join(name).is_file(), "no {name} in {}", out.display());
    }
    app.teardown().await;
}

async fn donation_count(app: &TestApp, token: &str) -> usize {
    let page: Value = app
        .get_as("/api/v1/donations?limit=100", token)
        .await
        .json()
        .await
        .unwrap();
    page["donations"].as_array().unwrap().len()
}
