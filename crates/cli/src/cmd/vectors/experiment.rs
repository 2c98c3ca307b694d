//! `towel vectors experiment`: the high-dimensional playground. For random
//! standard normal vectors at each dimension `d`, it measures and draws:
//!
//! 1. the **cosine** of random pairs: centred on 0 with spread `≈ 1/√d`
//!    (a cosine is a sum of `d` nearly independent products, scaled by `1/d`);
//! 2. the **norm**: `≈ √d` (its square is a sum of `d` unit-variance terms),
//!    with a spread that stays near `1/√2` while the mean grows;
//! 3. **distance concentration**: the ratio of a query's nearest to its
//!    farthest neighbour distance, which tends to 1 as `d` grows, so "nearest"
//!    means less and less for random data;
//! 4. **cosine vs dot**: the top-10 by dot product and by cosine, on
//!    unnormalized vectors (norms spread by a log-normal factor) and on
//!    normalized ones (where they must agree), and the time of cosine on the
//!    fly (norms recomputed per query) against dot on pre-normalized vectors,
//!    which is why vector stores normalize once at insertion.
//!
//! ```sh
//! towel vectors experiment --dims 2,8,32,128,512,2048 --out playground/
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use serde::Serialize;
use towel_data::WritePlan;
use towel_vectors::random::gaussian;
use towel_vectors::{cosines, dot, dots, l2_sqs, norm, normalize_rows, Vectors};

use crate::files::{ForceArg, PNG};
use crate::output::{outln, Output};
use crate::plot::{LineChart, Series};

#[derive(Args, Debug)]
pub struct ExperimentArgs {
    /// Dimensions to compare.
    #[arg(long, value_delimiter = ',', default_value = "2,8,32,128,512,2048")]
    pub dims: Vec<usize>,
    /// Random vectors per dimension (the cosine uses every pair of the first 400).
    #[arg(long, default_value_t = 4000)]
    pub n: usize,
    /// Queries per dimension (distance concentration, cosine vs dot).
    #[arg(long, default_value_t = 100)]
    pub queries: usize,
    /// Seed: the same seed gives the same numbers (times aside).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for the PNG plots (created if needed; existing plots are replaced).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub force: ForceArg,
}

/// The measurements at one dimension.
#[derive(Debug, Clone, Serialize)]
pub struct DimStats {
    pub dim: usize,
    pub pairs: usize,
    pub cos_mean: f64,
    pub cos_std: f64,
    /// `cos_std · √d`, ≈ 1.
    pub cos_std_sqrt_d: f64,
    pub norm_mean: f64,
    pub norm_std: f64,
    /// `norm_mean / √d`, → 1.
    pub norm_over_sqrt_d: f64,
    /// Mean over queries of nearest / farthest L2 distance.
    pub nearest_over_farthest: f64,
    /// Mean fraction of the top 10 by dot that is also the top 10 by cosine,
    /// on unnormalized vectors.
    pub top10_agreement_raw: f64,
    /// The same on normalized vectors (1 by construction, measured).
    pub top10_agreement_normalized: f64,
    /// Seconds for all queries: cosine with norms computed on the fly.
    pub cosine_seconds: f64,
    /// Seconds for all queries: dot on pre-normalized vectors.
    pub dot_seconds: f64,
    /// Cosine density per bin centre (for the plot).
    #[serde(skip)]
    pub histogram: Vec<(f64, f64)>,
}

/// Bins of the cosine histogram over [-1, 1].
const BINS: usize = 100;
/// Vectors whose pairs give the cosine distribution.
const PAIR_VECTORS: usize = 400;
/// The most memory one dimension's measurements may take, checked before
/// anything is drawn so that no argument makes the command abort out of
/// memory halfway: the defaults' largest dimension (2048) takes 102 MB.
const MAX_BYTES: u128 = 4_000_000_000;

