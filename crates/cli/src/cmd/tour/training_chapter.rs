//! Chapter: training. The canonical loop on the digits MLP with its loss
//! curve, where a step's time goes (the per-op profile), a character
//! language model that samples text, and cross-entropy = entropy + KL on
//! that model's numbers.

use anyhow::{ensure, Result};
use towel_autograd::profile::profile;
use towel_autograd::rng::Rng;
use towel_data::embedded;
use towel_train::info::{cross_entropy, entropy, kl_divergence, Unit};
use towel_train::module::Module;
use towel_train::optim::Adam;
use towel_train::step::{train_step, LastGood, PhaseTimes};
use towel_train::tasks::charlm::{CharLm, CharLmConfig, Corpus, Vocab};
use towel_train::tasks::digits::{self, Digits, DigitsConfig};

use super::{Chapter, Ctx, Page};
use crate::cmd::train::moving_average;
use crate::plot::{LineChart, Series};

pub struct TrainingChapter;

/// Steps of the short character-model training (a second or two).
const LM_STEPS: usize = 600;
/// Steps profiled.
const PROFILE_STEPS: usize = 20;

const LOOP: &str = "\
let model = mlp(&[64, 128, 10], Activation::Relu, &mut Rng::new(0));
let mut opt = Adam::adamw(model.parameters(), 1e-3);        // weight decay 0.01
for batch in loader.epoch() {
    let (x, y) = data.batch(&batch)?;
    let loss = model.forward(&x)?.cross_entropy(&y, None)?;   // forward
    opt.zero_grad();
    loss.backward()?;                                         // backward
    clip_grad_norm(opt.params(), 1.0)?;
    opt.step()?;                                              // update
}";

impl Chapter for TrainingChapter {
    fn id(&self) -> &'static str {
        "training"
    }

    fn title(&self) -> &'static str {
        "Training: the loop, the profile, a language model"
    }

    fn wants(&self) -> &'static [&'static str] {
        &["digits", "tinyshakespeare"]
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> Result<()> {
        self.digits(ctx, page)?;
        self.profile(page)?;
        self.charlm(ctx, page)
    }
}

impl TrainingChapter {
    fn digits(&self, ctx: &Ctx, page: &mut Page) -> Result<()> {
        let data = match ctx.data("digits").map(String::from_utf8) {
            Some(Ok(text)) => Digits::parse_csv(&text, "images/digits.csv")?,
            _ => Digits::embedded(),
        };
        let cfg = DigitsConfig::default();
        let model = digits::model(cfg.hidden, cfg.seed);
        let r = digits::train(&model, &data, &cfg, &mut |_, _, _| {})?;
        ensure!(
            r.test_accuracy >= 0.95,
            "digits accuracy {}",
            r.test_accuracy
        );
        page.para(format!(
            "PyTorch's training loop is seven lines: forward, loss, zero the gradients, backward, \
             clip, step. `towel-train` writes it the same way over `towel-autograd`'s tensors \
             (modules with PyTorch's parameter names and initialization, AdamW with PyTorch's \
             exact update rule: its trajectory equals PyTorch's for 25 steps in \
             `crates/train/tests/optim.rs`). Here it trains the 64-128-10 MLP on {} images \
             of 8x8 handwritten digits, pixels divided by 16 (source: {}), on {} ({} training and \
             {} test images), batch {}, AdamW lr {} with weight decay {}, clipping at {}, {} epochs:",
            data.len(),
            data.source.detail,
            r.split,
            r.n_train,
            r.n_test,
            cfg.batch,
            cfg.lr,
            cfg.weight_decay,
            cfg.clip,
            cfg.epochs
        ));
        page.para(format!("```rust\n{LOOP}\n```"));
        page.para(format!(
            "{} steps took a median of {:.3} ms each; the model classifies {:.1}% of the test \
             images correctly (PyTorch 2.15 reaches 96.1% with the same settings and split: \
             `bench/train.py`, `/work/shared/peers/results/train_torch.json`). The batch loss \
             falls from {:.3} to {:.3}:",
            r.steps,
            r.step_ms,
            100.0 * r.test_accuracy,
            r.losses[0],
            r.losses[r.losses.len() - 1]
        ));
        let w = 10;
        page.line_plot(
            "digits-loss",
            &LineChart {
                title: "digits MLP: training loss".into(),
                x_label: "step".into(),
                y_label: "cross-entropy (nats)".into(),
                series: vec![
                    Series::new("batch loss", points(&r.losses)),
                    Series::new(
                        format!("moving average ({w} steps)"),
                        moving_average(&r.losses, w)
                            .into_iter()
                            .enumerate()
                            .map(|(i, l)| ((i + 1) as f64, l))
                            .collect(),
                    ),
                ],
                log_x: false,
            },
        )?;
        page.say(format!(
            "digits MLP: {:.1}% test accuracy after {} steps ({:.3} ms per step)",
            100.0 * r.test_accuracy,
            r.steps,
            r.step_ms
        ));
        page.fact("digits_test_accuracy", r.test_accuracy);
        page.fact("digits_step_ms", r.step_ms);
        page.fact("digits_steps", r.steps);
        Ok(())
    }

