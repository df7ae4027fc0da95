//! The storage boundary's error type.

/// What can go wrong below the repository API.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness or check constraint refused the write.
    #[error("conflict on `{constraint}`")]
    Conflict {
        /// The name of the constraint that refused the write.
        constraint: String,
    },
    /// The database URL could not be understood.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// Migrating the schema failed.
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A file next to the database (its directory, the migration lock) could not be used.
    #[error("cannot use `{path}`")]
    Io {
        /// The file or directory concerned.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The database or the connection to it failed.
    #[error(transparent)]
    Backend(sqlx::Error),
    /// The SQLite writer's own connection failed (`ledger::sqlite_writer`).
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    /// What a write was about to store breaks an invariant of the ledger (a bug): nothing of
    /// it was written.
    #[error("ledger invariant broken")]
    Invariant(#[from] domain::ledger::Violation),
}

/// Why a write failed, in a word that is safe as a metrics label: the set is closed, so the
/// label's cardinality is bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteFailure {
    /// The disk (or the server's) is full: SQLite's `SQLITE_FULL`, PostgreSQL's `53100`.
    DiskFull,
    /// The connection to the database failed or could not be made (server stopped or
    /// restarting, network, TLS, pool timeout).
    Connection,
    /// Another writer held the lock too long (`SQLITE_BUSY`), or PostgreSQL gave up on a
    /// lock (deadlock, lock timeout, serialization failure).
    Busy,
    /// A uniqueness, foreign-key, not-null or check constraint refused the row.
    Constraint,
    /// The batch broke an invariant of the ledger and was refused before it was written.
    Invariant,
    /// Anything else the database said (an I/O error, a read-only file, a corrupt page, …).
    Other,
}

impl WriteFailure {
    /// Every reason, in the order `/metrics` lists them.
    pub const ALL: [WriteFailure; 6] = [
        WriteFailure::DiskFull,
        WriteFailure::Connection,
        WriteFailure::Busy,
        WriteFailure::Constraint,
        WriteFailure::Invariant,
        WriteFailure::Other,
    ];

    /// The metrics label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            WriteFailure::DiskFull => "disk_full",
            WriteFailure::Connection => "connection",
            WriteFailure::Busy => "busy",
            WriteFailure::Constraint => "constraint",
            WriteFailure::Invariant => "invariant",
            WriteFailure::Other => "other",
        }
    }

    /// What happened, in a few words safe to show anyone.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            WriteFailure::DiskFull => "database or disk is full",
            WriteFailure::Connection => "cannot reach the database",
            WriteFailure::Busy => "the database stayed locked by another writer",
            WriteFailure::Constraint => "the database refused a row",
            WriteFailure::Invariant => "a ledger invariant would break",
            WriteFailure::Other => "the database failed the write",
        }
    }

    /// Whether the failure is the database's rather than one request's: every write fails
    /// alike until it clears, so the instance is not ready meanwhile, and retrying a batch's
    /// requests one by one would only fail each again.
    #[must_use]
    pub fn is_fault(self) -> bool {
        !matches!(self, WriteFailure::Constraint | WriteFailure::Invariant)
    }
}

/// SQLite's primary result codes that say more than "an error" (<https://sqlite.org/rescode.html>).
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_FULL: i32 = 13;

impl StorageError {
    /// Why a write failed, for metrics and readiness; `None` when this is no failure of the
    /// write (nothing matched: [`StorageError::NotFound`]).
    #[must_use]
    pub fn write_failure(&self) -> Option<WriteFailure> {
        match self {
            StorageError::NotFound => None,
            StorageError::Conflict { .. } => Some(WriteFailure::Constraint),
            StorageError::Invariant(_) => Some(WriteFailure::Invariant),
            StorageError::Backend(err) => Some(backend_failure(err)),
            StorageError::Sqlite(err) => Some(sqlite_failure(err)),
            StorageError::InvalidUrl(_) | StorageError::Migrate(_) | StorageError::Io { .. } => {
                Some(WriteFailure::Other)
            }
        }
    }
}

fn backend_failure(err: &sqlx::Error) -> WriteFailure {
    use sqlx::error::{DatabaseError as _, ErrorKind};
    match err {
        sqlx::Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                // The extended code's low byte is the primary code.
                let primary = sqlite
                    .code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .map(|code| code & 0xff);
                match primary {
                    Some(SQLITE_FULL) => return WriteFailure::DiskFull,
                    Some(SQLITE_BUSY | SQLITE_LOCKED) => return WriteFailure::Busy,
                    _ => {}
                }
            } else if let Some(postgres) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            {
                let code = postgres.code();
                // Class 08: connection exception; 57P01–57P03: the server is shutting down,
                // crashed or starting up; 53100: disk full; 40001, 40P01, 55P03: lock trouble.
                match code {
                    "53100" => return WriteFailure::DiskFull,
                    "57P01" | "57P02" | "57P03" => return WriteFailure::Connection,
                    "40001" | "40P01" | "55P03" => return WriteFailure::Busy,
                    _ if code.starts_with("08") => return WriteFailure::Connection,
                    _ => {}
                }
            }
            match db.kind() {
                ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation => WriteFailure::Constraint,
                _ => WriteFailure::Other,
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => WriteFailure::Connection,
        _ => WriteFailure::Other,
    }
}

fn sqlite_failure(err: &rusqlite::Error) -> WriteFailure {
    use rusqlite::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => WriteFailure::DiskFull,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => WriteFailure::Busy,
        Some(ErrorCode::ConstraintViolation) => WriteFailure::Constraint,
        Some(ErrorCode::CannotOpen) => WriteFailure::Connection,
        _ => WriteFailure::Other,
    }
}

