//! End-to-end tests of `towel fuse`, `towel vectors svd`, `towel vectors
//! experiment` and the tour's vectors chapter: the prose's claims against
//! the numbers the run computed.

use std::fs;

use serde_json::Value;
use towel_data::data_or_skip;

mod common;
use common::{json_of, one_line_error, towel, towel_with_data};

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(f).collect()
}

#[test]
fn fuse_writes_the_rrf_and_convex_runs() {
    let d = tempfile::tempdir().unwrap();
    let (a, b, out) = (
        d.path().join("a.run"),
        d.path().join("b.run"),
        d.path().join("f.run"),
    );
    fs::write(&a, "q1 Q0 x 1 3.0 a\nq1 Q0 y 2 2.0 a\nq2 Q0 x 1 1.0 a\n").unwrap();
    fs::write(&b, "q1 Q0 y 1 0.9 b\nq1 Q0 z 2 0.5 b\n").unwrap();
    let v = json_of(
        towel()
            .arg("--json")
            .arg("fuse")
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&out),
    );
    assert_eq!(
        (
            v["method"].as_str(),
            v["queries"].as_u64(),
            v["lines"].as_u64()
        ),
        (Some("rrf"), Some(2), Some(4))
    );
    // y: 1/62 + 1/61, x: 1/61, z: 1/62
    let text = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("q1 Q0 y 1 {} towel-fuse", 1.0 / 62.0 + 1.0 / 61.0)
    );
    assert_eq!(lines[1], format!("q1 Q0 x 2 {} towel-fuse", 1.0 / 61.0));
    assert_eq!(lines[2], format!("q1 Q0 z 3 {} towel-fuse", 1.0 / 62.0));
    assert_eq!(lines[3], format!("q2 Q0 x 1 {} towel-fuse", 1.0 / 61.0));
    // convex, weights 3:1, depth 2, own tag
    towel()
        .arg("fuse")
        .arg(&a)
        .arg(&b)
        .args([
            "--method",
            "convex",
            "--weights",
            "3,1",
            "--depth",
            "2",
            "--tag",
            "h",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    // x: 0.75·1, y: 0.75·0 + 0.25·1 (run a's min-max: x 1, y 0)
    let text = fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().take(2).collect::<Vec<_>>(),
        ["q1 Q0 x 1 0.75 h", "q1 Q0 y 2 0.25 h"]
    );
}

