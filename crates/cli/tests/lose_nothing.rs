//! Issue #10, "lose nothing", as one table over every command: each row says
//! how to run a command on files of a sandbox, which of them it reads and
//! where its outputs go (`{OUT}`, `{OUT2}`). Each row is tried with an
//! output that is an input (itself, a symlink to it, a hard link to it), two
//! outputs that are one file, a read-only destination, stdout closed before
//! the command writes, and stdout on a full disk (`/dev/full`).
//!
//! The table must name every command `towel __commands` lists (clap's own
//! list): a new command without a row fails [`every_command_has_a_row`].

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::towel;

/// How one command is run.
struct Row {
    /// The command path as `towel __commands` prints it.
    command: &'static str,
    /// Its arguments; `{OUT}`, `{OUT2}` are the outputs, other paths are
    /// relative to the sandbox.
    args: &'static [&'static str],
    /// The sandbox files it reads.
    inputs: &'static [&'static str],
    /// Whether it needs the reference data (`TOWEL_DATA_DIR`).
    needs_data: bool,
}

const fn row(
    command: &'static str,
    args: &'static [&'static str],
    inputs: &'static [&'static str],
) -> Row {
    Row {
        command,
        args,
        inputs,
        needs_data: false,
    }
}

const TABLE: &[Row] = &[
    row(
        "tour",
        &[
            "tour",
            "--embedded-only",
            "--only",
            "data",
            "--out",
            "{OUT}",
        ],
        &[],
    ),
    row("data list", &["data", "list"], &[]),
    Row {
        needs_data: true,
        ..row("data verify", &["data", "verify"], &[])
    },
    Row {
        needs_data: true,
        ..row("data fetch", &["data", "fetch", "r50k_base"], &[])
    },
    row(
        "encode",
        &["encode", "-e", "bytes", "text.txt"],
        &["text.txt"],
    ),
    row(
        "decode",
        &["decode", "-e", "bytes", "ids.json"],
        &["ids.json"],
    ),
    row(
        "vocab convert",
        &[
            "vocab",
            "convert",
            "--from-towel",
            "tok.json",
            "--to-tiktoken",
            "{OUT}",
            "--to-towel",
            "{OUT2}",
        ],
        &["tok.json"],
    ),
    row(
        "index",
        &["index", "--corpus", "beir", "--out", "{OUT}"],
        &["beir/corpus.jsonl"],
    ),
    row(
        "search",
        &["search", "x.idx", "hello", "-k", "1000"],
        &["x.idx"],
    ),
    row(
        "search",
        &["search", "x.idx", "hello", "--explain"],
        &["x.idx"],
    ),
    row(
        "eval",
        &["eval", "x.idx", "--beir", "beir", "--run", "{OUT}"],
        &["x.idx", "beir/queries.jsonl", "beir/qrels/test.tsv"],
    ),
    row(
        "fuse",
        &["fuse", "a.run", "b.run", "--out", "{OUT}"],
        &["a.run", "b.run"],
    ),
    row(
        "tokenize",
        &[
            "tokenize",
            "-f",
            "word",
            "text.txt",
            "--save-vocab",
            "{OUT}",
        ],
        &["text.txt"],
    ),
    row(
        "bpe train",
        &[
            "bpe",
            "train",
            "--vocab-size",
            "300",
            "--out",
            "{OUT}",
            "text.txt",
        ],
        &["text.txt"],
    ),
    row("bpe show", &["bpe", "show", "tok.json"], &["tok.json"]),
    row(
        "bpe trace",
        &["bpe", "trace", "-f", "text.txt"],
        &["text.txt"],
    ),
    row("explain", &["explain", "-f", "text.txt"], &["text.txt"]),
    row(
        "grad",
        &["grad", "sin(x**3 + 2*x)", "--at", "x=2", "--trace"],
        &[],
    ),
    row(
        "vectors search",
        &[
            "vectors",
            "search",
            "--base",
            "v.npy",
            "--queries",
            "v.npy",
            "-k",
            "3",
        ],
        &["v.npy"],
    ),
    row(
        "train digits",
        &[
            "train", "digits", "--epochs", "1", "--out", "{OUT}", "--plot", "{OUT2}",
        ],
        &[],
    ),
    row(
        "train charlm",
        &[
            "train", "charlm", "--data", "text.txt", "--steps", "3", "--hidden", "8", "--out",
            "{OUT}", "--plot", "{OUT2}",
        ],
        &["text.txt"],
    ),
    row(
        "sample",
        &["sample", "lm.safetensors", "--tokens", "20"],
        &["lm.safetensors"],
    ),
    row("profile", &["profile", "digits", "--steps", "2"], &[]),
    row(
        "vectors random",
        &[
            "vectors", "random", "--n", "5", "--dim", "4", "--seed", "1", "--out", "{OUT}",
        ],
        &[],
    ),
    row(
        "vectors experiment",
        &[
            "vectors",
            "experiment",
            "--dims",
            "2,8",
            "--n",
            "40",
            "--queries",
            "3",
            "--out",
            "{OUT}",
        ],
        &[],
    ),
    row(
        "vectors svd",
        &["vectors", "svd", "--m", "20", "--n", "10", "--rank", "3"],
        &[],
    ),
];

