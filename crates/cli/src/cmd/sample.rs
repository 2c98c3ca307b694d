//! `towel sample`: text from a character model trained by `towel train
//! charlm`, drawn one character at a time at a temperature, optionally
//! among the top k.
//!
//! ```sh
//! towel sample shakespeare.safetensors --tokens 300 --temperature 0.8 --top-k 10 --prompt "ROMEO:"
//! ```

use std::path::PathBuf;

use anyhow::{bail, Context};
use serde_json::json;
use towel_autograd::rng::Rng;
use towel_train::checkpoint;
use towel_train::tasks::charlm::CharLm;

use crate::cmd::train::json_line;
use crate::output::{outln, Output};

/// The most tokens one run generates. The text is built in memory and
/// printed (or put in the JSON) at the end, so `--tokens` bounds the
/// memory; a million characters take a few seconds with the default model
/// and a few megabytes.
pub const MAX_TOKENS: usize = 1_000_000;

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// A model written by `towel train charlm --out`.
    model: PathBuf,
    /// Characters (or tokens, for a model over a tokenizer) to generate,
    /// at most 1000000.
    #[arg(long, default_value_t = 300)]
    tokens: usize,
    /// Temperature: below 1 sharpens the distribution, above 1 flattens it.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Sample only among the K most likely characters.
    #[arg(long)]
    top_k: Option<usize>,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Text to continue (its characters must be in the model's vocabulary).
    #[arg(long, default_value = "\n")]
    prompt: String,
}

pub fn run(args: &SampleArgs, out: &Output) -> anyhow::Result<()> {
    if args.tokens > MAX_TOKENS {
        bail!(
            "--tokens {} is more than {MAX_TOKENS}, the most one run generates; sample in several runs (with different --seed values)",
            args.tokens
        );
    }
    let bytes = towel_data::read_regular_file(&args.model)
        .with_context(|| format!("cannot read {}", args.model.display()))?;
    let ck = checkpoint::from_bytes(&bytes).with_context(|| args.model.display().to_string())?;
    let model = CharLm::from_checkpoint(&ck).with_context(|| args.model.display().to_string())?;
    let mut rng = Rng::new(args.seed);
    let text = model.sample(
        &args.prompt,
        args.tokens,
        args.temperature,
        args.top_k,
        &mut rng,
    )?;
    if out.json {
        return json_line(&json!({
            "model": args.model.display().to_string(),
            "prompt": args.prompt,
            "temperature": args.temperature,
            "top_k": args.top_k,
            "seed": args.seed,
            "text": text,
        }));
    }
    let prompt = if args.prompt == "\n" {
        ""
    } else {
        &args.prompt
    };
    outln!("{prompt}{text}")
}
