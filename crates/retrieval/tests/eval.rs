//! IR evaluation against pytrec_eval (trec_eval), on hand-made tricky cases,
//! seeded random cases and real bm25s runs on SciFact and Cranfield. The
//! fixtures come from `tests/fixtures/gen_eval.py`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;
use towel_data::{registry, DataDirs};
use towel_retrieval::eval::{
    beir_paths, evaluate, evaluate_with_corpus, parse_qrels, parse_trec_run, read_qrels,
    read_trec_run, trec_order, write_trec_run, Evaluation, Metrics, Qrels, Run,
};
use towel_retrieval::RetrievalError;

const TOL: f64 = 1e-9;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load_json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn metrics_from(v: &Value) -> Metrics {
    let f = |i: usize| v[i].as_f64().expect("number");
    Metrics {
        ndcg_at_10: f(0),
        recall_at_100: f(1),
        map: f(2),
        mrr_at_10: f(3),
    }
}

fn assert_close(what: &str, got: &Metrics, want: &Metrics) {
    for ((name, g), (_, w)) in got.named().iter().zip(want.named()) {
        assert!(
            (g - w).abs() <= TOL,
            "{what} {name}: towel {g}, pytrec_eval {w}"
        );
    }
}

/// Compare an evaluation with pytrec_eval's `per_query`, `mean`, `queries`.
fn assert_matches(what: &str, ev: &Evaluation, expected: &Value) {
    assert_eq!(
        ev.queries as u64,
        expected["queries"].as_u64().unwrap(),
        "{what}: queries"
    );
    let per_q = expected["per_query"].as_object().unwrap();
    assert_eq!(ev.per_query.len(), per_q.len(), "{what}: per-query count");
    for (qid, want) in per_q {
        let got = ev
            .per_query
            .get(qid)
            .unwrap_or_else(|| panic!("{what}: query {qid} missing"));
        assert_close(&format!("{what} query {qid}"), got, &metrics_from(want));
    }
    assert_close(
        &format!("{what} mean"),
        &ev.mean,
        &metrics_from(&expected["mean"]),
    );
}

#[test]
fn hand_made_and_random_cases_match_pytrec_eval() {
    let cases = load_json("eval_cases.json");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 9);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let qrels = parse_qrels(case["qrels"].as_str().unwrap(), name).unwrap();
        let run = parse_trec_run(case["run"].as_str().unwrap(), name).unwrap();
        let ev = evaluate(&qrels, &run);
        assert_matches(name, &ev, case);
        assert_eq!(ev.duplicate_run_docs, 0);
    }
}

#[test]
fn tie_order_is_descending_docid() {
    // The fixture case checks the values; this pins the order itself.
    let mut r = [
        ("d1", 1.0),
        ("d10", 1.0),
        ("d9", 1.0),
        ("x", 2.0),
        ("a", -0.0),
        ("b", 0.0),
    ];
    r.sort_by(|a, b| trec_order(*a, *b));
    let ids: Vec<&str> = r.iter().map(|x| x.0).collect();
    assert_eq!(ids, ["x", "d9", "d10", "d1", "b", "a"]);
    let mut n = [("a", f64::NAN), ("b", 0.0), ("c", f64::NEG_INFINITY)];
    n.sort_by(|a, b| trec_order(*a, *b));
    assert_eq!(n.iter().map(|x| x.0).collect::<Vec<_>>(), ["b", "c", "a"]);
}

