//! Wiring: configuration + storage + web = a running server.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use domain::audit::CheckpointKey;
use storage::ledger::{Ledger, Writer};
use storage::{ConnectOptions, Database, StorageError};
use tokio::net::TcpListener;
use web::AppState;
use web::server::Drained;

use crate::config::{AppEnv, Config, Secret, SecretKeyBase};
use crate::exit::{self, Exit};

/// How long in-flight requests may take to finish after a stop is requested. Below
/// Kubernetes' default grace period (30 s) and systemd's `TimeoutStopSec` (90 s), so we
/// finish our drain before either sends SIGKILL.
pub const SHUTDOWN_DRAIN_TIMEOUT: Duration = Duration::from_secs(25);

/// How long `stop` and a replacement wait for an instance to be gone once it began to drain:
/// the drain bound, and a margin for finishing the ledger queue and closing the database.
pub const EXIT_WAIT: Duration = Duration::from_secs(SHUTDOWN_DRAIN_TIMEOUT.as_secs() + 10);

/// Opens the configured database, or explains why not (exit 69).
pub async fn connect_database(config: &Config) -> anyhow::Result<Database> {
    let options = ConnectOptions {
        url: config.database_url.expose().to_owned(),
        pool_size: config.pool_size,
        ssl_cert_file: config.ssl_cert_file.clone(),
    };
    Database::connect(&options).await.map_err(|err| {
        let target = describe_database(config.database_url.expose());
        let hint = if err.is_tls() {
            ": check that the host name in DATABASE_URL is on the server certificate and that SSL_CERT_FILE names the CA that signed it"
        } else if matches!(err, StorageError::Io { .. }) {
            ": check DATA_DIR and its permissions"
        } else {
            ": check DATABASE_URL and that the database is running"
        };
        Exit::new(
            exit::UNAVAILABLE,
            format!("cannot connect to {target}: {}{hint}", storage::error_chain(&err)),
        )
        .into()
    })
}

/// Brings the schema up to date in dev; in prod, refuses a schema that is behind.
pub async fn prepare_schema(database: &Database, app_env: AppEnv) -> anyhow::Result<()> {
    match app_env {
        AppEnv::Dev => {
            let report = database
                .migrate()
                .await
                .map_err(|err| migration_failure(&err))?;
            tracing::info!(applied = report.applied.len(), migrations = ?report.applied, "schema migrated");
        }
        AppEnv::Prod => {
            let status = database
                .schema_status()
                .await
                .map_err(|err| migration_failure(&err))?;
            if !status.is_current() {
                return Err(Exit::new(
                    exit::CONFIG,
                    format!(
                        "the database schema is behind this release ({} migration(s) pending: {}): run `donation_platform migrate` first",
                        status.pending.len(),
                        status.pending.join(", ")
                    ),
                )
                .into());
            }
        }
    }
    Ok(())
}

/// A migration failure, with its cause chain, as exit 69.
#[must_use]
pub fn migration_failure(err: &StorageError) -> anyhow::Error {
    Exit::new(
        exit::UNAVAILABLE,
        format!("cannot migrate the database: {}", storage::error_chain(err)),
    )
    .into()
}

/// `SECRET_KEY_BASE`, generating the dev one on first start.
pub fn secret_key_base(config: &Config) -> anyhow::Result<Secret> {
    match &config.secret_key_base {
        SecretKeyBase::Given(secret) => Ok(secret.clone()),
        SecretKeyBase::Generated(path) => crate::commands::secret::load_or_generate(path),
    }
}

/// The key audit checkpoints are signed with, derived from `SECRET_KEY_BASE`, accepting the
/// earlier public keys of `AUDIT_PREVIOUS_PUBLIC_KEYS`.
pub fn checkpoint_key(config: &Config) -> anyhow::Result<CheckpointKey> {
    Ok(
        CheckpointKey::derive(secret_key_base(config)?.expose().as_bytes())
            .with_previous_public_keys(config.audit_previous_public_keys.iter().copied()),
    )
}

/// Connects, brings the schema up (dev) or checks it (prod), and derives the checkpoint key:
/// what every command that reads or writes the ledger needs.
pub async fn open_ledger(config: &Config) -> anyhow::Result<(Database, CheckpointKey)> {
    let key = checkpoint_key(config)?;
    let database = connect_database(config).await?;
    prepare_schema(&database, config.app_env).await?;
    Ok((database, key))
}