    fn profile(&self, page: &mut Page) -> Result<()> {
        let data = Digits::embedded();
        let cfg = DigitsConfig::default();
        let (train_idx, _, _) = data.split(0);
        let model = digits::model(cfg.hidden, cfg.seed);
        let mut opt = Adam::adamw(model.parameters(), cfg.lr);
        let mut rng = Rng::new(1);
        let mut times = PhaseTimes::default();
        let mut good = LastGood::default();
        let mut step = |s: usize, times: &mut PhaseTimes| -> towel_train::Result<f32> {
            let idx: Vec<usize> = (0..cfg.batch)
                .map(|_| train_idx[rng.below(train_idx.len())])
                .collect();
            let (x, y) = data.batch(&idx)?;
            train_step(&mut opt, Some(cfg.clip), s, times, &mut good, || {
                Ok(model.forward(&x)?.cross_entropy(&y, None)?)
            })
        };
        for s in 1..=PROFILE_STEPS {
            step(s, &mut PhaseTimes::default())?; // warm-up
        }
        let (r, prof) = profile(|| -> towel_train::Result<()> {
            for s in 1..=PROFILE_STEPS {
                step(s, &mut times)?;
            }
            Ok(())
        });
        r?;
        let (k, o) = (prof.kernel_ns() as f64, prof.overhead_ns() as f64);
        ensure!(k + o > 0.0, "the profile recorded no tensor operation");
        let rows: Vec<Vec<String>> = prof
            .rows
            .iter()
            .take(10)
            .map(|r| {
                vec![
                    format!("`{}`", r.op),
                    r.forward_calls.to_string(),
                    r.backward_calls.to_string(),
                    format!("{:.1}", r.total_ns() as f64 / 1e3 / PROFILE_STEPS as f64),
                    format!(
                        "{:.0}%",
                        100.0 * r.kernel_ns as f64 / r.total_ns().max(1) as f64
                    ),
                ]
            })
            .collect();
        page.heading("Where a step's time goes");
        page.para(format!(
            "`towel profile digits` runs steps under `towel_autograd::profile` (the CPU form of \
             `torch.profiler`'s `key_averages()`): each op's forward and backward calls and self \
             time, split into the arithmetic kernel and the per-op overhead around it (shape \
             checks, allocation, the graph node). Over {PROFILE_STEPS} steps of the digits MLP \
             ({:.3} ms per step here, profiling included), kernels are {:.0}% and overhead \
             {:.0}% of the time in tensor ops. This is the CPU form of \"kernel-launch overhead vs \
             compute\": with a batch of 64 and 128 hidden units, the arithmetic is small. The ten \
             largest rows, in microseconds per step:",
            prof.total_ns as f64 / 1e6 / PROFILE_STEPS as f64,
            100.0 * k / (k + o),
            100.0 * o / (k + o)
        ));
        page.table(
            &[
                "op",
                "forward calls",
                "backward calls",
                "µs per step",
                "kernel share",
            ],
            &rows,
        );
        page.fact("profile_kernel_share", k / (k + o));
        page.fact("profile_ops", prof.rows.len());
        Ok(())
    }

