//! The OCI image `cargo xtask release` writes beside the tarball, without a container engine:
//! `target/rel/donation_platform-<version>-oci.tar`, an OCI image layout (`oci-layout`,
//! `index.json`, `blobs/sha256/…`) that `podman load` and `docker load` accept. It also carries
//! the `manifest.json` of `docker save`, as Docker 25 writes it, so older Docker engines load it
//! too.
//!
//! One layer, nothing in it but what the binary needs:
//!
//! ```text
//! etc/passwd, etc/group                    root and nonroot (65532), as distroless has them
//! etc/ssl/certs/ca-certificates.crt        the build machine's CA bundle (PostgreSQL TLS)
//! tmp/                                     for a tmpfs, as the root is meant to be read-only
//! usr/local/bin/donation_platform          the entry point
//! var/lib/donation_platform/               DATA_DIR, empty, owned by 65532: where a volume goes
//! ```
//!
//! and, only when the binary is dynamically linked, the shared libraries `ldd` names (a
//! static build needs none). No shell, no package manager.
//!
//! Reproducible: every time (the labels, the history, every file) is `SOURCE_DATE_EPOCH`
//! (the commit's time unless set), owners and modes are fixed, entries sorted, JSON keys
//! sorted and gzip headers carry no name or time. The same binary at the same commit gives
//! the same bytes, hence the same digests.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use oci_spec::image::{
    Arch, ConfigBuilder, DescriptorBuilder, HistoryBuilder, ImageConfigurationBuilder,
    ImageIndexBuilder, ImageManifestBuilder, MediaType, OciLayoutBuilder, Os, RootFsBuilder,
    Sha256Digest,
};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The image's user and group: `nonroot` in distroless images, outside any range a host
/// gives its own users, so a container escape lands on an unprivileged id.
pub const NONROOT_ID: u32 = 65532;

/// Where the binary sits in the image.
pub const BINARY_PATH: &str = "/usr/local/bin/donation_platform";

/// The image's `DATA_DIR` (the variable the product reads for the SQLite file and the dev
/// secret); the FHS place for a service's state.
pub const DATA_DIR: &str = "/var/lib/donation_platform";

/// The port the server listens on unless `PORT` says otherwise (`config::DEFAULT_PORT`).
pub const PORT: u16 = 4000;

/// The CA bundle of Debian and Ubuntu build machines, copied in for PostgreSQL's `verify-full`.
pub const CA_CERTIFICATES: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): the time written everywhere in the image.
const SOURCE_DATE_EPOCH_ENV: &str = "SOURCE_DATE_EPOCH";

/// What goes into an image; two writes of the same `Image` give the same bytes.
#[derive(Clone, Debug)]
pub struct Image {
    /// The server binary.
    pub binary: PathBuf,
    /// Its version, as it reports it.
    pub version: String,
    /// The commit it was built from.
    pub revision: String,
    /// Where its source is (a URL).
    pub source: String,
    /// Seconds since the epoch: every time in the image.
    pub epoch: i64,
    /// The CA bundle to ship.
    pub ca_certificates: PathBuf,
    /// Shared libraries the binary loads, each at its own absolute path (none for a static
    /// binary).
    pub libraries: Vec<PathBuf>,
}

/// What was written, for the release summary and the tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The archive.
    pub path: PathBuf,
    /// The manifest digest (`sha256:…`): what a registry would name the image by.
    pub manifest_digest: String,
    /// The config digest: the image id `podman images` shows.
    pub config_digest: String,
    /// The compressed layer's size in bytes.
    pub layer_size: u64,
}

/// `cargo xtask release`'s call: the image of `binary` as `donation_platform-<version>-oci.tar`
/// in `out`, its inputs read from the repository and `SOURCE_DATE_EPOCH`.
pub fn write_release_image(binary: &Path, version: &str, out: &Path) -> anyhow::Result<Written> {
    let image = Image {
        binary: binary.to_owned(),
        version: version.to_owned(),
        revision: git(&["rev-parse", "HEAD"])?,
        source: source_url(),
        epoch: source_date_epoch()?,
        ca_certificates: PathBuf::from(CA_CERTIFICATES),
        libraries: shared_libraries(binary)?,
    };
    if !image.libraries.is_empty() {
        eprintln!(
            "xtask: the binary is dynamically linked: the image carries {} shared libraries",
            image.libraries.len()
        );
    }
    let path = out.join(format!("donation_platform-{version}-oci.tar"));
    write(&image, &path)
}

