//! The writer survives faults, on the real binary under write load: a full disk (SQLite on a
//! small tmpfs, which takes root to mount) and PostgreSQL stopped and started again (a server
//! of the test's own: the suite's shared one must stay up). Meanwhile writes answer 503
//! problem+json with `Retry-After` (never 500, never a hang) and `/readyz` answers 503 naming
//! the reason; once the fault clears, writes go through again without a restart, and every
//! acknowledged donation is stored exactly once. Both tests choose their backend themselves,
//! so they run in the suite's SQLite and PostgreSQL runs alike.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::durability::{Instance, body, post_donation, stop_clients};
use crate::support::metric;

/// Clients writing donations throughout.
const CLIENTS: usize = 4;

/// The longest a write may wait for its answer during a fault. While PostgreSQL is down, the
/// request's authentication read waits for the pool's acquire timeout (10 s) before its 503;
/// the writer itself answers within its 2 s connect timeout. Longer than this is a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a fault may take to show, and the recovery after it clears.
const DEADLINE: Duration = Duration::from_secs(60);

/// The load: clients that each write donation after donation, retrying each (same key, same
/// body) through 503s until it is acknowledged, so what was acknowledged is all that may be
/// stored.
struct Load {
    stop: watch::Sender<bool>,
    clients: Vec<JoinHandle<HashMap<String, Value>>>,
    shared: Arc<Shared>,
}

/// What the clients count and obey.
#[derive(Default)]
struct Shared {
    acknowledged: AtomicUsize,
    unavailable: AtomicUsize,
    paused: AtomicBool,
    in_flight: AtomicUsize,
}

