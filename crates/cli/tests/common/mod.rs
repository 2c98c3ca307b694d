//! What the CLI tests share: the `towel` binary with a controlled
//! environment, and running it for its `--json` output.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// The `towel` binary with no data folder and no usable cache, so a test
/// sees exactly the data it passes itself.
pub fn towel() -> Command {
    let mut c = Command::cargo_bin("towel").unwrap();
    c.env_remove("TOWEL_DATA_DIR")
        .env("TOWEL_CACHE_DIR", "/nonexistent-towel-cache");
    c
}

/// [`towel`] with `dir` as its data folder.
pub fn towel_with_data(dir: &Path) -> Command {
    let mut c = towel();
    c.env("TOWEL_DATA_DIR", dir);
    c
}

/// Run `cmd`, which must succeed (its stderr is shown if not), and parse
/// its standard output as JSON.
pub fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run `cmd`, which must succeed (its stderr is shown if not), and return
/// its standard output.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Run `cmd`, which must fail with exit 1, nothing on stdout and one line
/// `error: ...` on stderr (no panic), and return that line.
pub fn one_line_error(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "should fail with exit 1");
    assert!(out.stdout.is_empty(), "nothing on stdout after an error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && !err.contains("panicked"),
        "{err}"
    );
    err
}
