//! The write home (`towel_data::write`): every rule of issue #10's file
//! safety, on the library; `crates/cli/tests/lose_nothing.rs` checks every
//! command goes through it.

use std::fs;
use std::path::{Path, PathBuf};

use towel_data::write::{is_temp_name, Kind, WritePlan};
use towel_data::DataError;

const INDEX: Kind = Kind {
    name: "test index",
    sniff: |h| h.starts_with(b"IDX"),
};

fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("corpus.jsonl");
    fs::write(&input, "{\"_id\":\"d1\"}\n").unwrap();
    (tmp, input)
}

/// Every entry of `dir` (temp files included).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn no_temps(dir: &Path) {
    let temps: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| is_temp_name(n).is_some())
        .collect();
    assert!(temps.is_empty(), "temp files left: {temps:?}");
}

#[test]
fn output_that_is_an_input_is_refused_through_links() {
    let (tmp, input) = setup();
    let dir = tmp.path();
    let sym = dir.join("sym.jsonl");
    let hard = dir.join("hard.jsonl");
    std::os::unix::fs::symlink(&input, &sym).unwrap();
    fs::hard_link(&input, &hard).unwrap();
    let dotted = dir.join(".").join("corpus.jsonl");
    for out in [&input, &sym, &hard, &dotted] {
        for force in [false, true] {
            let plan = WritePlan::new()
                .input(&input)
                .output(out, INDEX)
                .force(force);
            let err = plan.check().unwrap_err();
            assert!(
                matches!(err, DataError::OutputIsInput { .. }),
                "{out:?}: {err}"
            );
            assert!(plan.write(&[b"IDX"]).is_err());
        }
    }
    // The input read through a symlink, the output the real file.
    let err = WritePlan::new()
        .input(&sym)
        .output(&input, INDEX)
        .check()
        .unwrap_err();
    assert!(matches!(err, DataError::OutputIsInput { .. }), "{err}");
    // An output beside an input, in the same folder, is fine.
    WritePlan::new()
        .input(&input)
        .output(dir.join("c.idx"), INDEX)
        .check()
        .unwrap();
    assert_eq!(fs::read(&input).unwrap(), b"{\"_id\":\"d1\"}\n");
    no_temps(dir);
}

#[test]
fn two_outputs_that_are_one_file_are_refused_and_nothing_is_written() {
    let (tmp, _) = setup();
    let dir = tmp.path();
    let a = dir.join("a.idx");
    let err = WritePlan::new()
        .output(&a, INDEX)
        .output(&a, INDEX)
        .write(&[b"IDX1", b"IDX2"])
        .unwrap_err();
    assert!(matches!(err, DataError::SameOutput { .. }), "{err}");
    assert!(!a.exists());
    // Existing, through a hard link.
    fs::write(&a, b"IDX0").unwrap();
    fs::hard_link(&a, dir.join("b.idx")).unwrap();
    let err = WritePlan::new()
        .output(&a, INDEX)
        .output(dir.join("b.idx"), INDEX)
        .write(&[b"IDX1", b"IDX2"])
        .unwrap_err();
    assert!(matches!(err, DataError::SameOutput { .. }), "{err}");
    assert_eq!(fs::read(&a).unwrap(), b"IDX0");
    // The library's own multi-file writer checks it too.
    let err =
        towel_data::write_all_atomic(&[(&a, b"x"), (&dir.join("./a.idx"), b"y")]).unwrap_err();
    assert!(matches!(err, DataError::SameOutput { .. }), "{err}");
    no_temps(dir);
}

#[test]
fn a_file_of_another_kind_is_replaced_only_with_force() {
    let (tmp, input) = setup();
    let dir = tmp.path();
    let err = WritePlan::new().output(&input, INDEX).check().unwrap_err();
    assert!(matches!(err, DataError::WrongKind { .. }), "{err}");
    assert!(err.to_string().contains("--force"), "{err}");
    // Its own kind, or an empty file: replaced.
    let own = dir.join("own.idx");
    fs::write(&own, b"IDX old").unwrap();
    let empty = dir.join("empty.idx");
    fs::write(&empty, b"").unwrap();
    WritePlan::new()
        .output(&own, INDEX)
        .output(&empty, INDEX)
        .write(&[b"IDX new", b"IDX e"])
        .unwrap();
    assert_eq!(fs::read(&own).unwrap(), b"IDX new");
    // Forced.
    WritePlan::new()
        .output(&input, INDEX)
        .force(true)
        .write(&[b"IDX f"])
        .unwrap();
    assert_eq!(fs::read(&input).unwrap(), b"IDX f");
    no_temps(dir);
}

