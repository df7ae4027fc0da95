//! Zero-downtime replacement on the real binary in a release root: `upgrade` and `rollback`
//! under continuous keep-alive load, and releases that fail to take over.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::support::release::{CURRENT, NEXT, ReleaseRoot, next_release_binary, script_binary};
use loadgen as load;

/// Connections the load keeps open, as in the issue: 64.
const CONNECTIONS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_and_rollback_under_load_fail_no_request_and_store_every_donation_once() {
    let release = ReleaseRoot::new().await;
    release.add_release(next_release_binary(), NEXT);
    release.daemon();
    let token = release.amil_token();
    let address = release.address();
    let first_pid = release.status()["pid"].clone();

    let (stop, load) = start_load(address, &token, CONNECTIONS);
    tokio::time::sleep(Duration::from_secs(6)).await;

    let upgraded = operate(&release, &["upgrade", NEXT]).await;
    assert_eq!(
        upgraded.code(),
        0,
        "{}\n{}",
        upgraded.all_output(),
        release.log()
    );
    assert!(
        upgraded
            .stdout
            .contains(&format!("upgraded: pid {first_pid} ({CURRENT}) -> pid ")),
        "{}",
        upgraded.stdout
    );
    assert!(
        upgraded
            .stdout
            .contains(&format!("({NEXT}); hand-off took ")),
        "{}",
        upgraded.stdout
    );
    assert_eq!(release.status()["version"], NEXT);
    assert!(
        !ops::process::is_alive(first_pid.parse().unwrap()),
        "the old instance exited"
    );
    tokio::time::sleep(Duration::from_secs(6)).await;

    let rolled_back = operate(&release, &["rollback"]).await;
    assert_eq!(
        rolled_back.code(),
        0,
        "{}\n{}",
        rolled_back.all_output(),
        release.log()
    );
    assert!(
        rolled_back.stdout.contains(&format!("({NEXT}) -> pid ")),
        "{}",
        rolled_back.stdout
    );
    assert_eq!(release.status()["version"], CURRENT);
    tokio::time::sleep(Duration::from_secs(9)).await;

    stop.send(true).unwrap();
    let report = load.await.unwrap();
    eprintln!(
        "{} requests answered ({} donations) over {CONNECTIONS} connections\n{}{}",
        report.answered,
        report.receipts.len(),
        upgraded.stdout,
        rolled_back.stdout
    );
    assert_no_failures(&report);
    assert!(
        report.answered > 1000,
        "the load ran: {} answered",
        report.answered
    );
    let versions: Vec<&str> = report.versions.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(versions.first(), Some(&CURRENT), "{versions:?}");
    assert!(
        versions.contains(&NEXT),
        "the version flipped: {versions:?}"
    );
    assert_eq!(
        versions.last(),
        Some(&CURRENT),
        "and flipped back: {versions:?}"
    );

    assert_stored_exactly_the_acknowledged(&release, &token, &report).await;
    let verified = release.run(&["rpc", "audit verify"]);
    assert_eq!(verified.code(), 0, "{}", verified.all_output());

    let releases = release.run(&["releases"]);
    assert!(
        releases.stdout.contains(&format!("* {CURRENT}")),
        "{}",
        releases.stdout
    );
    assert!(
        releases.stdout.contains(&format!("- {NEXT}")),
        "{}",
        releases.stdout
    );
    let stopped = release.run(&["stop"]);
    assert_eq!(stopped.code(), 0, "{}", stopped.all_output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_that_exits_at_start_or_never_gets_ready_leaves_the_old_one_serving() {
    let release = ReleaseRoot::new().await;
    // A real build with a configuration it rejects: it exits 78 at start.
    release.add_release_with_env(
        std::path::Path::new(crate::support::binary::BIN),
        "0.3.0",
        "POOL_SIZE=lots",
    );
    // A process that never reports ready.
    let hangs_pid = release.root.join("hangs.pid");
    let hangs = script_binary(
        &release.root,
        "hangs",
        &format!("echo $$ > {}\nexec sleep 600", hangs_pid.display()),
    );
    release.add_release(&hangs, "0.4.0");
    release.daemon();
    let token = release.amil_token();
    let address = release.address();
    let pid = release.status()["pid"].clone();

    let (stop, load) = start_load(address, &token, 8);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let exits = operate(&release, &["upgrade", "0.3.0"]).await;
    assert_eq!(exits.code(), 1, "{}", exits.all_output());
    assert!(
        exits
            .stderr
            .contains("exited (exit status: 78) before it was ready"),
        "{}",
        exits.stderr
    );
    assert!(
        exits.stderr.contains("POOL_SIZE"),
        "names the reason: {}",
        exits.stderr
    );
    assert!(
        exits.stderr.contains(&format!(
            "this instance (pid {pid}, version {CURRENT}) keeps serving"
        )),
        "{}",
        exits.stderr
    );

    let hanging = tokio::spawn(operate_owned(release.command(&[
        "upgrade",
        "0.4.0",
        "--timeout",
        "2",
    ])));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let meanwhile = operate(&release, &["restart"]).await;
    assert_eq!(meanwhile.code(), 1, "{}", meanwhile.all_output());
    assert!(
        meanwhile
            .stderr
            .contains("a replacement is already in progress"),
        "one at a time: {}",
        meanwhile.stderr
    );
    let hangs = hanging.await.unwrap();
    assert_eq!(hangs.code(), 1, "{}", hangs.all_output());
    assert!(
        hangs
            .stderr
            .contains("was not ready within 2 s, so it was stopped"),
        "{}",
        hangs.stderr
    );
    let hung = ops::process::read_pid_file(&hangs_pid).expect("the release ran");
    assert!(
        !ops::process::is_alive(hung),
        "the release that hung was stopped"
    );

    let missing = operate(&release, &["upgrade", "9.9.9"]).await;
    assert_eq!(missing.code(), 64, "{}", missing.all_output());
    assert!(
        missing.stderr.contains("release 9.9.9 is not installed"),
        "{}",
        missing.stderr
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.send(true).unwrap();
    let report = load.await.unwrap();
    assert_no_failures(&report);
    assert_stored_exactly_the_acknowledged(&release, &token, &report).await;
    let status = release.status();
    assert_eq!(status["pid"], pid, "the same instance serves");
    assert_eq!(status["version"], CURRENT);
    assert_eq!(
        std::fs::read_to_string(release.root.join("releases/CURRENT"))
            .unwrap()
            .trim(),
        CURRENT
    );
}

/// Starts `connections` of keep-alive load; send `true` to stop it, then await its report.
fn start_load(
    address: SocketAddr,
    token: &str,
    connections: usize,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<load::Report>) {
    let (stop, stopped) = watch::channel(false);
    let token = token.to_owned();
    let load = tokio::spawn(async move { load::run(address, &token, connections, stopped).await });
    (stop, load)
}

fn assert_no_failures(report: &load::Report) {
    assert!(
        report.failed_requests.is_empty(),
        "{} failed requests, first: {:?}",
        report.failed_requests.len(),
        report.failed_requests.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        report.connection_errors.is_empty(),
        "{} connection errors, first: {:?}",
        report.connection_errors.len(),
        report.connection_errors.iter().take(5).collect::<Vec<_>>()
    );
}

/// Every acknowledged donation is stored, once; nothing unacknowledged is.
async fn assert_stored_exactly_the_acknowledged(
    release: &ReleaseRoot,
    token: &str,
    report: &load::Report,
) {
    let acknowledged: HashSet<&String> = report.receipts.iter().collect();
    assert_eq!(
        acknowledged.len(),
        report.receipts.len(),
        "receipt numbers are unique"
    );
    let stored = stored_receipts(release.address(), token).await;
    assert_eq!(
        stored.len(),
        report.receipts.len(),
        "stored exactly the acknowledged donations"
    );
    assert_eq!(stored.iter().collect::<HashSet<_>>(), acknowledged);
}

/// Runs an operating command off the async runtime, as an operator's shell would.
async fn operate(release: &ReleaseRoot, args: &[&str]) -> crate::support::binary::Outcome {
    operate_owned(release.command(args)).await
}

async fn operate_owned(mut command: std::process::Command) -> crate::support::binary::Outcome {
    tokio::task::spawn_blocking(move || {
        crate::support::binary::Outcome::from(command.output().unwrap())
    })
    .await
    .unwrap()
}

/// Every receipt number the ledger holds, paging through the API.
async fn stored_receipts(address: SocketAddr, token: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut receipts = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let url = match &before {
            Some(before) => format!("http://{address}/api/v1/donations?limit=200&before={before}"),
            None => format!("http://{address}/api/v1/donations?limit=200"),
        };
        let page: Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for donation in page["donations"].as_array().unwrap() {
            receipts.push(donation["receipt_number"].as_str().unwrap().to_owned());
        }
        match page["next_before"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => return receipts,
        }
    }
}
