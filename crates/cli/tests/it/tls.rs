//! PostgreSQL over TLS with `verify-full`, against the throwaway CA and server that the test
//! command (`cargo xtask test`) starts. Runs whenever the suite runs on PostgreSQL.

use storage::test_support::TEST_DATABASE_URL;

use crate::support::{BinaryCommand, GOOD_SECRET, binary::temp_dir};

/// The CA that signed the test server's certificate (for `CN=localhost`, `DNS:localhost`).
const TEST_DATABASE_CA: &str = "TEST_DATABASE_CA";

/// `(port, CA file)` of the TLS-enabled test server, or `None` on an SQLite-only run.
fn tls_server() -> Option<(u16, String)> {
    let url = std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|url| !url.is_empty())?;
    let ca = std::env::var(TEST_DATABASE_CA).unwrap_or_else(|_| {
        panic!("{TEST_DATABASE_URL} is set but {TEST_DATABASE_CA} is not: run the suite with `cargo xtask test`")
    });
    let port = url::Url::parse(&url).unwrap().port().unwrap_or(5432);
    Some((port, ca))
}

fn migrate_check_in_prod(host: &str, port: u16, ca: &str) -> crate::support::binary::Outcome {
    let url = format!("postgres://postgres@{host}:{port}/postgres?sslmode=verify-full");
    BinaryCommand::new(temp_dir().path())
        .envs([
            ("APP_ENV", "prod"),
            ("SECRET_KEY_BASE", GOOD_SECRET),
            ("DATABASE_URL", url.as_str()),
            ("SSL_CERT_FILE", ca),
        ])
        .args(["migrate", "--check"])
        .output()
}

#[test]
fn verify_full_connects_to_the_name_on_the_certificate() {
    let Some((port, ca)) = tls_server() else {
        eprintln!("skipped: SQLite run (no {TEST_DATABASE_URL})");
        return;
    };
    let outcome = migrate_check_in_prod("localhost", port, &ca);
    // Connected: the shared `postgres` database is either migrated or not; both are answers.
    assert!([0, 1].contains(&outcome.code()), "{}", outcome.all_output());
}

#[test]
fn verify_full_refuses_a_host_name_not_on_the_certificate_with_a_clear_error() {
    let Some((port, ca)) = tls_server() else {
        eprintln!("skipped: SQLite run (no {TEST_DATABASE_URL})");
        return;
    };
    let outcome = migrate_check_in_prod("127.0.0.1", port, &ca);
    assert_eq!(outcome.code(), 69, "{}", outcome.all_output());
    assert!(
        outcome
            .stderr
            .contains("cannot connect to PostgreSQL at 127.0.0.1"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("certificate"), "{}", outcome.stderr);
}