/// A folder with one of each input file.
struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        let words = [
            "hello",
            "world",
            "towel",
            "index",
            "retrieval",
            "token",
            "merge",
            "query",
        ];
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(words[i % words.len()]);
            text.push(if i % 11 == 10 { '\n' } else { ' ' });
        }
        fs::write(p.join("text.txt"), &text).unwrap();
        fs::write(p.join("ids.json"), "[104, 105, 10]").unwrap();
        fs::write(p.join("a.run"), "q1 Q0 d1 1 2.5 a\nq1 Q0 d2 2 1.5 a\n").unwrap();
        fs::write(p.join("b.run"), "q1 Q0 d2 1 0.9 b\nq1 Q0 d3 2 0.1 b\n").unwrap();
        fs::create_dir_all(p.join("beir/qrels")).unwrap();
        let corpus: String = (0..30)
            .map(|i| {
                format!(
                    "{{\"_id\": \"d{i}\", \"title\": \"doc {i}\", \"text\": \"{} {} hello\"}}\n",
                    words[i % 8],
                    words[(i * 3) % 8]
                )
            })
            .collect();
        fs::write(p.join("beir/corpus.jsonl"), corpus).unwrap();
        fs::write(
            p.join("beir/queries.jsonl"),
            "{\"_id\": \"q1\", \"text\": \"hello towel\"}\n{\"_id\": \"q2\", \"text\": \"merge query\"}\n",
        )
        .unwrap();
        fs::write(
            p.join("beir/qrels/test.tsv"),
            "query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td6\t1\n",
        )
        .unwrap();
        let sb = Sandbox { tmp };
        sb.run_ok(&["index", "--corpus", "beir", "--out", "x.idx"]);
        sb.run_ok(&[
            "bpe",
            "train",
            "--vocab-size",
            "300",
            "--out",
            "tok.json",
            "text.txt",
        ]);
        sb.run_ok(&[
            "train",
            "charlm",
            "--data",
            "text.txt",
            "--steps",
            "3",
            "--hidden",
            "8",
            "--out",
            "lm.safetensors",
        ]);
        sb.run_ok(&[
            "vectors", "random", "--n", "20", "--dim", "4", "--seed", "1", "--out", "v.npy",
        ]);
        sb
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `towel ARGS` in the sandbox, environment as in `common::towel`.
    fn command(&self, args: &[String], needs_data: bool) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("towel"));
        c.env_remove("TOWEL_DATA_DIR")
            .env("TOWEL_CACHE_DIR", "/nonexistent-towel-cache");
        if needs_data {
            let dir = towel_data::testing::data_dir().expect("checked by the caller");
            c.env("TOWEL_DATA_DIR", dir);
        }
        c.current_dir(self.path()).args(args);
        c
    }

    /// Run `towel ARGS` (no reference data) to the end.
    fn run(&self, args: &[&str]) -> Output {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        self.command(&args, false).output().unwrap()
    }

    fn run_ok(&self, args: &[&str]) {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every file's bytes (to see that nothing changed).
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let meta = fs::symlink_metadata(&p).unwrap();
                if meta.is_dir() {
                    walk(&p, out);
                } else if meta.is_file() {
                    out.insert(p.clone(), fs::read(&p).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.path(), &mut out);
        out
    }
}

