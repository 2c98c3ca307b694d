//! Chapter: vectors. Cosine is the dot product of unit vectors (why vector
//! stores normalize), the high-dimensional playground, low rank
//! (Eckart–Young) and, when SciFact is present, latent semantic analysis
//! fused with BM25.

use anyhow::{ensure, Result};
use towel_retrieval::corpus::{parse_jsonl_docs, read_queries, Fields};
use towel_retrieval::eval::{judged_queries, parse_qrels};
use towel_vectors::random::gaussian;
use towel_vectors::{cosine, dot, normalize};

use super::{Chapter, Ctx, Page};
use crate::cmd::vectors::experiment::{charts, measure, PLOTS};
use crate::cmd::vectors::svd::{eckart_young, lsa, Collection};
use crate::output::Output;

pub struct VectorsChapter;

/// Dimensions of the playground in the tour (the CLI goes to 2048).
pub const DIMS: [usize; 5] = [2, 8, 32, 128, 512];
/// Ranks of the Eckart–Young table.
const EY_RANKS: [usize; 5] = [1, 2, 4, 8, 16];
/// LSA ranks in the tour (small, to stay fast; `towel vectors svd --lsa` goes to 512).
const LSA_RANKS: [usize; 2] = [32, 128];

fn fmt_dims(stats: &[f64]) -> String {
    stats
        .iter()
        .map(|x| format!("{x:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Chapter for VectorsChapter {
    fn id(&self) -> &'static str {
        "vectors"
    }

    fn title(&self) -> &'static str {
        "Vectors: similarity, high dimensions, low rank"
    }

    fn wants(&self) -> &'static [&'static str] {
        &["scifact-corpus", "scifact-queries", "scifact-qrels-test"]
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> Result<()> {
        // 1. cosine = dot on unit vectors
        let v = gaussian(2, 8, 7)?;
        let (a, b) = (v.row(0), v.row(1));
        let cos = cosine(a, b)?;
        let (ua, ub) = (normalize(a)?, normalize(b)?);
        let dot_unit = dot(&ua, &ub);
        let dot_raw = dot(a, b);
        let diff = (cos - dot_unit).abs();
        ensure!(
            diff < 1e-6,
            "cosine {cos} vs dot of unit vectors {dot_unit}"
        );
        page.para(format!(
            "Cosine similarity is the dot product divided by both norms, so on vectors scaled \
             to length 1 it *is* the dot product. Two random 8-dimensional vectors (seed 7): \
             cos(a, b) = {cos:.6}, and the dot product of a/‖a‖ and b/‖b‖ = {dot_unit:.6} \
             (difference {diff:.1e}, float32 rounding), while the raw dot product is \
             {dot_raw:.4}. This is why vector stores normalize once when vectors are added and \
             then search by inner product (`towel vectors search --metric cosine` does the \
             same, and so does faiss's IndexFlatIP on normalized vectors)."
        ));
        page.fact("cos", cos);
        page.fact("dot_unit", dot_unit);
        page.fact("dot_raw", dot_raw);
        page.say(format!(
            "cos(a, b) = {cos:.6} = dot(a/|a|, b/|b|) = {dot_unit:.6}"
        ));

        // 2. the playground
        let (n, queries) = (1000, 30);
        let stats = DIMS
            .iter()
            .map(|&d| measure(d, n, queries, 0))
            .collect::<Result<Vec<_>>>()?;
        let spread: Vec<f64> = stats.iter().map(|s| s.cos_std_sqrt_d).collect();
        let norm_ratio: Vec<f64> = stats.iter().map(|s| s.norm_over_sqrt_d).collect();
        let near_far: Vec<f64> = stats.iter().map(|s| s.nearest_over_farthest).collect();
        let raw_agree: Vec<f64> = stats.iter().map(|s| s.top10_agreement_raw).collect();
        let unit_agree: Vec<f64> = stats.iter().map(|s| s.top10_agreement_normalized).collect();
        let (cos_s, dot_s) = stats.iter().fold((0.0, 0.0), |(c, d), s| {
            (c + s.cosine_seconds, d + s.dot_seconds)
        });
        page.heading("High dimensions: the playground");
        page.para(format!(
            "{n} random standard normal vectors per dimension d = {dims} (seed 0, \
             `towel vectors experiment`). The cosine of two of them is a sum of d nearly \
             independent terms scaled by 1/d: centred on 0 with standard deviation about \
             1/√d. Measured std · √d over all pairs of 400 vectors: {spread} (1 would be \
             exact). The norm grows as √d (norm / √d: {norm_ratio}), and the nearest and \
             farthest of {n} points from a random query become almost equally far \
             (nearest / farthest distance: {near_far}): in high dimensions, random points \
             are all about the same distance apart, which is why nearest-neighbour search \
             only works on data with structure.",
            dims = DIMS.map(|d| d.to_string()).join(", "),
            spread = fmt_dims(&spread),
            norm_ratio = fmt_dims(&norm_ratio),
            near_far = fmt_dims(&near_far),
        ));
        page.table(
            &[
                "d",
                "cosine std",
                "1/√d",
                "mean norm",
                "√d",
                "nearest / farthest",
                "top-10 dot = cosine (raw)",
                "(normalized)",
            ],
            &stats
                .iter()
                .map(|s| {
                    vec![
                        s.dim.to_string(),
                        format!("{:.4}", s.cos_std),
                        format!("{:.4}", 1.0 / (s.dim as f64).sqrt()),
                        format!("{:.2}", s.norm_mean),
                        format!("{:.2}", (s.dim as f64).sqrt()),
                        format!("{:.3}", s.nearest_over_farthest),
                        format!("{:.2}", s.top10_agreement_raw),
                        format!("{:.2}", s.top10_agreement_normalized),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        for (chart, name) in charts(&stats).iter().zip(PLOTS) {
            // The page prefixes its chapter id ("vectors-"), which the
            // experiment's file names already carry.
            let stem = name.trim_end_matches(".png");
            page.line_plot(stem.strip_prefix("vectors-").unwrap_or(stem), chart)?;
        }
        page.para(format!(
            "Cosine vs dot product: on vectors whose norms vary (here by a factor \
             exp(0.5·N(0,1))), the top 10 by dot product shares only {raw} of the top 10 \
             by cosine (mean overlap per dimension); on normalized vectors the two rankings \
             are the same ({unit}). Computing cosine on the fly (norms recomputed for every \
             query) took {cos_ms:.1} ms for all queries and dimensions, the dot product on \
             pre-normalized vectors {dot_ms:.1} ms (ratio {ratio:.2}; the extra pass for the \
             norm is cheap while the vector is in cache). The main reason to normalize once \
             is the one above: cosine then *is* the inner product, which a matrix product \
             computes for a whole batch of queries at once.",
            raw = fmt_dims(&raw_agree),
            unit = fmt_dims(&unit_agree),
            cos_ms = cos_s * 1e3,
            dot_ms = dot_s * 1e3,
            ratio = cos_s / dot_s.max(1e-12),
        ));
        page.fact("dims", DIMS);
        page.fact("cos_std_sqrt_d", &spread);
        page.fact("norm_over_sqrt_d", &norm_ratio);
        page.fact("nearest_over_farthest", &near_far);
        page.fact("top10_agreement_raw", &raw_agree);
        page.fact("top10_agreement_normalized", &unit_agree);
        page.say(format!(
            "cosine std·√d = {} for d = {}",
            fmt_dims(&spread),
            DIMS.map(|d| d.to_string()).join(", ")
        ));

        // 3. Eckart–Young
        let ey = eckart_young(120, 80, 8, 0.1, 0, &EY_RANKS)?;
        page.heading("Low rank: Eckart–Young");
        page.para(format!(
            "A {m} × {nn} matrix of rank {rank} (singular values 10 · 0.8^i) plus Gaussian \
             noise of standard deviation {noise}. Its truncated SVD (faer) keeps the first r \
             singular values; the Eckart–Young theorem says no rank-r matrix is closer, and \
             the squared error is the tail σ²(r+1) + σ²(r+2) + …. The table measures the \
             error directly and compares it with the tail, with the randomized SVD that \
             LSA uses below, and with another rank-r approximation (projection onto a \
             random r-dimensional subspace), which is always worse.",
            m = ey.m,
            nn = ey.n,
            rank = ey.rank,
            noise = ey.noise
        ));
        page.table(
            &[
                "r",
                "tail Σσ² beyond r",
                "‖A − A_r‖² (SVD)",
                "randomized SVD",
                "random subspace",
            ],
            &ey.rows
                .iter()
                .map(|r| {
                    vec![
                        r.r.to_string(),
                        format!("{:.6}", r.tail_sq),
                        format!("{:.6}", r.svd_err_sq),
                        format!("{:.6}", r.randomized_err_sq),
                        format!("{:.3}", r.random_subspace_err_sq),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        let worst = ey
            .rows
            .iter()
            .map(|r| (r.svd_err_sq - r.tail_sq).abs() / ey.frobenius_sq)
            .fold(0.0, f64::max);
        ensure!(worst < 1e-10, "SVD error and tail differ by {worst:e}");
        page.fact("ey_worst_relative_gap", worst);
        page.fact("ey_rows", &ey.rows);
        page.say(format!(
            "Eckart-Young: |error - tail| / |A|^2 <= {worst:.1e} at r = 1..16"
        ));

        // 4. LSA on SciFact, when present
        page.heading("Latent semantic analysis on SciFact");
        let collection = (|| {
            let corpus = ctx.data("scifact-corpus")?;
            let qpath = ctx.data_path("scifact-queries")?;
            let qrels_text = ctx.data("scifact-qrels-test")?;
            let docs =
                parse_jsonl_docs(&corpus, "scifact/corpus.jsonl".as_ref(), &Fields::beir()).ok()?;
            let queries = read_queries(&qpath).ok()?;
            let mut qrels = parse_qrels(std::str::from_utf8(&qrels_text).ok()?, "scifact").ok()?;
            let (queries, _) = judged_queries(&queries, &mut qrels);
            Some(Collection {
                name: "SciFact".into(),
                docs,
                queries,
                qrels,
            })
        })();
        let Some(c) = collection else {
            page.para(
                "SciFact is not available here (set TOWEL_DATA_DIR or run `towel data fetch \
                 scifact-corpus scifact-queries scifact-qrels-test`), so this section is \
                 skipped. `towel vectors svd --lsa` runs it at ranks 32 to 512.",
            );
            page.fact("lsa", serde_json::Value::Null);
            return Ok(());
        };
        let l = lsa(&c, &LSA_RANKS, 3, false, &Output::new(true))?;
        page.para(format!(
            "The documents × terms TF-IDF matrix of SciFact ({docs} × {terms}, {nnz} stored \
             values; bm25s's stopwords and stemmer, sublinear tf) reduced by a randomized SVD \
             of rank {rank} ({pi} power iterations, {secs:.2} s). Each document becomes the \
             rank-r vector of its row, each query is folded in as q·V_r, and documents are \
             ranked by cosine with the exact flat index. At r = {rank} the computed \
             singular values still leave {tail_pct:.0}% of ‖A‖² in the tail (the measured \
             error ‖A − A_r‖²/‖A‖² is the same number: the randomized SVD's factors are an \
             orthogonal projection), and retrieval with rank-{rank} vectors reaches nDCG@10 \
             {lsa_ndcg:.4} against {tf_ndcg:.4} for the full TF-IDF matrix it approximates.",
            tail_pct = 100.0 * l.rows.last().map_or(0.0, |r| r.rel_tail_sq),
            lsa_ndcg = l.rows.last().map_or(0.0, |r| r.ndcg_at_10),
            tf_ndcg = l.tfidf_ndcg_at_10,
            docs = l.docs,
            terms = l.terms,
            nnz = l.nnz,
            rank = l.svd_rank,
            pi = l.power_iters,
            secs = l.svd_seconds,
        ));
        let mut rows: Vec<Vec<String>> = l
            .rows
            .iter()
            .map(|r| {
                vec![
                    format!("LSA, r = {}", r.r),
                    format!("{:.3}", r.rel_err_sq),
                    format!("{:.3}", r.rel_tail_sq),
                    format!("{:.4}", r.ndcg_at_10),
                ]
            })
            .collect();
        rows.push(vec![
            format!("full TF-IDF ({} terms)", l.terms),
            "0".into(),
            "0".into(),
            format!("{:.4}", l.tfidf_ndcg_at_10),
        ]);
        rows.push(vec![
            "BM25 (bm25s settings)".into(),
            "".into(),
            "".into(),
            format!("{:.4}", l.bm25_ndcg_at_10),
        ]);
        for f in &l.fusion {
            rows.push(vec![
                f.method.clone(),
                "".into(),
                "".into(),
                format!("{:.4}", f.ndcg_at_10),
            ]);
        }
        page.table(&["run", "‖A − A_r‖²/‖A‖²", "tail / ‖A‖²", "nDCG@10"], &rows);
        let best_fused = l
            .fusion
            .iter()
            .map(|f| f.ndcg_at_10)
            .fold(f64::NEG_INFINITY, f64::max);
        let verdict = if best_fused > l.bm25_ndcg_at_10 + 0.005 {
            "helps"
        } else if best_fused < l.bm25_ndcg_at_10 - 0.005 {
            "hurts"
        } else {
            "makes no real difference"
        };
        let each = l
            .fusion
            .iter()
            .map(|f| {
                format!(
                    "{} {:.4}",
                    f.method.rsplit(", ").next().unwrap_or(""),
                    f.ndcg_at_10
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        page.para(format!(
            "Fusing BM25 with LSA (`towel fuse`): {each}, against BM25's {bm:.4} alone. The \
             best fused run scores {best_fused:.4}, so on SciFact fusion with these LSA \
             vectors {verdict} (a difference under 0.005 is treated as none). The three \
             settings were fixed beforehand, not tuned, but taking the best of three on the \
             test queries flatters fusion.",
            bm = l.bm25_ndcg_at_10
        ));
        page.fact("lsa", &l);
        page.fact("lsa_fusion_verdict", verdict);
        page.say(format!(
            "LSA r = {}: nDCG@10 {:.4}; TF-IDF {:.4}; BM25 {:.4}; best fusion {best_fused:.4} ({verdict})",
            l.svd_rank,
            l.rows.last().map_or(0.0, |r| r.ndcg_at_10),
            l.tfidf_ndcg_at_10,
            l.bm25_ndcg_at_10
        ));
        Ok(())
    }
}
