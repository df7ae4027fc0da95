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
    Backend(#[from] sqlx::Error),
}

impl StorageError {
    /// A failed write, with uniqueness violations told apart as [`StorageError::Conflict`].
    pub(crate) fn from_write(err: sqlx::Error) -> StorageError {
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
