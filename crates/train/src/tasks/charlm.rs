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

use super::PREALLOCATED_STEPS;
use std::time::Instant;

use serde::Serialize;
use towel_autograd::array::Array;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::{no_grad, Tensor};

use towel_tokenizer::format;
use towel_tokenizer::CoreBpe;

use crate::checkpoint::{self, Checkpoint};
use crate::error::{invalid, Result, TrainError};
use crate::info;
use crate::layers::{Activation, Embedding, Flatten, Linear, Sequential};
use crate::module::Module;
use crate::optim::Adam;
use crate::sample::next_token;
use crate::step::{median_ms, train_step, LastGood, PhaseTimes};

/// What a model's ids mean: characters (the sorted distinct characters of
/// the training text; a character's id is its index), or the tokens of a
/// byte-level BPE tokenizer (`towel train charlm --tokenizer FILE`).
#[derive(Clone)]
pub enum Vocab {
    /// Sorted, distinct characters.
    Chars(Vec<char>),
    /// A BPE tokenizer, with the file it was read from (kept in checkpoints).
    Tokens(Box<TokenVocab>),
}

/// A BPE tokenizer as a model vocabulary.
#[derive(Clone)]
pub struct TokenVocab {
    bpe: CoreBpe,
    /// The tokenizer file's text (towel or HF JSON).
    source: String,
    /// Bytes of each token.
    token_bytes: Vec<usize>,
}

impl std::fmt::Debug for Vocab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Vocab::Chars(c) => write!(f, "Vocab::Chars({} characters)", c.len()),
            Vocab::Tokens(t) => write!(f, "Vocab::Tokens({} tokens)", t.token_bytes.len()),
        }
    }
}

impl PartialEq for Vocab {
    fn eq(&self, other: &Vocab) -> bool {
        match (self, other) {
            (Vocab::Chars(a), Vocab::Chars(b)) => a == b,
            (Vocab::Tokens(a), Vocab::Tokens(b)) => a.source == b.source,
            _ => false,
        }
    }
}

