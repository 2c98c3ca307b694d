//! Writing files without losing anything: the one home for every file towel
//! writes (indexes, runs, vocabularies, tokenizers, reports, downloads).
//!
//! - **Atomic:** each file is written to a temp file in its own folder,
//!   flushed and fsynced, then renamed over the target. Readers see the old
//!   file or the new one, never half of one.
//! - **All or nothing:** [`WritePlan::write`] and [`write_all_atomic`] write
//!   every temp file first and rename only when all are complete; two outputs
//!   that are one file are an error. (The renames themselves are not one
//!   atomic step: should the file system refuse the second rename of a pair
//!   after the first, the first stays replaced. Every cause that can be seen
//!   in advance, a read-only file or folder, a non-file, a full disk while
//!   writing, is met before any rename.)
//! - **Inputs are safe:** [`WritePlan::check`] refuses an output that is the
//!   same file as an input (through symlinks and hard links: device and inode
//!   on Unix, canonical paths elsewhere), and refuses to replace an existing
//!   file that is not of the [`Kind`] being written unless forced.
//! - **Permissions:** a new file gets the mode the umask gives (`0666 & !umask`,
//!   not the 0600 of a private temp file); a replaced file keeps its mode.
//!   A read-only file or folder is not written to, even by root.
//! - **Symlinks:** an output that is a symlink is followed: the file it points
//!   to is replaced and the link stays.
//! - **Temp files:** named `.NAME.towel-tmp.PID.RAND[.EXT]` so that they are
//!   recognisable ([`is_temp_name`]). While one exists its path is registered;
//!   [`remove_temps_on_signal`] (installed by the `towel` binary) removes them
//!   on SIGINT, SIGTERM and SIGHUP and exits with 128 + the signal number
//!   (130, 143, 129). Temp files left by a process that no longer exists (one
//!   killed with SIGKILL, or a crash) are removed by the next write into the
//!   same folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::DataError;

/// The marker in every temp file name: `.NAME.towel-tmp.PID.RAND`.
pub const TEMP_MARK: &str = ".towel-tmp.";

/// How many bytes of an existing file [`Kind::sniff`] sees.
pub const SNIFF_BYTES: usize = 4096;

/// A kind of file a writer produces, with a cheap test that recognises an
/// existing file of that kind, so that a writer replaces its own kind of file
/// and refuses to replace anything else (a corpus, a text, a README) unless
/// forced.
#[derive(Clone, Copy)]
pub struct Kind {
    /// What the file is, for messages: "towel index", "TREC run", ...
    pub name: &'static str,
    /// Given at most [`SNIFF_BYTES`] from the start of a non-empty existing
    /// file (a leading UTF-8 BOM removed), whether it is of this kind.
    pub sniff: fn(&[u8]) -> bool,
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Kind").field(&self.name).finish()
    }
}

impl Kind {
    /// Any file may be replaced (for outputs whose old contents are
    /// worthless, such as a damaged download in the cache).
    pub const ANY: Kind = Kind {
        name: "file",
        sniff: |_| true,
    };

    /// Whether the existing file at `path` may be replaced by a file of this
    /// kind: it is empty or sniffs as this kind.
    fn recognises(&self, path: &Path) -> io::Result<bool> {
        Ok(self.sniff_file(path)?.unwrap_or(true))
    }

    /// Whether the file at `path` sniffs as this kind (its first
    /// [`SNIFF_BYTES`], a leading BOM removed); `None` when it is empty.
    /// A reader can tell with it that a file it was given is one of
    /// towel's outputs instead (Python's `BM25(path)` given an index).
    pub fn sniff_file(&self, path: &Path) -> io::Result<Option<bool>> {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        File::open(path)?
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)?;
        Ok((!head.is_empty()).then(|| (self.sniff)(crate::text::strip_bom_bytes(&head))))
    }
}

/// The parts of a JSON object sniff: `head` starts with `{` (after white
/// space) and contains one of `keys` (each given with its quotes, `"ranks"`).
pub fn json_object_with(head: &[u8], keys: &[&str]) -> bool {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| head[i] == b'{')
        && keys
            .iter()
            .any(|k| head.windows(k.len()).any(|w| w == k.as_bytes()))
}

