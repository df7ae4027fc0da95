//! The muzakki and mustahik registers and the distributions list: NPWZ issued on registration
//! (unique under concurrent registration, checksummed), NIK and NPWP checks, search and
//! pages, who sees personal data and how every staff read is counted, changes, and erasure
//! (UU 27/2022) that keeps the books and the audit chain whole.

use std::collections::HashSet;

use domain::Role;
use domain::npwz::Npwz;
use serde_json::{Value, json};

use crate::support::{RawConnection, TestApp};

fn today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string()
}

/// NIKs of a valid shape: Kota Bandung, born 17 August 1985, serials 1, 2, ….
fn nik(serial: u16) -> String {
    format!("3273011708850{serial:03}")
}

/// Typed requests to the registers.
struct Registers<'a> {
    app: &'a TestApp,
}

impl Registers<'_> {
    /// Files a donor; the status and the body.
    async fn file_donor(&self, token: &str, body: &Value) -> (u16, Value) {
        let response = self.app.post("/api/v1/donors", token, None, body).await;
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Files a donor; asserts 201; their id and NPWZ.
    async fn donor(&self, token: &str, body: &Value) -> (String, String) {
        let (status, body) = self.file_donor(token, body).await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["npwz"].as_str().unwrap().to_owned(),
        )
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self.app.get_as(path, token).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn patch(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .app
            .client
            .patch(self.app.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Records a distribution; asserts 201; its id.
    async fn distribute(&self, token: &str, body: &Value) -> String {
        let response = self
            .app
            .post("/api/v1/distributions", token, None, body)
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    async fn erase(&self, path: &str, token: &str) -> u16 {
        self.app
            .client
            .delete(self.app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

#[tokio::test]
async fn registers_npwz_is_unique_under_concurrent_registration_and_checksummed() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let registers = Registers { app: &app };
    // Donors filed alone and with donations, all at once: one writer, many batches or one.
    let filed = (0..40).map(|i| {
        let (app, amil) = (&app, &amil);
        async move {
            if i % 4 == 0 {
                let body = json!({ "type": "infak", "amount": "1000", "currency": "IDR",
                    "method": "cash", "received_on": today(), "donor": { "name": format!("Donor {i}") } });
                app.donate(amil, &body).await["donor_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            } else {
                Registers { app }
                    .donor(amil, &json!({ "name": format!("Donor {i}") }))
                    .await
                    .0
            }
        }
    });
    let ids = futures::future::join_all(filed).await;
    let mut npwzs = HashSet::new();
    let mut serials = Vec::new();
    for id in &ids {
        let (status, donor) = registers.get(&format!("/api/v1/donors/{id}"), &amil).await;
        assert_eq!(status, 200, "{donor}");
        let npwz = donor["npwz"].as_str().unwrap().to_owned();
        let parsed: Npwz = npwz.parse().expect("a valid NPWZ");
        assert!(
            npwz.starts_with(&format!("0000-{}-", &today()[2..4])),
            "{npwz}"
        );
        serials.push(parsed.serial());
        assert!(npwzs.insert(npwz), "every NPWZ is issued once");
    }
    serials.sort_unstable();
    assert_eq!(serials, (1..=40).collect::<Vec<u32>>(), "gap-free serials");

    // A lookup by NPWZ finds the donor; any changed digit is refused, naming the field.
    let npwz = npwzs.iter().next().unwrap().clone();
    let (status, page) = registers
        .get(
            &format!("/api/v1/donors?npwz={}", npwz.replace('-', "")),
            &amil,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["donors"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["donors"][0]["npwz"], npwz.as_str());
    for position in [0, 5, 12, 16] {
        let mut changed = npwz.clone().into_bytes();
        changed[position] = if changed[position] == b'9' {
            b'0'
        } else {
            changed[position] + 1
        };
        let changed = String::from_utf8(changed).unwrap();
        let (status, problem) = registers
            .get(&format!("/api/v1/donors?npwz={changed}"), &amil)
            .await;
        assert_eq!(status, 422, "{changed}: {problem}");
        assert_eq!(problem["field"], "npwz");
        assert!(
            problem["detail"].as_str().unwrap().contains("check digit"),
            "{problem}"
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn registers_nik_and_npwp_are_checked_and_every_search_criterion_works() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let registers = Registers { app: &app };
    for (body, field) in [
        (json!({ "name": "Siti", "nik": "123" }), "nik"),
        (json!({ "name": "Siti", "nik": "3273013208850001" }), "nik"),
        (json!({ "name": "Siti", "nik": "9973011708850001" }), "nik"),
        (
            json!({ "name": "Siti", "npwp": "01.234.567.8-901.ABC" }),
            "npwp",
        ),
        (
            json!({ "name": "Siti", "npwp": "012.345.678-901.000" }),
            "npwp",
        ),
        (
            json!({ "name": "Siti", "npwz": "0000-26-0000001-4" }),
            "npwz",
        ),
        (json!({ "name": " " }), "name"),
    ] {
        let (status, problem) = registers.file_donor(&amil, &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let (siti, _) = registers
        .donor(
            &amil,
            &json!({ "name": "Siti Aminah", "nik": nik(1), "npwp": "01.234.567.8-901.000",
                     "phone": "081234567890", "email": "siti@example.org" }),
        )
        .await;
    let (budi, _) = registers
        .donor(
            &amil,
            &json!({ "name": "Budi Santoso", "nik": nik(2), "npwp": nik(2) }),
        )
        .await;
    let (_aminah, _) = registers
        .donor(&amil, &json!({ "name": "Nur Aminah" }))
        .await;
    let found = |query: &'static str| {
        let registers = &registers;
        let amil = &amil;
        async move {
            let (status, page) = registers
                .get(&format!("/api/v1/donors?{query}"), amil)
                .await;
            assert_eq!(status, 200, "{query}: {page}");
            page["donors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("name=aminah").await.len(), 2);
    assert_eq!(found("name=SITI").await, [siti.as_str()]);
    assert_eq!(found("name=%25").await.len(), 0, "a `%` is a character");
    assert_eq!(found("nik=3273011708850002").await, [budi.as_str()]);
    assert_eq!(found("npwp=012345678901000").await, [siti.as_str()]);
    assert_eq!(found("npwp=01.234.567.8-901.000").await, [siti.as_str()]);
    assert_eq!(found("phone=081234567890").await, [siti.as_str()]);
    assert_eq!(
        found("name=aminah&phone=081234567890").await,
        [siti.as_str()]
    );
    let (status, problem) = registers.get("/api/v1/donors?nik=123", &amil).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("nik")));

    // Pages, newest first, through the cursor.
    let first = found("limit=2").await;
    assert_eq!(first.len(), 2);
    let (_, page) = registers.get("/api/v1/donors?limit=2", &amil).await;
    let next = page["next_before"].as_str().unwrap();
    let (_, rest) = registers
        .get(&format!("/api/v1/donors?limit=2&before={next}"), &amil)
        .await;
    assert_eq!(rest["donors"].as_array().unwrap().len(), 1);
    assert_eq!(rest["donors"][0]["id"], siti.as_str(), "the oldest last");
    assert_eq!(rest["next_before"], Value::Null);
    app.teardown().await;
}

#[tokio::test]
async fn registers_personal_data_is_shown_to_staff_only_and_every_staff_read_is_counted() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let auditor = app.token(Role::Auditor).await;
    let registers = Registers { app: &app };
    let (id, npwz) = registers
        .donor(&amil, &json!({ "name": "Siti Aminah", "nik": nik(1) }))
        .await;
    let path = format!("/api/v1/donors/{id}");

    let (_, seen) = registers.get(&path, &amil).await;
    assert_eq!(seen["personal_data"]["name"], "Siti Aminah");
    assert_eq!(seen["personal_data"]["nik"], nik(1).as_str());
    assert_eq!(seen["access"], Value::Null, "only admins see who read");
    let (_, listed) = registers.get("/api/v1/donors?name=siti", &amil).await;
    assert_eq!(listed["donors"][0]["personal_data"]["name"], "Siti Aminah");

    // The auditor: ids, NPWZ and dates, no personal data, no search by it, not counted.
    let (status, audited) = registers.get(&path, &auditor).await;
    assert_eq!(status, 200);
    assert_eq!(audited["npwz"], npwz.as_str());
    assert_eq!(audited["personal_data"], Value::Null);
    assert!(!audited.to_string().contains("Siti"), "{audited}");
    let (status, _) = registers.get("/api/v1/donors?name=siti", &auditor).await;
    assert_eq!(status, 403);
    let (status, _) = registers
        .get(&format!("/api/v1/donors?nik={}", nik(1)), &auditor)
        .await;
    assert_eq!(status, 403, "a NIK search would say whether someone gives");
    let (status, page) = registers.get("/api/v1/donors", &auditor).await;
    assert_eq!(status, 200);
    assert_eq!(page["donors"][0]["personal_data"], Value::Null);

    // The admin sees who read: the amil twice (show, search), the admin's own read now.
    let (_, shown) = registers.get(&path, &admin).await;
    assert_eq!(shown["access"]["read_count"], 3, "{shown}");
    let readers = shown["access"]["readers"].as_array().unwrap();
    assert_eq!(readers.len(), 2, "{shown}");
    assert!(readers.iter().any(|r| r["read_count"] == 2));
    let mut raw = RawConnection::open(app.database_url()).await;
    assert_eq!(
        raw.count("SELECT CAST(SUM(read_count) AS BIGINT) FROM personal_data_reads")
            .await,
        3
    );
    app.teardown().await;
}

#[tokio::test]
async fn registers_a_change_is_checked_audited_by_field_name_and_refused_once_erased() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let auditor = app.token(Role::Auditor).await;
    let registers = Registers { app: &app };
    let (id, _) = registers
        .donor(
            &amil,
            &json!({ "name": "Siti Aminah", "email": "siti@example.org", "phone": "0811" }),
        )
        .await;
    let path = format!("/api/v1/donors/{id}");
    let (status, changed) = registers
        .patch(
            &path,
            &amil,
            &json!({ "phone": "0822", "email": null, "npwp": "01.234.567.8-901.000" }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["personal_data"]["phone"], "0822");
    assert_eq!(changed["personal_data"]["email"], Value::Null);
    assert_eq!(changed["personal_data"]["npwp"], "012345678901000");
    assert_eq!(changed["personal_data"]["name"], "Siti Aminah", "untouched");
    assert!(changed["updated_at"].is_string());

    for (body, field) in [
        (json!({ "nik": "1234" }), "nik"),
        (json!({ "name": null }), "name"),
        (json!({}), "body"),
        (json!({ "npwz": "x" }), "npwz"),
    ] {
        let (status, problem) = registers.patch(&path, &amil, &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let (status, _) = registers
        .patch(&path, &auditor, &json!({ "phone": "0833" }))
        .await;
    assert_eq!(status, 403);
    let missing = uuid::Uuid::now_v7();
    let (status, _) = registers
        .patch(
            &format!("/api/v1/donors/{missing}"),
            &amil,
            &json!({ "phone": "0833" }),
        )
        .await;
    assert_eq!(status, 404);

    let mut raw = RawConnection::open(app.database_url()).await;
    assert_eq!(
        raw.count(&format!(
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'donor.update' AND subject = 'donor:{id}' \
             AND payload LIKE '%\"email\"%' AND payload NOT LIKE '%0822%'"
        ))
        .await,
        1,
        "the audit entry names the fields, never their values"
    );

    assert_eq!(
        registers
            .erase(&format!("{path}/personal-data"), &admin)
            .await,
        204
    );
    let (status, problem) = registers
        .patch(&path, &amil, &json!({ "phone": "0833" }))
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["type"], "urn:donation-platform:problem:erased");
    app.teardown().await;
}

#[tokio::test]
async fn registers_erasure_removes_personal_fields_keeps_the_books_and_the_chain_verifies() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let auditor = app.token(Role::Auditor).await;
    let registers = Registers { app: &app };
    let gift = app
        .donate(
            &amil,
            &json!({ "type": "zakat_maal", "amount": "2500000", "currency": "IDR",
                     "method": "bank_transfer", "received_on": today(),
                     "donor": { "name": "Siti Aminah", "nik": nik(7), "npwp": "01.234.567.8-901.000",
                                "phone": "081234567890", "email": "siti@example.org",
                                "address": "Jl. Merdeka 1, Bandung" } }),
        )
        .await;
    let id = gift["donor_id"].as_str().unwrap().to_owned();
    let (_, filed) = registers.get(&format!("/api/v1/donors/{id}"), &amil).await;
    let npwz = filed["npwz"].as_str().unwrap().to_owned();
    let erase_path = format!("/api/v1/donors/{id}/personal-data");
    assert_eq!(registers.erase(&erase_path, &amil).await, 403);
    assert_eq!(registers.erase(&erase_path, &auditor).await, 403);
    let missing = uuid::Uuid::now_v7();
    assert_eq!(
        registers
            .erase(&format!("/api/v1/donors/{missing}/personal-data"), &admin)
            .await,
        404
    );
    assert_eq!(registers.erase(&erase_path, &admin).await, 204);
    assert_eq!(
        registers.erase(&erase_path, &admin).await,
        204,
        "erasing again changes nothing"
    );

    let (_, erased) = registers.get(&format!("/api/v1/donors/{id}"), &admin).await;
    assert_eq!(erased["erased"], true);
    assert_eq!(
        erased["npwz"],
        npwz.as_str(),
        "the institution's number stays, like the id"
    );
    assert_eq!(
        erased["personal_data"],
        json!({ "name": "[erased]", "nik": null, "npwp": null, "phone": null, "email": null,
                "address": null })
    );
    let (_, page) = registers.get("/api/v1/donors?name=siti", &amil).await;
    assert_eq!(page["donors"], json!([]), "no longer found by name");

    // The books stay: the donation, its donor id, the fund.
    let gift_id = gift["id"].as_str().unwrap();
    let (status, kept) = registers
        .get(&format!("/api/v1/donations/{gift_id}"), &auditor)
        .await;
    assert_eq!(status, 200);
    assert_eq!(kept["donor_id"], id.as_str());
    assert_eq!(kept["amount"], "2500000.00");
    assert_eq!(app.fund_balance(&amil, "zakat", None).await, "2187500.00");

    // Nothing of the person anywhere in the database but the marker; the chain records the
    // erasure by id and still verifies.
    let mut raw = RawConnection::open(app.database_url()).await;
    for trace in [
        "Siti",
        "3273011708850007",
        "012345678901000",
        "0812345",
        "Merdeka",
    ] {
        for (table, column) in [
            ("donors", "name"),
            ("donors", "COALESCE(address, '')"),
            ("audit_entries", "payload"),
            ("idempotency_keys", "CAST(body AS TEXT)"),
        ] {
            if table == "idempotency_keys" && !raw.is_sqlite() {
                continue;
            }
            let count = raw
                .count(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%{trace}%'"
                ))
                .await;
            assert_eq!(count, 0, "`{trace}` in {table}");
        }
    }
    assert_eq!(
        raw.count(&format!(
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'donor.erase' AND subject = 'donor:{id}'"
        ))
        .await,
        1
    );
    let report = app
        .state
        .database()
        .audit_verify(app.state.checkpoint_key())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    app.teardown().await;
}

#[tokio::test]
async fn registers_recipients_are_filed_searched_changed_and_erased() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let auditor = app.token(Role::Auditor).await;
    let registers = Registers { app: &app };
    let response = app
        .post(
            "/api/v1/recipients",
            &amil,
            None,
            &json!({ "name": "Ahmad", "nik": nik(3), "asnaf": "miskin", "household_size": 5,
                     "eligibility_note": "penghasilan di bawah had kifayah" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created.as_object().unwrap().len(),
        1,
        "only the id: {created}"
    );
    let id = created["id"].as_str().unwrap().to_owned();
    for (body, field) in [
        (
            json!({ "name": "Ahmad", "household_size": 0 }),
            "household_size",
        ),
        (json!({ "name": "Ahmad", "nik": "1" }), "nik"),
        (json!({ "name": "Ahmad", "asnaf": "nobody" }), "asnaf"),
    ] {
        let response = app.post("/api/v1/recipients", &amil, None, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
    }
    // One more, filed with a distribution: registered under its asnaf.
    app.donate(
        &amil,
        &json!({ "type": "zakat_maal", "amount": "1000000", "currency": "IDR", "method": "bank_transfer",
                 "received_on": today(), "anonymous": true }),
    )
    .await;
    let response = app
        .post(
            "/api/v1/distributions",
            &amil,
            None,
            &json!({ "fund": "zakat", "asnaf": "fakir", "program": "Bantuan pangan", "amount": "100000",
                     "currency": "IDR", "recipient": { "name": "Fatimah" } }),
        )
        .await;
    assert_eq!(response.status(), 201);

    let (_, fakir) = registers.get("/api/v1/recipients?asnaf=fakir", &amil).await;
    assert_eq!(fakir["recipients"].as_array().unwrap().len(), 1, "{fakir}");
    assert_eq!(fakir["recipients"][0]["personal_data"]["name"], "Fatimah");
    let (_, found) = registers.get("/api/v1/recipients?name=ahm", &amil).await;
    assert_eq!(found["recipients"][0]["id"], id.as_str());
    assert_eq!(found["recipients"][0]["personal_data"]["household_size"], 5);
    let (status, _) = registers.get("/api/v1/recipients?name=ahm", &auditor).await;
    assert_eq!(status, 403);
    let path = format!("/api/v1/recipients/{id}");
    let (_, audited) = registers.get(&path, &auditor).await;
    assert_eq!(audited["asnaf"], "miskin");
    assert_eq!(audited["personal_data"], Value::Null);

    let (status, changed) = registers
        .patch(
            &path,
            &amil,
            &json!({ "household_size": 6, "asnaf": "fakir", "phone": "0899" }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["asnaf"], "fakir");
    assert_eq!(changed["personal_data"]["household_size"], 6);
    let (status, _) = registers
        .patch(&path, &amil, &json!({ "household_size": 100 }))
        .await;
    assert_eq!(status, 422);

    assert_eq!(
        registers
            .erase(&format!("{path}/personal-data"), &amil)
            .await,
        403
    );
    assert_eq!(
        registers
            .erase(&format!("{path}/personal-data"), &admin)
            .await,
        204
    );
    let (_, erased) = registers.get(&path, &admin).await;
    assert_eq!(erased["personal_data"]["name"], "[erased]");
    assert_eq!(erased["personal_data"]["eligibility_note"], Value::Null);
    assert_eq!(erased["personal_data"]["household_size"], Value::Null);
    assert_eq!(erased["asnaf"], "fakir", "the asnaf stays with the books");
    assert_eq!(erased["access"]["read_count"], 3, "{erased}");
    app.teardown().await;
}

#[tokio::test]
async fn registers_distributions_are_listed_with_filters_and_shown() {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let auditor = app.token(Role::Auditor).await;
    let registers = Registers { app: &app };
    app.donate(
        &amil,
        &json!({ "type": "zakat_maal", "amount": "10000000", "currency": "IDR", "method": "bank_transfer",
                 "received_on": today(), "anonymous": true }),
    )
    .await;
    app.donate(
        &amil,
        &json!({ "type": "non_halal", "amount": "50000", "currency": "IDR", "method": "bank_transfer",
                 "received_on": today(), "anonymous": true }),
    )
    .await;
    let mut ids = Vec::new();
    for (asnaf, amount, on) in [
        ("fakir", "100000", "2026-01-05"),
        ("miskin", "200000", "2026-02-05"),
        ("fakir", "300000", "2026-03-05"),
    ] {
        let body = json!({ "fund": "zakat", "asnaf": asnaf, "program": "Bantuan pangan", "amount": amount,
                           "currency": "IDR", "distributed_on": on, "recipient": { "name": "Ahmad" } });
        ids.push(registers.distribute(&amil, &body).await);
    }
    registers
        .distribute(
            &amil,
            &json!({ "fund": "non_halal", "purpose": "public_facilities", "program": "Jalan desa",
                     "amount": "50000", "currency": "IDR", "distributed_on": "2026-03-06",
                     "recipient": { "name": "Desa Sukamaju" } }),
        )
        .await;

    let amounts = |query: &'static str| {
        let registers = &registers;
        let auditor = &auditor;
        async move {
            let (status, page) = registers
                .get(&format!("/api/v1/distributions?{query}"), auditor)
                .await;
            assert_eq!(status, 200, "{query}: {page}");
            page["distributions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["amount"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        amounts("").await,
        ["50000.00", "300000.00", "200000.00", "100000.00"]
    );
    assert_eq!(amounts("asnaf=fakir").await, ["300000.00", "100000.00"]);
    assert_eq!(amounts("fund=non_halal").await, ["50000.00"]);
    assert_eq!(amounts("purpose=public_facilities").await, ["50000.00"]);
    assert_eq!(
        amounts("distributed_from=2026-02-01&distributed_to=2026-03-05").await,
        ["300000.00", "200000.00"]
    );
    let (_, page) = registers
        .get("/api/v1/distributions?fund=zakat&limit=2", &auditor)
        .await;
    assert_eq!(page["distributions"].as_array().unwrap().len(), 2);
    let next = page["next_before"].as_str().unwrap();
    let (_, rest) = registers
        .get(
            &format!("/api/v1/distributions?fund=zakat&limit=2&before={next}"),
            &auditor,
        )
        .await;
    assert_eq!(rest["distributions"][0]["id"], ids[0].as_str());
    assert_eq!(rest["next_before"], Value::Null);
    for (query, field) in [
        ("limit=0", "limit"),
        ("asnaf=nobody", "asnaf"),
        ("distributed_from=2026-13-01", "distributed_from"),
    ] {
        let (status, problem) = registers
            .get(&format!("/api/v1/distributions?{query}"), &auditor)
            .await;
        assert_eq!(status, 422, "{query}: {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }

    let (status, shown) = registers
        .get(&format!("/api/v1/distributions/{}", ids[1]), &auditor)
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["asnaf"], "miskin");
    assert_eq!(shown["distributed_on"], "2026-02-05");
    let (status, _) = registers
        .get(
            &format!("/api/v1/distributions/{}", uuid::Uuid::now_v7()),
            &auditor,
        )
        .await;
    assert_eq!(status, 404);
    app.teardown().await;
}
