//! Runtime configuration: read from the environment (and an optional env file) at boot,
//! validated in one pass that reports every problem at once, then passed around as one typed
//! value. Nothing here is read at compile time and there is no global.

pub mod env_vars;
mod report;
mod secret;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use report::{ConfigReport, Problem};
pub use secret::{REDACTED, Secret};
use tracing_subscriber::EnvFilter;

use env_vars as var;

/// A secret shorter than this is guessable or a placeholder; 64 bytes is what Phoenix's
/// `mix phx.gen.secret` produces and what `gen-secret` prints (as 86 base64 characters).
pub const SECRET_KEY_BASE_LENGTH_MIN: usize = 64;

/// More connections than this would exhaust a PostgreSQL server's default
/// `max_connections` (100) many times over; it is a typo, not a setting.
pub const POOL_SIZE_MAX: u32 = 1_000;

/// The file name of the dev secret kept in `DATA_DIR`.
pub const GENERATED_SECRET_FILE: &str = "secret_key_base";

/// The SQLite file name under `DATA_DIR` when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_FILE: &str = "donation_platform.db";

/// The port when `PORT` is not set, as in Phoenix.
pub const DEFAULT_PORT: u16 = 4000;

/// The pool size when `POOL_SIZE` is not set, as in Ecto.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// Where a variable's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The process environment.
    Process,
    /// The env file given with `--env-file`.
    EnvFile,
}

/// The variables the process was started with, with an env file's underneath: a variable
/// set in the process environment wins over the same one in the file, as with systemd's
/// `Environment=` over `EnvironmentFile=`. Empty values count as unset.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    vars: BTreeMap<String, (String, Origin)>,
}

impl Environment {
    /// The process environment over the env file at `env_file`, if any.
    pub fn from_process(env_file: Option<&Path>) -> Result<Self, ConfigReport> {
        let mut environment = Environment::default();
        if let Some(path) = env_file {
            environment.read_env_file(path)?;
        }
        for (name, value) in std::env::vars_os() {
            if let (Ok(name), Ok(value)) = (name.into_string(), value.into_string()) {
                environment.vars.insert(name, (value, Origin::Process));
            }
        }
        Ok(environment)
    }

    /// An environment holding exactly `pairs` (for tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let vars = pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), (value.to_owned(), Origin::Process)))
            .collect();
        Environment { vars }
    }

    fn read_env_file(&mut self, path: &Path) -> Result<(), ConfigReport> {
        let problem = |what: String| {
            ConfigReport::from(vec![Problem::new(
                "--env-file",
                what,
                "--env-file /etc/donation_platform/env (lines such as `PORT=4000`)",
            )])
        };
        let lines = dotenvy::from_path_iter(path).map_err(|err| {
            problem(format!(
                "cannot read `{}`: {}",
                path.display(),
                io_reason(&err)
            ))
        })?;
        for (index, line) in lines.enumerate() {
            // The parser's own error quotes the line, which may hold a secret: say only where.
            let (name, value) = line.map_err(|_| {
                problem(format!(
                    "line {} of `{}` is not `NAME=value`",
                    index + 1,
                    path.display()
                ))
            })?;
            self.vars.insert(name, (value, Origin::EnvFile));
        }
        Ok(())
    }

    /// The value of `name`, if set and not empty.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|(value, _)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// Where the value of `name` came from, if it is set.
    #[must_use]
    pub fn origin(&self, name: &str) -> Option<Origin> {
        self.get(name)?;
        self.vars.get(name).map(|(_, origin)| *origin)
    }
}

fn io_reason(err: &dotenvy::Error) -> String {
    match err {
        dotenvy::Error::Io(io) => io.to_string(),
        _ => "it is not an env file".to_owned(),
    }
}

/// `dev` or `prod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    /// Zero configuration: SQLite under `./data`, a generated secret, text logs, migrations
    /// applied at start.
    Dev,
    /// Explicit configuration required, JSON logs, migrations only by `migrate`.
    Prod,
}

impl AppEnv {
    /// The value as written in `APP_ENV`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Dev => "dev",
            AppEnv::Prod => "prod",
        }
    }
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    /// The value as written in `LOG_FORMAT`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Where `SECRET_KEY_BASE` comes from.
#[derive(Clone, Debug)]
pub enum SecretKeyBase {
    /// Given in the environment or a file.
    Given(Secret),
    /// Dev only: generated at first start and kept in this file.
    Generated(PathBuf),
}