/// The inputs and outputs of one command, checked together before any work
/// is done and again when the outputs are written.
///
/// ```
/// use towel_data::write::{Kind, WritePlan};
/// let dir = tempfile::tempdir()?;
/// let corpus = dir.path().join("corpus.jsonl");
/// std::fs::write(&corpus, "{\"_id\":\"d1\",\"text\":\"hi\"}\n")?;
/// const INDEX: Kind = Kind { name: "towel index", sniff: |h| h.starts_with(b"TOWELIDX") };
///
/// // The output is the input: refused, the corpus is untouched.
/// let plan = WritePlan::new().input(&corpus).output(&corpus, INDEX);
/// assert!(plan.check().is_err());
///
/// // A new file: written atomically.
/// let out = dir.path().join("c.idx");
/// WritePlan::new().input(&corpus).output(&out, INDEX).write(&[b"TOWELIDX..."])?;
/// assert_eq!(std::fs::read(&out)?, b"TOWELIDX...");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct WritePlan {
    inputs: Vec<PathBuf>,
    outputs: Vec<(PathBuf, Kind)>,
    force: bool,
}

impl WritePlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// A file the command reads. Name the files themselves, not their
    /// folder: an output beside the inputs is fine. Inputs that do not exist
    /// are ignored here; reading them reports it.
    pub fn input(mut self, path: impl AsRef<Path>) -> Self {
        self.inputs.push(path.as_ref().to_path_buf());
        self
    }

    /// Several inputs.
    pub fn inputs<P: AsRef<Path>>(mut self, paths: impl IntoIterator<Item = P>) -> Self {
        self.inputs
            .extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// A file the command writes, of `kind`.
    pub fn output(mut self, path: impl AsRef<Path>, kind: Kind) -> Self {
        self.outputs.push((path.as_ref().to_path_buf(), kind));
        self
    }

    /// Replace existing files that are not of the kind being written (`--force`).
    /// Outputs that are inputs, read-only files and non-files are refused anyway.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The outputs, in the order they were declared.
    pub fn outputs(&self) -> impl Iterator<Item = &Path> {
        self.outputs.iter().map(|(p, _)| p.as_path())
    }

    /// Check everything that can be checked before writing: no output is an
    /// input or another output, each existing output is a writable regular
    /// file of its kind (or `force`), and each output's folder is writable.
    /// Call it before the work, so that a long job does not end in a refusal.
    pub fn check(&self) -> Result<(), DataError> {
        let inputs: Vec<(&PathBuf, FileId)> = self
            .inputs
            .iter()
            .filter_map(|p| Some((p, existing_id(p)?)))
            .collect();
        let mut seen: Vec<(&Path, FileId)> = Vec::new();
        for (out, kind) in &self.outputs {
            let id = output_id(out)?;
            if let Some((input, _)) = inputs.iter().find(|(_, i)| *i == id) {
                return Err(DataError::OutputIsInput {
                    output: out.clone(),
                    input: input.to_path_buf(),
                });
            }
            if let Some((first, _)) = seen.iter().find(|(_, i)| *i == id) {
                return Err(DataError::SameOutput {
                    first: first.to_path_buf(),
                    second: out.clone(),
                });
            }
            seen.push((out, id));
            let dest = resolve(out);
            check_replaceable(&dest)?;
            if !self.force && dest.is_file() {
                let ok = kind
                    .recognises(&dest)
                    .map_err(|e| DataError::io(&dest, e))?;
                if !ok {
                    return Err(DataError::WrongKind {
                        path: out.clone(),
                        kind: kind.name,
                    });
                }
            }
        }
        Ok(())
    }

    /// Check again, then write `contents[i]` to output `i`, all or nothing.
    pub fn write(&self, contents: &[&[u8]]) -> Result<(), DataError> {
        assert_eq!(
            contents.len(),
            self.outputs.len(),
            "one content per declared output"
        );
        self.write_with(|i, w| w.write_all(contents[i]))
    }

    /// Check again, then write each output `i` with `write(i, writer)`; the
    /// files appear only when every one of them is complete.
    pub fn write_with(
        &self,
        mut write: impl FnMut(usize, &mut dyn Write) -> io::Result<()>,
    ) -> Result<(), DataError> {
        self.check()?;
        let mut staged = Vec::with_capacity(self.outputs.len());
        for (i, (out, _)) in self.outputs.iter().enumerate() {
            staged.push(Staged::create(out)?);
            staged[i].fill(|w| write(i, w))?;
        }
        commit(staged)
    }
}