impl Load {
    fn start(instance: &Instance, token: &str) -> Load {
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared::default());
        let clients = (0..CLIENTS)
            .map(|c| {
                tokio::spawn(client(
                    instance.url(),
                    token.to_owned(),
                    format!("c{c}"),
                    stopped.clone(),
                    Arc::clone(&shared),
                ))
            })
            .collect();
        Load {
            stop,
            clients,
            shared,
        }
    }

    fn acknowledged(&self) -> usize {
        self.shared.acknowledged.load(Ordering::SeqCst)
    }

    fn unavailable(&self) -> usize {
        self.shared.unavailable.load(Ordering::SeqCst)
    }

    /// Holds every client before its next attempt, and waits out the attempts under way, so
    /// that no write comes until [`Load::resume`].
    async fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
        while self.shared.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }

    /// Repairs the fault with no write in flight, so readiness must recover by the writer's
    /// own probe, then lets the clients go on: (time to `/readyz` 200, time to 20 more
    /// donations).
    async fn recover(
        &self,
        instance: &Instance,
        what: &str,
        repair: impl FnOnce(),
    ) -> (Duration, Duration) {
        self.pause().await;
        tokio::task::block_in_place(repair);
        let (ready, ready_after) = wait_readyz(instance, 200, what).await;
        assert_eq!(ready["status"], "ready", "{what}");
        self.resume();
        let writing_after = self.wait_acknowledged(20, &format!("after {what}")).await;
        (ready_after, writing_after)
    }

    /// Waits until `more` donations beyond those acknowledged so far are.
    async fn wait_acknowledged(&self, more: usize, what: &str) -> Duration {
        let target = self.acknowledged() + more;
        let started = Instant::now();
        while self.acknowledged() < target {
            assert!(
                started.elapsed() < DEADLINE,
                "{what}: {more} more donations not acknowledged in {DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        started.elapsed()
    }

    /// Waits until a write was answered 503.
    async fn wait_unavailable(&self, what: &str) -> Duration {
        let started = Instant::now();
        while self.unavailable() == 0 {
            assert!(
                started.elapsed() < DEADLINE,
                "{what}: no write failed in {DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        started.elapsed()
    }

    /// Stops the clients after their current donation; what they acknowledged, by key.
    async fn finish(self) -> HashMap<String, Value> {
        stop_clients(&self.stop, self.clients).await
    }
}

async fn client(
    url: String,
    token: String,
    name: String,
    stop: watch::Receiver<bool>,
    shared: Arc<Shared>,
) -> HashMap<String, Value> {
    let http = reqwest::Client::builder()
        .timeout(ANSWER_TIMEOUT)
        .build()
        .unwrap();
    let mut acknowledged = HashMap::new();
    for n in 0_u64.. {
        if *stop.borrow() {
            break;
        }
        let key = format!("{name}-{n}");
        let request = body(100_000 + n);
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "donation {key} never acknowledged"
            );
            shared.in_flight.fetch_add(1, Ordering::SeqCst);
            while shared.paused.load(Ordering::SeqCst) {
                shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                shared.in_flight.fetch_add(1, Ordering::SeqCst);
            }
            let response = post_donation(&http, &url, &token, &key, &request)
                .await
                .unwrap_or_else(|err| panic!("{key}: no answer within {ANSWER_TIMEOUT:?}: {err}"));
            let outcome = match response.status().as_u16() {
                201 => Some(response.json::<Value>().await.unwrap()),
                503 => {
                    assert_retry_later(response, &key).await;
                    None
                }
                status => panic!(
                    "{key}: unexpected {status}: {}",
                    response.text().await.unwrap()
                ),
            };
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            if let Some(ack) = outcome {
                acknowledged.insert(key, ack);
                shared.acknowledged.fetch_add(1, Ordering::SeqCst);
                break;
            }
            shared.unavailable.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    acknowledged
}

/// A 503 for a write: problem+json of type `unavailable`, with `Retry-After`.
async fn assert_retry_later(response: reqwest::Response, key: &str) {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{key}"
    );
    assert!(
        response.headers().contains_key("retry-after"),
        "{key}: a 503 says when to retry"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["type"], "urn:donation-platform:problem:unavailable",
        "{key}: {problem}"
    );
}

/// Polls `/readyz` until it answers `status`; returns the last body and how long it took.
async fn wait_readyz(instance: &Instance, status: u16, what: &str) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let response = reqwest::get(instance.at("/readyz")).await.unwrap();
        if response.status() == status {
            if status == 503 {
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json"
                );
            }
            return (response.json().await.unwrap(), started.elapsed());
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: /readyz did not answer {status} in {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The count of failed writes with `reason` in `/metrics`.
async fn write_failures(instance: &Instance, reason: &str) -> u64 {
    let series = format!("ledger_write_failures_total{{reason=\"{reason}\"}}");
    metric(&reqwest::Client::new(), instance.at("/metrics"), &series).await
}

/// Every donation stored, paged through `GET /api/v1/donations`.
async fn stored_donations(instance: &Instance, token: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let mut stored = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let url = match &before {
            Some(before) => format!("{}?limit=200&before={before}", instance.url()),
            None => format!("{}?limit=200", instance.url()),
        };
        let response = http.get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.unwrap();
        stored.extend(page["donations"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => return stored,
        }
    }
}

/// Acknowledged == stored: each acknowledged donation stored once with its receipt number,
/// nothing else stored; and the audit chain verifies.
async fn assert_acknowledged_is_stored(
    instance: &Instance,
    token: &str,
    acknowledged: &HashMap<String, Value>,
) {
    let stored = stored_donations(instance, token).await;
    let by_id: HashMap<&str, &Value> = stored
        .iter()
        .map(|d| (d["id"].as_str().unwrap(), d))
        .collect();
    assert_eq!(by_id.len(), stored.len(), "no donation stored twice");
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "every acknowledged donation stored, and nothing else"
    );
    for (key, ack) in acknowledged {
        let donation = by_id
            .get(ack["id"].as_str().unwrap())
            .unwrap_or_else(|| panic!("acknowledged {key} is stored"));
        assert_eq!(donation["receipt_number"], ack["receipt_number"], "{key}");
    }
    let receipts: HashSet<&str> = stored
        .iter()
        .map(|d| d["receipt_number"].as_str().unwrap())
        .collect();
    assert_eq!(receipts.len(), stored.len(), "receipt numbers are unique");
    let verify = instance.command(&["audit", "verify"]).output();
    assert_eq!(verify.code(), 0, "{}", verify.all_output());
}

/// Each failed write's cause is on its request's log line (at `error`, with its status), and
/// elsewhere only where writes start failing (once per run of failures), never logged again
/// per request by the writer.
fn assert_logged_once_on_request_lines(log: &str, cause: &str) {
    let mentions: Vec<&str> = log.lines().filter(|line| line.contains(cause)).collect();
    let on_requests = mentions
        .iter()
        .filter(|line| {
            line.contains("ERROR")
                && line.contains("route=\"/api/v1/donations\"")
                && line.contains("status=503")
        })
        .count();
    assert!(on_requests > 0, "no request line names `{cause}`:\n{log}");
    let others: Vec<&&str> = mentions
        .iter()
        .filter(|line| !line.contains(" request "))
        .collect();
    assert!(
        others
            .iter()
            .all(|line| line.contains("ledger writes failing")),
        "`{cause}` logged outside the request lines:\n{others:#?}"
    );
}

/// An admin's token, made with the CLI (`dir` holds the password file).
fn admin_token(instance: &Instance, dir: &Path) -> String {
    let password = dir.join("admin-password");
    std::fs::write(&password, "correct horse battery staple\n").unwrap();
    let email = "admin@example.org";
    let created = instance
        .command(&[
            "user",
            "create",
            "--email",
            email,
            "--role",
            "admin",
            "--password-file",
            password.to_str().unwrap(),
        ])
        .output();
    assert_eq!(created.code(), 0, "{}", created.all_output());
    let token = instance
        .command(&["token", "create", "--email", email])
        .output();
    assert_eq!(token.code(), 0, "{}", token.all_output());
    token.stdout.trim().to_owned()
}

/// An administrative write (not through the ledger writer): records a zakat data value.
async fn record_price(instance: &Instance, admin: &str) -> reqwest::Response {
    let price = serde_json::json!({"name": "gold_price_per_gram", "value": "1600000",
        "effective_from": "2025-01-01", "source": "Antam, 2025-01-01"});
    reqwest::Client::new()
        .post(instance.at("/api/v1/zakat/data"))
        .bearer_auth(admin)
        .json(&price)
        .timeout(ANSWER_TIMEOUT)
        .send()
        .await
        .unwrap()
}

/// A tmpfs mounted for the life of the value.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let status = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mount a {size} tmpfs on {}",
            dir.display()
        );
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the server's last file handles may still be closing.
        std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status()
            .ok();
    }
}

