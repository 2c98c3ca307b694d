//! `towel train`: the two real trainings of `towel-train`, with the
//! benchmark's settings as defaults (so a run compares with
//! `bench/train.py`'s PyTorch figures).
//!
//! ```sh
//! towel train digits --epochs 20 --seed 0 --plot digits-loss.png
//! towel train charlm --data tinyshakespeare.txt --steps 2000 --out shakespeare.safetensors
//! ```

pub mod charlm;
pub mod digits;

use std::path::{Path, PathBuf};

use clap::Subcommand;
use indicatif::ProgressBar;
use towel_train::step::PhaseTimes;

use crate::output::{outln, write_stdout, Output};
use crate::plot::{LineChart, Series};

/// `towel train ...`.
#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// Train the 64-128-10 MLP on the 8x8 digits (AdamW, 20 epochs; embedded data when no data folder).
    Digits(digits::DigitsArgs),
    /// Train a character-level language model (makemore-style MLP) on a text, then sample from it.
    Charlm(charlm::CharlmArgs),
}

/// Run `towel train ...`.
pub fn run(cmd: TrainCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        TrainCommand::Digits(args) => digits::run(&args, out),
        TrainCommand::Charlm(args) => charlm::run(&args, out),
    }
}

/// The files a training run may write.
#[derive(clap::Args, Debug, Clone)]
pub struct OutputArgs {
    /// Write the trained model here (safetensors; PyTorch's `safetensors.torch.load_file` reads it). If a run diverges while a file is already here, that file is kept and the last finite parameters go to NAME.nonfinite.safetensors beside it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Draw the loss curve (batch loss and its moving average) into this PNG.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub force: crate::files::ForceArg,
}

impl OutputArgs {
    /// The write plan of these outputs (checked before training).
    pub fn plan(&self, inputs: &[&Path]) -> towel_data::WritePlan {
        let mut plan = towel_data::WritePlan::new()
            .inputs(inputs.iter().copied())
            .force(self.force.force);
        if let Some(p) = &self.out {
            plan = plan.output(p, crate::files::SAFETENSORS);
            // A run that diverges writes beside an existing model
            // (`last_finite_path`): that file is checked like `--out`, so
            // that it is never one of the inputs or a file of another kind.
            let sibling = last_finite_path(p);
            if sibling != *p {
                plan = plan.output(sibling, crate::files::SAFETENSORS);
            }
        }
        if let Some(p) = &self.plot {
            plan = plan.output(p, crate::files::PNG);
        }
        plan
    }

    /// Writes the model (`bytes`, made only when needed) to `--out`,
    /// atomically, if it was given, and says so (`what`: which parameters).
    pub fn save_model(
        &self,
        bytes: impl FnOnce() -> anyhow::Result<Vec<u8>>,
        what: &str,
        out: &Output,
    ) -> anyhow::Result<()> {
        if let Some(p) = &self.out {
            towel_data::write_atomic(p, &bytes()?)?;
            if !out.json {
                outln!("wrote {} ({what})", p.display())?;
            }
        }
        Ok(())
    }
}

