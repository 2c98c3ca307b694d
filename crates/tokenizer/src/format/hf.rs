//! HF tokenizers' `tokenizer.json`, for byte-level BPE models: read into and
//! written from a [`TokenizerFile`].
//!
//! Written: the pre-tokenizer is `ByteLevel` with its built-in (GPT-2) regex
//! when the pattern is GPT-2's; otherwise a `Sequence` of a `Split` on the
//! pattern (behaviour `Isolated`) and `ByteLevel` with `use_regex: false`.
//! Ids equal the ranks; special tokens are added tokens. Tokens are spelled
//! with GPT-2's byte-to-character table ([`super::gpt2`]).

use serde_json::{json, Value};

use super::gpt2::{bytes_to_string, string_to_bytes};
use super::TokenizerFile;
use crate::pretok::{Builtin, Pattern, GPT2_PATTERN};
use crate::vocab::{Rank, Ranks};
use crate::TokenizerError;

/// Read an HF `tokenizer.json` with a byte-level BPE model. A leading UTF-8
/// byte-order mark is ignored.
pub fn parse(data: &[u8], origin: &str) -> Result<TokenizerFile, TokenizerError> {
    let data = towel_data::text::strip_bom_bytes(data);
    let bad = |reason: String| {
        TokenizerError::format(
            origin,
            format!("not a tokenizer file towel can read: {reason}"),
        )
    };
    let v: Value = serde_json::from_slice(data).map_err(|e| bad(e.to_string()))?;
    if v["model"]["type"] != "BPE" {
        return Err(bad(format!(
            "an HF tokenizer, but its model is {}, not a byte-level BPE",
            v["model"]["type"]
        )));
    }
    let vocab = v["model"]["vocab"]
        .as_object()
        .ok_or_else(|| bad("no model.vocab".into()))?;
    let mut special_tokens = std::collections::BTreeMap::new();
    for t in v["added_tokens"].as_array().into_iter().flatten() {
        if let (Some(s), Some(id)) = (t["content"].as_str(), t["id"].as_u64()) {
            let id =
                Rank::try_from(id).map_err(|_| bad(format!("added token id {id} is too large")))?;
            special_tokens.insert(s.to_string(), id);
        }
    }
    let mut pairs = Vec::with_capacity(vocab.len());
    for (tok, id) in vocab {
        if special_tokens.contains_key(tok) {
            continue;
        }
        let id = id
            .as_u64()
            .and_then(|i| Rank::try_from(i).ok())
            .ok_or_else(|| bad(format!("the id of {tok:?} is not a number below 2^32")))?;
        let bytes =
            string_to_bytes(tok).ok_or_else(|| bad(format!("token {tok:?} is not byte-level")))?;
        pairs.push((bytes, id));
    }
    let ranks = Ranks::from_pairs(pairs, origin)?;
    let index: rustc_hash::FxHashMap<&[u8], Rank> = ranks.iter().collect();
    // HF lists merges by priority; the merge that made rank r is the first
    // one whose result is r.
    let mut made: Vec<Option<(Rank, Rank)>> = vec![None; ranks.len().saturating_sub(256)];
    let listed = v["model"]["merges"].as_array().map_or(0, Vec::len);
    if listed == 0 && ranks.len() > 256 {
        // HF would merge nothing and spell every word in single bytes;
        // towel would merge by id.
        return Err(bad(format!(
            "model.merges is missing or empty, but the vocab has {} tokens beyond the 256 bytes: \
             HF applies merges only from that list",
            ranks.len() - 256
        )));
    }
    // The latest merge result so far, in list order: HF merges by position in
    // the list, towel by id, which agree only when the list makes its tokens
    // in id order (as a trainer writes it).
    let mut latest: Option<(Rank, usize)> = None;
    for (at, m) in v["model"]["merges"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (l, r) = match m {
            Value::Array(a) if a.len() == 2 => (a[0].as_str(), a[1].as_str()),
            Value::String(s) => {
                let mut it = s.splitn(2, ' ');
                (it.next(), it.next())
            }
            _ => (None, None),
        };
        let (Some(lb), Some(rb)) = (l.and_then(string_to_bytes), r.and_then(string_to_bytes))
        else {
            return Err(bad(format!("merge {m} is not two byte-level tokens")));
        };
        let (Some(&li), Some(&ri)) = (index.get(lb.as_slice()), index.get(rb.as_slice())) else {
            return Err(bad(format!("merge {m} names a token not in the vocab")));
        };
        let joined = [lb, rb].concat();
        if let Some(&result) = index.get(joined.as_slice()) {
            match latest {
                Some((before, where_)) if result < before => {
                    return Err(bad(format!(
                        "merge {at} ({m}) makes id {result}, after merge {where_} made id \
                         {before}: HF applies merges in list order and towel in id order, so \
                         towel would tokenize this file differently than HF"
                    )));
                }
                _ => latest = Some((result, at)),
            }
            if let Some(slot) = (result as usize)
                .checked_sub(256)
                .and_then(|i| made.get_mut(i))
            {
                slot.get_or_insert((li, ri));
            }
        }
    }
    let merges = (ranks.is_dense() && made.iter().all(Option::is_some))
        .then(|| made.into_iter().flatten().collect());
    let pattern = match &v["pre_tokenizer"] {
        p if p["type"] == "ByteLevel" => Some(GPT2_PATTERN.to_string()),
        p => p["pretokenizers"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["type"] == "Split"))
            .and_then(|s| s["pattern"]["Regex"].as_str())
            .map(String::from),
    };
    Ok(TokenizerFile {
        pattern,
        special_tokens,
        ranks,
        merges,
    })
}

/// HF `tokenizer.json` text for `file`, with `merges` (as `(left, right)`
/// ranks, in priority order) as the model's merge list.
pub fn to_json(file: &TokenizerFile, merges: &[(Rank, Rank)]) -> Result<String, TokenizerError> {
    let Some(pattern) = &file.pattern else {
        return Err(TokenizerError::Config(
            "an HF tokenizer file needs a pre-tokenization pattern; give one (CLI: --pattern gpt2|cl100k|o200k|REGEX)".into(),
        ));
    };
    let mut vocab = serde_json::Map::new();
    for (b, r) in file.ranks.iter() {
        vocab.insert(bytes_to_string(b), json!(r));
    }
    for (s, id) in &file.special_tokens {
        vocab.insert(s.clone(), json!(id));
    }
    let spell = |r: Rank| {
        file.ranks.token(r).map(bytes_to_string).ok_or_else(|| {
            TokenizerError::format(
                "HF export",
                format!("a merge uses rank {r}, which is not a token"),
            )
        })
    };
    let merges = merges
        .iter()
        .map(|&(l, r)| Ok(json!([spell(l)?, spell(r)?])))
        .collect::<Result<Vec<Value>, TokenizerError>>()?;
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let is_gpt2 = Pattern::new(pattern).ok().and_then(|p| p.builtin_kind()) == Some(Builtin::Gpt2);
    let pre = if is_gpt2 {
        byte_level(true)
    } else {
        json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": false},
            byte_level(false),
        ]})
    };
    let mut specials: Vec<(&String, &Rank)> = file.special_tokens.iter().collect();
    specials.sort_by_key(|s| *s.1);
    let added: Vec<Value> = specials
        .into_iter()
        .map(|(s, id)| {
            json!({"id": id, "content": s, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let doc = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre,
        "post_processor": null,
        "decoder": byte_level(true),
        "model": {
            "type": "BPE", "dropout": null, "unk_token": null,
            "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": merges,
        }
    });
    Ok(serde_json::to_string_pretty(&doc).expect("JSON values serialize"))
}
