//! Chapter: the real byte-level BPE encodings (GPT-2's, GPT-4's, GPT-4o's),
//! after the chapter that trained one: how their 256 byte tokens are
//! numbered, how they split numbers (a scan of 0..=999), "strawberry",
//! emoji, and why the pre-tokenization regex matters.
//!
//! gpt2 and cl100k_base always run (their ranks are embedded in towel);
//! o200k_base joins when its vocabulary file is available.

use towel_tokenizer::{Encoding, EncodingName, Pattern, Tokenizer};

use super::{Chapter, Ctx, Page, TOUR_ENCODINGS};
use crate::display::token_md;

pub struct BpeChapter;

impl Chapter for BpeChapter {
    fn id(&self) -> &'static str {
        "bpe"
    }

    fn title(&self) -> &'static str {
        "Real byte-level BPE: GPT-2, GPT-4 and GPT-4o"
    }

    fn wants(&self) -> &'static [&'static str] {
        &["o200k_base"]
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()> {
        let encodings = ctx.encodings();
        let names: Vec<&str> = encodings.iter().map(|e| e.name().as_str()).collect();
        let missing: Vec<&str> = TOUR_ENCODINGS
            .iter()
            .map(|n| n.as_str())
            .filter(|n| !names.contains(n))
            .collect();
        page.para(format!(
            "The tokenizer trained in the previous chapter is a small version of what GPT models \
             use. Here are the real ones, built from OpenAI's published ranks: {}. `gpt2` is \
             GPT-2's (and GPT-3's `r50k_base`: the same 50,256 merges plus `<|endoftext|>`), \
             `cl100k_base` GPT-3.5's and GPT-4's, `o200k_base` GPT-4o's. {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            embedded_note(ctx, &missing)
        ));
        page.fact("encodings", &names);
        page.fact("bpe_missing", &missing);
        if !missing.is_empty() {
            page.say(format!(
                "without {} (towel data fetch {})",
                missing.join(", "),
                missing.join(" ")
            ));
        }
        let encoders: Vec<(&str, &dyn Tokenizer)> = encodings
            .iter()
            .map(|e| (e.name().as_str(), *e as &dyn Tokenizer))
            .collect();
        if let Some(gpt2) = ctx.encoding(EncodingName::Gpt2) {
            byte_order_section(page, gpt2, ctx.encoding(EncodingName::Cl100kBase))?;
        }
        number_sections(page, &encodings)?;
        strawberry_section(page, &encoders)?;
        emoji_section(page, &encoders)?;
        if let Some(gpt2) = ctx.encoding(EncodingName::Gpt2) {
            regex_section(page, gpt2)?;
        }
        Ok(())
    }
}

