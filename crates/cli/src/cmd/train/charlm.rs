//! `towel train charlm`: a character-level language model (Bengio et al.
//! 2003 / makemore: embed the previous characters, concatenate, one tanh
//! layer, logits), with the benchmark's settings as defaults: context 8,
//! Embedding(V, 24), Linear(192, 256), batch 128, AdamW lr 1e-3, clipping
//! at 1.0, 2,000 steps. Reports the validation loss over every window of
//! the last 10% of the text, bits per character and perplexity, then
//! samples.
//!
//! ```sh
//! towel train charlm --data tinyshakespeare.txt --out shakespeare.safetensors --plot loss.png
//! towel sample shakespeare.safetensors --tokens 300 --temperature 0.8 --top-k 10
//! ```

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;
use towel_autograd::rng::Rng;
use towel_tokenizer::format;
use towel_train::tasks::charlm::{CharLm, CharLmConfig, Corpus, Vocab};

use super::{
    json_line, phases_json, plot_losses, print_phases, report_or_save_last, round, step_bar, tick,
    OutputArgs,
};
use crate::output::{outln, Output};

#[derive(clap::Args, Debug)]
pub struct CharlmArgs {
    /// A UTF-8 text; default: tiny shakespeare from the data folder, else the embedded tour text.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Training steps.
    #[arg(long, default_value_t = 2000, value_parser = crate::values::at_least_one)]
    steps: usize,
    /// Random windows per step.
    #[arg(long, default_value_t = 128, value_parser = crate::values::at_least_one)]
    batch: usize,
    /// Train over the ids of this BPE tokenizer (towel's JSON or HF tokenizer.json, e.g. from
    /// `towel bpe train`) instead of characters; compare runs by bits per byte.
    #[arg(long, value_name = "FILE")]
    tokenizer: Option<PathBuf>,
    /// Characters (or tokens) of context.
    #[arg(long, default_value_t = 8)]
    context: usize,
    /// Embedding size per character.
    #[arg(long, default_value_t = 24)]
    embed: usize,
    /// Hidden units.
    #[arg(long, default_value_t = 256)]
    hidden: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3, value_parser = crate::values::positive_finite)]
    lr: f64,
    /// Seed of the initialization, the batches and the sample.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Characters to sample after training (0: none).
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Sampling temperature.
    #[arg(long, default_value_t = 0.8)]
    temperature: f64,
    /// Sample only among the K most likely characters.
    #[arg(long)]
    top_k: Option<usize>,
    #[command(flatten)]
    files: OutputArgs,
}

/// The text and a sentence saying where it came from.
pub fn load_text(path: Option<&std::path::Path>) -> anyhow::Result<(String, String)> {
    if let Some(p) = path {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        let text = String::from_utf8(bytes)
            .with_context(|| format!("{} is not UTF-8 text", p.display()))?;
        let detail = format!("{} ({} characters)", p.display(), text.chars().count());
        return Ok((text, detail));
    }
    let dirs = towel_data::DataDirs::from_env();
    let file = towel_data::registry::by_name("tinyshakespeare").expect("registered");
    // Only a missing file falls back to the embedded copy: a damaged one is
    // an error, as for `towel encode -e`.
    match dirs.read(file) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.path))?;
            let detail = format!(
                "tiny shakespeare from the data folder ({} characters)",
                text.chars().count()
            );
            return Ok((text, detail));
        }
        Err(towel_data::DataError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    // The same text, shipped in the binary (towel_data::embedded).
    let text = towel_data::embedded::book().to_string();
    let detail = format!(
        "tiny shakespeare embedded in towel ({} characters; no data folder found)",
        text.chars().count()
    );
    Ok((text, detail))
}

/// About the memory a training run of this model takes (float32, in f64
/// so no size overflows): the parameters four times (values, gradients and
/// AdamW's two moments), and a step's activations with their gradients,
/// about three copies of each layer's output a window: the embedded
/// context, the hidden layer (before and after tanh), the logits and the
/// softmax.
fn training_bytes(vocab: usize, cfg: &CharLmConfig) -> f64 {
    let (v, c, e, h, b) = (
        vocab as f64,
        cfg.context as f64,
        cfg.embed as f64,
        cfg.hidden as f64,
        cfg.batch as f64,
    );
    let params = v * e + c * e * h + h + h * v + v;
    let activations = b * (c * e + 2.0 * h + 2.0 * v);
    4.0 * (4.0 * params + 3.0 * activations)
}