/// The validated runtime configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `dev` or `prod`.
    pub app_env: AppEnv,
    /// The database to use; may carry a password.
    pub database_url: Secret,
    /// The key material that signs sessions, receipts and tokens.
    pub secret_key_base: SecretKeyBase,
    /// Public keys of earlier secrets whose audit checkpoints still count.
    pub audit_previous_public_keys: Vec<domain::audit::PublicKey>,
    /// The HTTP port.
    pub port: u16,
    /// The external host name for absolute URLs.
    pub host: String,
    /// The most database connections.
    pub pool_size: u32,
    /// The CA bundle for the PostgreSQL server certificate.
    pub ssl_cert_file: Option<PathBuf>,
    /// Where the SQLite file and the generated dev secret live.
    pub data_dir: PathBuf,
    /// The `tracing` filter.
    pub log_level: String,
    /// Text or JSON logs.
    pub log_format: LogFormat,
    /// Where the pid file, the control socket and the daemon's log live.
    pub runtime_dir: PathBuf,
    /// Public zakat calculator requests per minute per client address; 0: no limit.
    pub zakat_rate_limit: u32,
    /// The key release tarballs must be signed with, if any.
    pub release_public_key: Option<ops::tarball::ReleaseKey>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The port of the metrics-only listener, if any.
    pub metrics_port: Option<u16>,
    /// The address the metrics-only listener binds.
    pub metrics_address: std::net::IpAddr,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<Secret>,
    /// The connection cap and the HTTP timeouts.
    pub http_limits: web::server::Limits,
}

impl Config {
    /// Validates `env`, collecting every problem before giving up. `release_root` is the
    /// release directory the binary runs from, if any (prod keeps its data under `var/`).
    pub fn load(env: &Environment, release_root: Option<&Path>) -> Result<Config, ConfigReport> {
        let mut problems = Vec::new();
        let app_env = app_env(env, &mut problems);
        let data_dir = data_dir(env, app_env, release_root);
        let secret_key_base = secret_key_base(env, app_env, &data_dir, &mut problems);
        let audit_previous_public_keys = audit_previous_public_keys(env, &mut problems);
        let ssl_cert_file = ssl_cert_file(env, &mut problems);
        let database_url = database_url(
            env,
            app_env,
            &data_dir,
            ssl_cert_file.is_some(),
            &mut problems,
        );
        let port = port(env, &mut problems);
        let pool_size = pool_size(env, &mut problems);
        let host = host(env, &mut problems);
        let log_level = log_level(env, &mut problems);
        let log_format = log_format(env, app_env, &mut problems);
        let zakat_rate_limit = zakat_rate_limit(env, &mut problems);
        let release_public_key = release_public_key(env, &mut problems);
        let trusted_proxies = trusted_proxies(env, &mut problems);
        let metrics_port = metrics_port(env, port, &mut problems);
        let metrics_address = metrics_address(env, &mut problems);
        let metrics_token = metrics_token(env, &mut problems);
        let http_limits = http_limits(env, &mut problems);
        if !problems.is_empty() {
            return Err(ConfigReport::from(problems));
        }
        Ok(Config {
            app_env,
            database_url,
            secret_key_base,
            audit_previous_public_keys,
            port,
            host,
            pool_size,
            ssl_cert_file,
            data_dir,
            log_level,
            log_format,
            runtime_dir: runtime_dir(env, release_root),
            zakat_rate_limit,
            release_public_key,
            trusted_proxies,
            metrics_port,
            metrics_address,
            metrics_token,
            http_limits,
        })
    }
}

/// Where a probe on the same host (`healthcheck`) reaches the instance: loopback at `PORT`.
/// The server listens there in dev (loopback only) and in prod (every interface), and serves
/// plain HTTP in both (TLS ends at a proxy in front of it).
///
/// Needs only `PORT`: a container's health check runs with the container's environment, but a
/// probe must not fail on a setting that has nothing to do with reaching the server.
pub fn probe_address(env: &Environment) -> Result<std::net::SocketAddr, ConfigReport> {
    let mut problems = Vec::new();
    let port = port(env, &mut problems);
    if port == 0 && problems.is_empty() {
        problems.push(Problem::new(
            var::PORT,
            "is 0, a port picked at start that a probe cannot know: set the port the instance \
             listens on",
            "PORT=4000",
        ));
    }
    if problems.is_empty() {
        Ok(std::net::SocketAddr::from((
            std::net::Ipv4Addr::LOCALHOST,
            port,
        )))
    } else {
        Err(ConfigReport::from(problems))
    }
}

