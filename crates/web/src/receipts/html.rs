//! Receipts and the verification page as HTML: self-contained pages (inline CSS, the QR as
//! inline SVG, the logo as a data URL) that print on A5 by default and on A4 when the printer
//! is set to it, with every value escaped.

use std::fmt::Write as _;

use base64::Engine as _;
use domain::receipts::{AnnualReceipt, Field, Institution, Receipt, Standing};

/// The print styles: A5 portrait by default (`@page { size: A5 }`); a browser printing to A4
/// scales the same layout up through the `A4` media query.
pub(crate) const STYLE: &str = "\
:root{font-family:'DejaVu Sans',Verdana,sans-serif;color:#111}\
body{margin:0;background:#eee}\
.sheet{background:#fff;max-width:148mm;margin:1rem auto;padding:10mm 11mm;box-sizing:border-box}\
.head{display:flex;gap:4mm;align-items:center;border-bottom:1.5px solid #00643c;padding-bottom:3mm}\
.head img{max-width:16mm;max-height:16mm}\
.head h1{font-size:13pt;color:#00643c;margin:0}.head p{margin:0;font-size:7.5pt;color:#555}\
h2{text-align:center;font-size:15pt;margin:6mm 0 0}.sub{text-align:center;font-size:7.5pt;color:#555;margin:0 0 5mm}\
table{border-collapse:collapse;width:100%;font-size:9pt}th{text-align:left;color:#555;font-weight:normal;width:34%;vertical-align:top;padding:1mm 0}\
td{padding:1mm 0}.lines th,.lines td{border-bottom:1px solid #ddd;width:auto}\
.foot{display:flex;justify-content:space-between;margin-top:6mm;font-size:8pt}.qr svg{width:30mm;height:30mm}\
.url{font-size:6.5pt;color:#555;word-break:break-all;max-width:60mm}.sign{width:45%}.sign .line{border-bottom:1px solid #777;height:16mm}\
.status{font-weight:bold;color:#be1414;font-size:11pt}.genuine{color:#00643c}\
.void{position:relative}.void::after{content:'BATAL · VOID';position:absolute;top:40%;left:5%;transform:rotate(-30deg);font-size:48pt;color:rgba(190,20,20,.35);font-weight:bold}\
@page{size:A5 portrait;margin:8mm}\
@media print{body{background:#fff}.sheet{margin:0;max-width:none;padding:0}}\
@media print and (min-width:180mm){.sheet{font-size:120%}}\
";

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>",
        escape(title)
    )
}

fn letterhead(institution: &Institution) -> String {
    let logo = institution.logo.as_ref().map_or(String::new(), |logo| {
        format!(
            "<img alt=\"\" src=\"data:{};base64,{}\">",
            logo.format().media_type(),
            base64::engine::general_purpose::STANDARD.encode(logo.bytes())
        )
    });
    format!(
        "<div class=\"head\">{logo}<div><h1>{}</h1><p>{} · Izin {}</p><p>{}</p></div></div>",
        escape(&institution.name),
        escape(institution.licence_type.label()),
        escape(&institution.licence_number),
        escape(&institution.address),
    )
}

fn table(fields: &[Field]) -> String {
    let mut rows = String::from("<table>");
    for (label, value) in fields {
        let _ = write!(
            rows,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        );
    }
    rows.push_str("</table>");
    rows
}

/// The QR code of `url` as inline SVG (one path, four modules of quiet zone).
#[must_use]
pub fn qr_svg(url: &str) -> String {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M) else {
        return String::new();
    };
    let width = code.width();
    let mut path = String::new();
    for (index, dark) in code.to_colors().into_iter().enumerate() {
        if dark == qrcode::Color::Dark {
            let _ = write!(path, "M{} {}h1v1h-1z", index % width + 4, index / width + 4);
        }
    }
    let side = width + 8;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" role=\"img\" \
         aria-label=\"QR\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

