//! Continuous keep-alive load: N connections, each sending requests back to back (a `GET
//! /healthz`, then a donation `POST`, and so on), reconnecting only when the server says
//! `Connection: close`. Every failure is counted, never retried: a request either got its
//! answer or it is a failure.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::watch;

/// What the load saw.
#[derive(Debug, Default)]
pub struct Report {
    /// When the load started, in milliseconds since the Unix epoch (to line up with events
    /// timed elsewhere).
    pub started_unix_ms: u128,
    /// Requests answered as expected.
    pub answered: u64,
    /// Requests that failed: an error status, or no answer at all.
    pub failed_requests: Vec<String>,
    /// Connections that could not be opened.
    pub connection_errors: Vec<String>,
    /// Receipt numbers of acknowledged (201) donations.
    pub receipts: Vec<String>,
    /// Versions `/healthz` reported, with when: each worker's changes, merged in time order
    /// with repeats removed.
    pub versions: Vec<(Duration, String)>,
    /// Latency of every answered request, with when it was sent (since the start).
    pub latencies: Vec<(Duration, Duration)>,
}

/// Runs `connections` workers against `address` until `stop` turns true; `token` is an amil's
/// bearer token for the donations.
///
/// # Panics
///
/// If a worker task panics.
pub async fn run(
    address: SocketAddr,
    token: &str,
    connections: usize,
    stop: watch::Receiver<bool>,
) -> Report {
    let started_unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let started = Instant::now();
    let requests = Arc::new(Requests::new(address, token));
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let worker = Worker {
                address,
                requests: Arc::clone(&requests),
                started,
                report: Report::default(),
                last_version: None,
            };
            tokio::spawn(worker.run(stop.clone()))
        })
        .collect();
    // Each worker keeps its own report (no lock shared by every request); merged at the end.
    let mut report = Report {
        started_unix_ms,
        ..Report::default()
    };
    for worker in workers {
        let mine = worker.await.expect("a load worker panicked");
        report.answered += mine.answered;
        report.failed_requests.extend(mine.failed_requests);
        report.connection_errors.extend(mine.connection_errors);
        report.receipts.extend(mine.receipts);
        report.versions.extend(mine.versions);
        report.latencies.extend(mine.latencies);
    }
    report.versions.sort_by_key(|(at, _)| *at);
    report
        .versions
        .dedup_by(|later, earlier| later.1 == earlier.1);
    report
}

/// What every request of the run shares, prepared once.
struct Requests {
    host: HeaderValue,
    authorization: HeaderValue,
    donation: Bytes,
}

impl Requests {
    fn new(address: SocketAddr, token: &str) -> Requests {
        let body = json!({
            "type": "infak", "amount": "10000", "currency": "IDR", "method": "cash",
            "received_on": time::OffsetDateTime::now_utc().date().to_string(), "anonymous": true
        });
        Requests {
            host: HeaderValue::from_str(&address.to_string()).expect("an address is a header"),
            authorization: HeaderValue::from_str(&format!("Bearer {token}"))
                .expect("a token is a header value"),
            donation: Bytes::from(body.to_string()),
        }
    }
}

struct Worker {
    address: SocketAddr,
    requests: Arc<Requests>,
    started: Instant,
    report: Report,
    /// The version this worker saw last, to record changes only.
    last_version: Option<String>,
}

impl Worker {
    async fn run(mut self, stop: watch::Receiver<bool>) -> Report {
        let mut turn = 0u64;
        while !*stop.borrow() {
            let stream = match tokio::net::TcpStream::connect(self.address).await {
                Ok(stream) => stream,
                Err(err) => {
                    self.report.connection_errors.push(err.to_string());
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            stream.set_nodelay(true).ok();
            let Ok((mut sender, connection)) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
            else {
                self.report.connection_errors.push("handshake".to_owned());
                continue;
            };
            let driver = tokio::spawn(connection);
            while !*stop.borrow() {
                turn += 1;
                let donation = turn.is_multiple_of(2);
                let request = if donation {
                    self.donation()
                } else {
                    self.health()
                };
                let sent = Instant::now();
                let response = match sender.send_request(request).await {
                    Ok(response) => response,
                    Err(err) => {
                        self.fail(format!("no answer: {err}"));
                        break;
                    }
                };
                let status = response.status();
                let closing = response
                    .headers()
                    .get(header::CONNECTION)
                    .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
                let body = match response.into_body().collect().await {
                    Ok(body) => body.to_bytes(),
                    Err(err) => {
                        self.fail(format!("body cut off: {err}"));
                        break;
                    }
                };
                self.record(donation, status, &body, sent);
                if closing {
                    break;
                }
            }
            drop(sender);
            driver.await.ok();
        }
        self.report
    }

    fn health(&self) -> Request<Full<Bytes>> {
        Request::get("/healthz")
            .header(header::HOST, self.requests.host.clone())
            .body(Full::default())
            .expect("a valid request")
    }

    fn donation(&self) -> Request<Full<Bytes>> {
        Request::post("/api/v1/donations")
            .header(header::HOST, self.requests.host.clone())
            .header(header::AUTHORIZATION, self.requests.authorization.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .body(Full::new(self.requests.donation.clone()))
            .expect("a valid request")
    }

    fn record(&mut self, donation: bool, status: StatusCode, body: &[u8], sent: Instant) {
        let expected = if donation {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        if status != expected {
            self.fail(format!("{status}: {}", String::from_utf8_lossy(body)));
            return;
        }
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            self.fail(format!("not JSON: {}", String::from_utf8_lossy(body)));
            return;
        };
        let at = sent.duration_since(self.started);
        let report = &mut self.report;
        report.answered += 1;
        report.latencies.push((at, sent.elapsed()));
        if donation {
            report.receipts.push(
                value["receipt_number"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        } else if let Some(version) = value["version"].as_str()
            && self.last_version.as_deref() != Some(version)
        {
            self.last_version = Some(version.to_owned());
            report.versions.push((at, version.to_owned()));
        }
    }

    fn fail(&mut self, what: String) {
        self.report.failed_requests.push(what);
    }
}
