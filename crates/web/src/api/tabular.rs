//! Reports as tables: the same rows as CSV (`Accept: text/csv`) and as printable HTML
//! (`Accept: text/html`), next to their JSON.
//!
//! CSV is written by the `csv` crate (RFC 4180 quoting). A text cell that a spreadsheet would
//! read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
//! prefixed with `'` (OWASP's CSV injection advice): notes, programs and names are typed by
//! people, and a report is opened by others. Amounts are never prefixed: they are numbers the
//! server wrote, and a negative one is a number, not a formula.

use std::fmt::Write as _;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// How a report is answered, from the request's `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/json` (the default).
    Json,
    /// `text/csv`.
    Csv,
    /// `text/html`, with print CSS.
    Html,
}

impl Format {
    /// The first of `text/csv`, `text/html` and JSON the `Accept` header lists (`q=0` skipped);
    /// JSON when it lists none of them.
    #[must_use]
    pub fn of(headers: &HeaderMap) -> Format {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        for item in accept {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            if parts.any(|p| p.replace(' ', "") == "q=0") {
                continue;
            }
            match media.as_str() {
                "text/csv" => return Format::Csv,
                "text/html" => return Format::Html,
                "application/json" | "application/*" | "*/*" => return Format::Json,
                _ => {}
            }
        }
        Format::Json
    }
}

/// A cell: text typed by someone (guarded against formulas in CSV) or a figure the server
/// wrote.
#[derive(Clone, Debug)]
pub enum Cell {
    /// Text.
    Text(String),
    /// An amount or count, right-aligned in HTML.
    Figure(String),
}

/// A table of a report.
#[derive(Clone, Debug)]
pub struct Table {
    /// Its heading in HTML.
    pub title: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows; each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

/// `text` as a CSV cell that no spreadsheet evaluates as a formula.
#[must_use]
pub fn guarded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Writes one CSV record.
pub fn write_record(writer: &mut csv::Writer<Vec<u8>>, cells: &[Cell]) {
    writer
        .write_record(cells.iter().map(|cell| match cell {
            Cell::Text(text) => guarded(text).into_owned().into_bytes(),
            Cell::Figure(figure) => figure.clone().into_bytes(),
        }))
        .expect("writing CSV into memory cannot fail");
}

/// The table as CSV: a header row, then its rows.
#[must_use]
pub fn csv(table: &Table) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(&table.columns)
        .expect("writing CSV into memory cannot fail");
    for row in &table.rows {
        write_record(&mut writer, row);
    }
    writer
        .into_inner()
        .expect("flushing into memory cannot fail")
}

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

/// Printed on A4 landscape (a statement has a column per fund), headings repeated on every
/// page, rows never split.
const STYLE: &str = "body{font:10pt/1.4 system-ui,sans-serif;margin:2em;color:#000}\
h1{font-size:14pt;margin:0 0 .25em}h2{font-size:11pt;margin:1.5em 0 .25em}\
p.meta{margin:0 0 1em;color:#333}\
table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #888;padding:.2em .4em;vertical-align:top}\
th{background:#eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
@media print{@page{size:A4 landscape;margin:12mm}body{margin:0}th{background:none}\
thead{display:table-header-group}tr{break-inside:avoid}}";

/// A printable page: a title, a line saying what it covers, and the tables.
#[must_use]
pub fn html(title: &str, meta: &str, tables: &[Table]) -> String {
    let mut page = format!(
        "<!doctype html>\n<html lang=\"id\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n<p class=\"meta\">{meta}</p>\n",
        title = escape(title),
        meta = escape(meta),
    );
    for table in tables {
        let _ = write!(
            page,
            "<h2>{}</h2>\n<table><thead><tr>",
            escape(&table.title)
        );
        for column in &table.columns {
            let _ = write!(page, "<th>{}</th>", escape(column));
        }
        page.push_str("</tr></thead><tbody>\n");
        for row in &table.rows {
            page.push_str("<tr>");
            for cell in row {
                let _ = match cell {
                    Cell::Text(text) => write!(page, "<td>{}</td>", escape(text)),
                    Cell::Figure(figure) => write!(page, "<td class=\"n\">{}</td>", escape(figure)),
                };
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody></table>\n");
    }
    page.push_str("</body></html>\n");
    page
}

/// A response with `body` as `content_type`, and a file name for downloads.
pub fn respond(content_type: &'static str, filename: Option<&str>, body: Vec<u8>) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(name) = filename
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_evaluate_is_prefixed() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guarded(formula), format!("'{formula}"));
        }
        assert_eq!(guarded("sembako"), "sembako");
        assert_eq!(guarded(""), "");
    }

    #[test]
    fn figures_are_written_as_they_are_and_text_is_quoted_when_needed() {
        let table = Table {
            title: "t".to_owned(),
            columns: vec!["a".to_owned(), "b".to_owned()],
            rows: vec![vec![
                Cell::Text("=HYPERLINK(\"x\")".to_owned()),
                Cell::Figure("-125.00".to_owned()),
            ]],
        };
        assert_eq!(
            String::from_utf8(csv(&table)).unwrap(),
            "a,b\n\"'=HYPERLINK(\"\"x\"\")\",-125.00\n"
        );
    }

    #[test]
    fn the_first_listed_format_wins() {
        let of = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, accept.parse().unwrap());
            Format::of(&headers)
        };
        assert_eq!(of("text/csv"), Format::Csv);
        assert_eq!(
            of("text/html,application/xhtml+xml,*/*;q=0.8"),
            Format::Html
        );
        assert_eq!(of("application/json, text/csv"), Format::Json);
        assert_eq!(of("text/csv;q=0, text/html"), Format::Html);
        assert_eq!(of("image/png"), Format::Json);
        assert_eq!(Format::of(&HeaderMap::new()), Format::Json);
    }

    #[test]
    fn html_escapes_what_people_typed() {
        let page = html(
            "<t>",
            "m&m",
            &[Table {
                title: "x".to_owned(),
                columns: vec!["c".to_owned()],
                rows: vec![vec![Cell::Text("<script>".to_owned())]],
            }],
        );
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("@media print"));
    }
}
