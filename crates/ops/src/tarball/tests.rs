use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;

use super::*;

/// One archive entry to write: path, type, mode, contents (or link target).
struct Item<'a> {
    path: &'a str,
    kind: tar::EntryType,
    mode: u32,
    data: &'a [u8],
}

fn file<'a>(path: &'a str, mode: u32, data: &'a [u8]) -> Item<'a> {
    Item {
        path,
        kind: tar::EntryType::Regular,
        mode,
        data,
    }
}

fn item<'a>(path: &'a str, kind: tar::EntryType, data: &'a [u8]) -> Item<'a> {
    Item {
        path,
        kind,
        mode: 0o755,
        data,
    }
}

/// A header whose name is written byte for byte (the builder refuses `..`, as it should).
fn header(item: &Item<'_>) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    let name = &mut header.as_old_mut().name;
    name[..item.path.len()].copy_from_slice(item.path.as_bytes());
    header.set_entry_type(item.kind);
    header.set_mode(item.mode);
    if item.kind.is_symlink() || item.kind.is_hard_link() {
        header
            .set_link_name(std::str::from_utf8(item.data).unwrap())
            .unwrap();
        header.set_size(0);
    } else {
        header.set_size(item.data.len() as u64);
    }
    header.set_cksum();
    header
}

fn gzipped_tar(items: &[Item<'_>]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for item in items {
        let data: &[u8] = if item.kind.is_symlink() || item.kind.is_hard_link() {
            &[]
        } else {
            item.data
        };
        builder.append(&header(item), data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

const BINARY: &[u8] = b"#!/bin/sh\necho donation_platform 0.2.0\n";

fn good_items() -> Vec<Item<'static>> {
    vec![
        item("bin/", tar::EntryType::Directory, b""),
        file("bin/donation_platform", 0o755, b"#!/bin/sh\n"),
        item("releases/0.2.0/", tar::EntryType::Directory, b""),
        file("releases/0.2.0/donation_platform", 0o775, BINARY),
        file("releases/0.2.0/env", 0o600, b"APP_ENV=prod\n"),
    ]
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: ReleaseRoot,
    version: Version,
    tarball: PathBuf,
}

/// A release root with `tarball` copied into `releases/0.2.0/`, and its `.sha256` if asked.
fn fixture(tarball: &[u8], with_checksum: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = ReleaseRoot::new(dir.path().join("root"));
    let version = Version::parse("0.2.0").unwrap();
    let release = root.release_dir(&version);
    fs::create_dir_all(&release).unwrap();
    let path = release.join("donation_platform-0.2.0.tar.gz");
    fs::write(&path, tarball).unwrap();
    if with_checksum {
        let digest = hex(&Sha256::digest(tarball));
        fs::write(
            beside(&path, "sha256"),
            format!("{digest}  donation_platform-0.2.0.tar.gz\n"),
        )
        .unwrap();
    }
    Fixture {
        _dir: dir,
        root,
        version,
        tarball: path,
    }
}

impl Fixture {
    fn install(&self, key: Option<&ReleaseKey>) -> Result<Installed, InstallError> {
        install(&self.root, &self.version, key)
    }

    /// Nothing but what the operator copied is in `releases/` (no binary, no env, no staging).
    fn assert_nothing_installed(&self) {
        let release = self.root.release_dir(&self.version);
        assert!(!release.join(BINARY_NAME).exists());
        assert!(!release.join(ENV_FILE_NAME).exists());
        let names: Vec<_> = fs::read_dir(self.root.releases_dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["0.2.0"], "no staging directory is left");
    }
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_good_tarball_installs_the_release_files_with_normalized_modes() {
    let fixture = fixture(&gzipped_tar(&good_items()), true);
    let installed = fixture.install(None).unwrap();
    assert!(!installed.signed);
    let release = fixture.root.release_dir(&fixture.version);
    assert_eq!(fs::read(release.join(BINARY_NAME)).unwrap(), BINARY);
    assert_eq!(mode_of(&release.join(BINARY_NAME)), 0o755);
    assert_eq!(mode_of(&release.join(ENV_FILE_NAME)), 0o644);
    // Only the release's own files: nothing outside releases/0.2.0/.
    assert!(!fixture.root.path().join("bin").exists());
    assert!(fixture.root.is_installed(&fixture.version));
}

#[test]
fn entries_that_are_not_plain_files_or_directories_are_refused_naming_them() {
    let cases: Vec<(Item<'_>, &str)> = vec![
        (
            item(
                "releases/0.2.0/env",
                tar::EntryType::Symlink,
                b"/etc/shadow",
            ),
            "entry `releases/0.2.0/env` is a symbolic link to `/etc/shadow`",
        ),
        (
            item("bin/x", tar::EntryType::Link, b"../../etc/passwd"),
            "entry `bin/x` is a hard link to `../../etc/passwd`",
        ),
        (
            file("releases/0.2.0/donation_platform", 0o6755, BINARY),
            "has mode 6755: setuid, setgid and sticky bits are never installed",
        ),
        (
            item("var/cache/", tar::EntryType::Directory, b"").with_mode(0o1777),
            "has mode 1777",
        ),
        (
            item("tmp/pipe", tar::EntryType::Fifo, b""),
            "is a fifo, not a regular file or directory",
        ),
        (
            item("dev/sda", tar::EntryType::Block, b""),
            "is a block device",
        ),
        (
            file("../../etc/cron.d/x", 0o644, b"x"),
            "leaves the release root (`..`)",
        ),
        (file("/etc/cron.d/x", 0o644, b"x"), "is an absolute path"),
        (
            item(
                "long",
                tar::EntryType::GNULongName,
                b"a-name-over-a-hundred-bytes",
            ),
            "is a GNU long-name header",
        ),
        (
            item(
                "pax",
                tar::EntryType::XHeader,
                b"30 path=releases/0.2.0/env\n",
            ),
            "is a PAX extended header",
        ),
    ];
    for (bad, expected) in cases {
        // The bad entry comes after the release's files: nothing of those may be installed
        // either.
        let mut items = good_items();
        items.push(bad);
        let fixture = fixture(&gzipped_tar(&items), true);
        let refused = fixture.install(None).unwrap_err();
        assert!(
            matches!(refused, InstallError::Refused { .. }),
            "{refused:?}"
        );
        let message = refused.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("nothing was installed"), "{message}");
        fixture.assert_nothing_installed();
    }
}

impl Item<'_> {
    fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }
}