/// `sha256:<hex>` of the archive of the current release in `out` (as `releases/CURRENT` of
/// the release root there names it).
pub fn release_image_digest(out: &Path) -> anyhow::Result<String> {
    let current = out.join("donation_platform/releases/CURRENT");
    let version = fs::read_to_string(&current)
        .with_context(|| format!("cannot read {}", current.display()))?;
    let archive = out.join(format!("donation_platform-{}-oci.tar", version.trim()));
    let bytes = fs::read(&archive).with_context(|| format!("cannot read {}", archive.display()))?;
    Ok(sha256_digest(&bytes))
}

/// Writes `image` to `path` as an OCI image layout in one tar.
pub fn write(image: &Image, path: &Path) -> anyhow::Result<Written> {
    let layer_tar = layer(image)?;
    let diff_id = sha256_digest(&layer_tar);
    let layer = Blob::new(gzip(&layer_tar)?);
    let config = Blob::new(config_json(image, &diff_id)?);
    let manifest = Blob::new(manifest_json(image, &config, &layer)?);
    let files = vec![
        ("oci-layout".to_owned(), oci_layout_json()?),
        ("index.json".to_owned(), index_json(image, &manifest)?),
        (
            "manifest.json".to_owned(),
            docker_manifest_json(image, &config, &layer)?,
        ),
        (config.path(), config.bytes.clone()),
        (layer.path(), layer.bytes.clone()),
        (manifest.path(), manifest.bytes.clone()),
    ];
    let archive = archive(&files, image.epoch)?;
    let temporary = path.with_extension("tar.partial");
    fs::write(&temporary, archive)
        .and_then(|()| fs::rename(&temporary, path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Written {
        path: path.to_owned(),
        manifest_digest: manifest.digest,
        config_digest: config.digest,
        layer_size: layer.bytes.len() as u64,
    })
}

/// The name (`docker.io/library/…` is what Docker and containerd expand a bare name to) the
/// image is loaded as.
fn reference(image: &Image) -> String {
    format!("donation_platform:{}", image.version)
}

/// A content-addressed file of the layout.
struct Blob {
    digest: String,
    bytes: Vec<u8>,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Blob {
        Blob {
            digest: sha256_digest(&bytes),
            bytes,
        }
    }

    fn path(&self) -> String {
        format!("blobs/sha256/{}", self.hex())
    }

    fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }

    fn descriptor(&self, media_type: MediaType) -> anyhow::Result<oci_spec::image::Descriptor> {
        let digest: Sha256Digest = self.hex().parse()?;
        Ok(DescriptorBuilder::default()
            .media_type(media_type)
            .digest(digest)
            .size(self.bytes.len() as u64)
            .build()?)
    }
}

/// `sha256:<hex>` of `bytes`.
fn sha256_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::from("sha256:"), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// One entry of a tar written by [`tar_of`].
struct Entry {
    /// Relative, without a leading or trailing `/`.
    path: String,
    mode: u32,
    owner: u32,
    /// `None` for a directory.
    contents: Option<Vec<u8>>,
}

impl Entry {
    fn dir(path: &str, mode: u32, owner: u32) -> Entry {
        Entry {
            path: path.to_owned(),
            mode,
            owner,
            contents: None,
        }
    }

    fn file(path: &str, mode: u32, contents: Vec<u8>) -> Entry {
        Entry {
            path: path.to_owned(),
            mode,
            owner: 0,
            contents: Some(contents),
        }
    }
}

