//! Reads shaped for the web pages (lists, summaries, chart series), one module per area of
//! the pages; each adds methods to [`Database`](crate::Database).

pub mod admin;
mod books;
mod money;
mod public;
