//! Chapter: a one-page essay on why tokenization shapes what a model can do,
//! argued with this run's measurements (numbers, "strawberry", emoji, bytes
//! per token across languages, sequence length against attention's O(T²)
//! cost) and citing the literature it refers to.

use towel_tokenizer::{ByteTokenizer, EncodingName, Tokenizer};

use super::bpe_chapter::{pieces_of, NumberScan};
use super::{Chapter, Ctx, Page};

pub struct EssayChapter;

/// One sentence, the same meaning in each language (translations by the
/// towel authors; the measurement needs comparable content, not literature).
pub const SENTENCES: [(&str, &str); 7] = [
    (
        "English",
        "The weather is nice today, so we are going to the park.",
    ),
    (
        "German",
        "Das Wetter ist heute schön, also gehen wir in den Park.",
    ),
    (
        "French",
        "Il fait beau aujourd'hui, alors nous allons au parc.",
    ),
    ("Russian", "Сегодня хорошая погода, поэтому мы идём в парк."),
    (
        "Greek",
        "Σήμερα ο καιρός είναι ωραίος, οπότε πάμε στο πάρκο.",
    ),
    ("Hindi", "आज मौसम अच्छा है, इसलिए हम पार्क जा रहे हैं।"),
    ("Chinese", "今天天气很好，所以我们去公园。"),
];