#[test]
fn ordinary_modes_are_normalized() {
    let check = |kind, mode| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        check_entry(&header, Path::new("./releases/0.2.0/x")).unwrap()
    };
    let accepted = check(tar::EntryType::Regular, 0o777);
    assert_eq!(accepted.mode, 0o755);
    assert_eq!(accepted.path, Path::new("releases/0.2.0/x"));
    assert_eq!(check(tar::EntryType::Regular, 0o100).mode, 0o755);
    assert_eq!(check(tar::EntryType::Regular, 0o666).mode, 0o644);
    assert_eq!(check(tar::EntryType::Regular, 0o600).mode, 0o644);
    assert_eq!(check(tar::EntryType::Directory, 0o700).mode, 0o755);
    assert!(check(tar::EntryType::Directory, 0o700).is_dir);
}

#[test]
fn the_checksum_is_required_and_must_match() {
    let tarball = gzipped_tar(&good_items());
    let missing = fixture(&tarball, false);
    let refused = missing.install(None).unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("donation_platform-0.2.0.tar.gz.sha256 is missing"),
        "{message}"
    );
    assert!(message.contains("sha256sum"), "names the fix: {message}");
    missing.assert_nothing_installed();

    let wrong = fixture(&tarball, false);
    fs::write(
        beside(&wrong.tarball, "sha256"),
        format!("{}  donation_platform-0.2.0.tar.gz\n", "0".repeat(64)),
    )
    .unwrap();
    let refused = wrong.install(None).unwrap_err();
    assert!(
        matches!(refused, InstallError::ChecksumMismatch { .. }),
        "{refused:?}"
    );
    wrong.assert_nothing_installed();

    let malformed = fixture(&tarball, false);
    fs::write(beside(&malformed.tarball, "sha256"), "not a digest\n").unwrap();
    let refused = malformed.install(None).unwrap_err();
    assert!(
        matches!(refused, InstallError::ChecksumMalformed { .. }),
        "{refused:?}"
    );
}

