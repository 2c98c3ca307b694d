//! What the commands write, by kind: each kind recognises its own files with
//! a cheap sniff of their first bytes, so that a command replaces an earlier
//! output of its own kind and refuses to replace anything else (a corpus, a
//! text, a README) unless `--force`. Every command that writes files declares
//! its inputs and outputs in a [`towel_data::WritePlan`], checks it before
//! the work and writes through it (see `towel_data::write`).

use towel_data::write::{json_object_with, Kind};

/// `--force`, for every command that replaces files.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ForceArg {
    /// Replace an existing output even when it is not the kind of file this
    /// command writes. An output that is one of the inputs is refused anyway.
    #[arg(long)]
    pub force: bool,
}

/// A towel index (`towel index`; also written by Python's `save`).
pub use towel_retrieval::index::KIND as INDEX;

/// A numpy `.npy` array (`towel vectors random`).
pub const NPY: Kind = Kind {
    name: "numpy .npy file",
    sniff: |h| h.starts_with(b"\x93NUMPY"),
};

/// A PNG picture (`towel vectors experiment`'s plots, training loss curves).
pub const PNG: Kind = Kind {
    name: "PNG image",
    sniff: |h| h.starts_with(b"\x89PNG\r\n\x1a\n"),
};

/// A TREC run (`towel eval --run`): `qid Q0 docid rank score tag` lines.
pub const RUN: Kind = Kind {
    name: "TREC run file",
    sniff: |h| {
        let first = h.split(|&b| b == b'\n').next().unwrap_or_default();
        let fields: Vec<&[u8]> = first
            .split(u8::is_ascii_whitespace)
            .filter(|f| !f.is_empty())
            .collect();
        fields.len() == 6 && fields[1] == b"Q0"
    },
};

/// A tokenizer file: towel's JSON, HF `tokenizer.json` or `.tiktoken` ranks
/// (`towel bpe train`, `towel vocab convert --to-towel / --to-tiktoken`;
/// also written by Python's `train_bpe`).
pub use towel_tokenizer::format::KIND as TOKENIZER;

/// GPT-2's `encoder.json`: one JSON object of token -> id.
pub const GPT2_ENCODER: Kind = Kind {
    name: "GPT-2 encoder.json",
    sniff: looks_encoder_json,
};

/// GPT-2's `vocab.bpe`: `#version` then one merge per line.
pub const GPT2_MERGES: Kind = Kind {
    name: "GPT-2 vocab.bpe",
    sniff: |h| h.starts_with(b"#version"),
};

/// A vocabulary of the simple families (`towel tokenize --save-vocab`).
pub const FAMILY_VOCAB: Kind = Kind {
    name: "towel vocabulary file (towel tokenize --save-vocab)",
    sniff: |h| json_object_with(h, &["\"towel-vocab\""]),
};

/// `{` then `"token": id`: a JSON object whose first value is a number.
fn looks_encoder_json(h: &[u8]) -> bool {
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while h.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if h.get(i) != Some(&b'{') {
        return false;
    }
    i += 1;
    skip_ws(&mut i);
    if h.get(i) != Some(&b'"') {
        return false;
    }
    i += 1;
    while let Some(&b) = h.get(i) {
        i += 1;
        match b {
            b'\\' => i += 1,
            b'"' => break,
            _ => {}
        }
    }
    skip_ws(&mut i);
    if h.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    skip_ws(&mut i);
    h.get(i).is_some_and(u8::is_ascii_digit)
}

/// A safetensors checkpoint (`towel train ... --out`): an 8-byte
/// little-endian header length, then the JSON header.
pub const SAFETENSORS: Kind = Kind {
    name: "safetensors checkpoint",
    sniff: |h| {
        h.len() > 8
            && h[8] == b'{'
            && u64::from_le_bytes(h[..8].try_into().unwrap_or_default()) < (1 << 30)
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_knows_its_own_files_and_no_other() {
        let samples: [(&str, &[u8]); 9] = [
            ("index", b"TOWELIDX\x01\x00"),
            ("run", b"q1 Q0 d1 1 2.5 towel\n"),
            ("towel", b"{\"format\":\"towel-tokenizer\",\"version\":1}"),
            ("hf", b"{\n  \"version\": \"1.0\",\n  \"added_tokens\": []"),
            ("tiktoken", b"IQ== 0\nIg== 1\nIw== 2\nJA"),
            ("encoder", b"{\"!\": 0, \"\\\"\": 1}"),
            ("merges", b"#version: 0.2\n\xc4\xa0 t\n"),
            ("vocab", b"{\"format\": \"towel-vocab\", \"version\": 1}"),
            ("corpus", b"{\"_id\": \"d1\", \"text\": \"hello 1\"}\n"),
        ];
        let kinds: [(Kind, &[&str]); 6] = [
            (INDEX, &["index"]),
            (RUN, &["run"]),
            (TOKENIZER, &["towel", "hf", "tiktoken"]),
            (GPT2_ENCODER, &["encoder"]),
            (GPT2_MERGES, &["merges"]),
            (FAMILY_VOCAB, &["vocab"]),
        ];
        for (kind, own) in kinds {
            for (name, bytes) in samples {
                assert_eq!(
                    (kind.sniff)(bytes),
                    own.contains(&name),
                    "{} on {name}",
                    kind.name
                );
            }
        }
        for text in [&b"hello world\n"[..], b"abcd 12 extra\n", b"# README\n"] {
            assert!(!(TOKENIZER.sniff)(text));
        }
    }
}
