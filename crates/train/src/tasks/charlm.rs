//! A character-level language model in the style of Bengio et al. (2003)
//! and Karpathy's makemore: the previous `context` characters are
//! embedded, concatenated and passed through one tanh hidden layer to
//! logits over the vocabulary.
//!
//! Defaults are the benchmark's (`bench/train.py`,
//! `/work/shared/peers/train_torch.py`): vocabulary = the sorted distinct
//! characters of the text, first 90% of the text for training and the
//! last 10% for validation, context 8, `Embedding(V, 24)`, flatten to 192,
//! `Linear(192, 256)`, tanh, `Linear(256, V)`, batches of 128 random
//! windows, AdamW (lr 1e-3, weight decay 0.01), clipping at 1.0, 2,000
//! steps. The validation loss is the mean cross-entropy over *every*
//! validation window (nats per character); bits per character is that
//! divided by ln 2, perplexity is its exponential.

use std::time::Instant;

use serde::Serialize;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::{no_grad, Tensor};

use crate::checkpoint::{self, Checkpoint};
use crate::error::{invalid, Result};
use crate::info;
use crate::layers::{Activation, Embedding, Flatten, Linear, Sequential};
use crate::module::Module;
use crate::optim::Adam;
use crate::sample::next_token;
use crate::step::{median_ms, train_step, LastGood, PhaseTimes};

/// The characters a model knows, sorted; a character's id is its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
}

impl Vocab {
    /// The sorted distinct characters of `text`.
    pub fn of_text(text: &str) -> Result<Vocab> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.len() < 2 {
            return Err(invalid(
                "the text needs at least two distinct characters to model",
            ));
        }
        Ok(Vocab { chars })
    }

    /// A vocabulary from its characters (sorted and distinct).
    pub fn from_chars(chars: Vec<char>) -> Result<Vocab> {
        if chars.len() < 2 || chars.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid(
                "a vocabulary is at least two sorted, distinct characters",
            ));
        }
        Ok(Vocab { chars })
    }

    /// Number of characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether it is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The characters.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of `c`.
    pub fn id(&self, c: char) -> Option<usize> {
        self.chars.binary_search(&c).ok()
    }

    /// Ids of a text, or an error naming the first unknown character.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>> {
        text.chars()
            .map(|c| {
                self.id(c).ok_or_else(|| {
                    invalid(format!(
                        "character {c:?} is not in the model's vocabulary of {} characters",
                        self.len()
                    ))
                })
            })
            .collect()
    }

    /// The text of ids.
    pub fn decode(&self, ids: &[usize]) -> String {
        ids.iter().map(|&i| self.chars[i]).collect()
    }
}

/// Model sizes and training settings (defaults: the benchmark's).
#[derive(Debug, Clone, Serialize)]
pub struct CharLmConfig {
    /// Characters of context.
    pub context: usize,
    /// Embedding size per character.
    pub embed: usize,
    /// Hidden units.
    pub hidden: usize,
    /// Windows per step.
    pub batch: usize,
    /// Training steps.
    pub steps: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW (decoupled) weight decay.
    pub weight_decay: f64,
    /// Maximum gradient norm.
    pub clip: f32,
    /// Seeds the initialization and the batches.
    pub seed: u64,
}

impl Default for CharLmConfig {
    fn default() -> Self {
        CharLmConfig {
            context: 8,
            embed: 24,
            hidden: 256,
            batch: 128,
            steps: 2000,
            lr: 1e-3,
            weight_decay: 0.01,
            clip: 1.0,
            seed: 0,
        }
    }
}

/// A character model: vocabulary, sizes and the network.
pub struct CharLm {
    /// The characters.
    pub vocab: Vocab,
    /// Characters of context.
    pub context: usize,
    /// Embedding size.
    pub embed: usize,
    /// Hidden units.
    pub hidden: usize,
    /// `Embedding(V, e)`, `Flatten`, `Linear(c·e, h)`, `Tanh`, `Linear(h, V)`.
    pub net: Sequential,
}

/// The train/validation token streams of a text.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Ids of the first 90%.
    pub train: Vec<usize>,
    /// Ids of the last 10%.
    pub val: Vec<usize>,
}

impl Corpus {
    /// Encode `text` and cut it at 90% (of characters).
    pub fn split(vocab: &Vocab, text: &str) -> Result<Corpus> {
        let ids = vocab.encode(text)?;
        let n = (0.9 * ids.len() as f64) as usize;
        Ok(Corpus {
            train: ids[..n].to_vec(),
            val: ids[n..].to_vec(),
        })
    }
}

