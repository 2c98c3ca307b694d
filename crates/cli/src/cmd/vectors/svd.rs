//! `towel vectors svd`: the low-rank experiments.
//!
//! 1. **Eckart–Young** on a random low-rank-plus-noise matrix: for each
//!    rank `r`, the squared error of the truncated SVD, the tail of the
//!    squared singular values (equal, by the theorem), and the error of
//!    another rank-`r` approximation (projection on a random subspace),
//!    which is never smaller.
//! 2. **Latent semantic analysis** on SciFact (`--lsa`): the documents ×
//!    terms TF-IDF matrix of towel-retrieval (bm25s's English stopwords and
//!    stemmer, sublinear tf, l2 rows), its randomized truncated SVD, the
//!    relative reconstruction error per rank against the singular-value
//!    tail, and the nDCG@10 of retrieving by cosine of rank-`r` vectors
//!    (queries folded in as `q V_r`) against the full TF-IDF and BM25,
//!    plus BM25 fused with LSA.
//!
//! ```sh
//! towel vectors svd --m 300 --n 200 --rank 10 --noise 0.1
//! towel vectors svd --lsa --lsa-ranks 32,64,128,256,512 --json
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use towel_data::{registry, DataDirs};
use towel_retrieval::analyzer::AnalyzerConfig;
use towel_retrieval::corpus::{load_corpus, read_queries, Document, Fields, Query};
use towel_retrieval::eval::{evaluate, fuse, judged_queries, read_qrels, Fusion, Qrels, Run};
use towel_retrieval::retriever::Model;
use towel_retrieval::tfidf::TfidfParams;
use towel_retrieval::{Baseline, Method, Retriever};
use towel_vectors::faer::Mat;
use towel_vectors::svd::{
    gram_singular_values, low_rank_plus_noise, randomized_svd, residual_sq, svd, tail_sq, Operator,
    RandomizedSvd, SparseMatrix, Svd,
};
use towel_vectors::{FlatIndex, Metric, Vectors};

use crate::output::{outln, Output};

#[derive(Args, Debug)]
pub struct SvdArgs {
    /// Rows of the random matrix (Eckart–Young).
    #[arg(long, default_value_t = 300)]
    pub m: usize,
    /// Columns of the random matrix.
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Rank of its low-rank part (singular values 10 · 0.8^i).
    #[arg(long, default_value_t = 10)]
    pub rank: usize,
    /// Standard deviation of the Gaussian noise added.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,
    /// Seed of the random matrix.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Ranks at which to truncate (default: 1, 2, 5, rank, 2·rank, 50).
    #[arg(long, value_delimiter = ',')]
    pub ranks: Vec<usize>,
    /// Also run latent semantic analysis on SciFact (needs the data: TOWEL_DATA_DIR or --beir).
    #[arg(long)]
    pub lsa: bool,
    /// A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) for --lsa instead of SciFact.
    #[arg(long)]
    pub beir: Option<PathBuf>,
    /// Ranks of the LSA vectors.
    #[arg(long, value_delimiter = ',', default_value = "32,64,128,256,512")]
    pub lsa_ranks: Vec<usize>,
    /// Power iterations of the randomized SVD for LSA.
    #[arg(long, default_value_t = 5)]
    pub power_iters: usize,
    /// For --lsa, also compute every singular value exactly (eigenvalues of
    /// the documents × documents Gram matrix, faer; about a minute on SciFact)
    /// to check the randomized ones and the tails.
    #[arg(long)]
    pub exact_spectrum: bool,
}

/// One rank of the Eckart–Young experiment.
#[derive(Debug, Clone, Serialize)]
pub struct EyRow {
    pub r: usize,
    /// σ²_{r+1} + …, from all singular values.
    pub tail_sq: f64,
    /// ‖A − A_r‖_F², measured densely.
    pub svd_err_sq: f64,
    /// The same from the randomized SVD (5 power iterations).
    pub randomized_err_sq: f64,
    /// ‖A − Q Qᵀ A‖_F² for a random r-dimensional subspace Q.
    pub random_subspace_err_sq: f64,
}

