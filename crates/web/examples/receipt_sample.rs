//! Writes a sample receipt PDF (for looking at the layout): `cargo run -p web --example receipt_sample OUT.pdf [void]`.

use domain::ledger::{DonationStatus, ReceiptNumber};
use domain::receipts::{
    Institution, InstitutionCode, LicenceType, Payer, Receipt, ReceiptFacts, VerificationCode,
    VerificationKey,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "receipt.pdf".to_owned());
    let void = args.next().is_some();
    let facts = ReceiptFacts {
        id: uuid::Uuid::nil(),
        receipt: ReceiptNumber {
            year: 2026,
            serial: 42,
        },
        amount: domain::Money::parse("1234567890", domain::Currency::IDR).expect("an amount"),
        received_on: time::macros::date!(2026 - 03 - 30),
        donation_type: domain::DonationType::ZakatPenghasilan,
    };
    let key = VerificationKey::derive(&[7; 64]);
    let receipt = Receipt {
        facts,
        fund: domain::Fund::Zakat,
        method: domain::PaymentMethod::BankTransfer,
        payer: Payer {
            name: "Siti Aminah binti Abdullah".to_owned(),
            nik: Some("3273015708850001".to_owned()),
            npwp: Some("012345678901000".to_owned()),
            npwz: Some("3173-26-0000001-9".to_owned()),
        },
        status: if void {
            DonationStatus::Void
        } else {
            DonationStatus::Recorded
        },
        refunded_minor: 0,
        code: VerificationCode::sign(&key, &facts),
    };
    let institution = Institution {
        name: "LAZ Amanah Umat Bandung".to_owned(),
        licence_type: LicenceType::LazProvincial,
        licence_number: "KEP-BAZNAS/JB/77/2024".to_owned(),
        address: "Jl. Asia Afrika No. 1, Bandung 40111".to_owned(),
        officer_name: "Ahmad Fauzi".to_owned(),
        officer_title: "Kepala Bagian Pengumpulan".to_owned(),
        code: InstitutionCode::parse("3173").expect("a code"),
        logo: None,
    };
    let url = format!("https://donasi.example.org/verify/{}", receipt.code);
    let started = std::time::Instant::now();
    let pdf = web::receipts::pdf::receipt(&receipt, &institution, &url);
    eprintln!("{} bytes in {:?}", pdf.len(), started.elapsed());
    std::fs::write(out, pdf).expect("writes");
}
