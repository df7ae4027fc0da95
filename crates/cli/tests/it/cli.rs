//! The binary's commands and configuration behaviour, run for real.

use std::time::Duration;

use crate::support::{BinaryCommand, GOOD_SECRET, binary::temp_dir};

/// Appears in secrets below; must never be printed.
const CANARY: &str = "CANARY7f3a9c";

#[test]
fn version_prints_the_release_name_and_version() {
    let outcome = BinaryCommand::new(temp_dir().path())
        .args(["version"])
        .output();
    assert_eq!(outcome.code(), 0);
    assert_eq!(
        outcome.stdout,
        format!("donation_platform {}\n", cli::VERSION)
    );
}

#[test]
fn every_command_explains_itself_in_one_screen() {
    let commands: [&[&str]; 18] = [
        &[],
        &["start"],
        &["daemon"],
        &["console"],
        &["remote"],
        &["rpc"],
        &["pid"],
        &["stop"],
        &["restart"],
        &["upgrade"],
        &["rollback"],
        &["releases"],
        &["migrate"],
        &["config"],
        &["config", "check"],
        &["config", "show"],
        &["gen-secret"],
        &["version"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let outcome = BinaryCommand::new(temp_dir().path()).args(args).output();
        assert_eq!(outcome.code(), 0, "{command:?}");
        let lines = outcome.stdout.lines().count();
        assert!(
            (3..=40).contains(&lines),
            "{command:?} help is {lines} lines:\n{}",
            outcome.stdout
        );
        assert!(outcome.stdout.contains("Usage:"), "{command:?}");
    }
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    let outcome = BinaryCommand::new(temp_dir().path())
        .args(["frobnicate"])
        .output();
    assert_eq!(outcome.code(), 64);
    assert!(outcome.stderr.contains("frobnicate"));
}

#[test]
fn prod_with_nothing_set_exits_78_naming_both_required_variables() {
    let outcome = BinaryCommand::new(temp_dir().path())
        .env("APP_ENV", "prod")
        .args(["start"])
        .output();
    assert_eq!(outcome.code(), 78);
    assert!(
        outcome.stderr.contains("SECRET_KEY_BASE: is required"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("DATABASE_URL: is required"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("2 problems"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
}

#[test]
fn every_problem_is_reported_at_once_by_start_and_config_check_without_the_secrets() {
    let secret = format!("{CANARY}{}", &GOOD_SECRET[CANARY.len()..63]);
    assert_eq!(secret.len(), 63);
    let database_url = format!("mysql://root:{CANARY}@db/app");
    let vars = [
        ("APP_ENV", "prod"),
        ("SECRET_KEY_BASE", secret.as_str()),
        ("PORT", "abc"),
        ("POOL_SIZE", "0"),
        ("DATABASE_URL", database_url.as_str()),
    ];
    for command in [
        &["start"][..],
        &["config", "check"],
        &["config", "show"],
        &["migrate"],
    ] {
        let outcome = BinaryCommand::new(temp_dir().path())
            .envs(vars)
            .args(command.iter().copied())
            .output();
        assert_eq!(outcome.code(), 78, "{command:?}");
        for name in ["SECRET_KEY_BASE:", "PORT:", "POOL_SIZE:", "DATABASE_URL:"] {
            assert!(
                outcome.stderr.contains(name),
                "{command:?} does not name {name}:\n{}",
                outcome.stderr
            );
        }
        assert!(outcome.stderr.contains("4 problems"), "{}", outcome.stderr);
        assert!(
            !outcome.all_output().contains(CANARY),
            "{command:?} printed a secret"
        );
    }
}

#[test]
fn an_unverified_postgres_url_in_prod_is_reported_with_the_others() {
    let database_url = format!("postgres://app:{CANARY}@db.internal/donations?sslmode=require");
    let outcome = BinaryCommand::new(temp_dir().path())
        .envs([
            ("APP_ENV", "prod"),
            ("DATABASE_URL", database_url.as_str()),
            ("PORT", "-1"),
        ])
        .args(["config", "check"])
        .output();
    assert_eq!(outcome.code(), 78);
    assert!(
        outcome
            .stderr
            .contains("DATABASE_URL: does not verify the server certificate"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("SECRET_KEY_BASE: is required"));
    assert!(outcome.stderr.contains("PORT:"));
    assert!(!outcome.all_output().contains(CANARY));
}

#[test]
fn config_show_redacts_secrets_and_a_failed_connection_does_not_leak_them() {
    let dir = temp_dir();
    let secret = format!("{CANARY}{GOOD_SECRET}");
    let database_url = format!("postgres://app:{CANARY}@127.0.0.1:9/donations");
    let vars = [
        ("SECRET_KEY_BASE", secret.as_str()),
        ("DATABASE_URL", database_url.as_str()),
    ];

    let show = BinaryCommand::new(dir.path())
        .envs(vars)
        .args(["config", "show"])
        .output();
    assert_eq!(show.code(), 0, "{}", show.stderr);
    assert!(
        show.stdout
            .contains("postgres://app:***@127.0.0.1:9/donations"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .lines()
            .any(|line| line.starts_with("SECRET_KEY_BASE") && line.ends_with("***"))
    );
    assert!(!show.all_output().contains(CANARY));

    let json = BinaryCommand::new(dir.path())
        .envs(vars)
        .args(["config", "show", "--json"])
        .output();
    let parsed: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("config show --json is JSON");
    assert_eq!(parsed["SECRET_KEY_BASE"], "***");
    assert!(!json.all_output().contains(CANARY));

    let start = BinaryCommand::new(dir.path())
        .envs(vars)
        .args(["start"])
        .output();
    assert_eq!(start.code(), 69, "{}", start.all_output());
    assert!(
        start
            .stderr
            .contains("cannot connect to PostgreSQL at 127.0.0.1:9/donations"),
        "{}",
        start.stderr
    );
    assert!(!start.all_output().contains(CANARY));
}

#[test]
fn an_env_file_is_read_and_the_process_environment_wins() {
    let dir = temp_dir();
    let env_file = dir.path().join("env");
    std::fs::write(
        &env_file,
        "# comment\nPORT=4100\nPOOL_SIZE=7\nHOST=donasi.example.org\n",
    )
    .unwrap();
    let outcome = BinaryCommand::new(dir.path())
        .env("POOL_SIZE", "3")
        .args([
            "config",
            "show",
            "--json",
            "--env-file",
            env_file.to_str().unwrap(),
        ])
        .output();
    assert_eq!(outcome.code(), 0, "{}", outcome.stderr);
    let parsed: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(parsed["PORT"], "4100");
    assert_eq!(parsed["POOL_SIZE"], "3");
    assert_eq!(parsed["HOST"], "donasi.example.org");

    let missing = BinaryCommand::new(dir.path())
        .args(["config", "check", "--env-file", "/nonexistent/env"])
        .output();
    assert_eq!(missing.code(), 78);
    assert!(
        missing
            .stderr
            .contains("--env-file: cannot read `/nonexistent/env`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_secret_can_come_from_a_file() {
    let dir = temp_dir();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{GOOD_SECRET}\n")).unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    let outcome = BinaryCommand::new(dir.path())
        .envs([("APP_ENV", "prod"), ("DATABASE_URL", url.as_str())])
        .env("SECRET_KEY_BASE_FILE", &secret_file)
        .args(["config", "check"])
        .output();
    assert_eq!(outcome.code(), 0, "{}", outcome.stderr);
}

#[test]
fn gen_secret_prints_a_fresh_secret_long_enough_for_prod() {
    let dir = temp_dir();
    let first = BinaryCommand::new(dir.path()).args(["gen-secret"]).output();
    let second = BinaryCommand::new(dir.path()).args(["gen-secret"]).output();
    assert_eq!(first.code(), 0);
    let secret = first.stdout.trim_end();
    assert_eq!(secret.len(), 86);
    assert_ne!(first.stdout, second.stdout);
}

/// The README's first command: no environment at all serves `/readyz` on port 4000 with the
/// data under `./data`.
#[tokio::test]
async fn with_no_configuration_start_serves_port_4000_with_data_under_dot_data() {
    let dir = temp_dir();
    let mut server = BinaryCommand::new(dir.path())
        .args(["start"])
        .spawn_server();
    assert_eq!(server.address().port(), 4000, "{}", server.log());
    server.wait_ready().await;
    assert!(dir.path().join("data/donation_platform.db").is_file());
    let secret = dir.path().join("data/secret_key_base");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&secret).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the generated secret is private");
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(30)).success());
}
