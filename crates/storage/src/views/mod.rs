//! Reads shaped for the web pages (lists, summaries, chart series), one module per area of
//! the pages; each adds methods to [`Database`](crate::Database).

pub mod admin;
mod books;
pub mod money;
pub mod public;

pub use books::{AUDIT_LIST_PAGE_SIZE_MAX, AuditListed, CAMPAIGN_NAMES_MAX, MonthlySum};
