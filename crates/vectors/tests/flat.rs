//! The flat index against faiss 1.15.1 (fixtures from
//! `tests/fixtures/gen_faiss.py`) and against brute-force references.

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use towel_vectors::{read_npy, FlatIndex, Hit, Metric, SearchParams, Vectors};

fn fixtures() -> (Value, impl Fn(&str) -> Vectors) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faiss");
    let json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("faiss.json")).unwrap()).unwrap();
    (json, move |name: &str| {
        read_npy(&dir.join(format!("{name}.npy"))).unwrap()
    })
}

/// `v[key]`: one array per query, each value mapped by `f`.
fn rows_of<T>(v: &Value, key: &str, f: impl Fn(&Value) -> T) -> Vec<Vec<T>> {
    let rows = v[key].as_array().unwrap();
    rows.iter()
        .map(|row| row.as_array().unwrap().iter().map(&f).collect())
        .collect()
}

fn ids_of(v: &Value) -> Vec<Vec<usize>> {
    // faiss pads short results with -1.
    let ids = rows_of(v, "ids", |x| x.as_i64().unwrap());
    ids.into_iter()
        .map(|row| {
            row.into_iter()
                .filter(|&i| i >= 0)
                .map(|i| i as usize)
                .collect()
        })
        .collect()
}

