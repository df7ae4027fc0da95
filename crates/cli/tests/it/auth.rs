//! Who may write, checked where it counts: role guards run before the body is read; every
//! write re-checks its token in its own transaction (revoked, disabled, expired); token
//! expiry; who the client is behind a proxy and the calculator's limit before the body;
//! who may read `/metrics`; secrets in `DATABASE_URL`; the modes of a fresh `DATA_DIR`.

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant};

use domain::Role;
use serde_json::{Value, json};
use storage::ledger::Actor;

use crate::support::binary::temp_dir;
use crate::support::{BinaryCommand, GOOD_SECRET, RawConnection, TestApp, text_of};

fn price(value: &str) -> Value {
    json!({"name": "gold_price_per_gram", "value": value, "effective_from": "2025-01-01",
           "source": "Antam, 2025-01-01"})
}

async fn post_zakat_datum(app: &TestApp, token: &str, value: &str) -> reqwest::Response {
    app.post("/api/v1/zakat/data", token, None, &price(value))
        .await
}

async fn put_amil_share(app: &TestApp, token: &str, percent: &str) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/settings/amil_share"))
        .bearer_auth(token)
        .json(&json!({ "percent": percent }))
        .send()
        .await
        .unwrap()
}

/// What a refused write must leave unchanged: audit entries, zakat data rows, settings rows.
async fn footprint(raw: &mut RawConnection) -> (i64, i64, i64) {
    (
        raw.count("SELECT COUNT(*) FROM audit_entries").await,
        raw.count("SELECT COUNT(*) FROM zakat_data").await,
        raw.count("SELECT COUNT(*) FROM settings").await,
    )
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn a_revoked_token_or_a_disabled_admin_writes_nothing_even_within_the_cache_second() {
    let app = TestApp::spawn().await;
    let mut raw = RawConnection::open(app.database_url()).await;
    let key = app.state.checkpoint_key();
    let operator = Actor::Operator("test".to_owned());

    // Revoked: the token was seen live a moment ago, so the request is admitted on the cached
    // authentication; the write's own transaction refuses it.
    let (token, id, _) = app.user_with_token(Role::Admin, None).await;
    assert_eq!(
        post_zakat_datum(&app, &token, "1600000").await.status(),
        201
    );
    let before = footprint(&mut raw).await;
    let revoked_at = Instant::now();
    app.state
        .database()
        .revoke_token(key, &operator, id)
        .await
        .unwrap();
    let after_revoke = footprint(&mut raw).await;
    let (status, datum) = problem(post_zakat_datum(&app, &token, "1700000").await).await;
    assert_eq!(status, 401, "{datum}");
    let (status, setting) = problem(put_amil_share(&app, &token, "10").await).await;
    assert_eq!(status, 401, "{setting}");
    if revoked_at.elapsed() < web::AUTHENTICATION_TTL {
        // Admitted on the cached authentication: refused by the writes themselves.
        for body in [datum, setting] {
            assert!(
                body["detail"].as_str().unwrap().contains("revoked"),
                "{body}"
            );
        }
    }
    assert_eq!(
        footprint(&mut raw).await,
        after_revoke,
        "no zakat datum, no setting, no audit entry"
    );
    assert_eq!(
        after_revoke.0,
        before.0 + 1,
        "only the revocation was audited"
    );
    // The refusals came from the writes, not from authentication: reads still pass on the
    // cached authentication within its second.
    let read = app.get_as("/api/v1/settings", &token).await.status();
    if revoked_at.elapsed() < web::AUTHENTICATION_TTL {
        assert_eq!(read, 200, "the read was admitted from the cache");
    }

    // Disabled: the same.
    let (token, _, email) = app.user_with_token(Role::Admin, None).await;
    assert_eq!(put_amil_share(&app, &token, "12").await.status(), 200);
    app.state
        .database()
        .disable_user(key, &operator, &email)
        .await
        .unwrap();
    let after_disable = footprint(&mut raw).await;
    assert_eq!(
        post_zakat_datum(&app, &token, "1800000").await.status(),
        401
    );
    assert_eq!(put_amil_share(&app, &token, "11").await.status(), 401);
    assert_eq!(footprint(&mut raw).await, after_disable);

    // After the cache second the token is refused at the door as well.
    tokio::time::sleep(web::AUTHENTICATION_TTL).await;
    assert_eq!(app.get_as("/api/v1/settings", &token).await.status(), 401);
    app.teardown().await;
}

#[tokio::test]
async fn an_expired_token_gets_401_naming_its_expiry_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let mut raw = RawConnection::open(app.database_url()).await;

    // Expired when it arrives: refused at the door, naming when.
    let past = time::macros::datetime!(2026-01-02 03:04:05 UTC);
    let (expired, _, _) = app.user_with_token(Role::Admin, Some(past)).await;
    let response = app.get_as("/api/v1/funds", &expired).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = problem(response).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["type"], "urn:donation-platform:problem:token-expired");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("expired at 2026-01-02T03:04:05Z"),
        "{body}"
    );
    let (status, _) = problem(post_zakat_datum(&app, &expired, "1600000").await).await;
    assert_eq!(status, 401);

    // A token that is still valid works.
    let later = time::OffsetDateTime::now_utc() + Duration::from_secs(3600);
    let (valid, id, _) = app.user_with_token(Role::Admin, Some(later)).await;
    assert_eq!(put_amil_share(&app, &valid, "12.5").await.status(), 200);

    // Expiring between authentication (cached as valid) and the write: the write's own
    // transaction refuses it, for ledger writes and administrative writes alike.
    let expiry = if raw.is_sqlite() {
        "'2026-01-02T03:04:05Z'"
    } else {
        "'2026-01-02T03:04:05Z'::timestamptz"
    };
    raw.execute(&format!(
        "UPDATE api_tokens SET expires_at = {expiry} WHERE id = {id}"
    ))
    .await
    .unwrap();
    let before = footprint(&mut raw).await;
    let (status, body) = problem(put_amil_share(&app, &valid, "10").await).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("expired at 2026-01-02T03:04:05Z"),
        "{body}"
    );
    let (status, body) = problem(post_zakat_datum(&app, &valid, "1700000").await).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("expired at"),
        "{body}"
    );
    let donation = json!({ "type": "infak", "amount": "1000", "currency": "IDR", "method": "cash",
        "received_on": "2026-01-02", "anonymous": true });
    let key = uuid::Uuid::new_v4().to_string();
    let (status, _) = problem(
        app.post("/api/v1/donations", &valid, Some(&key), &donation)
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        footprint(&mut raw).await,
        before,
        "nothing written, nothing audited"
    );
    app.teardown().await;
}

