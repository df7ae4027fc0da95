use super::*;

const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigReport> {
    Config::load(&Environment::from_pairs(pairs.iter().copied()), None)
}

fn variables(report: &ConfigReport) -> Vec<&'static str> {
    report
        .problems
        .iter()
        .map(|problem| problem.variable)
        .collect()
}

#[test]
fn dev_needs_no_configuration_at_all() {
    let config = load(&[]).unwrap();
    assert_eq!(config.app_env, AppEnv::Dev);
    assert_eq!(config.port, 4000);
    assert_eq!(config.pool_size, 10);
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(
        config.database_url.expose(),
        "sqlite://./data/donation_platform.db"
    );
    assert!(
        matches!(config.secret_key_base, SecretKeyBase::Generated(ref path) if path == Path::new("./data/secret_key_base"))
    );
    assert_eq!(config.log_format, LogFormat::Text);
}

#[test]
fn prod_with_nothing_set_names_both_required_variables() {
    let report = load(&[("APP_ENV", "prod")]).unwrap_err();
    assert_eq!(variables(&report), ["SECRET_KEY_BASE", "DATABASE_URL"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let short_secret = &GOOD_SECRET[..63];
    let report = load(&[
        ("APP_ENV", "prod"),
        ("SECRET_KEY_BASE", short_secret),
        ("PORT", "abc"),
        ("POOL_SIZE", "0"),
        ("DATABASE_URL", "mysql://root:hunter2@db/app"),
    ])
    .unwrap_err();
    assert_eq!(
        variables(&report),
        ["SECRET_KEY_BASE", "DATABASE_URL", "PORT", "POOL_SIZE"]
    );
    let text = report.to_string();
    assert!(text.contains("is 63 bytes long"), "{text}");
    assert!(text.contains("`mysql`"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains(short_secret), "{text}");
}

#[test]
fn prod_postgres_must_verify_the_server_certificate() {
    let with = |url: &str| {
        load(&[
            ("APP_ENV", "prod"),
            ("SECRET_KEY_BASE", GOOD_SECRET),
            ("DATABASE_URL", url),
        ])
    };
    for unverified in [
        "postgres://app@db/donations",
        "postgres://app@db/donations?sslmode=require",
        "postgres://app@db/donations?sslmode=verify-ca&sslrootcert=/ca.pem",
        "postgres://app@db/donations?sslmode=verify-full",
    ] {
        let report = with(unverified).unwrap_err();
        assert_eq!(variables(&report), ["DATABASE_URL"], "{unverified}");
    }
    for verified in [
        "postgres://app@db/donations?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        "postgres:///donations?host=/var/run/postgresql",
        "postgresql://app@%2Fvar%2Frun%2Fpostgresql/donations",
    ] {
        assert!(with(verified).is_ok(), "{verified}");
    }
}

#[test]
fn dev_postgres_may_skip_certificate_verification() {
    assert!(load(&[("DATABASE_URL", "postgres://app@localhost/donations")]).is_ok());
}

#[test]
fn a_secret_and_its_file_variant_are_exclusive() {
    let report = load(&[
        ("SECRET_KEY_BASE", GOOD_SECRET),
        ("SECRET_KEY_BASE_FILE", "/x"),
    ])
    .unwrap_err();
    assert_eq!(variables(&report), ["SECRET_KEY_BASE_FILE"]);
}

#[test]
fn a_secret_file_is_read_without_its_trailing_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, format!("{GOOD_SECRET}\n")).unwrap();
    let config = load(&[("SECRET_KEY_BASE_FILE", path.to_str().unwrap())]).unwrap();
    assert!(
        matches!(config.secret_key_base, SecretKeyBase::Given(ref s) if s.expose() == GOOD_SECRET)
    );
}

#[test]
fn an_unreadable_secret_file_is_reported_by_its_variable() {
    let report = load(&[("DATABASE_URL_FILE", "/nonexistent/url")]).unwrap_err();
    assert_eq!(variables(&report), ["DATABASE_URL_FILE"]);
}

#[test]
fn bad_simple_values_are_each_named() {
    let report = load(&[
        ("APP_ENV", "staging"),
        ("HOST", "https://example.org/"),
        ("LOG_LEVEL", "info,[[["),
        ("LOG_FORMAT", "xml"),
        ("SSL_CERT_FILE", "/nonexistent/ca.pem"),
        ("PORT", "70000"),
    ])
    .unwrap_err();
    assert_eq!(
        variables(&report),
        [
            "APP_ENV",
            "SSL_CERT_FILE",
            "PORT",
            "HOST",
            "LOG_LEVEL",
            "LOG_FORMAT"
        ]
    );
}

#[test]
fn prod_keeps_data_in_the_release_root() {
    let env = Environment::from_pairs([
        ("APP_ENV", "prod"),
        ("SECRET_KEY_BASE", GOOD_SECRET),
        ("DATABASE_URL", "sqlite:///srv/dp.db"),
    ]);
    let config = Config::load(&env, Some(Path::new("/opt/dp"))).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/opt/dp/var"));
    assert_eq!(config.log_format, LogFormat::Json);
}

#[test]
fn empty_values_count_as_unset() {
    assert_eq!(load(&[("PORT", "")]).unwrap().port, 4000);
}

#[test]
fn the_env_example_documents_exactly_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.env.example");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut documented: Vec<&str> = text
        .lines()
        .filter_map(|line| {
            let line = line.trim_start_matches('#').trim_start();
            let (name, _) = line.split_once('=')?;
            let is_name =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            is_name.then_some(name)
        })
        .collect();
    documented.sort_unstable();
    let mut registry: Vec<&str> = env_vars::ALL.iter().map(|var| var.name).collect();
    registry.sort_unstable();
    assert_eq!(
        documented, registry,
        ".env.example and env_vars.rs disagree"
    );
}

