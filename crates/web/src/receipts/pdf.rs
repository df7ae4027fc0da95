//! Receipts as PDF (A5 portrait): krilla writes the page, subsets the embedded `DejaVu Sans`
//! (so a receipt is a few tens of KiB) and writes its `ToUnicode` map (so `pdftotext` and screen
//! readers get the text back); the QR code is drawn as vector squares, sharp at any zoom.

use std::sync::LazyLock;

use domain::receipts::{AnnualReceipt, Institution, Logo, LogoFormat, Receipt};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

/// `DejaVu Sans` (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`): covers Latin,
/// the dashes and the rupiah's punctuation; parsed once per process.
static REGULAR: LazyLock<Font> = LazyLock::new(|| {
    let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
    Font::new(bytes.into(), 0).expect("the bundled font parses")
});

static BOLD: LazyLock<Font> = LazyLock::new(|| {
    let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
    Font::new(bytes.into(), 0).expect("the bundled font parses")
});

/// A5 in points (148 × 210 mm).
const PAGE_WIDTH: f32 = 419.53;
const PAGE_HEIGHT: f32 = 595.28;
const MARGIN: f32 = 32.0;
/// Where values start, right of their labels.
const VALUE_X: f32 = 150.0;
/// `DejaVu Sans` averages a little over half an em per character: enough to wrap values and
/// centre titles without shaping them twice.
const AVERAGE_ADVANCE_EM: f32 = 0.56;

/// One donation's Bukti Setor Zakat.
#[must_use]
pub fn receipt(receipt: &Receipt, institution: &Institution, verification_url: &str) -> Vec<u8> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Bukti Setor Zakat {}", receipt.facts.receipt))
            .creator("donation_platform".to_owned())
            .language("id".to_owned()),
    );
    let mut page = document.start_page_with(
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A5 is a page size"),
    );
    let mut surface = page.surface();
    let mut y = letterhead(&mut surface, institution);
    title(
        &mut surface,
        &mut y,
        "BUKTI SETOR ZAKAT",
        "Tanda terima zakat/donasi (PER-6/PJ/2011)",
    );
    let status = domain::receipts::Standing::of(receipt.status);
    if status != domain::receipts::Standing::Genuine {
        text(&mut surface, &BOLD, 10.0, MARGIN, y, status.label(), RED);
        y += 16.0;
    }
    for (label, value) in receipt.fields(institution, false) {
        field(&mut surface, &mut y, label, &value);
    }
    y += 8.0;
    qr_and_signature(
        &mut surface,
        y,
        institution,
        verification_url,
        receipt.facts.received_on,
    );
    if status == domain::receipts::Standing::Void {
        void_stamp(&mut surface, &receipt.facts.receipt.to_string());
    }
    surface.finish();
    page.finish();
    document.finish().expect("a receipt is a valid PDF")
}

/// A donor's consolidated receipt of a year.
#[must_use]
#[expect(clippy::too_many_lines, reason = "one page layout, top to bottom")]
pub fn annual(annual: &AnnualReceipt, institution: &Institution) -> Vec<u8> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Bukti Setor Zakat Tahunan {}", annual.year))
            .creator("donation_platform".to_owned())
            .language("id".to_owned()),
    );
    let lines_per_page = 24;
    let chunks: Vec<_> = if annual.lines.is_empty() {
        vec![&annual.lines[..]]
    } else {
        annual.lines.chunks(lines_per_page).collect()
    };
    let pages = chunks.len();
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut page = document.start_page_with(
            PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A5 is a page size"),
        );
        let mut surface = page.surface();
        let mut y = letterhead(&mut surface, institution);
        title(
            &mut surface,
            &mut y,
            &format!("BUKTI SETOR ZAKAT TAHUN {}", annual.year),
            "Rekapitulasi tahunan (PER-6/PJ/2011)",
        );
        if index == 0 {
            let payer = &annual.payer;
            field(&mut surface, &mut y, "Nama Muzakki", &payer.name);
            field(
                &mut surface,
                &mut y,
                "NPWP",
                payer.npwp.as_deref().unwrap_or("-"),
            );
            field(
                &mut surface,
                &mut y,
                "NIK",
                payer.nik.as_deref().unwrap_or("-"),
            );
            field(
                &mut surface,
                &mut y,
                "NPWZ",
                payer.npwz.as_deref().unwrap_or("-"),
            );
            field(
                &mut surface,
                &mut y,
                "Lembaga Amil Zakat",
                &institution.name,
            );
            field(
                &mut surface,
                &mut y,
                "Izin",
                &format!(
                    "{} — {}",
                    institution.licence_type.label(),
                    institution.licence_number
                ),
            );
            y += 4.0;
        }
        for (x, head) in [
            (MARGIN, "Nomor Bukti"),
            (120.0, "Tanggal"),
            (200.0, "Jenis"),
            (300.0, "Jumlah"),
        ] {
            text(&mut surface, &BOLD, 8.5, x, y, head, BLACK);
        }
        y += 4.0;
        rule(&mut surface, y);
        y += 11.0;
        for line in chunk {
            let amount = domain::Currency::IDR.format_minor(line.amount_idr_minor);
            let amount = domain::Money::parse(&amount, domain::Currency::IDR)
                .map_or(amount, domain::receipts::figures);
            text(
                &mut surface,
                &REGULAR,
                8.5,
                MARGIN,
                y,
                &line.receipt.to_string(),
                BLACK,
            );
            text(
                &mut surface,
                &REGULAR,
                8.5,
                120.0,
                y,
                &line.received_on.to_string(),
                BLACK,
            );
            text(
                &mut surface,
                &REGULAR,
                8.5,
                200.0,
                y,
                domain::receipts::type_label(line.donation_type),
                BLACK,
            );
            text(&mut surface, &REGULAR, 8.5, 300.0, y, &amount, BLACK);
            y += 12.0;
        }
        if index + 1 == pages {
            rule(&mut surface, y - 8.0);
            y += 4.0;
            field(
                &mut surface,
                &mut y,
                "Jumlah Setahun",
                &annual.total_figures(),
            );
            field(&mut surface, &mut y, "Terbilang", &annual.total_words());
            field(
                &mut surface,
                &mut y,
                "Petugas",
                &format!(
                    "{} ({})",
                    institution.officer_name, institution.officer_title
                ),
            );
        }
        let footer = format!("Halaman {} dari {pages}", index + 1);
        text(
            &mut surface,
            &REGULAR,
            7.0,
            MARGIN,
            PAGE_HEIGHT - 20.0,
            &footer,
            GREY,
        );
        surface.finish();
        page.finish();
    }
    document.finish().expect("a receipt is a valid PDF")
}