/// The image's only layer, uncompressed.
fn layer(image: &Image) -> anyhow::Result<Vec<u8>> {
    let read =
        |path: &Path| fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let mut entries = vec![
        Entry::file("etc/passwd", 0o644, PASSWD.into()),
        Entry::file("etc/group", 0o644, GROUP.into()),
        Entry::file(
            relative(CA_CERTIFICATES),
            0o644,
            read(&image.ca_certificates)?,
        ),
        // Sticky and world-writable like any /tmp, for the tmpfs mounted over it.
        Entry::dir("tmp", 0o1777, 0),
        Entry::file(relative(BINARY_PATH), 0o755, read(&image.binary)?),
        // Private: the SQLite file and the generated secret live here.
        Entry::dir(relative(DATA_DIR), 0o700, NONROOT_ID),
    ];
    for library in &image.libraries {
        let path = library
            .to_str()
            .filter(|path| path.starts_with('/'))
            .with_context(|| format!("library path {} is not absolute UTF-8", library.display()))?;
        entries.push(Entry::file(relative(path), 0o755, read(library)?));
    }
    add_parent_dirs(&mut entries);
    tar_of(entries, image.epoch)
}

fn relative(path: &str) -> &str {
    path.trim_start_matches('/')
}

/// `root` and `nonroot` (65532, home the data directory, no login shell: there is none). The
/// same files `deploy/Dockerfile` copies, so both images agree.
const PASSWD: &str = include_str!("../../deploy/rootfs/etc/passwd");
const GROUP: &str = include_str!("../../deploy/rootfs/etc/group");

/// Adds every missing parent directory (root-owned, 0755): a tar without them leaves their
/// mode and owner to the unpacker.
fn add_parent_dirs(entries: &mut Vec<Entry>) {
    let mut parents = std::collections::BTreeSet::new();
    for entry in entries.iter() {
        let mut path = Path::new(&entry.path);
        while let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            parents.insert(parent.to_string_lossy().into_owned());
            path = parent;
        }
    }
    for parent in parents {
        if !entries.iter().any(|entry| entry.path == parent) {
            entries.push(Entry::dir(&parent, 0o755, 0));
        }
    }
}

/// A tar of `entries` sorted by path (a parent before what it holds), every time `epoch` and
/// no user or group names: the same entries always give the same bytes.
fn tar_of(mut entries: Vec<Entry>, epoch: i64) -> anyhow::Result<Vec<u8>> {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mtime = u64::try_from(epoch).context("SOURCE_DATE_EPOCH is before 1970")?;
    let mut builder = tar::Builder::new(Vec::new());
    for entry in &entries {
        let mut header = tar::Header::new_ustar();
        header.set_mode(entry.mode);
        header.set_uid(entry.owner.into());
        header.set_gid(entry.owner.into());
        header.set_mtime(mtime);
        if let Some(contents) = &entry.contents {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(contents.len() as u64);
            builder.append_data(&mut header, &entry.path, contents.as_slice())?;
        } else {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            builder.append_data(&mut header, format!("{}/", entry.path), std::io::empty())?;
        }
    }
    Ok(builder.into_inner()?)
}

/// gzip at the best level, with no file name and time 0 in its header.
fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// The image configuration: how to run it, and which layer it is made of.
fn config_json(image: &Image, diff_id: &str) -> anyhow::Result<Vec<u8>> {
    let created = rfc3339(image.epoch)?;
    let run = ConfigBuilder::default()
        .user(format!("{NONROOT_ID}:{NONROOT_ID}"))
        .entrypoint(vec![BINARY_PATH.to_owned()])
        .cmd(vec!["start".to_owned()])
        .env(vec![
            "PATH=/usr/local/bin".to_owned(),
            "APP_ENV=prod".to_owned(),
            format!("DATA_DIR={DATA_DIR}"),
            // Prod requires a database URL; SQLite in the data directory (the embedded
            // default) lets the image run with a volume and `SECRET_KEY_BASE` alone.
            format!("DATABASE_URL=sqlite://{DATA_DIR}/donation_platform.db"),
            format!("PORT={PORT}"),
        ])
        .exposed_ports(vec![format!("{PORT}/tcp")])
        .volumes(vec![DATA_DIR.to_owned()])
        .working_dir(DATA_DIR)
        // `start` drains in-flight requests on SIGTERM (the default, named for readers).
        .stop_signal("SIGTERM")
        .labels(labels(image, &created))
        .build()?;
    let config = ImageConfigurationBuilder::default()
        .created(created.clone())
        .architecture(architecture()?)
        .os(Os::Linux)
        .config(run)
        .rootfs(
            RootFsBuilder::default()
                .diff_ids(vec![diff_id.to_owned()])
                .build()?,
        )
        .history(vec![
            HistoryBuilder::default()
                .created(created)
                .created_by("cargo xtask release")
                .build()?,
        ])
        .build()?;
    canonical_json(&config)
}