/// The bytes [`measure`] holds at once at dimension `dim`: the base
/// vectors three times (as drawn, rescaled, normalized), the queries and
/// the normalized pair sample, float32. Exact arithmetic: any `usize`
/// arguments fit.
fn working_set(dim: usize, n: usize, queries: usize) -> u128 {
    let vectors = 3 * n as u128 + queries as u128 + n.min(PAIR_VECTORS) as u128;
    vectors * dim as u128 * std::mem::size_of::<f32>() as u128
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn top10(scores: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    let k = 10.min(idx.len());
    if k == 0 {
        return idx;
    }
    idx.select_nth_unstable_by(k - 1, |&a, &b| scores[b].total_cmp(&scores[a]));
    idx.truncate(k);
    idx.sort_unstable();
    idx
}

fn overlap(a: &[usize], b: &[usize]) -> f64 {
    let common = a.iter().filter(|x| b.contains(x)).count();
    common as f64 / a.len().max(1) as f64
}

/// Measure one dimension.
pub fn measure(dim: usize, n: usize, queries: usize, seed: u64) -> anyhow::Result<DimStats> {
    let base = gaussian(n, dim, seed)?;
    let qs = gaussian(queries, dim, seed.wrapping_add(1))?;
    // 1. cosine of every pair of the first PAIR_VECTORS vectors
    let m = n.min(PAIR_VECTORS);
    let mut unit = Vectors::new(base.as_slice()[..m * dim].to_vec(), dim)?;
    normalize_rows(&mut unit)?;
    let mut cos = Vec::with_capacity(m * m.saturating_sub(1) / 2);
    for i in 0..m {
        for j in i + 1..m {
            cos.push(dot(unit.row(i), unit.row(j)) as f64);
        }
    }
    let (cos_mean, cos_std) = mean_std(&cos);
    let mut counts = vec![0usize; BINS];
    for &c in &cos {
        let b = (((c + 1.0) / 2.0 * BINS as f64) as usize).min(BINS - 1);
        counts[b] += 1;
    }
    let width = 2.0 / BINS as f64;
    let histogram = counts
        .iter()
        .enumerate()
        .map(|(b, &k)| {
            (
                -1.0 + (b as f64 + 0.5) * width,
                k as f64 / (cos.len().max(1) as f64 * width),
            )
        })
        .collect();
    // 2. norms
    let norms: Vec<f64> = base.rows().map(|r| norm(r) as f64).collect();
    let (norm_mean, norm_std) = mean_std(&norms);
    // 3. nearest / farthest distance of each query
    let mut ratios = Vec::with_capacity(queries);
    for q in qs.rows() {
        let d = l2_sqs(q, &base);
        let lo = d.iter().copied().fold(f32::INFINITY, f32::min) as f64;
        let hi = d.iter().copied().fold(0f32, f32::max) as f64;
        if hi > 0.0 {
            ratios.push((lo / hi).sqrt());
        }
    }
    let (nearest_over_farthest, _) = mean_std(&ratios);
    // 4. cosine vs dot: norms spread by exp(0.5 · N(0, 1))
    let scale = gaussian(n, 1, seed.wrapping_add(2))?;
    let mut raw = base.clone();
    for (row, s) in raw
        .as_mut_slice()
        .chunks_exact_mut(dim)
        .zip(scale.as_slice())
    {
        let f = (0.5 * s).exp();
        row.iter_mut().for_each(|x| *x *= f);
    }
    let mut normed = raw.clone();
    normalize_rows(&mut normed)?;
    let (mut agree_raw, mut agree_norm) = (Vec::new(), Vec::new());
    let (mut cosine_seconds, mut dot_seconds) = (0.0, 0.0);
    for q in qs.rows() {
        let t = Instant::now();
        let by_cos = top10(&cosines(q, &raw)?);
        cosine_seconds += t.elapsed().as_secs_f64();
        let qn = towel_vectors::normalize(q)?;
        let t = Instant::now();
        let by_dot_normed = top10(&dots(&qn, &normed));
        dot_seconds += t.elapsed().as_secs_f64();
        agree_raw.push(overlap(&top10(&dots(q, &raw)), &by_cos));
        agree_norm.push(overlap(&by_dot_normed, &by_cos));
    }
    Ok(DimStats {
        dim,
        pairs: cos.len(),
        cos_mean,
        cos_std,
        cos_std_sqrt_d: cos_std * (dim as f64).sqrt(),
        norm_mean,
        norm_std,
        norm_over_sqrt_d: norm_mean / (dim as f64).sqrt(),
        nearest_over_farthest,
        top10_agreement_raw: mean_std(&agree_raw).0,
        top10_agreement_normalized: mean_std(&agree_norm).0,
        cosine_seconds,
        dot_seconds,
        histogram,
    })
}

/// The plot files, by name.
pub const PLOTS: [&str; 4] = [
    "vectors-cosine.png",
    "vectors-norm.png",
    "vectors-concentration.png",
    "vectors-cosine-vs-dot.png",
];

/// The four charts of the measurements (in the order of [`PLOTS`]).
pub fn charts(stats: &[DimStats]) -> [LineChart; 4] {
    let dims: Vec<f64> = stats.iter().map(|s| s.dim as f64).collect();
    let line = |name: &str, f: &dyn Fn(&DimStats) -> f64| {
        Series::new(
            name,
            dims.iter().zip(stats).map(|(&d, s)| (d, f(s))).collect(),
        )
    };
    let (lo, hi) = (
        dims.iter().copied().fold(f64::INFINITY, f64::min),
        dims.iter().copied().fold(0.0, f64::max),
    );
    let sqrt_curve = (0..=64)
        .map(|i| lo * (hi / lo).powf(i as f64 / 64.0))
        .map(|d| (d, d.sqrt()))
        .collect();
    [
        LineChart {
            title: "Cosine of random Gaussian pairs: spread ≈ 1/√d".into(),
            x_label: "cosine".into(),
            y_label: "density".into(),
            series: stats
                .iter()
                .map(|s| Series::new(format!("d = {}", s.dim), s.histogram.clone()))
                .collect(),
            log_x: false,
        },
        LineChart {
            title: "Norm of random Gaussian vectors ≈ √d".into(),
            x_label: "dimension d (log scale)".into(),
            y_label: "norm".into(),
            // √d first and on a fine grid, so the measured norms draw on top of it
            series: vec![
                Series::new("√d", sqrt_curve),
                line("mean norm", &|s| s.norm_mean),
            ],
            log_x: true,
        },
        LineChart {
            title: "Distance concentration: nearest / farthest → 1".into(),
            x_label: "dimension d (log scale)".into(),
            y_label: "nearest / farthest distance".into(),
            series: vec![line("mean over queries", &|s| s.nearest_over_farthest)],
            log_x: true,
        },
        LineChart {
            title: "Top-10 by dot vs by cosine".into(),
            x_label: "dimension d (log scale)".into(),
            y_label: "overlap of the top 10".into(),
            series: vec![
                line("normalized vectors", &|s| s.top10_agreement_normalized),
                line("unnormalized vectors", &|s| s.top10_agreement_raw),
            ],
            log_x: true,
        },
    ]
}

/// Draw the charts into `dir`.
pub fn draw(stats: &[DimStats], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (chart, name) in charts(stats).iter().zip(PLOTS) {
        let path = dir.join(name);
        chart.save(&path)?;
        written.push(path);
    }
    Ok(written)
}

#[derive(Serialize)]
struct Report<'a> {
    n: usize,
    queries: usize,
    seed: u64,
    dims: &'a [DimStats],
    plots: Vec<PathBuf>,
}