/// The Eckart–Young experiment.
#[derive(Debug, Clone, Serialize)]
pub struct EckartYoung {
    pub m: usize,
    pub n: usize,
    pub rank: usize,
    pub noise: f64,
    pub seed: u64,
    pub frobenius_sq: f64,
    pub singular_values: Vec<f64>,
    pub rows: Vec<EyRow>,
    pub seconds: f64,
}

fn sq(x: f64) -> f64 {
    x * x
}

/// Run the Eckart–Young experiment.
pub fn eckart_young(
    m: usize,
    n: usize,
    rank: usize,
    noise: f64,
    seed: u64,
    ranks: &[usize],
) -> anyhow::Result<EckartYoung> {
    if m == 0 || n == 0 {
        bail!("--m and --n must be at least 1");
    }
    if rank > m.min(n) {
        bail!("--rank {rank} is above min(--m, --n) = {}", m.min(n));
    }
    if !(noise.is_finite() && noise >= 0.0) {
        bail!("--noise must be a finite number ≥ 0");
    }
    let t = Instant::now();
    let a = low_rank_plus_noise(m, n, rank, noise, seed)?;
    let full = svd(a.as_ref())?;
    let most = m.min(n);
    let mut rows = Vec::new();
    for &r in ranks {
        if r == 0 || r > most {
            bail!("rank {r} is not between 1 and min(m, n) = {most}");
        }
        let best = full.truncate(r);
        let randomized = randomized_svd(&a, &RandomizedSvd::new(r))?;
        let g = towel_vectors::random::gaussian(m, r, seed.wrapping_add(99))?;
        let q = Mat::from_fn(m, r, |i, j| g.row(i)[j] as f64)
            .qr()
            .compute_thin_Q();
        let proj = &q * (q.transpose() * &a);
        rows.push(EyRow {
            r,
            tail_sq: tail_sq(&full.s, r),
            svd_err_sq: sq((&a - best.reconstruct()).norm_l2()),
            randomized_err_sq: sq((&a - randomized.reconstruct()).norm_l2()),
            random_subspace_err_sq: sq((&a - proj).norm_l2()),
        });
    }
    Ok(EckartYoung {
        m,
        n,
        rank,
        noise,
        seed,
        frobenius_sq: a.frobenius_sq(),
        singular_values: full.s,
        rows,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Default ranks of the Eckart–Young experiment.
pub fn default_ranks(rank: usize, m: usize, n: usize) -> Vec<usize> {
    let mut r: Vec<usize> = [1, 2, 5, rank, 2 * rank, 50]
        .into_iter()
        .filter(|&r| r >= 1 && r <= m.min(n))
        .collect();
    r.sort_unstable();
    r.dedup();
    r
}

/// One rank of the LSA experiment.
#[derive(Debug, Clone, Serialize)]
pub struct LsaRow {
    pub r: usize,
    /// ‖A − A_r‖_F² / ‖A‖_F², measured (one product A V_r).
    pub rel_err_sq: f64,
    /// (‖A‖_F² − σ₁² − … − σ_r²) / ‖A‖_F² with the computed σ.
    pub rel_tail_sq: f64,
    /// The same with every exact σ (`--exact-spectrum`): Eckart–Young's
    /// lower bound, which `rel_err_sq` meets when the randomized SVD has
    /// found the true leading subspace.
    pub exact_rel_tail_sq: Option<f64>,
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
    /// Searching all queries (fold-in + exact cosine top-100).
    pub search_seconds: f64,
}

/// A fused run's quality.
#[derive(Debug, Clone, Serialize)]
pub struct FusionRow {
    pub method: String,
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
}

/// The LSA experiment.
#[derive(Debug, Clone, Serialize)]
pub struct Lsa {
    pub collection: String,
    pub docs: usize,
    pub terms: usize,
    pub nnz: usize,
    pub queries: usize,
    pub power_iters: usize,
    pub svd_rank: usize,
    pub svd_seconds: f64,
    /// The computed singular values (largest first).
    pub singular_values: Vec<f64>,
    /// Seconds for every singular value through the Gram matrix (`--exact-spectrum`).
    pub exact_seconds: Option<f64>,
    /// Largest |σ̃ᵢ − σᵢ| / σᵢ over the computed values (`--exact-spectrum`).
    pub max_sigma_rel_error: Option<f64>,
    pub rows: Vec<LsaRow>,
    pub tfidf_ndcg_at_10: f64,
    pub tfidf_recall_at_100: f64,
    pub bm25_ndcg_at_10: f64,
    pub bm25_recall_at_100: f64,
    /// BM25 fused with LSA at the largest rank.
    pub fusion: Vec<FusionRow>,
}

/// The TF-IDF settings of the LSA matrix.
pub fn lsa_analyzer() -> AnalyzerConfig {
    AnalyzerConfig::bm25s_english()
}

/// The TF-IDF options of the LSA matrix.
pub fn lsa_params() -> TfidfParams {
    TfidfParams {
        sublinear_tf: true,
        ..TfidfParams::default()
    }
}

/// A BEIR collection, judged queries only.
pub struct Collection {
    pub name: String,
    pub docs: Vec<Document>,
    pub queries: Vec<Query>,
    pub qrels: Qrels,
}

/// Load a BEIR folder, or SciFact from the data registry.
pub fn load_collection(beir: Option<&PathBuf>) -> anyhow::Result<Collection> {
    let (name, corpus, qpath, rpath) = match beir {
        Some(dir) => {
            let (q, r) = towel_retrieval::eval::beir_paths(dir)?;
            (dir.display().to_string(), dir.join("corpus.jsonl"), q, r)
        }
        None => {
            let dirs = DataDirs::from_env();
            let find = |name: &str| -> anyhow::Result<PathBuf> {
                let file = registry::by_name(name).context("registry")?;
                dirs.locate(file)
                    .with_context(|| "SciFact is needed for --lsa (or give --beir DIR)")
            };
            (
                "SciFact".to_string(),
                find("scifact-corpus")?,
                find("scifact-queries")?,
                find("scifact-qrels-test")?,
            )
        }
    };
    let docs = load_corpus(&corpus, &Fields::beir())?;
    let queries = read_queries(&qpath)?;
    let mut qrels = read_qrels(&rpath)?;
    let (queries, _) = judged_queries(&queries, &mut qrels);
    if queries.is_empty() {
        bail!("{name}: no judged query has a text");
    }
    Ok(Collection {
        name,
        docs,
        queries,
        qrels,
    })
}

/// The documents × terms TF-IDF matrix of a TF-IDF retriever.
pub fn tfidf_matrix(r: &Retriever) -> anyhow::Result<SparseMatrix> {
    let Model::Tfidf(m) = r.model() else {
        bail!("not a TF-IDF retriever");
    };
    // postings are terms × documents; their transpose is the document matrix
    let docs = m.postings.transpose();
    Ok(SparseMatrix::from_csr(
        docs.cols,
        docs.indptr,
        docs.indices,
        docs.data,
    )?)
}

/// Rows scaled to unit length; zero rows stay zero (a document or query
/// with no known term matches nothing).
fn unit_rows(mut v: Vectors) -> Vectors {
    let dim = v.dim();
    for row in v.as_mut_slice().chunks_exact_mut(dim) {
        let n = towel_vectors::norm(row);
        if n > 0.0 {
            row.iter_mut().for_each(|x| *x /= n);
        }
    }
    v
}

/// The run of retrieving by cosine of rank-`r` LSA vectors: documents as
/// rows of `U_r Σ_r`, queries folded in as `q V_r`.
pub fn lsa_run(r: &Retriever, f: &Svd, queries: &[Query], k: usize) -> anyhow::Result<Run> {
    let Model::Tfidf(m) = r.model() else {
        bail!("not a TF-IDF retriever");
    };
    let docs = unit_rows(f.row_vectors());
    let index = FlatIndex::from_vectors(&docs, Metric::InnerProduct)?;
    let mut q = Vec::with_capacity(queries.len() * f.rank());
    for query in queries {
        q.extend(f.fold_in(&m.model.transform(r.vocab(), r.analyzer(), &query.text)));
    }
    let q = unit_rows(Vectors::new(q, f.rank())?);
    let hits = index.search_batch(&q, k)?;
    Ok(queries
        .iter()
        .zip(&hits)
        .enumerate()
        .map(|(i, (query, hits))| {
            // a query without known terms retrieves nothing
            let ranked = if towel_vectors::norm(q.row(i)) == 0.0 {
                Vec::new()
            } else {
                hits.iter()
                    .map(|h| (r.doc_id(h.id as u32).to_string(), h.score as f64))
                    .collect()
            };
            (query.id.clone(), ranked)
        })
        .collect())
}

/// Run the LSA experiment on `c`.
pub fn lsa(
    c: &Collection,
    ranks: &[usize],
    power_iters: usize,
    exact_spectrum: bool,
    out: &Output,
) -> anyhow::Result<Lsa> {
    let Some(&max_rank) = ranks.iter().max() else {
        bail!("give at least one LSA rank");
    };
    if ranks.contains(&0) {
        bail!("LSA ranks must be at least 1");
    }
    let bar = out.progress(None, "TF-IDF");
    let tfidf = Retriever::build(&c.docs, lsa_analyzer(), Method::Tfidf(lsa_params()))?;
    let a = tfidf_matrix(&tfidf)?;
    bar.set_message(format!("SVD rank {max_rank}"));
    let t = Instant::now();
    let mut p = RandomizedSvd::new(max_rank);
    p.power_iters = power_iters;
    let f = randomized_svd(&a, &p)?;
    let svd_seconds = t.elapsed().as_secs_f64();
    let exact = if exact_spectrum {
        bar.set_message("exact spectrum");
        let t = Instant::now();
        let all = gram_singular_values(&a)?;
        Some((all, t.elapsed().as_secs_f64()))
    } else {
        None
    };
    bar.set_message("searching");
    let frob = a.frobenius_sq();
    let k = 100;
    let mut rows = Vec::new();
    let mut best_run = None;
    for &r in ranks {
        let fr = f.truncate(r);
        let t = Instant::now();
        let run = lsa_run(&tfidf, &fr, &c.queries, k)?;
        let search_seconds = t.elapsed().as_secs_f64();
        let ev = evaluate(&c.qrels, &run);
        let kept: f64 = fr.s.iter().map(|s| s * s).sum();
        rows.push(LsaRow {
            r,
            rel_err_sq: residual_sq(&a, &fr) / frob,
            rel_tail_sq: (frob - kept).max(0.0) / frob,
            exact_rel_tail_sq: exact.as_ref().map(|(all, _)| tail_sq(all, r) / frob),
            ndcg_at_10: ev.mean.ndcg_at_10,
            recall_at_100: ev.mean.recall_at_100,
            search_seconds,
        });
        if r == max_rank {
            best_run = Some(run);
        }
    }
    let tf_ev = evaluate(&c.qrels, &tfidf.run(&c.queries, k));
    let bm25 = Baseline::Bm25s.build(&c.docs)?;
    let bm25_run = bm25.run(&c.queries, k);
    let bm_ev = evaluate(&c.qrels, &bm25_run);
    let lsa_run = best_run.expect("max rank is one of the ranks");
    let mut fusion = Vec::new();
    for (label, method, w) in [
        ("RRF k=60", Fusion::Rrf { k: 60.0 }, [1.0, 1.0]),
        ("convex 0.5/0.5", Fusion::Convex, [0.5, 0.5]),
        ("convex 0.8/0.2", Fusion::Convex, [0.8, 0.2]),
    ] {
        let fused = fuse(
            &[bm25_run.clone(), lsa_run.clone()],
            &method,
            Some(&w),
            Some(k),
        )?;
        let ev = evaluate(&c.qrels, &fused);
        fusion.push(FusionRow {
            method: format!("BM25 + LSA r={max_rank}, {label}"),
            ndcg_at_10: ev.mean.ndcg_at_10,
            recall_at_100: ev.mean.recall_at_100,
        });
    }
    bar.finish_and_clear();
    Ok(Lsa {
        collection: c.name.clone(),
        docs: a.nrows(),
        terms: a.ncols(),
        nnz: a.nnz(),
        queries: c.queries.len(),
        power_iters,
        svd_rank: max_rank,
        svd_seconds,
        singular_values: f.s.clone(),
        exact_seconds: exact.as_ref().map(|e| e.1),
        max_sigma_rel_error: exact.as_ref().map(|(all, _)| {
            f.s.iter()
                .zip(all)
                .map(|(a, b)| (a - b).abs() / b)
                .fold(0.0, f64::max)
        }),
        rows,
        tfidf_ndcg_at_10: tf_ev.mean.ndcg_at_10,
        tfidf_recall_at_100: tf_ev.mean.recall_at_100,
        bm25_ndcg_at_10: bm_ev.mean.ndcg_at_10,
        bm25_recall_at_100: bm_ev.mean.recall_at_100,
        fusion,
    })
}

#[derive(Serialize)]
struct Report {
    eckart_young: EckartYoung,
    lsa: Option<Lsa>,
}

/// `towel vectors svd`.
pub fn run(args: &SvdArgs, out: &Output) -> anyhow::Result<()> {
    let ranks = if args.ranks.is_empty() {
        default_ranks(args.rank, args.m, args.n)
    } else {
        args.ranks.clone()
    };
    let ey = eckart_young(args.m, args.n, args.rank, args.noise, args.seed, &ranks)?;
    let lsa = if args.lsa || args.beir.is_some() {
        let c = load_collection(args.beir.as_ref())?;
        Some(lsa(
            &c,
            &args.lsa_ranks,
            args.power_iters,
            args.exact_spectrum,
            out,
        )?)
    } else {
        None
    };
    if out.json {
        return out.print_json(&Report {
            eckart_young: ey,
            lsa,
        });
    }
    outln!(
        "Eckart–Young: A = rank-{} (σ = 10·0.8^i) + noise {} · N(0,1), {} × {}, seed {}; ‖A‖_F² = {:.4}",
        ey.rank,
        ey.noise,
        ey.m,
        ey.n,
        ey.seed,
        ey.frobenius_sq
    )?;
    outln!(
        "{:>5}  {:>14}  {:>14}  {:>14}  {:>16}",
        "r",
        "tail Σσ²(>r)",
        "‖A−A_r‖²",
        "randomized",
        "random subspace"
    )?;
    for r in &ey.rows {
        outln!(
            "{:>5}  {:>14.6}  {:>14.6}  {:>14.6}  {:>16.6}",
            r.r,
            r.tail_sq,
            r.svd_err_sq,
            r.randomized_err_sq,
            r.random_subspace_err_sq
        )?;
    }
    if let Some(l) = &lsa {
        outln!(
            "\nLSA on {}: {} documents × {} terms, {} stored values; randomized SVD rank {} ({} power iterations) in {:.2} s; {} judged queries",
            l.collection, l.docs, l.terms, l.nnz, l.svd_rank, l.power_iters, l.svd_seconds, l.queries
        )?;
        if let (Some(s), Some(e)) = (l.exact_seconds, l.max_sigma_rel_error) {
            outln!(
                "exact spectrum (Gram matrix eigenvalues, faer): {s:.2} s; randomized σ within {e:.2e} (relative) of the exact ones"
            )?;
        }
        outln!(
            "{:>5}  {:>12}  {:>12}  {:>12}  {:>8}  {:>10}",
            "r",
            "rel. error²",
            "rel. tail²",
            "exact tail²",
            "nDCG@10",
            "Recall@100"
        )?;
        for r in &l.rows {
            outln!(
                "{:>5}  {:>12.5}  {:>12.5}  {:>12}  {:>8.4}  {:>10.4}",
                r.r,
                r.rel_err_sq,
                r.rel_tail_sq,
                r.exact_rel_tail_sq
                    .map_or("-".to_string(), |t| format!("{t:.5}")),
                r.ndcg_at_10,
                r.recall_at_100
            )?;
        }
        outln!(
            "full TF-IDF ({} terms): nDCG@10 {:.4}, Recall@100 {:.4}",
            l.terms,
            l.tfidf_ndcg_at_10,
            l.tfidf_recall_at_100
        )?;
        outln!(
            "BM25 (bm25s settings):  nDCG@10 {:.4}, Recall@100 {:.4}",
            l.bm25_ndcg_at_10,
            l.bm25_recall_at_100
        )?;
        for f in &l.fusion {
            outln!(
                "{}: nDCG@10 {:.4}, Recall@100 {:.4}",
                f.method,
                f.ndcg_at_10,
                f.recall_at_100
            )?;
        }
    }
    Ok(())
}
