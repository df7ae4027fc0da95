//! `ceiling`: a hyper server that answers every request with the same head and body and does
//! nothing else: no routing, no log line, no metrics, no request id, no time limit. It runs on
//! the same hyper, hyper-util and tokio (multi-threaded runtime) as the platform, so what it
//! reaches under the same load is the most any server on this stack can: the gap between it
//! and the platform is the platform's own work per request, the gap between it and another
//! server is the stack's.
//!
//! Started as the platform is (`ceiling start`, `PORT`), so that
//! `../shared/yardsticks/elixir/side-by-side.sh target/release/ceiling 3 8` measures it in
//! place of the platform. `CEILING_HEAD`: a file of `Name: value` lines (as `curl -sD -`
//! prints a platform response's head; its status line, `content-length` and `date` are
//! skipped, hyper writes those) to send the same header bytes the platform sends; `CEILING_BODY`:
//! the body (default `ok`).

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .map_err(|_| "PORT is not set: the port to listen on")?
        .parse()
        .map_err(|err| format!("PORT: {err}"))?;
    let head = Arc::new(match std::env::var_os("CEILING_HEAD") {
        Some(path) => head_of(&std::fs::read_to_string(path)?)?,
        None => Vec::new(),
    });
    let body = Bytes::from(std::env::var("CEILING_BODY").unwrap_or_else(|_| "ok".to_owned()));
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let (head, body) = (Arc::clone(&head), body.clone());
        tokio::spawn(async move {
            let answer = service_fn(move |_: Request<Incoming>| {
                let mut response = Response::new(Full::new(body.clone()));
                for (name, value) in head.iter() {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
                async move { Ok::<_, Infallible>(response) }
            });
            // A client that goes away ends its connection; nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), answer)
                .await;
        });
    }
}

/// The header lines of a response head, without those hyper writes itself.
fn head_of(text: &str) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let mut head = Vec::new();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue; // the status line, the blank line
        };
        let name = name.trim().to_ascii_lowercase();
        if name == "content-length" || name == "date" {
            continue;
        }
        let name = HeaderName::try_from(name.as_str()).map_err(|err| format!("{name}: {err}"))?;
        let value = HeaderValue::try_from(value.trim()).map_err(|err| format!("{name}: {err}"))?;
        head.push((name, value));
    }
    Ok(head)
}
