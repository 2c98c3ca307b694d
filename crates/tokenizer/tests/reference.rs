//! Parity with tiktoken 0.14.0 through the shared reference file
//! `vocab/reference_tokenizations.json` (50 probes per encoding, encoded with
//! `encode_ordinary` and with `allowed_special="all"`, plus the count and the
//! sha256 of the ids of the whole of tiny shakespeare).

use towel_data::DataDirs;
use towel_tokenizer::{AllowedSpecial, DisallowedSpecial, Encoding, EncodingName};

fn ids_sha256(ids: &[u32]) -> String {
    let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
    towel_data::sha256_hex(&bytes)
}

#[test]
fn reference_tokenizations_match_tiktoken() {
    let dir = towel_data::data_or_skip!();
    let dirs = DataDirs::with_data_dir(&dir);
    let reference: serde_json::Value =
        serde_json::from_slice(&dirs.read_named("reference-tokenizations").unwrap()).unwrap();
    let shakespeare = String::from_utf8(dirs.read_named("tinyshakespeare").unwrap()).unwrap();
    // o200k_harmony is not in the reference file; tiktoken_fixtures.rs checks it.
    for name in EncodingName::ALL
        .into_iter()
        .filter(|&n| n != EncodingName::O200kHarmony)
    {
        let enc = Encoding::load_named(name, &dirs).unwrap();
        let r = &reference["encodings"][name.as_str()];
        assert_eq!(
            enc.n_vocab() as u64,
            r["n_vocab"].as_u64().unwrap(),
            "{name} n_vocab"
        );
        let specials: Vec<(String, u32)> = r["special_tokens"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as u32))
            .collect();
        for (tok, id) in &specials {
            assert_eq!(enc.special_token_id(tok), Some(*id), "{name} {tok}");
        }
        assert_eq!(enc.special_tokens().len(), specials.len());
        let probes = r["probes"].as_array().unwrap();
        assert!(probes.len() >= 48);
        for p in probes {
            let text = p["text"].as_str().unwrap();
            let want: Vec<u32> = serde_json::from_value(p["ordinary"].clone()).unwrap();
            assert_eq!(enc.encode_ordinary(text), want, "{name} ordinary {text:?}");
            assert_eq!(enc.count(text), want.len(), "{name} count {text:?}");
            let want_all: Vec<u32> = serde_json::from_value(p["all_special"].clone()).unwrap();
            let got = enc
                .encode(text, &AllowedSpecial::All, &DisallowedSpecial::All)
                .unwrap();
            assert_eq!(got, want_all, "{name} all_special {text:?}");
            assert_eq!(enc.decode(&want_all).unwrap(), text);
        }
        let f = &r["files"]["text/tinyshakespeare.txt"];
        let ids = enc.encode_ordinary(&shakespeare);
        assert_eq!(
            ids.len() as u64,
            f["n_tokens"].as_u64().unwrap(),
            "{name} count"
        );
        assert_eq!(
            ids_sha256(&ids),
            f["sha256_u32le"].as_str().unwrap(),
            "{name} sha"
        );
        assert_eq!(enc.count(&shakespeare), ids.len());
        assert_eq!(enc.decode(&ids).unwrap(), shakespeare);
    }
}
