//! The audit chain: every change is chained, and any edit, deletion, reordering or truncation
//! made directly in the database is reported with the first bad sequence number.

use domain::Role;
use serde_json::json;

use crate::support::{BinaryCommand, RawConnection, TestApp};

/// An app with a few donations, a refund and a distribution on its chain.
async fn app_with_history() -> (TestApp, i64) {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    for amount in ["100000", "250000", "4000000", "50000"] {
        app.donate(
            &amil,
            &json!({ "type": "zakat_maal", "amount": amount, "currency": "IDR", "method": "cash",
                                    "received_on": today, "anonymous": true }),
        )
        .await;
    }
    let mut raw = RawConnection::open(app.database_url()).await;
    let entries = raw.count("SELECT COUNT(*) FROM audit_entries").await;
    assert!(
        entries >= 6,
        "user, token and donations are chained: {entries}"
    );
    (app, entries)
}

/// Lets the test change what the application never may.
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

async fn first_bad_seq(app: &TestApp) -> Option<u64> {
    let report = app
        .state
        .database()
        .audit_verify(app.state.checkpoint_key())
        .await
        .unwrap();
    report.problem.map(|problem| problem.seq)
}

async fn finish(app: TestApp) {
    // The invariants of teardown do not hold for a tampered chain; stop without them.
    app.stop_without_checks().await;
}

#[tokio::test]
async fn an_untouched_chain_verifies() {
    let (app, entries) = app_with_history().await;
    let report = app
        .state
        .database()
        .audit_verify(app.state.checkpoint_key())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries, u64::try_from(entries).unwrap());
    assert!(report.checkpoints_verified >= 3);
    app.teardown().await;
}

#[tokio::test]
async fn an_edited_payload_is_named() {
    let (app, _) = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_entries SET payload = replace(payload, '4000000', '400000') WHERE seq = 5",
    )
    .await;
    let changed = RawConnection::open(app.database_url())
        .await
        .count("SELECT COUNT(*) FROM audit_entries WHERE payload LIKE '%\"400000.00\"%'")
        .await;
    assert_eq!(changed, 1, "the tampering took effect");
    assert_eq!(first_bad_seq(&app).await, Some(5));
    finish(app).await;
}

#[tokio::test]
async fn an_edited_actor_is_named() {
    let (app, _) = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_entries SET actor = 'user:999' WHERE seq = 4",
    )
    .await;
    assert_eq!(first_bad_seq(&app).await, Some(4));
    finish(app).await;
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let (app, _) = app_with_history().await;
    tamper(&app, "DELETE FROM audit_entries WHERE seq = 3").await;
    assert_eq!(first_bad_seq(&app).await, Some(3));
    finish(app).await;
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let (app, _) = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_entries SET seq = -1 WHERE seq = 3; UPDATE audit_entries SET seq = 3 WHERE seq = 4; \
         UPDATE audit_entries SET seq = 4 WHERE seq = -1;",
    )
    .await;
    assert_eq!(first_bad_seq(&app).await, Some(3));
    finish(app).await;
}

#[tokio::test]
async fn removing_the_newest_entries_is_detected_against_the_last_checkpoint() {
    let (app, entries) = app_with_history().await;
    tamper(
        &app,
        &format!("DELETE FROM audit_entries WHERE seq > {}", entries - 2),
    )
    .await;
    assert_eq!(
        first_bad_seq(&app).await,
        Some(u64::try_from(entries - 1).unwrap())
    );
    finish(app).await;
}

#[tokio::test]
async fn the_audit_verify_command_names_the_first_bad_entry_and_exports_json_lines() {
    let (app, entries) = app_with_history().await;
    let dir = crate::support::binary::temp_dir();
    let data_dir = app.data_dir();
    let run = |args: &[&str]| {
        BinaryCommand::new(dir.path())
            .args(args.iter().copied())
            .env("DATABASE_URL", app.database_url())
            .env("DATA_DIR", &data_dir)
            .output()
    };
    let ok = run(&["audit", "verify"]);
    assert_eq!(ok.code(), 0, "{}", ok.all_output());
    assert!(
        ok.stdout
            .contains(&format!("audit chain ok: {entries} entries")),
        "{}",
        ok.stdout
    );

    let export = run(&["audit", "export"]);
    assert_eq!(export.code(), 0, "{}", export.all_output());
    let lines: Vec<serde_json::Value> = export
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let chained = lines.iter().filter(|line| line["kind"] == "entry").count();
    assert_eq!(i64::try_from(chained).unwrap(), entries);
    assert!(lines.iter().any(|line| line["kind"] == "checkpoint"));

    tamper(
        &app,
        "UPDATE audit_entries SET subject = 'donation:someone-else' WHERE seq = 6",
    )
    .await;
    let broken = run(&["audit", "verify"]);
    assert_eq!(broken.code(), 1, "{}", broken.all_output());
    assert!(
        broken.stdout.contains("BROKEN at entry 6"),
        "{}",
        broken.stdout
    );
    finish(app).await;
}

#[tokio::test]
async fn financial_rows_cannot_be_changed_or_deleted() {
    let (app, _) = app_with_history().await;
    let mut raw = RawConnection::open(app.database_url()).await;
    for statement in [
        "UPDATE donations SET amount_minor = 1",
        "DELETE FROM donations",
        "UPDATE journal_lines SET amount_minor = 1",
        "DELETE FROM journal_lines",
        "DELETE FROM journal_entries",
        "UPDATE audit_entries SET actor = 'x'",
        "DELETE FROM audit_entries",
        "DELETE FROM audit_checkpoints",
        "UPDATE idempotency_keys SET status = 500",
    ] {
        let err = raw.execute(statement).await.expect_err(statement);
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    app.teardown().await;
}
