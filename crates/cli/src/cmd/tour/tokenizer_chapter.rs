//! The tour's tokenizer chapter: the tokenizer families side by side.
//!
//! Every tokenizer trades vocabulary size against sequence length and against
//! input it cannot represent. This chapter learns char, word and regex-split
//! vocabularies on the first 90% of a text (tiny shakespeare when it is
//! available, else the embedded tour text), measures them on the held-out
//! 10%, and shows why byte-level tokenizers start from 256 bytes and why
//! GPT-2 pre-tokenizes with its regex. The real byte-level BPE encodings
//! have their own chapter after BPE training (`bpe_chapter`).

use std::time::Instant;

use towel_data::embedded;
use towel_tokenizer::{
    ByteTokenizer, CharTokenizer, Pattern, PieceCounts, RegexSplitTokenizer, Tokenizer, Unknown,
    VocabOptions, WordTokenizer, WORD_PATTERN,
};

use super::{Chapter, Ctx, Page};
use crate::display::{human_bytes, token_md};
use crate::plot::{LineChart, Series};

pub struct TokenizerChapter;

/// Word-vocabulary sizes for the unknown-rate curve (`<UNK>` included).
const SIZES: [usize; 8] = [10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000];

/// One family measured on the held-out text.
struct Row {
    family: String,
    vocab_size: usize,
    tokens: usize,
    unknown: usize,
    exact: bool,
}

impl Row {
    fn measure(t: &dyn Tokenizer, unk: Option<u32>, test: &str) -> anyhow::Result<Row> {
        let ids = t.encode(test)?;
        Ok(Row {
            family: t.name(),
            vocab_size: t.vocab_size(),
            tokens: ids.len(),
            unknown: unk.map_or(0, |u| ids.iter().filter(|&&i| i == u).count()),
            exact: t.decode(&ids)? == test,
        })
    }

    fn per_kb(&self, bytes: usize) -> f64 {
        self.tokens as f64 * 1000.0 / bytes.max(1) as f64
    }

    fn unk_rate(&self) -> f64 {
        self.unknown as f64 / self.tokens.max(1) as f64
    }
}

/// The largest char boundary at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

