//! Installing a release from the tarball an operator copied into `releases/<version>/`.
//!
//! `upgrade` may run as root, on a file that came over the network, so it fails closed:
//!
//! - the checksum file `<tarball>.sha256` is required, and when `RELEASE_PUBLIC_KEY` is set so
//!   is a minisign signature `<tarball>.minisig` that verifies with it;
//! - both are computed on the one open file that is then unpacked (opened once, hashed, read
//!   again from the start, and hashed again while unpacking: a file swapped by path or
//!   rewritten in place in the meantime is refused);
//! - every entry of the archive is checked, even those not installed: only regular files and
//!   directories, no `..` or absolute path, no setuid, setgid or sticky bit, at most
//!   [`ENTRIES_MAX`] entries and [`UNPACKED_BYTES_MAX`] bytes;
//! - only `releases/<version>/donation_platform` and `env` are installed, written by us (never
//!   by the archive's own metadata) with mode 0755 or 0644, into a staging directory inside
//!   `releases/`, and renamed into place once everything was accepted. A refusal installs
//!   nothing.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek as _, SeekFrom};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::layout::{BINARY_NAME, ENV_FILE_NAME};
use crate::release::{ReleaseRoot, Version};

/// A release tarball holds about ten entries (`bin/`, `releases/<version>/…`, `tmp/`, `var/`);
/// a thousand is an archive built to exhaust something.
pub const ENTRIES_MAX: usize = 1_024;

/// The release binary is tens of megabytes (a debug build a few hundred); more than this,
/// summed over every entry, is not a release.
pub const UNPACKED_BYTES_MAX: u64 = 1 << 30;

/// A `.sha256` or `.minisig` file is a few hundred bytes.
const SIDE_FILE_BYTES_MAX: u64 = 4 * 1024;

/// How much of an entry's name or link target an error message quotes.
const SHOWN_CHARS_MAX: usize = 120;

/// A minisign public key (Ed25519), as `RELEASE_PUBLIC_KEY` holds it: the second line of
/// `minisign.pub`.
#[derive(Clone)]
pub struct ReleaseKey {
    key: minisign_verify::PublicKey,
    text: String,
}

/// Text that is not a minisign public key.
#[derive(Debug, thiserror::Error)]
#[error(
    "is not a minisign public key ({reason}): use the base64 line of minisign.pub (`RW…`, 56 characters), e.g. RELEASE_PUBLIC_KEY=$(tail -n 1 minisign.pub)"
)]
pub struct KeyError {
    reason: String,
}

impl ReleaseKey {
    /// `text` (the base64 key) as a key, or why not.
    pub fn parse(text: &str) -> Result<ReleaseKey, KeyError> {
        let text = text.trim();
        minisign_verify::PublicKey::from_base64(text)
            .map(|key| ReleaseKey {
                key,
                text: text.to_owned(),
            })
            .map_err(|err| KeyError {
                reason: err.to_string(),
            })
    }

    /// The key as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Debug for ReleaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ReleaseKey").field(&self.text).finish()
    }
}

/// What an install did.
#[derive(Debug)]
pub struct Installed {
    /// The tarball unpacked.
    pub tarball: PathBuf,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Whether a signature was verified (a release key is configured).
    pub signed: bool,
}

/// Why an entry of the archive is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    /// A symbolic link (`env -> /etc/shadow`).
    #[error("is a symbolic link to `{0}`")]
    Symlink(String),
    /// A hard link, which could name any file the unpacking user can read.
    #[error("is a hard link to `{0}`")]
    HardLink(String),
    /// A device, fifo, sparse file or extension header.
    #[error("is a {0}, not a regular file or directory")]
    OtherKind(&'static str),
    /// Setuid, setgid or sticky.
    #[error("has mode {0:04o}: setuid, setgid and sticky bits are never installed")]
    SpecialMode(u32),
    /// `/etc/…`.
    #[error("is an absolute path")]
    Absolute,
    /// `../…`.
    #[error("leaves the release root (`..`)")]
    ParentDir,
    /// No name at all.
    #[error("has an empty name")]
    Empty,
    /// The same installed file twice: which one would win depends on the unpacker.
    #[error("appears twice")]
    Duplicate,
    /// A header the archive reader cannot decode.
    #[error("has an unreadable header ({0})")]
    Unreadable(String),
}

