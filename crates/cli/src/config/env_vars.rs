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
    /// Public keys of earlier `SECRET_KEY_BASE`s whose audit checkpoints still count after a
    /// rotation: comma-separated, each 64 hex digits as `audit head` prints `public_key`.
    AUDIT_PREVIOUS_PUBLIC_KEYS = false;
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
    /// A minisign public key (the base64 line of `minisign.pub`). When set, `upgrade` installs
    /// only tarballs whose `.minisig` verifies with it.
    RELEASE_PUBLIC_KEY = false;
    /// Comma-separated CIDRs of the reverse proxies whose `X-Forwarded-For` names the client
    /// (for per-client limits); default none: the peer address is the client.
    TRUSTED_PROXIES = false;
    /// A port for a second listener that serves only `/metrics` (default none). In prod
    /// `/metrics` is served only here, or on the main port with `METRICS_TOKEN`.
    METRICS_PORT = false;
    /// The address the metrics listener binds (default `127.0.0.1`: loopback only).
    METRICS_ADDRESS = false;
    /// A bearer token `/metrics` requires on every listener, at least 32 characters.
    METRICS_TOKEN = true;
    /// A file holding `METRICS_TOKEN`.
    METRICS_TOKEN_FILE = false;
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