pub fn run(args: &CharlmArgs, out: &Output) -> anyhow::Result<()> {
    // (An encoder.json --tokenizer is read with the vocab.bpe beside it.)
    let read: Vec<PathBuf> = args
        .data
        .iter()
        .cloned()
        .chain(args.tokenizer.iter().flat_map(|p| format::files_read(p)))
        .collect();
    let inputs: Vec<&std::path::Path> = read.iter().map(|p| p.as_path()).collect();
    let plan = args.files.plan(&inputs);
    plan.check()?;
    // The sample comes after training: its settings are checked before.
    if args.sample > crate::cmd::sample::MAX_TOKENS {
        anyhow::bail!(
            "--sample {} is more than {}, the most one run generates; sample more with `towel sample`",
            args.sample,
            crate::cmd::sample::MAX_TOKENS
        );
    }
    if args.sample > 0 {
        towel_train::sample::check_settings(args.temperature, args.top_k)?;
    }
    let (text, source) = load_text(args.data.as_deref())?;
    let vocab = match &args.tokenizer {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            Vocab::from_tokenizer(&bytes, &p.display().to_string())?
        }
        None => Vocab::of_text(&text)?,
    };
    let corpus = Corpus::split(&vocab, &text)?;
    let cfg = CharLmConfig {
        context: args.context,
        embed: args.embed,
        hidden: args.hidden,
        batch: args.batch,
        steps: args.steps,
        lr: args.lr,
        seed: args.seed,
        ..CharLmConfig::default()
    };
    super::check_memory(
        training_bytes(vocab.len(), &cfg),
        &format!(
            "--context {} --embed {} --hidden {} --batch {} (a vocabulary of {})",
            cfg.context,
            cfg.embed,
            cfg.hidden,
            cfg.batch,
            vocab.len()
        ),
    )?;
    let model = CharLm::new(vocab, cfg.context, cfg.embed, cfg.hidden, cfg.seed)?;
    let unit = model.vocab.unit();
    if !out.json {
        outln!("data: {source}")?;
        outln!(
            "vocabulary {} {unit}, {} parameters, context {}; {} training and {} validation {unit}",
            model.vocab.len(),
            towel_train::module::Module::num_parameters(&model.net),
            cfg.context,
            corpus.train.len(),
            corpus.val.len()
        )?;
    }
    let bar = step_bar(out, cfg.steps);
    let result = model.train(&corpus, &cfg, &mut |s, _, l| tick(&bar, s, l));
    bar.finish_and_clear();
    let report = report_or_save_last(result, || {
        args.files
            .save_last_finite(|| Ok(model.to_bytes(&[])?), out)
    })?;
    let meta = [
        ("towel.steps".into(), cfg.steps.to_string()),
        ("towel.val_loss".into(), format!("{:.4}", report.val_loss)),
    ];
    args.files
        .save_model(|| Ok(model.to_bytes(&meta)?), "safetensors", out)?;
    if let Some(p) = &args.files.plot {
        plot_losses(p, "character language model: training loss", &report.losses)?;
    }
    let sample = if args.sample > 0 {
        let mut rng = Rng::new(args.seed);
        model.sample("\n", args.sample, args.temperature, args.top_k, &mut rng)?
    } else {
        String::new()
    };
    if out.json {
        return json_line(&json!({
            "task": "charlm",
            "data": source,
            "vocab": model.vocab.len(),
            "params": report.params,
            "context": cfg.context,
            "steps": report.steps,
            "batch": cfg.batch,
            "train_windows": report.train_windows,
            "val_windows": report.val_windows,
            "train_loss": round(report.train_loss, 4),
            "val_loss": round(report.val_loss, 4),
            "val_bits_per_char": round(report.val_bits_per_char, 4),
            "val_perplexity": round(report.val_perplexity, 3),
            "val_bits_per_byte": round(report.val_bits_per_byte, 4),
            "units": unit,
            "step_ms": round(report.step_ms, 4),
            "phases_ms_per_step": phases_json(&report.phases),
            "seed": cfg.seed,
            "sample": sample,
            "out": args.files.out.as_ref().map(|p| p.display().to_string()),
        }));
    }
    outln!(
        "{} steps of {} windows: training loss {:.4} (last 100 steps), validation loss {:.4} nats per {} \
         = {:.3} bits per {}, {:.3} bits per byte, perplexity {:.2} (every one of {} validation windows)",
        report.steps,
        cfg.batch,
        report.train_loss,
        report.val_loss,
        &unit[..unit.len() - 1],
        report.val_bits_per_char,
        &unit[..unit.len() - 1],
        report.val_bits_per_byte,
        report.val_perplexity,
        report.val_windows
    )?;
    outln!("median step {:.3} ms", report.step_ms)?;
    print_phases(&report.phases)?;
    if let Some(p) = &args.files.plot {
        outln!("wrote {} (loss curve)", p.display())?;
    }
    if !sample.is_empty() {
        outln!(
            "sample ({} {unit}, temperature {}{}):\n{sample}",
            args.sample,
            args.temperature,
            args.top_k
                .map(|k| format!(", top-k {k}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