/// `towel vectors experiment`.
pub fn run(args: &ExperimentArgs, out: &Output) -> anyhow::Result<()> {
    if args.dims.is_empty() || args.dims.contains(&0) {
        bail!("--dims must list dimensions of at least 1");
    }
    if args.n < 11 || args.queries == 0 {
        bail!("--n must be at least 11 (top 10 of the rest) and --queries at least 1");
    }
    let largest = args.dims.iter().copied().max().unwrap_or(1);
    let bytes = working_set(largest, args.n, args.queries);
    if bytes > MAX_BYTES {
        bail!(
            "--n {} and --queries {} at dimension {largest} would take {bytes} bytes ({:.1} GB) of memory; the playground keeps to {:.1} GB: lower --n, --queries or --dims",
            args.n,
            args.queries,
            bytes as f64 / 1e9,
            MAX_BYTES as f64 / 1e9
        );
    }
    let plan = args.out.as_ref().map(|dir| {
        PLOTS
            .iter()
            .fold(WritePlan::new().force(args.force.force), |p, f| {
                p.output(dir.join(f), PNG)
            })
    });
    if let Some(plan) = &plan {
        plan.check()?;
    }
    let bar = out.counter(args.dims.len() as u64, "dimensions", "");
    let mut stats = Vec::new();
    for &d in &args.dims {
        stats.push(measure(d, args.n, args.queries, args.seed)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let plots = match &args.out {
        Some(dir) => draw(&stats, dir)?,
        None => Vec::new(),
    };
    if out.json {
        return out.print_json(&Report {
            n: args.n,
            queries: args.queries,
            seed: args.seed,
            dims: &stats,
            plots,
        });
    }
    outln!(
        "{} random standard normal vectors per dimension, {} queries, seed {}",
        args.n,
        args.queries,
        args.seed
    )?;
    outln!(
        "{:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "d",
        "cos mean",
        "cos std",
        "std·√d",
        "norm",
        "norm/√d",
        "near/far",
        "top10 raw",
        "top10 unit",
        "cos ms",
        "dot ms"
    )?;
    for s in &stats {
        outln!(
            "{:>6} {:>9.4} {:>9.4} {:>9.3} {:>9.2} {:>9.4} {:>10.3} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            s.dim,
            s.cos_mean,
            s.cos_std,
            s.cos_std_sqrt_d,
            s.norm_mean,
            s.norm_over_sqrt_d,
            s.nearest_over_farthest,
            s.top10_agreement_raw,
            s.top10_agreement_normalized,
            s.cosine_seconds * 1e3,
            s.dot_seconds * 1e3
        )?;
    }
    for p in &plots {
        outln!("wrote {}", p.display())?;
    }
    Ok(())
}
