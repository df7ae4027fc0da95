//! Migrations: `migrate`, `migrate --check`, the lock, and prod's refusal of a stale schema.

use std::time::Duration;

use storage::Database;
use storage::test_support::TestDatabase;

use crate::support::{BinaryCommand, GOOD_SECRET, binary::temp_dir};

#[tokio::test]
async fn migrate_check_reports_pending_then_migrate_applies_them_once() {
    let database = TestDatabase::create().await;
    let dir = temp_dir();
    let run = |args: &'static [&'static str]| {
        BinaryCommand::new(dir.path())
            .env("DATABASE_URL", &database.url)
            .args(args.iter().copied())
            .output()
    };

    let check = run(&["migrate", "--check"]);
    assert_eq!(check.code(), 1, "{}", check.all_output());
    assert!(
        check.stdout.contains("pending migration"),
        "{}",
        check.stdout
    );
    for migration in [
        "1: users and audit chain",
        "2: ledger",
        "3: audit hash not indexed",
        "4: zakat data",
        "5: audit checkpoints ed25519",
        "6: token expiry",
        "7: fund rules",
        "8: account balances",
        "9: zakat decrees 2024 2026",
        "10: registers",
        "11: receipts",
        "12: reports",
    ] {
        assert!(check.stdout.contains(migration), "{}", check.stdout);
    }

    let migrate = run(&["migrate"]);
    assert_eq!(migrate.code(), 0, "{}", migrate.all_output());
    assert!(
        migrate
            .stdout
            .contains(&format!("applied {} migration(s)", migration_count())),
        "{}",
        migrate.stdout
    );

    let again = run(&["migrate"]);
    assert_eq!(again.code(), 0);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);

    let check = run(&["migrate", "--check"]);
    assert_eq!(check.code(), 0, "{}", check.all_output());
    assert!(check.stdout.contains("up to date"));
    database.drop_database().await;
}

#[tokio::test]
async fn prod_refuses_to_start_on_a_schema_that_is_behind_and_says_to_migrate() {
    // Prod on PostgreSQL demands verified TLS; the behaviour under test is backend-neutral,
    // so it runs on an SQLite file.
    let dir = temp_dir();
    let url = format!("sqlite://{}/prod.db", dir.path().display());
    let outcome = BinaryCommand::new(dir.path())
        .envs([
            ("APP_ENV", "prod"),
            ("SECRET_KEY_BASE", GOOD_SECRET),
            ("DATABASE_URL", url.as_str()),
        ])
        .args(["start"])
        .output();
    assert_eq!(outcome.code(), 78, "{}", outcome.all_output());
    assert!(
        outcome
            .stderr
            .contains("run `donation_platform migrate` first"),
        "{}",
        outcome.stderr
    );
}

#[tokio::test]
async fn two_instances_starting_together_on_an_empty_database_both_become_ready_and_migrate_once() {
    let database = TestDatabase::create().await;
    let dirs = [temp_dir(), temp_dir()];
    let mut servers: Vec<_> = dirs
        .iter()
        .map(|dir| {
            BinaryCommand::new(dir.path())
                .envs([
                    ("DATABASE_URL", database.url.as_str()),
                    ("PORT", "0"),
                    ("LOG_LEVEL", "info"),
                ])
                .args(["start"])
                .spawn_server()
        })
        .collect();
    for server in &mut servers {
        server.wait_ready().await;
    }
    let applied: Vec<String> = servers
        .iter()
        .map(|server| {
            let log = server.log();
            let line = log
                .lines()
                .find(|line| line.contains("schema migrated"))
                .expect("a migration line");
            line.split("applied=")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut sorted = applied.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["0".to_owned(), migration_count().to_string()],
        "exactly one instance applied the migrations: {applied:?}"
    );

    let db = Database::connect(&database.connect_options())
        .await
        .unwrap();
    assert!(db.schema_status().await.unwrap().is_current());
    db.close().await;
    for server in &mut servers {
        server.signal("TERM");
        assert!(server.wait_exit(Duration::from_secs(30)).success());
    }
    database.drop_database().await;
}

/// How many migrations this build embeds (one file per migration and backend).
fn migration_count() -> usize {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../storage/migrations/sqlite");
    std::fs::read_dir(dir)
        .expect("the migrations are in the source tree")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}