const BLACK: (u8, u8, u8) = (0, 0, 0);
const GREY: (u8, u8, u8) = (90, 90, 90);
const GREEN: (u8, u8, u8) = (0, 100, 60);
const RED: (u8, u8, u8) = (190, 20, 20);

fn colour((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

fn fill(color: (u8, u8, u8)) -> Fill {
    Fill {
        paint: colour(color).into(),
        opacity: NormalizedF32::ONE,
        rule: krilla::paint::FillRule::NonZero,
    }
}

fn text(
    surface: &mut Surface<'_>,
    font: &Font,
    size: f32,
    x: f32,
    y: f32,
    line: &str,
    color: (u8, u8, u8),
) {
    surface.set_fill(Some(fill(color)));
    surface.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        line,
        false,
        TextDirection::Auto,
    );
}

fn width_of(line: &str, size: f32) -> f32 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a line is a few dozen characters"
    )]
    let chars = line.chars().count() as f32;
    chars * size * AVERAGE_ADVANCE_EM
}

fn centred(
    surface: &mut Surface<'_>,
    font: &Font,
    size: f32,
    y: f32,
    line: &str,
    color: (u8, u8, u8),
) {
    let x = ((PAGE_WIDTH - width_of(line, size)) / 2.0).max(MARGIN);
    text(surface, font, size, x, y, line, color);
}

fn rule(surface: &mut Surface<'_>, y: f32) {
    let mut path = PathBuilder::new();
    path.move_to(MARGIN, y);
    path.line_to(PAGE_WIDTH - MARGIN, y);
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: colour(GREEN).into(),
        width: 0.8,
        ..Stroke::default()
    }));
    surface.draw_path(&path.finish().expect("a line"));
    surface.set_stroke(None);
}

/// The institution's logo, name, licence and address; returns where the body starts.
fn letterhead(surface: &mut Surface<'_>, institution: &Institution) -> f32 {
    let mut x = MARGIN;
    if let Some(logo) = institution.logo.as_ref().and_then(image) {
        let (width, height) = logo.size();
        #[expect(clippy::cast_precision_loss, reason = "a logo is at most 2048 pixels")]
        let scale = 44.0 / (width.max(height) as f32);
        #[expect(clippy::cast_precision_loss, reason = "a logo is at most 2048 pixels")]
        let size = Size::from_wh(width as f32 * scale, height as f32 * scale);
        if let Some(size) = size {
            surface.push_transform(&krilla::geom::Transform::from_translate(
                MARGIN,
                MARGIN - 6.0,
            ));
            surface.draw_image(logo, size);
            surface.pop();
            x += 54.0;
        }
    }
    text(
        surface,
        &BOLD,
        12.5,
        x,
        MARGIN + 6.0,
        &institution.name,
        GREEN,
    );
    let licence = format!(
        "{} · Izin {}",
        institution.licence_type.label(),
        institution.licence_number
    );
    text(surface, &REGULAR, 7.5, x, MARGIN + 18.0, &licence, GREY);
    let mut y = MARGIN + 28.0;
    for line in wrap(&institution.address, 80).into_iter().take(2) {
        text(surface, &REGULAR, 7.5, x, y, &line, GREY);
        y += 9.0;
    }
    y = y.max(MARGIN + 46.0);
    rule(surface, y);
    y + 24.0
}

fn image(logo: &Logo) -> Option<krilla::image::Image> {
    let data: krilla::Data = logo.bytes().to_vec().into();
    match logo.format() {
        LogoFormat::Png => krilla::image::Image::from_png(data, true).ok(),
        LogoFormat::Jpeg => krilla::image::Image::from_jpeg(data, true).ok(),
    }
}

