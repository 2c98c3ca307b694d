//! The 8x8 handwritten digits MLP: 64-128-10 with ReLU, AdamW (lr 1e-3,
//! weight decay 0.01), cross-entropy, gradient clipping at 1.0, batch 64,
//! 20 epochs — `bench/train.py`'s and `/work/shared/peers/train_torch.py`'s
//! settings. Pixels are divided by 16.
//!
//! The split is the benchmark's: scikit-learn's stratified
//! `train_test_split(test_size=0.2, random_state=0)` (index lists in
//! `assets/digits_split.json`, written by `tests/fixtures/gen_torch.py`),
//! so accuracies compare with PyTorch's on the same 360 test images. With
//! another seed ([`DigitsConfig::split_seed`]) towel's own seeded
//! stratified split is used.
//!
//! The data set is embedded (1,797 images, 117 KB; the UCI "Optical
//! Recognition of Handwritten Digits" test set as shipped by scikit-learn,
//! CC BY 4.0), so the training runs with no data folder.

use super::PREALLOCATED_STEPS;
use std::time::Instant;

use serde::Serialize;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::{no_grad, Tensor};

use crate::data::{stratified_split, Loader};
use crate::error::{invalid, Result};
use crate::layers::{mlp, Activation, Sequential};
use crate::module::Module;
use crate::optim::Adam;
use crate::step::{train_step, LastGood, PhaseTimes};
use crate::tasks::Source;

const EMBEDDED: &[u8] = include_bytes!("../../assets/digits.u8");
const SPLIT: &str = include_str!("../../assets/digits_split.json");

/// Images (`n × 64` pixels divided by 16) and labels.
#[derive(Debug, Clone)]
pub struct Digits {
    /// Row-major `n × 64`, in [0, 1].
    pub x: Vec<f32>,
    /// Labels 0..9.
    pub y: Vec<usize>,
    /// Where they came from.
    pub source: Source,
}

impl Digits {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The embedded copy of scikit-learn's `load_digits`.
    pub fn embedded() -> Digits {
        let mut d = Self::from_rows(EMBEDDED.chunks(65).map(|r| r.to_vec()));
        d.source = Source {
            name: "embedded".into(),
            detail: "embedded 8x8 digits (1,797 images, UCI Optical Recognition of Handwritten Digits, CC BY 4.0, via scikit-learn)".into(),
        };
        d
    }

    fn from_rows(rows: impl Iterator<Item = Vec<u8>>) -> Digits {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for r in rows {
            x.extend(r[..64].iter().map(|&p| p as f32 / 16.0));
            y.push(r[64] as usize);
        }
        Digits {
            x,
            y,
            source: Source {
                name: String::new(),
                detail: String::new(),
            },
        }
    }

    /// Parse `digits.csv`: lines of 64 pixel values 0..16 then the label
    /// 0..9, comma-separated (the data folder's `images/digits.csv`).
    pub fn parse_csv(text: &str, name: &str) -> Result<Digits> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let vals: Vec<&str> = line.split(',').collect();
            if vals.len() != 65 {
                return Err(invalid(format!(
                    "{name} line {}: {} values, expected 65 (64 pixels then the label)",
                    i + 1,
                    vals.len()
                )));
            }
            let mut row = Vec::with_capacity(65);
            for (j, v) in vals.iter().enumerate() {
                let max = if j == 64 { 9 } else { 16 };
                match v.trim().parse::<u8>() {
                    Ok(b) if b <= max => row.push(b),
                    _ => {
                        return Err(invalid(format!(
                            "{name} line {} value {}: `{v}` is not an integer 0..{max}",
                            i + 1,
                            j + 1
                        )))
                    }
                }
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Err(invalid(format!("{name}: no images")));
        }
        let mut d = Self::from_rows(rows.into_iter());
        d.source = Source {
            name: name.into(),
            detail: format!("{name} ({} images)", d.len()),
        };
        Ok(d)
    }

    /// The benchmark's split (scikit-learn's, `random_state=0`) when this
    /// is the 1,797-image set and `seed` is 0, else towel's seeded
    /// stratified 80/20 split. Returns `(train, test, description)`.
    pub fn split(&self, seed: u64) -> (Vec<usize>, Vec<usize>, &'static str) {
        if seed == 0 && self.len() == 1797 {
            let v: serde_json::Value = serde_json::from_str(SPLIT).expect("embedded split is JSON");
            let ids = |k: &str| -> Vec<usize> {
                v[k].as_array()
                    .expect("list")
                    .iter()
                    .map(|i| i.as_u64().expect("index") as usize)
                    .collect()
            };
            return (
                ids("train"),
                ids("test"),
                "scikit-learn's stratified 80/20 split (random_state=0), as the benchmark",
            );
        }
        let (tr, te) = stratified_split(&self.y, 0.2, seed);
        (tr, te, "towel's seeded stratified 80/20 split")
    }

    /// A batch: `[len, 64]` pixels and the labels.
    pub fn batch(&self, idx: &[usize]) -> Result<(Tensor, Vec<i64>)> {
        let mut x = Vec::with_capacity(idx.len() * 64);
        for &i in idx {
            x.extend_from_slice(&self.x[i * 64..(i + 1) * 64]);
        }
        let y = idx.iter().map(|&i| self.y[i] as i64).collect();
        Ok((Tensor::from_vec(x, &[idx.len(), 64])?, y))
    }
}