/// `RELEASE_PUBLIC_KEY` alone, for `upgrade`, which needs no other setting (as `rpc` needs
/// none): set but unusable is an error, never "no key".
pub fn release_key(env: &Environment) -> Result<Option<ops::tarball::ReleaseKey>, ConfigReport> {
    let mut problems = Vec::new();
    let key = release_public_key(env, &mut problems);
    if problems.is_empty() {
        Ok(key)
    } else {
        Err(ConfigReport::from(problems))
    }
}

fn release_public_key(
    env: &Environment,
    problems: &mut Vec<Problem>,
) -> Option<ops::tarball::ReleaseKey> {
    let value = env.get(var::RELEASE_PUBLIC_KEY)?;
    ops::tarball::ReleaseKey::parse(value)
        .map_err(|err| {
            problems.push(Problem::new(
                var::RELEASE_PUBLIC_KEY,
                format!("{} {err}", quote(value)),
                "RELEASE_PUBLIC_KEY=RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
            ));
        })
        .ok()
}

fn app_env(env: &Environment, problems: &mut Vec<Problem>) -> AppEnv {
    match env.get(var::APP_ENV) {
        None | Some("dev") => AppEnv::Dev,
        Some("prod") => AppEnv::Prod,
        Some(other) => {
            problems.push(Problem::new(
                var::APP_ENV,
                format!(
                    "{} is not an environment: use `dev` or `prod`",
                    quote(other)
                ),
                "APP_ENV=prod",
            ));
            AppEnv::Dev
        }
    }
}

/// Where the pid file, the control socket and the daemon's log live: systemd's
/// `RUNTIME_DIRECTORY`, else the release root's `tmp/`, else `tmp/` under `DATA_DIR`.
///
/// Needs no valid configuration: `rpc`, `stop` and `pid` must find a running instance even
/// from a shell that lacks its secrets.
#[must_use]
pub fn runtime_dir(env: &Environment, release_root: Option<&Path>) -> PathBuf {
    let systemd = env
        .get("RUNTIME_DIRECTORY")
        .and_then(|dirs| dirs.split(':').next())
        .filter(|dir| !dir.is_empty());
    if let Some(dir) = systemd {
        return PathBuf::from(dir);
    }
    if let Some(root) = release_root {
        return ops::layout::tmp_dir(root);
    }
    let app_env = if env.get(var::APP_ENV) == Some("prod") {
        AppEnv::Prod
    } else {
        AppEnv::Dev
    };
    data_dir(env, app_env, None).join("tmp")
}

fn data_dir(env: &Environment, app_env: AppEnv, release_root: Option<&Path>) -> PathBuf {
    match (env.get(var::DATA_DIR), app_env, release_root) {
        (Some(dir), _, _) => PathBuf::from(dir),
        (None, AppEnv::Prod, Some(root)) => ops::layout::data_dir(root),
        (None, _, _) => PathBuf::from("./data"),
    }
}

fn secret_key_base(
    env: &Environment,
    app_env: AppEnv,
    data_dir: &Path,
    problems: &mut Vec<Problem>,
) -> SecretKeyBase {
    let example = "SECRET_KEY_BASE=$(donation_platform gen-secret)";
    let generated = SecretKeyBase::Generated(data_dir.join(GENERATED_SECRET_FILE));
    let Ok(found) = read_secret(
        env,
        var::SECRET_KEY_BASE,
        var::SECRET_KEY_BASE_FILE,
        problems,
    ) else {
        return generated;
    };
    let Some(secret) = found else {
        if app_env == AppEnv::Prod {
            problems.push(Problem::new(
                var::SECRET_KEY_BASE,
                "is required when APP_ENV=prod (or set SECRET_KEY_BASE_FILE)",
                example,
            ));
        }
        return generated;
    };
    let length = secret.expose().len();
    if length < SECRET_KEY_BASE_LENGTH_MIN {
        problems.push(Problem::new(
            var::SECRET_KEY_BASE,
            format!("is {length} bytes long; it must be at least {SECRET_KEY_BASE_LENGTH_MIN}"),
            example,
        ));
    }
    SecretKeyBase::Given(secret)
}