/// The arguments of `row` with its outputs at `outs` (then fresh names).
fn args_with(row: &Row, outs: &[&str]) -> Vec<String> {
    row.args
        .iter()
        .map(|a| match *a {
            "{OUT}" => outs.first().copied().unwrap_or("new-out-1").to_string(),
            "{OUT2}" => outs.get(1).copied().unwrap_or("new-out-2").to_string(),
            a => a.to_string(),
        })
        .collect()
}

fn n_outputs(row: &Row) -> usize {
    row.args.iter().filter(|a| a.starts_with("{OUT")).count()
}

fn has_data(row: &Row) -> bool {
    !row.needs_data || towel_data::testing::data_dir().is_some()
}

/// A refused run: exit 1, one `error:` line, no file changed, no temp file.
fn assert_refused(row: &Row, case: &str, sb: &Sandbox, args: &[String], expect: &str) {
    let before = sb.snapshot();
    let out = sb.command(args, row.needs_data).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}: {case}: {args:?}: {err}",
        row.command
    );
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1 && err.contains(expect),
        "{}: {case}: expected one line with {expect:?}, got {err:?}",
        row.command
    );
    assert_eq!(
        sb.snapshot(),
        before,
        "{}: {case}: files changed",
        row.command
    );
}

#[test]
fn every_command_has_a_row() {
    let out = towel().arg("__commands").output().unwrap();
    assert!(out.status.success());
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(listed.len() >= 13, "{listed:?}");
    let rows: Vec<String> = TABLE.iter().map(|r| r.command.to_string()).collect();
    for c in &listed {
        assert!(
            rows.contains(c),
            "`towel {c}` has no row in lose_nothing.rs's TABLE: add one (its files, its outputs) so that it is tested"
        );
    }
    for r in &rows {
        assert!(
            listed.contains(r),
            "TABLE has a row for `{r}`, which is not a command"
        );
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_through_links() {
    let sb = Sandbox::new();
    for row in TABLE.iter().filter(|r| n_outputs(r) > 0) {
        for slot in 0..n_outputs(row) {
            for (i, input) in row.inputs.iter().enumerate() {
                let sym = format!("sym-{i}");
                let hard = format!("hard-{i}");
                let _ = fs::remove_file(sb.path().join(&sym));
                let _ = fs::remove_file(sb.path().join(&hard));
                std::os::unix::fs::symlink(sb.path().join(input), sb.path().join(&sym)).unwrap();
                fs::hard_link(sb.path().join(input), sb.path().join(&hard)).unwrap();
                let dotted = format!("./{input}");
                for (case, target) in [
                    ("output = input", *input),
                    ("output = ./input", &dotted),
                    ("output = symlink to input", &sym),
                    ("output = hard link to input", &hard),
                ] {
                    let mut outs = vec!["new-out-1", "new-out-2"];
                    outs[slot] = target;
                    let args = args_with(row, &outs);
                    assert_refused(row, case, &sb, &args, "it is the input");
                    // --force does not override it.
                    if row.args.iter().all(|a| !a.starts_with("--force")) && row.command != "tour" {
                        let mut forced = args.clone();
                        forced.push("--force".into());
                        assert_refused(row, case, &sb, &forced, "it is the input");
                    }
                }
            }
        }
    }
}

#[test]
fn two_outputs_that_are_one_file_are_refused() {
    let sb = Sandbox::new();
    for row in TABLE.iter().filter(|r| n_outputs(r) > 1) {
        fs::write(sb.path().join("hl-a"), b"").unwrap();
        let _ = fs::remove_file(sb.path().join("hl-b"));
        fs::hard_link(sb.path().join("hl-a"), sb.path().join("hl-b")).unwrap();
        for outs in [
            ["same.out", "same.out"],
            ["same.out", "./same.out"],
            ["hl-a", "hl-b"],
        ] {
            let args = args_with(row, &outs);
            assert_refused(
                row,
                "two outputs, one file",
                &sb,
                &args,
                "are the same file",
            );
        }
        assert!(!sb.path().join("same.out").exists());
    }
}

#[test]
fn a_read_only_destination_is_refused() {
    let sb = Sandbox::new();
    let ro = sb.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::write(ro.join("existing"), b"").unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    for row in TABLE.iter().filter(|r| n_outputs(r) > 0) {
        for slot in 0..n_outputs(row) {
            let mut outs = vec!["new-out-1", "new-out-2"];
            outs[slot] = if row.command == "tour" {
                "ro"
            } else {
                "ro/out"
            };
            let args = args_with(row, &outs);
            // A read-only folder; the tour's folder is not towel's (it has a file).
            let expect = if row.command == "tour" {
                "refusing"
            } else {
                "read-only"
            };
            assert_refused(row, "read-only destination", &sb, &args, expect);
        }
    }
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A pipe whose reading end is already closed.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe() fills two new descriptors; we own both.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] is ours and not used again.
    unsafe { libc::close(fds[0]) };
    // SAFETY: fds[1] is an open descriptor we own; Stdio takes it over.
    unsafe { <Stdio as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) }
}

