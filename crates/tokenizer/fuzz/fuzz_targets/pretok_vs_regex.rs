//! The dedicated pre-tokenization scanners must split any UTF-8 text exactly
//! as fancy-regex (tiktoken's engine) does, for all three built-in patterns.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use towel_tokenizer::pretok::{Builtin, Pattern};

fn references() -> &'static [Pattern] {
    static REFS: OnceLock<Vec<Pattern>> = OnceLock::new();
    REFS.get_or_init(|| Builtin::ALL.map(Pattern::regex_only).to_vec())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (b, reference) in Builtin::ALL.into_iter().zip(references()) {
        let mut got = b.pieces(&text);
        for expected in reference.pieces(&text) {
            // fancy-regex may give up (backtracking limits); then there is
            // nothing to compare against.
            let Ok(expected) = expected else { return };
            assert_eq!(Some(expected), got.next(), "{} on {text:?}", b.name());
        }
        assert_eq!(got.next(), None, "{} on {text:?}", b.name());
    }
});
