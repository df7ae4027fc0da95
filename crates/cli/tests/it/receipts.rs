//! The Bukti Setor Zakat: every field PER-6/PJ/2011 requires in the PDF's text and the HTML,
//! the QR code decoding to the verification URL, verification answering genuine, void,
//! refunded, and 404 for any changed character; who may fetch a receipt; the institution
//! profile; the annual receipt and its bulk generator. PDFs are read with poppler's `pdftotext`
//! and `pdftoppm`, QR codes with `zbarimg` (installed by `.ci/run`).

use std::path::Path;
use std::process::Command;

use domain::Role;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::binary::BinaryCommand;

/// An 8 × 8 green PNG: a valid logo.
const LOGO_PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEElEQVR4nGNgSLHBjoaWBACSqSgB7/wyNgAAAABJRU5ErkJggg==";

fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
}

fn institution() -> Value {
    json!({
        "name": "LAZ Amanah Umat Bandung",
        "licence_type": "laz_provincial",
        "licence_number": "KEP-BAZNAS/JB/77/2024",
        "address": "Jl. Asia Afrika No. 1, Bandung 40111",
        "officer_name": "Ahmad Fauzi",
        "officer_title": "Kepala Bagian Pengumpulan",
        "code": "3173",
        "logo_base64": LOGO_PNG_BASE64,
    })
}

/// Typed requests for receipts.
struct Receipts<'a> {
    app: &'a TestApp,
}

impl Receipts<'_> {
    async fn set_institution(&self, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .app
            .client
            .put(self.app.url("/api/v1/settings/institution"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// GETs `path` with `accept`: status, content type, body.
    async fn fetch(&self, path: &str, token: Option<&str>, accept: &str) -> (u16, String, Vec<u8>) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.app.url(path)
        };
        let mut request = self.app.client.get(url).header("Accept", accept);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            status,
            content_type,
            response.bytes().await.unwrap().to_vec(),
        )
    }

    async fn verify_json(&self, url: &str) -> (u16, Value) {
        let (status, _, body) = self.fetch(url, None, "application/json").await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn reverse(&self, token: &str, id: &str, kind: &str, body: &Value) {
        let key = uuid::Uuid::new_v4().to_string();
        let response = self
            .app
            .post(
                &format!("/api/v1/donations/{id}/{kind}"),
                token,
                Some(&key),
                body,
            )
            .await;
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
    }
}

fn zakat(amount: &str, donor: &Value) -> Value {
    let mut body = json!({
        "type": "zakat_penghasilan",
        "amount": amount,
        "currency": "IDR",
        "method": "bank_transfer",
        "received_on": today().to_string(),
    });
    body.as_object_mut()
        .unwrap()
        .extend(donor.as_object().unwrap().clone());
    body
}

fn siti() -> Value {
    json!({ "donor": {
        "name": "Siti Aminah",
        "nik": "3273015708850001",
        "npwp": "01.234.567.8-901.000",
    }})
}

