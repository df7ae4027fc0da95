//! A corpus of malformed and hostile requests: each gets a 4xx problem document that names
//! what is wrong, and nothing is written.

use domain::Role;
use serde_json::{Value, json};

use crate::support::{RawConnection, TestApp};

fn valid() -> Value {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    json!({ "type": "zakat_maal", "amount": "100000", "currency": "IDR", "method": "cash",
            "received_on": today, "anonymous": true })
}

/// `valid()` with `field` set to `value` (`Value::Null` removes it).
fn with(field: &str, value: Value) -> Value {
    let mut body = valid();
    if value.is_null() {
        body.as_object_mut().unwrap().remove(field);
    } else {
        body[field] = value;
    }
    body
}

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
    /// The expected status, and the field the problem must name (if any).
    status: u16,
    field: Option<&'static str>,
    key: Option<String>,
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "cases are built inline from `json!`"
)]
fn json_case(name: &'static str, body: Value, status: u16, field: Option<&'static str>) -> Case {
    Case {
        name,
        method: "POST",
        path: "/api/v1/donations".to_owned(),
        content_type: "application/json",
        body: body.to_string().into_bytes(),
        status,
        field,
        key: Some(format!("hostile-{}", name.replace(' ', "-"))),
    }
}

fn raw_case(name: &'static str, content_type: &'static str, body: &[u8], status: u16) -> Case {
    Case {
        body: body.to_vec(),
        content_type,
        ..json_case(name, Value::Null, status, None)
    }
}

