//! The real application, built by the same code as `start`, on port 0 with a fresh database.

use std::net::SocketAddr;

use cli::app::App;
use cli::config::{Config, Environment};
use domain::audit::CheckpointKey;
use domain::{Account, Role};
use serde_json::Value;
use storage::Database;
use storage::ledger::Actor;
use storage::test_support::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use web::AppState;
use web::server::Drained;

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    database: TestDatabase,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Drained>,
}

impl TestApp {
    /// Builds and starts the application in dev mode (migrations applied at start).
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(&[]).await
    }

    /// As [`TestApp::spawn`], with more configuration variables.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let database = TestDatabase::create().await;
        let data_dir = database.dir().join("data");
        let data_dir = data_dir.to_str().unwrap();
        let mut pairs = vec![
            ("DATABASE_URL", database.url.as_str()),
            ("DATA_DIR", data_dir),
            ("PORT", "0"),
            ("POOL_SIZE", "5"),
        ];
        pairs.extend_from_slice(extra);
        let env = Environment::from_pairs(pairs);
        let config = Config::load(&env, None).expect("the test configuration is valid");
        let app = App::build(&config).await.expect("the application builds");
        let address = app.local_addr().unwrap();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(app.run_until(async move {
            stopped.await.ok();
        }));
        TestApp {
            address,
            client: reqwest::Client::new(),
            state,
            database,
            stop,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }

    /// A bearer token for a new user with `role`.
    pub async fn token(&self, role: Role) -> String {
        self.user_with_token(role, None).await.0
    }

    /// A new user with `role` and a token for them, expiring at `expires_at`: (token, token
    /// id, email).
    pub async fn user_with_token(
        &self,
        role: Role,
        expires_at: Option<time::OffsetDateTime>,
    ) -> (String, i64, String) {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        let hash =
            domain::credentials::hash_password("a test password of some length", [1; 16]).unwrap();
        let key = self.state.checkpoint_key();
        let operator = Actor::Operator("test".to_owned());
        let database = self.state.database();
        database
            .create_user(key, &operator, &email, role, &hash)
            .await
            .expect("a user can be created");
        let mut random = [0; 32];
        getrandom::fill(&mut random).unwrap();
        let token = domain::credentials::token_from_bytes(random);
        let hash = domain::credentials::token_hash(&token);
        let id = database
            .create_token(key, &operator, &email, &hash, expires_at)
            .await
            .expect("a token can be created");
        (token, id, email)
    }

    /// POSTs JSON with a token and, if given, an idempotency key.
    pub async fn post(
        &self,
        path: &str,
        token: &str,
        key: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("the server answers")
    }

    /// GETs with a token.
    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers")
    }

    /// Records a donation with a fresh key; asserts 201 and returns the body.
    pub async fn donate(&self, token: &str, body: &Value) -> Value {
        let key = uuid::Uuid::new_v4().to_string();
        let response = self
            .post("/api/v1/donations", token, Some(&key), body)
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// A fund's IDR balance as an exact decimal string (`None` campaign: the fund itself).
    pub async fn fund_balance(&self, token: &str, fund: &str, campaign: Option<&str>) -> String {
        let funds: Value = self
            .get_as("/api/v1/funds", token)
            .await
            .json()
            .await
            .unwrap();
        funds["funds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["fund"] == fund && f["currency"] == "IDR" && f["campaign_id"].as_str() == campaign
            })
            .map_or_else(
                || "0.00".to_owned(),
                |f| f["balance"].as_str().unwrap().to_owned(),
            )
    }

    /// The data directory (its generated dev secret signs the audit checkpoints).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.database.dir().join("data")
    }

    /// The database URL of this app.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// Stops the server and drops the database without checking the ledger (for tests that
    /// broke it on purpose).
    pub async fn stop_without_checks(self) {
        self.stop.send(()).ok();
        self.server.await.unwrap();
        self.database.drop_database().await;
    }

    /// Stops the server (asserting it drained), checks the ledger's invariants — the audit chain
    /// verifies, every journal entry balances, every kept balance equals its journal, no fund
    /// and no asset below zero — and drops the database.
    pub async fn teardown(self) {
        assert_ledger_invariants(self.state.database(), self.state.checkpoint_key()).await;
        self.stop.send(()).ok();
        assert_eq!(self.server.await.unwrap(), Drained::Completely);
        self.database.drop_database().await;
    }
}

/// The invariants every test leaves behind.
pub async fn assert_ledger_invariants(database: &Database, key: &CheckpointKey) {
    let balances = database.ledger_check().await.unwrap();
    assert!(
        balances.is_ok(),
        "every kept balance equals the sum of its journal lines: {:?}",
        balances.differences
    );
    let report = database.audit_verify(key).await.unwrap();
    assert!(report.is_ok(), "the audit chain verifies: {report:?}");
    assert_eq!(
        database.unbalanced_entries().await.unwrap(),
        0,
        "every journal entry balances"
    );
    for balance in database.balances().await.unwrap() {
        match Account::from_code(&balance.account) {
            Some(Account::Fund(..)) => assert!(
                balance.lines_sum_minor <= 0,
                "no fund below zero: {balance:?}"
            ),
            Some(Account::Cash | Account::Bank | Account::AmilShareReceivable) => assert!(
                balance.lines_sum_minor >= 0,
                "no asset below zero: {balance:?}"
            ),
            None => panic!("an account the ledger does not know: {balance:?}"),
        }
    }
}

/// A raw connection to a test database, for what the application must never do itself
/// (holding its lock from outside, tampering with rows).
pub enum RawConnection {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl RawConnection {
    pub async fn open(url: &str) -> RawConnection {
        use sqlx::Connection as _;
        if url.starts_with("sqlite") {
            RawConnection::Sqlite(
                sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("the test database accepts a connection"),
            )
        } else {
            RawConnection::Postgres(
                sqlx::PgConnection::connect(url)
                    .await
                    .expect("the test database accepts a connection"),
            )
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, RawConnection::Sqlite(_))
    }

    /// Runs SQL (several statements allowed), returning the first error.
    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            RawConnection::Sqlite(connection) => {
                sqlx::raw_sql(sql).execute(connection).await.map(drop)
            }
            RawConnection::Postgres(connection) => {
                sqlx::raw_sql(sql).execute(connection).await.map(drop)
            }
        }
    }

    /// A single integer.
    pub async fn count(&mut self, sql: &str) -> i64 {
        match self {
            RawConnection::Sqlite(connection) => {
                sqlx::query_scalar(sql).fetch_one(connection).await.unwrap()
            }
            RawConnection::Postgres(connection) => {
                sqlx::query_scalar(sql).fetch_one(connection).await.unwrap()
            }
        }
    }
}

/// Holds the ledger's writer lock from outside the application, as another instance's writer
/// would: the application's next batch waits until [`WriterLock::release`].
pub struct WriterLock {
    connection: RawConnection,
}

impl WriterLock {
    /// Takes the lock on the database at `url`.
    pub async fn take(url: &str) -> WriterLock {
        let mut connection = RawConnection::open(url).await;
        let begin = if connection.is_sqlite() {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        connection.execute(begin).await.unwrap();
        connection
            .execute("UPDATE ledger_head SET batches = batches WHERE id = 1")
            .await
            .expect("the writer lock can be taken");
        WriterLock { connection }
    }

    /// Lets the application's writer go on.
    pub async fn release(mut self) {
        self.connection
            .execute("COMMIT")
            .await
            .expect("the lock is released");
    }
}
