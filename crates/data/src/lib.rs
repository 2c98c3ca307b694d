//! # towel-data: where towel finds its reference data
//!
//! towel tests and benchmarks itself on real public data: OpenAI's BPE
//! vocabularies, tiny shakespeare, a Project Gutenberg subset, and the SciFact
//! and Cranfield retrieval collections. This crate is the one place that knows
//! those files: their paths in the data layout, their sha256, and where they
//! can be downloaded.
//!
//! A file is looked up, in order:
//! 1. at an explicit path the caller gives (used as is, no hash check);
//! 2. under `$TOWEL_DATA_DIR`, a folder with the layout of the reference data;
//! 3. under the user cache dir (`$TOWEL_CACHE_DIR`, else `~/.cache/towel` on Linux),
//!    where `fetch` (feature `download`) puts downloads.
//!
//! A registry file found with the wrong sha256 is reported and skipped, never used.
//!
//! ```no_run
//! use towel_data::{registry, DataDirs};
//! let dirs = DataDirs::from_env();
//! let text = dirs.read(registry::by_name("tinyshakespeare").unwrap())?;
//! assert_eq!(text.len(), 1_115_394);
//! # Ok::<(), towel_data::DataError>(())
//! ```
//!
//! Every file towel writes goes through [`write`](mod@write): atomic, all-or-nothing for
//! several files, never over an input, never over a file of another kind
//! unless forced, with the umask honoured and temp files cleaned up.
//!
//! Errors follow one convention across towel: a variant that wraps a cause
//! (`#[source]`) does not repeat it in its own message (`Io` shows only the
//! path); whoever prints the error walks the chain (`{:#}` with anyhow:
//! `error: outer: inner: root`).
//!
//! ## Dependencies, and why
//!
//! - `sha2` (RustCrypto): sha256 of the data files; uses the CPU's SHA
//!   extensions when present.
//! - `ureq` (feature `download`): a small blocking HTTP client; towel needs one
//!   GET at a time, not an async runtime.
//! - `dirs`: the platform's cache folder.
//! - `signal-hook` (Unix): removes live temp files on SIGINT/SIGTERM/SIGHUP.
//!   It runs the cleanup on an ordinary thread fed by a self-pipe, so the
//!   cleanup may take a lock and touch the file system, which a raw signal
//!   handler must not; `ctrlc` cannot tell SIGINT from SIGTERM, so it could
//!   not exit with the conventional 130 and 143.
//! - `libc` (Unix, already in the tree through signal-hook): `kill(pid, 0)`, to
//!   tell whether the process that left a temp file still exists, and
//!   `madvise(MADV_HUGEPAGE)` for [`pages::Pages`], the tokenizer's tables
//!   in 2 MiB pages (Linux).
//! - `rayon`: the thread pools of batch operations ([`threads`]), shared
//!   by the tokenizer, retrieval and Python crates, which use rayon anyway.
//! - `tempfile` is no longer used for writing: it creates files with mode
//!   0600 whatever the umask. It remains a dev-dependency for tests.

pub mod embedded;
pub mod pages;
pub mod registry;
pub mod testing;
pub mod text;
pub mod threads;
pub mod write;

pub use write::{write_all_atomic, write_atomic, write_atomic_with, Kind, WritePlan};

/// The bytes of the regular file at `path`; anything else (a device such as
/// `/dev/zero`, a pipe, a folder) is an `InvalidInput` error that says so.
/// For the binary formats (index, checkpoint, `.npy`), read whole before
/// their header is checked: `towel search /dev/zero q` read until the
/// machine ran out of memory.
///
/// ```
/// let err = towel_data::read_regular_file("/dev/zero".as_ref()).unwrap_err();
/// assert!(err.to_string().contains("not a regular file"), "{err}");
/// ```
pub fn read_regular_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    check_regular(&meta)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `InvalidInput` unless `meta` is a regular file's (see [`read_regular_file`]).
pub fn check_regular(meta: &std::fs::Metadata) -> std::io::Result<()> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a device, a pipe or a folder); give a file",
        ))
    }
}

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use registry::DataFile;
use sha2::{Digest, Sha256};