/// The OCI labels (`org.opencontainers.image.*`), also put on the manifest as annotations.
fn labels(image: &Image, created: &str) -> std::collections::HashMap<String, String> {
    [
        ("title", "donation_platform"),
        ("version", image.version.as_str()),
        ("revision", image.revision.as_str()),
        ("source", image.source.as_str()),
        ("licenses", env!("CARGO_PKG_LICENSE")),
        ("created", created),
    ]
    .into_iter()
    .map(|(key, value)| (format!("org.opencontainers.image.{key}"), value.to_owned()))
    .collect()
}

fn architecture() -> anyhow::Result<Arch> {
    match std::env::consts::ARCH {
        "x86_64" => Ok(Arch::Amd64),
        "aarch64" => Ok(Arch::ARM64),
        other => bail!("no OCI architecture name for {other}"),
    }
}

fn manifest_json(image: &Image, config: &Blob, layer: &Blob) -> anyhow::Result<Vec<u8>> {
    let created = rfc3339(image.epoch)?;
    let manifest = ImageManifestBuilder::default()
        .schema_version(2_u32)
        .media_type(MediaType::ImageManifest)
        .config(config.descriptor(MediaType::ImageConfig)?)
        .layers(vec![layer.descriptor(MediaType::ImageLayerGzip)?])
        .annotations(labels(image, &created))
        .build()?;
    canonical_json(&manifest)
}

