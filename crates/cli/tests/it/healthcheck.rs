//! `healthcheck`, the probe a container's `HEALTHCHECK` runs, against the real server.

use std::time::Duration;

use crate::support::BinaryCommand;
use crate::support::binary::temp_dir;

#[tokio::test]
async fn healthcheck_exits_0_once_the_instance_at_port_is_ready() {
    let dir = temp_dir();
    let mut server = BinaryCommand::new(dir.path())
        .args(["start"])
        .env("PORT", "0")
        .spawn_server();
    server.wait_ready().await;
    let port = server.address().port().to_string();
    // Only PORT: a probe needs nothing else from the configuration.
    let probe = BinaryCommand::new(dir.path())
        .args(["healthcheck"])
        .env("PORT", &port)
        .output();
    assert_eq!(probe.code(), 0, "{}", probe.all_output());
    assert_eq!(
        probe.stdout.trim(),
        format!("ready: http://127.0.0.1:{port}/readyz answered 200 OK")
    );
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(30)).success());
}

#[test]
fn healthcheck_exits_1_with_one_line_when_nothing_listens() {
    let dir = temp_dir();
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let probe = BinaryCommand::new(dir.path())
        .args(["healthcheck"])
        .env("PORT", port.to_string())
        .output();
    assert_eq!(probe.code(), 1, "{}", probe.all_output());
    let said = probe.stderr.trim();
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with(&format!(
            "error: not ready: nothing answers on 127.0.0.1:{port} (is the instance running?)"
        )),
        "{said}"
    );
    assert!(probe.stdout.is_empty());
}

#[test]
fn healthcheck_refuses_port_0_as_a_configuration_error() {
    let dir = temp_dir();
    let probe = BinaryCommand::new(dir.path())
        .args(["healthcheck"])
        .env("PORT", "0")
        .output();
    assert_eq!(probe.code(), 78, "{}", probe.all_output());
    assert!(probe.stderr.contains("PORT: is 0"), "{}", probe.stderr);
}