/// `pdftotext -layout` of a PDF.
fn pdf_text(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("receipt.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The QR code on the PDF's first page, decoded: rendered with `pdftoppm`, read by `zbarimg`.
fn pdf_qr(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("qr.pdf");
    std::fs::write(&path, pdf).unwrap();
    let prefix = dir.join("qr");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    let output = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(prefix.with_extension("png"))
        .output()
        .expect("zbarimg (zbar-tools) is installed");
    assert!(output.status.success(), "no QR code found on the page");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_receipt_pdf_shows_every_required_field_and_its_qr_carries_the_verification_url() {
    let app = TestApp::spawn().await;
    let receipts = Receipts { app: &app };
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let (status, profile) = receipts.set_institution(&admin, &institution()).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["code"], "3173");

    let donation = app.donate(&amil, &zakat("2500000", &siti())).await;
    let id = donation["id"].as_str().unwrap();
    let number = donation["receipt_number"].as_str().unwrap();
    let verification_url = donation["verification_url"].as_str().unwrap();
    // Absolute, under `HOST` (`localhost` in dev) and the port this instance serves on.
    let base = format!("http://localhost:{}", app.address.port());
    assert_eq!(
        donation["receipt_url"],
        format!("{base}/api/v1/donations/{id}/receipt")
    );
    assert!(verification_url.starts_with(&format!("{base}/verify/{number}-")));
    let donor: Value = app
        .get_as(
            &format!("/api/v1/donors/{}", donation["donor_id"].as_str().unwrap()),
            &amil,
        )
        .await
        .json()
        .await
        .unwrap();
    let npwz = donor["npwz"].as_str().unwrap();
    assert!(
        npwz.starts_with("3173-"),
        "the profile's code numbers NPWZs: {npwz}"
    );

    let (status, content_type, pdf) = receipts
        .fetch(
            &format!("/api/v1/donations/{id}/receipt"),
            Some(&amil),
            "application/pdf",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let text = pdf_text(dir.path(), &pdf);
    let code = verification_url.rsplit("/verify/").next().unwrap();
    let date = domain::receipts::indonesian_date(today());
    for field in [
        "BUKTI SETOR ZAKAT",
        "Siti Aminah",
        "3273015708850001",
        "012345678901000",
        npwz,
        "Rp 2.500.000,00",
        "Dua juta lima ratus ribu rupiah",
        &date,
        "LAZ Amanah Umat Bandung",
        "KEP-BAZNAS/JB/77/2024",
        "Ahmad Fauzi",
        number,
        "Zakat Penghasilan",
        "Dana Zakat",
        code,
    ] {
        assert!(
            text.contains(field),
            "`{field}` missing from the PDF's text:\n{text}"
        );
    }
    assert_eq!(pdf_qr(dir.path(), &pdf), verification_url);

    let (status, content_type, html) = receipts
        .fetch(
            &format!("/api/v1/donations/{id}/receipt"),
            Some(&amil),
            "text/html",
        )
        .await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    for field in [
        "Siti Aminah",
        "3273015708850001",
        "012345678901000",
        npwz,
        "Rp 2.500.000,00",
        "Dua juta lima ratus ribu rupiah",
        &date,
        "KEP-BAZNAS/JB/77/2024",
        "Ahmad Fauzi",
        code,
        "@page{size:A5",
        "<svg",
    ] {
        assert!(
            html.contains(field),
            "`{field}` missing from the HTML receipt"
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn verification_says_genuine_void_or_refunded_and_404_for_any_changed_character() {
    let app = TestApp::spawn().await;
    let receipts = Receipts { app: &app };
    let amil = app.token(Role::Amil).await;
    let first = app.donate(&amil, &zakat("1000000", &siti())).await;
    let second = app
        .donate(&amil, &zakat("2000000", &json!({ "anonymous": true })))
        .await;
    let url = first["verification_url"].as_str().unwrap();

    let (status, view) = receipts.verify_json(url).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "genuine");
    assert_eq!(view["receipt_number"], first["receipt_number"]);
    assert_eq!(view["amount_in_words"], "satu juta rupiah");
    assert_eq!(view["nik"], "3273**********01", "the NIK is masked");
    let (status, _, page) = receipts.fetch(url, None, "text/html").await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("ASLI") && page.contains("Siti Aminah"),
        "{page}"
    );
    assert!(
        !page.contains("3273015708850001"),
        "the full NIK is never public"
    );

    // Any single character changed, in the receipt number or the signature: not genuine.
    let (base, code) = url.rsplit_once('/').unwrap();
    let alphabet = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for at in 0..code.len() {
        let mut bytes = code.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'-' {
            b'7'
        } else {
            let index = alphabet.iter().position(|c| *c == bytes[at]).unwrap();
            alphabet[(index + 1) % 10 + if at < 11 { 0 } else { 10 }]
        };
        let changed = format!("{base}/{}", String::from_utf8(bytes).unwrap());
        let (status, problem) = receipts.verify_json(&changed).await;
        assert_eq!(status, 404, "{changed} verified: {problem}");
        assert_eq!(problem["status"], 404);
    }
    let (status, content_type, page) = receipts
        .fetch(&format!("{base}/nope"), None, "text/html")
        .await;
    assert_eq!(status, 404);
    assert!(content_type.starts_with("text/html"));
    assert!(String::from_utf8(page).unwrap().contains("TIDAK ASLI"));
    let (status, _, _) = receipts
        .fetch(
            &format!("{base}/{}", "A".repeat(2000)),
            None,
            "application/json",
        )
        .await;
    assert_eq!(status, 404);

    let first_id = first["id"].as_str().unwrap();
    receipts
        .reverse(&amil, first_id, "void", &json!({ "reason": "bounced" }))
        .await;
    let (_, view) = receipts.verify_json(url).await;
    assert_eq!(view["status"], "void");
    let second_id = second["id"].as_str().unwrap();
    receipts
        .reverse(&amil, second_id, "refunds", &json!({ "amount": "500000" }))
        .await;
    let (_, view) = receipts
        .verify_json(second["verification_url"].as_str().unwrap())
        .await;
    assert_eq!(view["status"], "refunded");
    assert_eq!(view["refunded_amount"], "500000.00");
    assert_eq!(view["payer_name"], "Hamba Allah");

    // A voided receipt prints as VOID with its original number.
    let (_, _, pdf) = receipts
        .fetch(
            &format!("/api/v1/donations/{first_id}/receipt"),
            Some(&amil),
            "application/pdf",
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let text = pdf_text(dir.path(), &pdf);
    assert!(text.contains("VOID"), "{text}");
    assert!(
        text.contains(first["receipt_number"].as_str().unwrap()),
        "{text}"
    );
    app.teardown().await;
}

#[tokio::test]
async fn receipts_are_for_staff_who_read_personal_data_and_the_profile_for_admins() {
    let app = TestApp::spawn().await;
    let receipts = Receipts { app: &app };
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    let auditor = app.token(Role::Auditor).await;
    let donation = app.donate(&amil, &zakat("150000", &siti())).await;
    let path = format!(
        "/api/v1/donations/{}/receipt",
        donation["id"].as_str().unwrap()
    );
    for (token, expected) in [
        (Some(&admin), 200),
        (Some(&amil), 200),
        (Some(&auditor), 403),
        (None, 401),
    ] {
        let (status, _, _) = receipts
            .fetch(&path, token.map(String::as_str), "application/pdf")
            .await;
        assert_eq!(status, expected, "{token:?}");
    }
    let (status, _, _) = receipts
        .fetch(
            &format!("/api/v1/donations/{}/receipt", uuid::Uuid::now_v7()),
            Some(&amil),
            "text/html",
        )
        .await;
    assert_eq!(status, 404);

    // Before the profile is set, receipts say so rather than look valid.
    let (status, _, html) = receipts.fetch(&path, Some(&amil), "text/html").await;
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("institution profile not set")
    );
    let (status, view) = receipts
        .verify_json(donation["verification_url"].as_str().unwrap())
        .await;
    assert_eq!((status, view["status"].as_str()), (200, Some("genuine")));

    let (status, _) = receipts.set_institution(&amil, &institution()).await;
    assert_eq!(status, 403);
    for (field, value) in [
        ("code", json!("0000")),
        ("code", json!("12a4")),
        ("logo_base64", json!("R0lGODlh")),
        ("name", json!(" ")),
    ] {
        let mut body = institution();
        body[field] = value;
        let (status, problem) = receipts.set_institution(&admin, &body).await;
        assert_eq!(status, 422, "{field}: {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let (status, _) = receipts.set_institution(&admin, &institution()).await;
    assert_eq!(status, 200);
    let shown: Value = app
        .get_as("/api/v1/settings/institution", &auditor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["configured"], true);
    assert_eq!(shown["logo_media_type"], "image/png");
    assert_eq!(shown["logo_base64"], LOGO_PNG_BASE64);
    app.teardown().await;
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one story: record, read, generate")]
async fn the_annual_receipt_sums_a_donors_standing_zakat_and_the_cli_writes_one_file_per_donor() {
    let app = TestApp::spawn().await;
    let receipts = Receipts { app: &app };
    let admin = app.token(Role::Admin).await;
    let amil = app.token(Role::Amil).await;
    receipts.set_institution(&admin, &institution()).await;
    let first = app.donate(&amil, &zakat("1000000", &siti())).await;
    let donor = first["donor_id"].as_str().unwrap().to_owned();
    let existing = json!({ "donor_id": donor });
    app.donate(&amil, &zakat("1500000", &existing)).await;
    let voided = app.donate(&amil, &zakat("999000", &existing)).await;
    receipts
        .reverse(&amil, voided["id"].as_str().unwrap(), "void", &json!({}))
        .await;
    let mut infak = zakat("50000", &existing);
    infak["type"] = json!("infak");
    app.donate(&amil, &infak).await;
    app.donate(
        &amil,
        &zakat("750000", &json!({ "donor": { "name": "Budi Santoso" } })),
    )
    .await;

    let year = today().year();
    let (status, _, html) = receipts
        .fetch(
            &format!("/api/v1/donors/{donor}/receipts/{year}"),
            Some(&amil),
            "text/html",
        )
        .await;
    assert_eq!(status, 200);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("Rp 2.500.000,00"),
        "voids and infak are left out:\n{html}"
    );
    assert!(html.contains("Dua juta lima ratus ribu rupiah"));
    assert!(!html.contains("999.000"));
    let (status, content_type, pdf) = receipts
        .fetch(
            &format!("/api/v1/donors/{donor}/receipts/{year}"),
            Some(&amil),
            "application/pdf",
        )
        .await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    let dir = tempfile::tempdir().unwrap();
    assert!(pdf_text(dir.path(), &pdf).contains("Dua juta lima ratus ribu rupiah"));
    for (path, expected) in [
        (format!("/api/v1/donors/{donor}/receipts/1999"), 404),
        (format!("/api/v1/donors/{donor}/receipts/x"), 404),
        (
            format!("/api/v1/donors/{}/receipts/{year}", uuid::Uuid::now_v7()),
            404,
        ),
    ] {
        assert_eq!(
            receipts.fetch(&path, Some(&amil), "text/html").await.0,
            expected,
            "{path}"
        );
    }
    let auditor = app.token(Role::Auditor).await;
    let path = format!("/api/v1/donors/{donor}/receipts/{year}");
    assert_eq!(
        receipts.fetch(&path, Some(&auditor), "text/html").await.0,
        403
    );

    let out = dir.path().join("annual");
    let run = BinaryCommand::new(dir.path())
        .args([
            "receipts",
            "annual",
            "--year",
            &year.to_string(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("DATABASE_URL", app.database_url())
        .env("DATA_DIR", app.data_dir())
        .output();
    assert_eq!(run.code(), 0, "{}", run.all_output());
    assert!(
        run.stdout.contains("wrote 2 annual receipt(s)"),
        "{}",
        run.stdout
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files.iter().all(
            |name| name.starts_with(&format!("bukti-setor-{year}-3173-"))
                && Path::new(name).extension().is_some_and(|e| e == "pdf")
        ),
        "named by NPWZ: {files:?}"
    );
    let texts: Vec<String> = files
        .iter()
        .map(|name| pdf_text(dir.path(), &std::fs::read(out.join(name)).unwrap()))
        .collect();
    assert!(
        texts
            .iter()
            .any(|text| text.contains("Siti Aminah") && text.contains("Rp 2.500.000,00"))
    );
    assert!(
        texts
            .iter()
            .any(|text| text.contains("Budi Santoso") && text.contains("Rp 750.000,00"))
    );
    app.teardown().await;
}