/// Where the encodings came from, and how to add the missing ones.
fn embedded_note(ctx: &Ctx, missing: &[&str]) -> String {
    let mut s = String::new();
    if ctx.is_embedded("r50k_base") {
        s.push_str(
            "The gpt2 and cl100k_base ranks are embedded in towel (sha256-checked against \
             OpenAI's files in towel's tests), so this chapter needs no download. ",
        );
    }
    if !missing.is_empty() {
        s.push_str(&format!(
            "{} is not embedded (3.6 MB) and its file is not here: `towel data fetch {}` adds \
             its column.",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    s
}

/// GPT-2's `bytes_to_unicode`: each byte's stand-in character in
/// `encoder.json` and `vocab.bpe`. The 188 printable bytes keep their own
/// character (in byte order: `!`..`~`, `¡`..`¬`, `®`..`ÿ`), the other 68
/// (controls, space, DEL, NBSP, soft hyphen) get U+0100 + n in byte order.
pub fn bytes_to_unicode() -> Vec<(u8, char)> {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
    let mut out: Vec<(u8, char)> = (0..=255u8)
        .filter(|&b| printable(b))
        .map(|b| (b, char::from(b)))
        .collect();
    for (n, b) in (0..=255u8).filter(|&b| !printable(b)).enumerate() {
        out.push((b, char::from_u32(256 + n as u32).unwrap_or('?')));
    }
    out
}

/// The id of each single byte under `e`, indexed by byte value.
pub fn byte_ids(e: &Encoding) -> Vec<Option<u32>> {
    (0..=255u8).map(|b| e.rank_of(&[b])).collect()
}

fn byte_order_section(
    page: &mut Page,
    gpt2: &Encoding,
    cl100k: Option<&Encoding>,
) -> anyhow::Result<()> {
    page.heading("The 256 byte tokens, and GPT-2's `bytes_to_unicode`");
    let order = bytes_to_unicode();
    let ids = byte_ids(gpt2);
    // Ids in bytes_to_unicode order?
    let in_order = order
        .iter()
        .enumerate()
        .all(|(i, (b, _))| ids[*b as usize] == Some(i as u32));
    let identity = (0..256).filter(|&b| ids[b] == Some(b as u32)).count();
    let cl_same = cl100k.map(|c| byte_ids(c) == ids);
    let mut rows = Vec::new();
    for id in [0usize, 1, 93, 94, 187, 188, 189, 220, 255] {
        let Some(&(b, ch)) = order.get(id) else {
            continue;
        };
        let real = ids[b as usize].map_or("–".to_string(), |i| i.to_string());
        rows.push(vec![
            real,
            format!("0x{b:02X}"),
            byte_name(b),
            format!("`{ch}` (U+{:04X})", ch as u32),
        ]);
    }
    page.table(
        &[
            "gpt2 id",
            "byte",
            "what the byte is",
            "its character in encoder.json",
        ],
        &rows,
    );
    page.para(format!(
        "A byte-level vocabulary starts with one token per byte value, so nothing is ever \
         unknown. But GPT-2 does not number them by byte value: {} GPT-2 stores its vocabulary as text (`encoder.json`, \
         `vocab.bpe`), and a merges file cannot hold a raw space, newline or control byte, so \
         `bytes_to_unicode` gives every byte a visible stand-in: the 188 printable bytes keep \
         their own character and come first (id 0 is `!`, 0x21; id 93 is `~`), then the 68 \
         others get U+0100 + n (id 188 is byte 0x00, `Ā`). The space, byte 0x20, is `Ġ` \
         (U+0120), which is why GPT-2 tokens print as `Ġworld`. The single-byte ids here {} \
         that order{}.",
        match identity {
            0 => "not one of the 256 single-byte tokens has id = byte.".to_string(),
            1 => "only 1 of the 256 single-byte tokens has id = byte.".to_string(),
            n => format!("only {n} of the 256 single-byte tokens have id = byte."),
        },
        if in_order {
            "follow exactly"
        } else {
            "do not follow"
        },
        match cl_same {
            Some(true) => "; cl100k_base numbers its 256 byte tokens the same way",
            Some(false) => "; cl100k_base numbers its byte tokens differently",
            None => "",
        }
    ));
    page.fact("gpt2_byte_ids_follow_bytes_to_unicode", in_order);
    page.fact("gpt2_byte_ids_equal_to_byte", identity);
    page.fact("gpt2_id0_byte", order[0].0);
    page.fact("cl100k_same_byte_ids", cl_same);
    Ok(())
}

fn byte_name(b: u8) -> String {
    match b {
        b' ' => "space".into(),
        b'\n' => "newline".into(),
        0 => "NUL".into(),
        0x7F => "DEL".into(),
        0xA0 => "no-break space (Latin-1)".into(),
        0xAD => "soft hyphen (Latin-1)".into(),
        0x21..=0x7E => format!("`{}`", b as char),
        b if b < 0x20 => "control".into(),
        _ => "a UTF-8 lead or continuation byte".into(),
    }
}

/// How one encoding splits the numbers 0..=999 (no leading space).
#[derive(Debug, Clone)]
pub struct NumberScan {
    pub name: &'static str,
    /// The pieces of each number 0..=999.
    pub pieces: Vec<Vec<String>>,
}

impl NumberScan {
    pub fn new(e: &Encoding) -> NumberScan {
        let pieces = (0..1000)
            .map(|n| {
                e.encode_ordinary(&n.to_string())
                    .iter()
                    .map(|&id| {
                        String::from_utf8_lossy(e.bpe().token_bytes(id).unwrap_or_default())
                            .into_owned()
                    })
                    .collect()
            })
            .collect();
        NumberScan {
            name: e.name().as_str(),
            pieces,
        }
    }

    /// How many of 0..=999 take 1, 2, 3 tokens.
    pub fn histogram(&self) -> [usize; 3] {
        let mut h = [0; 3];
        for p in &self.pieces {
            h[p.len().clamp(1, 3) - 1] += 1;
        }
        h
    }

    /// Neighbours n, n + 1 (both three digits) whose pieces have different lengths.
    pub fn differing_neighbours(&self) -> Vec<usize> {
        (100..999)
            .filter(|&n| shape(&self.pieces[n]) != shape(&self.pieces[n + 1]))
            .collect()
    }
}

fn shape(p: &[String]) -> Vec<usize> {
    p.iter().map(String::len).collect()
}

/// Digits grouped in threes from the right (`1234567` -> `1|234|567`).
pub fn right_to_left_groups(digits: &str) -> Vec<&str> {
    let first = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let mut out = vec![&digits[..first]];
    let mut i = first;
    while i < digits.len() {
        out.push(&digits[i..i + 3]);
        i += 3;
    }
    out
}

fn number_sections(page: &mut Page, encodings: &[&Encoding]) -> anyhow::Result<()> {
    page.heading("Numbers: a scan of 0..=999");
    let scans: Vec<NumberScan> = encodings.iter().map(|e| NumberScan::new(e)).collect();
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for s in &scans {
        let h = s.histogram();
        rows.push(vec![
            format!("`{}`", s.name),
            h[0].to_string(),
            h[1].to_string(),
            h[2].to_string(),
            s.differing_neighbours().len().to_string(),
        ]);
        for (k, count) in h.iter().enumerate() {
            if *count > 0 {
                bars.push((
                    format!(
                        "{}: {} token{}",
                        s.name,
                        k + 1,
                        if k == 0 { "" } else { "s" }
                    ),
                    *count as f64,
                ));
            }
        }
        page.fact(&format!("{}_numbers_by_tokens", s.name), h);
    }
    page.para(
        "Each number from 0 to 999 encoded on its own (no space before it), with every \
         encoding here:",
    );
    page.table(
        &[
            "encoding",
            "numbers in 1 token",
            "in 2 tokens",
            "in 3 tokens",
            "neighbours n, n+1 (100..999) split differently",
        ],
        &rows,
    );
    page.bar_plot(
        "numbers",
        "Tokens per number, 0..=999",
        "how many numbers",
        &bars,
    )?;
    if let Some(g) = scans.iter().find(|s| s.name == "gpt2") {
        let diff = g.differing_neighbours();
        // A few neighbours with the same count but different cuts, then a few with different counts.
        let same_len: Vec<usize> = diff
            .iter()
            .copied()
            .filter(|&n| g.pieces[n].len() == g.pieces[n + 1].len())
            .take(4)
            .collect();
        let other: Vec<usize> = diff
            .iter()
            .copied()
            .filter(|&n| g.pieces[n].len() != g.pieces[n + 1].len())
            .take(4)
            .collect();
        let show = |n: usize| format!("`{n}` → `{}`", g.pieces[n].join("|"));
        let examples: Vec<Vec<String>> = same_len
            .iter()
            .chain(&other)
            .map(|&n| vec![show(n), show(n + 1)])
            .collect();
        page.para(format!(
            "GPT-2 learned its merges from web text, so a number is cut wherever its merges \
             happen to apply: {} of the 900 three-digit numbers take one token, and {} times in \
             100..999 a number and the next one are cut differently. Some neighbouring pairs:",
            g.pieces[100..].iter().filter(|p| p.len() == 1).count(),
            diff.len()
        ));
        page.table(&["n", "n + 1"], &examples);
        page.fact(
            "gpt2_neighbour_examples",
            same_len
                .iter()
                .chain(&other)
                .map(|&n| (n, g.pieces[n].join("|"), g.pieces[n + 1].join("|")))
                .collect::<Vec<_>>(),
        );
    }
    let whole: Vec<&NumberScan> = scans
        .iter()
        .filter(|s| s.histogram() == [1000, 0, 0])
        .collect();
    if !whole.is_empty() {
        page.para(format!(
            "{} cut every number up to 999 into exactly one token: the regex splits digits \
             into runs of at most three (`\\p{{N}}{{1,3}}`) before any merge, and all 1,110 \
             strings of one to three digits are tokens.",
            whole
                .iter()
                .map(|s| format!("`{}`", s.name))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }

    page.heading("Longer numbers: left to right, right to left, digit by digit");
    let cl = encodings
        .iter()
        .find(|e| e.name() == EncodingName::Cl100kBase);
    let mut rows = Vec::new();
    for n in ["1234", "12345", "1234567"] {
        let mut row = vec![format!("`{n}`")];
        for e in encodings {
            let ids = e.encode_ordinary(n);
            row.push(format!("`{}`", pieces_of(*e, &ids)?));
        }
        row.push(format!("`{}`", right_to_left_groups(n).join("|")));
        row.push(format!(
            "`{}`",
            n.chars().map(String::from).collect::<Vec<_>>().join("|")
        ));
        rows.push(row);
    }
    let mut headers: Vec<&str> = encodings.iter().map(|e| e.name().as_str()).collect();
    headers.insert(0, "number");
    headers.push("groups of 3 from the right");
    headers.push("one digit per token");
    page.table(&headers, &rows);
    let l2r = cl
        .map(|c| pieces_of(*c, &c.encode_ordinary("1234")))
        .transpose()?;
    page.para(format!(
        "Groups of three read left to right fix the spelling of a number but not its place \
         values: {} puts the `4` units digit of 1234 in a token of its own and its thousands \
         inside `123`, while in 1,234,567 the last group is `7`. The same digit position lands \
         in a different slot of a different token depending on how long the number is. Three \
         fixes are in use: split every digit (LLaMA 1 and 2: \"we split all numbers into \
         individual digits\", Touvron et al. 2023), keep cl100k-style groups of up to three \
         (Llama 3's tokenizer uses tiktoken with a `\\p{{N}}{{1,3}}` pattern, Meta 2024), or \
         group from the right so that groups line up with thousands (Singh and Strouse 2024 \
         measured better arithmetic from GPT-3.5 and GPT-4 when numbers are given with commas, \
         which forces right-to-left groups).",
        match &l2r {
            Some(p) => format!("cl100k_base's `{p}`"),
            None => "left-to-right grouping".into(),
        }
    ));
    page.fact("cl100k_1234", l2r);
    Ok(())
}

fn strawberry_section(page: &mut Page, encoders: &[(&str, &dyn Tokenizer)]) -> anyhow::Result<()> {
    page.heading("Why \"strawberry\" is hard to count");
    bpe_probe_table(
        page,
        encoders,
        &[
            "strawberry",
            " strawberry",
            "How many r's are in strawberry?",
        ],
    )?;
    let mut facts = serde_json::Map::new();
    for (name, t) in encoders {
        let ids = t.encode("strawberry")?;
        facts.insert(name.to_string(), serde_json::json!(pieces_of(*t, &ids)?));
    }
    page.para(
        "A model never sees the letters of `strawberry`, only the ids of the pieces above \
         (`towel bpe trace strawberry` shows the merges that build them). Counting its r's \
         means knowing how each piece is spelled, which the model has to have memorised for \
         each token separately; nothing in an id says `rr`.",
    );
    page.fact("strawberry_pieces", facts);
    Ok(())
}

fn emoji_section(page: &mut Page, encoders: &[(&str, &dyn Tokenizer)]) -> anyhow::Result<()> {
    page.heading("An emoji through byte-level BPE");
    let text = "I love 🦀 and 🎉!";
    bpe_probe_table(page, encoders, &["🦀", text])?;
    let mut exact = true;
    let mut crab = Vec::new();
    for (name, t) in encoders {
        let ids = t.encode(text)?;
        exact &= t.decode(&ids)? == text;
        crab.push(format!(
            "{} token{} in {name}",
            t.count("🦀")?,
            if t.count("🦀")? == 1 { "" } else { "s" }
        ));
    }
    page.fact("bpe_emoji_exact", exact);
    page.para(format!(
        "Where the word tokenizer could only say `<UNK>`, byte-level BPE falls back to the \
         emoji's four UTF-8 bytes F0 9F A6 80, or to merged pieces of them (shown as `\\xNN` \
         where a token is not a whole character): 🦀 is {}. {} A single token may hold part of \
         a character, so decoding a prefix of the ids can give invalid UTF-8: decoding works on \
         bytes first.",
        crab.join(", "),
        if exact {
            "Every encoding decodes the sentence exactly."
        } else {
            "Not every encoding decodes the sentence exactly."
        }
    ));
    Ok(())
}

fn regex_section(page: &mut Page, gpt2: &Encoding) -> anyhow::Result<()> {
    page.heading("GPT-2's regex vs `\\w+`, through the GPT-2 merges");
    let text = "Hello  world, don't panic!";
    let mut rows = Vec::new();
    for (name, pattern) in [
        ("`\\w+`", Pattern::new(r"\w+")?),
        ("GPT-2", Pattern::gpt2()),
    ] {
        let pieces: Vec<&str> = pattern.pieces(text).collect::<Result<_, _>>()?;
        let ids = gpt2.encode_pieces(pieces.iter().map(|p| p.as_bytes()));
        let decoded = gpt2.decode_lossy(&ids)?;
        rows.push(vec![
            name.to_string(),
            ids.len().to_string(),
            format!("`{}`", pieces_of(gpt2, &ids)?),
            format!("`{}`", decoded.replace(' ', "␠")),
            if decoded == text { "yes" } else { "no" }.to_string(),
        ]);
    }
    page.para(format!(
        "`{}` merged with GPT-2's vocabulary after each pre-tokenization (␠ is a space):",
        text.replace(' ', "␠")
    ));
    page.table(&["pattern", "tokens", "pieces", "decoded", "exact"], &rows);
    page.para(
        "The merges cannot bring back what the split threw away: after `\\w+` the spaces, the \
         comma and the apostrophe are gone. GPT-2's pattern keeps every byte and attaches the \
         space to the next word, so `␠world` is one token and the text comes back exactly.",
    );
    Ok(())
}

/// The pieces of `ids` under `t`, spaces shown as ␠, joined by `|`.
pub fn pieces_of(t: &dyn Tokenizer, ids: &[u32]) -> anyhow::Result<String> {
    let pieces: Vec<String> = ids
        .iter()
        .map(|&id| t.token_bytes(id).map(|b| token_md(&b)))
        .collect::<Result<_, _>>()?;
    Ok(pieces.join("|"))
}

/// "1 token", "2 tokens".
pub fn tokens(n: usize) -> String {
    crate::display::count(n, "token")
}

/// Each probe's pieces under each encoder.
pub fn bpe_probe_table(
    page: &mut Page,
    encoders: &[(&str, &dyn Tokenizer)],
    probes: &[&str],
) -> anyhow::Result<()> {
    let mut headers = vec!["text"];
    headers.extend(encoders.iter().map(|(n, _)| *n));
    let mut rows = Vec::new();
    for probe in probes {
        let mut row = vec![format!("`{}`", probe.replace(' ', "␠"))];
        for (_, t) in encoders {
            let ids = t.encode(probe)?;
            row.push(format!("{}: `{}`", tokens(ids.len()), pieces_of(*t, &ids)?));
        }
        rows.push(row);
    }
    page.table(&headers, &rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use towel_tokenizer::ByteTokenizer;

    fn embedded_ctx() -> Ctx {
        Ctx::new(towel_data::DataDirs::default(), true, vec![])
    }

    #[test]
    fn probe_table_renders_with_any_tokenizer() {
        let mut page = Page::default();
        bpe_probe_table(&mut page, &[("bytes", &ByteTokenizer)], &["857", "8"]).unwrap();
        assert!(
            page.markdown.contains("| `857` | 3 tokens: `8\\|5\\|7` |"),
            "{}",
            page.markdown
        );
        assert!(
            page.markdown.contains("| `8` | 1 token: `8` |"),
            "{}",
            page.markdown
        );
    }

    #[test]
    fn bytes_to_unicode_is_gpt2s() {
        let m = bytes_to_unicode();
        assert_eq!(m.len(), 256);
        assert_eq!(m[0], (b'!', '!'));
        assert_eq!(m[188], (0, 'Ā'));
        assert!(m.contains(&(b' ', 'Ġ')));
        let mut bytes: Vec<u8> = m.iter().map(|p| p.0).collect();
        bytes.sort_unstable();
        assert_eq!(bytes, (0..=255).collect::<Vec<u8>>());
    }

    #[test]
    fn right_to_left_grouping() {
        assert_eq!(right_to_left_groups("1234567"), ["1", "234", "567"]);
        assert_eq!(right_to_left_groups("123456"), ["123", "456"]);
        assert_eq!(right_to_left_groups("12"), ["12"]);
    }

    /// The chapter's claims, against values computed here from the
    /// embedded encodings (and tiktoken's ids, where they are fixed).
    #[test]
    fn claims_hold_on_the_embedded_encodings() {
        let ctx = embedded_ctx();
        let mut page = Page::default();
        BpeChapter.run(&ctx, &mut page).unwrap();
        let f = &page.facts;
        let md = &page.markdown;
        // The old claim that 857 is one GPT-2 token is gone; both are two.
        let gpt2 = ctx.encoding(EncodingName::Gpt2).unwrap();
        assert_eq!(gpt2.encode_ordinary("857").len(), 2);
        assert_eq!(gpt2.encode_ordinary("858").len(), 2);
        assert!(!md.contains("857 as one"));
        // The issue's neighbours: 890 -> 8|90, 891 -> 89|1.
        let scan = NumberScan::new(gpt2);
        assert_eq!(scan.pieces[890], ["8", "90"]);
        assert_eq!(scan.pieces[891], ["89", "1"]);
        assert!(scan.differing_neighbours().contains(&890));
        let h = scan.histogram();
        assert_eq!(f["gpt2_numbers_by_tokens"], serde_json::json!(h));
        assert_eq!(h.iter().sum::<usize>(), 1000);
        assert!(h[1] > 0, "GPT-2 splits some numbers: {h:?}");
        // cl100k: every number up to 999 is one token, and the prose says so.
        assert_eq!(
            f["cl100k_base_numbers_by_tokens"],
            serde_json::json!([1000, 0, 0])
        );
        assert!(md.contains("`cl100k_base` cut every number up to 999 into exactly one token"));
        for len in 1..=3u32 {
            let cl = ctx.encoding(EncodingName::Cl100kBase).unwrap();
            for n in 0..10usize.pow(len) {
                let s = format!("{n:0width$}", width = len as usize);
                assert!(cl.rank_of(s.as_bytes()).is_some(), "{s}");
            }
        }
        assert_eq!(f["cl100k_1234"], "123|4");
        // Byte ids: not id = byte; id 0 is `!`; bytes_to_unicode order.
        assert_eq!(f["gpt2_byte_ids_follow_bytes_to_unicode"], true);
        assert_eq!(f["gpt2_id0_byte"], b'!');
        let identity = f["gpt2_byte_ids_equal_to_byte"].as_u64().unwrap();
        assert!(identity < 256);
        assert!(if identity == 0 {
            md.contains("not one of the 256 single-byte tokens has id = byte")
        } else {
            md.contains(&format!("only {identity} of the 256"))
        });
        assert!(!md.contains("only 0 of"));
        assert!(md.contains("not follow") || md.contains("follow exactly"));
        assert_eq!(gpt2.rank_of(b"!"), Some(0));
        // Strawberry (tiktoken gives the same ids: gpt2 [301, 1831, 8396]).
        assert_eq!(f["strawberry_pieces"]["gpt2"], "st|raw|berry");
        assert_eq!(gpt2.encode_ordinary("strawberry"), [301, 1831, 8396]);
        assert_eq!(f["strawberry_pieces"]["cl100k_base"], "str|aw|berry");
        assert_eq!(f["bpe_emoji_exact"], true);
        // o200k is not embedded: the chapter says how to add it.
        assert_eq!(f["bpe_missing"], serde_json::json!(["o200k_base"]));
        assert!(!md.contains("1 tokens"));
    }

    /// The number scan, the probes and the essay's sentences give tiktoken's
    /// ids (fixture from `tests/fixtures/gen_tour_tiktoken.py`): gpt2 and
    /// cl100k_base from the embedded ranks, o200k_base when its file is here.
    #[test]
    fn tiktoken_agrees_with_the_tour() {
        let fx: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/tour_tiktoken.json"))
                .unwrap();
        let dirs = towel_testing_dirs();
        for name in TOUR_ENCODINGS {
            let e = match Encoding::load_or_embedded(name, &dirs) {
                Ok(e) => e,
                Err(_) if name == EncodingName::O200kBase => continue,
                Err(e) => panic!("{name}: {e}"),
            };
            let f = &fx[name.as_str()];
            let ids = |v: &serde_json::Value| -> Vec<u32> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect()
            };
            let scan = NumberScan::new(&e);
            for n in 0..1000 {
                let want = ids(&f["numbers"][n]);
                assert_eq!(e.encode_ordinary(&n.to_string()), want, "{name} {n}");
                assert_eq!(scan.pieces[n].len(), want.len());
            }
            for (probe, want) in f["probes"].as_object().unwrap() {
                assert_eq!(e.encode_ordinary(probe), ids(want), "{name} {probe:?}");
            }
            for (i, (_, s)) in super::super::essay_chapter::SENTENCES.iter().enumerate() {
                assert_eq!(e.encode_ordinary(s), ids(&f["sentences"][i]), "{name} {s}");
            }
        }
    }

    fn towel_testing_dirs() -> towel_data::DataDirs {
        match towel_data::testing::data_dir() {
            Some(d) => towel_data::DataDirs::with_data_dir(d),
            None => towel_data::DataDirs::with_data_dir("/nonexistent"),
        }
    }
}