/// Writes `file` until the filesystem has no byte left.
fn fill(file: &Path) {
    let mut out = std::fs::File::create(file).unwrap();
    for chunk in [1 << 20, 4096, 1] {
        let bytes = vec![0xa5_u8; chunk];
        while out.write_all(&bytes).is_ok() {}
    }
    out.sync_all().ok();
}

/// Says why a fault test cannot run here; under CI (`CI` set, as `.ci/run` is run) that is a
/// failure, never a silent pass: CI runs as root with the PostgreSQL programs installed.
fn skip(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "this fault test must run under CI, but cannot: {why}"
    );
    eprintln!("SKIPPED: {why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_with_503_until_space_is_freed_and_loses_nothing() {
    if !throwaway_postgres::running_as_root() {
        skip(
            "mounting a small tmpfs needs root (CI runs as root); run as root to cover the full disk",
        );
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mount = Tmpfs::mount(&data, "16m");
    let instance = Instance::on(
        format!("sqlite://{}/ledger.db", data.display()),
        data.clone(),
    );
    let mut server = instance.start().await;
    let token = instance.token("amil@example.org");
    let admin = admin_token(&instance, base.path());
    let load = Load::start(&instance, &token);
    load.wait_acknowledged(20, "before the fault").await;
    assert_eq!(load.unavailable(), 0, "no 503 before the fault");

    let filler = data.join("filler");
    tokio::task::block_in_place(|| fill(&filler));
    let failed_after = load.wait_unavailable("disk full").await;
    let (ready, _) = wait_readyz(&instance, 503, "disk full").await;
    assert_eq!(
        ready["type"], "urn:donation-platform:problem:writes-failing",
        "{ready}"
    );
    let detail = ready["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("writes failing since ") && detail.contains("database or disk is full"),
        "{detail}"
    );
    assert!(write_failures(&instance, "disk_full").await > 0);
    // Administrative writes (their own transaction, not the writer's) fail alike.
    let refused = record_price(&instance, &admin).await;
    assert_eq!(refused.status(), 503);
    assert_retry_later(refused, "zakat data on a full disk").await;
    // A while on a full disk: many batches fail, each on a connection discarded after it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let acknowledged_while_full = load.acknowledged();

    let (ready_after, writing_after) = load
        .recover(&instance, "space was freed", || {
            std::fs::remove_file(&filler).unwrap();
        })
        .await;
    eprintln!(
        "full disk: first 503 after {failed_after:?}; after freeing space, /readyz 200 after \
         {ready_after:?}, 20 more donations after {writing_after:?}; {} writes answered 503; {} \
         failed transactions counted",
        load.unavailable(),
        write_failures(&instance, "disk_full").await,
    );
    assert!(load.acknowledged() > acknowledged_while_full);
    assert_eq!(record_price(&instance, &admin).await.status(), 201);

    let acknowledged = load.finish().await;
    assert_acknowledged_is_stored(&instance, &token, &acknowledged).await;
    let log = server.log();
    assert!(
        !log.contains("transaction depth"),
        "no connection came back mid-transaction:\n{log}"
    );
    assert_logged_once_on_request_lines(&log, "database or disk is full");
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(10));
    drop(mount);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_write_load_fails_writes_with_503_and_they_resume_when_it_is_back() {
    if let Err(why) = throwaway_postgres::bin_dir() {
        skip(&format!("{why:#}"));
        return;
    }
    let mut postgres = throwaway_postgres::Server::start(throwaway_postgres::Options::default())
        .expect("a throwaway PostgreSQL starts");
    let data = tempfile::tempdir().unwrap();
    let instance = Instance::on(postgres.url(), data.path().join("data"));
    let mut server = instance.start().await;
    let token = instance.token("amil@example.org");
    let load = Load::start(&instance, &token);
    load.wait_acknowledged(20, "before the stop").await;
    assert_eq!(load.unavailable(), 0, "no 503 before the stop");

    tokio::task::block_in_place(|| postgres.stop()).unwrap();
    let failed_after = load.wait_unavailable("PostgreSQL stopped").await;
    let (ready, _) = wait_readyz(&instance, 503, "PostgreSQL stopped").await;
    assert_eq!(
        ready["type"], "urn:donation-platform:problem:writes-failing",
        "{ready}"
    );
    assert!(
        ready["detail"]
            .as_str()
            .unwrap()
            .contains("cannot reach the database"),
        "{ready}"
    );
    assert!(write_failures(&instance, "connection").await > 0);
    tokio::time::sleep(Duration::from_secs(2)).await;

    let (ready_after, writing_after) = load
        .recover(&instance, "PostgreSQL came back", || {
            postgres.start_again().unwrap();
        })
        .await;
    eprintln!(
        "PostgreSQL stop: first 503 after {failed_after:?}; after the start, /readyz 200 after \
         {ready_after:?}, 20 more donations after {writing_after:?}; {} writes answered 503; {} \
         failed transactions counted",
        load.unavailable(),
        write_failures(&instance, "connection").await,
    );

    let acknowledged = load.finish().await;
    assert_acknowledged_is_stored(&instance, &token, &acknowledged).await;
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(10));
}
