//! Zero-downtime replacement on the real binary in a release root: `upgrade` and `rollback`
//! under continuous keep-alive load, releases that fail to take over, and tarballs that must
//! never be installed.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::support::release::{
    CURRENT, NEXT, ReleaseRoot, TarEntry, minisig, next_release_binary, release_entries,
    release_key_pair, script_binary, sha256_line, tarball,
};
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
    assert_succeeded(&upgraded, &release);
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
    assert_succeeded(&rolled_back, &release);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malicious_tarballs_are_refused_nothing_is_installed_and_the_instance_keeps_serving() {
    let release = ReleaseRoot::new().await;
    release.daemon();
    let pid = release.status()["pid"].clone();
    let keys = Keys {
        release: release_key_pair(),
        other: release_key_pair().1,
    };
    for case in malicious_cases() {
        assert_refused(&release, &keys, &case, &pid).await;
    }

    // A version that is not a plain name never gets as far as the instance.
    let newline = release.run(&["upgrade", "0.2.0\nREADY=1"]);
    assert_eq!(newline.code(), 64, "{}", newline.all_output());
    assert!(
        newline
            .stderr
            .contains(r#""0.2.0\nREADY=1" is not a release version"#),
        "{}",
        newline.stderr
    );
    // The console has no command that starts a program.
    let replace = release.run(&[
        "rpc",
        "replace",
        r#"{"release":{"program":"/bin/sh","args":[],"version":"x"}}"#,
    ]);
    assert_eq!(replace.code(), 1, "{}", replace.all_output());
    assert!(
        replace.stderr.contains("unknown command `replace"),
        "{}",
        replace.stderr
    );
    // The instance itself starts only a plain binary inside its releases/: asked directly over
    // the control socket for a release directory that links out of the tree, it refuses.
    let outside = release.root.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    script_binary(&outside, "donation_platform", "exec sleep 600");
    std::os::unix::fs::symlink(&outside, release.root.join("releases/0.9.9")).unwrap();
    let mut client = ops::control::Client::connect(&release.control_socket()).unwrap();
    let request = ops::handoff::ReplaceRequest {
        version: Some(ops::release::Version::parse("0.9.9").unwrap()),
        ready_timeout_s: Some(5),
    };
    let reply = client
        .request(&ops::control::Request::Handoff(
            ops::handoff::Message::Replace(request),
        ))
        .unwrap();
    assert!(!reply.ok, "{reply:?}");
    assert!(
        reply.output.contains("resolves outside releases/"),
        "{}",
        reply.output
    );
    assert_eq!(release.status()["pid"], pid);

    assert_a_signed_release_installs(&release, &keys, &pid).await;
    let stopped = release.run(&["stop"]);
    assert_eq!(stopped.code(), 0, "{}", stopped.all_output());
}

/// The release key pair (`RELEASE_PUBLIC_KEY`, its secret key) and a stranger's secret key.
struct Keys {
    release: (String, minisign::SecretKey),
    other: minisign::SecretKey,
}

/// A tarball copied into its own `releases/<version>/` with the side files it calls for, that
/// `upgrade` must refuse saying `expected`.
struct Case {
    version: &'static str,
    entries: Vec<TarEntry>,
    checksum: Checksum,
    signature: Signature,
    expected: &'static str,
}

#[derive(Clone, Copy, PartialEq)]
enum Checksum {
    Good,
    Wrong,
    Missing,
}

#[derive(Clone, Copy, PartialEq)]
enum Signature {
    /// `RELEASE_PUBLIC_KEY` unset.
    NoKey,
    /// Set, and the `.minisig` is made with another key.
    Foreign,
    /// Set, and there is no `.minisig`.
    Missing,
}

/// The attacks of the issue, each against a root where `upgrade` runs as root.
fn malicious_cases() -> Vec<Case> {
    const BINARY: &[u8] = b"#!/bin/sh\nexec /bin/sh\n";
    let plain = |version: &str| {
        vec![
            TarEntry::file(
                &format!("releases/{version}/donation_platform"),
                0o755,
                BINARY,
            ),
            TarEntry::file(&format!("releases/{version}/env"), 0o644, b"APP_ENV=prod\n"),
        ]
    };
    let binary = |version: &str| {
        TarEntry::file(
            &format!("releases/{version}/donation_platform"),
            0o755,
            BINARY,
        )
    };
    vec![
        Case {
            version: "0.3.1",
            entries: vec![TarEntry::file(
                "releases/0.3.1/donation_platform",
                0o6755,
                BINARY,
            )],
            checksum: Checksum::Good,
            signature: Signature::NoKey,
            expected: "entry `releases/0.3.1/donation_platform` has mode 6755: setuid, setgid and sticky bits are never installed",
        },
        Case {
            version: "0.3.2",
            entries: vec![
                binary("0.3.2"),
                TarEntry::link("releases/0.3.2/env", tar::EntryType::Symlink, "/etc/shadow"),
            ],
            checksum: Checksum::Good,
            signature: Signature::NoKey,
            expected: "entry `releases/0.3.2/env` is a symbolic link to `/etc/shadow`",
        },
        Case {
            version: "0.3.3",
            entries: vec![
                binary("0.3.3"),
                TarEntry::link(
                    "releases/0.3.3/env",
                    tar::EntryType::Link,
                    "../../../../etc/passwd",
                ),
            ],
            checksum: Checksum::Good,
            signature: Signature::NoKey,
            expected: "entry `releases/0.3.3/env` is a hard link to `../../../../etc/passwd`",
        },
        Case {
            version: "0.3.4",
            entries: plain("0.3.4"),
            checksum: Checksum::Missing,
            signature: Signature::NoKey,
            expected: "donation_platform-0.3.4.tar.gz.sha256 is missing, so the tarball's integrity cannot be checked and nothing was installed",
        },
        Case {
            version: "0.3.5",
            entries: plain("0.3.5"),
            checksum: Checksum::Wrong,
            signature: Signature::NoKey,
            expected: "donation_platform-0.3.5.tar.gz.sha256 (sha256 ",
        },
        Case {
            version: "0.3.6",
            entries: plain("0.3.6"),
            checksum: Checksum::Good,
            signature: Signature::Foreign,
            expected: "donation_platform-0.3.6.tar.gz.minisig does not verify with RELEASE_PUBLIC_KEY",
        },
        Case {
            version: "0.3.7",
            entries: plain("0.3.7"),
            checksum: Checksum::Good,
            signature: Signature::Missing,
            expected: "donation_platform-0.3.7.tar.gz.minisig is missing and RELEASE_PUBLIC_KEY is set",
        },
    ]
}

/// `upgrade` refuses `case` (exit 65, naming the problem); nothing appears in `releases/`,
/// CURRENT stays, and the same instance (`pid`) answers its health check.
async fn assert_refused(release: &ReleaseRoot, keys: &Keys, case: &Case, pid: &str) {
    let bytes = tarball(&case.entries);
    let name = format!("donation_platform-{}.tar.gz", case.version);
    let mut side_files = Vec::new();
    match case.checksum {
        Checksum::Good => side_files.push(("sha256", sha256_line(&bytes, &name))),
        Checksum::Wrong => side_files.push(("sha256", sha256_line(b"other bytes", &name))),
        Checksum::Missing => {}
    }
    if case.signature == Signature::Foreign {
        side_files.push(("minisig", minisig(&keys.other, &bytes)));
    }
    let side_files: Vec<(&str, &str)> = side_files
        .iter()
        .map(|(extension, contents)| (*extension, contents.as_str()))
        .collect();
    release.copy_tarball(case.version, &bytes, &side_files);
    let before = release.releases_tree();

    let mut command = release.command(&["upgrade", case.version]);
    if case.signature != Signature::NoKey {
        command.env("RELEASE_PUBLIC_KEY", &keys.release.0);
    }
    let refused = operate_owned(command).await;
    let version = case.version;
    assert_eq!(refused.code(), 65, "{version}: {}", refused.all_output());
    assert!(
        refused.stderr.contains(case.expected),
        "{version}: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was installed"),
        "{}",
        refused.stderr
    );
    assert_eq!(release.releases_tree(), before, "nothing was installed");
    assert!(
        !release
            .root
            .join("releases")
            .join(version)
            .join("donation_platform")
            .exists()
    );
    let current = std::fs::read_to_string(release.root.join("releases/CURRENT")).unwrap();
    assert_eq!(current.trim(), CURRENT);
    let health = reqwest::get(format!("http://{}/healthz", release.address()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "the instance keeps serving");
    assert_eq!(release.status()["pid"], pid, "the same instance serves");
}

/// A good tarball of the 0.2.0 build, signed with the release key: checked, unpacked with
/// normalized modes, and serving in place of the instance `pid`.
async fn assert_a_signed_release_installs(release: &ReleaseRoot, keys: &Keys, pid: &str) {
    let bytes = tarball(&release_entries(NEXT, next_release_binary()));
    let name = format!("donation_platform-{NEXT}.tar.gz");
    release.copy_tarball(
        NEXT,
        &bytes,
        &[
            ("sha256", sha256_line(&bytes, &name).as_str()),
            ("minisig", minisig(&keys.release.1, &bytes).as_str()),
        ],
    );
    let mut command = release.command(&["upgrade", NEXT]);
    command.env("RELEASE_PUBLIC_KEY", &keys.release.0);
    let upgraded = operate_owned(command).await;
    assert_succeeded(&upgraded, release);
    assert!(
        upgraded
            .stdout
            .contains("signature ok (RELEASE_PUBLIC_KEY)"),
        "{}",
        upgraded.stdout
    );
    assert!(
        upgraded.stdout.contains("checksum ok"),
        "{}",
        upgraded.stdout
    );
    let status = release.status();
    assert_eq!(status["version"], NEXT);
    assert_ne!(status["pid"], pid);
    let installed = release.root.join("releases").join(NEXT);
    let mode = |name: &str| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(installed.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("donation_platform"), 0o755);
    assert_eq!(mode("env"), 0o644);
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
/// `outcome` exited 0; if not, its output and the release's log say why.
fn assert_succeeded(outcome: &crate::support::binary::Outcome, release: &ReleaseRoot) {
    assert_eq!(
        outcome.code(),
        0,
        "{}\n{}",
        outcome.all_output(),
        release.log()
    );
}

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