/// Write `bytes` to `path` atomically: a temp file in the same folder, flushed,
/// then renamed over the target. Readers see the old file or the new one, never
/// half of one. Creates the parent folder. See the module docs for modes,
/// symlinks and temp files.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Like [`write_atomic`], with a writer callback for large or streamed output.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), DataError> {
    check_replaceable(&resolve(path))?;
    let mut staged = Staged::create(path)?;
    staged.fill(write)?;
    commit(vec![staged])
}

/// Like [`write_atomic`], for a writer that needs a path rather than a
/// `Write` (an image encoder): `write(tmp)` writes the file at `tmp`, a temp
/// path beside `path`, which is then fsynced and renamed over `path`.
pub fn write_atomic_via(
    path: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> Result<(), DataError> {
    check_replaceable(&resolve(path))?;
    let mut staged = Staged::create(path)?;
    drop(staged.file.take());
    let err = |e| DataError::io(path, e);
    write(&staged.tmp).map_err(err)?;
    File::open(&staged.tmp)
        .and_then(|f| f.sync_all())
        .map_err(err)?;
    commit(vec![staged])
}

/// Write several files all or nothing: every temp file is written first, and
/// they are renamed over their targets only when all are complete. Two paths
/// that are one file are an error.
pub fn write_all_atomic(files: &[(&Path, &[u8])]) -> Result<(), DataError> {
    let plan = files
        .iter()
        .fold(WritePlan::new(), |p, (path, _)| p.output(path, Kind::ANY));
    let contents: Vec<&[u8]> = files.iter().map(|(_, b)| *b).collect();
    plan.write(&contents)
}

/// Whether `name` is a towel temp file name (`.NAME.towel-tmp.PID.RAND`,
/// plus `.EXT` when NAME has an extension, which image encoders go by);
/// returns the PID.
pub fn is_temp_name(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let at = rest.rfind(TEMP_MARK)?;
    // PID, RAND, and the destination's extension if it has one.
    let mut tail = rest[at + TEMP_MARK.len()..].split('.');
    let pid = tail.next()?.parse().ok()?;
    let rand = tail.next()?;
    let _extension = tail.next();
    (tail.next().is_none() && !rand.is_empty() && rand.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(pid)
}

/// Remove registered temp files on SIGINT, SIGTERM and SIGHUP, then exit with
/// 128 + the signal number. For binaries; call once, early in `main`.
#[cfg(unix)]
pub fn remove_temps_on_signal() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("towel-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Holding the lock until exit: no rename can follow the cleanup.
                let mut live = live_temps();
                for p in live.drain(..) {
                    let _ = fs::remove_file(p);
                }
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

/// Without Unix signals there is nothing to install.
#[cfg(not(unix))]
pub fn remove_temps_on_signal() -> io::Result<()> {
    Ok(())
}

// ---------------------------------------------------------------------------

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_temps() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// How two paths are compared: device and inode on Unix, else the canonical path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    Path(PathBuf),
}

fn existing_id(path: &Path) -> Option<FileId> {
    let meta = fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileId::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        fs::canonicalize(path).ok().map(FileId::Path)
    }
}

/// The identity of an output: of the file it names (through symlinks) when
/// that exists, else of its canonical folder and its name.
fn output_id(path: &Path) -> Result<FileId, DataError> {
    if let Some(id) = existing_id(path) {
        return Ok(id);
    }
    let name = path.file_name().ok_or_else(|| DataError::NotAFile {
        path: path.to_path_buf(),
    })?;
    let dir = parent_dir(path);
    let dir = fs::canonicalize(&dir).unwrap_or(dir);
    Ok(FileId::Path(dir.join(name)))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The file actually replaced: the target of a symlink, else `path` itself.
fn resolve(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).unwrap_or(path.into()),
        _ => path.to_path_buf(),
    }
}