fn title(surface: &mut Surface<'_>, y: &mut f32, heading: &str, subtitle: &str) {
    centred(surface, &BOLD, 15.0, *y, heading, BLACK);
    *y += 13.0;
    centred(surface, &REGULAR, 7.5, *y, subtitle, GREY);
    *y += 22.0;
}

/// A label and its value, the value wrapped to the page.
fn field(surface: &mut Surface<'_>, y: &mut f32, label: &str, value: &str) {
    let size = 9.0;
    text(surface, &REGULAR, size, MARGIN, *y, label, GREY);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a few dozen"
    )]
    let columns = ((PAGE_WIDTH - MARGIN - VALUE_X) / (size * AVERAGE_ADVANCE_EM)) as usize;
    let font: &Font = if label == "Jumlah" || label == "Nomor Bukti" {
        &BOLD
    } else {
        &REGULAR
    };
    for line in wrap(value, columns) {
        text(surface, font, size, VALUE_X, *y, &line, BLACK);
        *y += 13.0;
    }
    *y += 2.0;
}

/// Words into lines of at most `columns` characters (a longer word gets a line of its own).
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > columns {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The QR code (the verification URL) at the left, the officer's signature block at the right.
fn qr_and_signature(
    surface: &mut Surface<'_>,
    top: f32,
    institution: &Institution,
    verification_url: &str,
    date: time::Date,
) {
    let side = 92.0;
    if let Ok(code) =
        qrcode::QrCode::with_error_correction_level(verification_url, qrcode::EcLevel::M)
    {
        let width = code.width();
        // Four modules of quiet zone around it, as scanners expect.
        #[expect(
            clippy::cast_precision_loss,
            reason = "a QR code is at most 177 modules"
        )]
        let module = side / (width + 8) as f32;
        let mut path = PathBuilder::new();
        for (index, dark) in code.to_colors().into_iter().enumerate() {
            if dark == qrcode::Color::Dark {
                #[expect(clippy::cast_precision_loss, reason = "at most 177")]
                let (col, row) = ((index % width + 4) as f32, (index / width + 4) as f32);
                if let Some(rect) =
                    Rect::from_xywh(MARGIN + col * module, top + row * module, module, module)
                {
                    path.push_rect(rect);
                }
            }
        }
        if let Some(path) = path.finish() {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(BLACK)));
            surface.draw_path(&path);
        }
    }
    text(
        surface,
        &REGULAR,
        6.5,
        MARGIN,
        top + side + 8.0,
        "Pindai untuk memeriksa keaslian:",
        GREY,
    );
    for (i, line) in wrap_hard(verification_url, 58).iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "two or three lines")]
        let y = top + side + 17.0 + 8.0 * i as f32;
        text(surface, &REGULAR, 6.5, MARGIN, y, line, GREY);
    }
    let x = 250.0;
    text(
        surface,
        &REGULAR,
        8.5,
        x,
        top + 10.0,
        &domain::receipts::indonesian_date(date),
        BLACK,
    );
    text(
        surface,
        &REGULAR,
        8.5,
        x,
        top + 22.0,
        "Petugas Penerima,",
        BLACK,
    );
    let mut path = PathBuilder::new();
    path.move_to(x, top + 70.0);
    path.line_to(PAGE_WIDTH - MARGIN, top + 70.0);
    surface.set_stroke(Some(Stroke {
        paint: colour(GREY).into(),
        width: 0.5,
        ..Stroke::default()
    }));
    surface.draw_path(&path.finish().expect("a line"));
    surface.set_stroke(None);
    text(
        surface,
        &BOLD,
        8.5,
        x,
        top + 81.0,
        &institution.officer_name,
        BLACK,
    );
    text(
        surface,
        &REGULAR,
        7.5,
        x,
        top + 91.0,
        &institution.officer_title,
        GREY,
    );
}

/// A URL cut into lines of `columns` characters (it has no spaces to wrap at).
fn wrap_hard(text: &str, columns: usize) -> Vec<String> {
    text.chars()
        .collect::<Vec<_>>()
        .chunks(columns)
        .map(|chunk| chunk.iter().collect())
        .collect()
}

/// A voided receipt keeps its number and says VOID across the page (reference §11).
fn void_stamp(surface: &mut Surface<'_>, number: &str) {
    surface.push_transform(&krilla::geom::Transform::from_rotate_at(
        -30.0,
        PAGE_WIDTH / 2.0,
        PAGE_HEIGHT / 2.0,
    ));
    surface.push_opacity(NormalizedF32::new(0.35).expect("a fraction"));
    centred(
        surface,
        &BOLD,
        40.0,
        PAGE_HEIGHT / 2.0 + 20.0,
        "BATAL · VOID",
        RED,
    );
    centred(surface, &BOLD, 14.0, PAGE_HEIGHT / 2.0 + 44.0, number, RED);
    surface.pop();
    surface.pop();
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(
            wrap("dua juta lima ratus", 9),
            ["dua juta", "lima", "ratus"]
        );
        assert_eq!(wrap("", 9), [""]);
    }
}
