//! Chapter: sparse retrieval. The formulas of TF-IDF and BM25 (linked to the
//! code that computes them), TF-IDF vs BM25 on Cranfield (embedded in towel,
//! so always here) with the same analyzer, the idf weights the models use,
//! BM25's tf saturation and length normalization, nDCG@10 like for like on
//! Cranfield (and SciFact when present), what each choice adds, and a k1 x b
//! sweep.

use std::time::Instant;

use towel_retrieval::analyzer::{AnalyzerConfig, Stopwords};
use towel_retrieval::bm25::{Bm25Index, Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{parse_jsonl_docs, parse_jsonl_queries, Document, Fields, Query};
use towel_retrieval::eval::{evaluate, judged_queries, parse_qrels};
use towel_retrieval::terms::count_corpus;
use towel_retrieval::tfidf::TfidfParams;
use towel_retrieval::topk::Accumulator;
use towel_retrieval::{Method, Model, Retriever};

use super::{Chapter, Ctx, Page};
use crate::display::shorten;
use crate::plot::{LineChart, Series};

pub struct RetrievalChapter;

/// A BEIR collection: documents, queries, qrels text.
type Collection = (Vec<Document>, Vec<Query>, String);

/// One BEIR collection from the registry, if all three files are available.
/// Cranfield is embedded in towel, so it is always there.
fn beir(ctx: &Ctx, name: &str) -> Option<Collection> {
    let corpus = ctx.data(&format!("{name}-corpus"))?;
    let queries = ctx.data(&format!("{name}-queries"))?;
    let qrels = ctx.data(&format!("{name}-qrels-test"))?;
    let docs = parse_jsonl_docs(
        &corpus,
        format!("{name}/corpus.jsonl").as_ref(),
        &Fields::beir(),
    )
    .ok()?;
    let queries = parse_jsonl_queries(&queries, format!("{name}/queries.jsonl").as_ref()).ok()?;
    Some((docs, queries, String::from_utf8(qrels).ok()?))
}

fn ndcg(
    r: &Retriever,
    queries: &[Query],
    qrels_text: &str,
    name: &str,
) -> anyhow::Result<(f64, f64, usize)> {
    let mut qrels = parse_qrels(qrels_text, name)?;
    let (judged, _) = judged_queries(queries, &mut qrels);
    let ev = evaluate(&qrels, &r.run(&judged, 100));
    Ok((ev.mean.ndcg_at_10, ev.mean.recall_at_100, ev.queries))
}

impl Chapter for RetrievalChapter {
    fn id(&self) -> &'static str {
        "retrieval"
    }

    fn title(&self) -> &'static str {
        "Sparse retrieval: TF-IDF and BM25"
    }

    fn wants(&self) -> &'static [&'static str] {
        &["scifact-corpus", "scifact-queries", "scifact-qrels-test"]
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()> {
        formulas(page);
        let Some((docs, queries, qrels)) = beir(ctx, "cranfield") else {
            anyhow::bail!("Cranfield is embedded in towel and should always load");
        };
        let source = if ctx.is_embedded("cranfield-corpus") {
            "Cranfield 1400 (towel's embedded copy)"
        } else {
            "Cranfield 1400"
        };
        // One analyzer for both models, so the comparison is like for like:
        // bm25s's English stopwords and the Snowball stemmer.
        let analyzer = AnalyzerConfig::bm25s_english();
        let t = Instant::now();
        let bm25 = Retriever::build(&docs, analyzer.clone(), Method::bm25())?;
        let bm25_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let tfidf = Retriever::build(&docs, analyzer.clone(), Method::tfidf())?;
        let tfidf_s = t.elapsed().as_secs_f64();
        page.para(format!(
            "Collection: {source}, {} abstracts on aeronautics with {} queries and graded \
             relevance judgments, the first test collection of information retrieval (Cleverdon \
             1967). Both models below use the same analyzer: lowercase, words of two or more \
             characters, bm25s's English stopwords, the Snowball stemmer. BM25 (lucene, k1 = 1.2, \
             b = 0.75) indexed {} terms in {:.3} s, TF-IDF (scikit-learn's defaults otherwise) \
             {} terms in {:.3} s.",
            docs.len(),
            queries.len(),
            bm25.vocab().len(),
            bm25_s,
            tfidf.vocab().len(),
            tfidf_s
        ));
        page.say(format!(
            "{source}: {} docs, BM25 in {bm25_s:.2} s, TF-IDF in {tfidf_s:.2} s",
            docs.len()
        ));
        page.fact("corpus", source);
        page.fact("docs", docs.len());
        page.fact("bm25_terms", bm25.vocab().len());
        page.fact("tfidf_terms", tfidf.vocab().len());

        page.heading("Three queries, top 3 of each model");
        let mut rows = Vec::new();
        for q in queries.iter().take(3) {
            for (name, r) in [("TF-IDF", &tfidf), ("BM25", &bm25)] {
                let hits = r.search(&q.text, 3);
                if hits.is_empty() {
                    rows.push(vec![
                        shorten(&q.text, 60),
                        name.into(),
                        "–".into(),
                        "(no shared term)".into(),
                        String::new(),
                    ]);
                }
                for (i, h) in hits.iter().enumerate() {
                    let d = &docs[h.doc as usize];
                    let label = if d.title.is_empty() {
                        &d.text
                    } else {
                        &d.title
                    };
                    rows.push(vec![
                        if i == 0 {
                            shorten(&q.text, 60)
                        } else {
                            String::new()
                        },
                        if i == 0 { name.into() } else { String::new() },
                        d.id.clone(),
                        shorten(label.trim(), 60),
                        format!("{:.3}", h.score),
                    ]);
                }
            }
        }
        page.table(&["query", "model", "doc", "title", "score"], &rows);
        page.para(
            "`towel search INDEX \"query\" --explain` shows, for each hit, every query term's \
             part of the score and what makes it up: for BM25 the term's idf, its count tf in \
             the document and the document's length factor L = 1 − b + b·|d|/avgdl, which \
             give the tf component tf / (tf + k1·L); for TF-IDF the query's and the \
             document's weights, tf·idf divided by the document's norm. The parts add up to \
             the score.",
        );

        idf_section(page, &bm25, &tfidf, docs.len())?;
        curves(page)?;

        // Quality, like for like.
        let mut collections = vec![("Cranfield", docs, queries, qrels)];
        if !ctx.embedded_only {
            if let Some((d, q, r)) = beir(ctx, "scifact") {
                collections.push(("SciFact", d, q, r));
            }
        }
        page.heading("Quality, like for like (nDCG@10)");
        let analyzers = [
            (
                "no stopwords, no stemmer (scikit-learn's default)",
                AnalyzerConfig::default(),
            ),
            (
                "bm25s stopwords",
                AnalyzerConfig {
                    stopwords: Stopwords::Bm25s,
                    ..AnalyzerConfig::default()
                },
            ),
            (
                "bm25s stopwords + Snowball stemmer",
                AnalyzerConfig::bm25s_english(),
            ),
        ];
        let methods = [
            ("TF-IDF", Method::tfidf()),
            (
                "TF-IDF, sublinear tf",
                Method::Tfidf(TfidfParams {
                    sublinear_tf: true,
                    ..Default::default()
                }),
            ),
            ("BM25 lucene", Method::bm25()),
        ];
        let mut quality = serde_json::Map::new();
        for (label, d, q, r) in &collections {
            let mut rows = Vec::new();
            let mut grid = Vec::new();
            let method_list: Vec<Method> = methods.iter().map(|m| m.1.clone()).collect();
            for (aname, a) in &analyzers {
                let mut row = vec![aname.to_string()];
                let mut vals = Vec::new();
                // One analysis of the collection per analyzer, three models from its counts.
                for ret in Retriever::build_many(d, a.clone(), &method_list)? {
                    let (n10, _, _) = ndcg(&ret, q, r, label)?;
                    row.push(format!("{n10:.4}"));
                    vals.push(n10);
                }
                rows.push(row);
                grid.push(vals);
            }
            let mut headers = vec!["analyzer"];
            headers.extend(methods.iter().map(|m| m.0));
            page.para(format!("**{label}** ({} documents):", d.len()));
            page.table(&headers, &rows);
            let (tf, sub, bm) = (grid[2][0], grid[2][1], grid[2][2]);
            // Differences of the values as the table shows them, so that the
            // prose's numbers are the table's.
            let stem_gain = shown4(grid[2][2]) - shown4(grid[1][2]);
            let stop_gain = shown4(grid[1][2]) - shown4(grid[0][2]);
            page.para(format!(
                "With the same analyzer (last row), sublinear tf moves TF-IDF from {tf:.4} to \
                 {sub:.4} and BM25 reaches {bm:.4}. For BM25, dropping stopwords adds {stop_gain:+.4} \
                 and stemming {stem_gain:+.4}."
            ));
            page.say(format!(
                "{label}: nDCG@10 TF-IDF {tf:.3}, sublinear {sub:.3}, BM25 {bm:.3} (same analyzer)"
            ));
            quality.insert(label.to_lowercase(), serde_json::json!(grid));
        }
        page.fact("ndcg10_grid", quality);
        page.para(
            "For comparison, the peers measured in `shared/peers` (`bm25_peers.py`, \
             `tfidf_sklearn.py`; their README's tables, not this run): bm25s (lucene, k1 1.2, b \
             0.75, stopwords + stemmer) 0.3695 on Cranfield and 0.6791 on SciFact, which is the \
             BM25 cell of the last row; scikit-learn's `TfidfVectorizer(sublinear_tf=True)` 0.3442 \
             and 0.6286, which is the sublinear cell of the first row. `towel eval` computes the \
             same measures from an index file.",
        );
        sweep(
            page,
            &collections[0].1,
            &collections[0].2,
            &collections[0].3,
        )?;
        Ok(())
    }
}

