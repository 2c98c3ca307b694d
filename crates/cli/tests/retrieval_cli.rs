//! End-to-end tests of `towel index`, `towel search` and `towel eval`.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use towel_data::data_or_skip;

mod common;
use common::{json_of, towel};

fn small_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("c.jsonl");
    fs::write(
        &p,
        concat!(
            "{\"_id\": \"cats\", \"title\": \"Cats\", \"text\": \"Cats purr and sleep all day.\"}\n",
            "{\"_id\": \"dogs\", \"title\": \"Dogs\", \"text\": \"Dogs bark at the cats.\"}\n",
            "{\"_id\": \"fish\", \"title\": \"Fish\", \"text\": \"Fish swim.\"}\n",
        ),
    )
    .unwrap();
    p
}

/// `towel index --corpus CORPUS --out INDEX`, to add options to.
fn index_cmd(corpus: &Path, index: &Path) -> Command {
    let mut c = towel();
    c.args(["index", "--corpus"])
        .arg(corpus)
        .arg("--out")
        .arg(index);
    c
}

#[test]
fn index_search_json_and_text() {
    let d = tempfile::tempdir().unwrap();
    let corpus = small_corpus(d.path());
    let idx = d.path().join("x.idx");
    index_cmd(&corpus, &idx)
        .assert()
        .success()
        .stdout(predicate::str::contains("indexed 3 documents"));
    let v = json_of(
        towel()
            .args(["--json", "search"])
            .arg(&idx)
            .args(["purring cat", "-k", "5"]),
    );
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits[0]["id"], "cats");
    assert_eq!(hits[0]["title"], "Cats");
    assert_eq!(hits.len(), 2);
    towel()
        .arg("search")
        .arg(&idx)
        .arg("zebra")
        .assert()
        .success()
        .stdout(predicate::str::contains("no document"));
    for method in [
        &["--method", "tfidf"][..],
        &["--variant", "bm25+", "--k1", "1.5"],
    ] {
        index_cmd(&corpus, &idx).args(method).assert().success();
        towel()
            .arg("search")
            .arg(&idx)
            .arg("dogs")
            .assert()
            .success()
            .stdout(predicate::str::contains("dogs"));
    }
}

