//! `/api/v1/exports/…`: donations and distributions of a period as CSV, streamed. Rows are
//! read a page at a time as the client takes the body (a page is read only when the previous
//! one has been handed to the connection), so a year of a large institution never sits in
//! memory: the server holds one page, whatever the period. Cells typed by people are guarded
//! against spreadsheet formulas (`tabular::guarded`).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use domain::ledger::ReceiptNumber;
use storage::Database;
use storage::ledger::{DistributionFilter, DonationFilter};
use uuid::Uuid;

use super::auth::ReportReader;
use super::distributions::DistributionView;
use super::donations::DonationView;
use super::error::ApiError;
use super::reports::{PeriodQuery, period};
use super::tabular::{Cell, write_record};
use crate::AppState;

/// Rows read per page: a few hundred KiB of CSV, few enough round trips that the database is
/// not the bottleneck (100,000 donations in 200 queries), small enough that the memory an
/// export holds stays flat.
pub const EXPORT_PAGE_ROWS: u16 = 500;

/// The donation export's columns.
const DONATION_COLUMNS: [&str; 19] = [
    "receipt_number",
    "id",
    "received_on",
    "type",
    "fund",
    "campaign_id",
    "donor_id",
    "amount",
    "currency",
    "rate_to_idr",
    "amount_booked",
    "booked_currency",
    "amil_share",
    "refunded_amount",
    "status",
    "method",
    "note",
    "recorded_by",
    "recorded_at",
];

/// The distribution export's columns.
const DISTRIBUTION_COLUMNS: [&str; 14] = [
    "id",
    "distributed_on",
    "fund",
    "campaign_id",
    "recipient_id",
    "asnaf",
    "purpose",
    "program",
    "amount",
    "currency",
    "method",
    "note",
    "recorded_by",
    "recorded_at",
];

fn text(value: &dyn std::fmt::Display) -> Cell {
    Cell::Text(value.to_string())
}

fn optional(value: Option<impl ToString>) -> Cell {
    Cell::Text(value.map(|v| v.to_string()).unwrap_or_default())
}

fn figure(value: &dyn std::fmt::Display) -> Cell {
    Cell::Figure(value.to_string())
}

fn donation_cells(view: &DonationView) -> Vec<Cell> {
    let status = serde_json::to_value(view.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    vec![
        text(&view.receipt_number),
        text(&view.id),
        text(&view.received_on),
        text(&view.donation_type),
        text(&view.fund),
        optional(view.campaign_id),
        optional(view.donor_id),
        figure(&view.amount),
        text(&view.currency),
        optional(view.rate_to_idr.as_ref()),
        figure(&view.amount_booked),
        text(&view.booked_currency),
        figure(&view.amil_share),
        figure(&view.refunded_amount),
        text(&status),
        text(&view.method),
        optional(view.note.as_ref()),
        figure(&view.recorded_by),
        text(&view.recorded_at),
    ]
}

fn distribution_cells(view: &DistributionView) -> Vec<Cell> {
    vec![
        text(&view.id),
        text(&view.distributed_on),
        text(&view.fund),
        optional(view.campaign_id),
        text(&view.recipient_id),
        optional(view.asnaf),
        optional(view.purpose),
        text(&view.program),
        figure(&view.amount),
        text(&view.currency),
        text(&view.method),
        optional(view.note.as_ref()),
        figure(&view.recorded_by),
        text(&view.recorded_at),
    ]
}

/// CSV bytes of a header or a page of rows.
fn chunk<'a>(rows: impl IntoIterator<Item = Vec<Cell>>, header: Option<&'a [&'a str]>) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        writer
            .write_record(header)
            .expect("writing CSV into memory cannot fail");
    }
    for row in rows {
        write_record(&mut writer, &row);
    }
    Bytes::from(
        writer
            .into_inner()
            .expect("flushing into memory cannot fail"),
    )
}

/// Where a paged export stands.
enum Cursor<T> {
    /// The page after this one (`None`: the first page) is next.
    After(Option<T>),
    /// Nothing more.
    Done,
}

