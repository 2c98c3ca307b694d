//! Fusion of runs: hand-computed RRF and convex scores, ties in trec_eval's
//! order, depth, and bad parameters.

use towel_retrieval::eval::{fuse, parse_trec_run, Fusion, Run};
use towel_retrieval::RetrievalError;

fn run(text: &str) -> Run {
    parse_trec_run(text, "test").unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-15
}

/// Two runs over q1 (and q2 in only one of them). The second run's rank
/// column is wrong on purpose: only scores order a run.
fn runs() -> Vec<Run> {
    vec![
        run("q1 Q0 a 1 3.0 x\nq1 Q0 b 2 2.0 x\nq1 Q0 c 3 1.0 x\nq2 Q0 a 1 5.0 x\n"),
        // b and d tie: trec_eval ranks the larger doc id first, so d is 1st, b 2nd
        run("q1 Q0 b 9 0.5 y\nq1 Q0 d 1 0.5 y\nq1 Q0 a 2 0.1 y\n"),
    ]
}

#[test]
fn rrf_by_hand() {
    let f = fuse(&runs(), &Fusion::Rrf { k: 60.0 }, None, None).unwrap();
    let want = [
        ("b", 1.0 / 62.0 + 1.0 / 62.0),
        ("a", 1.0 / 61.0 + 1.0 / 63.0),
        ("d", 1.0 / 61.0),
        ("c", 1.0 / 63.0),
    ];
    // a: 1/61 + 1/63 = 0.032266 > b: 2/62 = 0.032258
    let mut want = want.to_vec();
    want.sort_by(|x, y| y.1.partial_cmp(&x.1).unwrap());
    assert_eq!(f["q1"].len(), 4);
    for ((doc, score), (wd, ws)) in f["q1"].iter().zip(&want) {
        assert_eq!(doc, wd);
        assert!(close(*score, *ws), "{doc}: {score} vs {ws}");
    }
    assert_eq!(f["q1"][0].0, "a");
    assert_eq!(f["q2"], vec![("a".to_string(), 1.0 / 61.0)]);
}

#[test]
fn weighted_rrf_and_k() {
    let f = fuse(&runs(), &Fusion::Rrf { k: 0.0 }, Some(&[2.0, 1.0]), Some(2)).unwrap();
    // a: 2/1 + 1/3, b: 2/2 + 1/2, d: 1/1, c: 2/3; cut to 2
    let got: Vec<(&str, f64)> = f["q1"].iter().map(|(d, s)| (d.as_str(), *s)).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, "a");
    assert!(close(got[0].1, 2.0 + 1.0 / 3.0));
    assert_eq!(got[1].0, "b");
    assert!(close(got[1].1, 1.5));
}

#[test]
fn convex_by_hand() {
    let f = fuse(&runs(), &Fusion::Convex, Some(&[3.0, 1.0]), None).unwrap();
    // run 1 min-max over {3, 2, 1}: a 1, b 0.5, c 0; weight 3/4
    // run 2 over {0.5, 0.5, 0.1}: b 1, d 1, a 0; weight 1/4
    let want = [("a", 0.75), ("b", 0.375 + 0.25), ("d", 0.25), ("c", 0.0)];
    let got = &f["q1"];
    assert_eq!(got.len(), want.len());
    for ((doc, score), (wd, ws)) in got.iter().zip(want) {
        assert_eq!(doc, wd);
        assert!(close(*score, ws), "{doc}: {score} vs {ws}");
    }
    // a query with one doc: all scores equal, normalized to 1, weight 3/4
    assert_eq!(f["q2"], vec![("a".to_string(), 0.75)]);
}

#[test]
fn fused_ties_follow_trec_order() {
    // same rank in mirrored runs: every doc ties, larger doc id first
    let r = vec![
        run("q Q0 x 1 2 a\nq Q0 y 2 1 a\n"),
        run("q Q0 y 1 2 b\nq Q0 x 2 1 b\n"),
    ];
    for m in [Fusion::Rrf { k: 60.0 }, Fusion::Convex] {
        let f = fuse(&r, &m, None, None).unwrap();
        let ids: Vec<&str> = f["q"].iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(ids, ["y", "x"], "{m:?}");
    }
}

#[test]
fn fusing_one_run_keeps_its_order() {
    let r = runs();
    for m in [Fusion::Rrf { k: 60.0 }, Fusion::Convex] {
        let f = fuse(&r[..1], &m, None, None).unwrap();
        let ids: Vec<&str> = f["q1"].iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }
}

#[test]
fn bad_parameters_are_clear_errors() {
    let r = runs();
    let cases: Vec<(Result<Run, _>, &str)> = vec![
        (fuse(&[], &Fusion::Convex, None, None), "at least one run"),
        (
            fuse(&r, &Fusion::Convex, Some(&[1.0]), None),
            "1 weights for 2 runs",
        ),
        (
            fuse(&r, &Fusion::Convex, Some(&[1.0, -1.0]), None),
            "not negative",
        ),
        (
            fuse(&r, &Fusion::Convex, Some(&[1.0, f64::NAN]), None),
            "finite",
        ),
        (
            fuse(&r, &Fusion::Convex, Some(&[0.0, 0.0]), None),
            "all weights are 0",
        ),
        (
            fuse(&r, &Fusion::Rrf { k: -1.0 }, None, None),
            "RRF constant",
        ),
        // Finite weights whose sum is not: the fused scores would be inf.
        (
            fuse(&r, &Fusion::Rrf { k: 0.0 }, Some(&[1.7e308, 1.7e308]), None),
            "they add up to inf; scale them down",
        ),
        (
            fuse(&r, &Fusion::Convex, Some(&[1.7e308, 1.7e308]), None),
            "they add up to inf",
        ),
    ];
    for (res, msg) in cases {
        let e = res.unwrap_err().to_string();
        assert!(e.contains(msg), "{e} should contain {msg}");
    }
}

#[test]
fn non_finite_scores_are_refused() {
    let good = parse_trec_run("q1 Q0 a 1 2 t\nq1 Q0 b 2 1 t\n", "good").unwrap();
    // `1e309` reads as inf; these fused (convex gave every doc the same part).
    for score in ["inf", "-inf", "1e309", "-1e309"] {
        let bad = parse_trec_run(&format!("q1 Q0 a 1 {score} t\nq1 Q0 b 2 1 t\n"), "bad").unwrap();
        for method in [Fusion::Convex, Fusion::Rrf { k: 60.0 }] {
            let e = fuse(&[good.clone(), bad.clone()], &method, None, None).unwrap_err();
            assert!(
                matches!(e, RetrievalError::Format { line: None, .. }),
                "{e}"
            );
            let e = e.to_string();
            assert!(
                e.starts_with("run 2: query `q1`, doc `a`: score ") && e.contains("is not finite"),
                "{e}"
            );
        }
    }
}