/// Why nothing was installed. Every message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No tarball in `releases/<version>/`.
    #[error(
        "release {version} is not installed: copy donation_platform-{version}.tar.gz and its .sha256 (and .minisig when RELEASE_PUBLIC_KEY is set) into {}/ and run `upgrade {version}` again",
        dir.display()
    )]
    NotFound {
        /// The release.
        version: Version,
        /// Where its tarball should be.
        dir: PathBuf,
    },
    /// The `.sha256` is missing.
    #[error(
        "{} is missing, so the tarball's integrity cannot be checked and nothing was installed: copy the .sha256 that `cargo xtask release` wrote next to the tarball (or make one on the build machine with `sha256sum {} > {}`)",
        checksum_file.display(), file_name(tarball), file_name(checksum_file)
    )]
    ChecksumMissing {
        /// The tarball.
        tarball: PathBuf,
        /// The checksum file expected beside it.
        checksum_file: PathBuf,
    },
    /// The `.sha256` holds no SHA-256.
    #[error(
        "{} holds no SHA-256 (`<64 hex digits>  <file name>`, as `sha256sum` writes it); nothing was installed: copy it again from the build machine",
        checksum_file.display()
    )]
    ChecksumMalformed {
        /// The checksum file.
        checksum_file: PathBuf,
    },
    /// The tarball's SHA-256 differs.
    #[error(
        "{} does not match {} (sha256 {actual}, expected {expected}): the copy is damaged or not this release; nothing was installed: copy both files again",
        tarball.display(), checksum_file.display()
    )]
    ChecksumMismatch {
        /// The tarball.
        tarball: PathBuf,
        /// The checksum file.
        checksum_file: PathBuf,
        /// The tarball's digest.
        actual: String,
        /// The digest the file names.
        expected: String,
    },
    /// A key is configured but the signature is missing.
    #[error(
        "{} is missing and RELEASE_PUBLIC_KEY is set, so only signed releases are installed; nothing was installed: copy the .minisig that `cargo xtask release` wrote with RELEASE_SIGNING_KEY (or sign on the build machine with `minisign -S -m {}`)",
        signature_file.display(), file_name(tarball)
    )]
    SignatureMissing {
        /// The tarball.
        tarball: PathBuf,
        /// The signature file expected beside it.
        signature_file: PathBuf,
    },
    /// The signature does not verify.
    #[error(
        "the signature {} does not verify with RELEASE_PUBLIC_KEY ({reason}): the tarball was not signed with the release key, or was changed after signing; nothing was installed",
        signature_file.display()
    )]
    SignatureInvalid {
        /// The signature file.
        signature_file: PathBuf,
        /// What the verifier said.
        reason: String,
    },
    /// The file changed between the checks and the unpacking.
    #[error(
        "{} changed while it was being unpacked; nothing was installed: make sure nothing writes to releases/ during `upgrade`, then run it again",
        tarball.display()
    )]
    Changed {
        /// The tarball.
        tarball: PathBuf,
    },
    /// An entry is refused.
    #[error("{} is refused, nothing was installed: entry `{entry}` {problem}; release tarballs hold only regular files and directories (build them with `cargo xtask release`)", tarball.display())]
    Refused {
        /// The tarball.
        tarball: PathBuf,
        /// The entry's name, escaped and cut short.
        entry: String,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// Too many entries.
    #[error("{} has more than {ENTRIES_MAX} entries: it is not a release tarball; nothing was installed", tarball.display())]
    TooManyEntries {
        /// The tarball.
        tarball: PathBuf,
    },
    /// Too many bytes.
    #[error("{} unpacks to more than {UNPACKED_BYTES_MAX} bytes: it is not a release tarball; nothing was installed", tarball.display())]
    TooLarge {
        /// The tarball.
        tarball: PathBuf,
    },
    /// Not a gzip'd tar archive, or cut short.
    #[error("{} cannot be read as a .tar.gz ({reason}); nothing was installed: copy it again", tarball.display())]
    Damaged {
        /// The tarball.
        tarball: PathBuf,
        /// What the reader said.
        reason: String,
    },
    /// The archive holds no binary for this version.
    #[error("{} holds no releases/{version}/donation_platform: it is not release {version}; nothing was installed", tarball.display())]
    NoBinary {
        /// The tarball.
        tarball: PathBuf,
        /// The release asked for.
        version: Version,
    },
    /// The file system said no.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Installs release `version` into `root` from the tarball in `releases/<version>/`
/// (`donation_platform-<version>.tar.gz`, or `donation_platform.tar.gz`), checked as the
/// module says; `key` is `RELEASE_PUBLIC_KEY`.
pub fn install(
    root: &ReleaseRoot,
    version: &Version,
    key: Option<&ReleaseKey>,
) -> Result<Installed, InstallError> {
    let dir = root.release_dir(version);
    let tarball = find_tarball(&dir, version)?;
    let checksum_file = beside(&tarball, "sha256");
    let Some(checksum) = read_side_file(&checksum_file)? else {
        return Err(InstallError::ChecksumMissing {
            tarball,
            checksum_file,
        });
    };
    let expected = parse_checksum(&checksum).ok_or_else(|| InstallError::ChecksumMalformed {
        checksum_file: checksum_file.clone(),
    })?;
    let signed = match key {
        Some(key) => Some((key, read_signature(&tarball)?)),
        None => None,
    };

    let mut file = File::open(&tarball).map_err(io_error("open", &tarball))?;
    let is_file = file
        .metadata()
        .map_err(io_error("inspect", &tarball))?
        .is_file();
    if !is_file {
        return Err(InstallError::Damaged {
            tarball,
            reason: "not a regular file".to_owned(),
        });
    }
    let actual = hash_and_verify(&mut file, &tarball, signed.as_ref())?;
    if actual != expected {
        return Err(InstallError::ChecksumMismatch {
            tarball,
            checksum_file,
            actual,
            expected,
        });
    }

    // The same open file again, from the start.
    file.seek(SeekFrom::Start(0))
        .map_err(io_error("rewind", &tarball))?;
    let staging = Staging::create(root, version)?;
    let rehashed = unpack(file, &tarball, version, &staging.dir)?;
    if rehashed != actual {
        return Err(InstallError::Changed { tarball });
    }
    // Everything accepted: into place, the binary last (its presence marks the release
    // installed).
    fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
    for name in [ENV_FILE_NAME, BINARY_NAME] {
        let source = staging.dir.join(name);
        if source.exists() {
            fs::rename(&source, dir.join(name)).map_err(io_error("install", &dir.join(name)))?;
        }
    }
    Ok(Installed {
        tarball,
        sha256: actual,
        signed: signed.is_some(),
    })
}

/// The tarball in `releases/<version>/`.
fn find_tarball(dir: &Path, version: &Version) -> Result<PathBuf, InstallError> {
    let candidates = [
        dir.join(format!("donation_platform-{version}.tar.gz")),
        dir.join("donation_platform.tar.gz"),
    ];
    candidates
        .into_iter()
        .find(|path| path.is_file())
        .ok_or_else(|| InstallError::NotFound {
            version: version.clone(),
            dir: dir.to_owned(),
        })
}

/// `<tarball>.minisig`, required because a key is configured.
fn read_signature(tarball: &Path) -> Result<(PathBuf, minisign_verify::Signature), InstallError> {
    let signature_file = beside(tarball, "minisig");
    let Some(text) = read_side_file(&signature_file)? else {
        return Err(InstallError::SignatureMissing {
            tarball: tarball.to_owned(),
            signature_file,
        });
    };
    match minisign_verify::Signature::decode(&text) {
        Ok(signature) => Ok((signature_file, signature)),
        Err(err) => Err(InstallError::SignatureInvalid {
            signature_file,
            reason: err.to_string(),
        }),
    }
}

/// Reads `file` to its end once: its SHA-256 (hex), and the signature verified over the same
/// bytes when there is one.
fn hash_and_verify(
    file: &mut File,
    tarball: &Path,
    signed: Option<&(&ReleaseKey, (PathBuf, minisign_verify::Signature))>,
) -> Result<String, InstallError> {
    let invalid =
        |signature_file: &Path, err: minisign_verify::Error| InstallError::SignatureInvalid {
            signature_file: signature_file.to_owned(),
            reason: err.to_string(),
        };
    let mut verifier = match signed {
        Some((key, (signature_file, signature))) => Some((
            signature_file,
            key.key
                .verify_stream(signature)
                .map_err(|err| invalid(signature_file, err))?,
        )),
        None => None,
    };
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).map_err(io_error("read", tarball))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        if let Some((_, verifier)) = verifier.as_mut() {
            verifier.update(&buffer[..read]);
        }
    }
    if let Some((signature_file, verifier)) = verifier.as_mut() {
        verifier
            .finalize()
            .map_err(|err| invalid(signature_file, err))?;
    }
    Ok(hex(&hasher.finalize()))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> InstallError {
    let path = path.to_owned();
    move |source| InstallError::Io {
        action,
        path,
        source,
    }
}