/// What a training run measured.
#[derive(Debug, Clone, Serialize)]
pub struct CharLmReport {
    /// Mean batch loss over the last 100 steps.
    pub train_loss: f64,
    /// Mean cross-entropy over every validation window (nats/char).
    pub val_loss: f64,
    /// `val_loss / ln 2`.
    pub val_bits_per_char: f64,
    /// `exp(val_loss)`.
    pub val_perplexity: f64,
    /// Median time of one training step (ms).
    pub step_ms: f64,
    /// Steps taken.
    pub steps: usize,
    /// Number of parameters.
    pub params: usize,
    /// Training windows.
    pub train_windows: usize,
    /// Validation windows.
    pub val_windows: usize,
    /// Each step's batch loss.
    #[serde(skip)]
    pub losses: Vec<f32>,
    /// Time per phase, summed.
    pub phases: PhaseTimes,
}

impl CharLm {
    /// A fresh model over `vocab`, initialized from `seed`.
    pub fn new(
        vocab: Vocab,
        context: usize,
        embed: usize,
        hidden: usize,
        seed: u64,
    ) -> Result<CharLm> {
        if context == 0 || embed == 0 || hidden == 0 {
            return Err(invalid(
                "context, embedding and hidden sizes must be at least 1",
            ));
        }
        let mut rng = Rng::new(seed);
        let v = vocab.len();
        let net = Sequential::new()
            .push(Embedding::new(v, embed, &mut rng))
            .push(Flatten)
            .push(Linear::new(context * embed, hidden, true, &mut rng))
            .push(Activation::Tanh)
            .push(Linear::new(hidden, v, true, &mut rng));
        Ok(CharLm {
            vocab,
            context,
            embed,
            hidden,
            net,
        })
    }

    /// Logits `[n, V]` for `n` contexts given as `n·context` ids.
    pub fn logits(&self, ctx_ids: &[usize]) -> Result<Tensor> {
        let n = ctx_ids.len() / self.context;
        let mut h = self.embedding().lookup(ctx_ids, &[n, self.context])?;
        for l in &self.net.layers()[1..] {
            h = l.forward(&h)?;
        }
        Ok(h)
    }

    fn embedding(&self) -> Embedding {
        let (_, w) = &self.net.named_parameters()[0];
        Embedding { weight: w.clone() }
    }

    /// The windows of `ids` starting at `starts`: the contexts
    /// (`starts.len() · context` ids) and the next characters (targets).
    pub fn windows(&self, ids: &[usize], starts: &[usize]) -> (Vec<usize>, Vec<i64>) {
        let c = self.context;
        let mut x = Vec::with_capacity(starts.len() * c);
        let mut y = Vec::with_capacity(starts.len());
        for &s in starts {
            x.extend_from_slice(&ids[s..s + c]);
            y.push(ids[s + c] as i64);
        }
        (x, y)
    }

    /// Mean cross-entropy (nats) over every window of `ids`.
    pub fn mean_loss(&self, ids: &[usize]) -> Result<f64> {
        let n = ids.len().saturating_sub(self.context);
        if n == 0 {
            return Err(invalid(format!(
                "the validation text is shorter than the context ({} characters)",
                self.context + 1
            )));
        }
        let _g = no_grad();
        let mut total = 0.0;
        let starts: Vec<usize> = (0..n).collect();
        for chunk in starts.chunks(8192) {
            let (x, y) = self.windows(ids, chunk);
            let l = self.logits(&x)?.cross_entropy(&y, None)?.data().item()?;
            total += l as f64 * chunk.len() as f64;
        }
        Ok(total / n as f64)
    }

    /// Train on `corpus` with `cfg`, calling `on_step(step, total, loss)`
    /// after each step.
    pub fn train(
        &self,
        corpus: &Corpus,
        cfg: &CharLmConfig,
        on_step: &mut dyn FnMut(usize, usize, f32),
    ) -> Result<CharLmReport> {
        let c = self.context;
        let n_train = corpus.train.len().saturating_sub(c);
        if n_train == 0 {
            return Err(invalid(format!(
                "the training text is shorter than the context ({} characters)",
                c + 1
            )));
        }
        if cfg.batch == 0 {
            return Err(invalid("the batch size must be at least 1"));
        }
        let mut rng = Rng::new(cfg.seed ^ 0xBA7C4);
        let mut opt = Adam::adamw(self.net.parameters(), cfg.lr).weight_decay(cfg.weight_decay);
        let mut times = PhaseTimes::default();
        let mut last_good = LastGood::default();
        let mut losses = Vec::with_capacity(cfg.steps);
        let mut step_ms = Vec::with_capacity(cfg.steps);
        self.net.train();
        for step in 1..=cfg.steps {
            let t0 = Instant::now();
            let starts: Vec<usize> = (0..cfg.batch).map(|_| rng.below(n_train)).collect();
            let (x, y) = self.windows(&corpus.train, &starts);
            PhaseTimes::add(&mut times.data_ns, t0.elapsed());
            let loss = train_step(
                &mut opt,
                Some(cfg.clip),
                step,
                &mut times,
                &mut last_good,
                || Ok(self.logits(&x)?.cross_entropy(&y, None)?),
            )?;
            step_ms.push(t0.elapsed().as_secs_f64() * 1e3);
            losses.push(loss);
            on_step(step, cfg.steps, loss);
        }
        self.net.eval();
        let val_loss = self.mean_loss(&corpus.val)?;
        let tail = &losses[losses.len().saturating_sub(100)..];
        Ok(CharLmReport {
            train_loss: tail.iter().map(|&l| l as f64).sum::<f64>() / tail.len().max(1) as f64,
            val_loss,
            val_bits_per_char: info::Unit::Bits.from_nats(val_loss),
            val_perplexity: val_loss.exp(),
            step_ms: median_ms(&step_ms),
            steps: cfg.steps,
            params: self.net.num_parameters(),
            train_windows: n_train,
            val_windows: corpus.val.len().saturating_sub(c),
            losses,
            phases: times,
        })
    }