fn get_case(name: &'static str, path: &str, status: u16, field: Option<&'static str>) -> Case {
    Case {
        method: "GET",
        path: path.to_owned(),
        body: Vec::new(),
        ..json_case(name, Value::Null, status, field)
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "a corpus is a list; splitting it hides cases"
)]
fn corpus() -> Vec<Case> {
    let unknown = "01900000-0000-7000-8000-000000000000";
    let mut cases = vec![
        raw_case("not json", "application/json", b"amount=5", 400),
        raw_case(
            "truncated json",
            "application/json",
            br#"{"type": "infak", "amount": "#,
            400,
        ),
        raw_case("empty body", "application/json", b"", 422),
        raw_case(
            "invalid utf-8",
            "application/json",
            b"{\"type\":\"infak\",\"note\":\"\xff\xfe\"}",
            400,
        ),
        raw_case(
            "deeply nested",
            "application/json",
            "[".repeat(10_000).as_bytes(),
            400,
        ),
        raw_case(
            "form encoded",
            "application/x-www-form-urlencoded",
            b"type=infak",
            415,
        ),
        raw_case("no content type", "", br#"{"type":"infak"}"#, 415),
        raw_case(
            "too large",
            "application/json",
            &vec![b' '; 100 * 1024],
            413,
        ),
        json_case("array", json!([valid()]), 422, None),
        json_case("null", json!(null), 422, None),
        json_case(
            "unknown field",
            with("tip", json!("5000")),
            422,
            Some("tip"),
        ),
        json_case(
            "amount as number",
            with("amount", json!(100_000)),
            422,
            Some("amount"),
        ),
        json_case(
            "negative amount",
            with("amount", json!("-5")),
            422,
            Some("amount"),
        ),
        json_case(
            "zero amount",
            with("amount", json!("0.00")),
            422,
            Some("amount"),
        ),
        json_case(
            "too precise",
            with("amount", json!("1.001")),
            422,
            Some("amount"),
        ),
        json_case(
            "exponent",
            with("amount", json!("1e5")),
            422,
            Some("amount"),
        ),
        json_case(
            "comma decimal",
            with("amount", json!("100,00")),
            422,
            Some("amount"),
        ),
        json_case(
            "padded amount",
            with("amount", json!(" 100")),
            422,
            Some("amount"),
        ),
        json_case(
            "absurd amount",
            with("amount", json!("99999999999999999999999")),
            422,
            Some("amount"),
        ),
        json_case(
            "missing amount",
            with("amount", Value::Null),
            422,
            Some("amount"),
        ),
        json_case(
            "unknown currency",
            with("currency", json!("XXX")),
            422,
            Some("currency"),
        ),
        json_case(
            "lowercase currency",
            with("currency", json!("idr")),
            422,
            Some("currency"),
        ),
        json_case(
            "unknown type",
            with("type", json!("zakat")),
            422,
            Some("type"),
        ),
        json_case(
            "unknown method",
            with("method", json!("bitcoin")),
            422,
            Some("method"),
        ),
        json_case(
            "future date",
            with("received_on", json!("2999-01-01")),
            422,
            Some("received_on"),
        ),
        json_case(
            "impossible date",
            with("received_on", json!("2026-02-30")),
            422,
            Some("received_on"),
        ),
        json_case(
            "words for a date",
            with("received_on", json!("yesterday")),
            422,
            Some("received_on"),
        ),
        json_case(
            "ancient date",
            with("received_on", json!("1800-01-01")),
            422,
            Some("received_on"),
        ),
        json_case(
            "no donor at all",
            with("anonymous", Value::Null),
            422,
            Some("donor"),
        ),
        json_case(
            "anonymous false",
            with("anonymous", json!(false)),
            422,
            Some("donor"),
        ),
        json_case(
            "donor and anonymous",
            with("donor", json!({ "name": "Siti" })),
            422,
            Some("donor"),
        ),
        json_case(
            "unknown donor",
            {
                let mut b = with("anonymous", Value::Null);
                b["donor_id"] = json!(unknown);
                b
            },
            422,
            Some("donor_id"),
        ),
        json_case(
            "bad donor id",
            {
                let mut b = with("anonymous", Value::Null);
                b["donor_id"] = json!("42");
                b
            },
            422,
            Some("donor_id"),
        ),
        json_case(
            "unknown campaign",
            with("campaign_id", json!(unknown)),
            422,
            Some("campaign_id"),
        ),
        json_case(
            "long note",
            with("note", json!("x".repeat(1001))),
            422,
            Some("note"),
        ),
        json_case(
            "control characters",
            with("note", json!("a\u{0007}b")),
            422,
            Some("note"),
        ),
    ];
    let donor = |donor: Value| {
        let mut body = with("anonymous", Value::Null);
        body["donor"] = donor;
        body
    };
    cases.extend([
        json_case("empty donor name", donor(json!({ "name": "  " })), 422, Some("donor.name")),
        json_case("long donor name", donor(json!({ "name": "n".repeat(201) })), 422, Some("donor.name")),
        json_case("short nik", donor(json!({ "name": "Siti", "nik": "123" })), 422, Some("donor.nik")),
        json_case("letters in npwp", donor(json!({ "name": "Siti", "npwp": "01.234.567.8-901.ABC" })), 422, Some("donor.npwp")),
        json_case("bad email", donor(json!({ "name": "Siti", "email": "siti at example" })), 422, Some("donor.email")),
        json_case("unknown donor field", donor(json!({ "name": "Siti", "religion": "x" })), 422, Some("donor.religion")),
        Case { key: None, ..json_case("no idempotency key", valid(), 400, Some("Idempotency-Key")) },
        Case { key: Some("k".repeat(300)), ..json_case("long idempotency key", valid(), 400, Some("Idempotency-Key")) },
        Case { key: Some("a b".to_owned()), ..json_case("idempotency key with space", valid(), 400, Some("Idempotency-Key")) },
        get_case("not a uuid", "/api/v1/donations/not-a-uuid", 404, None),
        get_case("no such donation", &format!("/api/v1/donations/{unknown}"), 404, None),
        get_case("zero limit", "/api/v1/donations?limit=0", 422, Some("limit")),
        get_case("word limit", "/api/v1/donations?limit=many", 422, Some("limit")),
        get_case("unknown filter", "/api/v1/donations?colour=red", 422, None),
        get_case("bad period", "/api/v1/donations?received_from=last-week", 422, Some("received_from")),
        get_case("bad cursor", "/api/v1/donations?before=yesterday", 422, Some("before")),
        get_case("unknown path", "/api/v1/donationz", 404, None),
        Case { path: format!("/api/v1/donations/{unknown}/refunds"), ..json_case("refund of nothing", json!({ "amount": "1" }), 404, None) },
        Case { path: format!("/api/v1/donations/{unknown}/void"), ..json_case("void of nothing", json!({}), 404, None) },
        Case {
            path: "/api/v1/distributions".to_owned(),
            ..json_case("unknown asnaf", json!({ "fund": "zakat", "asnaf": "kaya", "program": "x", "amount": "1",
                                                  "currency": "IDR", "recipient": { "name": "A" } }), 422, Some("asnaf"))
        },
        Case {
            path: "/api/v1/distributions".to_owned(),
            ..json_case("empty program", json!({ "fund": "zakat", "asnaf": "fakir", "program": " ", "amount": "1",
                                                  "currency": "IDR", "recipient": { "name": "A" } }), 422, Some("program"))
        },
        Case {
            path: "/api/v1/distributions".to_owned(),
            ..json_case("overdraw", json!({ "fund": "zakat", "asnaf": "fakir", "program": "x", "amount": "1",
                                             "currency": "IDR", "recipient": { "name": "A" } }), 409, None)
        },
        Case {
            method: "PUT",
            path: "/api/v1/settings/amil_share".to_owned(),
            ..json_case("amil share in words", json!({ "percent": "twelve" }), 422, Some("percent"))
        },
    ]);
    cases
}

#[tokio::test]
async fn hostile_requests_get_a_clear_4xx_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let mut raw = RawConnection::open(app.database_url()).await;
    let entries_before = raw.count("SELECT COUNT(*) FROM audit_entries").await;
    for case in corpus() {
        let mut request = app
            .client
            .request(case.method.parse().unwrap(), app.url(&case.path))
            .bearer_auth(&admin);
        if !case.content_type.is_empty() {
            request = request.header("Content-Type", case.content_type);
        }
        if let Some(key) = &case.key {
            request = request.header("Idempotency-Key", key);
        }
        if case.method != "GET" {
            request = request.body(case.body.clone());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(content_type, "application/problem+json", "{}", case.name);
        let problem: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{}: {body}", case.name));
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:donation-platform:problem:"),
            "{}",
            case.name
        );
        assert!(
            !problem["detail"].as_str().unwrap().is_empty(),
            "{}",
            case.name
        );
        if let Some(field) = case.field {
            assert_eq!(problem["field"], field, "{}: {body}", case.name);
        }
    }
    for table in [
        "donations",
        "donors",
        "recipients",
        "distributions",
        "journal_lines",
        "idempotency_keys",
        "settings",
    ] {
        assert_eq!(
            raw.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "nothing written to {table}"
        );
    }
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM audit_entries").await,
        entries_before,
        "nothing chained"
    );
    app.teardown().await;
}

#[tokio::test]
async fn an_oversized_token_or_garbage_authorization_is_401() {
    let app = TestApp::spawn().await;
    for value in [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "bearer dpt_lowercase-scheme",
        &format!("Bearer {}", "x".repeat(5000)),
        "Bearer dpt_\u{e9}\u{e9}",
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/funds"))
            .header("Authorization", value)
            .send()
            .await
            .expect("every one of these is a header a client can send");
        assert_eq!(response.status(), 401, "{value:.40}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    app.teardown().await;
}