/// More earlier keys than this is a pasted list gone wrong, not a rotation history; each is
/// tried on every checkpoint that is not the current key's.
const AUDIT_PREVIOUS_PUBLIC_KEYS_MAX: usize = 32;

fn audit_previous_public_keys(
    env: &Environment,
    problems: &mut Vec<Problem>,
) -> Vec<domain::audit::PublicKey> {
    let example = "AUDIT_PREVIOUS_PUBLIC_KEYS=<public_key of `donation_platform audit head` before the rotation>,…";
    let Some(value) = env.get(var::AUDIT_PREVIOUS_PUBLIC_KEYS) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (index, text) in value.split(',').map(str::trim).enumerate() {
        if text.is_empty() {
            continue;
        }
        match text.parse() {
            Ok(key) => keys.push(key),
            Err(err) => problems.push(Problem::new(
                var::AUDIT_PREVIOUS_PUBLIC_KEYS,
                format!("key {} ({}) {err}", index + 1, quote(text)),
                example,
            )),
        }
    }
    if keys.len() > AUDIT_PREVIOUS_PUBLIC_KEYS_MAX {
        problems.push(Problem::new(
            var::AUDIT_PREVIOUS_PUBLIC_KEYS,
            format!(
                "lists {} keys; at most {AUDIT_PREVIOUS_PUBLIC_KEYS_MAX} are accepted",
                keys.len()
            ),
            example,
        ));
    }
    keys
}

fn ssl_cert_file(env: &Environment, problems: &mut Vec<Problem>) -> Option<PathBuf> {
    let path = PathBuf::from(env.get(var::SSL_CERT_FILE)?);
    if !path.is_file() {
        problems.push(Problem::new(
            var::SSL_CERT_FILE,
            format!("`{}` does not exist or is not a file", path.display()),
            "SSL_CERT_FILE=/etc/ssl/certs/db-ca.pem",
        ));
    }
    Some(path)
}

fn database_url(
    env: &Environment,
    app_env: AppEnv,
    data_dir: &Path,
    ssl_cert_file_set: bool,
    problems: &mut Vec<Problem>,
) -> Secret {
    let prod = app_env == AppEnv::Prod;
    let file = data_dir.join(DEFAULT_DATABASE_FILE);
    let default = Secret::new(format!("sqlite://{}", file.display()));
    let Ok(found) = read_secret(env, var::DATABASE_URL, var::DATABASE_URL_FILE, problems) else {
        return default;
    };
    let Some(url) = found else {
        if prod {
            problems.push(Problem::new(
                var::DATABASE_URL,
                "is required when APP_ENV=prod (or set DATABASE_URL_FILE)",
                DATABASE_URL_EXAMPLE,
            ));
        }
        return default;
    };
    problems.extend(check_database_url(url.expose(), prod, ssl_cert_file_set));
    url
}

fn port(env: &Environment, problems: &mut Vec<Problem>) -> u16 {
    let Some(value) = env.get(var::PORT) else {
        return DEFAULT_PORT;
    };
    value.parse().unwrap_or_else(|_| {
        problems.push(Problem::new(
            var::PORT,
            format!(
                "{} is not a port number: use 1 to 65535 (0 picks a free port)",
                quote(value)
            ),
            "PORT=4000",
        ));
        DEFAULT_PORT
    })
}

fn pool_size(env: &Environment, problems: &mut Vec<Problem>) -> u32 {
    let Some(value) = env.get(var::POOL_SIZE) else {
        return DEFAULT_POOL_SIZE;
    };
    match value.parse::<u32>() {
        Ok(size) if (1..=POOL_SIZE_MAX).contains(&size) => size,
        _ => {
            problems.push(Problem::new(
                var::POOL_SIZE,
                format!(
                    "{} is not a pool size: use a whole number from 1 to {POOL_SIZE_MAX}",
                    quote(value)
                ),
                "POOL_SIZE=10",
            ));
            DEFAULT_POOL_SIZE
        }
    }
}

/// The most `ZAKAT_RATE_LIMIT` accepts: a million a minute is no limit in practice.
const ZAKAT_RATE_LIMIT_MAX: u32 = 1_000_000;

