//! Parity with Python tiktoken 0.14.0 through `fixtures/tiktoken_cases.json`,
//! written by the committed `fixtures/gen_tiktoken.py`: tricky strings,
//! special-token rules (allowed / disallowed sets and the errors), decoding.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;
use towel_tokenizer::{AllowedSpecial, DisallowedSpecial, EncodingName, TokenizerError};

fn cases() -> Value {
    serde_json::from_str(include_str!("fixtures/tiktoken_cases.json")).unwrap()
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn ids(v: &Value) -> Vec<u32> {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn python_tiktoken_cases() {
    towel_data::data_or_skip!();
    let all = cases();
    for name in EncodingName::ALL {
        let enc = common::encoding(name);
        let c = &all["encodings"][name.as_str()];
        assert_eq!(enc.n_vocab() as u64, c["n_vocab"].as_u64().unwrap());
        for case in c["ordinary"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            assert_eq!(
                enc.encode_ordinary(text),
                ids(&case["ids"]),
                "{name} {text:?}"
            );
        }
        let mut errors = 0;
        for case in c["special"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            let allowed = match &case["allowed"] {
                Value::String(s) if s == "all" => AllowedSpecial::All,
                v => AllowedSpecial::Only(set(v)),
            };
            let disallowed = match &case["disallowed"] {
                Value::String(s) if s == "all" => DisallowedSpecial::All,
                v => DisallowedSpecial::Only(set(v)),
            };
            let got = enc.encode(text, &allowed, &disallowed);
            match case.get("error") {
                Some(Value::String(token)) => {
                    errors += 1;
                    match got {
                        Err(TokenizerError::DisallowedSpecial { token: t, offset }) => {
                            assert_eq!(&t, token, "{name} {text:?}");
                            assert_eq!(&text[offset..offset + t.len()], t);
                        }
                        other => panic!("{name} {text:?}: expected an error, got {other:?}"),
                    }
                }
                _ => assert_eq!(got.unwrap(), ids(&case["ids"]), "{name} {text:?}"),
            }
        }
        assert!(errors >= 2, "the fixture has error cases for {name}");
        for case in c["decode"].as_array().unwrap() {
            let id_list = ids(&case["ids"]);
            let bytes = enc.decode_bytes(&id_list).unwrap();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, case["bytes_hex"].as_str().unwrap());
            assert_eq!(
                enc.decode_lossy(&id_list).unwrap(),
                case["replace"].as_str().unwrap()
            );
            match std::str::from_utf8(&bytes) {
                Ok(s) => assert_eq!(enc.decode(&id_list).unwrap(), s),
                Err(e) => match enc.decode(&id_list) {
                    Err(TokenizerError::InvalidUtf8 { offset, .. }) => {
                        assert_eq!(offset, e.valid_up_to())
                    }
                    other => panic!("expected InvalidUtf8, got {other:?}"),
                },
            }
        }
    }
}

#[test]
fn disallowed_special_message_names_token_and_offset() {
    towel_data::data_or_skip!();
    let enc = common::encoding(EncodingName::Cl100kBase);
    let err = enc
        .encode(
            "abc <|endoftext|>",
            &AllowedSpecial::None,
            &DisallowedSpecial::All,
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("\"<|endoftext|>\""), "{msg}");
    assert!(msg.contains("at byte 4"), "{msg}");
    assert!(msg.contains("disallowed"), "{msg}");
}

#[test]
fn unknown_id_message_names_it() {
    towel_data::data_or_skip!();
    let enc = common::encoding(EncodingName::Cl100kBase);
    // 100256 is a gap between the ranks and the special tokens in cl100k.
    for bad in [100256, 100261, 100_277, u32::MAX] {
        let msg = enc.decode_bytes(&[15339, bad]).unwrap_err().to_string();
        assert!(
            msg.contains(&format!(
                "token id {bad} (at position 1) is not in the vocabulary"
            )),
            "{msg}"
        );
        assert!(msg.contains("position 1"), "{msg}");
    }
    let msg = enc.decode(&[9468]).unwrap_err().to_string();
    assert!(
        msg.contains("invalid UTF-8 at byte offset 0 in the decoded tokens"),
        "{msg}"
    );
}