/// The layout's entry point. `org.opencontainers.image.ref.name` is the tag podman and
/// Docker name the image by; `io.containerd.image.name` the full name Docker ≥ 25 uses.
fn index_json(image: &Image, manifest: &Blob) -> anyhow::Result<Vec<u8>> {
    let mut descriptor = manifest.descriptor(MediaType::ImageManifest)?;
    descriptor.set_annotations(Some(
        [
            (
                "io.containerd.image.name",
                format!("docker.io/library/{}", reference(image)),
            ),
            ("org.opencontainers.image.ref.name", image.version.clone()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect(),
    ));
    let index = ImageIndexBuilder::default()
        .schema_version(2_u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![descriptor])
        .build()?;
    canonical_json(&index)
}

fn oci_layout_json() -> anyhow::Result<Vec<u8>> {
    let layout = OciLayoutBuilder::default()
        .image_layout_version("1.0.0")
        .build()?;
    canonical_json(&layout)
}

/// `docker save`'s index, for Docker engines older than 25 that do not read OCI layouts.
fn docker_manifest_json(image: &Image, config: &Blob, layer: &Blob) -> anyhow::Result<Vec<u8>> {
    let manifest = serde_json::json!([{
        "Config": config.path(),
        "RepoTags": [reference(image)],
        "Layers": [layer.path()],
    }]);
    canonical_json(&manifest)
}

/// JSON with every object's keys sorted. oci-spec keeps labels, annotations and port sets in
/// `HashMap`s, whose order changes from one run to the next: serialized as they are, the same
/// image would get a new digest every time.
fn canonical_json(value: &impl serde::Serialize) -> anyhow::Result<Vec<u8>> {
    fn sorted(value: Value) -> Value {
        match value {
            Value::Object(map) => {
                let entries: BTreeMap<String, Value> = map
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect();
                Value::Object(entries.into_iter().collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    Ok(serde_json::to_vec(&sorted(serde_json::to_value(value)?))?)
}

/// The image layout archive: `files` under one root-owned tree, times `epoch`.
fn archive(files: &[(String, Vec<u8>)], epoch: i64) -> anyhow::Result<Vec<u8>> {
    let mut entries: Vec<Entry> = files
        .iter()
        .map(|(path, bytes)| Entry::file(path, 0o644, bytes.clone()))
        .collect();
    add_parent_dirs(&mut entries);
    tar_of(entries, epoch)
}

/// `epoch` as RFC 3339 (`2026-12-07T02:36:11Z`), as the `created` fields want it.
fn rfc3339(epoch: i64) -> anyhow::Result<String> {
    let time = time::OffsetDateTime::from_unix_timestamp(epoch)?;
    Ok(time.format(&time::format_description::well_known::Rfc3339)?)
}

/// `SOURCE_DATE_EPOCH`, else the time of the commit being built, so that two builds of one
/// commit agree without anyone setting it.
fn source_date_epoch() -> anyhow::Result<i64> {
    let value = match std::env::var(SOURCE_DATE_EPOCH_ENV) {
        Ok(value) => value,
        Err(_) => git(&["log", "-1", "--format=%ct"])?,
    };
    value
        .trim()
        .parse()
        .with_context(|| format!("{SOURCE_DATE_EPOCH_ENV}={value:?} is not a number of seconds"))
}

/// The `origin` remote, without any credentials in it; `unknown` in a checkout without one.
fn source_url() -> String {
    let Ok(url) = git(&["remote", "get-url", "origin"]) else {
        eprintln!("xtask: no git remote `origin`: the image's source label says `unknown`");
        return "unknown".to_owned();
    };
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_and_path = rest.split_once('@').map_or(rest, |(_, after)| after);
            format!("{scheme}://{host_and_path}")
        }
        None => url,
    }
}

fn git(args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// The shared libraries a dynamically linked `binary` loads, as `ldd` resolves them on this
/// machine (the loader included); none for a static binary.
fn shared_libraries(binary: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .context("cannot run ldd")?;
    // `ldd` exits 1 with "not a dynamic executable" for a static binary.
    if !output.status.success() {
        return Ok(Vec::new());
    }
    Ok(ldd_paths(&String::from_utf8_lossy(&output.stdout)))
}

/// The paths in `ldd` output: `libc.so.6 => /lib/…/libc.so.6 (0x…)` and
/// `/lib64/ld-linux-x86-64.so.2 (0x…)`; not `linux-vdso.so.1`, which the kernel provides.
fn ldd_paths(output: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = output
        .lines()
        .filter_map(|line| {
            let resolved = line.split_once("=>").map_or(line, |(_, after)| after);
            let path = resolved.split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(dir: &Path, binary_contents: &[u8]) -> Image {
        let binary = dir.join("donation_platform");
        fs::write(&binary, binary_contents).unwrap();
        let ca = dir.join("ca.crt");
        fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
        Image {
            binary,
            version: "0.3.0".to_owned(),
            revision: "0123456789abcdef0123456789abcdef01234567".to_owned(),
            source: "https://example.org/donation_platform.git".to_owned(),
            epoch: 1_796_609_371,
            ca_certificates: ca,
            libraries: Vec::new(),
        }
    }

    fn json_of(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    /// The files of a tar: path → (mode, uid, mtime, contents).
    fn unpack(bytes: &[u8]) -> BTreeMap<String, (u32, u64, u64, Vec<u8>)> {
        let mut archive = tar::Archive::new(bytes);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let header = entry.header().clone();
                let mut contents = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut contents).unwrap();
                (
                    entry.path().unwrap().to_string_lossy().into_owned(),
                    (
                        header.mode().unwrap(),
                        header.uid().unwrap(),
                        header.mtime().unwrap(),
                        contents,
                    ),
                )
            })
            .collect()
    }

    #[test]
    fn writing_the_same_image_twice_gives_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let image = image(dir.path(), b"\x7fELF not really");
        let first = write(&image, &dir.path().join("first.tar")).unwrap();
        let second = write(&image, &dir.path().join("second.tar")).unwrap();
        assert_eq!(
            fs::read(&first.path).unwrap(),
            fs::read(&second.path).unwrap()
        );
        assert_eq!(first.manifest_digest, second.manifest_digest);
        assert_eq!(first.config_digest, second.config_digest);
    }

    #[test]
    fn another_binary_or_commit_time_gives_another_digest() {
        let dir = tempfile::tempdir().unwrap();
        let one = image(dir.path(), b"one");
        let first = write(&one, &dir.path().join("one.tar")).unwrap();
        let later = Image {
            epoch: one.epoch + 1,
            ..one.clone()
        };
        let second = write(&later, &dir.path().join("later.tar")).unwrap();
        assert_ne!(first.manifest_digest, second.manifest_digest);
        let other = image(dir.path(), b"two");
        let third = write(&other, &dir.path().join("other.tar")).unwrap();
        assert_ne!(first.config_digest, third.config_digest);
    }

    #[test]
    fn the_layout_names_a_manifest_whose_config_runs_the_binary_as_nonroot() {
        let dir = tempfile::tempdir().unwrap();
        let image = image(dir.path(), b"binary");
        let written = write(&image, &dir.path().join("image.tar")).unwrap();
        let files = unpack(&fs::read(&written.path).unwrap());
        assert_eq!(
            json_of(&files["oci-layout"].3),
            serde_json::json!({"imageLayoutVersion": "1.0.0"})
        );
        let index = json_of(&files["index.json"].3);
        let manifest_descriptor = &index["manifests"][0];
        assert_eq!(manifest_descriptor["digest"], written.manifest_digest);
        assert_eq!(
            manifest_descriptor["annotations"]["org.opencontainers.image.ref.name"],
            "0.3.0"
        );
        let blob = |digest: &str| &files[&format!("blobs/sha256/{}", &digest[7..])].3;
        let manifest = json_of(blob(&written.manifest_digest));
        assert_eq!(manifest["config"]["digest"], written.config_digest);
        let config = json_of(blob(&written.config_digest));
        let run = &config["config"];
        assert_eq!(run["User"], "65532:65532");
        assert_eq!(run["Entrypoint"], serde_json::json!([BINARY_PATH]));
        assert_eq!(run["Cmd"], serde_json::json!(["start"]));
        assert_eq!(run["ExposedPorts"], serde_json::json!({"4000/tcp": {}}));
        let env: Vec<&str> = run["Env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| value.as_str().unwrap())
            .collect();
        assert!(env.contains(&"APP_ENV=prod"), "{env:?}");
        assert!(
            env.contains(&"DATA_DIR=/var/lib/donation_platform"),
            "{env:?}"
        );
        let labels = &run["Labels"];
        assert_eq!(labels["org.opencontainers.image.version"], "0.3.0");
        assert_eq!(
            labels["org.opencontainers.image.created"],
            "2026-12-07T02:09:31Z"
        );
        assert_eq!(
            labels["org.opencontainers.image.licenses"],
            "AGPL-3.0-or-later"
        );
        assert_eq!(config["created"], "2026-12-07T02:09:31Z");

        // The layer: its digest is the config's diff id once decompressed.
        let compressed = blob(manifest["layers"][0]["digest"].as_str().unwrap());
        let mut layer_tar = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(compressed.as_slice()),
            &mut layer_tar,
        )
        .unwrap();
        assert_eq!(config["rootfs"]["diff_ids"][0], sha256_digest(&layer_tar));
        let layer = unpack(&layer_tar);
        let paths: Vec<&str> = layer.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "etc/",
                "etc/group",
                "etc/passwd",
                "etc/ssl/",
                "etc/ssl/certs/",
                "etc/ssl/certs/ca-certificates.crt",
                "tmp/",
                "usr/",
                "usr/local/",
                "usr/local/bin/",
                "usr/local/bin/donation_platform",
                "var/",
                "var/lib/",
                "var/lib/donation_platform/",
            ]
        );
        let (mode, uid, mtime, contents) = &layer["usr/local/bin/donation_platform"];
        assert_eq!(
            (*mode, *uid, *mtime, contents.as_slice()),
            (0o755, 0, 1_796_609_371, &b"binary"[..])
        );
        let (mode, uid, _, _) = &layer["var/lib/donation_platform/"];
        assert_eq!((*mode, *uid), (0o700, 65532));
        let passwd = String::from_utf8(layer["etc/passwd"].3.clone()).unwrap();
        assert!(passwd.contains("nonroot:x:65532:65532:"), "{passwd}");
        assert!(
            !paths.iter().any(|path| path.starts_with("bin")),
            "no shell"
        );
    }

    #[test]
    fn ldd_output_names_the_libraries_and_the_loader_but_not_the_vdso() {
        let output = "\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f1)\n\
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f3)\n";
        assert_eq!(
            ldd_paths(output),
            [
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib/x86_64-linux-gnu/libgcc_s.so.1"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
    }
}