/// The formulas, each linked to the code that computes it.
fn formulas(page: &mut Page) {
    page.para(
        "Sparse retrieval ranks documents by the words they share with the query, weighing a \
         shared word by how rare it is in the collection (idf) and how often it occurs in the \
         document (tf). With N documents, df(t) of them containing term t, tf(t, d) its count in \
         document d and |d| the document's length in terms:",
    );
    page.table(
        &["model", "formula", "computed in"],
        &[
            vec![
                "TF-IDF, the textbook form".to_string(),
                "w(t, d) = tf(t, d) · log(N / df(t))".into(),
                "(the plain idf; towel implements scikit-learn's)".into(),
            ],
            vec![
                "TF-IDF, scikit-learn (`smooth_idf`)".into(),
                "idf(t) = ln((1 + N) / (1 + df(t))) + 1; w = tf · idf, each vector L2-normalised, score = cosine".into(),
                "`crates/retrieval/src/tfidf.rs` (`TfidfModel::fit_counts`)".into(),
            ],
            vec![
                "sublinear tf".into(),
                "tf is replaced by 1 + ln(tf)".into(),
                "`crates/retrieval/src/tfidf.rs`".into(),
            ],
            vec![
                "BM25".into(),
                "score(q, d) = Σ_{t ∈ q} idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · |d| / avgdl))".into(),
                "`crates/retrieval/src/bm25.rs` (`Bm25Variant::tfc`)".into(),
            ],
            vec![
                "idf, Robertson".into(),
                "ln((N − df + 0.5) / (df + 0.5)), floored at 0".into(),
                "`Bm25Variant::idf` in `bm25.rs`".into(),
            ],
            vec![
                "idf, Lucene (default here)".into(),
                "ln(1 + (N − df + 0.5) / (df + 0.5))".into(),
                "`Bm25Variant::idf`".into(),
            ],
            vec![
                "idf, ATIRE".into(),
                "ln(N / df)".into(),
                "`Bm25Variant::idf`".into(),
            ],
        ],
    );
    page.para(
        "Lucene's tf part omits the factor (k1 + 1), which scales every score alike and so does \
         not change the ranking. towel's scores equal scikit-learn's `TfidfVectorizer` and \
         bm25s's to the float32 bit (tests in `crates/retrieval/tests`).",
    );
}