/// Most ids a vocabulary may have (2^24, 80 times o200k_base's): the
/// model's embedding and output layer have a row per id.
pub const MAX_VOCAB: usize = 1 << 24;

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
        Ok(Vocab::Chars(chars))
    }

    /// A vocabulary from its characters (sorted and distinct).
    pub fn from_chars(chars: Vec<char>) -> Result<Vocab> {
        if chars.len() < 2 || chars.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid(
                "a vocabulary is at least two sorted, distinct characters",
            ));
        }
        Ok(Vocab::Chars(chars))
    }

    /// The tokens of a BPE tokenizer file (towel's JSON or HF
    /// `tokenizer.json`: files that carry their pre-tokenization pattern).
    pub fn from_tokenizer(file: &[u8], origin: &str) -> Result<Vocab> {
        let source = std::str::from_utf8(file)
            .map_err(|_| {
                invalid(format!(
                    "{origin}: not a JSON tokenizer file (towel or HF tokenizer.json)"
                ))
            })?
            .to_string();
        let (_, tf) = format::parse(file, origin).map_err(|e| invalid(format!("{e}")))?;
        if tf.pattern.is_none() {
            return Err(invalid(format!(
                "{origin}: a .tiktoken rank file has no pre-tokenization pattern; convert it to a towel tokenizer file (towel vocab convert)"
            )));
        }
        let bpe = tf.to_bpe().map_err(|e| invalid(format!("{origin}: {e}")))?;
        let n = bpe.n_vocab() as usize;
        if n > MAX_VOCAB {
            // The model has a row per id (embedding and output layer), so
            // the id 4,000,000,000 of one special token meant tables of
            // billions of rows (an allocation of 32 GB that aborted).
            return Err(invalid(format!(
                "{origin}: its ids go up to {}, and a language model has a row per id; at most {MAX_VOCAB} ids are supported",
                n - 1
            )));
        }
        let token_bytes = (0..n as u32)
            .map(|id| bpe.decode_bytes(&[id]).map(|b| b.len()).unwrap_or(0))
            .collect();
        Ok(Vocab::Tokens(Box::new(TokenVocab {
            bpe,
            source,
            token_bytes,
        })))
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        match self {
            Vocab::Chars(c) => c.len(),
            Vocab::Tokens(t) => t.token_bytes.len(),
        }
    }

    /// Whether it is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `"characters"` or `"tokens"`.
    pub fn unit(&self) -> &'static str {
        match self {
            Vocab::Chars(_) => "characters",
            Vocab::Tokens(_) => "tokens",
        }
    }

    /// Ids of a text, or an error naming the first unknown character.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>> {
        match self {
            Vocab::Chars(chars) => text
                .chars()
                .map(|c| {
                    chars.binary_search(&c).map_err(|_| {
                        invalid(format!(
                            "character {c:?} is not in the model's vocabulary of {} characters",
                            chars.len()
                        ))
                    })
                })
                .collect(),
            Vocab::Tokens(t) => Ok(t
                .bpe
                .encode_ordinary(text)
                .into_iter()
                .map(|r| r as usize)
                .collect()),
        }
    }

    /// The text of ids (invalid UTF-8 from partial tokens as U+FFFD).
    pub fn decode(&self, ids: &[usize]) -> String {
        match self {
            Vocab::Chars(chars) => ids.iter().map(|&i| chars[i]).collect(),
            Vocab::Tokens(t) => {
                let ids: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
                let bytes = t.bpe.decode_bytes(&ids).unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            }
        }
    }

    /// UTF-8 bytes of the text of id `i` (for bits per byte).
    pub fn byte_len(&self, i: usize) -> usize {
        match self {
            Vocab::Chars(chars) => chars[i].len_utf8(),
            Vocab::Tokens(t) => t.token_bytes[i],
        }
    }

    fn pad(&self) -> usize {
        self.encode("\n")
            .ok()
            .filter(|v| v.len() == 1)
            .map_or(0, |v| v[0])
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
    /// Cut `text` at 90% of its characters and encode both parts.
    pub fn split(vocab: &Vocab, text: &str) -> Result<Corpus> {
        let n_chars = text.chars().count();
        let cut = (0.9 * n_chars as f64) as usize;
        let at = text.char_indices().nth(cut).map_or(text.len(), |(i, _)| i);
        Ok(Corpus {
            train: vocab.encode(&text[..at])?,
            val: vocab.encode(&text[at..])?,
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
    /// `val_loss / ln 2` (bits per character, or per token with a tokenizer).
    pub val_bits_per_char: f64,
    /// `exp(val_loss)`.
    pub val_perplexity: f64,
    /// Validation bits per byte of text (comparable across vocabularies).
    pub val_bits_per_byte: f64,
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
        let mut losses = Vec::with_capacity(cfg.steps.min(PREALLOCATED_STEPS));
        let mut step_ms = Vec::with_capacity(cfg.steps.min(PREALLOCATED_STEPS));
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
        let val_bytes: usize = corpus.val[c..]
            .iter()
            .map(|&i| self.vocab.byte_len(i))
            .sum();
        let val_windows = corpus.val.len() - c;
        let tail = &losses[losses.len().saturating_sub(100)..];
        Ok(CharLmReport {
            train_loss: tail.iter().map(|&l| l as f64).sum::<f64>() / tail.len().max(1) as f64,
            val_loss,
            val_bits_per_char: info::Unit::Bits.from_nats(val_loss),
            val_perplexity: val_loss.exp(),
            val_bits_per_byte: info::Unit::Bits.from_nats(val_loss) * val_windows as f64
                / val_bytes.max(1) as f64,
            step_ms: median_ms(&step_ms),
            steps: cfg.steps,
            params: self.net.num_parameters(),
            train_windows: n_train,
            val_windows,
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
        let pad = self.vocab.pad();
        let mut ctx = vec![pad; self.context];
        for id in self.vocab.encode(prompt)? {
            ctx.remove(0);
            ctx.push(id);
        }
        let _g = no_grad();
        // Grown as tokens come, not reserved: `n` is the caller's number,
        // and reserving `usize::MAX` ids panics before the first one.
        let mut out = Vec::new();
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
        let vocab = match &self.vocab {
            Vocab::Chars(chars) => (
                "towel.vocab",
                serde_json::to_string(&chars.iter().collect::<String>()).expect("string"),
            ),
            Vocab::Tokens(t) => ("towel.tokenizer", t.source.clone()),
        };
        vec![
            ("towel.task".into(), "charlm".into()),
            (vocab.0.into(), vocab.1),
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
                // Escaped: the value is the file's, and may hold a line break.
                get("towel.task")?.escape_debug()
            )));
        }
        let vocab = match ck.meta("towel.tokenizer") {
            Some(file) => Vocab::from_tokenizer(file.as_bytes(), "the checkpoint's tokenizer")?,
            None => {
                let chars: String = serde_json::from_str(get("towel.vocab")?)
                    .map_err(|e| invalid(format!("bad towel.vocab metadata: {e}")))?;
                Vocab::from_chars(chars.chars().collect())?
            }
        };
        let num = |k: &str| -> Result<usize> {
            get(k)?
                .parse()
                .map_err(|_| invalid(format!("bad {k} metadata: not a number")))
        };
        let (context, embed, hidden) = (
            num("towel.context")?,
            num("towel.embed")?,
            num("towel.hidden")?,
        );
        // The metadata says how big a model to allocate; the tensors, which
        // are already in memory, say how big it really is. Compare first, so
        // that `towel.context=1e12` is a mismatch, not a terabyte allocation.
        let shapes = parameter_shapes(vocab.len(), context, embed, hidden)?;
        check_shapes(&shapes, &ck.tensors)?;
        let m = CharLm::new(vocab, context, embed, hidden, 0)?;
        m.net.load_state_dict(&ck.tensors)?;
        Ok(m)
    }
}

/// The name and shape of each parameter of a model over `vocab` symbols
/// with these sizes, as [`CharLm::new`] builds it (`Sequential` numbers
/// the layers: embedding 0, first linear 2, output linear 4), or an error
/// if the sizes overflow.
fn parameter_shapes(
    vocab: usize,
    context: usize,
    embed: usize,
    hidden: usize,
) -> Result<Vec<(String, Vec<usize>)>> {
    let inputs = context.checked_mul(embed).ok_or_else(|| {
        invalid(format!(
            "bad metadata: towel.context {context} × towel.embed {embed} overflows"
        ))
    })?;
    Ok(vec![
        ("0.weight".into(), vec![vocab, embed]),
        ("2.weight".into(), vec![hidden, inputs]),
        ("2.bias".into(), vec![hidden]),
        ("4.weight".into(), vec![vocab, hidden]),
        ("4.bias".into(), vec![vocab]),
    ])
}

/// [`TrainError::CheckpointMismatch`] naming every parameter of `shapes`
/// that `tensors` lacks or shapes otherwise, and every tensor it has no
/// parameter for: what `load_state_dict` reports, without building the
/// model first.
fn check_shapes(shapes: &[(String, Vec<usize>)], tensors: &[(String, Array)]) -> Result<()> {
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    for (name, shape) in shapes {
        match tensors.iter().find(|(n, _)| n == name) {
            None => missing.push(name.clone()),
            Some((_, a)) if a.shape() != shape.as_slice() => {
                mismatched.push((name.clone(), shape.clone(), a.shape().to_vec()))
            }
            Some(_) => {}
        }
    }
    let unexpected: Vec<String> = tensors
        .iter()
        .filter(|(n, _)| !shapes.iter().any(|(m, _)| m == n))
        .map(|(n, _)| n.clone())
        .collect();
    if missing.is_empty() && unexpected.is_empty() && mismatched.is_empty() {
        return Ok(());
    }
    Err(TrainError::CheckpointMismatch {
        missing,
        unexpected,
        mismatched,
    })
}