/// Every write route, with who may use it.
fn write_routes() -> Vec<(reqwest::Method, String, &'static [Role])> {
    use reqwest::Method;
    let id = uuid::Uuid::new_v4();
    let recorders = domain::role::RECORDERS;
    let admins = domain::role::ADMINS;
    vec![
        (Method::POST, "/api/v1/donations".to_owned(), recorders),
        (
            Method::POST,
            format!("/api/v1/donations/{id}/void"),
            recorders,
        ),
        (
            Method::POST,
            format!("/api/v1/donations/{id}/refunds"),
            recorders,
        ),
        (Method::POST, "/api/v1/distributions".to_owned(), recorders),
        (Method::POST, "/api/v1/donors".to_owned(), recorders),
        (Method::PATCH, format!("/api/v1/donors/{id}"), recorders),
        (
            Method::DELETE,
            format!("/api/v1/donors/{id}/personal-data"),
            domain::role::ERASERS,
        ),
        (Method::POST, "/api/v1/recipients".to_owned(), recorders),
        (Method::PATCH, format!("/api/v1/recipients/{id}"), recorders),
        (
            Method::DELETE,
            format!("/api/v1/recipients/{id}/personal-data"),
            domain::role::ERASERS,
        ),
        (Method::POST, "/api/v1/campaigns".to_owned(), admins),
        (
            Method::PUT,
            "/api/v1/settings/amil_share".to_owned(),
            admins,
        ),
        (
            Method::PUT,
            "/api/v1/settings/amil_share_infak".to_owned(),
            admins,
        ),
        (
            Method::PUT,
            "/api/v1/settings/amil_shortfall".to_owned(),
            admins,
        ),
        (
            Method::PUT,
            "/api/v1/settings/institution".to_owned(),
            admins,
        ),
        (Method::POST, "/api/v1/wakaf/benefits".to_owned(), recorders),
        (Method::POST, "/api/v1/zakat/data".to_owned(), admins),
    ]
}