/// The idf of common and rare terms, as the two models of the chapter weigh them.
fn idf_section(
    page: &mut Page,
    bm25: &Retriever,
    tfidf: &Retriever,
    n: usize,
) -> anyhow::Result<()> {
    page.heading("Common words weigh little, rare words a lot");
    let Model::Tfidf(tm) = tfidf.model() else {
        anyhow::bail!("the TF-IDF retriever has a TF-IDF model");
    };
    let Model::Bm25(bm) = bm25.model() else {
        anyhow::bail!("the BM25 retriever has a BM25 model");
    };
    // Document frequency from the BM25 index's postings (terms x documents).
    let df: Vec<u32> = (0..bm25.vocab().len())
        .map(|t| bm.postings.row(t).0.len() as u32)
        .collect();
    let mut by_df: Vec<(u32, u32)> = df.iter().enumerate().map(|(t, &d)| (d, t as u32)).collect();
    by_df.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut picks: Vec<(u32, u32)> = by_df.iter().take(3).copied().collect();
    picks.extend(by_df.iter().skip(by_df.len() / 4).take(1).copied());
    picks.extend(by_df.iter().rev().take(2).copied());
    let mut rows = Vec::new();
    let mut facts = Vec::new();
    for &(d, t) in &picks {
        let term = bm25.vocab().term(t);
        let tf_idf = tfidf.vocab().id(term).map(|i| tm.model.idf[i as usize]);
        let lucene = Bm25Variant::Lucene.idf(d, n);
        rows.push(vec![
            format!("`{term}`"),
            d.to_string(),
            tf_idf.map_or("–".into(), |v| format!("{v:.3}")),
            format!("{lucene:.3}"),
            format!("{:.3}", Bm25Variant::Robertson.idf(d, n)),
            format!("{:.3}", Bm25Variant::Atire.idf(d, n)),
        ]);
        facts.push(
            serde_json::json!({"term": term, "df": d, "tfidf_idf": tf_idf, "bm25_idf": lucene}),
        );
    }
    page.table(
        &[
            "term (stemmed)",
            "documents containing it",
            "TF-IDF idf (smooth)",
            "BM25 idf (Lucene, used here)",
            "Robertson",
            "ATIRE",
        ],
        &rows,
    );
    let (top_df, top_t) = picks[0];
    page.para(format!(
        "These are the weights the two indexes above use (same analyzer: the stopwords are \
         already gone, and terms are stems). The most common stem, `{}`, is in {top_df} of {n} \
         documents: TF-IDF still gives it {:.3} (the `+ 1` keeps every idf at least 1), BM25's \
         Lucene idf {:.3}. Robertson's original idf would be {:.3}: it goes negative above N/2 \
         and is floored at 0, which is why Lucene adds 1 inside the logarithm.",
        bm25.vocab().term(top_t),
        tfidf
            .vocab()
            .id(bm25.vocab().term(top_t))
            .map_or(f64::NAN, |i| tm.model.idf[i as usize]),
        Bm25Variant::Lucene.idf(top_df, n),
        Bm25Variant::Robertson.idf(top_df, n),
    ));
    page.fact("idf_table", facts);
    Ok(())
}

