//! Durability and concurrency of the ledger with real processes: SIGKILL at random moments
//! under write load, and several instances writing to one database.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use storage::Database;
use storage::ledger::DonationFilter;
use storage::test_support::TestDatabase;
use tokio::sync::watch;

use crate::support::BinaryCommand;
use crate::support::binary::{ServerProcess, amil_token, temp_dir};

/// Concurrent clients in the crash test.
const CLIENTS: usize = 8;
/// How many times the server is killed.
const KILLS: usize = 5;
/// How long a client waits for one answer before it retries (same key, same body).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// One instance's environment: its own port, the shared database and data directory (whose
/// generated dev secret all instances share).
pub(crate) struct Instance {
    dir: tempfile::TempDir,
    data_dir: std::path::PathBuf,
    database_url: String,
    port: u16,
}

impl Instance {
    fn new(database: &TestDatabase) -> Instance {
        Instance::on(database.url.clone(), database.dir().join("data"))
    }

    /// An instance on `database_url` with its data in `data_dir`.
    pub(crate) fn on(database_url: String, data_dir: std::path::PathBuf) -> Instance {
        Instance {
            dir: temp_dir(),
            data_dir,
            database_url,
            // Kept across restarts: below the ephemeral range, no client socket takes it.
            port: throwaway_postgres::stable_port(),
        }
    }

    pub(crate) fn command(&self, args: &[&str]) -> BinaryCommand {
        BinaryCommand::new(self.dir.path())
            .args(args.iter().copied())
            .env("DATA_DIR", &self.data_dir)
            .env("DATABASE_URL", &self.database_url)
            .env("PORT", self.port.to_string())
            // Instances on one host each have their own runtime directory (control socket).
            .env("RUNTIME_DIRECTORY", self.dir.path().join("run"))
    }

    pub(crate) async fn start(&self) -> ServerProcess {
        let mut server = self.command(&["start"]).spawn_server();
        server.wait_ready().await;
        server
    }

    pub(crate) fn url(&self) -> String {
        self.at("/api/v1/donations")
    }