impl Chapter for TokenizerChapter {
    fn id(&self) -> &'static str {
        "tokenizers"
    }

    fn title(&self) -> &'static str {
        "Tokenizer families"
    }

    fn wants(&self) -> &'static [&'static str] {
        &["tinyshakespeare"]
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()> {
        let start = Instant::now();
        // tiny shakespeare: the reference file, or towel's embedded copy (the same bytes).
        let text = ctx
            .data("tinyshakespeare")
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| embedded::book().to_string());
        let source = if ctx.is_embedded("tinyshakespeare") {
            "tiny shakespeare (towel's embedded copy)"
        } else {
            "tiny shakespeare"
        };
        let split = floor_boundary(&text, text.len() * 9 / 10);
        let (train, test) = text.split_at(split);
        page.para(format!(
            "A tokenizer turns text into integer ids. The four simple families below differ in \
             what one id stands for: a byte, a character, a word, or a GPT pre-tokenization \
             piece. Each learned vocabulary (char, word, regex) is trained on the first 90% of \
             {source} ({}) and measured on the held-out last 10% ({}): how many ids the \
             vocabulary has, how many tokens 1000 bytes of text become, and how often a token \
             is `<UNK>` because the training text never showed it.",
            human_bytes(train.len() as u64),
            human_bytes(test.len() as u64)
        ));
        page.fact("source", source);
        page.fact("train_bytes", train.len());
        page.fact("test_bytes", test.len());

        // Learn the vocabularies.
        let chars = CharTokenizer::from_corpus(train, Unknown::Unk)?;
        let word_counts = WordTokenizer::count_corpus(train);
        let words = WordTokenizer::from_counts(&word_counts, VocabOptions::default())?;
        let patterns = [Pattern::gpt2(), Pattern::cl100k(), Pattern::o200k()];
        let mut regex_counts: Vec<PieceCounts> = Vec::new();
        let mut regexes = Vec::new();
        for p in &patterns {
            let counts = RegexSplitTokenizer::count_corpus(p, train)?;
            regexes.push(RegexSplitTokenizer::from_counts(
                p.clone(),
                &counts,
                VocabOptions::default(),
            )?);
            regex_counts.push(counts);
        }

        // Measure them.
        let mut rows = vec![
            Row::measure(&ByteTokenizer, None, test)?,
            Row::measure(&chars, chars.unk_id(), test)?,
            Row::measure(&words, Some(words.unk_id()), test)?,
        ];
        for r in &regexes {
            rows.push(Row::measure(r, Some(r.unk_id()), test)?);
        }
        // The real byte-level BPE encodings (embedded gpt2 and cl100k_base; o200k_base when its file is here).
        let encodings = ctx.encodings();
        for e in &encodings {
            rows.push(Row::measure(*e, None, test)?);
        }
        page.table(
            &[
                "family",
                "vocab size",
                "held-out tokens",
                "tokens / 1000 bytes",
                "unknown rate",
                "decodes to the text",
            ],
            &rows
                .iter()
                .map(|r| {
                    vec![
                        format!("`{}`", r.family),
                        r.vocab_size.to_string(),
                        r.tokens.to_string(),
                        format!("{:.1}", r.per_kb(test.len())),
                        pct(r.unk_rate()),
                        if r.exact { "yes" } else { "no" }.to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        // The ratios the prose states, from the rows above.
        let per_kb = |prefix: &str| {
            rows.iter()
                .find(|r| r.family.starts_with(prefix))
                .map_or(f64::NAN, |r| r.per_kb(test.len()))
        };
        let (bytes_kb, char_kb, word_kb, piece_kb) = (
            per_kb("bytes"),
            per_kb("char"),
            per_kb("word"),
            per_kb("regex gpt2"),
        );
        page.para(format!(
            "Bytes never meet an unknown input and decode exactly, at one token per byte. \
             Characters take {:.2} tokens per byte here (this text is ASCII) and fail only on \
             characters the training text lacked. Words need {:.1} times fewer tokens than bytes, \
             but every unseen word is `<UNK>` and decoding cannot restore the spacing. GPT-2's \
             pieces need {:.2} times as many tokens as words and keep the spaces, so they decode \
             exactly wherever nothing is unknown (here the unseen pieces make every learned \
             vocabulary lossy). Byte-pair encoding removes `<UNK>` altogether by building its \
             pieces out of the 256 bytes.",
            char_kb / bytes_kb,
            bytes_kb / word_kb,
            piece_kb / word_kb,
        ));
        page.fact("bytes_per_word_token_ratio", bytes_kb / word_kb);
        if !encodings.is_empty() {
            page.para(format!(
                "The byte-level BPE rows ({}) are the real encodings of GPT models, trained on \
                 far more text than this one (a later chapter looks inside them): their \
                 vocabularies are large, yet nothing is ever unknown and every text decodes \
                 exactly, at a fraction of the bytes' and characters' tokens per 1000 bytes. \
                 Words look shorter only because they pay with `<UNK>`.",
                encodings
                    .iter()
                    .map(|e| format!("`{}`", e.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let bars: Vec<(String, f64)> = rows
            .iter()
            .map(|r| {
                let label = r.family.split(" (").next().unwrap_or(&r.family).to_string();
                (label, r.per_kb(test.len()))
            })
            .collect();
        page.bar_plot(
            "tokens-per-kb",
            "Held-out tokens per 1000 bytes",
            "tokens per 1000 bytes",
            &bars,
        )?;
        for r in &rows {
            page.say(format!(
                "{:<36} vocab {:>6}  {:>6.1} tokens/KB  unknown {}",
                r.family,
                r.vocab_size,
                r.per_kb(test.len()),
                pct(r.unk_rate())
            ));
        }
        page.fact(
            "families",
            rows.iter()
                .map(|r| {
                    serde_json::json!({
                        "family": r.family,
                        "vocab_size": r.vocab_size,
                        "tokens": r.tokens,
                        "tokens_per_1000_bytes": r.per_kb(test.len()),
                        "unknown_rate": r.unk_rate(),
                        "exact": r.exact,
                    })
                })
                .collect::<Vec<_>>(),
        );
        page.fact("char_vocab_size", chars.chars().len());

        self.unknown_curve(page, &word_counts, &regex_counts[0], test)?;
        self.emoji_section(page, &words)?;
        self.regex_section(page)?;
        page.fact("seconds_measured", start.elapsed().as_secs_f64());
        Ok(())
    }
}

impl TokenizerChapter {
    /// Unknown rate on the held-out text as the vocabulary grows.
    fn unknown_curve(
        &self,
        page: &mut Page,
        word_counts: &PieceCounts,
        gpt2_counts: &PieceCounts,
        test: &str,
    ) -> anyhow::Result<()> {
        page.heading("Unknown rate against vocabulary size");
        let mut word_pts = Vec::new();
        let mut regex_pts = Vec::new();
        let mut rows = Vec::new();
        for &m in &SIZES {
            let opts = VocabOptions {
                min_count: 1,
                max_size: Some(m),
            };
            let w = WordTokenizer::from_counts(word_counts, opts)?;
            let rw = Row::measure(&w, Some(w.unk_id()), test)?;
            let r = RegexSplitTokenizer::from_counts(Pattern::gpt2(), gpt2_counts, opts)?;
            let rr = Row::measure(&r, Some(r.unk_id()), test)?;
            word_pts.push((rw.vocab_size as f64, 100.0 * rw.unk_rate()));
            regex_pts.push((rr.vocab_size as f64, 100.0 * rr.unk_rate()));
            rows.push(vec![
                m.to_string(),
                rw.vocab_size.to_string(),
                pct(rw.unk_rate()),
                rr.vocab_size.to_string(),
                pct(rr.unk_rate()),
            ]);
            if rw.vocab_size < m && rr.vocab_size < m {
                break; // both vocabularies hold every training piece already
            }
        }
        page.para(
            "The word and GPT-2-piece vocabularies keep the most frequent training pieces up \
             to a size limit. A small vocabulary covers the common words; the long tail of \
             names and rare forms stays unknown however large it grows, because the held-out \
             text has words the training text never used.",
        );
        page.table(
            &[
                "max size",
                "word vocab size",
                "word unknown rate",
                "GPT-2 piece vocab size",
                "GPT-2 piece unknown rate",
            ],
            &rows,
        );
        page.line_plot(
            "unknown-rate",
            &LineChart {
                title: "Held-out unknown rate vs vocabulary size".into(),
                x_label: "vocabulary size (<UNK> included)".into(),
                y_label: "unknown tokens (%)".into(),
                series: vec![
                    Series::new("word", word_pts.clone()),
                    Series::new("GPT-2 pieces", regex_pts),
                ],
                log_x: true,
            },
        )?;
        page.fact("word_unknown_rate_by_size", word_pts);
        Ok(())
    }

    /// An emoji through the word tokenizer and through bytes.
    fn emoji_section(&self, page: &mut Page, words: &WordTokenizer) -> anyhow::Result<()> {
        page.heading("An emoji: `<UNK>` for words, four bytes for the byte tokenizer");
        let text = "I love 🦀 and 🎉!";
        let mut rows = Vec::new();
        let mut facts = serde_json::Map::new();
        let families: [(&str, &dyn Tokenizer); 2] = [("word", words), ("bytes", &ByteTokenizer)];
        for (name, t) in families {
            let ids = t.encode(text)?;
            let pieces: Vec<String> = ids
                .iter()
                .map(|&id| t.token_bytes(id).map(|b| format!("`{}`", token_md(&b))))
                .collect::<Result<_, _>>()?;
            let decoded = t.decode(&ids)?;
            rows.push(vec![
                name.to_string(),
                ids.len().to_string(),
                pieces.join(" "),
                format!("`{decoded}`"),
                if decoded == text { "yes" } else { "no" }.to_string(),
            ]);
            facts.insert(name.into(), serde_json::json!(ids));
        }
        page.table(&["family", "tokens", "pieces", "decoded", "exact"], &rows);
        // Which word pieces are unknown, from the ids themselves.
        let unk = words.unk_id();
        let word_ids = words.encode(text)?;
        let pieces: Vec<&str> = towel_tokenizer::Pattern::new(WORD_PATTERN)?
            .pieces(text)
            .collect::<Result<_, _>>()?;
        let unknown: Vec<String> = pieces
            .iter()
            .zip(&word_ids)
            .filter(|(_, &id)| id == unk)
            .map(|(p, _)| format!("`{p}`"))
            .collect();
        page.para(format!(
            "The word tokenizer maps {} to `<UNK>`: {}, so they are lost. The byte tokenizer \
             writes 🦀 (U+1F980) as its four UTF-8 bytes F0 9F A6 80 and gets it back exactly. \
             Because a byte has 256 values and every string is bytes, a vocabulary holding the \
             256 single bytes can never meet an unknown input; byte-level BPE starts from those \
             256 tokens and adds merges on top (the BPE chapter shows how GPT-2 numbers them).",
            if unknown.is_empty() {
                "no piece".to_string()
            } else {
                unknown.join(" and ")
            },
            match unknown.len() {
                0 => "everything was seen in training".to_string(),
                1 => "the training text never had it".to_string(),
                n => format!("{n} pieces the training text never had, all the same id"),
            }
        ));
        page.fact("emoji_word_unknown", &unknown);
        page.fact("emoji_ids", facts);
        Ok(())
    }

    /// Why GPT-2's regex and not `\w+`.
    fn regex_section(&self, page: &mut Page) -> anyhow::Result<()> {
        page.heading("Why GPT-2's regex and not \\w+");
        let text = "Hello  world, don't panic! It's 2024.";
        let mut rows = Vec::new();
        let mut lossless = Vec::new();
        for (name, p) in [
            ("`\\w+`".to_string(), Pattern::new(r"\w+")?),
            (format!("`{WORD_PATTERN}`"), Pattern::new(WORD_PATTERN)?),
            ("GPT-2".to_string(), Pattern::gpt2()),
        ] {
            let pieces: Vec<&str> = p.pieces(text).collect::<Result<_, _>>()?;
            let exact = pieces.concat() == text;
            lossless.push(exact);
            rows.push(vec![
                name,
                pieces.len().to_string(),
                pieces
                    .iter()
                    .map(|s| format!("`{}`", s.replace(' ', "␠")))
                    .collect::<Vec<_>>()
                    .join(" "),
                if exact { "yes" } else { "no" }.to_string(),
            ]);
        }
        page.para(format!("The pieces of `{text}` (␠ marks a space):"));
        page.table(
            &["pattern", "count", "pieces", "concatenate to the text"],
            &rows,
        );
        page.para(
            "`\\w+` keeps only the words: spaces, commas and apostrophes fall between matches \
             and are gone. Adding punctuation keeps the marks but still drops the whitespace. \
             GPT-2's pattern gives every character to exactly one piece and attaches a space to \
             the word after it (`␠world`), so the pieces rebuild the text exactly and `world` \
             and `␠world` can be different tokens. Contractions (`'t`, `'s`) become pieces of \
             their own, shared by every word they follow, and letters, digits and punctuation \
             never share a piece, so merges learn `␠world` once instead of `world,`, `world!` \
             and `world.` separately.",
        );
        page.fact("regex_lossless", lossless);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_boundary_never_splits_a_char() {
        let s = "aé🦀";
        for i in 0..=s.len() {
            assert!(s.is_char_boundary(floor_boundary(s, i)));
        }
        assert_eq!(floor_boundary(s, 2), 1);
    }
}
