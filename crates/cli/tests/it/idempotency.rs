//! `Idempotency-Key`: replays, conflicts, in-flight duplicates.

use domain::Role;
use serde_json::{Value, json};

use crate::support::{RawConnection, TestApp, WriterLock};

fn body(amount: &str) -> Value {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    json!({ "type": "infak", "amount": amount, "currency": "IDR", "method": "qris", "received_on": today,
            "anonymous": true })
}

async fn donations_stored(app: &TestApp) -> i64 {
    RawConnection::open(app.database_url())
        .await
        .count("SELECT COUNT(*) FROM donations")
        .await
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_gets_the_original_response_byte_for_byte() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let first = app
        .post("/api/v1/donations", &amil, Some("key-1"), &body("150000"))
        .await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.bytes().await.unwrap();
    // The same request, formatted differently, is the same request.
    let reformatted = app
        .client
        .post(app.url("/api/v1/donations"))
        .bearer_auth(&amil)
        .header("Idempotency-Key", "key-1")
        .header("Content-Type", "application/json")
        .body(serde_json::to_string_pretty(&body("150000")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(reformatted.status(), 201);
    assert_eq!(reformatted.headers()["idempotent-replayed"], "true");
    assert_eq!(reformatted.bytes().await.unwrap(), first);
    assert_eq!(donations_stored(&app).await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused_with_422() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    assert_eq!(
        app.post("/api/v1/donations", &amil, Some("key-2"), &body("150000"))
            .await
            .status(),
        201
    );
    let other = app
        .post("/api/v1/donations", &amil, Some("key-2"), &body("150001"))
        .await;
    assert_eq!(other.status(), 422);
    let problem: Value = other.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:donation-platform:problem:idempotency-key-reused"
    );
    assert_eq!(donations_stored(&app).await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = TestApp::spawn().await;
    let (one, two) = (app.token(Role::Amil).await, app.token(Role::Amil).await);
    assert_eq!(
        app.post("/api/v1/donations", &one, Some("shared"), &body("1000"))
            .await
            .status(),
        201
    );
    let second = app
        .post("/api/v1/donations", &two, Some("shared"), &body("1000"))
        .await;
    assert_eq!(second.status(), 201);
    assert!(second.headers().get("idempotent-replayed").is_none());
    assert_eq!(donations_stored(&app).await, 2);
    app.teardown().await;
}

#[tokio::test]
async fn a_donation_without_a_key_is_refused_with_400_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let response = app
        .post("/api/v1/donations", &amil, None, &body("150000"))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:donation-platform:problem:idempotency-key"
    );
    assert_eq!(donations_stored(&app).await, 0);
    app.teardown().await;
}

#[tokio::test]
async fn the_same_key_while_the_first_request_is_in_flight_gets_409() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    // Another writer holds the ledger lock, so the first request waits inside the writer.
    let lock = WriterLock::take(app.database_url()).await;
    let first = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/api/v1/donations");
        let amil = amil.clone();
        async move {
            client
                .post(url)
                .bearer_auth(amil)
                .header("Idempotency-Key", "slow")
                .json(&body("5000"))
                .send()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = app
        .post("/api/v1/donations", &amil, Some("slow"), &body("5000"))
        .await;
    assert_eq!(second.status(), 409);
    let problem: Value = second.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:donation-platform:problem:idempotency-key-in-flight"
    );
    lock.release().await;
    assert_eq!(first.await.unwrap().status(), 201);
    // Once the first is committed, a retry is a replay.
    let mut replay = app
        .post("/api/v1/donations", &amil, Some("slow"), &body("5000"))
        .await;
    for _ in 0..50 {
        if replay.status() != 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        replay = app
            .post("/api/v1/donations", &amil, Some("slow"), &body("5000"))
            .await;
    }
    assert_eq!(replay.status(), 201);
    assert_eq!(donations_stored(&app).await, 1);
    app.teardown().await;
}

#[tokio::test]
async fn fifty_concurrent_identical_requests_create_exactly_one_donation() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let burst = body("77000");
    let requests = (0..50).map(|_| app.post("/api/v1/donations", &amil, Some("burst"), &burst));
    let responses = futures::future::join_all(requests).await;
    let mut bodies = Vec::new();
    for response in responses {
        let status = response.status().as_u16();
        assert!(
            status == 201 || status == 409,
            "only created, replayed or in-flight: {status}"
        );
        if status == 201 {
            bodies.push(response.bytes().await.unwrap());
        }
    }
    assert!(!bodies.is_empty());
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "every 201 is the same donation"
    );
    assert_eq!(donations_stored(&app).await, 1);
    app.teardown().await;
}