    /// The URL of `path` on this instance.
    pub(crate) fn at(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A user and a token, made with the CLI.
    pub(crate) fn token(&self, email: &str) -> String {
        amil_token(self.dir.path(), email, |args| self.command(args).output())
    }
}

pub(crate) fn body(amount_minor: u64) -> Value {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    json!({ "type": "sedekah", "amount": format!("{}.{:02}", amount_minor / 100, amount_minor % 100),
            "currency": "IDR", "method": "cash", "received_on": today, "anonymous": true })
}

/// Posts donations until told to stop, retrying each (same key, same body) through errors
/// and restarts until it is acknowledged; returns key → acknowledged body.
async fn client(
    urls: Vec<String>,
    token: String,
    name: String,
    stop: watch::Receiver<bool>,
) -> HashMap<String, Value> {
    let http = reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .build()
        .unwrap();
    let mut acknowledged = HashMap::new();
    for n in 0_u64.. {
        if *stop.borrow() {
            break;
        }
        let key = format!("{name}-{n}");
        let request = body(100_000 + n);
        let url = &urls[usize::try_from(n).unwrap() % urls.len()];
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(
                Instant::now() < deadline,
                "donation {key} never acknowledged"
            );
            match post_donation(&http, url, &token, &key, &request).await {
                Ok(response) if response.status() == 201 => {
                    acknowledged.insert(key, response.json::<Value>().await.unwrap());
                    break;
                }
                // Connection refused or reset (the server was killed), 503 while it comes
                // back, 409 when an earlier attempt is still in flight: retry.
                Ok(response) if matches!(response.status().as_u16(), 409 | 503) => {}
                Ok(response) => panic!(
                    "{key}: unexpected {}: {}",
                    response.status(),
                    response.text().await.unwrap()
                ),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    acknowledged
}

/// One attempt at donation `key` (a retry sends the same key and body).
pub(crate) async fn post_donation(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    key: &str,
    request: &Value,
) -> reqwest::Result<reqwest::Response> {
    http.post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(request)
        .send()
        .await
}

/// Tells the clients to stop after their current donation and gathers what they acknowledged.
pub(crate) async fn stop_clients(
    stop: &watch::Sender<bool>,
    clients: Vec<tokio::task::JoinHandle<HashMap<String, Value>>>,
) -> HashMap<String, Value> {
    stop.send(true).unwrap();
    let mut acknowledged = HashMap::new();
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }
    acknowledged
}

/// Every acknowledged donation stored exactly once, nothing else stored, receipts gap-free,
/// funds equal to the journal, and the audit chain verifies (with the CLI).
async fn assert_books_whole(
    database: &TestDatabase,
    instance: &Instance,
    acknowledged: &HashMap<String, Value>,
) {
    let db = Database::connect(&database.connect_options())
        .await
        .unwrap();
    let mut stored = Vec::new();
    let mut filter = DonationFilter {
        limit: 200,
        ..DonationFilter::default()
    };
    loop {
        let page = db.donations(&filter).await.unwrap();
        let Some(last) = page.last() else { break };
        filter.before = Some(last.receipt);
        stored.extend(page);
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "every acknowledged donation stored, and nothing else"
    );
    let by_id: HashMap<String, _> = stored.iter().map(|d| (d.id.to_string(), d)).collect();
    assert_eq!(by_id.len(), stored.len(), "no duplicates");
    let mut total = 0;
    for ack in acknowledged.values() {
        let donation = by_id
            .get(ack["id"].as_str().unwrap())
            .expect("an acknowledged donation is stored");
        assert_eq!(
            donation.receipt.to_string(),
            ack["receipt_number"].as_str().unwrap()
        );
        total += donation.amount.minor();
    }
    let mut serials: Vec<i64> = stored.iter().map(|d| d.receipt.serial).collect();
    serials.sort_unstable();
    assert_eq!(
        serials,
        (1..=i64::try_from(stored.len()).unwrap()).collect::<Vec<_>>(),
        "receipt numbers have no gaps"
    );
    assert_eq!(db.unbalanced_entries().await.unwrap(), 0);
    let balances = db.balances().await.unwrap();
    let sum = |account: &str| {
        balances
            .iter()
            .filter(|b| b.account == account)
            .map(|b| b.lines_sum_minor)
            .sum::<i64>()
    };
    assert_eq!(
        -sum("fund:infak_sedekah_unrestricted"),
        total,
        "the fund holds what was acknowledged"
    );
    assert_eq!(sum("asset:cash"), total, "the cash account holds it too");
    db.close().await;
    let verify = instance.command(&["audit", "verify"]).output();
    assert_eq!(verify.code(), 0, "{}", verify.all_output());
}

#[tokio::test]
async fn sigkill_under_write_load_loses_no_acknowledged_donation_and_duplicates_none() {
    let database = TestDatabase::create().await;
    let instance = Instance::new(&database);
    let mut server = instance.start().await;
    let token = instance.token("amil@example.org");
    let (stop, stopped) = watch::channel(false);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(client(
                vec![instance.url()],
                token.clone(),
                format!("c{c}"),
                stopped.clone(),
            ))
        })
        .collect();
    for _ in 0..KILLS {
        let uptime_ms = 300 + getrandom::u64().unwrap() % 900;
        tokio::time::sleep(Duration::from_millis(uptime_ms)).await;
        server.signal("KILL");
        server.wait_exit(Duration::from_secs(5));
        server = instance.start().await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let acknowledged = stop_clients(&stop, clients).await;
    eprintln!(
        "{} donations acknowledged across {KILLS} kills",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > CLIENTS * 2,
        "the load was real: {} donations",
        acknowledged.len()
    );
    assert_books_whole(&database, &instance, &acknowledged).await;
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(10));
    database.drop_database().await;
}

#[tokio::test]
async fn three_instances_on_one_database_keep_one_gap_free_series_and_one_chain() {
    let database = TestDatabase::create().await;
    let instances: Vec<Instance> = (0..3).map(|_| Instance::new(&database)).collect();
    // Started together on an empty database: one migrates, the others wait.
    let servers = futures::future::join_all(instances.iter().map(Instance::start)).await;
    let token = instances[0].token("amil@example.org");
    let urls: Vec<String> = instances.iter().map(Instance::url).collect();
    let (stop, stopped) = watch::channel(false);
    let clients: Vec<_> = (0..9)
        .map(|c| {
            let mut rotated = urls.clone();
            rotated.rotate_left(c % 3);
            tokio::spawn(client(
                rotated,
                token.clone(),
                format!("c{c}"),
                stopped.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let acknowledged = stop_clients(&stop, clients).await;
    eprintln!(
        "{} donations acknowledged by three instances",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > 30,
        "the load was real: {} donations",
        acknowledged.len()
    );
    assert_books_whole(&database, &instances[0], &acknowledged).await;
    for mut server in servers {
        server.signal("TERM");
        server.wait_exit(Duration::from_secs(10));
    }
    database.drop_database().await;
}
