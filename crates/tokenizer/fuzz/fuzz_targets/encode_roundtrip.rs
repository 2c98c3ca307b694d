//! Byte-level BPE on arbitrary input never panics and always round-trips:
//! any bytes (as text, lossily) encode, decode back to the same text, and
//! count agrees with encode; any ids decode to bytes or to a clear error.
//!
//! With `TOWEL_DATA_DIR` set it uses the real gpt2, cl100k_base and
//! o200k_base vocabularies; otherwise a vocabulary trained at start-up on
//! the embedded tour text, with each built-in pattern.
//!
//! ```sh
//! cd crates/tokenizer
//! TOWEL_DATA_DIR=$PWD/../../../shared/data RUSTC_BOOTSTRAP=1 cargo fuzz run encode_roundtrip -- -max_total_time=120
//! ```

#![no_main]

use std::ops::Deref;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use towel_tokenizer::pretok::{Builtin, Pattern};
use towel_tokenizer::train::BpeTrainer;
use towel_tokenizer::{AllowedSpecial, CoreBpe, DisallowedSpecial, Encoding, EncodingName};

enum Enc {
    Named(Encoding),
    Trained(CoreBpe),
}

impl Deref for Enc {
    type Target = CoreBpe;
    fn deref(&self) -> &CoreBpe {
        match self {
            Enc::Named(e) => e,
            Enc::Trained(b) => b,
        }
    }
}

fn encoders() -> &'static [Enc] {
    static ENCS: OnceLock<Vec<Enc>> = OnceLock::new();
    ENCS.get_or_init(|| {
        if std::env::var_os("TOWEL_DATA_DIR").is_some() {
            let dirs = towel_data::DataDirs::from_env();
            [EncodingName::Gpt2, EncodingName::Cl100kBase, EncodingName::O200kBase]
                .into_iter()
                .map(|n| Enc::Named(Encoding::load_named(n, &dirs).expect("vocabulary loads")))
                .collect()
        } else {
            Builtin::ALL
                .into_iter()
                .map(|b| {
                    let bpe = BpeTrainer::new(1200)
                        .pattern(Pattern::builtin(b))
                        .special_tokens(["<|endoftext|>"])
                        .train_texts([towel_data::embedded::TOUR_TEXT])
                        .expect("trains");
                    Enc::Trained(bpe.encoder().expect("encoder builds"))
                })
                .collect()
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for enc in encoders() {
        let ids = enc.encode_ordinary(&text);
        assert_eq!(enc.decode(&ids).unwrap(), text);
        assert_eq!(enc.count(&text), ids.len());
        let with_specials = enc
            .encode(&text, &AllowedSpecial::All, &DisallowedSpecial::None)
            .unwrap();
        assert_eq!(enc.decode(&with_specials).unwrap(), text);
        // The input as ids: decodes, or fails with an error (never panics).
        let raw: Vec<u32> = data
            .chunks(3)
            .map(|c| c.iter().fold(0u32, |a, &b| a << 8 | b as u32))
            .collect();
        if let Ok(bytes) = enc.decode_bytes(&raw) {
            assert_eq!(enc.decode_lossy(&raw).unwrap(), String::from_utf8_lossy(&bytes));
        }
    }
});