fn scores_of(v: &Value) -> Vec<Vec<f32>> {
    rows_of(v, "scores", |x| x.as_f64().unwrap() as f32)
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// Compare towel's hits with faiss's answer: the same ids in the same order,
/// scores equal (`tol = 0`) or within a relative tolerance.
fn assert_same(what: &str, towel: &[Vec<Hit>], faiss: &Value, tol: f32) {
    let (ids, scores) = (ids_of(faiss), scores_of(faiss));
    assert_eq!(towel.len(), ids.len(), "{what}: number of queries");
    for (q, hits) in towel.iter().enumerate() {
        let got: Vec<usize> = hits.iter().map(|h| h.id).collect();
        assert_eq!(got, ids[q], "{what}: query {q}");
        for (h, &s) in hits.iter().zip(&scores[q]) {
            assert!(
                (h.score - s).abs() <= tol * s.abs().max(1.0),
                "{what}: query {q}: {} vs {s}",
                h.score
            );
        }
    }
}

fn one_by_one(
    index: &FlatIndex,
    queries: &Vectors,
    k: usize,
    params: &SearchParams,
) -> Vec<Vec<Hit>> {
    queries
        .rows()
        .map(|q| {
            let q = Vectors::new(q.to_vec(), q.len()).unwrap();
            index.search_batch_with(&q, k, params).unwrap().remove(0)
        })
        .collect()
}

fn check_set(set: &str, metrics: &[(&str, Metric)], tol: f32) {
    let (json, load) = fixtures();
    let k = json["k"].as_u64().unwrap() as usize;
    let (base, queries) = (
        load(&format!("{set}_base")),
        load(&format!("{set}_queries")),
    );
    assert!(
        queries.len() >= towel_vectors::flat::GEMM_MIN_QUERIES,
        "the batch must take the GEMM path"
    );
    let allow = usizes(&json[set]["allow"]);
    let few = usizes(&json[set]["few"]);
    for &(name, metric) in metrics {
        let f = &json[set][name];
        let index = FlatIndex::from_vectors(&base, metric).unwrap();
        let what = |mode: &str| format!("{set}/{name}/{mode}");
        assert_same(
            &what("batch"),
            &index.search_batch(&queries, k).unwrap(),
            &f["batch"],
            tol,
        );
        let single: Vec<Vec<Hit>> = queries
            .rows()
            .map(|q| index.search(q, k).unwrap())
            .collect();
        assert_same(&what("single"), &single, &f["single"], tol);
        let allow_p = SearchParams::allow(&allow);
        assert_same(
            &what("allow"),
            &index.search_batch_with(&queries, k, &allow_p).unwrap(),
            &f["allow"],
            tol,
        );
        assert_same(
            &what("allow_single"),
            &one_by_one(&index, &queries, k, &allow_p),
            &f["allow_single"],
            tol,
        );
        let few_p = SearchParams::allow(&few);
        let got = index.search_batch_with(&queries, k, &few_p).unwrap();
        assert!(got.iter().all(|h| h.len() == few.len()));
        assert_same(&what("allow_few"), &got, &f["allow_few"], tol);
    }
}

#[test]
fn exact_ties_equal_faiss_on_every_path() {
    // Integer data: every score is exact, so scores must be equal too.
    check_set(
        "ties",
        &[("ip", Metric::InnerProduct), ("l2", Metric::L2)],
        0.0,
    );
}

#[test]
fn random_data_equal_faiss() {
    check_set(
        "random",
        &[
            ("ip", Metric::InnerProduct),
            ("l2", Metric::L2),
            ("cosine", Metric::Cosine),
        ],
        2e-6,
    );
}

#[test]
fn duplicates_at_the_kth_place_follow_faiss() {
    // Checked with faiss 1.15.1: IndexFlatIP on 30 vectors scoring 0.5, except
    // ids 3 and 10 scoring 0.9, returns [10, 3, 4, 2, 1] for k = 5 (ids 5..9
    // never beat the full heap; id 0 was evicted by id 10), on both paths.
    let mut data = vec![0.0f32; 30 * 2];
    for i in 0..30 {
        data[2 * i] = if i == 3 || i == 10 { 0.9 } else { 0.5 };
        data[2 * i + 1] = (i % 3) as f32;
    }
    let base = Vectors::new(data, 2).unwrap();
    let index = FlatIndex::from_vectors(&base, Metric::InnerProduct).unwrap();
    let ids = |h: Vec<Hit>| h.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(
        ids(index.search(&[1.0, 0.0], 5).unwrap()),
        vec![10, 3, 4, 2, 1]
    );
    assert_eq!(ids(index.search(&[1.0, 0.0], 2).unwrap()), vec![10, 3]);
    let batch = Vectors::new([1.0, 0.0].repeat(25), 2).unwrap();
    for hits in index.search_batch(&batch, 5).unwrap() {
        assert_eq!(ids(hits), vec![10, 3, 4, 2, 1]);
    }
    let allow = [1, 2, 4, 5, 6, 20, 21];
    let got = index
        .search_batch_with(&batch, 5, &SearchParams::allow(&allow))
        .unwrap();
    assert_eq!(ids(got[0].clone()), vec![6, 5, 4, 2, 1]);
    // L2: tied distances lowest id first.
    let l2 = FlatIndex::from_vectors(
        &Vectors::new([1.0f32, 0.0].repeat(12), 2).unwrap(),
        Metric::L2,
    )
    .unwrap();
    assert_eq!(ids(l2.search(&[1.0, 0.0], 3).unwrap()), vec![0, 1, 2]);
    let got = l2
        .search_batch_with(&batch, 5, &SearchParams::allow(&[9, 7, 3, 7, 99]))
        .unwrap();
    assert_eq!(ids(got[0].clone()), vec![3, 7, 9]);
}

#[test]
fn edge_cases_and_errors() {
    let base = Vectors::new(vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0], 2).unwrap();
    let ip = FlatIndex::from_vectors(&base, Metric::InnerProduct).unwrap();
    assert!(ip.search(&[1.0, 1.0], 0).unwrap().is_empty());
    assert_eq!(
        ip.search(&[1.0, 1.0], 10).unwrap().len(),
        3,
        "k > n gives n hits"
    );
    let err = ip.search(&[1.0, 1.0, 1.0], 1).unwrap_err().to_string();
    assert_eq!(err, "query: dimension 3, expected 2");
    let empty = FlatIndex::new(2, Metric::L2).unwrap();
    assert!(empty.search(&[1.0, 1.0], 3).unwrap().is_empty());
    assert!(FlatIndex::new(0, Metric::L2).is_err());
    // Cosine: a zero vector cannot be added or searched with.
    let err = FlatIndex::from_vectors(&base, Metric::Cosine)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 2"), "{err}");
    let cos = FlatIndex::from_vectors(
        &Vectors::new(vec![2.0, 0.0, 0.0, 3.0], 2).unwrap(),
        Metric::Cosine,
    )
    .unwrap();
    assert!(cos
        .search(&[0.0, 0.0], 1)
        .unwrap_err()
        .to_string()
        .contains("queries"));
    let hits = cos.search(&[5.0, 5.0], 2).unwrap();
    assert!((hits[0].score - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    // Adding grows the ids.
    let mut grow = FlatIndex::new(2, Metric::L2).unwrap();
    grow.add(&base).unwrap();
    grow.add(&Vectors::new(vec![5.0, 5.0], 2).unwrap()).unwrap();
    assert_eq!(
        grow.search(&[5.0, 5.0], 1).unwrap()[0],
        Hit { id: 3, score: 0.0 }
    );
    assert!(grow.add(&Vectors::new(vec![1.0; 3], 3).unwrap()).is_err());
}

/// faiss's rule written the slow, obvious way: keep k (key, id) pairs,
/// replace the worst when a newcomer's key is strictly higher, then sort.
fn naive_faiss(
    keys: &[f64],
    k: usize,
    prefer_high_id: bool,
    allowed: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let better = |a: (f64, usize), b: (f64, usize)| {
        a.0 > b.0 || (a.0 == b.0 && (a.1 > b.1) == prefer_high_id)
    };
    let mut kept: Vec<(f64, usize)> = Vec::new();
    for (id, &key) in keys.iter().enumerate().filter(|(id, _)| allowed(*id)) {
        if kept.len() < k {
            kept.push((key, id));
        } else if let Some(w) =
            (0..kept.len()).reduce(|a, b| if better(kept[a], kept[b]) { b } else { a })
        {
            if key > kept[w].0 {
                kept[w] = (key, id);
            }
        }
    }
    kept.sort_by(|&a, &b| {
        if better(a, b) {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Greater
        }
    });
    kept.into_iter().map(|(_, id)| id).collect()
}

fn reference(
    base: &Vectors,
    q: &[f32],
    metric: Metric,
    k: usize,
    allowed: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let q64: Vec<f64> = q.iter().map(|&x| x as f64).collect();
    let keys: Vec<f64> = base
        .rows()
        .map(|x| match metric {
            Metric::L2 => -x
                .iter()
                .zip(&q64)
                .map(|(&a, &b)| (a as f64 - b).powi(2))
                .sum::<f64>(),
            _ => x.iter().zip(&q64).map(|(&a, &b)| a as f64 * b).sum::<f64>(),
        })
        .collect();
    naive_faiss(&keys, k, metric != Metric::L2, allowed)
}

fn small_ints(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec((-3i32..=3).prop_map(|x| x as f32), n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Integer data (exact scores, many ties): every path equals the f64
    /// brute-force reference with faiss's rule, ids and scores.
    #[test]
    fn every_path_equals_the_f64_reference(
        (_n, dim, base, queries) in (1usize..120, 1usize..9).prop_flat_map(|(n, dim)| {
            (Just(n), Just(dim), small_ints(n * dim), small_ints(24 * dim))
        }),
        k in 0usize..15,
        allow in prop::collection::vec(0usize..130, 0..40),
        metric in prop_oneof![Just(Metric::InnerProduct), Just(Metric::L2)],
    ) {
        let base = Vectors::new(base, dim).unwrap();
        let queries = Vectors::new(queries, dim).unwrap();
        let index = FlatIndex::from_vectors(&base, metric).unwrap();
        let batch = index.search_batch(&queries, k).unwrap(); // GEMM path (24 queries)
        let allowed = index.search_batch_with(&queries, k, &SearchParams::allow(&allow)).unwrap();
        for (qi, q) in queries.rows().enumerate() {
            let want = reference(&base, q, metric, k, |_| true);
            let single = index.search(q, k).unwrap();
            prop_assert_eq!(&single.iter().map(|h| h.id).collect::<Vec<_>>(), &want);
            prop_assert_eq!(&batch[qi], &single);
            let want = reference(&base, q, metric, k, |id| allow.contains(&id));
            prop_assert_eq!(allowed[qi].iter().map(|h| h.id).collect::<Vec<_>>(), want);
            if metric == Metric::L2 {
                // L2's rule is the plain order (distance, id).
                let mut all: Vec<(f32, usize)> = base.rows().map(|x| towel_vectors::l2_sq(q, x)).zip(0..).collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                prop_assert!(single.iter().zip(&all).all(|(h, &(d, id))| h.id == id && h.score == d));
            }
        }
    }

    /// Continuous data (no ties): the top k by float64 score, best first,
    /// for inner product, cosine and L2, on both paths.
    #[test]
    fn continuous_data_equals_sorting_in_f64(
        (dim, base, queries) in (1usize..40).prop_flat_map(|dim| {
            (Just(dim), prop::collection::vec(-1.0f32..1.0, 80 * dim), prop::collection::vec(-1.0f32..1.0, 21 * dim))
        }),
        k in 1usize..12,
    ) {
        let base = Vectors::new(base, dim).unwrap();
        let queries = Vectors::new(queries, dim).unwrap();
        for metric in [Metric::InnerProduct, Metric::Cosine, Metric::L2] {
            let Ok(index) = FlatIndex::from_vectors(&base, metric) else { continue };
            let Ok(batch) = index.search_batch(&queries, k) else { continue };
            for (qi, q) in queries.rows().enumerate() {
                let q64: Vec<f64> = q.iter().map(|&x| x as f64).collect();
                let qn = q64.iter().map(|x| x * x).sum::<f64>().sqrt();
                let mut s: Vec<(f64, usize)> = base.rows().enumerate().map(|(id, x)| {
                    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
                    let d: f64 = x64.iter().zip(&q64).map(|(a, b)| a * b).sum();
                    let v = match metric {
                        Metric::InnerProduct => d,
                        Metric::Cosine => d / (qn * x64.iter().map(|x| x * x).sum::<f64>().sqrt()),
                        Metric::L2 => -x64.iter().zip(&q64).map(|(a, b)| (a - b) * (a - b)).sum::<f64>(),
                    };
                    (v, id)
                }).collect();
                s.sort_by(|a, b| b.0.total_cmp(&a.0));
                let single = index.search(q, k).unwrap();
                for (j, h) in single.iter().enumerate() {
                    // Only a rounding-level near-tie may reorder.
                    let near = (s[j].0 - (if metric == Metric::L2 { -h.score } else { h.score }) as f64).abs() < 1e-4;
                    prop_assert!(h.id == s[j].1 || near, "{:?} q{} rank {}: {} vs {}", metric, qi, j, h.id, s[j].1);
                }
                prop_assert_eq!(batch[qi].len(), k.min(base.len()));
                for (b, h) in batch[qi].iter().zip(&single) {
                    prop_assert!(b.id == h.id || (b.score - h.score).abs() < 1e-4);
                    prop_assert!((b.score - h.score).abs() <= 1e-4 * h.score.abs().max(1.0));
                }
            }
        }
    }
}

#[test]
fn many_blocks_and_chunks_equal_one_query_at_a_time() {
    use towel_vectors::flat::{BASE_BLOCK, QUERY_BLOCK};
    let (n, nq, dim) = (2 * BASE_BLOCK + 77, QUERY_BLOCK + 45, 8);
    let ints = |seed: usize, len: usize| -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 2654435761 + seed * 40503) % 7) as f32 - 3.0)
            .collect()
    };
    let base = Vectors::new(ints(1, n * dim), dim).unwrap();
    let queries = Vectors::new(ints(2, nq * dim), dim).unwrap();
    for metric in [Metric::InnerProduct, Metric::L2] {
        let index = FlatIndex::from_vectors(&base, metric).unwrap();
        let batch = index.search_batch(&queries, 7).unwrap();
        for (qi, q) in queries.rows().enumerate().step_by(13) {
            assert_eq!(
                batch[qi],
                index.search(q, 7).unwrap(),
                "{metric:?} query {qi}"
            );
            assert_eq!(
                batch[qi].iter().map(|h| h.id).collect::<Vec<_>>(),
                reference(&base, q, metric, 7, |_| true)
            );
        }
    }
}