/// One donation's printable receipt.
#[must_use]
pub fn receipt(receipt: &Receipt, institution: &Institution, verification_url: &str) -> String {
    let standing = Standing::of(receipt.status);
    let status = if standing == Standing::Genuine {
        String::new()
    } else {
        format!("<p class=\"status\">{}</p>", escape(standing.label()))
    };
    let class = if standing == Standing::Void {
        "sheet void"
    } else {
        "sheet"
    };
    let body = format!(
        "<main class=\"{class}\">{}<h2>BUKTI SETOR ZAKAT</h2>\
         <p class=\"sub\">Tanda terima zakat/donasi (PER-6/PJ/2011)</p>{status}{}\
         <div class=\"foot\"><div class=\"qr\">{}<p class=\"url\">Pindai untuk memeriksa keaslian: \
         <a href=\"{url}\">{url}</a></p></div><div class=\"sign\"><p>{}<br>Petugas Penerima,</p>\
         <div class=\"line\"></div><p><b>{}</b><br>{}</p></div></div></main>",
        letterhead(institution),
        table(&receipt.fields(institution, false)),
        qr_svg(verification_url),
        escape(&domain::receipts::indonesian_date(
            receipt.facts.received_on
        )),
        escape(&institution.officer_name),
        escape(&institution.officer_title),
        url = escape(verification_url),
    );
    page(
        &format!("Bukti Setor Zakat {}", receipt.facts.receipt),
        &body,
    )
}

/// A donor's annual consolidated receipt.
#[must_use]
pub fn annual(annual: &AnnualReceipt, institution: &Institution) -> String {
    let payer = &annual.payer;
    let dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    let head = table(&[
        ("Nama Muzakki", payer.name.clone()),
        ("NPWP", dash(&payer.npwp)),
        ("NIK", dash(&payer.nik)),
        ("NPWZ", dash(&payer.npwz)),
        ("Lembaga Amil Zakat", institution.name.clone()),
        (
            "Izin",
            format!(
                "{} — {}",
                institution.licence_type.label(),
                institution.licence_number
            ),
        ),
    ]);
    let mut lines = String::from(
        "<table class=\"lines\"><tr><th>Nomor Bukti</th><th>Tanggal</th><th>Jenis</th><th>Jumlah</th></tr>",
    );
    for line in &annual.lines {
        let amount = domain::Currency::IDR.format_minor(line.amount_idr_minor);
        let amount = domain::Money::parse(&amount, domain::Currency::IDR)
            .map_or(amount, domain::receipts::figures);
        let _ = write!(
            lines,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            line.receipt,
            line.received_on,
            escape(domain::receipts::type_label(line.donation_type)),
            escape(&amount)
        );
    }
    lines.push_str("</table>");
    let total = table(&[
        ("Jumlah Setahun", annual.total_figures()),
        ("Terbilang", annual.total_words()),
        (
            "Petugas",
            format!(
                "{} ({})",
                institution.officer_name, institution.officer_title
            ),
        ),
    ]);
    let body = format!(
        "<main class=\"sheet\">{}<h2>BUKTI SETOR ZAKAT TAHUN {}</h2>\
         <p class=\"sub\">Rekapitulasi tahunan (PER-6/PJ/2011)</p>{head}<br>{lines}<br>{total}</main>",
        letterhead(institution),
        annual.year,
    );
    page(&format!("Bukti Setor Zakat Tahun {}", annual.year), &body)
}

/// The public verification page of a receipt that exists: its standing and what the receipt
/// itself shows, the NIK and NPWP masked.
#[must_use]
pub fn verified(receipt: &Receipt, institution: &Institution) -> String {
    let standing = Standing::of(receipt.status);
    let class = if standing == Standing::Genuine {
        "status genuine"
    } else {
        "status"
    };
    let body = format!(
        "<main class=\"sheet\">{}<h2>Verifikasi Bukti Setor Zakat</h2>\
         <p class=\"sub\">Receipt verification</p><p class=\"{class}\">{}</p>{}</main>",
        letterhead(institution),
        escape(standing.label()),
        table(&receipt.fields(institution, true)),
    );
    page("Verifikasi Bukti Setor Zakat", &body)
}

/// The page for a code that is not one of ours, or was changed.
#[must_use]
pub fn not_genuine() -> String {
    page(
        "Bukti tidak ditemukan",
        "<main class=\"sheet\"><h2>Bukti tidak ditemukan</h2>\
         <p class=\"status\">TIDAK ASLI — no receipt has this verification code.</p>\
         <p>The code was mistyped, changed, or never issued by this institution. Check it \
         against the printed receipt; a receipt whose code does not verify here is not genuine.</p>\
         </main>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_escaped() {
        assert_eq!(
            escape("<b a=\"1\">&'"),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn the_qr_is_an_svg_path() {
        let svg = qr_svg("https://donasi.example.org/verify/2026-000001-AAAA-AAAA-AAAA-AAAA");
        assert!(
            svg.starts_with("<svg") && svg.contains("<path d=\"M"),
            "{svg}"
        );
    }
}