#[test]
fn fuse_bad_input_is_one_clear_line() {
    let d = tempfile::tempdir().unwrap();
    let (a, bad, out) = (
        d.path().join("a.run"),
        d.path().join("bad.run"),
        d.path().join("f.run"),
    );
    fs::write(&a, "q1 Q0 x 1 3.0 a\n").unwrap();
    fs::write(&bad, "q1 Q0 x 1\n").unwrap();
    let e = one_line_error(towel().arg("fuse").arg(&a).arg(&bad).arg("--out").arg(&out));
    assert!(
        e.contains("bad.run") && e.contains("expected 6 columns"),
        "{e}"
    );
    let e = one_line_error(
        towel()
            .arg("fuse")
            .arg(&a)
            .arg(&a)
            .args(["--weights", "1,2,3", "--out"])
            .arg(&out),
    );
    assert!(e.contains("3 weights for 2 runs"), "{e}");
    let e = one_line_error(
        towel()
            .arg("fuse")
            .arg(&a)
            .arg(&a)
            .args(["--method", "convex", "--k", "10", "--out"])
            .arg(&out),
    );
    assert!(e.contains("--k is the RRF constant"), "{e}");
    // an output that is an input is refused, the input untouched
    let e = one_line_error(towel().arg("fuse").arg(&a).arg(&a).arg("--out").arg(&a));
    assert!(e.contains("input"), "{e}");
    assert_eq!(fs::read_to_string(&a).unwrap(), "q1 Q0 x 1 3.0 a\n");
    // one run is a usage error
    towel()
        .arg("fuse")
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

#[test]
fn svd_json_shows_eckart_young() {
    let v = json_of(towel().args([
        "--json", "vectors", "svd", "--m", "40", "--n", "30", "--rank", "4", "--ranks", "1,4,10",
    ]));
    let ey = &v["eckart_young"];
    assert!(v["lsa"].is_null());
    let s = floats(&ey["singular_values"]);
    assert_eq!(s.len(), 30);
    let frob = f(&ey["frobenius_sq"]);
    assert!((s.iter().map(|x| x * x).sum::<f64>() - frob).abs() < 1e-9 * frob);
    for row in ey["rows"].as_array().unwrap() {
        let (tail, err) = (f(&row["tail_sq"]), f(&row["svd_err_sq"]));
        assert!((tail - err).abs() < 1e-9 * frob, "{row}");
        assert!(f(&row["randomized_err_sq"]) >= tail - 1e-9 * frob);
        assert!(f(&row["random_subspace_err_sq"]) > tail);
    }
    let e = one_line_error(towel().args(["vectors", "svd", "--m", "5", "--n", "4"]));
    assert!(e.contains("--rank 10 is above min(--m, --n) = 4"), "{e}");
    let e = one_line_error(towel().args([
        "vectors", "svd", "--m", "5", "--n", "4", "--rank", "2", "--ranks", "5",
    ]));
    assert!(
        e.contains("rank 5 is not between 1 and min(m, n) = 4"),
        "{e}"
    );
    let e = one_line_error(towel().args(["vectors", "svd", "--lsa"]));
    assert!(e.contains("SciFact is needed for --lsa"), "{e}");
}

#[test]
fn experiment_measures_and_draws() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("plots");
    let v = json_of(
        towel()
            .args([
                "--json",
                "vectors",
                "experiment",
                "--dims",
                "4,256",
                "--n",
                "300",
                "--queries",
                "10",
                "--out",
            ])
            .arg(&out),
    );
    let dims = v["dims"].as_array().unwrap();
    assert_eq!(dims.len(), 2);
    for s in dims {
        assert!((0.85..1.15).contains(&f(&s["cos_std_sqrt_d"])), "{s}");
        assert_eq!(f(&s["top10_agreement_normalized"]), 1.0);
        assert!(f(&s["top10_agreement_raw"]) < 1.0);
    }
    assert!(f(&dims[1]["nearest_over_farthest"]) > f(&dims[0]["nearest_over_farthest"]));
    assert!((f(&dims[1]["norm_over_sqrt_d"]) - 1.0).abs() < 0.01);
    for p in v["plots"].as_array().unwrap() {
        let bytes = fs::read(p.as_str().unwrap()).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
    }
    assert_eq!(v["plots"].as_array().unwrap().len(), 4);
    // a plot name taken by another kind of file is refused without --force
    fs::write(out.join("vectors-norm.png"), "notes").unwrap();
    let e = one_line_error(
        towel()
            .args(["vectors", "experiment", "--dims", "4", "--n", "20", "--out"])
            .arg(&out),
    );
    assert!(
        e.contains("vectors-norm.png") && e.contains("--force"),
        "{e}"
    );
    assert_eq!(
        fs::read_to_string(out.join("vectors-norm.png")).unwrap(),
        "notes"
    );
    let e = one_line_error(towel().args(["vectors", "experiment", "--dims", "0"]));
    assert!(e.contains("--dims"), "{e}");
}

/// The chapter's facts, and its README.
fn chapter(data: Option<&std::path::Path>) -> (Value, String) {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("report");
    let mut cmd = match data {
        Some(dir) => towel_with_data(dir),
        None => towel(),
    };
    cmd.args(["--json", "tour", "--only", "vectors", "--out"])
        .arg(&out);
    if data.is_none() {
        cmd.arg("--embedded-only");
    }
    let v = json_of(&mut cmd);
    let ch = v["chapters"][0].clone();
    assert!(ch["error"].is_null(), "{ch}");
    for p in ch["plots"].as_array().unwrap() {
        assert!(out.join(p.as_str().unwrap()).is_file(), "{p}");
    }
    let md = fs::read_to_string(out.join("README.md")).unwrap();
    (ch["facts"].clone(), md)
}

#[test]
fn tour_chapter_holds_its_claims_without_data() {
    let (f_, md) = chapter(None);
    // cos = dot on unit vectors, shown with the numbers the prose prints
    let (cos, dot) = (f(&f_["cos"]), f(&f_["dot_unit"]));
    assert!((cos - dot).abs() < 1e-6);
    assert!(md.contains(&format!("cos(a, b) = {cos:.6}")) && md.contains(&format!("= {dot:.6}")));
    // "standard deviation about 1/√d"
    for x in floats(&f_["cos_std_sqrt_d"]) {
        assert!((0.9..1.1).contains(&x), "std·√d = {x}");
    }
    // "the norm grows as √d", "nearest and farthest ... almost equally far"
    let norm = floats(&f_["norm_over_sqrt_d"]);
    assert!(
        norm.windows(2).all(|w| w[0] < w[1] + 1e-3) && (norm[norm.len() - 1] - 1.0).abs() < 0.01
    );
    let nf = floats(&f_["nearest_over_farthest"]);
    assert!(nf.windows(2).all(|w| w[0] < w[1]) && nf[nf.len() - 1] > 0.75);
    // "on normalized vectors the two rankings are the same"
    assert!(floats(&f_["top10_agreement_normalized"])
        .iter()
        .all(|&x| x == 1.0));
    assert!(floats(&f_["top10_agreement_raw"]).iter().all(|&x| x < 0.5));
    // Eckart–Young: error = tail, a random subspace is worse
    assert!(f(&f_["ey_worst_relative_gap"]) < 1e-10);
    for row in f_["ey_rows"].as_array().unwrap() {
        assert!(f(&row["random_subspace_err_sq"]) > f(&row["tail_sq"]));
    }
    assert!(f_["lsa"].is_null());
    assert!(md.contains("SciFact is not available here"));
    assert_eq!(md.matches("](vectors-").count(), 4, "the four plots");
    assert!(!md.contains("vectors-vectors-"), "one chapter prefix");
}