#[test]
fn k_past_the_size_allocates_nothing_more() {
    // k = 10¹⁵ reserved that many heap slots per query and aborted; now
    // every path gives the same hits as k = n (or the allow-list's size).
    let base = Vectors::new((0..60).map(|i| (i % 7) as f32).collect(), 3).unwrap();
    let queries = Vectors::new((0..75).map(|i| (i % 5) as f32).collect(), 3).unwrap();
    let huge = 1usize << 50;
    for metric in [Metric::InnerProduct, Metric::L2, Metric::Cosine] {
        let index = FlatIndex::from_vectors(&base, metric).unwrap();
        // One query (scanned), 25 (GEMM).
        assert_eq!(
            index.search(queries.row(0), huge).unwrap(),
            index.search(queries.row(0), 20).unwrap()
        );
        assert_eq!(
            index.search_batch(&queries, huge).unwrap(),
            index.search_batch(&queries, 20).unwrap()
        );
        let allow = SearchParams::allow(&[3, 1, 4, 1, 5, 99]);
        let hits = index.search_batch_with(&queries, huge, &allow).unwrap();
        assert_eq!(hits, index.search_batch_with(&queries, 4, &allow).unwrap());
        assert_eq!(hits[0].len(), 4);
    }
}

#[test]
fn non_finite_values_are_refused_by_every_metric() {
    let good = Vectors::new(vec![1.0, 2.0, 3.0, 4.0], 2).unwrap();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let v = Vectors::new(vec![1.0, 2.0, bad, 4.0], 2).unwrap();
        for metric in [Metric::InnerProduct, Metric::L2, Metric::Cosine] {
            // ip and l2 took them and found nothing for any query.
            let err = FlatIndex::from_vectors(&v, metric).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "vectors: row 1 has {bad} at column 0; vectors must be finite to be compared"
                )
            );
            let index = FlatIndex::from_vectors(&good, metric).unwrap();
            let err = index.search_batch(&v, 1).unwrap_err().to_string();
            assert!(err.starts_with("queries: row 1 has"), "{err}");
            assert!(index.search(&[bad, 0.0], 1).is_err());
            assert_eq!(index.len(), 2);
        }
    }
}

