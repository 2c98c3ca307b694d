//! End-to-end tests of `towel vectors search` and `towel vectors random`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::{json_of, towel};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors/tests/fixtures")
        .join(name)
}

fn search(base: &Path, queries: &Path, extra: &[&str]) -> Value {
    let mut c = towel();
    c.args(["--json", "vectors", "search", "--base"])
        .arg(base)
        .arg("--queries")
        .arg(queries)
        .args(extra);
    json_of(&mut c)
}

#[test]
fn search_json_equals_faiss() {
    // The faiss fixtures of towel-vectors: tied integer scores, so ids and
    // scores must be exactly faiss's (IndexFlatIP / IndexFlatL2, one batch).
    let faiss: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("faiss/faiss.json")).unwrap())
            .unwrap();
    let (base, queries) = (
        fixture("faiss/ties_base.npy"),
        fixture("faiss/ties_queries.npy"),
    );
    for (metric, key) in [("ip", "ip"), ("l2", "l2")] {
        let got = search(&base, &queries, &["-k", "10", "--metric", metric]);
        let want = &faiss["ties"][key]["batch"];
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), 40);
        for (q, hit) in got.iter().enumerate() {
            assert_eq!(hit["ids"], want["ids"][q], "{metric} query {q}");
            assert_eq!(hit["scores"], want["scores"][q], "{metric} query {q}");
        }
    }
}

/// `towel [--json] vectors random --n N --dim D --seed S [extra...] --out OUT`.
fn random_cmd(json: bool, n: &str, dim: &str, seed: &str, extra: &[&str], out: &Path) -> Command {
    let mut c = towel();
    if json {
        c.arg("--json");
    }
    c.args(["vectors", "random", "--n", n, "--dim", dim, "--seed", seed])
        .args(extra)
        .arg("--out")
        .arg(out);
    c
}

#[test]
fn random_then_search_text_and_cosine() {
    let d = tempfile::tempdir().unwrap();
    let (base, q, again) = (
        d.path().join("base.npy"),
        d.path().join("q.npy"),
        d.path().join("again.npy"),
    );
    random_cmd(false, "50", "8", "3", &["--normalize"], &base)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "wrote 50 unit vectors of dimension 8",
        ));
    assert_eq!(
        json_of(&mut random_cmd(
            true,
            "50",
            "8",
            "3",
            &["--normalize"],
            &again
        ))["n"],
        50
    );
    assert_eq!(
        std::fs::read(&base).unwrap(),
        std::fs::read(&again).unwrap(),
        "same seed, same file"
    );
    let v = towel_vectors::read_npy(&base).unwrap();
    assert!(v
        .rows()
        .all(|r| (towel_vectors::norm(r) - 1.0).abs() < 1e-5));

    // Each vector's own nearest neighbour is itself, by cosine.
    random_cmd(false, "50", "8", "3", &[], &q)
        .assert()
        .success();
    let hits = search(&base, &q, &["-k", "1", "--metric", "cosine"]);
    for (i, h) in hits.as_array().unwrap().iter().enumerate() {
        assert_eq!(h["ids"][0], i);
        assert!((h["scores"][0].as_f64().unwrap() - 1.0).abs() < 1e-5);
    }
    let mut c = towel();
    c.args(["vectors", "search", "-k", "3", "--base"])
        .arg(&base)
        .arg("--queries")
        .arg(&base);
    c.assert()
        .success()
        .stdout(predicate::str::contains(
            "50 queries, 50 base vectors of dimension 8, top 3 by inner product",
        ))
        .stdout(predicate::str::contains("    7: 7 (1.0000)"));
}

/// `towel vectors search` with `extra` options, then `--base` and `--queries`.
fn search_cmd(base: &Path, queries: &Path, extra: &[&str]) -> Command {
    let mut c = towel();
    c.args(["vectors", "search"])
        .args(extra)
        .arg("--base")
        .arg(base)
        .arg("--queries")
        .arg(queries);
    c
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    let (b4, b5) = (d.path().join("b4.npy"), d.path().join("b5.npy"));
    random_cmd(false, "3", "4", "1", &[], &b4)
        .assert()
        .success();
    random_cmd(false, "3", "5", "1", &[], &b5)
        .assert()
        .success();
    search_cmd(&b4, &b5, &[]).assert().failure().stderr(
        predicate::str::contains("b5.npy: dimension 5, but the base vectors")
            .and(predicate::str::contains("b4.npy) have dimension 4")),
    );
    search_cmd(&fixture("npy/float64_5x3.npy"), &b4, &[])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "float64_5x3.npy (byte 10): dtype '<f8' (float64), expected float32",
        ));
    search_cmd(Path::new("/nonexistent/b.npy"), &b4, &[])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(
            "error: cannot read /nonexistent/b.npy: No such file or directory",
        ));
    search_cmd(&b4, &b4, &["--metric", "dot"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values: ip, cosine, l2"));
    random_cmd(false, "2", "0", "1", &[], &d.path().join("z.npy"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid dimension"));
}

#[test]
fn random_replaces_only_npy_files_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let notes = d.path().join("notes.txt");
    std::fs::write(&notes, "my notes").unwrap();
    random_cmd(false, "2", "3", "1", &[], &notes)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "is not a numpy .npy file (pass --force",
        ));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
    random_cmd(false, "2", "3", "1", &["--force"], &notes)
        .assert()
        .success();
    let npy = d.path().join("v.npy");
    random_cmd(false, "2", "3", "1", &[], &npy)
        .assert()
        .success();
    random_cmd(false, "4", "3", "2", &[], &npy)
        .assert()
        .success();
    assert_eq!(towel_vectors::read_npy(&npy).unwrap().len(), 4);
}