#[test]
fn tour_chapter_lsa_on_scifact() {
    let dir = data_or_skip!();
    let (f_, md) = chapter(Some(&dir));
    let l = &f_["lsa"];
    assert_eq!(
        (l["docs"].as_u64(), l["queries"].as_u64()),
        (Some(5183), Some(300))
    );
    let rows = l["rows"].as_array().unwrap();
    for r in rows {
        // the measured error is the tail of the computed singular values
        assert!(
            (f(&r["rel_err_sq"]) - f(&r["rel_tail_sq"])).abs() < 1e-6,
            "{r}"
        );
    }
    let (lsa, tfidf, bm25) = (
        f(&rows[rows.len() - 1]["ndcg_at_10"]),
        f(&l["tfidf_ndcg_at_10"]),
        f(&l["bm25_ndcg_at_10"]),
    );
    assert!(
        f(&rows[0]["ndcg_at_10"]) < lsa && lsa < tfidf,
        "more rank helps, full TF-IDF is better"
    );
    // the peers' BM25 on SciFact (bm25s, same settings) is 0.6791
    assert!((bm25 - 0.6791).abs() < 5e-4, "{bm25}");
    let best = l["fusion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| f(&x["ndcg_at_10"]))
        .fold(0.0, f64::max);
    let verdict = f_["lsa_fusion_verdict"].as_str().unwrap();
    let want = if best > bm25 + 0.005 {
        "helps"
    } else if best < bm25 - 0.005 {
        "hurts"
    } else {
        "makes no real difference"
    };
    assert_eq!(verdict, want);
    assert!(md.contains(&format!("fusion with these LSA vectors {verdict}")));
    assert!(md.contains(&format!("{tfidf:.4} for the full TF-IDF matrix")));
}

#[test]
fn experiment_sizes_past_memory_are_refused_up_front() {
    // Each of these aborted out of memory.
    for args in [
        ["--dims", "100000000000", "--n", "20", "--queries", "2"],
        ["--dims", "8", "--n", "1000000000000", "--queries", "2"],
        [
            "--dims",
            "8",
            "--n",
            "20",
            "--queries",
            "18446744073709551615",
        ],
    ] {
        let e = one_line_error(towel().args(["vectors", "experiment"]).args(args));
        assert!(
            e.contains("of memory; the playground keeps to 4.0 GB: lower --n, --queries or --dims"),
            "{e}"
        );
    }
    let e = one_line_error(towel().args([
        "vectors",
        "experiment",
        "--dims",
        "2,100000000000",
        "--n",
        "20",
        "--queries",
        "2",
    ]));
    assert!(
        e.contains("--n 20 and --queries 2 at dimension 100000000000 would take 32800000000000 bytes (32800.0 GB)"),
        "{e}"
    );
}

#[test]
fn fuse_refuses_non_finite_scores_like_nan() {
    let d = tempfile::tempdir().unwrap();
    let (a, out) = (d.path().join("a.run"), d.path().join("f.run"));
    fs::write(&a, "1 Q0 a 1 3.0 a\n1 Q0 b 2 1.0 a\n").unwrap();
    let nan = d.path().join("nan.run");
    fs::write(&nan, "1 Q0 a 1 NaN x\n").unwrap();
    let e = one_line_error(towel().arg("fuse").arg(&a).arg(&nan).arg("--out").arg(&out));
    assert!(e.contains("nan.run:1: score `NaN` is not a number"), "{e}");
    // These were fused (exit 0).
    for (name, text, score) in [
        ("inf.run", "1 Q0 a 1 inf x\n1 Q0 b 2 1 x\n", "inf"),
        ("huge.run", "1 Q0 a 1 1e309 x\n1 Q0 b 2 -1e309 x\n", "inf"),
    ] {
        let bad = d.path().join(name);
        fs::write(&bad, text).unwrap();
        for method in ["rrf", "convex"] {
            let e = one_line_error(
                towel()
                    .arg("fuse")
                    .arg(&a)
                    .arg(&bad)
                    .args(["--method", method, "--out"])
                    .arg(&out),
            );
            assert!(
                e.contains(&format!(
                    "{name}: query `1`, doc `a`: score {score} is not finite"
                )),
                "{e}"
            );
        }
    }
    assert!(!out.exists());
}
