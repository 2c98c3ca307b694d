//! End-to-end tests of the `towel` binary: data commands, the tour, errors.

use std::fs;

use predicates::prelude::*;
use towel_data::data_or_skip;

mod common;
use common::{json_of, towel, towel_with_data};

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
    let row = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "cl100k_base")
        .unwrap();
    assert_eq!(row["status"], "mismatch");
    towel_with_data(tmp.path())
        .args(["data", "verify"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("cl100k_base").and(predicate::str::contains("wrong sha256")),
        );
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
    assert!(json["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["error"].is_null()));
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
    assert_eq!(chapters[0]["id"], "data");
    assert_eq!(chapters[0]["facts"]["mismatched"], 0);
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

#[test]
fn help_explains_the_commands() {
    towel()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("tour").and(predicate::str::contains("data")));
}