#[test]
fn text_folder_and_custom_fields() {
    let d = tempfile::tempdir().unwrap();
    let folder = d.path().join("docs");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("one.txt"), "alpha beta").unwrap();
    fs::write(folder.join("two.txt"), "gamma delta").unwrap();
    let idx = d.path().join("t.idx");
    index_cmd(&folder, &idx).assert().success();
    // An index named .txt inside the folder it indexes would be read as a
    // document by the next `towel index` of that folder: refused, nothing
    // written. Elsewhere, or named .idx in the folder, it is fine.
    index_cmd(&folder, &folder.join("c.txt"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "into the folder of .txt documents it indexes",
        ));
    assert!(!folder.join("c.txt").exists());
    index_cmd(&folder, &folder.join("c.idx")).assert().success();
    index_cmd(&folder, &d.path().join("c.txt"))
        .assert()
        .success();
    towel()
        .arg("search")
        .arg(&idx)
        .arg("gamma")
        .assert()
        .success()
        .stdout(predicate::str::contains("two"));
    let j = d.path().join("c.jsonl");
    fs::write(&j, "{\"key\": \"k1\", \"body\": \"epsilon zeta\"}\n").unwrap();
    index_cmd(&j, &idx)
        .args(["--id-field", "key", "--text-field", "body"])
        .assert()
        .success();
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    let corpus = small_corpus(d.path());
    let idx = d.path().join("x.idx");
    let bad = d.path().join("bad.jsonl");
    fs::write(&bad, "{\"_id\": \"a\", \"text\": \"x\"}\n{oops\n").unwrap();
    index_cmd(&bad, &idx)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.jsonl:2"));
    assert!(!idx.exists(), "no index is written on error");
    index_cmd(&corpus, &idx)
        .args(["--method", "tfidf", "--k1", "2"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--k1 applies to --method bm25 only",
        ));
    index_cmd(&corpus, &idx)
        .args(["--variant", "bm26"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("lucene, robertson"));
    index_cmd(&corpus, &idx)
        .args(["--b", "2"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("between 0 and 1"));
    // An index file damaged on disk.
    index_cmd(&corpus, &idx).assert().success();
    let mut b = fs::read(&idx).unwrap();
    let n = b.len();
    b[n - 3] ^= 1;
    fs::write(&idx, &b).unwrap();
    let out = towel()
        .arg("search")
        .arg(&idx)
        .arg("cats")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: ") && err.contains("corrupted"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    fs::write(&idx, &b[..n / 2]).unwrap();
    towel()
        .arg("search")
        .arg(&idx)
        .arg("cats")
        .assert()
        .failure()
        .stderr(predicate::str::contains("truncated"));
}

#[test]
fn eval_on_scifact_matches_bm25s() {
    let data = data_or_skip!();
    let d = tempfile::tempdir().unwrap();
    let idx = d.path().join("sf.idx");
    let beir = data.join("ir/scifact");
    index_cmd(&beir, &idx).assert().success();
    let run = d.path().join("sf.run");
    let v = json_of(
        towel()
            .args(["--json", "eval"])
            .arg(&idx)
            .arg("--beir")
            .arg(&beir)
            .arg("--run")
            .arg(&run),
    );
    for key in ["ndcg@10", "recall@100", "map", "mrr@10", "queries", "qps"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["queries"], 300);
    // bm25s (lucene, k1 1.2, b 0.75, stopwords + stemmer) measures 0.6791 / 0.9127.
    assert!(
        (v["ndcg@10"].as_f64().unwrap() - 0.6791).abs() < 5e-5,
        "{v}"
    );
    assert!(
        (v["recall@100"].as_f64().unwrap() - 0.9127).abs() < 5e-5,
        "{v}"
    );
    let lines = fs::read_to_string(&run).unwrap();
    // At most 100 per query (fewer when fewer documents share a query term).
    let n = lines.lines().count();
    assert!(n > 290 * 100 && n <= 300 * 100, "{n} run lines");
    assert!(lines.lines().all(|l| l.split_whitespace().count() == 6));
    // Explicit files give the same; qrels naming unknown docs are a warning.
    let qrels = d.path().join("q.tsv");
    let mut text = fs::read_to_string(beir.join("qrels/test.tsv")).unwrap();
    text.push_str("1\tno-such-doc\t1\n");
    fs::write(&qrels, text).unwrap();
    towel()
        .arg("eval")
        .arg(&idx)
        .arg("--queries")
        .arg(beir.join("queries.jsonl"))
        .arg("--qrels")
        .arg(&qrels)
        .assert()
        .success()
        .stdout(predicate::str::contains("nDCG@10"))
        .stderr(predicate::str::contains("1 qrels entries name documents"));
}

#[test]
fn search_explain_parts_sum_to_the_score() {
    let d = tempfile::tempdir().unwrap();
    let corpus = small_corpus(d.path());
    for method in ["bm25", "tfidf"] {
        let idx = d.path().join(format!("{method}.idx"));
        index_cmd(&corpus, &idx)
            .args(["--method", method])
            .assert()
            .success();
        let v = json_of(
            towel()
                .args(["--json", "search", "--explain"])
                .arg(&idx)
                .args(["cats cats bark", "-k", "5"]),
        );
        let hits = v["hits"].as_array().unwrap();
        assert_eq!(hits.len(), 2, "{method}");
        for h in hits {
            let score = h["score"].as_f64().unwrap();
            let terms = h["explanation"].as_array().unwrap();
            let sum: f64 = terms.iter().map(|t| t["score"].as_f64().unwrap()).sum();
            assert!(
                (sum - score).abs() <= 1e-5 * score.abs().max(1.0),
                "{method} {}: parts {sum} vs score {score}",
                h["id"]
            );
            assert!(terms.iter().any(|t| t["in_doc"] == true));
        }
        let cat = hits[0]["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["term"] == "cat" || t["term"] == "cats")
            .unwrap()
            .clone();
        assert_eq!(cat["query_count"], 2, "{method}");
        towel()
            .args(["search", "--explain"])
            .arg(&idx)
            .arg("cats bark")
            .assert()
            .success()
            .stdout(predicate::str::contains("bark"))
            .stdout(predicate::str::contains("not in the document"))
            .stdout(predicate::str::contains(if method == "bm25" {
                " x tfc "
            } else {
                "query weight "
            }));
    }
}

#[test]
fn eval_inputs_with_a_bom_or_duplicates() {
    let d = tempfile::tempdir().unwrap();
    let corpus = small_corpus(d.path());
    let idx = d.path().join("x.idx");
    index_cmd(&corpus, &idx).assert().success();
    let qrels = d.path().join("qrels.tsv");
    fs::write(&qrels, "\u{feff}q1\tcats\t1\nq2\tdogs\t1\n").unwrap();
    let queries = d.path().join("q.tsv");
    // A BOM used to become part of `q1`, which then dropped out of the evaluation.
    fs::write(&queries, "\u{feff}q1\tpurring cats\nq2\tbarking dogs\n").unwrap();
    let eval = |queries: &Path, qrels: &Path| {
        let mut c = towel();
        c.args(["--json", "eval"])
            .arg(&idx)
            .arg("--queries")
            .arg(queries)
            .arg("--qrels")
            .arg(qrels);
        c
    };
    let v = json_of(&mut eval(&queries, &qrels));
    assert_eq!(v["queries"], 2);
    assert_eq!(v["mrr@10"], 1.0);
    // More threads than cores: the same figures on at most one thread a
    // core, and a warning (100,000 threads used to start, and spin).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let many = eval(&queries, &qrels)
        .args(["--threads", "100000"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stderr(format!(
            "warning: --threads 100000 is more than the {cores} cores here; searching on {cores}\n"
        ));
    let w: serde_json::Value = serde_json::from_slice(&many.get_output().stdout).unwrap();
    assert_eq!(
        (w["queries"].clone(), w["mrr@10"].clone()),
        (2.into(), 1.0.into())
    );
    let dup = d.path().join("dup.tsv");
    fs::write(&dup, "q1\tpurring cats\nq2\tbarking dogs\nq1\tfish\n").unwrap();
    eval(&dup, &qrels)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "duplicate query id `q1` (lines 1 and 3)",
        ));
    let dup_qrels = d.path().join("dup_qrels.tsv");
    fs::write(&dup_qrels, "q1\tcats\t1\nq1\tcats\t1\n").unwrap();
    eval(&queries, &dup_qrels)
        .assert()
        .failure()
        .stderr(predicate::str::contains("dup_qrels.tsv:2"));
    // Empty files are named as empty, not as "no query is judged".
    let empty = d.path().join("empty.tsv");
    fs::write(&empty, "").unwrap();
    eval(&empty, &qrels)
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty.tsv has no queries"));
    eval(&queries, &empty)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "empty.tsv: no judgments in the file",
        ));
    let txt = d.path().join("notes.txt");
    fs::write(&txt, "some text\n").unwrap();
    index_cmd(&txt, &d.path().join("y.idx"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("folder of .txt files"));
}