/// Finite vectors whose scores overflow float32 are refused too: 3e38 in
/// every column gave infinite inner products in no order, and under L2 no
/// hits at all. Just within the limit, every score is finite.
#[test]
fn vectors_whose_scores_would_overflow_are_refused() {
    let good = Vectors::new(vec![1.0, 2.0, 3.0, 4.0], 2).unwrap();
    let big = Vectors::new(vec![1.0, 2.0, 3e38, 3e38], 2).unwrap();
    for metric in [Metric::InnerProduct, Metric::L2] {
        let err = FlatIndex::from_vectors(&big, metric)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("vectors: row 1 has norm 4.243e38"), "{err}");
        let index = FlatIndex::from_vectors(&good, metric).unwrap();
        let err = index.search_batch(&big, 1).unwrap_err().to_string();
        assert!(
            err.contains("overflow float32; scale the vectors down"),
            "{err}"
        );
        // At the limit: every score of every pair is finite.
        let m = (towel_vectors::flat::MAX_NORM_SQ / 2.0).sqrt() as f32 * 0.999;
        let edge = Vectors::new(vec![m, m, -m, -m], 2).unwrap();
        let index = FlatIndex::from_vectors(&edge, metric).unwrap();
        let hits = index.search_batch(&edge, 2).unwrap();
        assert!(
            hits.iter().flatten().all(|h| h.score.is_finite()),
            "{hits:?}"
        );
        assert_eq!(hits[0].len(), 2);
    }
}