fn zakat_rate_limit(env: &Environment, problems: &mut Vec<Problem>) -> u32 {
    let Some(value) = env.get(var::ZAKAT_RATE_LIMIT) else {
        return web::ZAKAT_RATE_PER_MINUTE_DEFAULT;
    };
    match value.parse::<u32>() {
        Ok(rate) if rate <= ZAKAT_RATE_LIMIT_MAX => rate,
        _ => {
            problems.push(Problem::new(
                var::ZAKAT_RATE_LIMIT,
                format!(
                    "{} is not a rate: use requests per minute per client, 0 to {ZAKAT_RATE_LIMIT_MAX} (0: no limit)",
                    quote(value)
                ),
                "ZAKAT_RATE_LIMIT=600",
            ));
            web::ZAKAT_RATE_PER_MINUTE_DEFAULT
        }
    }
}

/// CIDRs `TRUSTED_PROXIES` accepts at most: a deployment has a few proxies or one network.
const TRUSTED_PROXIES_MAX: usize = 64;

fn trusted_proxies(env: &Environment, problems: &mut Vec<Problem>) -> Vec<ipnet::IpNet> {
    let Some(value) = env.get(var::TRUSTED_PROXIES) else {
        return Vec::new();
    };
    let example = "TRUSTED_PROXIES=10.0.0.0/8,192.0.2.7/32,::1/128";
    let mut proxies = Vec::new();
    let mut bad = Vec::new();
    for entry in value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        // A bare address is its own /32 or /128.
        let parsed = entry
            .parse::<ipnet::IpNet>()
            .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
        match parsed {
            Ok(net) => proxies.push(net.trunc()),
            Err(_) => bad.push(quote(entry)),
        }
    }
    if !bad.is_empty() {
        problems.push(Problem::new(
            var::TRUSTED_PROXIES,
            format!(
                "{} is not an address or CIDR such as `10.0.0.0/8`",
                bad.join(", ")
            ),
            example,
        ));
    } else if proxies.len() > TRUSTED_PROXIES_MAX {
        problems.push(Problem::new(
            var::TRUSTED_PROXIES,
            format!(
                "lists {} networks; at most {TRUSTED_PROXIES_MAX}: use wider CIDRs",
                proxies.len()
            ),
            example,
        ));
    } else if let Some(everything) = proxies.iter().find(|net| net.prefix_len() == 0) {
        problems.push(Problem::new(
            var::TRUSTED_PROXIES,
            format!("`{everything}` trusts every address, so any client could name itself in `X-Forwarded-For`: list only your proxies"),
            example,
        ));
    }
    proxies
}

fn metrics_port(env: &Environment, port: u16, problems: &mut Vec<Problem>) -> Option<u16> {
    let value = env.get(var::METRICS_PORT)?;
    match value.parse::<u16>() {
        Ok(metrics) if metrics != 0 && metrics == port => {
            problems.push(Problem::new(
                var::METRICS_PORT,
                format!(
                    "is the same as PORT ({port}): the metrics listener needs a port of its own"
                ),
                "METRICS_PORT=9568",
            ));
            None
        }
        Ok(metrics) => Some(metrics),
        Err(_) => {
            problems.push(Problem::new(
                var::METRICS_PORT,
                format!(
                    "{} is not a port number: use 1 to 65535 (0 picks a free port)",
                    quote(value)
                ),
                "METRICS_PORT=9568",
            ));
            None
        }
    }
}

fn metrics_address(env: &Environment, problems: &mut Vec<Problem>) -> std::net::IpAddr {
    let loopback = std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST);
    let Some(value) = env.get(var::METRICS_ADDRESS) else {
        return loopback;
    };
    value.parse().unwrap_or_else(|_| {
        problems.push(Problem::new(
            var::METRICS_ADDRESS,
            format!("{} is not an IP address", quote(value)),
            "METRICS_ADDRESS=127.0.0.1 (or ::1, or a private interface's address)",
        ));
        loopback
    })
}

/// A metrics token shorter than this could be guessed by a scraper-shaped brute force.
pub const METRICS_TOKEN_LENGTH_MIN: usize = 32;

