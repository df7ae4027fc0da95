//! `gen-secret`, and the dev secret kept in `DATA_DIR`.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use base64::Engine as _;

use crate::config::{SECRET_KEY_BASE_LENGTH_MIN, Secret};

/// Random bytes in a generated secret; base64 makes 86 characters of them, well above
/// [`SECRET_KEY_BASE_LENGTH_MIN`].
const GENERATED_SECRET_BYTES: usize = 64;

/// `gen-secret`: prints a fresh secret.
pub fn generate() -> anyhow::Result<ExitCode> {
    println!("{}", fresh_secret()?.expose());
    Ok(ExitCode::SUCCESS)
}

fn fresh_secret() -> anyhow::Result<Secret> {
    let mut bytes = [0_u8; GENERATED_SECRET_BYTES];
    getrandom::fill(&mut bytes).context("the operating system has no randomness to give")?;
    Ok(Secret::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ))
}

/// The dev secret in `path`, generated (owner-only, mode 0600) on first use.
pub fn load_or_generate(path: &Path) -> anyhow::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(contents) => {
            let secret = Secret::new(contents.trim_end().to_owned());
            anyhow::ensure!(
                secret.expose().len() >= SECRET_KEY_BASE_LENGTH_MIN,
                "the generated secret in `{}` is too short: delete the file to generate a new one",
                path.display()
            );
            Ok(secret)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let secret = fresh_secret()?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create `{}`", dir.display()))?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?;
            writeln!(file, "{}", secret.expose())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            tracing::info!(path = %path.display(), "generated a dev SECRET_KEY_BASE");
            Ok(secret)
        }
        Err(err) => Err(err).with_context(|| format!("cannot read `{}`", path.display())),
    }
}