/// An entry that passed [`check_entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Its path, relative, without `./`.
    pub path: PathBuf,
    /// Whether it is a directory (else a regular file).
    pub is_dir: bool,
    /// The mode it is installed with: 0755 for directories and executables, 0644 otherwise.
    pub mode: u32,
}

/// Checks one archive entry (its header and the path the archive gives it): the rules of the
/// module, without touching the file system.
pub fn check_entry(header: &tar::Header, path: &Path) -> Result<Accepted, EntryProblem> {
    let link = || {
        header
            .link_name()
            .ok()
            .flatten()
            .map(|target| shown(&target.to_string_lossy()))
            .unwrap_or_default()
    };
    let kind = header.entry_type();
    let is_dir = if kind.is_file() || kind.is_contiguous() {
        false
    } else if kind.is_dir() {
        true
    } else if kind.is_symlink() {
        return Err(EntryProblem::Symlink(link()));
    } else if kind.is_hard_link() {
        return Err(EntryProblem::HardLink(link()));
    } else {
        return Err(EntryProblem::OtherKind(kind_name(kind)));
    };
    let mode = header
        .mode()
        .map_err(|err| EntryProblem::Unreadable(err.to_string()))?;
    if mode & 0o7000 != 0 {
        return Err(EntryProblem::SpecialMode(mode & 0o7777));
    }
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(EntryProblem::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Err(EntryProblem::Absolute),
        }
    }
    if relative.as_os_str().is_empty() && !is_dir {
        return Err(EntryProblem::Empty);
    }
    let mode = if is_dir || mode & 0o111 != 0 {
        0o755
    } else {
        0o644
    };
    Ok(Accepted {
        path: relative,
        is_dir,
        mode,
    })
}

