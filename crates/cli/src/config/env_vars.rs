//! Every environment variable the platform reads, in one place.
//!
//! `.env.example` documents each of these; a test keeps the two in sync.

/// One environment variable the platform reads.
#[derive(Debug)]
pub struct EnvVar {
    /// The variable's name.
    pub name: &'static str,
    /// Whether its value is a secret: never printed, logged or echoed in errors.
    pub secret: bool,
}

macro_rules! env_vars {
    ($($(#[doc = $doc:literal])* $ident:ident = $secret:literal;)*) => {
        $(
            $(#[doc = $doc])*
            pub const $ident: &str = stringify!($ident);
        )*
        /// The registry: every variable above, in documentation order.
        pub const ALL: &[EnvVar] = &[$(EnvVar { name: $ident, secret: $secret }),*];
    };
}

env_vars! {
    /// `dev` (default) or `prod`. Prod requires `SECRET_KEY_BASE` and `DATABASE_URL`, logs JSON
    /// and refuses to start on a schema that is behind.
    APP_ENV = false;
    /// `sqlite://…` or `postgres://…`. Dev default: `sqlite://<DATA_DIR>/donation_platform.db`.
    DATABASE_URL = true;
    /// A file holding `DATABASE_URL` (it may carry a password), e.g. under `$CREDENTIALS_DIRECTORY`.
    DATABASE_URL_FILE = false;
    /// At least 64 bytes; signs sessions, receipts and tokens. Dev default: generated once and
    /// kept in `DATA_DIR`.
    SECRET_KEY_BASE = true;
    /// A file holding `SECRET_KEY_BASE`.
    SECRET_KEY_BASE_FILE = false;
    /// The HTTP port (default 4000; 0 picks a free one).
    PORT = false;
    /// The external host name used to build absolute URLs (receipt verification links).
    HOST = false;
    /// The most database connections (default 10).
    POOL_SIZE = false;
    /// A CA bundle the PostgreSQL server certificate must chain to (`verify-full`).
    SSL_CERT_FILE = false;
    /// Where the SQLite database and the generated dev secret live. Default `./data` (dev),
    /// the release root's `var/` (prod).
    DATA_DIR = false;
    /// A `tracing` filter: `info` (default), `debug`, `warn,donation_platform=debug`, …
    LOG_LEVEL = false;
    /// `text` (dev default) or `json` (prod default).
    LOG_FORMAT = false;
    /// Public zakat calculator requests per minute per client address (default 600; 0: no
    /// limit).
    ZAKAT_RATE_LIMIT = false;
    /// Client connections open at once (default 8192, sized for 2 GB: see
    /// `web::server::MAX_CONNECTIONS_DEFAULT`); beyond it the server stops accepting until one
    /// closes.
    MAX_CONNECTIONS = false;
    /// How long a request head may take to arrive from its first byte (default `10s`; `500ms`
    /// and `30` also work).
    HEADER_READ_TIMEOUT = false;
    /// How long a connection may sit idle before or between requests (default `60s`).
    KEEP_ALIVE_TIMEOUT = false;
    /// How long a request may take from its head to its response, body included (default
    /// `30s`); 408 if the body stalled, else 503.
    REQUEST_TIMEOUT = false;
}
