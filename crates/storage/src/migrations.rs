//! Embedded, forward-only migrations and the lock that lets only one instance apply them.
//!
//! Two instances starting together must not race: on PostgreSQL the migrating connection
//! holds an advisory lock (sqlx's, keyed by the database name); on SQLite a file lock beside
//! the database file. The second instance waits, then finds nothing left to do.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use sqlx::migrate::{Migrate, Migrator};
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::database::Pool;
use crate::{Database, StorageError};

// `locking: false`: we hold the lock ourselves around reading what is applied and applying
// the rest, so the report names exactly what this instance did. `ignore_missing: true`: a
// newer release may have applied migrations this one does not know (during a rollback).
static SQLITE_MIGRATIONS: Migrator = Migrator {
    locking: false,
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/sqlite")
};
static POSTGRES_MIGRATIONS: Migrator = Migrator {
    locking: false,
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/postgres")
};

/// Where the schema stands against the migrations embedded in this binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Embedded migrations not yet applied, as `version: description`.
    pub pending: Vec<String>,
}

impl SchemaStatus {
    /// Whether every embedded migration has been applied. Migrations applied by a newer
    /// release are allowed: they only expand the schema, so this release keeps working.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

/// What [`Database::migrate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    /// The migrations this call applied, in order; empty when the schema was current.
    pub applied: Vec<String>,
}

impl Database {
    /// Compares the applied migrations with the embedded ones, writing nothing.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StorageError> {
        let applied = match &self.pool {
            Pool::Sqlite(pool) => sqlite_applied_versions(&mut *pool.acquire().await?).await?,
            Pool::Postgres(pool) => postgres_applied_versions(&mut *pool.acquire().await?).await?,
        };
        Ok(SchemaStatus {
            pending: pending(self.migrator(), &applied),
        })
    }

    /// Applies every pending migration under the migration lock.
    pub async fn migrate(&self) -> Result<MigrationReport, StorageError> {
        // A dedicated connection, closed afterwards: should a migration fail, the session
        // (and with it PostgreSQL's advisory lock) ends instead of going back to the pool.
        match &self.pool {
            Pool::Sqlite(pool) => {
                let _lock = match &self.sqlite_file {
                    Some(file) => Some(lock_file(migration_lock_path(file)).await?),
                    None => None,
                };
                let mut conn = pool.acquire().await?.detach();
                let applied = sqlite_applied_versions(&mut conn).await?;
                let report = apply(&SQLITE_MIGRATIONS, &mut conn, &applied).await;
                conn.close().await?;
                report
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?.detach();
                conn.lock().await?;
                let applied = postgres_applied_versions(&mut conn).await?;
                let report = apply(&POSTGRES_MIGRATIONS, &mut conn, &applied).await;
                conn.close().await?;
                report
            }
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Runs `migrator` on a connection whose lock the caller already holds.
async fn apply<C: Migrate>(
    migrator: &Migrator,
    conn: &mut C,
    applied: &BTreeSet<i64>,
) -> Result<MigrationReport, StorageError> {
    let pending = pending(migrator, applied);
    if pending.is_empty() {
        return Ok(MigrationReport { applied: pending });
    }
    migrator.run_direct(conn).await?;
    Ok(MigrationReport { applied: pending })
}

fn pending(migrator: &Migrator, applied: &BTreeSet<i64>) -> Vec<String> {
    migrator
        .iter()
        .filter(|migration| !applied.contains(&migration.version))
        .map(|migration| format!("{}: {}", migration.version, migration.description))
        .collect()
}

const APPLIED_VERSIONS: &str =
    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";

async fn sqlite_applied_versions(
    conn: &mut SqliteConnection,
) -> Result<BTreeSet<i64>, StorageError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(BTreeSet::new());
    }
    Ok(sqlx::query_scalar(APPLIED_VERSIONS)
        .fetch_all(conn)
        .await?
        .into_iter()
        .collect())
}

async fn postgres_applied_versions(conn: &mut PgConnection) -> Result<BTreeSet<i64>, StorageError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(BTreeSet::new());
    }
    Ok(sqlx::query_scalar(APPLIED_VERSIONS)
        .fetch_all(conn)
        .await?
        .into_iter()
        .collect())
}

/// The lock file beside an SQLite database file.
fn migration_lock_path(database_file: &Path) -> PathBuf {
    let mut name = database_file.as_os_str().to_owned();
    name.push(".migrate-lock");
    PathBuf::from(name)
}

/// Takes an exclusive lock on `path`, waiting for another process to release it.
async fn lock_file(path: PathBuf) -> Result<File, StorageError> {
    tokio::task::spawn_blocking(move || {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .and_then(|file| file.lock().map(|()| file));
        file.map_err(|source| StorageError::Io { path, source })
    })
    .await
    .expect("the lock task does not panic")
}