/// The base of the absolute URLs receipts carry (their QR codes, `verification_url`): HTTPS on
/// `HOST` in prod, behind its TLS-terminating proxy; in dev the plain port this instance bound.
#[must_use]
pub fn public_base(config: &Config, port: u16) -> String {
    match config.app_env {
        AppEnv::Prod => format!("https://{}", config.host),
        AppEnv::Dev => format!("http://{}:{port}", config.host),
    }
}

/// Where to listen: loopback in dev (nothing exposed by accident), every interface in prod.
#[must_use]
pub fn listen_address(config: &Config) -> SocketAddr {
    let ip = match config.app_env {
        AppEnv::Dev => Ipv4Addr::LOCALHOST,
        AppEnv::Prod => Ipv4Addr::UNSPECIFIED,
    };
    SocketAddr::from((ip, config.port))
}

/// A server that is ready to accept: configuration applied, database connected and its
/// schema current, port bound. Tests build exactly this, on port 0.
pub struct App {
    listener: TcpListener,
    /// The metrics-only listener (`METRICS_PORT`), if configured.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    writer: Writer,
    limits: web::server::Limits,
}

/// How long the metrics listener lets a scrape in flight finish once the instance stops.
const METRICS_DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

impl App {
    /// Prepares everything `start` needs before it accepts the first connection.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        App::build_on(config, None).await
    }

    /// As [`App::build`], serving on `inherited` (socket activation, or a predecessor's
    /// listener) instead of binding `PORT`.
    pub async fn build_on(
        config: &Config,
        inherited: Option<std::net::TcpListener>,
    ) -> anyhow::Result<App> {
        let (database, key) = open_ledger(config).await?;
        let listener = match inherited {
            Some(listener) => {
                listener.set_nonblocking(true)?;
                TcpListener::from_std(listener)?
            }
            None => bind(config).await?,
        };
        let metrics_listener = match config.metrics_port {
            Some(port) => Some(bind_metrics(SocketAddr::new(config.metrics_address, port))?),
            None => None,
        };
        let (ledger, writer) = Ledger::start(database.clone(), key.clone());
        let state = AppState::new(database, ledger, key, crate::VERSION);
        state.set_zakat_rate_limit(config.zakat_rate_limit);
        state.set_trusted_proxies(config.trusted_proxies.clone());
        state.set_metrics_access(metrics_access(config));
        if let Some(metrics) = &metrics_listener {
            tracing::info!(address = %metrics.local_addr()?, "serving /metrics");
        }
        state.set_request_timeout(config.http_limits.request_timeout);
        let secret = secret_key_base(config)?;
        state.set_web(web::pages::WebSettings::new(
            secret.expose().as_bytes(),
            config.app_env == crate::config::AppEnv::Prod,
        ));
        state.set_receipts(web::receipts::Receipts::new(
            domain::receipts::VerificationKey::derive(secret.expose().as_bytes()),
            &public_base(config, listener.local_addr()?.port()),
        ));
        state
            .metrics()
            .count_dropped_log_lines_with(crate::telemetry::dropped_lines);
        let limits = connection_limits(config.http_limits);
        tracing::info!(
            address = %listener.local_addr()?,
            version = crate::VERSION,
            env = %config.app_env,
            backend = state.database().backend().name(),
            "listening"
        );
        Ok(App {
            listener,
            metrics_listener,
            state,
            writer,
            limits,
        })
    }

    /// The address the server accepts on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address of the metrics-only listener, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// A second descriptor for the listening socket, to hand to a successor.
    pub fn listener_fd(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        std::os::fd::AsFd::as_fd(&self.listener).try_clone_to_owned()
    }

    /// The state every request sees.
    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `stop` resolves, then marks the instance draining, lets in-flight
    /// requests finish within [`SHUTDOWN_DRAIN_TIMEOUT`] and closes the database.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> Drained {
        let App {
            listener,
            metrics_listener,
            state,
            writer,
            limits,
        } = self;
        let draining = state.clone();
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let stop = async move {
            stop.await;
            draining.begin_drain();
            stopping.send(true).ok();
        };
        let metrics = metrics_listener.map(|listener| {
            let mut stopped = stopped.clone();
            tokio::spawn(web::server::serve(
                listener,
                web::scrape::router(state.clone()),
                web::server::Connections::default(),
                limits,
                async move {
                    stopped.wait_for(|stop| *stop).await.ok();
                },
                METRICS_DRAIN_TIMEOUT,
            ))
        });
        let drained = web::server::serve(
            listener,
            web::router(state.clone()),
            state.connections().clone(),
            limits,
            stop,
            SHUTDOWN_DRAIN_TIMEOUT,
        )
        .await;
        match drained {
            Drained::Completely => tracing::info!("drained; stopped"),
            Drained::TimedOut => tracing::warn!(
                timeout_s = SHUTDOWN_DRAIN_TIMEOUT.as_secs(),
                "requests still in flight after the drain bound were cut off"
            ),
        }
        if let Some(metrics) = metrics {
            metrics.await.ok();
        }
        // Requests cancelled by departed clients may still be queued: the writer drops them
        // (or writes what is still awaited) before the pool goes away.
        writer.finish().await;
        state.database().close().await;
        drained
    }
}

