//! Connecting to the configured backend and the operations every backend offers.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::StorageError;
use crate::health::WriteHealth;

/// How long a pool waits for a free connection before the request fails. Long enough to ride
/// out a burst; short enough that a stuck database shows up as errors, not a hung server.
pub const POOL_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long SQLite waits on another writer's lock before giving up. Writers hold it for one
/// transaction (milliseconds), so reaching this means something is wrong.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of the database file SQLite maps for reading (its compile-time ceiling is 2 GB).
const SQLITE_MMAP_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// How often opening a new SQLite file is retried when another process is switching it to
/// WAL at the same moment (50 ms apart: at most a few seconds in all).
const SQLITE_OPEN_RETRIES: u32 = 40;

/// Which engine a [`Database`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, WAL, `synchronous=FULL`.
    Sqlite,
    /// The shared server for production and scale-out.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, by its scheme.
    pub fn of_url(url: &str) -> Result<Backend, StorageError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StorageError::InvalidUrl(
                "the scheme must be `sqlite` or `postgres`".to_owned(),
            )),
        }
    }

    /// The name used in URLs, logs and metrics.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Everything needed to open a [`Database`].
#[derive(Clone)]
pub struct ConnectOptions {
    /// `sqlite://…` or `postgres://…` (`postgresql://` too).
    pub url: String,
    /// The most connections the pool opens.
    pub pool_size: u32,
    /// A CA bundle that the PostgreSQL server certificate must chain to.
    pub ssl_cert_file: Option<PathBuf>,
}

/// Connection-pool occupancy, for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open now.
    pub open: u32,
    /// Of those, how many are idle.
    pub idle: u32,
    /// The most the pool will open.
    pub max: u32,
}

/// A handle on the database; cheap to clone, shared by every request.
#[derive(Clone, Debug)]
pub struct Database {
    pub(crate) pool: Pool,
    /// The SQLite database file; `None` on PostgreSQL and for in-memory SQLite.
    pub(crate) sqlite_file: Option<PathBuf>,
    /// How this process's writes are going, shared by every clone.
    pub(crate) health: Arc<WriteHealth>,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// Opens a pool on the database `options.url` names, creating an SQLite file (and its
    /// directory) when it does not exist yet. Fails when the database cannot be reached.
    pub async fn connect(options: &ConnectOptions) -> Result<Self, StorageError> {
        match Backend::of_url(&options.url)? {
            Backend::Sqlite => {
                let (pool, sqlite_file) = connect_sqlite(options).await?;
                Ok(Database {
                    pool: Pool::Sqlite(pool),
                    sqlite_file,
                    health: Arc::default(),
                })
            }
            Backend::Postgres => Ok(Database {
                pool: Pool::Postgres(connect_postgres(options).await?),
                sqlite_file: None,
                health: Arc::default(),
            }),
        }
    }

    /// The engine underneath.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether this process's writes are going through, and the failures counted so far.
    #[must_use]
    pub fn write_health(&self) -> &Arc<WriteHealth> {
        &self.health
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StorageError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())?,
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())?,
        }
        Ok(())
    }

    /// How many connections are open and idle.
    #[must_use]
    pub fn pool_stats(&self) -> PoolStats {
        let (open, idle, max) = match &self.pool {
            Pool::Sqlite(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
            Pool::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        };
        PoolStats {
            open,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

async fn connect_sqlite(
    options: &ConnectOptions,
) -> Result<(SqlitePool, Option<PathBuf>), StorageError> {
    let connect = SqliteConnectOptions::from_str(&options.url)
        .map_err(|err| StorageError::InvalidUrl(err.to_string()))?
        .create_if_missing(true)
        // WAL + FULL: a commit is on disk when it returns, so an acknowledged donation
        // survives power loss, while readers never block the writer.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        // Reads map the file instead of copying each page from the OS into SQLite's own 2 MB
        // cache: a statement over a year's rows scattered through a large file cost 3.5x per
        // row at 100k donations what it cost at 10k (BENCHMARKS.md, "Cost as the books
        // grow"). Address space only; the pages are the OS's page cache either way. The cost:
        // a read error on a mapped page (failing media, the file truncated behind SQLite's
        // back) stops the process with SIGBUS instead of failing one query; writes, and so
        // a full disk, do not go through the map.
        .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string());
    let in_memory = options.url.contains(":memory:") || options.url.contains("mode=memory");
    let file = (!in_memory).then(|| connect.get_filename().to_owned());
    if let Some(dir) = file
        .as_deref()
        .and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    // Two processes opening a brand-new file at once race to switch it to WAL; SQLite answers
    // the loser `SQLITE_BUSY` without consulting the busy timeout. Opening again shortly after
    // finds the file already in WAL mode.
    let mut attempts = 0;
    loop {
        let connected = SqlitePoolOptions::new()
            .max_connections(options.pool_size)
            .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
            .connect_with(connect.clone())
            .await;
        match connected {
            Err(sqlx::Error::Database(err))
                if err.code().as_deref() == Some("5") && attempts < SQLITE_OPEN_RETRIES =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            connected => return Ok((connected?, file)),
        }
    }
}

/// The query parameters of a PostgreSQL URL that sqlx understands. It logs any other with its
/// value (`ignoring unrecognized connect parameter`), and that value may be a secret
/// (`sslpassword=`, `PASSWORD=`): we drop those first and log only their names.
const POSTGRES_URL_PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// `url` without the query parameters sqlx would log with their values; warns naming them.
fn without_unknown_parameters(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let known =
        |name: &str| POSTGRES_URL_PARAMETERS.contains(&name) || name.starts_with("options[");
    if parsed.query_pairs().all(|(name, _)| known(&name)) {
        return url.to_owned();
    }
    let mut kept = Vec::new();
    for (name, value) in parsed.query_pairs() {
        if known(&name) {
            kept.push((name.into_owned(), value.into_owned()));
        } else {
            let shown: String = name.chars().take(40).collect();
            tracing::warn!(parameter = %shown, "ignoring a parameter of DATABASE_URL that is not understood");
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    parsed.to_string()
}

async fn connect_postgres(options: &ConnectOptions) -> Result<PgPool, StorageError> {
    let mut connect = PgConnectOptions::from_str(&without_unknown_parameters(&options.url))
        .map_err(|err| StorageError::InvalidUrl(err.to_string()))?;
    if let Some(ca) = &options.ssl_cert_file {
        connect = connect.ssl_root_cert(ca);
    }
    let pool = PgPoolOptions::new()
        .max_connections(options.pool_size)
        .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
        .connect_with(connect)
        .await?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_chosen_by_the_url_scheme() {
        assert_eq!(
            Backend::of_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn parameters_sqlx_would_log_with_their_values_are_dropped_first() {
        assert_eq!(
            without_unknown_parameters("postgres://u@h/db?sslmode=verify-full&password=p"),
            "postgres://u@h/db?sslmode=verify-full&password=p"
        );
        let kept = without_unknown_parameters(
            "postgres://u@h/db?sslpassword=secret1&sslmode=require&PASSWORD=secret2",
        );
        assert_eq!(kept, "postgres://u@h/db?sslmode=require");
        assert_eq!(
            without_unknown_parameters("postgres://u@h/db?sslpassword=secret1"),
            "postgres://u@h/db"
        );
    }
}