/// The report of a training run. When the loss stopped being finite, the
/// last parameters whose loss was finite are saved first (`save`, with
/// [`OutputArgs::save_last_finite`]), and the error is returned after them.
pub fn report_or_save_last<R>(
    result: Result<R, towel_train::TrainError>,
    save: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<R> {
    match result {
        Ok(r) => Ok(r),
        Err(e @ towel_train::TrainError::NonFinite { .. }) => {
            save()?;
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Where a run whose loss stopped being finite writes its last finite
/// parameters: `out`, unless a file is there already, and then beside it,
/// `NAME.nonfinite.safetensors`: a model from an earlier run (a good one,
/// likely) is not replaced by one that diverged.
pub fn last_finite_path(out: &Path) -> PathBuf {
    if !out.exists() {
        return out.to_path_buf();
    }
    let stem = out
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let stem = stem.strip_suffix(".safetensors").unwrap_or(&stem);
    out.with_file_name(format!("{stem}.nonfinite.safetensors"))
}

impl OutputArgs {
    /// Writes the last parameters whose loss was finite (`bytes`) to
    /// [`last_finite_path`] of `--out`, if it was given, and says where
    /// (the error line follows on stderr).
    pub fn save_last_finite(
        &self,
        bytes: impl FnOnce() -> anyhow::Result<Vec<u8>>,
        out: &Output,
    ) -> anyhow::Result<()> {
        if let Some(p) = &self.out {
            let dest = last_finite_path(p);
            towel_data::write_atomic(&dest, &bytes()?)?;
            if out.json {
                return Ok(());
            }
            if dest == *p {
                outln!(
                    "wrote {} (the last parameters whose loss was finite)",
                    p.display()
                )?;
            } else {
                outln!(
                    "kept {} as it was; wrote the last parameters whose loss was finite to {}",
                    p.display(),
                    dest.display()
                )?;
            }
        }
        Ok(())
    }
}

/// The memory this machine has free for a run (`MemAvailable` on Linux;
/// `None` where it cannot be read).
fn available_memory() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Refuses, before anything is allocated, a model and batch whose
/// training would need more memory than the machine has free: `bytes` is
/// the estimate, `what` the options that set it. (An allocation that fails
/// aborts the process with a trace, and `--batch 100000000` asked for 77 GB.)
pub fn check_memory(bytes: f64, what: &str) -> anyhow::Result<()> {
    match available_memory() {
        Some(free) if bytes > free => anyhow::bail!(
            "{what} needs about {:.1} GB of memory to train, more than the {:.1} GB free here; make them smaller",
            bytes / 1e9,
            free / 1e9
        ),
        _ => Ok(()),
    }
}

/// A step counter on stderr showing the running loss.
pub fn step_bar(out: &Output, total: usize) -> ProgressBar {
    out.counter(total as u64, "training", "steps")
}

/// Update `bar` after a step (the message every 10 steps).
pub fn tick(bar: &ProgressBar, step: usize, loss: f32) {
    bar.set_position(step as u64);
    if step % 10 == 1 {
        bar.set_message(format!("loss {loss:.3}"));
    }
}

/// The moving average of `xs` over a window of `w`.
pub fn moving_average(xs: &[f32], w: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(xs.len());
    let mut sum = 0.0f64;
    for (i, &x) in xs.iter().enumerate() {
        sum += x as f64;
        if i >= w {
            sum -= xs[i - w] as f64;
        }
        out.push(sum / (i + 1).min(w) as f64);
    }
    out
}

/// Draw the loss curve of `losses` (one per step).
pub fn plot_losses(path: &Path, title: &str, losses: &[f32]) -> anyhow::Result<()> {
    let w = (losses.len() / 50).clamp(1, 100);
    let chart = LineChart {
        title: title.into(),
        x_label: "step".into(),
        y_label: "cross-entropy (nats)".into(),
        series: vec![
            Series::new(
                "batch loss",
                losses
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| ((i + 1) as f64, l as f64))
                    .collect(),
            ),
            Series::new(
                format!("moving average ({w} steps)"),
                moving_average(losses, w)
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| ((i + 1) as f64, l))
                    .collect(),
            ),
        ],
        log_x: false,
    };
    // plotters picks the image format from the file's extension, which the
    // atomic write's temp name beside `path` lacks: draw into a `.png` in
    // the temp folder, then write the bytes atomically.
    let tmp = std::env::temp_dir().join(format!("towel-loss-{}.png", std::process::id()));
    let drawn = chart.save(&tmp).and_then(|()| Ok(std::fs::read(&tmp)?));
    let _ = std::fs::remove_file(&tmp);
    towel_data::write_atomic(path, &drawn?)?;
    Ok(())
}

/// Per-step phase times in milliseconds, as JSON.
pub fn phases_json(p: &PhaseTimes) -> serde_json::Value {
    serde_json::Value::Object(
        p.per_step_ms()
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(round(v, 4))))
            .collect(),
    )
}

/// Print the phase table (milliseconds per step).
pub fn print_phases(p: &PhaseTimes) -> anyhow::Result<()> {
    let rows = p.per_step_ms();
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let parts: Vec<String> = rows
        .iter()
        .map(|(k, v)| format!("{k} {v:.3} ms ({:.0}%)", 100.0 * v / total.max(1e-12)))
        .collect();
    outln!("time per step: {}", parts.join(", "))
}

/// Round for JSON output.
pub fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// The `--json` output: one compact JSON object on one (the last) line.
pub fn json_line(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut s = serde_json::to_vec(value)?;
    s.push(b'\n');
    write_stdout(&s)
}