impl From<rusqlite::Error> for StorageError {
    /// The writer's SQLite error, with uniqueness violations (a UNIQUE or PRIMARY KEY
    /// constraint, as sqlx counts them) told apart as [`StorageError::Conflict`].
    fn from(err: rusqlite::Error) -> StorageError {
        if let rusqlite::Error::SqliteFailure(failure, message) = &err
            && matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        {
            let constraint = message.clone().unwrap_or_else(|| failure.to_string());
            return StorageError::Conflict { constraint };
        }
        StorageError::Sqlite(err)
    }
}

impl From<sqlx::Error> for StorageError {
    /// The driver's error, with uniqueness violations told apart as
    /// [`StorageError::Conflict`] (only writes meet them).
    fn from(err: sqlx::Error) -> StorageError {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            let constraint = db
                .constraint()
                .map_or_else(|| db.message().to_owned(), str::to_owned);
            return StorageError::Conflict { constraint };
        }
        StorageError::Backend(err)
    }
}

impl StorageError {
    /// Whether the TLS handshake with the database failed (an untrusted or mismatched
    /// server certificate, usually), as opposed to the database being down.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        matches!(self, StorageError::Backend(sqlx::Error::Tls(_)))
    }
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StorageError::Migrate(err)
    }
}

/// An error and its causes on one line, `outer: inner: …`, each cause once (drivers often
/// repeat their source's text in their own).
#[must_use]
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use sqlx::Connection as _;

    use super::*;

    /// A real SQLite file that is full (`max_page_count` reached) and a real uniqueness
    /// violation, classified as the writer and `/metrics` see them.
    #[tokio::test]
    async fn a_full_sqlite_database_is_disk_full_and_a_duplicate_a_conflict() {
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)")
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES ('a', x'00')")
            .execute(&mut db)
            .await
            .unwrap();
        let duplicate = sqlx::query("INSERT INTO t VALUES ('a', x'00')")
            .execute(&mut db)
            .await
            .unwrap_err();
        let duplicate = StorageError::from(duplicate);
        assert!(
            matches!(duplicate, StorageError::Conflict { .. }),
            "{duplicate:?}"
        );
        assert_eq!(duplicate.write_failure(), Some(WriteFailure::Constraint));

        sqlx::query("PRAGMA max_page_count = 8")
            .execute(&mut db)
            .await
            .unwrap();
        let mut full = None;
        for k in 0..1000 {
            if let Err(err) = sqlx::query("INSERT INTO t VALUES ($1, zeroblob(4000))")
                .bind(k.to_string())
                .execute(&mut db)
                .await
            {
                full = Some(StorageError::from(err));
                break;
            }
        }
        let full = full.expect("the database fills up");
        assert_eq!(full.write_failure(), Some(WriteFailure::DiskFull), "{full}");
        assert!(WriteFailure::DiskFull.is_fault());
        assert!(chain(&full).contains("full"), "{}", chain(&full));
    }

    /// The SQLite writer's own connection (rusqlite) fails the same way, and its errors are
    /// classified as sqlx's are: a duplicate is a conflict, a full database is disk full, a
    /// held write lock is busy.
    #[test]
    fn the_sqlite_writers_errors_are_classified_as_sqlxs() {
        let dir = tempfile_dir();
        let file = dir.join("writer.db");
        let db = rusqlite::Connection::open(&file).unwrap();
        db.execute_batch(
            "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB); INSERT INTO t VALUES ('a', x'00');",
        )
        .unwrap();
        let duplicate = StorageError::from(
            db.execute("INSERT INTO t VALUES ('a', x'00')", [])
                .unwrap_err(),
        );
        assert!(
            matches!(duplicate, StorageError::Conflict { .. }),
            "{duplicate:?}"
        );
        assert_eq!(duplicate.write_failure(), Some(WriteFailure::Constraint));

        let other = rusqlite::Connection::open(&file).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        db.execute_batch("BEGIN IMMEDIATE").unwrap();
        let busy = StorageError::from(other.execute_batch("BEGIN IMMEDIATE").unwrap_err());
        assert_eq!(busy.write_failure(), Some(WriteFailure::Busy), "{busy}");
        db.execute_batch("ROLLBACK").unwrap();

        db.execute_batch("PRAGMA max_page_count = 8").unwrap();
        let full = (0..1000)
            .find_map(|k| {
                db.execute("INSERT INTO t VALUES (?1, zeroblob(4000))", [k.to_string()])
                    .err()
            })
            .map(StorageError::from)
            .expect("the database fills up");
        assert_eq!(full.write_failure(), Some(WriteFailure::DiskFull), "{full}");
        assert!(chain(&full).contains("full"), "{}", chain(&full));
        drop((db, other));
        std::fs::remove_dir_all(&dir).ok();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("errors-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_lost_connection_is_a_fault_and_a_broken_invariant_is_not() {
        let lost = StorageError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(lost.write_failure(), Some(WriteFailure::Connection));
        let broken = StorageError::Invariant(domain::ledger::Violation::UnknownAccount {
            entry: uuid::Uuid::nil(),
            account: "asset:gold".to_owned(),
        });
        assert_eq!(broken.write_failure(), Some(WriteFailure::Invariant));
        assert!(!WriteFailure::Invariant.is_fault());
        assert_eq!(
            chain(&broken),
            "ledger invariant broken: a line of journal entry `00000000-0000-0000-0000-000000000000` posts to `asset:gold`, which is no account"
        );
        assert_eq!(StorageError::NotFound.write_failure(), None);
    }
}
