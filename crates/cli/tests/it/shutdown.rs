//! Graceful shutdown of the real binary on SIGTERM.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::BinaryCommand;
use crate::support::binary::{ServerProcess, temp_dir};

/// Comfortably below the drain bound (25 s), so finishing within it shows the server did not
/// wait out the bound.
const PROMPT_EXIT: Duration = Duration::from_secs(10);

/// A dev server on a free port, ready for traffic.
async fn ready_server(dir: &std::path::Path) -> ServerProcess {
    let mut server = BinaryCommand::new(dir)
        .env("PORT", "0")
        .args(["start"])
        .spawn_server();
    server.wait_ready().await;
    server
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_then_exits_0() {
    let dir = temp_dir();
    let mut server = ready_server(dir.path()).await;
    let slow = tokio::spawn(reqwest::get(server.url("/_debug/sleep/1500")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");

    let response = slow
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "slept 1500 ms\n");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(
        server.log().contains("drained; stopped"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_does_not_delay_exit() {
    let dir = temp_dir();
    let mut server = ready_server(dir.path()).await;
    let mut idle = TcpStream::connect(server.address()).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let mut buffer = [0_u8; 1024];
    let read = idle.read(&mut buffer).unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));

    let stopped_at = Instant::now();
    server.signal("TERM");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "{}", server.log());
    eprintln!(
        "exit {:?} after SIGTERM with an idle keep-alive connection",
        stopped_at.elapsed()
    );
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(
        idle.read(&mut buffer).unwrap_or(0),
        0,
        "the idle connection was closed"
    );
}

#[tokio::test]
async fn sigint_stops_the_server_the_same_way() {
    let dir = temp_dir();
    let mut server = ready_server(dir.path()).await;
    server.signal("INT");
    assert_eq!(
        server.wait_exit(PROMPT_EXIT).code(),
        Some(0),
        "{}",
        server.log()
    );
}