impl Chapter for EssayChapter {
    fn id(&self) -> &'static str {
        "essay"
    }

    fn title(&self) -> &'static str {
        "Essay: why tokenization shapes what a model can do"
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()> {
        let Some(gpt2) = ctx.encoding(EncodingName::Gpt2) else {
            anyhow::bail!("the gpt2 encoding is embedded in towel and should always load");
        };
        let cl100k = ctx.encoding(EncodingName::Cl100kBase);
        let newest = ctx
            .encoding(EncodingName::O200kBase)
            .or(cl100k)
            .unwrap_or(gpt2);

        // Numbers.
        let scan = NumberScan::new(gpt2);
        let h = scan.histogram();
        let diff = scan.differing_neighbours().len();
        // Strawberry.
        let straw = pieces_of(gpt2, &gpt2.encode_ordinary("strawberry"))?;
        let straw_new = pieces_of(newest, &newest.encode_ordinary("strawberry"))?;
        // Emoji.
        let crab_bytes = "🦀".len();
        let crab_gpt2 = gpt2.encode_ordinary("🦀").len();
        // Languages: tokens per sentence and bytes per token.
        let mut lang = Vec::new();
        for (language, s) in SENTENCES {
            let g = gpt2.encode_ordinary(s).len();
            let n = newest.encode_ordinary(s).len();
            lang.push((language, s.len(), g, n));
        }
        let en = lang[0];
        let worst = lang
            .iter()
            .max_by(|a, b| (a.2 as f64 / a.1 as f64).total_cmp(&(b.2 as f64 / b.1 as f64)))
            .copied()
            .unwrap_or(en);
        let hi = lang.iter().find(|l| l.0 == "Hindi").copied().unwrap_or(en);
        let most = lang.iter().max_by_key(|l| l.2).copied().unwrap_or(en);
        // Sequence length and attention cost on a real text.
        let text = ctx
            .data("tinyshakespeare")
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| towel_data::embedded::book().to_string());
        let mut end = text.len().min(100_000);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let sample = &text[..end];
        let t_bytes = ByteTokenizer.count(sample)?;
        let t_gpt2 = gpt2.encode_ordinary(sample).len();
        let t_new = newest.encode_ordinary(sample).len();
        let attn = (t_bytes as f64 / t_gpt2 as f64).powi(2);

        page.para(
            "A language model never reads text. It reads the ids a tokenizer gives it, and \
             everything it learns about spelling, arithmetic or a language has to be learned \
             through that interface. The tokenizer is trained once, before the model, by \
             counting (byte-pair encoding: Gage 1994; Sennrich, Haddow and Birch 2016; for \
             bytes, Radford et al. 2019), and it is frozen from then on. So its choices become \
             the model's blind spots. This run measured four of them.",
        );
        // Which of the encodings here keep every number up to 999 whole.
        let whole: Vec<String> = ctx
            .encodings()
            .iter()
            .filter(|e| NumberScan::new(e).histogram() == [1000, 0, 0])
            .map(|e| e.name().to_string())
            .collect();
        page.para(format!(
            "**Numbers.** With GPT-2's merges, {} of the numbers 0..999 are one token and {} are \
             two{}, and {diff} times a three-digit number and the next one are cut differently \
             (890 is `{}`, 891 is `{}`). A model that adds such numbers sees the same digit \
             positions in different pieces from one number to the next, and has to learn the \
             sum separately for each way its operands happen to be cut. {} LLaMA splits every \
             digit (Touvron et al. 2023), and Singh and Strouse (2024) find that GPT-3.5 and \
             GPT-4 add better when numbers are grouped from the right, aligned with thousands, \
             than with the left-to-right default.",
            h[0],
            h[1],
            if h[2] == 0 {
                String::new()
            } else {
                format!(" and {} three", h[2])
            },
            scan.pieces[890].join("|"),
            scan.pieces[891].join("|"),
            if whole.is_empty() {
                "Later tokenizers fix the spelling.".to_string()
            } else {
                format!(
                    "Later tokenizers fix the spelling: {} read at most three digits at a time, \
                     and every number up to 999 is one token there (measured above).",
                    whole.join(" and ")
                )
            },
        ));
        page.para(format!(
            "**Spelling.** `strawberry` is `{straw}` to GPT-2 and `{straw_new}` to {}: the \
             letters are inside the ids, not visible in them. Whether a model can count the r's \
             depends on what it memorised about each token's spelling, which models learn only \
             partly and indirectly (Kaushal and Mahowald 2022). Character- and byte-level models \
             (ByT5, Xue et al. 2022) see every letter, at the price of much longer sequences.",
            newest.name()
        ));
        page.para(format!(
            "**Bytes, emoji and other scripts.** Byte-level BPE can represent anything: 🦀 is \
             {crab_bytes} UTF-8 bytes and {crab_gpt2} GPT-2 tokens, never `<UNK>`. But coverage \
             is not fairness. The same sentence is {} GPT-2 tokens in English and {} in Hindi \
             ({:.1}x; of these seven languages {} needs the most); {} gets only {:.2} bytes per \
             token against {:.2} for English. With {} the gaps shrink ({} English tokens against \
             {} Hindi). A \
             user writing in such a language pays more per word, fits less into the context \
             window and gets a model that saw fewer whole words of their language (Petrov et \
             al. 2023 measure up to 15-fold differences across languages).",
            en.2,
            hi.2,
            hi.2 as f64 / en.2 as f64,
            most.0,
            worst.0,
            worst.1 as f64 / worst.2 as f64,
            en.1 as f64 / en.2 as f64,
            newest.name(),
            en.3,
            hi.3,
        ));
        page.para(format!(
            "**Length and compute.** Self-attention compares every token with every other, so \
             its cost grows as T² in the sequence length T (Vaswani et al. 2017). The first \
             100 KB of tiny shakespeare is {t_bytes} tokens as bytes, {t_gpt2} with GPT-2's \
             vocabulary and {t_new} with {}: merging bytes into tokens makes the attention \
             matrix {attn:.0} times smaller than reading bytes, and every bigger vocabulary \
             shortens the sequence a little more, at the cost of a bigger embedding table and \
             rarer tokens that each get fewer training examples. Tokenization is a trade between \
             what the model can see and what it can afford to compute.",
            newest.name()
        ));
        let mut rows = Vec::new();
        for (language, s, g, n) in &lang {
            rows.push(vec![
                language.to_string(),
                s.to_string(),
                g.to_string(),
                format!("{:.2}", *s as f64 / *g as f64),
                n.to_string(),
                format!("{:.2}", *s as f64 / *n as f64),
            ]);
        }
        let nn = newest.name().as_str();
        let b1 = format!("{nn} tokens");
        let b2 = format!("{nn} bytes / token");
        page.table(
            &[
                "language",
                "UTF-8 bytes",
                "gpt2 tokens",
                "gpt2 bytes / token",
                &b1,
                &b2,
            ],
            &rows,
        );
        page.heading("References");
        page.para(
            "- Gage, P. (1994). A new algorithm for data compression. *C Users Journal* 12(2).\n\
             - Sennrich, R., Haddow, B., Birch, A. (2016). Neural machine translation of rare words with subword units. ACL. <https://arxiv.org/abs/1508.07909>\n\
             - Radford, A. et al. (2019). Language models are unsupervised multitask learners (GPT-2; byte-level BPE, section 2.2).\n\
             - Vaswani, A. et al. (2017). Attention is all you need. NeurIPS. <https://arxiv.org/abs/1706.03762>\n\
             - Kaushal, A., Mahowald, K. (2022). What do tokens know about their characters and how do they know it? NAACL. <https://arxiv.org/abs/2206.02608>\n\
             - Xue, L. et al. (2022). ByT5: towards a token-free future with pre-trained byte-to-byte models. TACL. <https://arxiv.org/abs/2105.13626>\n\
             - Touvron, H. et al. (2023). LLaMA: open and efficient foundation language models. <https://arxiv.org/abs/2302.13971>\n\
             - Petrov, A. et al. (2023). Language model tokenizers introduce unfairness between languages. NeurIPS. <https://arxiv.org/abs/2305.15425>\n\
             - Singh, A. K., Strouse, D. J. (2024). Tokenization counts: the impact of tokenization on arithmetic in frontier LLMs. <https://arxiv.org/abs/2402.14903>",
        );
        page.say(format!(
            "numbers 0..999 under gpt2: {}/{}/{} in 1/2/3 tokens; Hindi {:.1}x English tokens; attention {attn:.0}x smaller than bytes",
            h[0],
            h[1],
            h[2],
            hi.2 as f64 / en.2 as f64
        ));
        page.fact("gpt2_numbers_by_tokens", h);
        page.fact("gpt2_differing_neighbours", diff);
        page.fact("strawberry_gpt2", &straw);
        page.fact("crab_gpt2_tokens", crab_gpt2);
        page.fact(
            "languages",
            lang.iter()
                .map(|(l, b, g, n)| serde_json::json!({"language": l, "bytes": b, "gpt2": g, "newest": n}))
                .collect::<Vec<_>>(),
        );
        page.fact("sample_tokens", [t_bytes, t_gpt2, t_new]);
        page.fact("attention_ratio_bytes_vs_gpt2", attn);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::tour::Page;

    /// Every number in the essay's prose is the one computed in the run.
    #[test]
    fn essay_prose_matches_its_measurements() {
        let ctx = Ctx::new(towel_data::DataDirs::default(), true, vec![]);
        let mut page = Page::default();
        EssayChapter.run(&ctx, &mut page).unwrap();
        let md = &page.markdown;
        let f = &page.facts;
        let h: Vec<u64> = f["gpt2_numbers_by_tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(h[2], 0);
        assert!(md.contains(&format!(
            "{} of the numbers 0..999 are one token and {} are two,",
            h[0], h[1]
        )));
        assert!(
            md.contains("`cl100k_base` read at most three digits")
                || md.contains("cl100k_base read at most three digits")
        );
        assert!(md.contains("(890 is `8|90`, 891 is `89|1`)"), "{md}");
        assert_eq!(f["strawberry_gpt2"], "st|raw|berry");
        assert!(md.contains("`strawberry` is `st|raw|berry` to GPT-2"));
        let langs = f["languages"].as_array().unwrap();
        let en = &langs[0];
        let hi = langs.iter().find(|l| l["language"] == "Hindi").unwrap();
        assert!(md.contains(&format!(
            "{} GPT-2 tokens in English and {} in Hindi",
            en["gpt2"], hi["gpt2"]
        )));
        assert!(hi["gpt2"].as_u64() > en["gpt2"].as_u64());
        let t = f["sample_tokens"].as_array().unwrap();
        assert_eq!(t[0], 100_000);
        assert!(md.contains(&format!("{} tokens as bytes, {} with GPT-2", t[0], t[1])));
        let ratio = (100_000.0 / t[1].as_f64().unwrap()).powi(2);
        assert!(md.contains(&format!("matrix {ratio:.0} times smaller")));
        assert!(md.contains("Petrov, A. et al. (2023)"));
    }
}
