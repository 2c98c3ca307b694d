//! `towel profile`: where the time of a training step goes, per tensor
//! operation (forward and backward calls and self time, split into
//! arithmetic kernels and per-op overhead: dispatch, allocation, graph
//! bookkeeping), like `torch.profiler`'s `key_averages().table()`, plus
//! the step's phases (data, forward, backward, optimizer).
//!
//! ```sh
//! towel profile digits
//! towel profile charlm --steps 50 --json
//! ```

use std::time::Instant;

use serde_json::json;
use towel_autograd::profile::profile;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;
use towel_train::data::Loader;
use towel_train::module::Module;
use towel_train::optim::{Adam, Optimizer};
use towel_train::step::{train_step, LastGood, PhaseTimes};
use towel_train::tasks::charlm::{CharLm, CharLmConfig, Corpus, Vocab};
use towel_train::tasks::digits::{self, Digits, DigitsConfig};

use crate::cmd::train::{json_line, phases_json, print_phases};
use crate::output::{outln, Output};

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// The digits MLP (64-128-10, batch 64, AdamW).
    Digits,
    /// The character model (context 8, 24-dim embeddings, 256 hidden, batch 128, AdamW).
    Charlm,
}

#[derive(clap::Args, Debug)]
pub struct ProfileArgs {
    /// Which training to profile (the benchmark's settings).
    task: Task,
    /// Steps profiled (after as many unprofiled warm-up steps).
    #[arg(long, default_value_t = 50)]
    steps: usize,
}

/// A batch maker and the data's description.
type Batches = Box<dyn FnMut() -> anyhow::Result<(Tensor, Vec<i64>)>>;

pub fn run(args: &ProfileArgs, out: &Output) -> anyhow::Result<()> {
    if args.steps == 0 {
        anyhow::bail!("--steps must be at least 1");
    }
    let (model, mut next, source): (Box<dyn Module>, Batches, String) = match args.task {
        Task::Digits => {
            let data = Digits::embedded();
            let cfg = DigitsConfig::default();
            let (train_idx, _, _) = data.split(cfg.split_seed);
            let mut loader = Loader::new(train_idx.len(), cfg.batch, true, false, cfg.seed)?;
            let mut queue: Vec<Vec<usize>> = Vec::new();
            let source = data.source.detail.clone();
            let next: Batches = Box::new(move || {
                if queue.is_empty() {
                    queue = loader.epoch();
                    queue.reverse();
                }
                let b = queue.pop().expect("an epoch has batches");
                let idx: Vec<usize> = b.iter().map(|&i| train_idx[i]).collect();
                Ok(data.batch(&idx)?)
            });
            (Box::new(digits::model(cfg.hidden, cfg.seed)), next, source)
        }
        Task::Charlm => {
            let (text, source) = crate::cmd::train::charlm::load_text(None)?;
            let cfg = CharLmConfig::default();
            let vocab = Vocab::of_text(&text)?;
            let corpus = Corpus::split(&vocab, &text)?;
            let lm = std::rc::Rc::new(CharLm::new(
                vocab,
                cfg.context,
                cfg.embed,
                cfg.hidden,
                cfg.seed,
            )?);
            let n = corpus.train.len().saturating_sub(cfg.context);
            if n == 0 {
                anyhow::bail!("the text is shorter than the context");
            }
            let mut rng = Rng::new(cfg.seed);
            let lm2 = lm.clone();
            let next: Batches = Box::new(move || {
                let starts: Vec<usize> = (0..cfg.batch).map(|_| rng.below(n)).collect();
                let (x, y) = lm2.windows(&corpus.train, &starts);
                let x: Vec<f32> = x.iter().map(|&i| i as f32).collect();
                Ok((Tensor::from_vec(x, &[cfg.batch, cfg.context])?, y))
            });
            (Box::new(LmNet(lm)), next, source)
        }
    };
    let mut opt = Adam::adamw(model.parameters(), 1e-3);
    let mut times = PhaseTimes::default();
    let mut good = LastGood::default();
    let mut run_steps = |n: usize, times: &mut PhaseTimes| -> anyhow::Result<()> {
        for s in 1..=n {
            let t0 = Instant::now();
            let (x, y) = next()?;
            PhaseTimes::add(&mut times.data_ns, t0.elapsed());
            train_step(&mut opt, Some(1.0), s, times, &mut good, || {
                Ok(model.forward(&x)?.cross_entropy(&y, None)?)
            })?;
        }
        Ok(())
    };
    run_steps(args.steps, &mut PhaseTimes::default())?; // warm-up
    let (r, prof) = profile(|| run_steps(args.steps, &mut times));
    r?;
    let _ = opt.lr();
    let name = match args.task {
        Task::Digits => "digits",
        Task::Charlm => "charlm",
    };
    if out.json {
        return json_line(&json!({
            "task": name,
            "data": source,
            "steps": args.steps,
            "step_ms": prof.total_ns as f64 / args.steps as f64 / 1e6,
            "phases_ms_per_step": phases_json(&times),
            "profile": prof,
        }));
    }
    outln!("data: {source}")?;
    outln!(
        "{} training steps of `towel train {name}` profiled ({:.3} ms per step, after {} warm-up steps); times are totals over the steps",
        args.steps,
        prof.total_ns as f64 / args.steps as f64 / 1e6,
        args.steps
    )?;
    outln!("{}", prof.table())?;
    let k = prof.kernel_ns() as f64;
    let o = prof.overhead_ns() as f64;
    outln!(
        "kernels {:.0}% and per-op overhead {:.0}% of the time in tensor ops; {:.0}% of the step ran outside them",
        100.0 * k / (k + o).max(1.0),
        100.0 * o / (k + o).max(1.0),
        100.0 * prof.untracked_ns as f64 / prof.total_ns.max(1) as f64
    )?;
    print_phases(&times)
}

/// The character model as a module over id tensors (its `net`).
struct LmNet(std::rc::Rc<CharLm>);

impl Module for LmNet {
    fn forward(&self, x: &Tensor) -> towel_train::Result<Tensor> {
        self.0.net.forward(x)
    }
    fn visit_parameters(
        &self,
        prefix: &str,
        f: &mut dyn FnMut(String, &towel_train::param::Parameter),
    ) {
        self.0.net.visit_parameters(prefix, f)
    }
    fn describe(&self) -> String {
        self.0.net.describe()
    }
}
