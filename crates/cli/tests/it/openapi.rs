//! The OpenAPI document: served, 3.1, and covering every API route.

use serde_json::Value;

use crate::support::TestApp;

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "the list of every route is the point"
)]
async fn the_openapi_document_is_3_1_and_lists_every_api_route() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut paths: Vec<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    paths.sort();
    let expected = [
        ("delete", "/api/v1/donors/{id}/personal-data"),
        ("delete", "/api/v1/recipients/{id}/personal-data"),
        ("get", "/api/v1/audit/verify"),
        ("get", "/api/v1/distributions"),
        ("get", "/api/v1/distributions/{id}"),
        ("get", "/api/v1/donations"),
        ("get", "/api/v1/donations/{id}"),
        ("get", "/api/v1/donations/{id}/receipt"),
        ("get", "/api/v1/donors"),
        ("get", "/api/v1/donors/{id}"),
        ("get", "/api/v1/donors/{id}/receipts/{year}"),
        ("get", "/api/v1/exports/distributions.csv"),
        ("get", "/api/v1/exports/donations.csv"),
        ("get", "/api/v1/funds"),
        ("get", "/api/v1/recipients"),
        ("get", "/api/v1/recipients/{id}"),
        ("get", "/api/v1/reports/changes-in-funds"),
        ("get", "/api/v1/reports/collections"),
        ("get", "/api/v1/reports/distributions"),
        ("get", "/api/v1/reports/financial-position"),
        ("get", "/api/v1/settings"),
        ("get", "/api/v1/settings/institution"),
        ("get", "/api/v1/zakat/data"),
        ("get", "/verify/{code}"),
        ("patch", "/api/v1/donors/{id}"),
        ("patch", "/api/v1/recipients/{id}"),
        ("post", "/api/v1/campaigns"),
        ("post", "/api/v1/distributions"),
        ("post", "/api/v1/donations"),
        ("post", "/api/v1/donations/{id}/refunds"),
        ("post", "/api/v1/donations/{id}/void"),
        ("post", "/api/v1/donors"),
        ("post", "/api/v1/recipients"),
        ("post", "/api/v1/wakaf/benefits"),
        ("post", "/api/v1/zakat/data"),
        ("post", "/api/v1/zakat/fidyah"),
        ("post", "/api/v1/zakat/{category}"),
        ("put", "/api/v1/settings/amil_share"),
        ("put", "/api/v1/settings/amil_share_infak"),
        ("put", "/api/v1/settings/amil_shortfall"),
        ("put", "/api/v1/settings/institution"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(paths, expected);
    // Every documented route answers (401 without a token, not 404/405): the document and the
    // router agree. The public ones (no `security` requirement) answer without a token.
    for (method, path) in &paths {
        let public = document["paths"][path.as_str()][method.as_str()]["security"]
            == serde_json::json!([{}]);
        let path = path
            .replace("{id}", "01900000-0000-7000-8000-000000000000")
            .replace("{category}", "rikaz")
            .replace("{year}", "2026")
            .replace("{code}", "2026-000001-AAAA-AAAA-AAAA-AAAA");
        let response = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(&path))
            .send()
            .await
            .unwrap();
        if public {
            // A verification code that names no receipt is a 404 that says so.
            assert!(
                [200, 404, 422].contains(&response.status().as_u16()),
                "{method} {path}: {}",
                response.status()
            );
        } else {
            assert_eq!(response.status(), 401, "{method} {path}");
        }
    }
    // Field names operators' scripts rely on.
    let donation = &document["components"]["schemas"]["DonationRequest"]["properties"];
    for field in [
        "type",
        "amount",
        "currency",
        "method",
        "received_on",
        "donor_id",
        "donor",
        "anonymous",
        "campaign_id",
        "note",
    ] {
        assert!(donation.get(field).is_some(), "request field `{field}`");
    }
    let view = &document["components"]["schemas"]["DonationView"]["properties"];
    for field in ["id", "receipt_number", "fund", "status"] {
        assert!(view.get(field).is_some(), "response field `{field}`");
    }
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    app.teardown().await;
}

#[tokio::test]
async fn the_registers_operations_have_meaningful_ids() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    // Client generators name their methods by these.
    for (path, method, id) in [
        ("/api/v1/donors", "get", "listDonors"),
        ("/api/v1/donors", "post", "createDonor"),
        ("/api/v1/donors/{id}", "get", "showDonor"),
        ("/api/v1/donors/{id}", "patch", "updateDonor"),
        ("/api/v1/donors/{id}/personal-data", "delete", "eraseDonor"),
        ("/api/v1/recipients", "get", "listRecipients"),
        ("/api/v1/recipients", "post", "createRecipient"),
        ("/api/v1/recipients/{id}", "get", "showRecipient"),
        ("/api/v1/recipients/{id}", "patch", "updateRecipient"),
        (
            "/api/v1/recipients/{id}/personal-data",
            "delete",
            "eraseRecipient",
        ),
        ("/api/v1/distributions", "get", "listDistributions"),
        ("/api/v1/distributions/{id}", "get", "showDistribution"),
    ] {
        assert_eq!(
            document["paths"][path][method]["operationId"], id,
            "{method} {path}"
        );
    }
    app.teardown().await;
}

/// Every operation's `operationId`: (id, method, path).
fn operation_ids(document: &Value) -> Vec<(String, String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, operation)| {
                    (
                        operation["operationId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        method.clone(),
                        path.clone(),
                    )
                })
        })
        .collect()
}

#[tokio::test]
async fn every_operation_has_its_own_camel_case_id() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (id, method, path) in operation_ids(&document) {
        // utoipa falls back to the handler's name (`create`, `list`), which repeats across
        // modules: client generators then refuse the document or overwrite methods.
        assert!(
            id.len() > 4
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric())
                && id.chars().any(|c| c.is_ascii_uppercase()),
            "{method} {path}: operationId `{id}` is not an explicit camelCase id"
        );
        if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
            panic!("operationId `{id}` is used by {other} and by {method} {path}");
        }
    }
    for (path, method, id) in [
        ("/api/v1/donations", "post", "createDonation"),
        ("/api/v1/donations", "get", "listDonations"),
        ("/api/v1/donations/{id}", "get", "showDonation"),
        (
            "/api/v1/reports/changes-in-funds",
            "get",
            "reportChangesInFunds",
        ),
        ("/api/v1/exports/donations.csv", "get", "exportDonations"),
    ] {
        assert_eq!(
            document["paths"][path][method]["operationId"], id,
            "{method} {path}"
        );
    }
    app.teardown().await;
}

/// `openapi-spec-validator` (a Python tool; `cargo xtask test` installs it beside schemathesis) accepts the served
/// document. Skipped where it is not installed, except under CI (`CI=true`), where its absence
/// fails the test.
#[tokio::test]
async fn openapi_spec_validator_accepts_the_document() {
    let validator = "openapi-spec-validator";
    if !crate::support::tools::available(validator, &["--version"]) {
        return;
    }
    let app = TestApp::spawn().await;
    let document = app.get("/api/v1/openapi.json").await.text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, document).unwrap();
    let output = std::process::Command::new(validator)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{validator} rejects the document:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    app.teardown().await;
}
