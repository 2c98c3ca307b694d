//! Tokenizers trained by towel, loaded into the peers: the ids tiktoken
//! (from the exported `.tiktoken`) and HF tokenizers (from the exported
//! `tokenizer.json`) produce, recorded by `fixtures/gen_train.py`, equal the
//! ids of a small rank-based reference encoder over towel's ranks, and every
//! test string round-trips.

use std::collections::HashMap;

use towel_tokenizer::train::{export, BpeTrainer};
use towel_tokenizer::Pattern;

/// The simplest correct BPE encoder: in each piece, merge the adjacent pair
/// whose bytes have the lowest rank (leftmost first) until none is a token.
fn reference_encode(pattern: &Pattern, ranks: &HashMap<Vec<u8>, u32>, text: &str) -> Vec<u32> {
    let mut ids = Vec::new();
    for piece in pattern.pieces(text) {
        let mut parts: Vec<Vec<u8>> = piece.unwrap().bytes().map(|b| vec![b]).collect();
        loop {
            let best = (0..parts.len().saturating_sub(1))
                .filter_map(|i| {
                    let joined = [parts[i].as_slice(), parts[i + 1].as_slice()].concat();
                    ranks.get(&joined).map(|&r| (r, i))
                })
                .min();
            let Some((_, i)) = best else { break };
            let right = parts.remove(i + 1);
            parts[i].extend(right);
        }
        ids.extend(parts.iter().map(|p| ranks[p]));
    }
    ids
}

#[test]
fn towel_trained_tokenizers_encode_like_tiktoken_and_hf() {
    let dir = towel_data::data_or_skip!();
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/train_peers.json")).unwrap();
    let text = std::fs::read(dir.join("text/tinyshakespeare.txt")).unwrap();
    let text = std::str::from_utf8(&text[..200_000]).unwrap();
    let strings: Vec<&str> = fixture["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for (name, pattern) in [
        ("gpt2", Pattern::gpt2()),
        ("cl100k", Pattern::cl100k()),
        ("o200k", Pattern::o200k()),
    ] {
        // The same training run as examples/train_export.rs.
        let bpe = BpeTrainer::new(1000)
            .pattern(pattern.clone())
            .special_tokens(["<|endoftext|>"])
            .train_texts([text])
            .unwrap();
        let f = &fixture["patterns"][name];
        assert_eq!(
            towel_data::sha256_hex(export::tiktoken_string(&bpe).as_bytes()),
            f["tiktoken_sha256"].as_str().unwrap(),
            "{name}: towel no longer trains the vocabulary the fixture was made from"
        );
        let ranks: HashMap<Vec<u8>, u32> = bpe
            .ranks
            .iter()
            .enumerate()
            .map(|(r, b)| (b.clone(), r as u32))
            .collect();
        let special = bpe.special_tokens[0].1;
        let enc = bpe.encoder().unwrap();
        for (i, s) in strings.iter().enumerate() {
            let ours = reference_encode(&pattern, &ranks, s);
            let ids = |k: &str| -> Vec<u32> {
                f[k][i]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect()
            };
            assert_eq!(ours, ids("tiktoken_ids"), "{name} tiktoken: {s:?}");
            assert_eq!(
                enc.try_encode_ordinary(s).unwrap(),
                ours,
                "{name} encoder: {s:?}"
            );
            // HF always matches added tokens in the text; encode the parts
            // between special tokens and put the special id between them.
            let mut hf_like = Vec::new();
            for (j, part) in s.split("<|endoftext|>").enumerate() {
                if j > 0 {
                    hf_like.push(special);
                }
                hf_like.extend(reference_encode(&pattern, &ranks, part));
            }
            assert_eq!(hf_like, ids("hf_ids"), "{name} HF: {s:?}");
            let back: Vec<u8> = ours
                .iter()
                .flat_map(|&id| bpe.ranks[id as usize].clone())
                .collect();
            assert_eq!(back, s.as_bytes(), "{name} round trip");
        }
    }
}
