//! # towel-tokenizer
//!
//! Text to integer ids and back: the first step of every language model.
//!
//! - [`pretok`]: regex pre-tokenization, the split of text into pieces that
//!   byte-pair merges never cross (GPT-2's, cl100k's and o200k's patterns on
//!   dedicated scanners, or your own regex).
//! - [`Tokenizer`]: the one interface of every tokenizer (encode, decode to
//!   bytes, strict and lossy text decoding, vocabulary size, token bytes).
//! - [`train`]: byte-level BPE training (faster than HF tokenizers'
//!   BpeTrainer), with export to tiktoken, HF `tokenizer.json` and towel
//!   tokenizer files.
//! - [`bpe`]: the byte-level BPE encoder [`CoreBpe`], the same ids as
//!   OpenAI's tiktoken, faster.
//! - [`bpe_tokenizer`]: [`CoreBpe`] and [`Encoding`] as [`Tokenizer`]s, next
//!   to the simple families.
//! - [`encodings`]: tiktoken's named encodings (gpt2, r50k_base, p50k_base,
//!   p50k_edit, cl100k_base, o200k_base, o200k_harmony), built from their ranks; loading
//!   them from the verified vocabulary files is a thin layer above
//!   (`load.rs`, [`Encoding::load`]).
//! - [`vocab`]: [`Ranks`], a vocabulary in memory.
//! - [`format`](mod@format): every tokenizer file format (towel's JSON, `.tiktoken`,
//!   GPT-2's `encoder.json` + `vocab.bpe`, HF `tokenizer.json`): detect,
//!   read into one [`TokenizerFile`], write; line-numbered errors.
//! - [`PieceCounts`]: how often each piece of a corpus occurs (training and
//!   the word and regex families).
//! - [`escape_bytes`]: the one way token bytes are shown to people.
//! - [`families`]: the simple tokenizer families, for teaching and comparison.
//!
//! ## The simple families
//!
//! Four tokenizers that show, side by side, the trade-off every tokenizer
//! makes between vocabulary size, sequence length and unknown input
//! (`towel tour --only tokenizers` measures them on real text):
//!
//! | family | unit | vocabulary | unknown input |
//! | --- | --- | --- | --- |
//! | [`ByteTokenizer`] | one UTF-8 byte | exactly 256 | impossible |
//! | [`CharTokenizer`] | one character | the corpus's characters (65 on tiny shakespeare) | error or `<UNK>` |
//! | [`WordTokenizer`] | a word or punctuation run (`\w+\|[^\w\s]+`) | frequent corpus words | `<UNK>` |
//! | [`RegexSplitTokenizer`] | a GPT pre-tokenization piece (`" world"`) | frequent corpus pieces | `<UNK>` |
//!
//! ```
//! use towel_tokenizer::{ByteTokenizer, Tokenizer, VocabOptions, WordTokenizer};
//! let corpus = "the cat sat on the mat";
//! let words = WordTokenizer::from_corpus(corpus, VocabOptions::default())?;
//! // An emoji was never seen: the word tokenizer can only say <UNK> ...
//! assert_eq!(words.decode(&words.encode("the 🦀 sat")?)?, "the <UNK> sat");
//! // ... while the byte tokenizer spells it out in 4 bytes and gets it back.
//! let ids = ByteTokenizer.encode("🦀")?;
//! assert_eq!(ids.len(), 4);
//! assert_eq!(ByteTokenizer.decode(&ids)?, "🦀");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```
//!
//! [`build_family`] picks one by name (for the CLI), and the learned
//! vocabularies save to and load from a small JSON file (written atomically).
//!
//! ## How byte-level BPE works
//!
//! A vocabulary ranks byte strings; the 256 single bytes are always in it,
//! so any text can be encoded. To encode, the text is first cut into pieces
//! by a regex (words with their leading space, numbers, punctuation runs,
//! whitespace). Each piece starts as its bytes; then, again and again, the
//! adjacent pair whose concatenation has the lowest rank is merged, until no
//! adjacent pair is in the vocabulary. The ranks of what is left are the ids.
//! Special tokens such as `<|endoftext|>` are matched before all that, and
//! only when the caller allows them.
//!
//! A tiny vocabulary, made by hand:
//!
//! ```
//! use towel_tokenizer::{CoreBpe, Pattern, vocab::Ranks};
//! let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
//! for t in ["lo", "low", "er", " low", "es", "est"] {
//!     tokens.push(t.as_bytes().to_vec()); // ranks 256, 257, ...
//! }
//! let bpe = CoreBpe::new(&Ranks::from_dense(tokens, "hand-made")?, [], Pattern::gpt2())?;
//! let ids = bpe.encode_ordinary("lower lowest");
//! assert_eq!(ids, vec![257, 258, 259, 261]); // "low" "er" " low" "est"
//! assert_eq!(bpe.decode(&ids)?, "lower lowest");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```
//!
//! A real one, cl100k_base (GPT-4), from the data folders:
//!
//! ```no_run
//! use towel_tokenizer::{AllowedSpecial, DisallowedSpecial, Encoding};
//! let enc = Encoding::load("cl100k_base", &towel_data::DataDirs::from_env())?;
//! assert_eq!(enc.encode_ordinary("hello world"), vec![15339, 1917]);
//! let ids = enc.encode("hi<|endoftext|>", &AllowedSpecial::All, &DisallowedSpecial::All)?;
//! assert_eq!(ids, vec![6151, 100257]);
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```
//!
//! ## Dependencies
//!
//! - `fancy-regex`: the regex engine tiktoken uses, with the look-ahead and
//!   possessive quantifiers that GPT patterns need (user-supplied patterns,
//!   and the reference the scanners are tested against).
//! - `regex-syntax`: the parser behind fancy-regex and `regex`; the
//!   scanners' Unicode class tables come from it, so they agree with
//!   fancy-regex on every code point by construction.
//! - `regex`: linear-time matching for the word split (no look-around needed).
//! - `rustc-hash`: FxHash, the fastest hash for short keys (vocabulary byte
//!   strings, the trainer's pieces and packed `u32` pairs).
//! - `aho-corasick`: finds all special tokens in one pass over the text.
//! - `base64`: the token encoding of `.tiktoken` files and towel files.
//! - `rayon`: batch encoding and corpus counting on all cores.
//! - `serde` / `serde_json`: tokenizer and vocabulary files, GPT-2's `encoder.json`.
//! - `towel-data`: finds and sha256-checks the vocabulary files; atomic writes.
//! - `thiserror`: typed errors whose messages say what to do.
//!
//! Written by hand, because they are where the time goes (see the tables in
//! the README and `bench/tokenizer_encode.py`): the pre-tokenization scanners
//! (`pretok/scan.rs`, with ASCII fast paths that test eight bytes at once),
//! the lookup tables (`bpe/table.rs`: open addressing on packed keys, and
//! rank pairs packed three to a `u64`), the per-call piece cache
//! (`bpe/cache.rs`), the merge loops (`bpe/apply.rs`) and the linear-time
//! search for long pieces with its double-array trie (`bpe/backtrack.rs`).
//! A general hash map or trie crate would cost a pointer chase or a
//! variable-length hash per lookup.

#![forbid(unsafe_code)]

pub mod bpe;
pub mod bpe_tokenizer;
pub mod count;
pub mod display;
pub mod encodings;
pub mod error;
pub mod families;
pub mod format;
mod load;
pub mod pretok;
pub mod tokenizer;
pub mod train;
pub mod vocab;

pub use bpe::{map_in_order, AllowedSpecial, CoreBpe, DisallowedSpecial};
pub use count::PieceCounts;
pub use display::escape_bytes;
pub use encodings::{Encoding, EncodingName};
pub use error::TokenizerError;
pub use families::bytes::ByteTokenizer;
pub use families::char::{CharTokenizer, Unknown};
pub use families::family::{build_family, Family, FamilyOptions, FamilyTokenizer};
pub use families::regex_split::RegexSplitTokenizer;
pub use families::word::{WordTokenizer, WORD_PATTERN};
pub use families::{VocabOptions, UNK};
pub use format::{Format, TokenizerFile};
pub use pretok::{Builtin, Pattern};
pub use tokenizer::{utf8_input, Tokenizer};
pub use vocab::{Rank, Ranks};