/// File descriptors kept for everything but client connections: the database pool, the
/// control socket and its clients, logs, a successor's hand-off.
const FILE_DESCRIPTORS_RESERVED: u64 = 256;

/// `configured`, with the connection cap lowered to what the open-files limit allows (after
/// raising the soft limit to the hard one), so the cap, not `EMFILE`, is what stops accepting.
fn connection_limits(configured: web::server::Limits) -> web::server::Limits {
    let open_files = match ops::process::raise_open_files_limit() {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the open-files limit");
            return configured;
        }
    };
    let room = usize::try_from(open_files.saturating_sub(FILE_DESCRIPTORS_RESERVED))
        .unwrap_or(usize::MAX)
        .max(1);
    if configured.max_connections <= room {
        return configured;
    }
    tracing::warn!(
        max_connections = configured.max_connections,
        open_files,
        allowed = room,
        "MAX_CONNECTIONS is above what the open-files limit allows: raise the limit (systemd: LimitNOFILE=) or lower MAX_CONNECTIONS"
    );
    web::server::Limits {
        max_connections: room,
        ..configured
    }
}

async fn bind(config: &Config) -> anyhow::Result<TcpListener> {
    let address = listen_address(config);
    TcpListener::bind(address).await.map_err(|err| {
        Exit::new(
            exit::UNAVAILABLE,
            format!("cannot listen on {address}: {err}: stop whatever uses the port or set PORT"),
        )
        .into()
    })
}

/// Who may read `/metrics`: dev serves it on the main port as it always did; prod only on the
/// metrics listener, or on the main port to requests bearing `METRICS_TOKEN`. With neither
/// set, prod answers `/metrics` 404. A token, when set, is required on every listener.
#[must_use]
pub fn metrics_access(config: &Config) -> web::scrape::MetricsAccess {
    let token = config.metrics_token.as_ref().map(Secret::expose);
    let on_main_port = config.app_env == AppEnv::Dev || token.is_some();
    web::scrape::MetricsAccess::new(on_main_port, token)
}

/// Binds the metrics listener. `SO_REUSEPORT`: during a restart or upgrade the successor binds
/// the same port while its predecessor still drains (the main listener is handed over; this
/// one is not).
fn bind_metrics(address: SocketAddr) -> anyhow::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    };
    let bound = socket.and_then(|socket| {
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(address)?;
        socket.listen(METRICS_LISTEN_BACKLOG)
    });
    bound.map_err(|err| {
        Exit::new(
            exit::UNAVAILABLE,
            format!("cannot listen on {address} for /metrics: {err}: set METRICS_PORT (and METRICS_ADDRESS) to a free port on this host"),
        )
        .into()
    })
}

/// Scrapers connect a few times a minute; a small backlog is plenty.
const METRICS_LISTEN_BACKLOG: u32 = 64;

/// A short, password-free description of the database a URL points at.
#[must_use]
pub fn describe_database(url: &str) -> String {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or_default();
        return format!("the SQLite database `{path}`");
    }
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "PostgreSQL at {}:{}{}",
            parsed.host_str().unwrap_or("(socket)"),
            parsed.port().unwrap_or(5432),
            parsed.path()
        ),
        Err(_) => "the database".to_owned(),
    }
}