/// Everything that can go wrong finding, checking or fetching a data file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("data file `{name}` ({path}) not found; looked in {searched}. {hint}")]
    NotFound {
        name: String,
        path: String,
        searched: String,
        hint: String,
    },
    #[error("{path}: sha256 mismatch for `{name}` (expected {expected}, got {actual}); the copy is damaged or a different version, so it is not used")]
    Mismatch {
        name: String,
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("unknown data file `{0}`; `towel data list` shows the known names")]
    Unknown(String),
    #[error("`{name}` has no single public download URL; copy it from a reference data folder and set TOWEL_DATA_DIR to that folder ({path} inside it)")]
    NoUrl { name: String, path: String },
    #[error("downloading {url} failed: {reason}. Without network access, point TOWEL_DATA_DIR at a local copy of the data folder")]
    Download { url: String, reason: String },
    #[error("no cache folder: set TOWEL_CACHE_DIR or HOME")]
    NoCacheDir,
    /// Reading or writing `path` failed; the OS reason is the source.
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A registry file exists but cannot be used (a folder, a FIFO, a
    /// symlink loop, no permission, ...).
    #[error("data file `{name}` at {path} cannot be read: {reason}")]
    Unreadable {
        name: String,
        path: PathBuf,
        reason: String,
    },
    /// `TOWEL_DATA_DIR` is set to something that is not a readable folder.
    #[error("TOWEL_DATA_DIR={path} {reason}")]
    BadDataDir { path: PathBuf, reason: String },
    /// An output is (a link to) one of the command's inputs.
    #[error("refusing to write {output}: it is the input {input} (choose another output path)")]
    OutputIsInput { output: PathBuf, input: PathBuf },
    /// Two outputs of one command are the same file.
    #[error("the outputs {first} and {second} are the same file; give two different paths")]
    SameOutput { first: PathBuf, second: PathBuf },
    /// An existing file is not of the kind being written.
    #[error("refusing to replace {path}: it exists and is not a {kind} (pass --force to replace it anyway)")]
    WrongKind { path: PathBuf, kind: &'static str },
    /// The output, or its folder, is read-only.
    #[error("refusing to write {path}: it is read-only")]
    ReadOnly { path: PathBuf },
    /// A folder on the output's path is a file.
    #[error("cannot write {path}: {parent} is not a folder")]
    NotAFolder { path: PathBuf, parent: PathBuf },
    /// The output exists and is not a regular file (a folder, a device, a FIFO).
    #[error("refusing to write {path}: it is not a regular file")]
    NotAFile { path: PathBuf },
}

impl DataError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where a file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `$TOWEL_DATA_DIR` (or a folder given explicitly).
    DataDir,
    /// The user cache folder.
    Cache,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::DataDir => "TOWEL_DATA_DIR",
            Source::Cache => "cache",
        })
    }
}

/// The state of one registry file, as `towel data list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Found with the expected sha256.
    Ok { path: PathBuf, source: Source },
    /// Found, but every copy has the wrong sha256.
    Mismatch { path: PathBuf, actual: String },
    /// Something is there that cannot be read as a file: a folder, a FIFO,
    /// a broken symlink or a symlink loop, no permission.
    Unreadable { path: PathBuf, reason: String },
    /// Not in any searched folder.
    Missing,
}

impl Status {
    /// What a file whose copies are `copies` (in the order they are
    /// searched) counts as: the first good copy, else the first damaged
    /// one, else the first unreadable one, else missing. Stops at the
    /// first good copy (the rest are not looked at).
    pub fn of_copies(copies: impl IntoIterator<Item = Status>) -> Status {
        let mut mismatch = None;
        let mut unreadable = None;
        for copy in copies {
            match copy {
                ok @ Status::Ok { .. } => return ok,
                bad @ Status::Mismatch { .. } => {
                    mismatch.get_or_insert(bad);
                }
                other => {
                    unreadable.get_or_insert(other);
                }
            }
        }
        mismatch.or(unreadable).unwrap_or(Status::Missing)
    }
}

/// What the copy of `file` at `path` is (`None` when nothing is there).
fn check_copy(file: &DataFile, path: PathBuf, source: Source) -> Option<Status> {
    let result = match probe(&path) {
        Probe::Missing => return None,
        Probe::Unreadable(reason) => Err(reason),
        Probe::File => sha256_file(&path).map_err(|e| error_chain(&e)),
    };
    Some(match result {
        Ok(actual) if actual == file.sha256 => Status::Ok { path, source },
        Ok(actual) => Status::Mismatch { path, actual },
        Err(reason) => Status::Unreadable { path, reason },
    })
}

/// What is at a candidate path, found without opening it.
enum Probe {
    Missing,
    File,
    Unreadable(String),
}

