//! Balances kept, not recomputed: each account's balance is a row moved in the transaction of
//! the journal lines that move it; `ledger check` (and `audit verify`) recompute every balance
//! from the journal and name each one that differs. Every test's teardown runs the same check.

use domain::Role;
use serde_json::{Value, json};

use crate::support::{BinaryCommand, RawConnection, TestApp, binary::Outcome};

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

/// Zakat of Rp 1,000,000 by bank transfer (Rp 125,000 of it the amil's share), then
/// Rp 500,000 of it paid out: the zakat fund holds Rp 375,000.
async fn app_with_books() -> TestApp {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    app.donate(
        &amil,
        &json!({ "type": "zakat_maal", "amount": "1000000", "currency": "IDR",
                 "method": "bank_transfer", "received_on": today(), "anonymous": true }),
    )
    .await;
    let paid = app
        .post(
            "/api/v1/distributions",
            &amil,
            None,
            &json!({ "fund": "zakat", "asnaf": "fakir", "program": "Bantuan pangan", "amount": "500000",
                     "currency": "IDR", "method": "bank_transfer",
                     "recipient": { "name": "Ahmad", "nik": "3201231508900001" } }),
        )
        .await;
    assert_eq!(paid.status(), 201, "{}", paid.text().await.unwrap());
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "375000.00");
    app
}

/// Runs the binary against the app's database.
fn run(app: &TestApp, dir: &tempfile::TempDir, args: &[&str]) -> Outcome {
    BinaryCommand::new(dir.path())
        .args(args.iter().copied())
        .env("DATABASE_URL", app.database_url())
        .env("DATA_DIR", app.data_dir())
        .output()
}

#[tokio::test]
async fn kept_balances_equal_the_journal_and_ledger_check_says_so() {
    let app = app_with_books().await;
    let dir = crate::support::binary::temp_dir();

    let check = run(&app, &dir, &["ledger", "check"]);
    assert_eq!(check.code(), 0, "{}", check.all_output());
    assert!(check.stdout.contains("balances ok"), "{}", check.stdout);

    let json = run(&app, &dir, &["ledger", "check", "--json"]);
    assert_eq!(json.code(), 0, "{}", json.all_output());
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    // asset:bank, fund:zakat and fund:amil.
    assert_eq!(report["balances_checked"], 3, "{report}");
    assert_eq!(report["differences"], json!([]), "{report}");

    let kept = app.state.database().balances().await.unwrap();
    let zakat = kept.iter().find(|b| b.account == "fund:zakat").unwrap();
    assert_eq!(
        zakat.lines_sum_minor, -37_500_000,
        "the kept row moved with the donation and the distribution"
    );
    app.teardown().await;
}

#[tokio::test]
async fn a_balance_edited_in_the_database_is_named_by_ledger_check_and_fails_audit_verify() {
    let app = app_with_books().await;
    let amil = app.token(Role::Amil).await;
    let dir = crate::support::binary::temp_dir();
    // Nothing guards the kept rows against an edit by someone with database access: the
    // check is what catches it.
    RawConnection::open(app.database_url())
        .await
        .execute(
            "UPDATE account_balances SET balance_minor = balance_minor - 100 \
             WHERE account = 'fund:zakat' AND currency = 'IDR'",
        )
        .await
        .unwrap();
    assert_eq!(
        app.fund_balance(&amil, "zakat", None).await,
        "375001.00",
        "GET /funds reads the kept row"
    );

    let check = run(&app, &dir, &["ledger", "check"]);
    assert_eq!(check.code(), 1, "{}", check.all_output());
    assert!(
        check
            .stdout
            .contains("fund:zakat IDR: kept -37500100, journal -37500000"),
        "{}",
        check.stdout
    );
    assert!(
        !check.stdout.contains("asset:bank IDR"),
        "only the edited balance is named: {}",
        check.stdout
    );

    let json = run(&app, &dir, &["ledger", "check", "--json"]);
    assert_eq!(json.code(), 1, "{}", json.all_output());
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["differences"],
        json!([{ "account": "fund:zakat", "currency": "IDR",
                 "kept_minor": -37_500_100, "journal_minor": -37_500_000 }]),
        "{report}"
    );

    let verify = run(&app, &dir, &["audit", "verify"]);
    assert_eq!(verify.code(), 1, "{}", verify.all_output());
    assert!(
        verify.stdout.contains("audit chain ok")
            && verify.stdout.contains("balances DIFFER from the journal")
            && verify.stdout.contains("fund:zakat IDR"),
        "the chain is whole, the balance is not: {}",
        verify.stdout
    );
    let verify = run(&app, &dir, &["audit", "verify", "--json"]);
    assert_eq!(verify.code(), 1, "{}", verify.all_output());
    let report: Value = serde_json::from_str(&verify.stdout).unwrap();
    assert_eq!(report["problem"], Value::Null, "{report}");
    assert_eq!(report["balances_checked"], 3, "{report}");
    assert_eq!(
        report["balance_differences"][0]["account"], "fund:zakat",
        "{report}"
    );
    // The teardown's check would fail on the edit; stop without it.
    app.stop_without_checks().await;
}

/// A release from before migration 0008 run on the database again (a rollback) writes journal
/// lines without moving the kept rows. On PostgreSQL the trigger moves them anyway; on SQLite
/// the next batch folds in every line past the rows' high-water mark before it reads one.
#[tokio::test]
async fn lines_an_older_release_wrote_are_folded_in_by_the_next_write() {
    let app = app_with_books().await;
    let amil = app.token(Role::Amil).await;
    let dir = crate::support::binary::temp_dir();
    let mut raw = RawConnection::open(app.database_url()).await;
    // What the writer of 0.1 inserted for a Rp 10,000 infak by bank transfer, and no more.
    let (entry, source) = if raw.is_sqlite() {
        (
            "X'0193f0a0000070008000000000000001'",
            "X'0193f0a0000070008000000000000002'",
        )
    } else {
        (
            "'0193f0a0-0000-7000-8000-000000000001'",
            "'0193f0a0-0000-7000-8000-000000000002'",
        )
    };
    raw.execute(&format!(
        "INSERT INTO journal_entries (id, kind, source_id, posted_at) \
         VALUES ({entry}, 'donation', {source}, '2026-12-07 00:00:00+00:00'); \
         INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor) VALUES \
         ({entry}, 1, 'asset:bank', 'IDR', 1000000), \
         ({entry}, 2, 'fund:infak_sedekah_unrestricted', 'IDR', -1000000);"
    ))
    .await
    .unwrap();
    let before = run(&app, &dir, &["ledger", "check"]);
    assert_eq!(
        before.code(),
        i32::from(raw.is_sqlite()),
        "SQLite's rows lag until the next write; PostgreSQL's trigger moved them: {}",
        before.all_output()
    );

    app.donate(
        &amil,
        &json!({ "type": "sedekah", "amount": "5000", "currency": "IDR",
                 "method": "bank_transfer", "received_on": today(), "anonymous": true }),
    )
    .await;
    let after = run(&app, &dir, &["ledger", "check"]);
    assert_eq!(after.code(), 0, "{}", after.all_output());
    assert_eq!(
        app.fund_balance(&amil, "infak_sedekah_unrestricted", None)
            .await,
        "15000.00"
    );
    app.teardown().await;
}