#[test]
fn real_runs_match_pytrec_eval() {
    let dir = towel_data::data_or_skip!();
    let dirs = DataDirs::with_data_dir(&dir);
    let expected = load_json("real_runs.json");
    for (name, exp) in expected["datasets"].as_object().unwrap() {
        let qrels_path = dirs
            .locate(registry::by_name(&format!("{name}-qrels-test")).unwrap())
            .unwrap();
        let qrels = read_qrels(&qrels_path).unwrap();
        let run = read_trec_run(&fixture(exp["run"].as_str().unwrap())).unwrap();
        assert_eq!(run.len(), 50);
        let ev = evaluate(&qrels, &run);
        assert_matches(name, &ev, exp);
        assert_eq!(ev.run_queries_without_qrels, 0);

        // trec_eval's own default: average over the run's queries only.
        let only_run: Qrels = qrels
            .iter()
            .filter(|(q, _)| run.contains_key(*q))
            .map(|(q, j)| (q.clone(), j.clone()))
            .collect();
        let ev_run = evaluate(&only_run, &run);
        assert_eq!(ev_run.queries as u64, exp["run_queries"].as_u64().unwrap());
        assert_close(
            &format!("{name} mean over run queries"),
            &ev_run.mean,
            &metrics_from(&exp["mean_over_run_queries"]),
        );

        // Every judged doc is in the corpus.
        let corpus = dirs
            .read(registry::by_name(&format!("{name}-corpus")).unwrap())
            .unwrap();
        let ids: HashSet<String> = String::from_utf8(corpus)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                match &v["_id"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }
            })
            .collect();
        let with_corpus = evaluate_with_corpus(&qrels, &run, &ids);
        assert_eq!(with_corpus.unknown_qrels_docs, 0, "{name}");
        assert_eq!(with_corpus.mean, ev.mean);
        let some_doc = qrels.values().next().unwrap().keys().next().unwrap();
        let mut fewer = ids.clone();
        fewer.remove(some_doc);
        let missing = evaluate_with_corpus(&qrels, &run, &fewer).unknown_qrels_docs;
        let judged_times = qrels.values().filter(|j| j.contains_key(some_doc)).count();
        assert_eq!(missing, judged_times);
    }
}

#[test]
fn beir_paths_finds_real_folders_and_names_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let err = beir_paths(tmp.path()).unwrap_err();
    assert!(matches!(err, RetrievalError::MissingBeirFile { .. }));
    assert!(err.to_string().contains("queries.jsonl"), "{err}");
    std::fs::write(tmp.path().join("queries.jsonl"), "{}\n").unwrap();
    let err = beir_paths(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("qrels/test.tsv"), "{err}");
    std::fs::create_dir(tmp.path().join("qrels")).unwrap();
    std::fs::write(tmp.path().join("qrels/test.tsv"), "q\td\t1\n").unwrap();
    let (q, r) = beir_paths(tmp.path()).unwrap();
    assert_eq!(q, tmp.path().join("queries.jsonl"));
    assert_eq!(read_qrels(&r).unwrap()["q"]["d"], 1);

    let dir = towel_data::data_or_skip!();
    for name in ["scifact", "cranfield"] {
        let (_, qrels) = beir_paths(&dir.join("ir").join(name)).unwrap();
        let qrels = read_qrels(&qrels).unwrap();
        let expected = if name == "scifact" { 300 } else { 225 };
        assert_eq!(qrels.len(), expected);
    }
}

#[test]
fn qrels_layouts_agree() {
    let beir = "query-id\tcorpus-id\tscore\r\nq1\td 1\t2\r\nq1\td2\t0\r\n\r\nq2\td3\t-1\r\n";
    let trec = "q1 0 d1 2\nq1 0 d2 0\nq2 0 d3 -1\n";
    let headerless = "\u{feff}q1\td1\t2\nq1\td2\t0\nq2\td3\t-1\n";
    let a = parse_qrels(beir, "beir").unwrap();
    assert_eq!(a["q1"]["d 1"], 2, "BEIR ids may contain spaces");
    let b = parse_qrels(trec, "trec").unwrap();
    let c = parse_qrels(headerless, "headerless").unwrap();
    assert_eq!(b, c);
    assert_eq!(b["q2"]["d3"], -1);
    let tabs = parse_qrels("q1\t0\td1\t2\nq1\t0\td2\t0\nq2\t0\td3\t-1\n", "tabs").unwrap();
    assert_eq!(tabs, b, "TREC qrels may be TAB-separated");
    assert_eq!(b.len(), 2);
}