#[test]
fn the_env_example_is_itself_a_valid_prod_configuration_apart_from_its_files() {
    // Every value in the example parses; only the files it points at are missing here.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.env.example"))
            .unwrap();
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .collect();
    let report = load(&pairs).unwrap_err();
    assert_eq!(
        variables(&report),
        ["SECRET_KEY_BASE_FILE", "SSL_CERT_FILE"]
    );
}

#[test]
fn audit_previous_public_keys_parse_as_comma_separated_hex_and_every_bad_one_is_named() {
    let key = domain::audit::CheckpointKey::derive(GOOD_SECRET.as_bytes()).public_key();
    let other = domain::audit::CheckpointKey::derive(b"another").public_key();
    let list = format!("{key}, {}", other.to_string().to_uppercase());
    let config = load(&[("AUDIT_PREVIOUS_PUBLIC_KEYS", &list)]).unwrap();
    assert_eq!(config.audit_previous_public_keys, [key, other]);
    assert!(load(&[]).unwrap().audit_previous_public_keys.is_empty());

    let identity = format!("01{}", "00".repeat(31));
    let bad = format!("{key},abc,{identity}");
    let report = load(&[("AUDIT_PREVIOUS_PUBLIC_KEYS", &bad), ("PORT", "x")]).unwrap_err();
    assert_eq!(
        variables(&report),
        [
            "AUDIT_PREVIOUS_PUBLIC_KEYS",
            "AUDIT_PREVIOUS_PUBLIC_KEYS",
            "PORT"
        ]
    );
    let text = report.to_string();
    assert!(
        text.contains("key 2 (`abc`) is not 64 hex digits"),
        "{text}"
    );
    assert!(text.contains("key 3") && text.contains("weak"), "{text}");
}

#[test]
fn connection_limits_default_like_a_reverse_proxy_and_accept_seconds_or_milliseconds() {
    let config = load(&[]).unwrap();
    assert_eq!(config.http_limits, web::server::Limits::default());
    assert_eq!(config.http_limits.max_connections, 8_192);
    assert_eq!(
        config.http_limits.header_read_timeout,
        Duration::from_secs(10)
    );
    assert_eq!(
        config.http_limits.keep_alive_timeout,
        Duration::from_secs(60)
    );
    assert_eq!(config.http_limits.request_timeout, Duration::from_secs(30));
    let config = load(&[
        ("MAX_CONNECTIONS", "100"),
        ("HEADER_READ_TIMEOUT", "500ms"),
        ("KEEP_ALIVE_TIMEOUT", "5"),
        ("REQUEST_TIMEOUT", "2s"),
    ])
    .unwrap();
    assert_eq!(config.http_limits.max_connections, 100);
    assert_eq!(
        config.http_limits.header_read_timeout,
        Duration::from_millis(500)
    );
    assert_eq!(
        config.http_limits.keep_alive_timeout,
        Duration::from_secs(5)
    );
    assert_eq!(config.http_limits.request_timeout, Duration::from_secs(2));
    assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
    assert_eq!(format_duration(Duration::from_secs(60)), "60s");
}

#[test]
fn bad_connection_limits_are_each_named() {
    let report = load(&[
        ("MAX_CONNECTIONS", "0"),
        ("HEADER_READ_TIMEOUT", "10 minutes"),
        ("KEEP_ALIVE_TIMEOUT", "50ms"),
        ("REQUEST_TIMEOUT", "-1s"),
    ])
    .unwrap_err();
    assert_eq!(
        variables(&report),
        [
            "MAX_CONNECTIONS",
            "HEADER_READ_TIMEOUT",
            "KEEP_ALIVE_TIMEOUT",
            "REQUEST_TIMEOUT"
        ]
    );
    let text = report.to_string();
    assert!(text.contains("from 100ms to 3600s"), "{text}");
    assert!(text.contains("from 1 to 1000000"), "{text}");
}