    fn charlm(&self, ctx: &Ctx, page: &mut Page) -> Result<()> {
        let (name, text) = match ctx.data("tinyshakespeare").map(String::from_utf8) {
            Some(Ok(t)) => ("tiny shakespeare", t),
            // Ctx::data falls back on towel's embedded copy, so this is a last resort.
            _ => ("tiny shakespeare", embedded::book().to_string()),
        };
        let vocab = Vocab::of_text(&text)?;
        let corpus = Corpus::split(&vocab, &text)?;
        let cfg = CharLmConfig {
            steps: LM_STEPS,
            ..CharLmConfig::default()
        };
        let lm = CharLm::new(vocab, cfg.context, cfg.embed, cfg.hidden, cfg.seed)?;
        let before = lm.mean_loss(&corpus.val)?;
        let r = lm.train(&corpus, &cfg, &mut |_, _, _| {})?;
        ensure!(
            r.val_loss < before,
            "validation loss {before} -> {}",
            r.val_loss
        );
        let sample = lm.sample("\n", 240, 0.8, None, &mut Rng::new(0))?;
        page.heading("A language model that samples text");
        page.para(format!(
            "The same loop trains a character-level language model in the style of Bengio et al. \
             (2003) and Karpathy's makemore on {name} ({} characters, {} distinct; the first 90% \
             for training, the last 10% for validation): the previous {} characters are looked \
             up in an `Embedding({}, {})`, concatenated, passed through `Linear({}, {})`, tanh, \
             and `Linear({}, {})` to a score for each next character ({} parameters). After {} \
             steps of {} random windows ({:.3} ms per step) the validation loss, the mean \
             cross-entropy over all {} validation windows, went from {:.3} to {:.3} nats per \
             character: {:.3} bits per character, perplexity {:.2} (as if choosing uniformly \
             among {:.1} characters; a uniform guess over the {} characters has perplexity {}). \
             Sampled at temperature 0.8:",
            text.chars().count(),
            lm.vocab.len(),
            cfg.context,
            lm.vocab.len(),
            cfg.embed,
            cfg.context * cfg.embed,
            cfg.hidden,
            cfg.hidden,
            lm.vocab.len(),
            r.params,
            r.steps,
            cfg.batch,
            r.step_ms,
            r.val_windows,
            before,
            r.val_loss,
            r.val_bits_per_char,
            r.val_perplexity,
            r.val_perplexity,
            lm.vocab.len(),
            lm.vocab.len()
        ));
        page.para(format!("```text\n{sample}\n```"));

        // Cross-entropy = entropy + KL on this model's numbers.
        let (p, q) = lm.unigram_vs_model(&corpus.val)?;
        let h = entropy(&p, Unit::Bits)?;
        let ce = cross_entropy(&p, &q, Unit::Bits)?;
        let kl = kl_divergence(&p, &q, Unit::Bits)?;
        ensure!(
            (ce - (h + kl)).abs() < 1e-9,
            "H(p,q) {ce} != H(p) {h} + KL {kl}"
        );
        ensure!(kl >= 0.0, "KL {kl} < 0");
        page.heading("Cross-entropy = entropy + KL");
        page.para(
            "Take p, the distribution of characters in the validation text, and q, the model's \
             prediction averaged over every validation window. Then H(p, q) = −Σ p log q \
             = H(p) + D(p‖q): the cross-entropy is the data's own entropy plus the KL divergence \
             of the model from the data. H(p) is fixed by the data, so lowering cross-entropy \
             can only lower the KL part. On these numbers (`towel_train::info`):",
        );
        page.table(
            &["quantity", "bits per character"],
            &[
                vec![
                    "H(p), entropy of the characters".to_string(),
                    format!("{h:.4}"),
                ],
                vec!["D(p‖q), KL divergence".to_string(), format!("{kl:.4}")],
                vec!["H(p) + D(p‖q)".to_string(), format!("{:.4}", h + kl)],
                vec!["H(p, q), cross-entropy".to_string(), format!("{ce:.4}")],
                vec![
                    "the model's loss with context (validation)".to_string(),
                    format!("{:.4}", r.val_bits_per_char),
                ],
            ],
        );
        page.para(format!(
            "The last line is the model's actual loss, which conditions on the previous {} \
             characters: {} H(p) = {h:.3} bits, the best any model ignoring context could do.",
            cfg.context,
            if r.val_bits_per_char < h {
                format!("{:.3} bits below", h - r.val_bits_per_char)
            } else {
                format!(
                    "still {:.3} bits above (after this short a training on this little text)",
                    r.val_bits_per_char - h
                )
            }
        ));
        page.say(format!(
            "character model on {name}: validation {:.3} bits/char after {} steps; H(p) {h:.3} + KL {kl:.4} = H(p,q) {ce:.3} bits",
            r.val_bits_per_char, r.steps
        ));
        page.fact("lm_val_loss", r.val_loss);
        page.fact("lm_val_bits_per_char", r.val_bits_per_char);
        page.fact("lm_entropy_bits", h);
        page.fact("lm_kl_bits", kl);
        page.fact("lm_cross_entropy_bits", ce);
        page.fact("lm_sample", sample);
        Ok(())
    }
}

fn points(xs: &[f32]) -> Vec<(f64, f64)> {
    xs.iter()
        .enumerate()
        .map(|(i, &l)| ((i + 1) as f64, l as f64))
        .collect()
}
