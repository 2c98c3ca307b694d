//! Chapter: train a byte-level BPE tokenizer on the tour's text and see what
//! it learns, and how compression grows with the vocabulary.

use std::time::Instant;

use towel_data::embedded;
use towel_tokenizer::train::BpeTrainer;
use towel_tokenizer::Pattern;

use super::{Chapter, Ctx, Page};
use crate::display::{human_bytes, token_md};
use crate::plot::{LineChart, Series};

pub struct TrainChapter;

/// Vocabulary sizes measured (each is a prefix of the largest run: BPE
/// training is greedy, so the first N merges of a long run are the run for
/// a vocabulary of 256 + N).
const SIZES: [usize; 6] = [256, 384, 512, 1024, 2048, 4096];

impl Chapter for TrainChapter {
    fn id(&self) -> &'static str {
        "bpe-train"
    }

    fn title(&self) -> &'static str {
        "Training a BPE tokenizer"
    }

    fn wants(&self) -> &'static [&'static str] {
        &["tinyshakespeare"]
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()> {
        let (name, text) = match ctx.data("tinyshakespeare").map(String::from_utf8) {
            Some(Ok(t)) => ("tiny shakespeare", t),
            _ => ("the embedded tour text", embedded::TOUR_TEXT.to_string()),
        };
        // Hold out the last 10% (cut at a line break) to measure compression.
        let cut = text[..text.len() * 9 / 10].rfind('\n').map_or(0, |i| i + 1);
        let (train, held) = text.split_at(cut);
        let held = if held.is_empty() { train } else { held };
        page.para(format!(
            "Byte-level BPE starts from the 256 bytes and repeatedly merges the most frequent \
             adjacent pair of tokens into a new token. Text is first split into pieces with \
             GPT-2's pattern, and merges never cross a piece boundary. towel counts each \
             distinct piece once, then keeps pair counts up to date as it merges, so each merge \
             only touches the pieces that contain the pair. Here it trains on {name} \
             ({}, the first 90%) and measures bytes per token on the last 10%.",
            human_bytes(train.len() as u64)
        ));
        let max = *SIZES.last().expect("sizes");
        let t0 = Instant::now();
        let bpe = BpeTrainer::new(max as u32)
            .pattern(Pattern::gpt2())
            .train_texts([train])?;
        let secs = t0.elapsed().as_secs_f64();
        page.say(format!(
            "trained {} tokens on {} of {name} in {:.2} s ({} distinct pieces)",
            bpe.ranks.len(),
            human_bytes(train.len() as u64),
            secs,
            bpe.stats.distinct_pieces
        ));
        page.fact("train_bytes", train.len());
        page.fact("train_seconds", secs);
        page.fact("distinct_pieces", bpe.stats.distinct_pieces);
        page.fact("tokens_learned", bpe.ranks.len());

        page.heading("The first merges");
        let rows: Vec<Vec<String>> = bpe
            .merges
            .iter()
            .take(12)
            .enumerate()
            .map(|(i, m)| {
                vec![
                    (256 + i).to_string(),
                    format!("`{}`", token_md(&bpe.ranks[m.left as usize])),
                    format!("`{}`", token_md(&bpe.ranks[m.right as usize])),
                    format!("`{}`", token_md(&bpe.ranks[m.result as usize])),
                    m.count.to_string(),
                ]
            })
            .collect();
        page.table(&["rank", "left", "right", "new token", "pair count"], &rows);
        page.para("`␣` is a space. The first merges join a space to the letters that most often start a word, and the commonest letter pairs.");

        let mut points = Vec::new();
        let mut rows = Vec::new();
        for &v in SIZES.iter().filter(|&&v| v <= bpe.ranks.len()) {
            let bpt = bpe.bytes_per_token(v, held)?;
            points.push((v as f64, bpt));
            rows.push(vec![v.to_string(), format!("{bpt:.3}")]);
        }
        page.heading("Compression against vocabulary size");
        page.table(&["vocab size", "bytes per token (held out)"], &rows);
        if let Some((_, best)) = points.last() {
            page.say(format!(
                "held-out bytes per token: 1.00 with bytes only, {best:.2} with {} tokens",
                points.last().map_or(0.0, |p| p.0)
            ));
        }
        page.fact("bytes_per_token", &points);
        page.line_plot(
            "compression",
            &LineChart {
                title: format!("BPE compression on held-out {name}"),
                x_label: "vocabulary size".into(),
                y_label: "bytes per token".into(),
                series: vec![Series::new("towel BPE (gpt2 pattern)", points)],
                log_x: true,
            },
        )?;
        page.para(
            "Each doubling of the vocabulary buys less: the common words are learned first, and \
             later tokens cover rarer and rarer strings. `towel bpe train` does the same on your \
             own files and writes tiktoken, HF `tokenizer.json` or towel tokenizer files.",
        );
        Ok(())
    }
}