/// BM25's tf saturation and length normalization curves.
fn curves(page: &mut Page) -> anyhow::Result<()> {
    let avg = 100.0;
    let mut sat = Vec::new();
    for k1 in [0.5, 1.2, 2.0, 5.0] {
        let p = Bm25Params {
            k1,
            ..Bm25Params::default()
        };
        let pts = (1..=20)
            .map(|tf| (tf as f64, Bm25Variant::Atire.tfc(tf, avg, avg, &p)))
            .collect();
        sat.push(Series::new(format!("k1 = {k1}"), pts));
    }
    page.heading("Term frequency saturates");
    page.line_plot(
        "saturation",
        &LineChart {
            title: "BM25 term score vs tf (|d| = avgdl, idf = 1)".into(),
            x_label: "occurrences of the term in the document (tf)".into(),
            y_label: "tf·(k1+1) / (tf + k1·(1−b+b·|d|/avgdl))".into(),
            series: sat,
            log_x: false,
        },
    )?;
    page.para(
        "A tenth occurrence adds little once k1 is small: BM25's tf part tends to k1 + 1, where \
         TF-IDF's raw tf grows without limit (`sublinear_tf` only slows it to a log).",
    );
    let mut len = Vec::new();
    for b in [0.0, 0.25, 0.75, 1.0] {
        let p = Bm25Params {
            b,
            ..Bm25Params::default()
        };
        let pts = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
            .iter()
            .map(|&r| (r, Bm25Variant::Atire.tfc(3, r * avg, avg, &p)))
            .collect();
        len.push(Series::new(format!("b = {b}"), pts));
    }
    page.heading("Long documents are discounted");
    page.line_plot(
        "length",
        &LineChart {
            title: "BM25 term score vs document length (tf = 3, k1 = 1.2)".into(),
            x_label: "document length / average length (log scale)".into(),
            y_label: "term score (idf = 1)".into(),
            series: len,
            log_x: true,
        },
    )?;
    page.para(
        "Three occurrences in a short document say more than three in a long one: with b = 0.75 \
         the same tf scores higher below the average length and lower above it; b = 0 turns \
         length normalization off.",
    );
    Ok(())
}