#[test]
fn sizes_past_memory_are_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("z.npy");
    // n × dim fits in a usize but not its 4 bytes a value: this panicked
    // with "capacity overflow".
    let e = common::one_line_error(&mut random_cmd(
        false,
        "100000000000",
        "100000000",
        "1",
        &[],
        &out,
    ));
    assert!(
        e.contains("take 40000000000000000000 bytes (40.0 EB)"),
        "{e}"
    );
    // 4 TB: this aborted out of memory (where the kernel refuses requests
    // that large, as Linux does unless told to overcommit anything).
    let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory");
    if overcommit.is_ok_and(|s| s.trim() != "1") {
        let e =
            common::one_line_error(&mut random_cmd(false, "1000000000", "1000", "1", &[], &out));
        assert!(e.contains("take 4000000000000 bytes (4.0 TB)"), "{e}");
    }
    assert!(!out.exists());
}

#[test]
fn k_past_the_base_returns_every_vector() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("b.npy");
    random_cmd(false, "30", "4", "1", &[], &base)
        .assert()
        .success();
    // k = 10¹² allocated a heap of 10¹² slots per query and aborted.
    let huge = search(&base, &base, &["-k", "1000000000000", "--metric", "l2"]);
    let exact = search(&base, &base, &["-k", "30", "--metric", "l2"]);
    assert_eq!(huge, exact);
    assert_eq!(huge[0]["ids"].as_array().unwrap().len(), 30);
}

#[test]
fn non_finite_vectors_are_refused_by_every_metric() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("good.npy");
    random_cmd(false, "3", "2", "1", &[], &good)
        .assert()
        .success();
    for (name, bad) in [
        ("nan", f32::NAN),
        ("inf", f32::INFINITY),
        ("-inf", f32::NEG_INFINITY),
    ] {
        let path = d.path().join(format!("{name}.npy"));
        let v = towel_vectors::Vectors::new(vec![1.0, 2.0, 3.0, bad, 5.0, 6.0], 2).unwrap();
        towel_vectors::npy::write_npy(&path, &v).unwrap();
        for metric in ["ip", "l2", "cosine"] {
            // ip and l2 printed empty result lines and exited 0.
            for (base, queries, origin) in [(&path, &good, "vectors"), (&good, &path, "queries")] {
                // The file is named, before the library's name for it.
                let file = path.display();
                let mut c = towel();
                c.args(["vectors", "search", "--metric", metric, "--base"])
                    .arg(base)
                    .arg("--queries")
                    .arg(queries);
                let e = common::one_line_error(&mut c);
                let want = format!(
                    "error: in {file}: {origin}: row 1 has {bad} at column 1; vectors must be finite to be compared"
                );
                assert_eq!(e.trim_end(), want, "{metric}");
            }
        }
    }
}

/// What a reviewer found unclear: an empty base searched silently, a
/// structured dtype called a malformed header, an overflowing norm called
/// "inf", `-k 0` worded by clap's integer parser, and a negative number
/// taken for an unknown option.
#[test]
fn unclear_inputs_get_messages_that_say_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    let q = d.path().join("q.npy");
    random_cmd(false, "2", "3", "1", &[], &q).assert().success();
    let write = |name: &str, bytes: Vec<u8>| {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let npy = |descr: &str, shape: &str, data: &[u8]| {
        let mut h = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(data);
        b
    };
    let empty = write("empty.npy", npy("'<f4'", "(0, 3)", &[]));
    let structured = write(
        "rec.npy",
        npy("[('a', '<f4'), ('b', '<f4')]", "(1,)", &[0; 8]),
    );
    let big: Vec<u8> = [3e38f32, 1.0, 0.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let big = write("big.npy", npy("'<f4'", "(1, 3)", &big));
    let search = |base: &Path, queries: &Path, extra: &[&str]| {
        common::one_line_error(&mut search_cmd(base, queries, extra))
    };
    let e = search(&empty, &q, &[]);
    assert!(e.contains("empty.npy holds no vectors"), "{e}");
    let e = search(&structured, &q, &[]);
    assert!(
        e.contains("rec.npy") && e.contains("structured dtype"),
        "{e}"
    );
    let e = search(&q, &big, &["--metric", "cosine"]);
    assert!(
        e.contains("in ") && e.contains("big.npy") && e.contains("scale the vectors down"),
        "{e}"
    );
    // Usage errors (exit 2), each naming the option's own rule.
    for (args, want) in [
        (
            &[
                "vectors",
                "search",
                "-k",
                "0",
                "--base",
                "q.npy",
                "--queries",
                "q.npy",
            ][..],
            "'--k <K>': must be at least 1",
        ),
        (
            &["eval", "x.idx", "--threads", "0"][..],
            "'--threads <THREADS>': must be at least 1",
        ),
        (
            &[
                "vectors", "random", "--n", "-1", "--dim", "2", "--seed", "1", "--out", "x.npy",
            ][..],
            "'--n <N>': invalid digit",
        ),
        (
            &["train", "digits", "--lr", "-1"][..],
            "must be a positive finite number, not -1",
        ),
    ] {
        let out = towel().current_dir(d.path()).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // A negative k1 reaches BM25's own check (it was "unexpected argument '-1'").
    let corpus = write(
        "c.jsonl",
        b"{\"_id\": \"d1\", \"text\": \"a cat\"}\n".to_vec(),
    );
    let mut c = towel();
    c.current_dir(d.path())
        .arg("index")
        .arg("--corpus")
        .arg(&corpus);
    c.args(["--out", "c.idx", "--k1", "-1"]);
    let e = common::one_line_error(&mut c);
    assert!(
        e.contains("invalid k1: -1 (must be a finite number >= 0)"),
        "{e}"
    );
}