/// The training settings (defaults: the benchmark's).
#[derive(Debug, Clone, Serialize)]
pub struct DigitsConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per step.
    pub batch: usize,
    /// Hidden units.
    pub hidden: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW (decoupled) weight decay.
    pub weight_decay: f64,
    /// Maximum gradient norm.
    pub clip: f32,
    /// Seeds the initialization and the shuffling.
    pub seed: u64,
    /// Seeds the split (0: the benchmark's split).
    pub split_seed: u64,
}

impl Default for DigitsConfig {
    fn default() -> Self {
        DigitsConfig {
            epochs: 20,
            batch: 64,
            hidden: 128,
            lr: 1e-3,
            weight_decay: 0.01,
            clip: 1.0,
            seed: 0,
            split_seed: 0,
        }
    }
}

/// What a training run measured.
#[derive(Debug, Clone, Serialize)]
pub struct DigitsReport {
    /// Accuracy on the test split.
    pub test_accuracy: f64,
    /// Mean cross-entropy over the whole training split at the end.
    pub final_train_loss: f64,
    /// Median time of one training step (ms).
    pub step_ms: f64,
    /// Steps taken.
    pub steps: usize,
    /// Training and test sizes.
    pub n_train: usize,
    /// Test size.
    pub n_test: usize,
    /// The split used.
    pub split: String,
    /// Each step's batch loss.
    #[serde(skip)]
    pub losses: Vec<f32>,
    /// Time per phase, summed.
    pub phases: PhaseTimes,
}

/// The 64-hidden-10 MLP (`nn.Sequential(nn.Linear(64, h), nn.ReLU(),
/// nn.Linear(h, 10))`), initialized from `seed`.
pub fn model(hidden: usize, seed: u64) -> Sequential {
    mlp(&[64, hidden, 10], Activation::Relu, &mut Rng::new(seed))
}

/// Classification accuracy of `model` on the images `idx`.
pub fn accuracy(model: &dyn Module, data: &Digits, idx: &[usize]) -> Result<f64> {
    let _g = no_grad();
    let (x, y) = data.batch(idx)?;
    let logits = model.forward(&x)?.to_vec();
    let correct = logits
        .chunks(10)
        .zip(&y)
        .filter(|(row, &t)| {
            let arg = row
                .iter()
                .enumerate()
                .fold(0, |b, (i, &v)| if v > row[b] { i } else { b });
            arg as i64 == t
        })
        .count();
    Ok(correct as f64 / idx.len().max(1) as f64)
}

/// Train `model` on `data` with `cfg`, calling `on_step(step, total,
/// loss)` after each step.
pub fn train(
    model: &Sequential,
    data: &Digits,
    cfg: &DigitsConfig,
    on_step: &mut dyn FnMut(usize, usize, f32),
) -> Result<DigitsReport> {
    let (train_idx, test_idx, split) = data.split(cfg.split_seed);
    if train_idx.is_empty() || test_idx.is_empty() {
        return Err(invalid(format!(
            "{}: {} images are too few for a stratified 80/20 split into a training and a test \
             set (each needs at least one image)",
            data.source.name,
            data.len()
        )));
    }
    let mut loader = Loader::new(train_idx.len(), cfg.batch, true, false, cfg.seed ^ 0x5EED)?;
    let mut opt = Adam::adamw(model.parameters(), cfg.lr).weight_decay(cfg.weight_decay);
    let total = loader.batches_per_epoch() * cfg.epochs;
    let mut times = PhaseTimes::default();
    let mut last_good = LastGood::default();
    let mut losses = Vec::with_capacity(total.min(PREALLOCATED_STEPS));
    let mut step_ms = Vec::with_capacity(total.min(PREALLOCATED_STEPS));
    model.train();
    let mut step = 0;
    for _ in 0..cfg.epochs {
        for b in loader.epoch() {
            step += 1;
            let t0 = Instant::now();
            let idx: Vec<usize> = b.iter().map(|&i| train_idx[i]).collect();
            let (x, y) = data.batch(&idx)?;
            PhaseTimes::add(&mut times.data_ns, t0.elapsed());
            let loss = train_step(
                &mut opt,
                Some(cfg.clip),
                step,
                &mut times,
                &mut last_good,
                || Ok(model.forward(&x)?.cross_entropy(&y, None)?),
            )?;
            step_ms.push(t0.elapsed().as_secs_f64() * 1e3);
            losses.push(loss);
            on_step(step, total, loss);
        }
    }
    model.eval();
    let final_train_loss = {
        let _g = no_grad();
        let (x, y) = data.batch(&train_idx)?;
        model.forward(&x)?.cross_entropy(&y, None)?.data().item()? as f64
    };
    Ok(DigitsReport {
        test_accuracy: accuracy(model, data, &test_idx)?,
        final_train_loss,
        step_ms: crate::step::median_ms(&step_ms),
        steps: step,
        n_train: train_idx.len(),
        n_test: test_idx.len(),
        split: split.into(),
        losses,
        phases: times,
    })
}