#[test]
fn duplicates_too_many_entries_and_no_binary_are_refused() {
    let mut items = good_items();
    items.push(file("releases/0.2.0/donation_platform", 0o755, b"other"));
    let duplicate = fixture(&gzipped_tar(&items), true);
    let message = duplicate.install(None).unwrap_err().to_string();
    assert!(message.contains("appears twice"), "{message}");
    duplicate.assert_nothing_installed();

    let names: Vec<String> = (0..=ENTRIES_MAX).map(|i| format!("d{i}/")).collect();
    let many: Vec<Item<'_>> = names
        .iter()
        .map(|name| item(name, tar::EntryType::Directory, b""))
        .collect();
    let too_many = fixture(&gzipped_tar(&many), true);
    assert!(matches!(
        too_many.install(None),
        Err(InstallError::TooManyEntries { .. })
    ));

    let other_version = fixture(
        &gzipped_tar(&[file("releases/0.1.0/donation_platform", 0o755, BINARY)]),
        true,
    );
    assert!(matches!(
        other_version.install(None),
        Err(InstallError::NoBinary { .. })
    ));
    other_version.assert_nothing_installed();

    let garbage = fixture(b"not a tarball at all", true);
    assert!(matches!(
        garbage.install(None),
        Err(InstallError::Damaged { .. })
    ));
}

/// A fresh minisign key pair: the public key as `RELEASE_PUBLIC_KEY` holds it, and the
/// secret key.
fn key_pair() -> (ReleaseKey, minisign::SecretKey) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    (ReleaseKey::parse(&pair.pk.to_base64()).unwrap(), pair.sk)
}

fn sign(secret: &minisign::SecretKey, data: &[u8], to: &Path) {
    let signature = minisign::sign(None, secret, data, None, None).unwrap();
    let mut out = fs::File::create(to).unwrap();
    out.write_all(signature.to_string().as_bytes()).unwrap();
}

#[test]
fn with_a_release_key_only_a_tarball_signed_by_it_installs() {
    let (key, secret) = key_pair();
    let (_, other_secret) = key_pair();
    let tarball = gzipped_tar(&good_items());

    let unsigned = fixture(&tarball, true);
    let message = unsigned.install(Some(&key)).unwrap_err().to_string();
    assert!(
        message.contains(
            "donation_platform-0.2.0.tar.gz.minisig is missing and RELEASE_PUBLIC_KEY is set"
        ),
        "{message}"
    );
    unsigned.assert_nothing_installed();

    let foreign = fixture(&tarball, true);
    sign(
        &other_secret,
        &tarball,
        &beside(&foreign.tarball, "minisig"),
    );
    let message = foreign.install(Some(&key)).unwrap_err().to_string();
    assert!(
        message.contains("does not verify with RELEASE_PUBLIC_KEY"),
        "{message}"
    );
    foreign.assert_nothing_installed();

    // Signed by the right key, but not these bytes.
    let tampered = fixture(&tarball, true);
    let mut other_bytes = tarball.clone();
    other_bytes.push(0);
    sign(&secret, &other_bytes, &beside(&tampered.tarball, "minisig"));
    assert!(matches!(
        tampered.install(Some(&key)),
        Err(InstallError::SignatureInvalid { .. })
    ));
    tampered.assert_nothing_installed();

    let signed = fixture(&tarball, true);
    sign(&secret, &tarball, &beside(&signed.tarball, "minisig"));
    let installed = signed.install(Some(&key)).unwrap();
    assert!(installed.signed);
    assert!(signed.root.is_installed(&signed.version));
}

#[test]
fn a_release_key_must_be_a_minisign_public_key() {
    assert!(ReleaseKey::parse("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3").is_ok());
    let refused = ReleaseKey::parse("not-a-key").unwrap_err().to_string();
    assert!(refused.contains("minisign.pub"), "{refused}");
}
