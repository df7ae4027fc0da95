//! The daemon's log file, rotated by size: `donation_platform.log` becomes `.log.1`, `.1`
//! becomes `.2`, …, and the oldest beyond [`LOG_FILES_KEPT`] is removed.
//!
//! Our own few lines rather than a rotation crate, for two things none of them does: after a
//! rotation stderr is pointed at the new file too (early errors and panics are written there,
//! not through `tracing`), and during an upgrade two instances share the file, so one that
//! finds the file already rotated by the other follows it instead of rotating again.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// A log file is rotated once it reaches this size: a few days of an ordinary instance's
/// request lines at `info`, and small enough to open in any editor.
pub const LOG_FILE_BYTES_MAX: u64 = 10 * 1024 * 1024;

/// Rotated files kept beside the current one: with [`LOG_FILE_BYTES_MAX`], at most 60 MiB of
/// logs on disk.
pub const LOG_FILES_KEPT: usize = 5;

/// A log file that rotates itself by size; written only by the log writer thread.
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    written: u64,
    bytes_max: u64,
    /// Whether stderr is this log (the daemon points it there), so it follows each rotation.
    stderr_follows: bool,
}

impl RotatingFile {
    /// Appends to `path` (created if missing), rotating at [`LOG_FILE_BYTES_MAX`].
    pub fn open(path: PathBuf) -> io::Result<Self> {
        RotatingFile::open_with_limit(path, LOG_FILE_BYTES_MAX)
    }

    fn open_with_limit(path: PathBuf, bytes_max: u64) -> io::Result<Self> {
        let file = append(&path)?;
        let metadata = file.metadata()?;
        let stderr_follows = rustix::fs::fstat(io::stderr().as_fd())
            .is_ok_and(|stat| stat.st_ino == metadata.ino() && stat.st_dev == metadata.dev());
        Ok(RotatingFile {
            path,
            written: metadata.len(),
            file,
            bytes_max,
            stderr_follows,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        if is_same_file(&self.file, &self.path) {
            for n in (1..LOG_FILES_KEPT).rev() {
                rename_if_present(&numbered(&self.path, n), &numbered(&self.path, n + 1))?;
            }
            rename_if_present(&self.path, &numbered(&self.path, 1))?;
        }
        // Else another instance rotated it already: follow it to the new file.
        self.file = append(&self.path)?;
        self.written = self.file.metadata()?.len();
        if self.stderr_follows {
            rustix::stdio::dup2_stderr(&self.file)?;
        }
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written >= self.bytes_max && self.rotate().is_err() {
            // Keep logging to the file we have; try again after another `bytes_max`.
            self.written = 0;
        }
        let written = self.file.write(buf)?;
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn is_same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.ino() == named.ino() && open.dev() == named.dev(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_is_rotated_and_only_the_newest_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let mut log = RotatingFile::open_with_limit(path.clone(), 100).unwrap();
        for line in 0..40 {
            // One write per line, as the log thread's buffer hands them over.
            log.write_all(format!("line {line:02} {}\n", "x".repeat(40)).as_bytes())
                .unwrap();
        }
        log.flush().unwrap();
        let size = |path: &Path| std::fs::metadata(path).map(|m| m.len());
        assert!(
            size(&path).unwrap() <= 100 + 50,
            "the current file stays small"
        );
        for n in 1..=LOG_FILES_KEPT {
            assert!(
                size(&numbered(&path, n)).unwrap() <= 150,
                "file .{n} exists and is small"
            );
        }
        assert!(
            size(&numbered(&path, LOG_FILES_KEPT + 1)).is_err(),
            "no more than {LOG_FILES_KEPT} old files"
        );
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.contains("line 39"), "{newest}");
    }

    #[test]
    fn a_log_rotated_by_another_instance_is_followed_not_rotated_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let mut first = RotatingFile::open_with_limit(path.clone(), 10).unwrap();
        let mut second = RotatingFile::open_with_limit(path.clone(), 10).unwrap();
        first.write_all(b"first 1 ....\n").unwrap();
        second.write_all(b"second 1 ...\n").unwrap();
        first.write_all(b"first 2\n").unwrap();
        second.write_all(b"second 2\n").unwrap();
        let current = std::fs::read_to_string(&path).unwrap();
        assert_eq!(current, "first 2\nsecond 2\n");
        let rotated = std::fs::read_to_string(numbered(&path, 1)).unwrap();
        assert_eq!(rotated, "first 1 ....\nsecond 1 ...\n");
        assert!(!numbered(&path, 2).exists());
    }
}
