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
        // tiny shakespeare: the reference file, or the embedded copy (the same bytes).
        let text = match ctx.data("tinyshakespeare").map(String::from_utf8) {
            Some(Ok(t)) => t,
            _ => embedded::book().to_string(),
        };
        let name = "tiny shakespeare";
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
        let first: Vec<String> = bpe
            .merges
            .iter()
            .take(4)
            .map(|m| format!("`{}`", token_md(&bpe.ranks[m.result as usize])))
            .collect();
        let word = bpe
            .merges
            .iter()
            .position(|m| bpe.ranks[m.result as usize].len() >= 4)
            .map(|i| (256 + i, token_md(&bpe.ranks[bpe.merges[i].result as usize])));
        page.para(format!(
            "`␠` is a space. The first new tokens are {}: a space with the letter that starts \
             the most words, and letter pairs that often stand together.{}",
            first.join(", "),
            word.map_or(String::new(), |(rank, w)| format!(
                " The first token of four or more bytes, `{w}`, is rank {rank}."
            ))
        ));

        let mut points = Vec::new();
        let mut rows = Vec::new();
        for &v in SIZES.iter().filter(|&&v| v <= bpe.ranks.len()) {
            let bpt = bpe.bytes_per_token(v, held)?;
            points.push((v as f64, bpt));
            rows.push(vec![v.to_string(), format!("{bpt:.3}"), String::new()]);
        }
        // The gain per added token between consecutive sizes.
        for (i, w) in points.windows(2).enumerate() {
            let gain = (w[1].1 - w[0].1) / (w[1].0 - w[0].0);
            rows[i + 1][2] = format!("{:.2}", gain * 1000.0);
        }
        // The real encodings on the same held-out text.
        let mut real = Vec::new();
        for e in ctx.encodings() {
            let n = e.encode_ordinary(held).len().max(1);
            let bpt = held.len() as f64 / n as f64;
            real.push((e.name().as_str(), e.n_vocab() as f64, bpt));
            rows.push(vec![
                format!("{} ({})", e.n_vocab(), e.name()),
                format!("{bpt:.3}"),
                String::new(),
            ]);
        }
        page.heading("Compression against vocabulary size");
        page.table(
            &[
                "vocab size",
                "bytes per token (held out)",
                "gain per 1000 added tokens",
            ],
            &rows,
        );
        if let Some((_, best)) = points.last() {
            page.say(format!(
                "held-out bytes per token: 1.00 with bytes only, {best:.2} with {} tokens",
                points.last().map_or(0.0, |p| p.0)
            ));
        }
        page.fact("bytes_per_token", &points);
        page.fact("real_bytes_per_token", &real);
        let mut series = vec![Series::new(
            "towel BPE trained here (gpt2 pattern)",
            points.clone(),
        )];
        for (name, v, bpt) in &real {
            series.push(Series::new(
                format!("{name} (trained by OpenAI)"),
                vec![(*v, *bpt)],
            ));
        }
        page.line_plot(
            "compression",
            &LineChart {
                title: format!("BPE compression on held-out {name}"),
                x_label: "vocabulary size (log scale)".into(),
                y_label: "bytes per token".into(),
                series,
                log_x: true,
            },
        )?;
        // What the numbers say: bytes per token keeps rising with each doubling,
        // while the gain per added token shrinks.
        let gains: Vec<f64> = points
            .windows(2)
            .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
            .collect();
        let rising = points.windows(2).all(|w| w[1].1 > w[0].1);
        let shrinking = gains.windows(2).all(|g| g[1] < g[0]);
        page.fact("compression_rises", rising);
        page.fact("gain_per_token_shrinks", shrinking);
        if let (Some(first), Some(last)) = (gains.first(), gains.last()) {
            page.para(format!(
                "Bytes per token {} with every size here, but each added token buys less: the \
                 first {} merges raise it by {:.2} ({:.2} per 1000 merges), the last {} by {:.2} \
                 ({:.2} per 1000 merges){}. The common words are learned first; later tokens \
                 cover rarer and rarer strings. {}`towel bpe train` does the same on your own \
                 files and writes tiktoken, HF `tokenizer.json` or towel tokenizer files.",
                if rising {
                    "rises"
                } else {
                    "does not always rise"
                },
                SIZES[1] - SIZES[0],
                first * (SIZES[1] - SIZES[0]) as f64,
                first * 1000.0,
                SIZES[SIZES.len() - 1] - SIZES[SIZES.len() - 2],
                last * (SIZES[SIZES.len() - 1] - SIZES[SIZES.len() - 2]) as f64,
                last * 1000.0,
                if shrinking {
                    ""
                } else {
                    " (not every step is smaller than the one before)"
                },
                real_note(&real, points.last().copied()),
            ));
        }
        Ok(())
    }
}

/// A sentence comparing the real encodings with the largest trained size.
fn real_note(real: &[(&str, f64, f64)], ours: Option<(f64, f64)>) -> String {
    let (Some((v, b)), false) = (ours, real.is_empty()) else {
        return String::new();
    };
    let list: Vec<String> = real
        .iter()
        .map(|(n, _, bpt)| format!("{n} {bpt:.2}"))
        .collect();
    let lo = real.iter().map(|r| r.1 / v).fold(f64::INFINITY, f64::min);
    let hi = real.iter().map(|r| r.1 / v).fold(0.0, f64::max);
    format!(
        "OpenAI's encodings, with {lo:.0} to {hi:.0} times more tokens learned from far larger and broader \
         text than this one, reach {} bytes per token on the same held-out lines, against \
         {b:.2} for the {v} tokens trained here: a vocabulary fitted to the text at hand goes a \
         long way. ",
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compression prose says what the numbers say: bytes per token
    /// rises with the vocabulary while the gain per added token shrinks.
    #[test]
    fn compression_prose_matches_the_numbers() {
        let ctx = Ctx::new(towel_data::DataDirs::default(), true, vec![]);
        let mut page = Page::default();
        TrainChapter.run(&ctx, &mut page).unwrap();
        let f = &page.facts;
        let md = &page.markdown;
        let pts: Vec<(f64, f64)> = serde_json::from_value(f["bytes_per_token"].clone()).unwrap();
        assert_eq!(pts.len(), SIZES.len());
        let rising = pts.windows(2).all(|w| w[1].1 > w[0].1);
        let gains: Vec<f64> = pts
            .windows(2)
            .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
            .collect();
        let shrinking = gains.windows(2).all(|g| g[1] < g[0]);
        assert_eq!(f["compression_rises"], rising);
        assert_eq!(f["gain_per_token_shrinks"], shrinking);
        assert!(rising && shrinking, "{pts:?}");
        assert!(md.contains(
            "Bytes per token rises with every size here, but each added token buys less"
        ));
        assert!(md.contains(&format!("({:.2} per 1000 merges)", gains[0] * 1000.0)));
        // The first merges named in the prose are the table's.
        assert!(
            md.contains("The first new tokens are `␠t`, `he`, `␠a`, `ou`"),
            "{md}"
        );
        assert!(!md.contains("Each doubling of the vocabulary buys less"));
        // gpt2 and cl100k_base measured on the same held-out text, on the same plot.
        let real = f["real_bytes_per_token"].as_array().unwrap();
        assert_eq!(real.len(), 2);
        assert!(page.plots.iter().any(|p| p.ends_with("compression.png")));
        assert!(!md.contains('␣'));
    }
}