    /// `n` characters continuing `prompt` (its last `context` characters;
    /// a shorter prompt is left-padded with the vocabulary's newline, or
    /// its first character), drawn at `temperature` from the `top_k` most
    /// likely.
    pub fn sample(
        &self,
        prompt: &str,
        n: usize,
        temperature: f64,
        top_k: Option<usize>,
        rng: &mut Rng,
    ) -> Result<String> {
        let pad = self.vocab.id('\n').unwrap_or(0);
        let mut ctx = vec![pad; self.context];
        for id in self.vocab.encode(prompt)? {
            ctx.remove(0);
            ctx.push(id);
        }
        let _g = no_grad();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let logits = self.logits(&ctx)?.to_vec();
            let id = next_token(&logits, temperature, top_k, rng)?;
            out.push(id);
            ctx.remove(0);
            ctx.push(id);
        }
        Ok(self.vocab.decode(&out))
    }

    /// The data's character distribution `p` (of `ids`) and the model's
    /// average predicted distribution `q` over the windows of `ids`: the
    /// pair on which the tour shows H(p, q) = H(p) + D(p‖q).
    pub fn unigram_vs_model(&self, ids: &[usize]) -> Result<(Vec<f64>, Vec<f64>)> {
        let v = self.vocab.len();
        let n = ids.len().saturating_sub(self.context);
        if n == 0 {
            return Err(invalid("the text is shorter than the context"));
        }
        let mut counts = vec![0u64; v];
        for &i in &ids[self.context..] {
            counts[i] += 1;
        }
        let p = info::from_counts(&counts)?;
        let _g = no_grad();
        let mut q = vec![0f64; v];
        let starts: Vec<usize> = (0..n).collect();
        for chunk in starts.chunks(8192) {
            let (x, _) = self.windows(ids, chunk);
            let probs = self.logits(&x)?.softmax(-1)?.to_vec();
            for row in probs.chunks(v) {
                for (a, &b) in q.iter_mut().zip(row) {
                    *a += b as f64;
                }
            }
        }
        let s: f64 = q.iter().sum();
        q.iter_mut().for_each(|x| *x /= s);
        Ok((p, q))
    }

    /// Metadata to rebuild this model from a checkpoint.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let vocab: String = self.vocab.chars.iter().collect();
        vec![
            ("towel.task".into(), "charlm".into()),
            (
                "towel.vocab".into(),
                serde_json::to_string(&vocab).expect("string"),
            ),
            ("towel.context".into(), self.context.to_string()),
            ("towel.embed".into(), self.embed.to_string()),
            ("towel.hidden".into(), self.hidden.to_string()),
        ]
    }

    /// The checkpoint bytes (safetensors with [`CharLm::metadata`]),
    /// plus any `extra` metadata.
    pub fn to_bytes(&self, extra: &[(String, String)]) -> Result<Vec<u8>> {
        let mut meta = self.metadata();
        meta.extend_from_slice(extra);
        checkpoint::to_bytes(&self.net.state_dict(), &meta)
    }

    /// Rebuild a model from a checkpoint written by [`CharLm::to_bytes`].
    pub fn from_checkpoint(ck: &Checkpoint) -> Result<CharLm> {
        let get = |k: &str| {
            ck.meta(k).ok_or_else(|| {
                invalid(format!(
                    "the checkpoint has no `{k}` metadata: it was not written by `towel train charlm`"
                ))
            })
        };
        if get("towel.task")? != "charlm" {
            return Err(invalid(format!(
                "the checkpoint is a `{}` model, not a character language model",
                get("towel.task")?
            )));
        }
        let vocab: String = serde_json::from_str(get("towel.vocab")?)
            .map_err(|e| invalid(format!("bad towel.vocab metadata: {e}")))?;
        let num = |k: &str| -> Result<usize> {
            get(k)?
                .parse()
                .map_err(|_| invalid(format!("bad {k} metadata: not a number")))
        };
        let m = CharLm::new(
            Vocab::from_chars(vocab.chars().collect())?,
            num("towel.context")?,
            num("towel.embed")?,
            num("towel.hidden")?,
            0,
        )?;
        m.net.load_state_dict(&ck.tensors)?;
        Ok(m)
    }
}