/// Reads the archive from `file`, checking every entry and writing this release's two files
/// into `staging`; the SHA-256 of every byte of `file`, read while doing so.
fn unpack(
    file: File,
    tarball: &Path,
    version: &Version,
    staging: &Path,
) -> Result<String, InstallError> {
    let damaged = |err: io::Error| InstallError::Damaged {
        tarball: tarball.to_owned(),
        reason: err.to_string(),
    };
    let refused = |entry: &Path, problem: EntryProblem| InstallError::Refused {
        tarball: tarball.to_owned(),
        entry: shown(&entry.to_string_lossy()),
        problem,
    };
    let prefix = Path::new("releases").join(version.as_str());
    let reader = HashingReader {
        inner: file,
        hasher: Sha256::new(),
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut entries_seen = 0;
    let mut bytes = 0u64;
    let mut installed = HashSet::new();
    // Raw: GNU long names and PAX headers arrive as entries of their own and are refused,
    // rather than read into memory whole, as the reader would otherwise do.
    for entry in archive.entries().map_err(damaged)?.raw(true) {
        let mut entry = entry.map_err(damaged)?;
        entries_seen += 1;
        if entries_seen > ENTRIES_MAX {
            return Err(InstallError::TooManyEntries {
                tarball: tarball.to_owned(),
            });
        }
        let path = entry.path().map_err(damaged)?.into_owned();
        let accepted =
            check_entry(entry.header(), &path).map_err(|problem| refused(&path, problem))?;
        bytes = bytes.saturating_add(entry.size());
        if bytes > UNPACKED_BYTES_MAX {
            return Err(InstallError::TooLarge {
                tarball: tarball.to_owned(),
            });
        }
        if accepted.is_dir || accepted.path.parent() != Some(prefix.as_path()) {
            continue;
        }
        let Some(name) = accepted
            .path
            .file_name()
            .and_then(|name| name.to_str())
            .filter(|name| [BINARY_NAME, ENV_FILE_NAME].contains(name))
        else {
            continue;
        };
        if !installed.insert(name.to_owned()) {
            return Err(refused(&path, EntryProblem::Duplicate));
        }
        let destination = staging.join(name);
        let io_error = |source| InstallError::Io {
            action: "write",
            path: destination.clone(),
            source,
        };
        // `create_new`: never through anything already at the path.
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&destination)
            .map_err(io_error)?;
        io::copy(&mut entry, &mut out).map_err(damaged)?;
        out.set_permissions(fs::Permissions::from_mode(accepted.mode))
            .map_err(io_error)?;
        out.sync_all().map_err(io_error)?;
    }
    if !installed.contains(BINARY_NAME) {
        return Err(InstallError::NoBinary {
            tarball: tarball.to_owned(),
            version: version.clone(),
        });
    }
    // The rest of the file (the gzip trailer, anything after it) through the same hash.
    let mut reader = archive.into_inner().into_inner();
    io::copy(&mut reader, &mut io::sink()).map_err(damaged)?;
    Ok(hex(&reader.hasher.finalize()))
}