fn run_with_stdout(sb: &Sandbox, row: &Row, stdout: Stdio) -> Output {
    let outs = ["fresh-out-1", "fresh-out-2"];
    let _ = fs::remove_dir_all(sb.path().join(outs[0]));
    for o in outs {
        let _ = fs::remove_file(sb.path().join(o));
    }
    let args = args_with(row, &outs);
    let mut c = sb.command(&args, row.needs_data);
    c.stdout(stdout).stderr(Stdio::piped()).output().unwrap()
}

#[test]
fn a_closed_stdout_is_a_quiet_normal_end() {
    let sb = Sandbox::new();
    for row in TABLE.iter().filter(|r| has_data(r)) {
        let out = run_with_stdout(&sb, row, closed_pipe());
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(0), ""),
            "towel {}",
            row.command
        );
    }
}

#[test]
fn a_full_stdout_is_a_one_line_error() {
    let sb = Sandbox::new();
    for row in TABLE.iter().filter(|r| has_data(r)) {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = run_with_stdout(&sb, row, full.into());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "towel {}: {err}", row.command);
        assert!(
            err.starts_with("error: ")
                && err.lines().count() == 1
                && err.contains("No space left on device"),
            "towel {}: {err:?}",
            row.command
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn new_outputs_honour_the_umask() {
    let sb = Sandbox::new();
    let expected = 0o666 & !umask();
    for row in TABLE.iter().filter(|r| n_outputs(r) > 0 && has_data(r)) {
        let out = run_with_stdout(&sb, row, Stdio::null());
        assert_eq!(
            out.status.code(),
            Some(0),
            "towel {}: {}",
            row.command,
            String::from_utf8_lossy(&out.stderr)
        );
        for o in ["fresh-out-1", "fresh-out-2"].iter().take(n_outputs(row)) {
            let path = sb.path().join(o);
            // The tour's output is a folder: every file it wrote.
            let files: Vec<PathBuf> = if path.is_dir() {
                fs::read_dir(&path)
                    .unwrap()
                    .map(|f| f.unwrap().path())
                    .collect()
            } else {
                vec![path]
            };
            for f in files {
                assert_eq!(mode(&f), expected, "towel {}: {}", row.command, f.display());
            }
        }
    }
}

// ------------------------------------------------------------------
// Each finding of issue #10, as its reproduction.

fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Finding 1: `index --corpus c.jsonl --out c.jsonl` replaced the corpus;
/// an index over an unrelated file needs --force.
#[test]
fn finding_1_index_over_its_corpus_or_another_kind_of_file() {
    let sb = Sandbox::new();
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let r = &TABLE[0];
    assert_refused(
        r,
        "corpus",
        &sb,
        &args(&[
            "index",
            "--corpus",
            "beir/corpus.jsonl",
            "--out",
            "beir/corpus.jsonl",
        ]),
        "it is the input",
    );
    fs::write(sb.path().join("notes.txt"), "my notes\n").unwrap();
    assert_refused(
        r,
        "kind",
        &sb,
        &args(&["index", "--corpus", "beir", "--out", "notes.txt"]),
        "is not a towel index (pass --force",
    );
    assert_refused(
        r,
        "kind",
        &sb,
        &args(&[
            "bpe",
            "train",
            "--vocab-size",
            "260",
            "--out",
            "beir/queries.jsonl",
            "text.txt",
        ]),
        "is not a tokenizer file",
    );
    assert_refused(
        r,
        "kind",
        &sb,
        &args(&["eval", "x.idx", "--beir", "beir", "--run", "tok.json"]),
        "is not a TREC run file",
    );
    sb.run_ok(&["index", "--corpus", "beir", "--out", "notes.txt", "--force"]);
    assert!(fs::read(sb.path().join("notes.txt"))
        .unwrap()
        .starts_with(b"TOWELIDX"));
    // Beside the corpus, in its folder: fine, and again (its own kind).
    sb.run_ok(&["index", "--corpus", "beir", "--out", "beir/b.idx"]);
    sb.run_ok(&["index", "--corpus", "beir", "--out", "beir/b.idx"]);
    // A folder of .txt files: each is an input.
    fs::create_dir(sb.path().join("notes")).unwrap();
    fs::write(sb.path().join("notes/a.txt"), "hello towel\n").unwrap();
    assert_refused(
        r,
        "a .txt of the corpus folder",
        &sb,
        &args(&[
            "index",
            "--corpus",
            "notes",
            "--out",
            "notes/a.txt",
            "--force",
        ]),
        "it is the input",
    );
    // Its own kind is replaced without --force.
    sb.run_ok(&[
        "index", "--corpus", "beir", "--out", "x.idx", "--method", "tfidf",
    ]);
    sb.run_ok(&["eval", "x.idx", "--beir", "beir", "--run", "r.run"]);
    sb.run_ok(&["eval", "x.idx", "--beir", "beir", "--run", "r.run"]);
}

/// Finding 2: `vocab convert --to-gpt2` wrote encoder.json and then failed on
/// vocab.bpe, leaving a mismatched pair; `--to-gpt2 same same` wrote one file.
#[test]
fn finding_2_gpt2_pairs_are_written_together_or_not_at_all() {
    if towel_data::testing::data_dir().is_none() {
        eprintln!("skipped: needs the reference data (set TOWEL_DATA_DIR)");
        return;
    }
    let sb = Sandbox::new();
    let convert = |outs: [&str; 2]| -> Vec<String> {
        [
            "vocab",
            "convert",
            "-e",
            "gpt2",
            "--to-gpt2",
            outs[0],
            outs[1],
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let data_row = Row {
        needs_data: true,
        ..row("vocab convert", &[], &[])
    };
    assert_refused(
        &data_row,
        "same pair",
        &sb,
        &convert(["same", "same"]),
        "are the same file",
    );
    // An earlier pair, then a second file that cannot be written.
    let ok = sb
        .command(&convert(["enc.json", "v.bpe"]), true)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    fs::write(sb.path().join("enc.json"), b"{\"!\": 0}").unwrap();
    fs::create_dir(sb.path().join("ro")).unwrap();
    fs::set_permissions(sb.path().join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    assert_refused(
        &data_row,
        "second not writable",
        &sb,
        &convert(["enc.json", "ro/v.bpe"]),
        "read-only",
    );
    // A failure while writing (the disk): nothing renamed, no temp left.
    assert_eq!(fs::read(sb.path().join("enc.json")).unwrap(), b"{\"!\": 0}");
    fs::set_permissions(sb.path().join("ro"), fs::Permissions::from_mode(0o755)).unwrap();
}

/// An input a command reads without naming it: `--from encoder.json`
/// reads the vocab.bpe beside it, which `--to-tiktoken vocab.bpe --force`
/// replaced (a stranger's review); `train charlm --tokenizer` likewise.
#[test]
fn the_vocab_bpe_beside_an_encoder_json_is_an_input() {
    if towel_data::testing::data_dir().is_none() {
        eprintln!("skipped: needs the reference data (set TOWEL_DATA_DIR)");
        return;
    }
    let sb = Sandbox::new();
    let data_row = Row {
        needs_data: true,
        ..row("vocab convert", &[], &[])
    };
    let args = |a: &[&str]| -> Vec<String> { a.iter().map(|s| s.to_string()).collect() };
    fs::create_dir(sb.path().join("g")).unwrap();
    let ok = sb
        .command(
            &args(&[
                "vocab",
                "convert",
                "-e",
                "gpt2",
                "--to-gpt2",
                "g/encoder.json",
                "g/vocab.bpe",
            ]),
            true,
        )
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for to in ["--to-tiktoken", "--to-towel"] {
        assert_refused(
            &data_row,
            to,
            &sb,
            &args(&[
                "vocab",
                "convert",
                "--from",
                "g/encoder.json",
                to,
                "g/vocab.bpe",
                "--force",
            ]),
            "it is the input",
        );
    }
}

/// Run `script` with bash in `dir`.
fn bash_in(dir: &Path, script: &str) -> Output {
    std::process::Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Finding 3: `search X.idx cancer -k 1000 | head -1`, `bpe show | head -1`
/// panicked; `> /dev/full` too. (Every command: the table tests above.)
#[test]
fn finding_3_head_and_dev_full_through_a_shell() {
    let sb = Sandbox::new();
    let bin = assert_cmd::cargo::cargo_bin("towel");
    for cmd in [
        "search x.idx hello -k 1000",
        "bpe show tok.json -n 100",
        "encode -e bytes text.txt --pieces",
    ] {
        let bash = |script: String| bash_in(sb.path(), &script);
        let towel = bin.display();
        let out = bash(format!(
            "set -o pipefail; '{towel}' {cmd} | head -1 >/dev/null"
        ));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "{cmd}: {err}");
        let out = bash(format!("'{towel}' {cmd} > /dev/full"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// `towel --help > /dev/full` (and `--version`, and a subcommand's help)
/// exited 0 with nothing written; `| head -1` must stay quiet and 0.
#[test]
fn help_that_cannot_be_written_is_an_error() {
    let bin = assert_cmd::cargo::cargo_bin("towel");
    let towel = bin.display();
    for args in ["--help", "--version", "encode --help", "vectors search -h"] {
        let bash = |script: String| bash_in(Path::new("."), &script);
        let out = bash(format!("'{towel}' {args} > /dev/full"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args}: {err}");
        assert!(
            err.starts_with("error: writing to stdout: ")
                && err.contains("No space left on device")
                && err.lines().count() == 1,
            "{args}: {err:?}"
        );
        let out = bash(format!(
            "set -o pipefail; '{towel}' {args} | head -1 >/dev/null"
        ));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "{args}: {err}");
        let out = bash(format!("'{towel}' {args}"));
        assert!(out.status.success() && !out.stdout.is_empty(), "{args}");
    }
}

/// Finding 6: outputs were 0600 whatever the umask, and replacing a 0644
/// file made it 0600.
#[test]
fn finding_6_outputs_honour_the_umask_and_keep_a_replaced_mode() {
    let sb = Sandbox::new();
    let expected = 0o666 & !umask();
    assert_eq!(mode(&sb.path().join("x.idx")), expected);
    assert_eq!(mode(&sb.path().join("tok.json")), expected);
    fs::set_permissions(sb.path().join("x.idx"), fs::Permissions::from_mode(0o604)).unwrap();
    sb.run_ok(&["index", "--corpus", "beir", "--out", "x.idx"]);
    assert_eq!(mode(&sb.path().join("x.idx")), 0o604);
    sb.run_ok(&[
        "tour",
        "--embedded-only",
        "--only",
        "data,retrieval",
        "--out",
        "rep",
    ]);
    for f in fs::read_dir(sb.path().join("rep")).unwrap() {
        let f = f.unwrap().path();
        assert_eq!(mode(&f), expected, "{}", f.display());
    }
}

/// Finding 7: `data verify` passed having checked nothing, and called
/// folders, FIFOs, loops and unreadable files "missing".
#[test]
fn finding_7_data_verify_fails_when_it_checks_nothing_or_cannot_read() {
    let tmp = tempfile::tempdir().unwrap();
    let verify = |dir: &Path| {
        let out = towel()
            .env("TOWEL_DATA_DIR", dir)
            .args(["data", "verify"])
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };
    let err = verify(&tmp.path().join("missing"));
    assert!(err.contains("does not exist"), "{err}");
    fs::write(tmp.path().join("file"), "x").unwrap();
    let err = verify(&tmp.path().join("file"));
    assert!(err.contains("is not a folder"), "{err}");
    let err = verify(tmp.path());
    assert!(err.contains("no data file found"), "{err}");
    let vocab = tmp.path().join("vocab");
    fs::create_dir(&vocab).unwrap();
    fs::create_dir(vocab.join("gpt2")).unwrap();
    fs::create_dir(vocab.join("o200k_base.tiktoken")).unwrap();
    std::os::unix::fs::symlink(
        vocab.join("p50k_base.tiktoken"),
        vocab.join("p50k_base.tiktoken"),
    )
    .unwrap();
    let fifo = vocab.join("r50k_base.tiktoken");
    towel_data::testing::mkfifo(&fifo);
    let err = verify(tmp.path());
    for (name, why) in [
        ("o200k_base", "folder"),
        ("p50k_base", "symbolic links"),
        ("r50k_base", "FIFO"),
    ] {
        assert!(err.contains(name) && err.contains(why), "{name}: {err}");
    }
}

/// Finding 10: `tour --out DIR` overwrote an unrelated README.md and report.json.
#[test]
fn finding_10_tour_writes_only_into_its_own_or_an_empty_folder() {
    let sb = Sandbox::new();
    let repo = sb.path().join("repo");
    fs::create_dir(&repo).unwrap();
    fs::write(repo.join("README.md"), "# my project\n").unwrap();
    let r = &TABLE[0];
    let tour = |dir: &str| -> Vec<String> {
        ["tour", "--embedded-only", "--only", "data", "--out", dir]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    assert_refused(
        r,
        "unrelated folder",
        &sb,
        &tour("repo"),
        "no earlier tour made it",
    );
    assert_refused(r, "a file", &sb, &tour("text.txt"), "is not a folder");
    fs::create_dir(sb.path().join("empty")).unwrap();
    for dir in ["empty", "empty", "new"] {
        sb.run_ok(&tour(dir).iter().map(String::as_str).collect::<Vec<_>>());
    }
    assert!(sb.path().join("empty/.towel-report").is_file());
    // A report of an earlier towel, from before the marker, is recognised.
    fs::remove_file(sb.path().join("empty/.towel-report")).unwrap();
    sb.run_ok(&tour("empty").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(sb.path().join("empty/.towel-report").is_file());
    assert!(sb.path().join("new/README.md").is_file());
    // The marker lists what the tour wrote: a report file edited since is
    // the user's, and is refused, as is a hand-made marker beside files no
    // tour wrote (a later review's finding).
    let edited = sb.path().join("new/report.json");
    fs::write(&edited, "{\"my\": \"notes\"}").unwrap();
    assert_refused(
        r,
        "an edited report",
        &sb,
        &tour("new"),
        "changed since `towel tour` wrote it",
    );
    assert_eq!(fs::read_to_string(&edited).unwrap(), "{\"my\": \"notes\"}");
    let faked = sb.path().join("faked");
    fs::create_dir(&faked).unwrap();
    fs::write(faked.join(".towel-report"), "").unwrap();
    fs::write(faked.join("README.md"), "# mine\n").unwrap();
    assert_refused(
        r,
        "a hand-made marker",
        &sb,
        &tour("faked"),
        "lists no files",
    );
    assert_eq!(
        fs::read_to_string(faked.join("README.md")).unwrap(),
        "# mine\n"
    );
    // An untouched report is replaced again.
    sb.run_ok(&tour("empty").iter().map(String::as_str).collect::<Vec<_>>());
}

/// Finding 12: `search -k 0` said no document matched; `decode --json`
/// ignored the flag; errors repeated the OS message.
#[test]
fn finding_12_k_zero_decode_json_and_errors_said_once() {
    let sb = Sandbox::new();
    for cmd in [
        &["search", "x.idx", "hello", "-k", "0"][..],
        &["eval", "x.idx", "--beir", "beir", "-k", "0"][..],
    ] {
        assert_eq!(sb.run(cmd).status.code(), Some(2), "{cmd:?}");
    }
    fs::write(sb.path().join("bad.json"), "[255, 104]").unwrap();
    let decoded = |file: &str| -> serde_json::Value {
        let out = sb.run(&["--json", "decode", "-e", "bytes", file]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(
        decoded("ids.json"),
        serde_json::json!({"tokens": 3, "bytes": 3, "utf8": true, "text": "hi\n"})
    );
    assert_eq!(
        decoded("bad.json"),
        serde_json::json!({"tokens": 2, "bytes": 2, "utf8": false, "text": "\u{fffd}h"})
    );
    // One OS message per error, whichever command meets it.
    for cmd in [
        &["search", "nope.idx", "q"][..],
        &["index", "--corpus", "beir", "--out", "text.txt/x.idx"][..],
        &["encode", "-e", "bytes", "nope.txt"][..],
        &[
            "tokenize",
            "-f",
            "word",
            "text.txt",
            "--save-vocab",
            "text.txt/v.json",
        ][..],
    ] {
        let out = sb.run(cmd);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        for os in [
            "No such file or directory",
            "Is a directory",
            "Not a directory",
        ] {
            assert!(
                err.matches(os).count() <= 1,
                "{cmd:?} repeats {os:?}: {err}"
            );
        }
    }
}