fn probe(path: &Path) -> Probe {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Probe::Missing,
        Err(e) => return Probe::Unreadable(e.to_string()),
        Ok(_) => {}
    }
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Probe::Unreadable("a symlink to a file that does not exist".into())
        }
        Err(e) => Probe::Unreadable(e.to_string()),
        Ok(m) if m.is_dir() => Probe::Unreadable("is a folder, not a file".into()),
        Ok(m) if !m.is_file() => {
            Probe::Unreadable("is not a regular file (a FIFO, socket or device)".into())
        }
        Ok(_) => Probe::File,
    }
}

/// An error and its causes on one line, `outer: inner` (anyhow's `{:#}`),
/// for callers that report errors without anyhow (the Python package).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The folders searched for data files.
#[derive(Debug, Clone, Default)]
pub struct DataDirs {
    /// A folder with the reference data layout (`$TOWEL_DATA_DIR`).
    pub data_dir: Option<PathBuf>,
    /// The download cache (`$TOWEL_CACHE_DIR`, else the platform cache dir + `towel`).
    pub cache_dir: Option<PathBuf>,
}

impl DataDirs {
    /// Folders from the environment: `$TOWEL_DATA_DIR`, then the cache.
    pub fn from_env() -> Self {
        let data_dir = std::env::var_os("TOWEL_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let cache_dir = std::env::var_os("TOWEL_CACHE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| dirs::cache_dir().map(|d| d.join("towel")));
        DataDirs {
            data_dir,
            cache_dir,
        }
    }

    /// Only this data folder, no cache (what tests use).
    pub fn with_data_dir(dir: impl Into<PathBuf>) -> Self {
        DataDirs {
            data_dir: Some(dir.into()),
            cache_dir: None,
        }
    }

    fn candidates(&self, file: &DataFile) -> Vec<(PathBuf, Source)> {
        let mut out = Vec::new();
        if let Some(d) = &self.data_dir {
            out.push((d.join(file.path), Source::DataDir));
        }
        if let Some(d) = &self.cache_dir {
            out.push((d.join(file.path), Source::Cache));
        }
        out
    }

    /// Check every candidate location of `file` and say what was found:
    /// the first good copy, else the first damaged one, else the first
    /// unreadable one. Never opens anything but a regular file (a FIFO
    /// would block).
    pub fn status(&self, file: &DataFile) -> Status {
        // Lazily: a good copy in the data folder spares hashing the cache's.
        Status::of_copies(
            self.candidates(file)
                .into_iter()
                .filter_map(|(path, source)| check_copy(file, path, source)),
        )
    }

    /// The status of every copy of `file` that is there, in the order
    /// they are searched: unlike [`DataDirs::status`], a damaged copy
    /// behind a good one is reported too (what `towel data verify` needs).
    pub fn copies(&self, file: &DataFile) -> Vec<Status> {
        self.candidates(file)
            .into_iter()
            .filter_map(|(path, source)| check_copy(file, path, source))
            .collect()
    }

    /// Check that `TOWEL_DATA_DIR`, when set, is a folder that can be listed.
    pub fn check_data_dir(&self) -> Result<(), DataError> {
        let Some(dir) = &self.data_dir else {
            return Ok(());
        };
        let bad = |reason: String| DataError::BadDataDir {
            path: dir.clone(),
            reason,
        };
        match fs::metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(bad("does not exist".into())),
            Err(e) => Err(bad(format!("cannot be read: {e}"))),
            Ok(m) if !m.is_dir() => Err(bad("is not a folder".into())),
            Ok(_) => fs::read_dir(dir)
                .map(drop)
                .map_err(|e| bad(format!("cannot be read: {e}"))),
        }
    }

    /// The path of a verified copy of `file`.
    pub fn locate(&self, file: &DataFile) -> Result<PathBuf, DataError> {
        match self.status(file) {
            Status::Ok { path, .. } => Ok(path),
            Status::Mismatch { path, actual } => Err(DataError::Mismatch {
                name: file.name.into(),
                path,
                expected: file.sha256.into(),
                actual,
            }),
            Status::Unreadable { path, reason } => Err(DataError::Unreadable {
                name: file.name.into(),
                path,
                reason,
            }),
            Status::Missing => Err(self.not_found(file)),
        }
    }

    /// The bytes of a verified copy of `file` (read once, hashed in memory).
    pub fn read(&self, file: &DataFile) -> Result<Vec<u8>, DataError> {
        let mut mismatch = None;
        for (path, _) in self.candidates(file) {
            match probe(&path) {
                Probe::Missing => continue,
                Probe::Unreadable(reason) => {
                    mismatch.get_or_insert(DataError::Unreadable {
                        name: file.name.into(),
                        path,
                        reason,
                    });
                    continue;
                }
                Probe::File => {}
            }
            let bytes = fs::read(&path).map_err(|e| DataError::io(&path, e))?;
            let actual = sha256_hex(&bytes);
            if actual == file.sha256 {
                return Ok(bytes);
            }
            mismatch.get_or_insert(DataError::Mismatch {
                name: file.name.into(),
                path,
                expected: file.sha256.into(),
                actual,
            });
        }
        Err(mismatch.unwrap_or_else(|| self.not_found(file)))
    }

    /// Like [`DataDirs::read`], by registry name.
    pub fn read_named(&self, name: &str) -> Result<Vec<u8>, DataError> {
        self.read(registry::by_name(name).ok_or_else(|| DataError::Unknown(name.into()))?)
    }

    fn not_found(&self, file: &DataFile) -> DataError {
        let searched: Vec<String> = self
            .candidates(file)
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        let searched = if searched.is_empty() {
            "no folder (TOWEL_DATA_DIR is unset and there is no cache dir)".to_string()
        } else {
            searched.join(", ")
        };
        let hint = match file.url {
            Some(_) => format!(
                "Run `towel data fetch {}`, or set TOWEL_DATA_DIR to a folder holding {}",
                file.name, file.path
            ),
            None => format!(
                "Set TOWEL_DATA_DIR to a copy of the reference data folder (one holding {})",
                file.path
            ),
        };
        DataError::NotFound {
            name: file.name.into(),
            path: file.path.into(),
            searched,
            hint,
        }
    }
}

