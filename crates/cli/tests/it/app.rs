//! The operations endpoints of the in-process application.

use crate::support::TestApp;

#[tokio::test]
async fn readyz_is_200_with_the_version_once_the_schema_is_current() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["version"], cli::VERSION);
    app.teardown().await;
}

#[tokio::test]
async fn healthz_answers_while_readyz_says_draining() {
    let app = TestApp::spawn().await;
    app.state.begin_drain();
    assert_eq!(app.get("/healthz").await.status(), 200);
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:donation-platform:problem:draining");
    assert_eq!(body["status"], 503);
    app.teardown().await;
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_a_missing_one_is_generated() {
    let app = TestApp::spawn().await;
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc_123.4")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-abc_123.4");

    let hostile = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "a".repeat(500))
        .send()
        .await
        .unwrap();
    let generated = hostile.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "a fresh UUID replaces an over-long id");
    app.teardown().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_pool_and_build() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no/such/path/12345").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        !text.contains("12345"),
        "concrete paths never become labels"
    );
    assert!(
        text.contains(
            r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}"#
        ),
        "{text}"
    );
    assert!(text.contains("db_pool_connections_max 5"), "{text}");
    assert!(text.contains("db_pool_connections_open"), "{text}");
    let backend = app.state.database().backend().name();
    assert!(
        text.contains(&format!(
            r#"donation_platform_build_info{{version="{}",backend="{backend}"}} 1"#,
            cli::VERSION
        )),
        "{text}"
    );
    app.teardown().await;
}

#[tokio::test]
async fn an_unknown_path_is_a_problem_json_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/nope").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:donation-platform:problem:not-found");
    assert_eq!(body["status"], 404);
    app.teardown().await;
}

/// The binary's log after one request for a page that does not exist, its query holding a
/// personal number, with `request_id`: started with `vars` in `dir`, stopped with SIGTERM.
async fn log_of_one_unknown_page(
    dir: &std::path::Path,
    vars: &[(&str, &str)],
    request_id: &str,
) -> String {
    use crate::support::BinaryCommand;

    let mut server = BinaryCommand::new(dir)
        .envs(vars.iter().copied())
        .args(["start"])
        .spawn_server();
    server.wait_ready().await;
    let response = reqwest::Client::new()
        .get(server.url("/no-such-page?nik=3171234567890123"))
        .header("x-request-id", request_id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    server.signal("TERM");
    assert!(
        server
            .wait_exit(std::time::Duration::from_secs(30))
            .success()
    );
    server.log()
}

/// Dev logs text, one line per request, carrying the request id where tracing-subscriber's
/// format put a span; no concrete path or query appears in it.
#[tokio::test]
async fn dev_logs_each_request_as_one_text_line_with_its_request_id() {
    let dir = crate::support::binary::temp_dir();
    let data = dir.path().join("data");
    let vars = [("DATA_DIR", data.to_str().unwrap()), ("PORT", "0")];
    let log = log_of_one_unknown_page(dir.path(), &vars, "req-text-1").await;
    let line = log
        .lines()
        .find(|line| line.contains("req-text-1"))
        .unwrap_or_else(|| panic!("no request line:\n{log}"));
    // `2026-12-07T23:25:20.007550Z  INFO request{id=…}: request method="GET" …`, as
    // tracing-subscriber's own text format printed it with the id in a span.
    let (timestamp, rest) = line.split_once(' ').unwrap();
    assert!(
        timestamp.len() == 27 && timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T',
        "{line}"
    );
    let rest = rest
        .strip_prefix(
            r#" INFO request{id=req-text-1}: request method="GET" route="unmatched" status=404 latency_ms="#,
        )
        .unwrap_or_else(|| panic!("not the request line's shape: {line}"));
    assert!(rest.parse::<f64>().is_ok(), "{line}");
    assert!(
        !log.contains("3171234567890123"),
        "the query never reaches the log"
    );
    for line in log
        .lines()
        .filter(|line| !line.contains(": request method="))
    {
        assert!(
            !line.contains("request{"),
            "a line logged outside any request carries no request id: {line}"
        );
    }
}

/// Prod logs one JSON object per line, one per request, carrying the request id; no concrete
/// path or query (they can hold personal data) appears in it.
#[tokio::test]
async fn prod_logs_each_request_as_one_json_line_with_its_request_id() {
    use crate::support::{BinaryCommand, GOOD_SECRET, binary::temp_dir};

    let dir = temp_dir();
    let url = format!("sqlite://{}/prod.db", dir.path().display());
    let vars = [
        ("APP_ENV", "prod"),
        ("SECRET_KEY_BASE", GOOD_SECRET),
        ("DATABASE_URL", url.as_str()),
        ("PORT", "0"),
    ];
    assert_eq!(
        BinaryCommand::new(dir.path())
            .envs(vars)
            .args(["migrate"])
            .output()
            .code(),
        0
    );
    let log = log_of_one_unknown_page(dir.path(), &vars, "req-json-1").await;
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let request = lines
        .iter()
        .find(|line| line["span"]["id"] == "req-json-1")
        .unwrap_or_else(|| panic!("no request line:\n{log}"));
    assert_eq!(request["message"], "request");
    assert_eq!(request["status"], 404);
    assert_eq!(request["route"], "unmatched");
    assert!(
        !log.contains("3171234567890123"),
        "the query never reaches the log"
    );
}
