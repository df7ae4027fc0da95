//! `config check` and `config show`.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value};

use super::load_config;
use crate::config::{Config, REDACTED, SecretKeyBase, env_vars as var, format_duration};

/// Validates the configuration; the report (exit 78) is printed by the caller.
pub fn check(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(env_file)?;
    println!("the configuration is valid (APP_ENV={})", config.app_env);
    Ok(ExitCode::SUCCESS)
}

/// Prints the effective configuration with secrets redacted.
pub fn show(env_file: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(env_file)?;
    let rows = effective(&config);
    if json {
        let object: Map<String, Value> = rows
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value)))
            .collect();
        println!("{}", serde_json::to_string_pretty(&object)?);
    } else {
        let rows = rows.iter().map(|(name, value)| (*name, value.as_str()));
        println!("{}", super::two_columns(rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// Every setting with its effective value, secrets redacted.
pub(crate) fn effective(config: &Config) -> Vec<(&'static str, String)> {
    let secret = match &config.secret_key_base {
        SecretKeyBase::Given(_) => REDACTED.to_owned(),
        SecretKeyBase::Generated(path) => {
            format!("{REDACTED} (dev: generated in {})", path.display())
        }
    };
    vec![
        (var::APP_ENV, config.app_env.to_string()),
        (var::DATABASE_URL, redact_url(config.database_url.expose())),
        (var::SECRET_KEY_BASE, secret),
        (
            var::AUDIT_PREVIOUS_PUBLIC_KEYS,
            config
                .audit_previous_public_keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        (var::PORT, config.port.to_string()),
        (var::HOST, config.host.clone()),
        (var::POOL_SIZE, config.pool_size.to_string()),
        (
            var::SSL_CERT_FILE,
            config
                .ssl_cert_file
                .as_ref()
                .map_or_else(String::new, |path| path.display().to_string()),
        ),
        (var::DATA_DIR, config.data_dir.display().to_string()),
        (var::LOG_LEVEL, config.log_level.clone()),
        (var::LOG_FORMAT, config.log_format.as_str().to_owned()),
        (var::ZAKAT_RATE_LIMIT, config.zakat_rate_limit.to_string()),
        (
            var::RELEASE_PUBLIC_KEY,
            config
                .release_public_key
                .as_ref()
                .map_or_else(String::new, |key| key.as_str().to_owned()),
        ),
        (
            var::TRUSTED_PROXIES,
            config
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            var::METRICS_PORT,
            config
                .metrics_port
                .map_or_else(String::new, |port| port.to_string()),
        ),
        (var::METRICS_ADDRESS, config.metrics_address.to_string()),
        (
            var::METRICS_TOKEN,
            config
                .metrics_token
                .as_ref()
                .map_or_else(String::new, |_| REDACTED.to_owned()),
        ),
        (
            var::MAX_CONNECTIONS,
            config.http_limits.max_connections.to_string(),
        ),
        (
            var::HEADER_READ_TIMEOUT,
            format_duration(config.http_limits.header_read_timeout),
        ),
        (
            var::KEEP_ALIVE_TIMEOUT,
            format_duration(config.http_limits.keep_alive_timeout),
        ),
        (
            var::REQUEST_TIMEOUT,
            format_duration(config.http_limits.request_timeout),
        ),
    ]
}

/// The URL with every password in it replaced by `***`: the userinfo's, and the value of
/// every query parameter whose name contains `password` in any case (`password=`,
/// `sslpassword=`, `PassWord=`). A URL that cannot be parsed is shown as `***` whole.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return if url.starts_with("sqlite:") && !url.contains('?') {
            url.to_owned()
        } else {
            REDACTED.to_owned()
        };
    };
    let mut changed = false;
    if parsed.password().is_some() {
        parsed.set_password(Some(REDACTED)).ok();
        changed = true;
    }
    let is_password = |name: &str| name.to_ascii_lowercase().contains("password");
    if parsed.query_pairs().any(|(name, _)| is_password(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_password(&name) {
                    REDACTED.to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    if changed {
        parsed.to_string()
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_password_is_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/x?sslmode=verify-full"),
            "postgres://app:***@db:5432/x?sslmode=verify-full"
        );
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    #[test]
    fn every_password_form_in_a_url_is_redacted() {
        for (url, shown) in [
            (
                "postgres://app@db/x?password=hunter2&sslmode=verify-full",
                "postgres://app@db/x?password=***&sslmode=verify-full",
            ),
            (
                "postgres://app@db/x?sslmode=verify-full&PassWord=hunter2",
                "postgres://app@db/x?sslmode=verify-full&PassWord=***",
            ),
            (
                "postgres://app@db/x?sslpassword=hunter2",
                "postgres://app@db/x?sslpassword=***",
            ),
            (
                "postgresql://app:hunter2@db/x?password=hunter2",
                "postgresql://app:***@db/x?password=***",
            ),
            (
                "postgres://app@db/x?pass%77ord=hunter2",
                "postgres://app@db/x?password=***",
            ),
            (
                "sqlite://./data/x.db?password=hunter2",
                "sqlite://./data/x.db?password=***",
            ),
            ("postgres://app:hunter2@[::1/x", "***"),
        ] {
            let redacted = redact_url(url);
            assert_eq!(redacted, shown);
            assert!(!redacted.contains("hunter2"), "{redacted}");
        }
    }
}
