//! No single client takes the server down: unknown methods are refused before telemetry (no
//! label, no log field, no memory), slow and idle connections are closed after their timeouts
//! and at once on SIGTERM, and a stopped log reader does not stop the service. All on the real
//! binary, so the memory measured is the server's own.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::binary::{ServerProcess, temp_dir};
use crate::support::{BinaryCommand, metric, text_of};

/// A dev server on a free port with `vars`, ready for traffic.
async fn server(dir: &std::path::Path, vars: &[(&str, &str)]) -> ServerProcess {
    let mut server = BinaryCommand::new(dir)
        .env("PORT", "0")
        .env("ZAKAT_RATE_LIMIT", "0")
        .envs(vars.iter().copied())
        .args(["start"])
        .spawn_server();
    server.wait_ready().await;
    server
}

/// The server's resident memory in KiB (`VmRSS` of `/proc/PID/status`).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Sends `request` on a fresh connection and returns the status code answered, or `None` if
/// the server closed the connection without an answer we could read.
async fn status_of(address: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    // The server may answer and close before it has read everything: a reset is fine here.
    stream.write_all(request).await.ok();
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
            Ok(Ok(read)) if read > 0 => answer.extend_from_slice(&buffer[..read]),
            _ => break,
        }
    }
    let line = String::from_utf8_lossy(&answer);
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A method of `length` bytes, different for each `n`.
fn unique_method(n: usize, length: usize) -> String {
    let prefix = format!("M{n}X");
    format!("{prefix}{}", "A".repeat(length - prefix.len()))
}