#[test]
fn a_pair_judged_twice_is_refused_as_trec_eval_does() {
    // trec_eval refuses it (`form_res_rels: duplicate docs`) even with the same grade.
    let e = parse_qrels("q1\td1\t2\nq2\td3\t-1\nq2\td3\t-1\n", "qrels.tsv").unwrap_err();
    assert!(
        matches!(
            e,
            RetrievalError::DuplicateJudgment {
                line: 3,
                first_line: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().starts_with("qrels.tsv:3:"), "{e}");
    assert!(e.to_string().contains("first on line 2"), "{e}");
    let e = parse_qrels("301 0 d1 1\n301 0 d1 1\n", "trec").unwrap_err();
    assert!(
        matches!(
            e,
            RetrievalError::DuplicateJudgment {
                line: 2,
                first_line: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_run_may_start_with_a_bom() {
    let run = parse_trec_run("\u{feff}q1 Q0 d1 1 2.5 t\n", "run").unwrap();
    assert_eq!(run["q1"], vec![("d1".to_string(), 2.5)]);
}

fn qrels_err(text: &str) -> String {
    let e = parse_qrels(text, "qrels.tsv").unwrap_err();
    e.to_string()
}

#[test]
fn bad_qrels_are_reported_with_file_and_line() {
    for empty in ["", "\n\r\n  \n", "query-id\tcorpus-id\tscore\r\n"] {
        let e = parse_qrels(empty, "qrels.tsv").unwrap_err();
        assert!(matches!(e, RetrievalError::Empty { .. }), "{e}");
        assert!(e.to_string().starts_with("qrels.tsv: no judgments"), "{e}");
    }
    let e = parse_qrels("q1\td1\t1\nq1\td2\tyes\n", "qrels.tsv").unwrap_err();
    assert!(
        matches!(e, RetrievalError::Format { line: Some(2), .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("qrels.tsv:2: relevance `yes`"),
        "{e}"
    );
    let e = qrels_err("q1 0 d1 1\nq1 0 d2 1.5\n");
    assert!(
        e.contains("qrels.tsv:2: relevance `1.5` is not an integer"),
        "{e}"
    );
    let e = qrels_err("q1 0 d1 1\nq1 0 d2\n");
    assert!(e.contains("qrels.tsv:2: expected 4 columns"), "{e}");
    let e = qrels_err("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t1\textra\n");
    assert!(e.contains("qrels.tsv:3: expected 3 columns"), "{e}");
    let e = qrels_err("just one field\tor two\n");
    assert!(e.contains("qrels.tsv:1: expected 4 columns"), "{e}");
    let e = qrels_err("q1\t\t1\n");
    assert!(e.contains("qrels.tsv:1: empty query id or doc id"), "{e}");
    let e = parse_qrels("q1 0 d1 1\nq2 0 d1 1\nq1 0 d1 2\n", "qrels.tsv").unwrap_err();
    assert!(
        matches!(
            e,
            RetrievalError::ConflictingJudgment {
                line: 3,
                first_line: 1,
                first: 1,
                second: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("line 1"), "{e}");
    let e = read_qrels(Path::new("/nonexistent/qrels.tsv")).unwrap_err();
    assert!(matches!(e, RetrievalError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/qrels.tsv"), "{e}");
}

fn run_err(text: &str) -> RetrievalError {
    parse_trec_run(text, "run.txt").unwrap_err()
}

#[test]
fn bad_runs_are_reported_with_file_and_line() {
    for empty in ["", "\n \r\n"] {
        let e = run_err(empty);
        assert!(matches!(e, RetrievalError::Empty { .. }), "{e}");
        assert!(
            e.to_string().starts_with("run.txt: no retrieved docs"),
            "{e}"
        );
    }
    let e = run_err("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0\n").to_string();
    assert!(e.contains("run.txt:2: expected 6 columns"), "{e}");
    let e = run_err("q1 Q0 d1 1 2.0 t extra\n").to_string();
    assert!(e.contains("run.txt:1: expected 6 columns"), "{e}");
    let e = run_err("q1 Q0 d1 first 2.0 t\n").to_string();
    assert!(
        e.contains("run.txt:1: rank `first` is not an integer"),
        "{e}"
    );
    let e = run_err("q1 Q0 d1 1 2.0 t\r\nq1 Q0 d2 2 high t\r\n");
    assert!(
        matches!(e, RetrievalError::Format { line: Some(2), .. }),
        "{e}"
    );
    assert!(e.to_string().contains("score `high`"), "{e}");
    let e = run_err("q1 Q0 d1 1 NaN t\n");
    assert!(
        matches!(e, RetrievalError::Format { line: Some(1), .. }),
        "{e}"
    );
    let e = run_err("q1 Q0 d1 1 2 t\nq2 Q0 d1 1 2 t\nq1 Q0 d1 3 1 t\n");
    assert!(
        matches!(
            e,
            RetrievalError::DuplicateDoc {
                line: 3,
                first_line: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = read_trec_run(Path::new("/nonexistent/run.txt")).unwrap_err();
    assert!(matches!(e, RetrievalError::Io { .. }));
    // A query's lines need not be together; each keeps the file order.
    let run = parse_trec_run(
        "q1 Q0 a 1 3 t\nq2\tQ0\tb\t1\t1\tt\r\nq1 Q0 c 2 2 t\n",
        "run",
    )
    .unwrap();
    assert_eq!(
        run["q1"],
        vec![("a".to_string(), 3.0), ("c".to_string(), 2.0)]
    );
    assert_eq!(run["q2"], vec![("b".to_string(), 1.0)]);
    // Infinite scores are numbers (trec_eval accepts them).
    let run = parse_trec_run("q Q0 a 1 inf t\nq Q0 b 2 -inf t\n", "run").unwrap();
    assert_eq!(run["q"][1].1, f64::NEG_INFINITY);
}

#[test]
fn run_files_round_trip_and_bad_runs_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("out/run.trec");
    let mut run = Run::new();
    run.insert(
        "q1".into(),
        vec![
            ("d1".into(), 0.1 + 0.2),
            ("d2".into(), -0.0),
            ("d3".into(), 1e-300),
            ("d4".into(), 12345678.901234567),
            ("d5".into(), f64::INFINITY),
        ],
    );
    run.insert("q2".into(), vec![("é".into(), 1.0 / 3.0)]);
    write_trec_run(&path, &run, "towel").unwrap();
    let back = read_trec_run(&path).unwrap();
    assert_eq!(back.len(), 2);
    for (q, ranking) in &run {
        for ((d, s), (d2, s2)) in ranking.iter().zip(&back[q]) {
            assert_eq!(d, d2);
            assert_eq!(s.to_bits(), s2.to_bits(), "{q} {d}");
        }
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("q1 Q0 d1 1 0.30000000000000004 towel\n"),
        "{text}"
    );
    // Very large and very small scores in exponent form (RRF with k = 1e308
    // wrote a number of 300 digits), still exactly the same when read back.
    assert!(
        text.contains(" 1e-300 towel\n") && text.contains(" 12345678.901234567 towel\n"),
        "{text}"
    );

    let before = text.clone();
    let bad = |run: &Run, tag: &str| {
        let e = write_trec_run(&path, run, tag).unwrap_err();
        assert!(matches!(e, RetrievalError::InvalidRunField { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        e.to_string()
    };
    assert!(bad(&run, "my tag").contains("tag `my tag` contains whitespace"));
    assert!(bad(&run, "").contains("tag `` is empty"));
    let mut r = run.clone();
    r.insert("q 3".into(), vec![("d".into(), 1.0)]);
    assert!(bad(&r, "t").contains("query id `q 3`"));
    let mut r = run.clone();
    r.get_mut("q2").unwrap().push(("".into(), 1.0));
    assert!(bad(&r, "t").contains("doc id `` is empty"));
    let mut r = run.clone();
    r.get_mut("q2").unwrap().push(("dn".into(), f64::NAN));
    assert!(bad(&r, "t").contains("is NaN"));
}

#[test]
fn empty_rankings_duplicates_and_unjudged_queries() {
    let qrels = parse_qrels("a 0 d1 1\na 0 d2 1\nb 0 d3 1\n", "q").unwrap();
    let mut run = Run::new();
    run.insert("b".into(), vec![]);
    run.insert("x".into(), vec![("d1".into(), 1.0)]);
    run.insert(
        "a".into(),
        vec![
            ("n".into(), 5.0),
            ("d1".into(), 1.0),
            ("n".into(), 6.0),
            ("d1".into(), 4.0),
        ],
    );
    let ev = evaluate(&qrels, &run);
    assert_eq!(ev.queries, 2);
    assert_eq!(ev.run_queries_without_qrels, 1);
    assert_eq!(ev.duplicate_run_docs, 2);
    assert_eq!(ev.per_query["b"], Metrics::default());
    // Deduplicated at best positions: n (6.0), d1 (4.0).
    let a = ev.per_query["a"];
    assert_eq!(a.mrr_at_10, 0.5);
    assert_eq!(a.recall_at_100, 0.5);
    assert_eq!(a.map, 0.25);
    let mut dedup = run.clone();
    dedup.insert("a".into(), vec![("n".into(), 6.0), ("d1".into(), 4.0)]);
    dedup.remove("b");
    let ev2 = evaluate(&qrels, &dedup);
    assert_eq!(ev2.per_query, ev.per_query);
    assert_eq!(ev2.duplicate_run_docs, 0);
    // No qrels at all: nothing to average.
    let none = evaluate(&Qrels::new(), &run);
    assert_eq!((none.queries, none.mean), (0, Metrics::default()));
}

fn arb_case() -> impl Strategy<Value = (Qrels, Run)> {
    let query = (
        prop::collection::btree_map("d[0-9]{1,2}", -2i32..4, 1..30),
        prop::collection::vec(
            (
                "d[0-9]{1,2}",
                prop::sample::select(vec![0.0, 0.5, 1.0, 2.0, -1.0, 7.25]),
            ),
            0..150,
        ),
    );
    prop::collection::btree_map("q[0-9]", query, 1..6).prop_map(|m| {
        let mut qrels = Qrels::new();
        let mut run = Run::new();
        for (q, (judged, ranking)) in m {
            let mut seen = HashSet::new();
            let ranking: Vec<(String, f64)> = ranking
                .into_iter()
                .filter(|(d, _)| seen.insert(d.clone()))
                .collect();
            qrels.insert(q.clone(), judged);
            run.insert(q, ranking);
        }
        (qrels, run)
    })
}

fn in_unit(m: &Metrics) -> bool {
    m.named().iter().all(|(_, v)| (0.0..=1.0).contains(v))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn metrics_are_in_unit_interval((qrels, run) in arb_case()) {
        let ev = evaluate(&qrels, &run);
        prop_assert!(in_unit(&ev.mean));
        for m in ev.per_query.values() {
            prop_assert!(in_unit(m));
        }
    }

    #[test]
    fn ideal_ranking_scores_one((qrels, _) in arb_case(), unjudged in 0usize..20) {
        let mut ideal = Run::new();
        for (q, judged) in &qrels {
            let mut docs: Vec<(&String, &i32)> = judged.iter().collect();
            docs.sort_by(|a, b| b.1.cmp(a.1));
            let mut ranking: Vec<(String, f64)> = docs
                .iter()
                .enumerate()
                .map(|(i, (d, _))| ((*d).clone(), 1000.0 - i as f64))
                .collect();
            ranking.extend((0..unjudged).map(|i| (format!("u{i}"), -(i as f64))));
            ideal.insert(q.clone(), ranking);
        }
        let ev = evaluate(&qrels, &ideal);
        for (q, m) in &ev.per_query {
            if qrels[q].values().any(|&r| r > 0) {
                prop_assert!((m.ndcg_at_10 - 1.0).abs() < 1e-12, "{q}: {m:?}");
                prop_assert_eq!(m.map, 1.0);
                prop_assert_eq!(m.mrr_at_10, 1.0);
                prop_assert_eq!(m.recall_at_100, 1.0);
            } else {
                prop_assert_eq!(*m, Metrics::default());
            }
        }
    }

    #[test]
    fn run_order_does_not_matter((qrels, run) in arb_case(), seed in any::<u64>()) {
        let ev = evaluate(&qrels, &run);
        // Reverse, rotate by a seed-dependent amount, and the trec order itself.
        let mut shuffled = run.clone();
        for r in shuffled.values_mut() {
            r.reverse();
            if !r.is_empty() {
                let k = (seed as usize) % r.len();
                r.rotate_left(k);
            }
        }
        prop_assert_eq!(&evaluate(&qrels, &shuffled), &ev);
        let mut sorted = run.clone();
        for r in sorted.values_mut() {
            r.sort_by(|a, b| trec_order((&a.0, a.1), (&b.0, b.1)));
        }
        prop_assert_eq!(&evaluate(&qrels, &sorted), &ev);
    }

    #[test]
    fn written_runs_evaluate_the_same((qrels, run) in arb_case()) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("run");
        let nonempty: Run = run.into_iter().filter(|(_, r)| !r.is_empty()).collect();
        prop_assume!(!nonempty.is_empty());
        write_trec_run(&path, &nonempty, "p").unwrap();
        let back = read_trec_run(&path).unwrap();
        prop_assert_eq!(&back, &nonempty);
        prop_assert_eq!(evaluate(&qrels, &back), evaluate(&qrels, &nonempty));
    }
}

/// The measures computed the obvious way: sort the whole ranking in trec
/// order, drop repeated docs, walk the ranks. `evaluate` avoids the full sort.
fn reference_query(
    judged: &std::collections::BTreeMap<String, i32>,
    ranking: &[(String, f64)],
) -> Metrics {
    let num_rel = judged.values().filter(|&&r| r > 0).count();
    if num_rel == 0 {
        return Metrics::default();
    }
    let mut order: Vec<(&str, f64)> = ranking.iter().map(|(d, s)| (d.as_str(), *s)).collect();
    order.sort_by(|a, b| trec_order(*a, *b));
    let mut seen = HashSet::new();
    order.retain(|(d, _)| seen.insert(*d));
    let (mut dcg, mut rel_ret, mut cut, mut ap, mut rr) = (0.0, 0, 0, 0.0, 0.0);
    for (i, (d, _)) in order.iter().enumerate() {
        let rank = i + 1;
        let rel = judged.get(*d).copied().unwrap_or(0);
        if rel <= 0 {
            continue;
        }
        rel_ret += 1;
        if rank <= 10 {
            dcg += rel as f64 / ((rank + 1) as f64).log2();
            if rr == 0.0 {
                rr = 1.0 / rank as f64;
            }
        }
        if rank <= 100 {
            cut += 1;
        }
        ap += rel_ret as f64 / rank as f64;
    }
    let mut gains: Vec<i32> = judged.values().copied().filter(|&g| g > 0).collect();
    gains.sort_by(|a, b| b.cmp(a));
    let ideal: f64 = gains
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &g)| g as f64 / ((i + 2) as f64).log2())
        .sum();
    Metrics {
        ndcg_at_10: dcg / ideal,
        recall_at_100: cut as f64 / num_rel as f64,
        map: ap / num_rel as f64,
        mrr_at_10: rr,
    }
}

fn arb_messy_ranking() -> impl Strategy<Value = Vec<(String, f64)>> {
    let score = prop_oneof![
        4 => prop::sample::select(vec![0.0, -0.0, 1.0, 2.5, -1.0]),
        2 => -1e3f64..1e3,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
    ];
    prop::collection::vec(("d[0-9]{1,2}", score), 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fast_path_equals_full_sort_reference(
        judged in prop::collection::btree_map("d[0-9]{1,2}", -2i32..5, 1..60),
        ranking in arb_messy_ranking(),
    ) {
        let mut qrels = Qrels::new();
        qrels.insert("q".into(), judged.clone());
        let mut run = Run::new();
        run.insert("q".into(), ranking.clone());
        let got = evaluate(&qrels, &run);
        let want = reference_query(&judged, &ranking);
        prop_assert_eq!(got.per_query["q"], want);
        let mut seen = HashSet::new();
        let dups = ranking.iter().filter(|(d, _)| !seen.insert(d.clone())).count();
        prop_assert_eq!(got.duplicate_run_docs, dups);
    }
}

/// A file of `good` lines with, now and then, a line of the fields that
/// qrels, runs and query files are made of (ids, numbers of every kind,
/// headers, JSON), 1-6 to a line with tabs or spaces between them: what a
/// damaged or hand-edited file looks like.
fn arb_messy_file(good: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let field = prop_oneof![
        4 => prop::sample::select(vec!["q1", "q2", "d1", "d2", "Q0", "0", "1", "2"]).prop_map(str::to_string),
        1 => prop::sample::select(vec![
            "query-id", "NaN", "inf", "-inf", "-0", "1e309", "-1", "2.5",
            "18446744073709551616", "-9223372036854775809", "\u{feff}q1", "",
            "{\"_id\": \"q1\", \"text\": \"x\"}", "{\"_id\": 1}",
        ]).prop_map(str::to_string),
        1 => "\\PC{1,4}",
    ];
    let messy = (
        prop::collection::vec(field, 1..7),
        prop::sample::select(vec!["\t", " ", "  "]),
    )
        .prop_map(|(f, sep)| f.join(sep));
    let line = prop_oneof![12 => good, 1 => messy];
    (
        prop::collection::vec(line, 0..12),
        prop::sample::select(vec!["\n", "\r\n"]),
    )
        .prop_map(|(lines, nl)| lines.join(nl))
}

fn good_qrels_line() -> BoxedStrategy<String> {
    (1..4u8, 1..6u8, -1..3i8)
        .prop_map(|(q, d, g)| format!("q{q}\td{d}\t{g}"))
        .boxed()
}

fn good_run_line() -> BoxedStrategy<String> {
    let score = prop_oneof![
        (-10.0f64..10.0).prop_map(|x| x.to_string()),
        prop::sample::select(vec!["NaN", "inf", "-inf", "1e309", "-0"]).prop_map(str::to_string),
    ];
    (1..4u8, 1..6u8, 0..20u32, score)
        .prop_map(|(q, d, r, s)| format!("q{q} Q0 d{d} {r} {s} t"))
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any such text parses or is a one-line error naming the file; what
    /// parses evaluates to metrics in [0, 1].
    #[test]
    fn messy_files_parse_or_say_where_and_evaluate_in_unit(
        qrels_text in arb_messy_file(good_qrels_line()),
        run_text in arb_messy_file(good_run_line()),
    ) {
        let qrels = parse_qrels(&qrels_text, "qrels.tsv");
        let run = parse_trec_run(&run_text, "run.txt");
        for (e, origin) in [
            (qrels.as_ref().err(), "qrels.tsv"),
            (run.as_ref().err(), "run.txt"),
        ] {
            if let Some(e) = e {
                let msg = e.to_string();
                prop_assert!(msg.contains(origin) && !msg.contains('\n'), "{msg}");
            }
        }
        if let (Ok(q), Ok(r)) = (qrels, run) {
            let ev = evaluate(&q, &r);
            prop_assert!(in_unit(&ev.mean));
        }
        for parse in [
            towel_retrieval::corpus::parse_jsonl_queries,
            towel_retrieval::corpus::parse_tsv_queries,
        ] {
            if let Err(e) = parse(qrels_text.as_bytes(), Path::new("queries")) {
                let msg = e.to_string();
                prop_assert!(msg.contains("queries") && !msg.contains('\n'), "{msg}");
            }
        }
        let fields = towel_retrieval::corpus::Fields::beir();
        if let Err(e) = towel_retrieval::corpus::parse_jsonl_docs(run_text.as_bytes(), Path::new("corpus"), &fields) {
            let msg = e.to_string();
            prop_assert!(msg.contains("corpus") && !msg.contains('\n'), "{msg}");
        }
    }
}