fn metrics_token(env: &Environment, problems: &mut Vec<Problem>) -> Option<Secret> {
    let token = read_secret(env, var::METRICS_TOKEN, var::METRICS_TOKEN_FILE, problems).ok()??;
    let length = token.expose().len();
    let printable = token.expose().bytes().all(|b| b.is_ascii_graphic());
    if length < METRICS_TOKEN_LENGTH_MIN || !printable {
        problems.push(Problem::new(
            var::METRICS_TOKEN,
            format!(
                "must be at least {METRICS_TOKEN_LENGTH_MIN} visible ASCII characters, without spaces (it is {length} bytes long)"
            ),
            "METRICS_TOKEN=$(donation_platform gen-secret)",
        ));
    }
    Some(token)
}

/// More connections than this is a typo: each takes a file descriptor and memory (see
/// `web::server::MAX_CONNECTIONS_DEFAULT` for the sizing).
const MAX_CONNECTIONS_MAX: usize = 1_000_000;

/// A timeout shorter than this would cut off ordinary clients on a slow network.
const HTTP_TIMEOUT_MIN: Duration = Duration::from_millis(100);

/// A timeout longer than this no longer protects anything.
const HTTP_TIMEOUT_MAX: Duration = Duration::from_secs(3_600);

fn http_limits(env: &Environment, problems: &mut Vec<Problem>) -> web::server::Limits {
    let defaults = web::server::Limits::default();
    let max_connections = match env.get(var::MAX_CONNECTIONS) {
        None => defaults.max_connections,
        Some(value) => match value.parse::<usize>() {
            Ok(count) if (1..=MAX_CONNECTIONS_MAX).contains(&count) => count,
            _ => {
                problems.push(Problem::new(
                    var::MAX_CONNECTIONS,
                    format!(
                        "{} is not a connection count: use a whole number from 1 to {MAX_CONNECTIONS_MAX}",
                        quote(value)
                    ),
                    "MAX_CONNECTIONS=8192",
                ));
                defaults.max_connections
            }
        },
    };
    let mut timeout = |name: &'static str, default: Duration, example: &'static str| {
        let Some(value) = env.get(name) else {
            return default;
        };
        match parse_duration(value) {
            Some(duration) if (HTTP_TIMEOUT_MIN..=HTTP_TIMEOUT_MAX).contains(&duration) => duration,
            _ => {
                problems.push(Problem::new(
                    name,
                    format!(
                        "{} is not a timeout: use seconds (`30`, `30s`) or milliseconds (`500ms`), from 100ms to 3600s",
                        quote(value)
                    ),
                    example,
                ));
                default
            }
        }
    };
    web::server::Limits {
        max_connections,
        header_read_timeout: timeout(
            var::HEADER_READ_TIMEOUT,
            defaults.header_read_timeout,
            "HEADER_READ_TIMEOUT=10s",
        ),
        keep_alive_timeout: timeout(
            var::KEEP_ALIVE_TIMEOUT,
            defaults.keep_alive_timeout,
            "KEEP_ALIVE_TIMEOUT=60s",
        ),
        request_timeout: timeout(
            var::REQUEST_TIMEOUT,
            defaults.request_timeout,
            "REQUEST_TIMEOUT=30s",
        ),
    }
}

/// `30`, `30s` (seconds) or `500ms`.
fn parse_duration(value: &str) -> Option<Duration> {
    let (number, unit) = match value.strip_suffix("ms") {
        Some(number) => (number, Duration::from_millis(1)),
        None => (
            value.strip_suffix('s').unwrap_or(value),
            Duration::from_secs(1),
        ),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    unit.checked_mul(number.parse().ok()?)
}

/// A duration as `config show` prints it and the variables accept it: `30s`, `500ms`.
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

fn host(env: &Environment, problems: &mut Vec<Problem>) -> String {
    let host = env.get(var::HOST).unwrap_or("localhost").to_owned();
    if url::Host::parse(&host).is_err() || host.contains(['/', ':', '@']) {
        problems.push(Problem::new(
            var::HOST,
            format!(
                "{} is not a host name (no scheme, port or path)",
                quote(&host)
            ),
            "HOST=donasi.example.org",
        ));
    }
    host
}

fn log_level(env: &Environment, problems: &mut Vec<Problem>) -> String {
    let level = env.get(var::LOG_LEVEL).unwrap_or("info").to_owned();
    if EnvFilter::try_new(&level).is_err() {
        problems.push(Problem::new(
            var::LOG_LEVEL,
            format!("{} is not a log filter", quote(&level)),
            "LOG_LEVEL=info (or error, warn, debug, trace, `info,sqlx=warn`)",
        ));
    }
    level
}

fn log_format(env: &Environment, app_env: AppEnv, problems: &mut Vec<Problem>) -> LogFormat {
    match env.get(var::LOG_FORMAT) {
        None if app_env == AppEnv::Prod => LogFormat::Json,
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            problems.push(Problem::new(
                var::LOG_FORMAT,
                format!("{} is not a log format: use `text` or `json`", quote(other)),
                "LOG_FORMAT=json",
            ));
            LogFormat::Text
        }
    }
}

