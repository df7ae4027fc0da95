//! `user create|list|disable`, `token create|revoke`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use domain::Role;
use storage::StorageError;
use storage::ledger::LedgerError;

use super::{operator, with_ledger};
use crate::exit::{self, Exit};

/// Creates a user with a password from `password_file` or a prompt.
pub fn create(
    env_file: Option<&Path>,
    email: &str,
    role: Role,
    password_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let email = checked_email(email)?;
    let password = read_password(password_file)?;
    let mut salt = [0; 16];
    getrandom::fill(&mut salt).context("cannot get random bytes from the operating system")?;
    let hash = domain::credentials::hash_password(&password, salt)
        .map_err(|err| Exit::new(exit::USAGE, err.to_string()))?;
    with_ledger(env_file, async |database, key| {
        let id = database
            .create_user(key, &operator(), &email, role, &hash)
            .await
            .map_err(|err| match err {
                LedgerError::Storage(err) if matches!(*err, StorageError::Conflict { .. }) => {
                    Exit::new(
                        exit::USAGE,
                        format!("a user with e-mail `{email}` exists already"),
                    )
                    .into()
                }
                other => anyhow::Error::from(other).context("cannot create the user"),
            })?;
        println!("created user {id} {email} ({role})");
        Ok(ExitCode::SUCCESS)
    })
}

/// Lists users.
pub fn list(env_file: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    with_ledger(env_file, async |database, _| {
        let users = database.users().await.context("cannot list users")?;
        if json {
            println!("{}", serde_json::to_string(&users)?);
        } else {
            println!("{:>5}  {:<8}  {:<9}  email", "id", "role", "status");
            for user in users {
                let status = if user.disabled { "disabled" } else { "active" };
                println!(
                    "{:>5}  {:<8}  {:<9}  {}",
                    user.id,
                    user.role.as_str(),
                    status,
                    user.email
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Disables a user.
pub fn disable(env_file: Option<&Path>, email: &str) -> anyhow::Result<ExitCode> {
    with_ledger(env_file, async |database, key| {
        let id = database
            .disable_user(key, &operator(), email)
            .await
            .map_err(|err| not_found(err, email))?;
        println!("disabled user {id} {email}; their tokens no longer work");
        Ok(ExitCode::SUCCESS)
    })
}

/// Creates a token living `expires_in` (default [`TOKEN_LIFETIME_DEFAULT`]) and prints it once.
///
/// [`TOKEN_LIFETIME_DEFAULT`]: domain::credentials::TOKEN_LIFETIME_DEFAULT
pub fn create_token(
    env_file: Option<&Path>,
    email: &str,
    expires_in: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let lifetime = match expires_in {
        Some(text) => domain::credentials::parse_token_lifetime(text)
            .map_err(|err| Exit::new(exit::USAGE, format!("`--expires-in`: {err}")))?,
        None => domain::credentials::TOKEN_LIFETIME_DEFAULT,
    };
    // Whole seconds: the expiry is shown to people and compared across backends.
    let expires_at = (time::OffsetDateTime::now_utc() + lifetime)
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc() + lifetime);
    let mut random = [0; 32];
    getrandom::fill(&mut random).context("cannot get random bytes from the operating system")?;
    let token = domain::credentials::token_from_bytes(random);
    let hash = domain::credentials::token_hash(&token);
    with_ledger(env_file, async |database, key| {
        let id = database
            .create_token(key, &operator(), email, &hash, Some(expires_at))
            .await
            .map_err(|err| not_found(err, email))?;
        let expiry = expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| expires_at.to_string());
        // The token alone on stdout, so `TOKEN=$(donation_platform token create …)` works.
        println!("{token}");
        eprintln!(
            "token {id} for {email}, valid until {expiry}: store it now, it is not shown again (revoke with `token revoke --id {id}`)"
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// Revokes a token.
pub fn revoke_token(env_file: Option<&Path>, id: i64) -> anyhow::Result<ExitCode> {
    with_ledger(env_file, async |database, key| {
        database
            .revoke_token(key, &operator(), id)
            .await
            .map_err(|err| match err {
                LedgerError::Storage(err) if matches!(*err, StorageError::NotFound) => {
                    Exit::new(exit::USAGE, format!("no live token with id {id}")).into()
                }
                other => anyhow::Error::from(other).context("cannot revoke the token"),
            })?;
        println!("revoked token {id}");
        Ok(ExitCode::SUCCESS)
    })
}

fn not_found(err: LedgerError, email: &str) -> anyhow::Error {
    match err {
        LedgerError::Storage(err) if matches!(*err, StorageError::NotFound) => Exit::new(
            exit::USAGE,
            format!("no active user with e-mail `{email}` (see `donation_platform user list`)"),
        )
        .into(),
        other => anyhow::Error::from(other),
    }
}

fn checked_email(email: &str) -> anyhow::Result<String> {
    domain::credentials::user_email(email)
        .map_err(|err| Exit::new(exit::USAGE, err.to_string()).into())
}

fn read_password(password_file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(path) = password_file {
        let contents = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        return Ok(contents.lines().next().unwrap_or_default().to_owned());
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Exit::new(
            exit::USAGE,
            "no terminal to ask for a password: give `--password-file PATH`",
        )
        .into());
    }
    let password = rpassword::prompt_password("password: ").context("cannot read the password")?;
    let again = rpassword::prompt_password("again: ").context("cannot read the password")?;
    if password != again {
        return Err(Exit::new(exit::USAGE, "the passwords differ").into());
    }
    Ok(password)
}
