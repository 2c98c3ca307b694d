//! End-to-end tests of the `towel` binary: data commands, the tour, errors.

use std::fs;

use predicates::prelude::*;
use towel_data::data_or_skip;

mod common;
use common::{json_of, towel, towel_with_data};

/// The row of `data list --json` output `v` for the data file `name`.
fn file_row<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}"))
}

#[test]
fn data_list_json_reports_every_shared_file_verified() {
    let dir = data_or_skip!();
    let v = json_of(towel_with_data(&dir).args(["data", "list", "--json"]));
    let files = v["files"].as_array().unwrap();
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    assert_eq!(files.len(), sums.lines().filter(|l| !l.is_empty()).count());
    for f in files {
        assert_eq!(f["status"], "ok", "{f}");
        assert_eq!(f["source"], "data-dir", "{f}");
    }
}

#[test]
fn corrupted_copy_is_a_mismatch_and_verify_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("vocab/cl100k_base.tiktoken");
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, "IQ== 0\n").unwrap();
    let out = towel_with_data(tmp.path())
        .args(["data", "list", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = file_row(&v, "cl100k_base");
    assert_eq!(row["status"], "mismatch");
    towel_with_data(tmp.path())
        .args(["data", "verify"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("cl100k_base").and(predicate::str::contains("wrong sha256")),
        );
}

/// A damaged copy in the data folder behind a good one in the cache: every
/// other command uses the good one, and `data verify` still fails on the
/// damaged one, naming both (it passed, silently, a reviewer found).
/// `data list --json` keeps the registry path and the found path apart.
#[test]
fn verify_reports_a_damaged_copy_behind_a_good_one() {
    let dir = data_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let rel = "vocab/cl100k_base.tiktoken";
    let (bad, good) = (tmp.path().join("data"), tmp.path().join("cache"));
    for (root, bytes) in [
        (&bad, b"IQ== 0\n".to_vec()),
        (&good, fs::read(dir.join(rel)).unwrap()),
    ] {
        fs::create_dir_all(root.join("vocab")).unwrap();
        fs::write(root.join(rel), bytes).unwrap();
    }
    let run = |args: &[&str]| {
        towel()
            .env("TOWEL_DATA_DIR", &bad)
            .env("TOWEL_CACHE_DIR", &good)
            .args(args)
            .output()
            .unwrap()
    };
    let text = tmp.path().join("t.txt");
    fs::write(&text, "hello world").unwrap();
    let out = run(&["encode", "-e", "cl100k_base", text.to_str().unwrap()]);
    assert_eq!(
        out.stdout,
        b"[15339,1917]\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["data", "verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{} has the wrong sha256", bad.join(rel).display()))
            && err.contains(&format!(
                "the good copy at {} is used",
                good.join(rel).display()
            )),
        "{err}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&run(&["data", "verify", "--json"]).stdout).unwrap();
    assert_eq!(v["damaged_behind_good"][0]["name"], "cl100k_base", "{v}");
    assert_eq!(v["damaged_behind_good"][0]["status"], "mismatch", "{v}");
    let text = String::from_utf8(run(&["data", "list", "--json"]).stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let row = file_row(&v, "cl100k_base");
    assert_eq!(row["relative_path"], rel);
    assert_eq!(row["path"], good.join(rel).display().to_string());
    // One "path" key per row that has a copy (serde_json would silently
    // keep the last of two).
    let found = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("path").is_some())
        .count();
    assert_eq!(text.matches("\"path\"").count(), found, "{text}");
}

#[test]
fn fetch_unknown_name_is_one_line_error() {
    let out = towel()
        .args(["data", "fetch", "no-such-file"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: unknown data file `no-such-file`"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn tour_runs_without_data_and_writes_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    towel()
        .args(["tour", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Report written to"));
    let md = fs::read_to_string(out.join("README.md")).unwrap();
    assert!(md.starts_with("# The towel tour"));
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let chapters = json["chapters"].as_array().unwrap();
    assert!(chapters.iter().all(|c| c["error"].is_null()));
    // Without data the tour still shows real BPE, the number scan and a real
    // retrieval collection (all embedded).
    let facts = |id: &str| {
        chapters
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no chapter {id}"))["facts"]
            .clone()
    };
    let bpe = facts("bpe");
    assert_eq!(bpe["encodings"], serde_json::json!(["gpt2", "cl100k_base"]));
    assert_eq!(
        bpe["cl100k_base_numbers_by_tokens"],
        serde_json::json!([1000, 0, 0])
    );
    assert_eq!(bpe["strawberry_pieces"]["gpt2"], "st|raw|berry");
    let r = facts("retrieval");
    assert_eq!(r["docs"], 1400);
    assert_eq!(r["corpus"], "Cranfield 1400 (towel's embedded copy)");
    assert!(md.contains("## Essay: why tokenization shapes what a model can do"));
    assert_eq!(
        facts("tokenizers")["source"],
        "tiny shakespeare (towel's embedded copy)"
    );
    report_reads_cleanly(&md);
}

/// Every Markdown table row of a report has its header's number of cells (a
/// title holding a newline, as Cranfield's do, broke rows of the retrieval
/// table), and no count reads "1 tokens" or "only 0 of".
fn report_reads_cleanly(md: &str) {
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    let lines: Vec<&str> = md.lines().collect();
    let mut tables = 0;
    for (i, w) in lines.windows(2).enumerate() {
        if !(w[0].starts_with('|') && w[1].starts_with("| ---")) {
            continue;
        }
        tables += 1;
        let n = cells(w[0]);
        for row in lines[i + 1..].iter().take_while(|l| !l.trim().is_empty()) {
            assert!(
                row.starts_with('|') && cells(row) == n,
                "a row of the table under `{}` is broken: `{row}`",
                w[0]
            );
        }
    }
    assert!(tables > 20, "{tables} tables");
    for noun in [
        "token", "document", "piece", "byte", "term", "number", "time", "step",
    ] {
        assert!(
            !md.contains(&format!(" 1 {noun}s ")),
            "\"1 {noun}s\" in the report"
        );
    }
    assert!(!md.contains("only 0 of"));
}

#[test]
fn tour_with_data_writes_plots() {
    let dir = data_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let v = json_of(
        towel_with_data(&dir)
            .args(["--json", "tour", "--out"])
            .arg(tmp.path()),
    );
    let chapters = v["chapters"].as_array().unwrap();
    // The data inventory comes last; the tokenizer families first.
    assert_eq!(chapters[0]["id"], "tokenizers");
    let data = chapters.last().unwrap();
    assert_eq!(data["id"], "data");
    assert_eq!(data["facts"]["mismatched"], 0);
    for c in chapters {
        for plot in c["plots"].as_array().unwrap() {
            let name = plot.as_str().unwrap();
            let bytes = fs::read(tmp.path().join(name)).unwrap();
            if name.ends_with(".svg") {
                let svg = String::from_utf8(bytes).unwrap();
                assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
            } else {
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            }
        }
    }
}

#[test]
fn tour_unknown_chapter_is_an_error() {
    towel()
        .args([
            "tour",
            "--only",
            "nope",
            "--out",
            "/tmp/unused-towel-report",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: no tour chapter `nope`"));
}

/// `tour --list`: the chapters' ids and titles, as JSON with `--json` (it
/// printed the text table).
#[test]
fn tour_list_text_and_json() {
    let text = towel().args(["tour", "--list"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let json = towel().args(["--json", "tour", "--list"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let chapters = v["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), text.lines().count());
    for (c, line) in chapters.iter().zip(text.lines()) {
        let (id, title) = (c["id"].as_str().unwrap(), c["title"].as_str().unwrap());
        assert!(line.starts_with(id) && line.ends_with(title), "{line}");
    }
    assert!(chapters.iter().any(|c| c["id"] == "retrieval"));
}

/// Binary inputs must be regular files: a device was read whole before its
/// header was checked (`towel search /dev/zero q` used up the memory).
#[test]
fn a_device_is_not_read_as_an_index_a_checkpoint_or_vectors() {
    for args in [
        &["search", "/dev/zero", "hello"][..],
        &["sample", "/dev/zero"][..],
        &[
            "vectors",
            "search",
            "--base",
            "/dev/zero",
            "--queries",
            "/dev/zero",
        ][..],
    ] {
        let out = towel()
            .args(args)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.lines().count() == 1 && err.contains("/dev/zero: not a regular file"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn help_explains_the_commands() {
    towel()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("tour").and(predicate::str::contains("data")));
}

/// The top-level help names a part only when its command exists (a part
/// that is still being built must not be advertised).
#[test]
fn help_describes_only_parts_that_exist() {
    let help = String::from_utf8(towel().arg("--help").output().unwrap().stdout).unwrap();
    let about = help.split("Usage:").next().unwrap().to_lowercase();
    let commands = String::from_utf8(towel().arg("__commands").output().unwrap().stdout).unwrap();
    let has = |c: &str| {
        commands
            .lines()
            .any(|l| l == c || l.starts_with(&format!("{c} ")))
    };
    for (part, command) in [
        ("tokenizers", "encode"),
        ("sparse retrieval", "search"),
        ("vectors", "vectors"),
        ("autograd", "grad"),
        ("training", "train"),
        ("explain", "explain"),
        ("bpe trace", "bpe trace"),
    ] {
        if about.contains(part) {
            assert!(
                has(command),
                "--help mentions {part}, but there is no `towel {command}`"
            );
        }
    }
}