/// Lower-case hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    let mut f = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Download `file` from its canonical URL into the cache folder, checking its
/// sha256 before the file appears there. `progress(done, total)` is called as
/// bytes arrive. Returns the cached path.
#[cfg(feature = "download")]
pub fn fetch(
    dirs: &DataDirs,
    file: &DataFile,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<PathBuf, DataError> {
    let url = file.url.ok_or_else(|| DataError::NoUrl {
        name: file.name.into(),
        path: file.path.into(),
    })?;
    fetch_from(dirs, file, url, progress)
}

/// Like `fetch`, from another URL (a mirror, or a local server in tests).
///
/// The file is staged in the cache folder before the first byte is asked
/// for, so a cache that cannot be written fails at once, not after the
/// download; the bytes stream into the staged file, which is renamed into
/// place only once their sha256 is the registry's.
#[cfg(feature = "download")]
pub fn fetch_from(
    dirs: &DataDirs,
    file: &DataFile,
    url: &str,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<PathBuf, DataError> {
    let cache = dirs.cache_dir.as_ref().ok_or(DataError::NoCacheDir)?;
    let dest = cache.join(file.path);
    // The typed error of the download, carried out of the writer callback
    // (which can only return an io::Error).
    let mut failed = None;
    let written = write::write_atomic_with(&dest, |w| {
        download_into(file, url, &dest, w, progress).map_err(|e| {
            failed = Some(e);
            std::io::Error::other("download failed")
        })
    });
    match (failed, written) {
        (Some(e), _) => Err(e),
        (None, r) => r.map(|()| dest),
    }
}

/// Download `url` into `w` (the staged `dest`), checking that its sha256
/// is `file`'s.
#[cfg(feature = "download")]
fn download_into(
    file: &DataFile,
    url: &str,
    dest: &Path,
    w: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<(), DataError> {
    let download = |reason: String| DataError::Download {
        url: url.into(),
        reason,
    };
    let resp = ureq::get(url)
        .timeout(std::time::Duration::from_secs(60))
        .call()
        .map_err(|e| match e {
            ureq::Error::Status(code, _) => download(format!("HTTP status {code}")),
            ureq::Error::Transport(t) => download(
                t.message()
                    .map(str::to_string)
                    .unwrap_or_else(|| t.kind().to_string()),
            ),
        })?;
    let total = resp
        .header("Content-Length")
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = resp.into_reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut done = 0u64;
    loop {
        let n = body.read(&mut buf).map_err(|e| download(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        w.write_all(&buf[..n]).map_err(|e| DataError::io(dest, e))?;
        done += n as u64;
        progress(done, total);
    }
    let actual = hex(&hasher.finalize());
    if actual != file.sha256 {
        return Err(DataError::Mismatch {
            name: file.name.into(),
            path: PathBuf::from(url),
            expected: file.sha256.into(),
            actual,
        });
    }
    Ok(())
}