const DATABASE_URL_EXAMPLE: &str =
    "DATABASE_URL=postgres://app@db.internal/donations?sslmode=verify-full (with SSL_CERT_FILE)";

/// A problem already added to the report; the caller adds no other for the same variable.
struct Reported;

/// Reads a secret from `name` or from the file `file_var` names; never both.
fn read_secret(
    env: &Environment,
    name: &'static str,
    file_var: &'static str,
    problems: &mut Vec<Problem>,
) -> Result<Option<Secret>, Reported> {
    let example = format!(
        "{file_var}=/run/credentials/donation_platform.service/{}",
        name.to_lowercase()
    );
    match (env.get(name), env.get(file_var)) {
        (Some(_), Some(_)) => {
            let what = format!("is set together with {name}: set only one");
            problems.push(Problem::new(file_var, what, example));
            Err(Reported)
        }
        (Some(value), None) => Ok(Some(Secret::new(value.to_owned()))),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(contents) => Ok(Some(Secret::new(
                contents.trim_end_matches(['\n', '\r']).to_owned(),
            ))),
            Err(err) => {
                let what = format!("cannot read `{path}`: {err}");
                problems.push(Problem::new(file_var, what, example));
                Err(Reported)
            }
        },
        (None, None) => Ok(None),
    }
}

/// Checks a database URL without echoing it (it may carry a password).
fn check_database_url(url: &str, prod: bool, ssl_cert_file_set: bool) -> Vec<Problem> {
    let problem = |what: String| vec![Problem::new(var::DATABASE_URL, what, DATABASE_URL_EXAMPLE)];
    let Some((scheme, rest)) = url.split_once(':') else {
        return problem("is not a URL: it must start with `sqlite://` or `postgres://`".to_owned());
    };
    match scheme {
        "sqlite" if rest.trim_start_matches('/').is_empty() => {
            problem("names no database file: use `sqlite://path/to/file.db`".to_owned())
        }
        "sqlite" => Vec::new(),
        "postgres" | "postgresql" => match url::Url::parse(url) {
            Err(err) => problem(format!("is not a valid PostgreSQL URL: {err}")),
            Ok(parsed) if prod => check_postgres_tls(&parsed, ssl_cert_file_set)
                .map(|what| problem(what.to_owned()))
                .unwrap_or_default(),
            Ok(_) => Vec::new(),
        },
        scheme => {
            let shown = if scheme.len() <= 20
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
            {
                format!("uses the scheme `{scheme}`")
            } else {
                "has no recognisable scheme".to_owned()
            };
            problem(format!(
                "{shown}: only `sqlite://` and `postgres://` are supported"
            ))
        }
    }
}

/// In prod a PostgreSQL connection over the network must verify the server's certificate
/// against a CA we name; a Unix socket needs no TLS.
fn check_postgres_tls(url: &url::Url, ssl_cert_file_set: bool) -> Option<&'static str> {
    let param = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let host = param("host").unwrap_or_else(|| percent_decode(url.host_str().unwrap_or_default()));
    if host.starts_with('/') {
        return None;
    }
    if param("sslmode").as_deref() != Some("verify-full") {
        return Some(
            "does not verify the server certificate: add `sslmode=verify-full` and set SSL_CERT_FILE (or `sslrootcert=`), or connect through a Unix socket",
        );
    }
    if !ssl_cert_file_set && param("sslrootcert").is_none() {
        return Some(
            "uses `sslmode=verify-full` but names no CA: set SSL_CERT_FILE or add `sslrootcert=/path/to/ca.pem`",
        );
    }
    None
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// A user-supplied (non-secret) value for an error message, cut short if long.
fn quote(value: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 40;
    if value.chars().count() > SHOWN_CHARS_MAX {
        format!(
            "`{}…`",
            value.chars().take(SHOWN_CHARS_MAX).collect::<String>()
        )
    } else {
        format!("`{value}`")
    }
}

impl fmt::Display for AppEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