#[test]
fn read_only_files_folders_and_non_files_are_not_written() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, _) = setup();
    let dir = tmp.path();
    let ro = dir.join("ro.idx");
    fs::write(&ro, b"IDX keep").unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o444)).unwrap();
    for force in [false, true] {
        let err = WritePlan::new()
            .output(&ro, INDEX)
            .force(force)
            .write(&[b"IDX"])
            .unwrap_err();
        assert!(matches!(err, DataError::ReadOnly { .. }), "{err}");
    }
    let err = towel_data::write_atomic(&ro, b"IDX").unwrap_err();
    assert!(matches!(err, DataError::ReadOnly { .. }), "{err}");
    assert_eq!(fs::read(&ro).unwrap(), b"IDX keep");

    let ro_dir = dir.join("locked");
    fs::create_dir(&ro_dir).unwrap();
    fs::set_permissions(&ro_dir, fs::Permissions::from_mode(0o555)).unwrap();
    let err = towel_data::write_atomic(&ro_dir.join("x.idx"), b"IDX").unwrap_err();
    assert!(matches!(err, DataError::ReadOnly { .. }), "{err}");
    fs::set_permissions(&ro_dir, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(names(&ro_dir).is_empty());

    let err = towel_data::write_atomic(&ro_dir, b"IDX").unwrap_err();
    assert!(matches!(err, DataError::NotAFile { .. }), "{err}");
    let err = towel_data::write_atomic(&ro.join("sub/x.idx"), b"IDX").unwrap_err();
    assert!(matches!(err, DataError::NotAFolder { .. }), "{err}");
    assert!(err.to_string().ends_with("ro.idx is not a folder"), "{err}");
    let fifo = dir.join("fifo");
    towel_data::testing::mkfifo(&fifo);
    let err = WritePlan::new().output(&fifo, INDEX).check().unwrap_err();
    assert!(matches!(err, DataError::NotAFile { .. }), "{err}");
}

fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

#[test]
fn new_files_honour_the_umask_and_replaced_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, _) = setup();
    let p = tmp.path().join("new.idx");
    towel_data::write_atomic(&p, b"IDX").unwrap();
    let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask());
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    WritePlan::new()
        .output(&p, INDEX)
        .write(&[b"IDX2"])
        .unwrap();
    let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn a_symlinked_output_replaces_its_target_and_keeps_the_link() {
    let (tmp, _) = setup();
    let dir = tmp.path();
    fs::create_dir(dir.join("shared")).unwrap();
    let target = dir.join("shared/x.idx");
    fs::write(&target, b"IDX old").unwrap();
    let link = dir.join("x.idx");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    WritePlan::new()
        .output(&link, INDEX)
        .write(&[b"IDX new"])
        .unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(&target).unwrap(), b"IDX new");
    no_temps(dir);
    no_temps(&dir.join("shared"));
}

#[test]
fn a_failed_write_of_several_files_changes_none() {
    let (tmp, _) = setup();
    let dir = tmp.path();
    let a = dir.join("a.idx");
    let b = dir.join("b.idx");
    fs::write(&a, b"IDX a0").unwrap();
    fs::write(&b, b"IDX b0").unwrap();
    let err = WritePlan::new()
        .output(&a, INDEX)
        .output(&b, INDEX)
        .write_with(|i, w| {
            if i == 0 {
                w.write_all(b"IDX a1")
            } else {
                Err(std::io::Error::other("disk full"))
            }
        })
        .unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err}");
    // The convention: the message names the file, the cause is the source.
    assert_eq!(err.to_string(), b.display().to_string());
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "disk full"
    );
    assert_eq!(fs::read(&a).unwrap(), b"IDX a0");
    assert_eq!(fs::read(&b).unwrap(), b"IDX b0");
    no_temps(dir);
}

#[test]
fn stale_temps_of_dead_processes_are_removed_by_the_next_write() {
    let (tmp, _) = setup();
    let dir = tmp.path();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = dir.join(format!(".x.idx.towel-tmp.{dead}.0123abcd"));
    let live = dir.join(".y.idx.towel-tmp.1.0123abcd"); // pid 1 is alive
    let other = dir.join(".x.idx.tmp"); // not ours: kept
    for p in [&stale, &live, &other] {
        fs::write(p, b"partial").unwrap();
    }
    towel_data::write_atomic(&dir.join("z.idx"), b"IDX").unwrap();
    assert!(!stale.exists());
    assert!(live.exists());
    assert!(other.exists());
}

#[test]
fn data_error_io_does_not_repeat_its_source() {
    let err = towel_data::sha256_file(Path::new("/nonexistent/towel/x")).unwrap_err();
    let shown = err.to_string();
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(!shown.contains(&source), "{shown} repeats {source}");
}
