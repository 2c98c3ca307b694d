//! `towel train digits`: the 8x8 digits MLP (64-128-10, ReLU, AdamW lr
//! 1e-3 and weight decay 0.01, clipping at 1.0, batch 64, 20 epochs: the
//! benchmark's settings).
//!
//! ```sh
//! towel train digits
//! towel train digits --epochs 5 --seed 3 --json
//! ```

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;
use towel_train::module::Module;
use towel_train::tasks::digits::{self, Digits, DigitsConfig};

use super::{
    json_line, phases_json, plot_losses, print_phases, report_or_save_last, round, step_bar, tick,
    OutputArgs,
};
use crate::output::{outln, Output};

#[derive(clap::Args, Debug)]
pub struct DigitsArgs {
    /// Passes over the training set.
    #[arg(long, default_value_t = 20, value_parser = crate::values::at_least_one)]
    epochs: usize,
    /// Seed of the initialization and the shuffling (0 with the benchmark's split; another seed
    /// also draws towel's own stratified split).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Examples per step.
    #[arg(long, default_value_t = 64, value_parser = crate::values::at_least_one)]
    batch: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3, value_parser = crate::values::positive_finite)]
    lr: f64,
    /// A digits CSV (64 pixels 0..16 then the label per line); default: the data folder's
    /// images/digits.csv, else the embedded copy.
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    files: OutputArgs,
}

fn load(args: &DigitsArgs) -> anyhow::Result<Digits> {
    if let Some(p) = &args.data {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        return Ok(Digits::parse_csv(&text, &p.display().to_string())?);
    }
    let dirs = towel_data::DataDirs::from_env();
    let file = towel_data::registry::by_name("digits").expect("registered");
    match dirs.read(file) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).context("digits.csv is not UTF-8")?;
            let mut d = Digits::parse_csv(&text, "digits.csv")?;
            d.source.detail = format!("the data folder's images/digits.csv ({} images)", d.len());
            Ok(d)
        }
        // Only a missing file falls back to the embedded copy: a damaged
        // one is an error, as for `towel encode -e`.
        Err(towel_data::DataError::NotFound { .. }) => Ok(Digits::embedded()),
        Err(e) => Err(e.into()),
    }
}

pub fn run(args: &DigitsArgs, out: &Output) -> anyhow::Result<()> {
    let inputs: Vec<&std::path::Path> = args.data.iter().map(|p| p.as_path()).collect();
    let plan = args.files.plan(&inputs);
    plan.check()?;
    let data = load(args)?;
    let cfg = DigitsConfig {
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        seed: args.seed,
        split_seed: args.seed,
        ..DigitsConfig::default()
    };
    if !out.json {
        outln!("data: {}", data.source.detail)?;
    }
    let model = digits::model(cfg.hidden, cfg.seed);
    let steps = args.batch.max(1);
    let n_train = data.split(cfg.split_seed).0.len();
    let bar = step_bar(out, n_train.div_ceil(steps) * cfg.epochs);
    let result = digits::train(&model, &data, &cfg, &mut |s, _, l| tick(&bar, s, l));
    bar.finish_and_clear();
    let meta = [
        ("towel.task".to_string(), "digits".to_string()),
        ("towel.hidden".to_string(), cfg.hidden.to_string()),
    ];
    let bytes = || {
        Ok(towel_train::checkpoint::to_bytes(
            &model.state_dict(),
            &meta,
        )?)
    };
    let report = report_or_save_last(result, || args.files.save_last_finite(bytes, out))?;
    args.files.save_model(bytes, "safetensors", out)?;
    if let Some(p) = &args.files.plot {
        plot_losses(p, "digits MLP: training loss", &report.losses)?;
    }
    if out.json {
        return json_line(&json!({
            "task": "digits",
            "data": data.source.detail,
            "split": report.split,
            "n_train": report.n_train,
            "n_test": report.n_test,
            "epochs": cfg.epochs,
            "steps": report.steps,
            "test_accuracy": round(report.test_accuracy, 4),
            "final_train_loss": round(report.final_train_loss, 4),
            "step_ms": round(report.step_ms, 4),
            "phases_ms_per_step": phases_json(&report.phases),
            "seed": cfg.seed,
            "out": args.files.out.as_ref().map(|p| p.display().to_string()),
        }));
    }
    outln!(
        "split: {} ({} train, {} test)",
        report.split,
        report.n_train,
        report.n_test
    )?;
    outln!(
        "{} epochs, {} steps of {} examples: test accuracy {:.2}%, final training loss {:.4}",
        cfg.epochs,
        report.steps,
        cfg.batch,
        100.0 * report.test_accuracy,
        report.final_train_loss
    )?;
    outln!("median step {:.3} ms", report.step_ms)?;
    print_phases(&report.phases)?;
    if let Some(p) = &args.files.plot {
        outln!("wrote {} (loss curve)", p.display())?;
    }
    Ok(())
}