/// An extension method, and a standard one no route serves, get the router's ordinary 405.
async fn a_single_unknown_method_gets_the_routes_allow(
    client: &reqwest::Client,
    server: &mut ServerProcess,
) {
    let answer = client
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            server.url("/healthz"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 405);
    assert_eq!(answer.headers()["allow"], "GET,HEAD");
    assert!(answer.text().await.unwrap().len() < 300, "a short answer");

    // A standard method no route serves is the router's ordinary 405, with the route's Allow.
    let trace = client
        .request(reqwest::Method::TRACE, server.url("/api/v1/funds"))
        .send()
        .await
        .unwrap();
    assert_eq!(trace.status(), 405);
    assert!(
        trace.headers().contains_key("allow"),
        "{:?}",
        trace.headers()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_huge_methods_are_refused_and_leave_no_trace_in_metrics_logs_or_memory() {
    let dir = temp_dir();
    let mut server = server(dir.path(), &[]).await;
    let address = server.address();
    let pid = server.pid();
    let client = reqwest::Client::new();
    // Warm up what every request touches, so growth below is what the methods cost.
    for n in 0..200 {
        status_of(
            address,
            format!(
                "{} /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
                unique_method(n, 1_000)
            )
            .as_bytes(),
        )
        .await;
    }
    let before = rss_kib(pid);

    let mut refused = std::collections::BTreeMap::<Option<u16>, usize>::new();
    let sent = futures::future::join_all((0..8).map(|worker| async move {
        let mut statuses = Vec::new();
        for n in (worker..3_000).step_by(8) {
            let method = unique_method(1_000_000 + n, 60 * 1024);
            let request = format!("{method} /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
            statuses.push(status_of(address, request.as_bytes()).await);
        }
        statuses
    }))
    .await;
    for status in sent.into_iter().flatten() {
        *refused.entry(status).or_default() += 1;
    }
    // Methods short enough to fit a request head reach the router, which answers 405 as for a
    // standard method the route does not serve.
    for n in 0..3_000 {
        let request = format!(
            "{} /api/v1/funds HTTP/1.1\r\nHost: t\r\n\r\n",
            unique_method(2_000_000 + n, 1_000)
        );
        *refused
            .entry(status_of(address, request.as_bytes()).await)
            .or_default() += 1;
    }
    eprintln!("answers to 6,000 unknown methods: {refused:?}");
    assert!(
        refused
            .keys()
            .all(|status| matches!(status, None | Some(431 | 405))),
        "every unknown method is refused (431: head too large, 405: not allowed): {refused:?}"
    );
    assert_eq!(
        refused.get(&Some(405)),
        Some(&3_000),
        "each method that fits a head is answered 405"
    );
    a_single_unknown_method_gets_the_routes_allow(&client, &mut server).await;

    let metrics = text_of(&client, server.url("/metrics")).await;
    assert!(
        metrics.len() < 100 * 1024,
        "{} bytes of metrics",
        metrics.len()
    );
    assert!(!metrics.contains("AAAA"), "no method became a label");
    assert!(
        metrics
            .contains(r#"http_requests_total{method="other",route="/api/v1/funds",status="405"}"#),
        "{metrics}"
    );
    let after = rss_kib(pid);
    eprintln!("RSS {before} KiB before, {after} KiB after");
    assert!(
        after < before + 10 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(30)).success());
    assert!(!server.log().contains("AAAA"), "no method reached the log");
}

/// Opens a connection that does `kind` and then stalls; returns it once the server has what
/// it was sent (for an idle one, once its request was answered).
async fn slow_connection(address: SocketAddr, kind: Slow) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    match kind {
        Slow::ConnectOnly => {}
        Slow::HalfHead => stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            .await
            .unwrap(),
        Slow::StalledBody => stream
            .write_all(
                b"POST /api/v1/zakat/maal HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"date\"",
            )
            .await
            .unwrap(),
        Slow::Idle => {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                .await
                .unwrap();
            let mut buffer = [0_u8; 1024];
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
        }
    }
    stream
}

#[derive(Clone, Copy, Debug)]
enum Slow {
    ConnectOnly,
    HalfHead,
    StalledBody,
    Idle,
}

const SLOW_KINDS: [Slow; 4] = [
    Slow::ConnectOnly,
    Slow::HalfHead,
    Slow::StalledBody,
    Slow::Idle,
];

/// Waits for the server to close `stream`; returns what it sent first and when it closed.
async fn closed(mut stream: TcpStream, bound: Duration) -> (String, Instant) {
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let read = tokio::time::timeout(bound, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("still open after {bound:?}"));
        match read {
            Ok(0) | Err(_) => {
                return (
                    String::from_utf8_lossy(&answer).into_owned(),
                    Instant::now(),
                );
            }
            Ok(read) => answer.extend_from_slice(&buffer[..read]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_heads_stalled_bodies_and_idle_connections_are_closed_after_their_timeouts() {
    let dir = temp_dir();
    let mut server = server(
        dir.path(),
        &[
            ("HEADER_READ_TIMEOUT", "1s"),
            ("KEEP_ALIVE_TIMEOUT", "2s"),
            ("REQUEST_TIMEOUT", "1500ms"),
        ],
    )
    .await;
    let address = server.address();
    for (kind, timeout) in [
        (Slow::ConnectOnly, Duration::from_secs(2)),
        (Slow::HalfHead, Duration::from_secs(1)),
        (Slow::StalledBody, Duration::from_millis(1500)),
        (Slow::Idle, Duration::from_secs(2)),
    ] {
        let started = Instant::now();
        let stream = slow_connection(address, kind).await;
        let (answer, at) = closed(stream, Duration::from_secs(10)).await;
        let after = at - started;
        eprintln!("{kind:?}: closed after {after:?}");
        assert!(
            after + Duration::from_millis(100) >= timeout,
            "{kind:?} closed after {after:?}, before its timeout {timeout:?}"
        );
        assert!(
            after < timeout + Duration::from_millis(1500),
            "{kind:?} closed after {after:?}, long after its timeout {timeout:?}"
        );
        if let Slow::StalledBody = kind {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(answer.contains("application/problem+json"), "{answer}");
        }
    }
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(30)).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slow_connections_leave_room_for_others_and_do_not_hold_a_stop() {
    let dir = temp_dir();
    let mut server = server(dir.path(), &[]).await;
    let address = server.address();
    let mut slow = Vec::new();
    for batch in 0..20 {
        let opened = futures::future::join_all(
            (0..100).map(|n| slow_connection(address, SLOW_KINDS[(batch * 100 + n) % 4])),
        )
        .await;
        slow.extend(opened);
    }
    let client = reqwest::Client::new();
    for _ in 0..50 {
        let response = client.get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let calculated = client
        .post(server.url("/api/v1/zakat/maal"))
        .json(&serde_json::json!({ "date": "2025-03-01", "cash": "150000000", "gold_price_per_gram": "1500000" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        calculated.status(),
        200,
        "{}",
        calculated.text().await.unwrap()
    );
    let open: usize = metric(&client, server.url("/metrics"), "http_connections_open").await;
    assert!(open >= 2_000, "{open} connections open");
    // Only the slow connections remain (the client's own keep-alive ones would get a short
    // grace, as any recently busy connection does).
    drop(client);
    tokio::time::sleep(Duration::from_millis(50)).await;

    let stopped_at = Instant::now();
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(5));
    let took = stopped_at.elapsed();
    eprintln!(
        "exit {took:?} after SIGTERM with {} slow connections open",
        slow.len()
    );
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(took < Duration::from_secs(1), "SIGTERM took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_stderr_unread_the_server_keeps_answering_and_counts_the_lines_it_dropped() {
    let dir = temp_dir();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port().to_string()
    };
    let mut child = BinaryCommand::new(dir.path())
        .env("PORT", &port)
        .args(["start"])
        .spawn_unread();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|response| response.status() == 200)
    {
        assert!(Instant::now() < deadline, "not ready in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A pipe holds 64 KiB: a few hundred request lines fill it, and nobody reads it.
    let answered = futures::future::join_all((0..8).map(|_| {
        let (client, url) = (client.clone(), format!("{base}/healthz"));
        async move {
            for _ in 0..2_500 {
                let response =
                    tokio::time::timeout(Duration::from_secs(5), client.get(&url).send())
                        .await
                        .expect("answered within 5 s")
                        .unwrap();
                assert_eq!(response.status(), 200);
            }
        }
    }))
    .await;
    assert_eq!(answered.len(), 8);
    let dropped: u64 = metric(
        &client,
        format!("{base}/metrics"),
        "log_lines_dropped_total",
    )
    .await;
    assert!(
        dropped > 0,
        "20,000 lines cannot fit an unread pipe: {dropped} dropped"
    );

    let started = Instant::now();
    let status = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || BinaryCommand::new(&dir).args(["rpc", "status"]).output()
    })
    .await
    .unwrap();
    assert_eq!(status.code(), 0, "{}", status.all_output());
    assert!(status.stdout.contains("connections"), "{}", status.stdout);
    eprintln!(
        "rpc status answered in {:?}; {dropped} log lines dropped",
        started.elapsed()
    );

    // The stop waits for the log writer at most about a second, then exits.
    let stopped_at = Instant::now();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