/// Sweep of k1 x b on a collection: nDCG@10 of BM25 (lucene) with the
/// bm25s analyzer. The corpus is counted once; each cell rebuilds only the index.
fn sweep(
    page: &mut Page,
    docs: &[Document],
    queries: &[Query],
    qrels_text: &str,
) -> anyhow::Result<()> {
    const K1: [f64; 6] = [0.5, 0.9, 1.2, 1.6, 2.0, 3.0];
    const B: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];
    page.heading("k1 and b on Cranfield");
    let an = towel_retrieval::analyzer::Analyzer::new(AnalyzerConfig::bm25s_english())?;
    let texts: Vec<String> = docs.iter().map(|d| d.full_text()).collect();
    let counts = count_corpus(&an, &texts);
    let mut qrels = parse_qrels(qrels_text, "cranfield")?;
    let (judged, _) = judged_queries(queries, &mut qrels);
    let terms: Vec<Vec<u32>> = judged
        .iter()
        .map(|q| counts.vocab.query_terms(&an, &q.text))
        .collect();
    let mut acc = Accumulator::new(docs.len());
    let mut grid = Vec::new();
    for b in B {
        let mut row = Vec::new();
        for k1 in K1 {
            let idx = Bm25Index::build(
                &counts.tf,
                &counts.doc_len,
                Bm25Params {
                    k1,
                    b,
                    ..Bm25Params::default()
                },
            )?;
            let mut run = towel_retrieval::eval::Run::new();
            for (q, t) in judged.iter().zip(&terms) {
                let hits = idx.search(t, 100, &mut acc);
                run.insert(
                    q.id.clone(),
                    hits.into_iter()
                        .map(|(d, s)| (docs[d as usize].id.clone(), s as f64))
                        .collect(),
                );
            }
            row.push(evaluate(&qrels, &run).mean.ndcg_at_10);
        }
        grid.push(row);
    }
    crate::plot::heat_map(
        &page.plot_path("k1-b"),
        "BM25 nDCG@10 on Cranfield",
        ("k1", &K1),
        ("b", &B),
        &grid,
    )?;
    let file = page.plots.last().cloned().unwrap_or_default();
    page.para(format!(
        "![BM25 nDCG@10 on Cranfield over k1 and b]({file})"
    ));
    let (mut best, mut at) = (f64::MIN, (0.0, 0.0));
    for (i, row) in grid.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if v > best {
                best = v;
                at = (K1[j], B[i]);
            }
        }
    }
    let default = grid[3][2];
    let row = &grid[3];
    // Differences of the values as the heat map shows them (4 decimals).
    let k1_spread = shown4(row.iter().copied().fold(f64::MIN, f64::max))
        - shown4(row.iter().copied().fold(f64::MAX, f64::min));
    let b_effect = shown4(default) - shown4(grid[0][2]);
    page.para(format!(
        "Each cell is BM25 with the bm25s analyzer on all {} judged queries. The best cell is k1 \
         = {}, b = {} at {best:.4}; the usual defaults k1 = 1.2, b = 0.75 give {default:.4}. b = 0 \
         (no length normalization) gives {:.4} at k1 = 1.2, {:.4} less than b = 0.75, while k1 \
         from 0.5 to 3 moves b = 0.75's score by at most {k1_spread:.4}: {}",
        judged.len(),
        at.0,
        at.1,
        grid[0][2],
        b_effect,
        if b_effect > k1_spread {
            "here normalizing by length matters more than the exact k1."
        } else {
            "here the choice of k1 matters more than length normalization."
        }
    ));
    page.fact("sweep_b_effect", b_effect);
    page.fact("sweep_k1_spread", k1_spread);
    page.fact("sweep_k1", K1);
    page.fact("sweep_b", B);
    page.fact("sweep_ndcg10", &grid);
    page.fact(
        "sweep_best",
        serde_json::json!({"k1": at.0, "b": at.1, "ndcg10": best}),
    );
    Ok(())
}