/// A streamed CSV body: the header, then one chunk per page that `page` reads after a cursor,
/// until a page comes back short. A database failure mid-way ends the body with an error, so
/// the client sees a broken transfer rather than a silently short file.
fn stream<T, F, Fut>(columns: &'static [&'static str], page: F) -> Body
where
    T: Send + 'static,
    F: Fn(Option<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(Bytes, Option<T>, bool), storage::StorageError>> + Send + 'static,
{
    let chunks = futures::stream::unfold(Cursor::After(None), move |cursor| {
        let read = match cursor {
            Cursor::After(after) => Some(page(after)),
            Cursor::Done => None,
        };
        async move {
            let read = read?;
            match read.await {
                Ok((bytes, last, more)) => Some((
                    Ok::<_, std::io::Error>(bytes),
                    if more {
                        Cursor::After(last)
                    } else {
                        Cursor::Done
                    },
                )),
                Err(err) => {
                    tracing::error!(error = %storage::error_chain(&err), "an export failed mid-way");
                    Some((
                        Err(std::io::Error::other("the export failed")),
                        Cursor::Done,
                    ))
                }
            }
        }
    });
    let header = futures::stream::once(async move { Ok(chunk(Vec::new(), Some(columns))) });
    Body::from_stream(futures::StreamExt::chain(header, chunks))
}

fn csv_response(filename: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Donations received in a period, as CSV, newest receipt first.
#[utoipa::path(
    get, path = "/api/v1/exports/donations.csv", operation_id = "exportDonations", tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "Every donation received in the period, streamed; text typed by people that a spreadsheet would evaluate is prefixed with `'`",
            content((String = "text/csv"))),
        super::problems::ReadProblems,
        super::problems::PeriodProblems,
    ),
    security(("bearer" = []))
)]
pub async fn donations(
    State(state): State<AppState>,
    _reader: ReportReader,
    uri: Uri,
) -> Result<Response, ApiError> {
    let period = period(&uri)?;
    let database: Database = state.database().clone();
    let receipts = state.receipts().clone();
    let body = stream(&DONATION_COLUMNS, move |before: Option<ReceiptNumber>| {
        let database = database.clone();
        let receipts = receipts.clone();
        async move {
            let filter = DonationFilter {
                received_from: Some(period.from()),
                received_to: Some(period.to()),
                before,
                limit: EXPORT_PAGE_ROWS,
                ..DonationFilter::default()
            };
            let page = database.donations(&filter).await?;
            let more = page.len() == usize::from(EXPORT_PAGE_ROWS);
            let last = page.last().map(|d| d.receipt);
            let bytes = chunk(
                page.iter()
                    .map(|d| donation_cells(&DonationView::new(d, &receipts))),
                None,
            );
            Ok((bytes, last, more))
        }
    });
    Ok(csv_response(
        &format!("donations_{}_{}.csv", period.from(), period.to()),
        body,
    ))
}

/// Distributions paid in a period, as CSV, newest first.
#[utoipa::path(
    get, path = "/api/v1/exports/distributions.csv", operation_id = "exportDistributions", tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "Every distribution paid in the period, streamed; text typed by people that a spreadsheet would evaluate is prefixed with `'`",
            content((String = "text/csv"))),
        super::problems::ReadProblems,
        super::problems::PeriodProblems,
    ),
    security(("bearer" = []))
)]
pub async fn distributions(
    State(state): State<AppState>,
    _reader: ReportReader,
    uri: Uri,
) -> Result<Response, ApiError> {
    let period = period(&uri)?;
    let database: Database = state.database().clone();
    let body = stream(&DISTRIBUTION_COLUMNS, move |before: Option<Uuid>| {
        let database = database.clone();
        async move {
            let filter = DistributionFilter {
                distributed_from: Some(period.from()),
                distributed_to: Some(period.to()),
                before,
                limit: EXPORT_PAGE_ROWS,
                ..DistributionFilter::default()
            };
            let page = database.distributions(&filter).await?;
            let more = page.len() == usize::from(EXPORT_PAGE_ROWS);
            let last = page.last().map(|d| d.id);
            let bytes = chunk(
                page.iter()
                    .map(|d| distribution_cells(&DistributionView::from(d))),
                None,
            );
            Ok((bytes, last, more))
        }
    });
    Ok(csv_response(
        &format!("distributions_{}_{}.csv", period.from(), period.to()),
        body,
    ))
}
