//! Issue #10, finding 5: Ctrl-C or SIGTERM while writing left hidden temp
//! files beside the output. Real signals, sent while `towel index` writes a
//! large index: the temp file goes, the old output stays, and the exit
//! status is the conventional 128 + signal (130, 143).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use towel_data::write::is_temp_name;

/// A JSONL corpus of `docs` documents with many distinct words, so that its
/// index is large and takes a while to write.
fn write_corpus(path: &Path, docs: usize) {
    let mut w = std::io::BufWriter::new(fs::File::create(path).unwrap());
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..docs {
        write!(w, "{{\"_id\": \"d{i}\", \"text\": \"").unwrap();
        for _ in 0..40 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let word: String = (0..6)
                .map(|k| (b'a' + ((x >> (k * 5)) % 26) as u8) as char)
                .collect();
            write!(w, "{word} ").unwrap();
        }
        writeln!(w, "\"}}").unwrap();
    }
}

fn temps(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| is_temp_name(n).is_some())
        .collect()
}

/// Start `towel index`, wait until its temp file appears, send `signal`.
/// Returns the exit code, or None when the write finished before the
/// signal could be sent (then the caller tries a larger corpus).
fn interrupt_index_write(dir: &Path, signal: i32) -> Option<i32> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("towel"))
        .current_dir(dir)
        .args(["index", "--corpus", "c.jsonl", "--out", "out.idx"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if !temps(dir).is_empty() {
            // SAFETY: sending a signal to our own child process.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "towel index failed: {status}");
            return None;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "towel index hangs"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code();
    if code == Some(0) {
        return None; // renamed just before the signal arrived
    }
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no message on a signal"
    );
    code
}

fn check_signal(signal: i32, expected: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("out.idx"), b"TOWELIDX old index").unwrap();
    let mut docs = 10_000;
    for _ in 0..4 {
        write_corpus(&dir.join("c.jsonl"), docs);
        if let Some(code) = interrupt_index_write(dir, signal) {
            assert_eq!(code, expected);
            assert!(temps(dir).is_empty(), "temp files left: {:?}", temps(dir));
            assert_eq!(
                fs::read(dir.join("out.idx")).unwrap(),
                b"TOWELIDX old index"
            );
            return;
        }
        // The write was too quick to catch: restore the old output, grow.
        fs::write(dir.join("out.idx"), b"TOWELIDX old index").unwrap();
        docs *= 2;
    }
    panic!("never caught towel index while it was writing");
}

#[test]
fn sigint_during_a_write_removes_the_temp_file_and_exits_130() {
    check_signal(libc::SIGINT, 130);
}

#[test]
fn sigterm_during_a_write_removes_the_temp_file_and_exits_143() {
    check_signal(libc::SIGTERM, 143);
}

/// A temp file left by a process killed with SIGKILL (which nothing can
/// catch) is removed by the next write into the same folder.
#[test]
fn a_later_write_removes_temp_files_of_dead_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = dir.join(format!(".out.idx.towel-tmp.{dead}.00c0ffee.idx"));
    fs::write(&stale, b"half an index").unwrap();
    fs::write(
        dir.join("c.jsonl"),
        "{\"_id\": \"d1\", \"text\": \"hello\"}\n",
    )
    .unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("towel"))
        .current_dir(dir)
        .args(["index", "--corpus", "c.jsonl", "--out", "out.idx"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!stale.exists());
    assert!(temps(dir).is_empty());
}