/// `x` rounded to the 4 decimals the tables and the heat map show, so that a
/// difference stated in the prose is the difference of the shown numbers.
fn shown4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;
    use towel_retrieval::analyzer::Analyzer;

    /// The chapter's tables hold what its prose and the cited peers say.
    #[test]
    fn claims_hold_on_embedded_cranfield() {
        let ctx = Ctx::new(towel_data::DataDirs::default(), true, vec![]);
        let mut page = Page::default();
        RetrievalChapter.run(&ctx, &mut page).unwrap();
        let f = &page.facts;
        let md = &page.markdown;
        assert_eq!(f["docs"], 1400);
        // The idf table shows the weights of the models' own analyzer: no
        // stopword it drops, and BM25's Lucene idf of the listed df.
        let an = Analyzer::new(AnalyzerConfig::bm25s_english()).unwrap();
        for row in f["idf_table"].as_array().unwrap() {
            let term = row["term"].as_str().unwrap();
            assert!(!an.is_stopword(term), "{term}");
            let df = row["df"].as_u64().unwrap() as u32;
            assert_eq!(
                row["bm25_idf"].as_f64().unwrap(),
                Bm25Variant::Lucene.idf(df, 1400)
            );
            assert!(row["tfidf_idf"].as_f64().unwrap() >= 1.0);
        }
        // Like for like: the same analyzer in each row. The peers' figures
        // the prose cites are the matching cells (bm25s 0.3695, scikit-learn
        // sublinear 0.3442, from shared/peers).
        let grid: Vec<Vec<f64>> =
            serde_json::from_value(f["ndcg10_grid"]["cranfield"].clone()).unwrap();
        assert!((grid[2][2] - 0.3695).abs() < 5e-5, "{grid:?}");
        assert!((grid[0][1] - 0.3442).abs() < 5e-5, "{grid:?}");
        assert!(md.contains("0.3695 on Cranfield") && md.contains("0.3442"));
        assert!(md.contains(&format!("BM25 reaches {:.4}", grid[2][2])));
        // The sweep: defaults cell and its prose.
        let sweep: Vec<Vec<f64>> = serde_json::from_value(f["sweep_ndcg10"].clone()).unwrap();
        assert!(
            (sweep[3][2] - grid[2][2]).abs() < 1e-12,
            "k1 1.2, b 0.75 is the BM25 cell"
        );
        assert!(md.contains(&format!("give {:.4}", sweep[3][2])));
        assert!(page.plots.iter().any(|p| p.ends_with("k1-b.png")));
        // The formulas are written out, with the code that computes them.
        for s in [
            "ln((1 + N) / (1 + df(t))) + 1",
            "1 + ln(tf)",
            "ln(N / df)",
            "`crates/retrieval/src/bm25.rs`",
        ] {
            assert!(md.contains(s), "{s}");
        }
    }
}