/// How many operations of the OpenAPI document change something and need a token.
async fn bearer_write_operations(app: &TestApp) -> usize {
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut count = 0;
    for (_, item) in document["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            let operation = &item[method];
            let bearer = operation["security"]
                .as_array()
                .is_some_and(|schemes| schemes.iter().any(|scheme| scheme.get("bearer").is_some()));
            if bearer {
                count += 1;
            }
        }
    }
    count
}

#[tokio::test]
async fn roles_are_checked_before_the_body_is_read_on_every_write_route() {
    let app = TestApp::spawn().await;
    let auditor = app.token(Role::Auditor).await;
    let amil = app.token(Role::Amil).await;
    let routes = write_routes();
    assert_eq!(
        routes.len(),
        bearer_write_operations(&app).await,
        "every write route of the OpenAPI document is listed here"
    );
    let bodies: [(&str, Vec<u8>); 4] = [
        ("fields", br#"{"nonsense": 1, "amount": -5}"#.to_vec()),
        ("json", b"{not json".to_vec()),
        ("huge", vec![b' '; 200 * 1024]),
        ("wrong type", b"[]".to_vec()),
    ];
    for (method, path, allowed) in &routes {
        for (kind, body) in &bodies {
            let send = |token: Option<&str>| {
                let mut request = app
                    .client
                    .request(method.clone(), app.url(path))
                    .header("content-type", "application/json")
                    .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                    .body(body.clone());
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                request.send()
            };
            let (status, problem_body) = problem(send(None).await.unwrap()).await;
            assert_eq!(
                status, 401,
                "{method} {path} ({kind}), no token: {problem_body}"
            );
            let (status, problem_body) = problem(send(Some(&auditor)).await.unwrap()).await;
            assert_eq!(
                status, 403,
                "{method} {path} ({kind}), auditor: {problem_body}"
            );
            assert!(problem_body.get("field").is_none(), "{problem_body}");
            if !allowed.contains(&Role::Amil) {
                let (status, problem_body) = problem(send(Some(&amil)).await.unwrap()).await;
                assert_eq!(
                    status, 403,
                    "{method} {path} ({kind}), amil: {problem_body}"
                );
            }
        }
    }
    app.teardown().await;
}

async fn calculate(app: &TestApp, forwarded_for: Option<&str>, body: Vec<u8>) -> u16 {
    let mut request = app
        .client
        .post(app.url("/api/v1/zakat/rikaz"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    request.send().await.unwrap().status().as_u16()
}

fn rikaz() -> Vec<u8> {
    br#"{"date": "2025-03-01", "value": "1000"}"#.to_vec()
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    // The test client is 127.0.0.1, not a trusted proxy: whatever it claims, one bucket.
    let app =
        TestApp::spawn_with(&[("ZAKAT_RATE_LIMIT", "2"), ("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    assert_eq!(calculate(&app, Some("198.51.100.1"), rikaz()).await, 200);
    assert_eq!(calculate(&app, Some("198.51.100.2"), rikaz()).await, 200);
    assert_eq!(calculate(&app, Some("198.51.100.3"), rikaz()).await, 429);
    assert_eq!(calculate(&app, None, rikaz()).await, 429);
    app.teardown().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_and_ipv6_is_limited_per_64() {
    let app =
        TestApp::spawn_with(&[("ZAKAT_RATE_LIMIT", "2"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    // The proxy appends the address it saw; a client's own forged entry is further left.
    for _ in 0..2 {
        assert_eq!(
            calculate(&app, Some("6.6.6.6, 198.51.100.1"), rikaz()).await,
            200
        );
    }
    assert_eq!(calculate(&app, Some("198.51.100.1"), rikaz()).await, 429);
    assert_eq!(
        calculate(&app, Some("198.51.100.1, 198.51.100.2"), rikaz()).await,
        200,
        "another client behind the same proxy has its own bucket"
    );
    // Two addresses of one /64 share a bucket; the next /64 is another client.
    assert_eq!(calculate(&app, Some("2001:db8:0:1::1"), rikaz()).await, 200);
    assert_eq!(
        calculate(&app, Some("2001:db8:0:1:ffff::2"), rikaz()).await,
        200
    );
    assert_eq!(
        calculate(&app, Some("2001:db8:0:1:abcd::3"), rikaz()).await,
        429
    );
    assert_eq!(calculate(&app, Some("2001:db8:0:2::1"), rikaz()).await, 200);
    app.teardown().await;
}

#[tokio::test]
async fn the_limit_is_checked_before_the_body_is_read() {
    let app = TestApp::spawn_with(&[("ZAKAT_RATE_LIMIT", "1")]).await;
    assert_eq!(calculate(&app, None, rikaz()).await, 200);
    assert_eq!(
        calculate(&app, None, vec![b'x'; 1024 * 1024]).await,
        429,
        "a huge body over the limit is 429, not 413"
    );
    assert_eq!(calculate(&app, None, b"{not json".to_vec()).await, 429);
    assert_eq!(
        calculate(
            &app,
            None,
            br#"{"date": "2025-03-01", "unknown": 1}"#.to_vec()
        )
        .await,
        429,
        "not 422"
    );
    app.teardown().await;
}

#[test]
fn trusted_proxies_are_validated() {
    let dir = temp_dir();
    let outcome = BinaryCommand::new(dir.path())
        .env("TRUSTED_PROXIES", "10.0.0.0/8, not-a-net, 300.1.1.1/8")
        .args(["config", "check"])
        .output();
    assert_eq!(outcome.code(), 78, "{}", outcome.all_output());
    assert!(
        outcome.stderr.contains("TRUSTED_PROXIES"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("`not-a-net`"), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("`300.1.1.1/8`"),
        "{}",
        outcome.stderr
    );
    let everyone = BinaryCommand::new(dir.path())
        .env("TRUSTED_PROXIES", "0.0.0.0/0")
        .args(["config", "check"])
        .output();
    assert_eq!(everyone.code(), 78);
    assert!(
        everyone.stderr.contains("trusts every address"),
        "{}",
        everyone.stderr
    );
    let shown = BinaryCommand::new(dir.path())
        .env("TRUSTED_PROXIES", "10.1.2.3/8,::1")
        .args(["config", "show", "--json"])
        .output();
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(shown["TRUSTED_PROXIES"], "10.0.0.0/8,::1/128");
}

/// A server built from `vars` over a migrated SQLite file of its own (the metrics policy does
/// not depend on the backend; prod refuses an unmigrated schema).
async fn metrics_app(
    dir: &std::path::Path,
    vars: &[(&str, &str)],
) -> (cli::app::App, reqwest::Client) {
    let url = format!("sqlite://{}", dir.join("metrics.db").display());
    let data_dir = dir.join("data");
    let mut pairs = vec![
        ("DATABASE_URL", url.as_str()),
        ("DATA_DIR", data_dir.to_str().unwrap()),
        ("PORT", "0"),
        ("SECRET_KEY_BASE", GOOD_SECRET),
    ];
    pairs.extend_from_slice(vars);
    let config = cli::config::Config::load(&cli::config::Environment::from_pairs(pairs), None)
        .expect("the configuration is valid");
    let database = cli::app::connect_database(&config).await.unwrap();
    database.migrate().await.unwrap();
    database.close().await;
    let app = cli::app::App::build(&config).await.expect("the app builds");
    (app, reqwest::Client::new())
}

async fn status_of(client: &reqwest::Client, url: String, token: Option<&str>) -> u16 {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Runs `app` until `check` is done, then stops it.
async fn with_running(
    app: cli::app::App,
    check: impl AsyncFnOnce(std::net::SocketAddr, Option<std::net::SocketAddr>),
) {
    let main = crate::support::binary::loopback(app.local_addr().unwrap());
    let metrics = app.metrics_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        stopped.await.ok();
    }));
    check(main, metrics).await;
    stop.send(()).ok();
    server.await.unwrap();
}

#[tokio::test]
async fn prod_serves_metrics_only_on_the_metrics_listener_or_with_the_token() {
    const TOKEN: &str = "metrics-token-0123456789abcdef0123456789";

    // Neither set: prod answers 404 on the main port.
    let dir = temp_dir();
    let (app, client) = metrics_app(dir.path(), &[("APP_ENV", "prod")]).await;
    with_running(app, async |main, metrics| {
        assert!(metrics.is_none());
        assert_eq!(
            status_of(&client, format!("http://{main}/metrics"), None).await,
            404
        );
        assert_eq!(
            status_of(&client, format!("http://{main}/healthz"), None).await,
            200
        );
    })
    .await;

    // A metrics listener: there, on loopback; still 404 on the main port.
    let dir = temp_dir();
    let (app, client) =
        metrics_app(dir.path(), &[("APP_ENV", "prod"), ("METRICS_PORT", "0")]).await;
    with_running(app, async |main, metrics| {
        let metrics = metrics.expect("a metrics listener");
        assert!(metrics.ip().is_loopback(), "{metrics}");
        assert_eq!(
            status_of(&client, format!("http://{main}/metrics"), None).await,
            404
        );
        let text = text_of(&client, format!("http://{metrics}/metrics")).await;
        assert!(text.contains("# EOF"), "{text}");
        assert_eq!(
            status_of(&client, format!("http://{metrics}/api/v1/funds"), None).await,
            404,
            "the metrics listener serves nothing else"
        );
    })
    .await;

    // A token: required on the main port (and on the metrics listener).
    let dir = temp_dir();
    let (app, client) = metrics_app(
        dir.path(),
        &[
            ("APP_ENV", "prod"),
            ("METRICS_TOKEN", TOKEN),
            ("METRICS_PORT", "0"),
        ],
    )
    .await;
    with_running(app, async |main, metrics| {
        let metrics = metrics.unwrap();
        for base in [main, metrics] {
            let url = || format!("http://{base}/metrics");
            assert_eq!(status_of(&client, url(), None).await, 401);
            assert_eq!(status_of(&client, url(), Some("wrong")).await, 401);
            assert_eq!(
                status_of(&client, url(), Some(&TOKEN[..TOKEN.len() - 1])).await,
                401
            );
            assert_eq!(status_of(&client, url(), Some(TOKEN)).await, 200);
        }
    })
    .await;

    // Dev: public on the main port, as before.
    let dir = temp_dir();
    let (app, client) = metrics_app(dir.path(), &[]).await;
    with_running(app, async |main, _| {
        assert_eq!(
            status_of(&client, format!("http://{main}/metrics"), None).await,
            200
        );
    })
    .await;
}

#[test]
fn metrics_settings_are_validated() {
    let dir = temp_dir();
    let outcome = BinaryCommand::new(dir.path())
        .envs([
            ("PORT", "4100"),
            ("METRICS_PORT", "4100"),
            ("METRICS_ADDRESS", "localhost"),
            ("METRICS_TOKEN", "short"),
        ])
        .args(["config", "check"])
        .output();
    assert_eq!(outcome.code(), 78, "{}", outcome.all_output());
    for what in [
        "METRICS_PORT: is the same as PORT",
        "METRICS_ADDRESS",
        "METRICS_TOKEN: must be at least 32",
    ] {
        assert!(outcome.stderr.contains(what), "{what}: {}", outcome.stderr);
    }
    assert!(
        !outcome.stderr.contains("short"),
        "the token is never echoed"
    );
}

const CANARY: &str = "CANARYd41d8cd9";

#[test]
fn every_password_form_in_the_database_url_is_redacted() {
    let dir = temp_dir();
    for url in [
        format!("postgres://app:{CANARY}@127.0.0.1:9/donations?password={CANARY}"),
        format!("postgres://app@127.0.0.1:9/donations?PassWord={CANARY}&sslmode=disable"),
        format!("postgres://app@127.0.0.1:9/donations?sslpassword={CANARY}&password={CANARY}"),
    ] {
        let vars = [("DATABASE_URL", url.as_str()), ("LOG_LEVEL", "debug")];
        let show = BinaryCommand::new(dir.path())
            .envs(vars)
            .args(["config", "show"])
            .output();
        assert_eq!(show.code(), 0, "{}", show.all_output());
        assert!(
            show.stdout.contains("127.0.0.1:9/donations"),
            "{}",
            show.stdout
        );
        assert!(!show.all_output().contains(CANARY), "{}", show.all_output());
        let json = BinaryCommand::new(dir.path())
            .envs(vars)
            .args(["config", "show", "--json"])
            .output();
        assert!(!json.all_output().contains(CANARY), "{}", json.all_output());
        // A failed connection: its error and every log line (sqlx would log a parameter it
        // does not know with its value).
        let migrate = BinaryCommand::new(dir.path())
            .envs(vars)
            .args(["migrate"])
            .output();
        assert_eq!(migrate.code(), 69, "{}", migrate.all_output());
        assert!(
            !migrate.all_output().contains(CANARY),
            "{}",
            migrate.all_output()
        );
    }
}

#[tokio::test]
async fn a_fresh_data_dir_and_its_database_files_are_private() {
    let dir = temp_dir();
    let data_dir = dir.path().join("fresh").join("data");
    let mut server = BinaryCommand::new(dir.path())
        .env("DATA_DIR", &data_dir)
        .env("PORT", "0")
        .args(["start"])
        .spawn_server();
    server.wait_ready().await;
    let mode = |name: &str| {
        let path = if name.is_empty() {
            data_dir.clone()
        } else {
            data_dir.join(name)
        };
        std::fs::metadata(&path)
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700, "DATA_DIR");
    for file in [
        "donation_platform.db",
        "donation_platform.db-wal",
        "donation_platform.db-shm",
        "secret_key_base",
    ] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(10));
}

#[test]
fn tokens_are_created_with_a_bounded_lifetime() {
    let dir = temp_dir();
    let data_dir = dir.path().join("data");
    let run = |args: &[&str]| {
        BinaryCommand::new(dir.path())
            .env("DATA_DIR", &data_dir)
            .args(args.iter().copied())
            .output()
    };
    let password = dir.path().join("password");
    std::fs::write(&password, "correct horse battery staple\n").unwrap();
    let created = run(&[
        "user",
        "create",
        "--email",
        "admin@example.org",
        "--role",
        "admin",
        "--password-file",
        password.to_str().unwrap(),
    ]);
    assert_eq!(created.code(), 0, "{}", created.all_output());
    for (lifetime, complaint) in [
        ("0m", "too short"),
        ("366d", "too long"),
        ("90", "not a lifetime"),
    ] {
        let refused = run(&[
            "token",
            "create",
            "--email",
            "admin@example.org",
            "--expires-in",
            lifetime,
        ]);
        assert_eq!(refused.code(), 64, "{}", refused.all_output());
        assert!(
            refused.stderr.contains("`--expires-in`"),
            "{}",
            refused.stderr
        );
        assert!(refused.stderr.contains(complaint), "{}", refused.stderr);
    }
    let created = run(&[
        "token",
        "create",
        "--email",
        "admin@example.org",
        "--expires-in",
        "12h",
    ]);
    assert_eq!(created.code(), 0, "{}", created.all_output());
    assert!(created.stdout.trim().starts_with("dpt_"));
    assert!(created.stderr.contains("valid until"), "{}", created.stderr);
    let default = run(&["token", "create", "--email", "admin@example.org"]);
    assert_eq!(default.code(), 0, "{}", default.all_output());
    let until = default
        .stderr
        .split("valid until ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap()
        .to_owned();
    let expected = (time::OffsetDateTime::now_utc() + time::Duration::days(90)).date();
    assert!(
        until.starts_with(&expected.to_string())
            || until.starts_with(&(expected - time::Duration::days(1)).to_string()),
        "90 days by default: {until}"
    );
}

#[tokio::test]
async fn the_metrics_listener_survives_a_restart_on_the_same_port() {
    let release = crate::support::release::ReleaseRoot::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let run = |args: &[&str]| {
        crate::support::binary::Outcome::from(
            release
                .command(args)
                .env("METRICS_PORT", &port)
                .output()
                .unwrap(),
        )
    };
    let started = run(&["daemon"]);
    assert_eq!(started.code(), 0, "{}", started.all_output());
    let client = reqwest::Client::new();
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let main = format!("http://{}/metrics", release.address());
    assert_eq!(status_of(&client, metrics.clone(), None).await, 200);
    assert_eq!(status_of(&client, main.clone(), None).await, 404, "prod");
    let before = release.status()["pid"].clone();
    let restarted = run(&["restart"]);
    assert_eq!(
        restarted.code(),
        0,
        "{}\n{}",
        restarted.all_output(),
        release.log()
    );
    assert_ne!(release.status()["pid"], before);
    assert_eq!(status_of(&client, metrics, None).await, 200);
    let stopped = run(&["stop"]);
    assert_eq!(stopped.code(), 0, "{}", stopped.all_output());
}
