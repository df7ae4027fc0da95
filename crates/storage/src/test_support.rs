//! Per-test databases, so tests run in parallel without seeing each other's rows.
//!
//! By default a fresh SQLite file in a temporary directory; when `TEST_DATABASE_URL` names a
//! PostgreSQL server, a fresh database on it, dropped again by [`TestDatabase::drop_database`].

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, Executor as _};

use crate::{Backend, ConnectOptions};

/// The variable naming a PostgreSQL server to run the suite against.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    /// The URL the application under test connects with.
    pub url: String,
    admin_url: Option<String>,
    name: String,
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// Creates an empty database on the backend the environment selects.
    pub async fn create() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory can be created");
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        match std::env::var(TEST_DATABASE_URL) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin = PgConnectOptions::from_str(&admin_url)
                    .expect("TEST_DATABASE_URL is a valid PostgreSQL URL");
                let mut conn = admin
                    .connect()
                    .await
                    .expect("the test PostgreSQL server is reachable");
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("a test database can be created");
                conn.close().await.ok();
                let url = with_database(&admin_url, &name);
                TestDatabase {
                    url,
                    admin_url: Some(admin_url),
                    name,
                    dir,
                }
            }
            _ => {
                let url = format!("sqlite://{}/{name}.db", dir.path().display());
                TestDatabase {
                    url,
                    admin_url: None,
                    name,
                    dir,
                }
            }
        }
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        Backend::of_url(&self.url).expect("test URLs are valid")
    }

    /// A temporary directory that lives as long as the database (for `DATA_DIR`).
    #[must_use]
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Options to connect the application under test.
    #[must_use]
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            url: self.url.clone(),
            pool_size: 5,
            ssl_cert_file: None,
        }
    }

    /// Drops a PostgreSQL test database (an SQLite one goes with its directory).
    pub async fn drop_database(self) {
        if let Some(admin_url) = &self.admin_url {
            let admin = PgConnectOptions::from_str(admin_url).expect("checked at creation");
            let mut conn = admin
                .connect()
                .await
                .expect("the test PostgreSQL server is reachable");
            conn.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await
                .expect("a test database can be dropped");
            conn.close().await.ok();
        }
    }
}

/// `url` with its database (path) replaced by `database`, keeping the query.
fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL is a valid URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}
