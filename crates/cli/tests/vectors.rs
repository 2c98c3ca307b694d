//! End-to-end tests of `towel vectors search` and `towel vectors random`.

use std::path::{Path, PathBuf};

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

#[test]
fn random_then_search_text_and_cosine() {
    let d = tempfile::tempdir().unwrap();
    let (base, q) = (d.path().join("base.npy"), d.path().join("q.npy"));
    let mut c = towel();
    c.args([
        "vectors",
        "random",
        "--n",
        "50",
        "--dim",
        "8",
        "--normalize",
        "--seed",
        "3",
        "--out",
    ])
    .arg(&base);
    c.assert().success().stdout(predicate::str::contains(
        "wrote 50 unit vectors of dimension 8",
    ));
    let again = d.path().join("again.npy");
    let mut c = towel();
    c.args([
        "--json",
        "vectors",
        "random",
        "--n",
        "50",
        "--dim",
        "8",
        "--normalize",
        "--seed",
        "3",
        "--out",
    ])
    .arg(&again);
    assert_eq!(json_of(&mut c)["n"], 50);
    assert_eq!(
        std::fs::read(&base).unwrap(),
        std::fs::read(&again).unwrap(),
        "same seed, same file"
    );
    let v = towel_vectors::read_npy(&base).unwrap();
    assert!(v
        .rows()
        .all(|r| (towel_vectors::norm(r) - 1.0).abs() < 1e-5));

    // Each vector's own nearest neighbour is itself, by cosine and by L2.
    let mut c = towel();
    c.args([
        "vectors", "random", "--n", "50", "--dim", "8", "--seed", "3", "--out",
    ])
    .arg(&q);
    c.assert().success();
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

#[test]
fn bad_inputs_are_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    let (b4, b5) = (d.path().join("b4.npy"), d.path().join("b5.npy"));
    for (p, dim) in [(&b4, "4"), (&b5, "5")] {
        let mut c = towel();
        c.args([
            "vectors", "random", "--n", "3", "--dim", dim, "--seed", "1", "--out",
        ])
        .arg(p);
        c.assert().success();
    }
    let mut c = towel();
    c.args(["vectors", "search", "--base"])
        .arg(&b4)
        .arg("--queries")
        .arg(&b5);
    c.assert().failure().stderr(
        predicate::str::contains("b5.npy: dimension 5, but the base vectors")
            .and(predicate::str::contains("b4.npy) have dimension 4")),
    );
    let mut c = towel();
    c.args(["vectors", "search", "--base"])
        .arg(fixture("npy/float64_5x3.npy"))
        .arg("--queries")
        .arg(&b4);
    c.assert().failure().stderr(predicate::str::contains(
        "float64_5x3.npy (byte 10): dtype '<f8' (float64), expected float32",
    ));
    let mut c = towel();
    c.args([
        "vectors",
        "search",
        "--base",
        "/nonexistent/b.npy",
        "--queries",
    ])
    .arg(&b4);
    c.assert().failure().stderr(predicate::str::starts_with(
        "error: cannot read /nonexistent/b.npy: No such file or directory",
    ));
    let mut c = towel();
    c.args(["vectors", "search", "--metric", "dot", "--base"])
        .arg(&b4)
        .arg("--queries")
        .arg(&b4);
    c.assert()
        .code(2)
        .stderr(predicate::str::contains("possible values: ip, cosine, l2"));
    let mut c = towel();
    c.args([
        "vectors", "random", "--n", "2", "--dim", "0", "--seed", "1", "--out",
    ])
    .arg(d.path().join("z.npy"));
    c.assert()
        .failure()
        .stderr(predicate::str::contains("invalid dimension"));
}