/// `dest` may be replaced: it does not exist, or it is a writable regular
/// file; and its folder, when it exists, is writable.
fn check_replaceable(dest: &Path) -> Result<(), DataError> {
    match fs::metadata(dest) {
        Ok(m) if !m.is_file() => {
            return Err(DataError::NotAFile {
                path: dest.to_path_buf(),
            })
        }
        Ok(m) if m.permissions().readonly() => {
            return Err(DataError::ReadOnly {
                path: dest.to_path_buf(),
            })
        }
        _ => {}
    }
    // The nearest existing folder on the way: writable, and a folder.
    let mut dir = parent_dir(dest);
    loop {
        match fs::metadata(&dir) {
            Ok(m) if !m.is_dir() => {
                return Err(DataError::NotAFolder {
                    path: dest.to_path_buf(),
                    parent: dir,
                })
            }
            Ok(m) if m.permissions().readonly() => return Err(DataError::ReadOnly { path: dir }),
            Ok(_) => return Ok(()),
            Err(_) => match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
                _ => return Ok(()),
            },
        }
    }
}

/// A complete or growing temp file beside its destination.
struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
    committed: bool,
}

impl Staged {
    fn create(path: &Path) -> Result<Staged, DataError> {
        let dest = resolve(path);
        let dir = parent_dir(&dest);
        fs::create_dir_all(&dir).map_err(|e| DataError::io(&dir, e))?;
        remove_stale_temps(&dir);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name: String = name.chars().take(120).collect();
        let extension = match dest.extension().and_then(|e| e.to_str()) {
            Some(e) if !e.is_empty() && e.len() <= 16 && !e.contains(TEMP_MARK) => format!(".{e}"),
            _ => String::new(),
        };
        let old_mode = fs::metadata(&dest).ok().map(|m| m.permissions());
        let mut live = live_temps();
        let (tmp, file) = loop {
            let tmp = dir.join(format!(
                ".{name}{TEMP_MARK}{}.{:016x}{extension}",
                std::process::id(),
                random()
            ));
            // Default mode 0666, so the umask applies (unlike tempfile's 0600).
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(DataError::io(&dest, e)),
            }
        };
        live.push(tmp.clone());
        drop(live);
        let staged = Staged {
            tmp,
            dest,
            file: Some(file),
            committed: false,
        };
        if let (Some(perms), Some(file)) = (old_mode, &staged.file) {
            file.set_permissions(perms)
                .map_err(|e| DataError::io(&staged.dest, e))?;
        }
        Ok(staged)
    }

    fn fill(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), DataError> {
        let err = |e| DataError::io(&self.dest, e);
        let file = self.file.take().expect("a staged file is filled once");
        let mut w = BufWriter::with_capacity(1 << 16, file);
        write(&mut w).map_err(err)?;
        let file = w.into_inner().map_err(|e| err(e.into_error()))?;
        file.sync_all().map_err(err)?;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
        live_temps().retain(|p| p != &self.tmp);
    }
}

/// Rename every staged file over its destination (all were complete).
fn commit(mut staged: Vec<Staged>) -> Result<(), DataError> {
    let live = live_temps();
    for s in &mut staged {
        fs::rename(&s.tmp, &s.dest).map_err(|e| DataError::io(&s.dest, e))?;
        s.committed = true;
    }
    drop(live);
    for s in &staged {
        sync_dir(&parent_dir(&s.dest));
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Remove temp files in `dir` whose writing process no longer exists.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(is_temp_name) else {
            continue;
        };
        if pid != std::process::id() && !process_exists(pid) {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // splitmix64 of time, pid and a counter: distinct names, not secrets.
    let mut z =
        nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(is_temp_name(".x.idx.towel-tmp.123.00ff"), Some(123));
        assert_eq!(is_temp_name(".a.towel-tmp.b.towel-tmp.7.a1"), Some(7));
        assert_eq!(is_temp_name("x.idx.towel-tmp.123.00ff"), None);
        assert_eq!(is_temp_name(".x.towel-tmp.123"), None);
        assert_eq!(is_temp_name(".x.towel-tmp.123.zz"), None);
        assert_eq!(is_temp_name(".x.png.towel-tmp.9.0a.png"), Some(9));
        assert_eq!(is_temp_name(".x.png.towel-tmp.9.0a.png.b"), None);
        assert_eq!(is_temp_name(".x.towel-tmp.abc.00"), None);
    }

    #[test]
    fn json_sniff() {
        assert!(json_object_with(b"  {\"ranks\": 1}", &["\"ranks\""]));
        assert!(!json_object_with(b"[\"ranks\"]", &["\"ranks\""]));
        assert!(!json_object_with(b"{\"a\": 1}", &["\"ranks\""]));
    }
}