/// A directory inside `releases/` to unpack into, removed when dropped (whatever is left in
/// it was not installed).
struct Staging {
    dir: PathBuf,
}

impl Staging {
    fn create(root: &ReleaseRoot, version: &Version) -> Result<Staging, InstallError> {
        let dir = root
            .releases_dir()
            .join(format!(".unpack-{version}-{}", std::process::id()));
        // Left over by a killed `upgrade` that had our pid: not ours to trust.
        fs::remove_dir_all(&dir).ok();
        let io_error = |source| InstallError::Io {
            action: "create",
            path: dir.clone(),
            source,
        };
        fs::create_dir(&dir).map_err(io_error)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io_error)?;
        Ok(Staging { dir })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        fs::remove_dir_all(&self.dir).ok();
    }
}

/// Hashes what passes through.
struct HashingReader {
    inner: File,
    hasher: Sha256,
}

impl Read for HashingReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        Ok(read)
    }
}

/// `<tarball>.<extension>`.
fn beside(tarball: &Path, extension: &str) -> PathBuf {
    let mut name = tarball.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// The contents of a small side file, `None` if it does not exist.
fn read_side_file(path: &Path) -> Result<Option<String>, InstallError> {
    let io_error = |source| InstallError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    };
    let mut text = String::new();
    file.take(SIDE_FILE_BYTES_MAX + 1)
        .read_to_string(&mut text)
        .map_err(io_error)?;
    if text.len() as u64 > SIDE_FILE_BYTES_MAX {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("longer than {SIDE_FILE_BYTES_MAX} bytes"),
        )));
    }
    Ok(Some(text))
}

/// The digest of a `sha256sum` line, lowercased.
fn parse_checksum(text: &str) -> Option<String> {
    let digest = text.split_whitespace().next()?.to_ascii_lowercase();
    (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digest)
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
}

/// Archive text for a message: control characters escaped, cut short.
fn shown(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > SHOWN_CHARS_MAX {
        format!(
            "{}…",
            escaped.chars().take(SHOWN_CHARS_MAX).collect::<String>()
        )
    } else {
        escaped
    }
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "fifo",
        tar::EntryType::GNUSparse => "sparse file",
        tar::EntryType::GNULongName | tar::EntryType::GNULongLink => "GNU long-name header",
        tar::EntryType::XHeader | tar::EntryType::XGlobalHeader => "PAX extended header",
        _ => "special entry",
    }
}

#[cfg(test)]
mod tests;
