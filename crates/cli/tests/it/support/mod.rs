//! Test harness: an in-process application, a real-binary runner and release roots (the load
//! generator is `bench/loadgen`, shared with the benchmarks).

pub mod binary;
pub mod pages;
pub mod release;
pub mod test_app;
pub mod tools;

pub use binary::BinaryCommand;
pub use test_app::{RawConnection, TestApp, WriterLock};

/// A secret long enough for prod.
pub const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The body of a GET to `url`, which must answer (with any status).
pub async fn text_of(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("the server answers")
        .text()
        .await
        .unwrap()
}

/// The value of `series` (a metric's name, with its labels if any, as exposed) in the
/// `/metrics` text at `url`; the text itself when it is not there.
pub async fn metric<T>(client: &reqwest::Client, url: impl reqwest::IntoUrl, series: &str) -> T
where
    T: std::str::FromStr<Err: std::fmt::Debug>,
{
    let text = text_of(client, url).await;
    let prefix = format!("{series} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no `{series}` in /metrics:\n{text}"))
        .parse()
        .unwrap()
}
