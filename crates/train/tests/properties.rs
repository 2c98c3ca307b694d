//! Property tests: the information identities on arbitrary distributions,
//! the loader's batches on arbitrary sizes, sampling's support.

use proptest::prelude::*;
use towel_autograd::rng::Rng;
use towel_train::data::{stratified_split, Loader};
use towel_train::info::{cross_entropy, entropy, kl_divergence, Unit};
use towel_train::sample::probabilities;

fn normalize(w: &[f64]) -> Vec<f64> {
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

proptest! {
    #[test]
    fn cross_entropy_is_entropy_plus_kl(w in prop::collection::vec((0.0f64..1.0, 0.01f64..1.0), 1..40)) {
        let p = normalize(&w.iter().map(|x| x.0).chain([1.0]).collect::<Vec<_>>());
        let q = normalize(&w.iter().map(|x| x.1).chain([1.0]).collect::<Vec<_>>());
        for unit in [Unit::Nats, Unit::Bits] {
            let h = entropy(&p, unit).unwrap();
            let ce = cross_entropy(&p, &q, unit).unwrap();
            let kl = kl_divergence(&p, &q, unit).unwrap();
            prop_assert!((ce - (h + kl)).abs() < 1e-9);
            prop_assert!(kl >= -1e-12);
            let max = Unit::from_nats(unit, (p.len() as f64).ln());
            prop_assert!(h >= 0.0 && h <= max + 1e-9);
            prop_assert!(kl_divergence(&p, &p, unit).unwrap().abs() < 1e-12);
        }
    }

    #[test]
    fn an_epoch_covers_every_example_once(n in 1usize..300, b in 1usize..70, seed in any::<u64>(), drop_last in any::<bool>()) {
        let mut l = Loader::new(n, b, true, drop_last, seed).unwrap();
        let e = l.epoch();
        prop_assert_eq!(e.len(), l.batches_per_epoch());
        let mut all: Vec<usize> = e.concat();
        prop_assert!(e.iter().all(|x| x.len() == b || (!drop_last && x.len() < b)));
        all.sort();
        all.dedup();
        let covered = if drop_last { n / b * b } else { n };
        prop_assert_eq!(all.len(), covered);
        prop_assert!(all.iter().all(|&i| i < n));
    }

    #[test]
    fn stratified_splits_partition_and_take_the_test_count(labels in prop::collection::vec(0usize..5, 1..200), seed in any::<u64>()) {
        let (tr, te) = stratified_split(&labels, 0.2, seed);
        prop_assert_eq!(te.len(), (0.2 * labels.len() as f64).ceil() as usize);
        let mut all: Vec<usize> = tr.iter().chain(&te).copied().collect();
        all.sort();
        prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
    }

    #[test]
    fn top_k_keeps_k_outcomes_and_sums_to_one(logits in prop::collection::vec(-20.0f32..20.0, 1..50), k in 1usize..10, t in 0.1f64..3.0) {
        let p = probabilities(&logits, t, Some(k)).unwrap();
        prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let kept = p.iter().filter(|&&v| v > 0.0).count();
        prop_assert!(kept >= k.min(logits.len()).min(1));
        let mut sorted = logits.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let cutoff = sorted[k.min(logits.len()) - 1];
        for (l, pv) in logits.iter().zip(&p) {
            if *l < cutoff { prop_assert_eq!(*pv, 0.0); }
        }
        let mut rng = Rng::new(0);
        let i = towel_train::sample::next_token(&logits, t, Some(k), &mut rng).unwrap();
        prop_assert!(logits[i] >= cutoff);
    }
}

/// A hostile checkpoint (any bytes changed, the safetensors header's
/// JSON and metadata included) loads with a typed error or as a model that
/// samples: never a panic, an abort or a huge allocation.
mod hostile_checkpoint {
    use super::*;
    use towel_train::checkpoint;
    use towel_train::tasks::charlm::{CharLm, Vocab};

    fn original() -> Vec<u8> {
        let vocab = Vocab::from_chars("\n abcdehlorst".chars().collect()).unwrap();
        CharLm::new(vocab, 3, 4, 5, 7)
            .unwrap()
            .to_bytes(&[])
            .unwrap()
    }

    /// Load and, if that works, sample: the result is not the point, the
    /// absence of a panic is.
    fn load_and_sample(bytes: &[u8]) -> Result<String, String> {
        let ck = checkpoint::from_bytes(bytes).map_err(|e| e.to_string())?;
        let m = CharLm::from_checkpoint(&ck).map_err(|e| e.to_string())?;
        let mut rng = Rng::new(1);
        m.sample("the rest", 12, 1.0, Some(5), &mut rng)
            .map_err(|e| e.to_string())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn changed_bytes_are_an_error_or_a_model_that_samples(
            in_header in any::<bool>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..5),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let mut b = original();
            let header_end = 8 + u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
            // The header (JSON: names, shapes, offsets, metadata) or the data.
            let span = if in_header { 8..header_end } else { header_end..b.len() };
            for (at, x) in flips {
                let i = span.start + at.index(span.len());
                b[i] ^= x;
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len()));
            }
            if let Err(e) = load_and_sample(&b) {
                prop_assert!(!e.is_empty() && !e.contains('\n'), "{e}");
            }
        }

        /// Metadata values replaced by arbitrary text (sizes, the
        /// vocabulary, the task) are errors that name the problem.
        #[test]
        fn any_metadata_value_is_an_error_or_a_model_that_samples(
            key in prop::sample::select(vec!["towel.context", "towel.embed", "towel.hidden", "towel.vocab", "towel.task", "towel.tokenizer"]),
            value in prop_oneof![
                "[0-9]{1,25}".prop_map(|s| s),
                ".{0,12}".prop_map(|s| s),
                Just("\"ab\"".to_string()),
                Just("two\nlines".to_string()),
                Just("\"\\u0000\\n\"".to_string()),
            ],
        ) {
            let ck = checkpoint::from_bytes(&original()).unwrap();
            // Replaced, or added (`towel.tokenizer`, which a character
            // model does not have, makes it a token model).
            let mut meta: Vec<(String, String)> = ck
                .metadata
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            meta.push((key.to_string(), value.clone()));
            let bytes = checkpoint::to_bytes(&ck.tensors, &meta).unwrap();
            if let Err(e) = load_and_sample(&bytes) {
                prop_assert!(!e.is_empty() && !e.contains('\n'), "{e}");
            }
        }
    }

    /// Finite weights too large for float32 arithmetic (logits overflow to
    /// inf, softmax to NaN) make sampling an error, not a panic or a
    /// garbage id.
    #[test]
    fn huge_weights_sample_to_an_error_or_text() {
        let ck = checkpoint::from_bytes(&original()).unwrap();
        for scale in [1e30f32, -1e30, f32::MAX] {
            let tensors: Vec<(String, towel_autograd::array::Array)> = ck
                .tensors
                .iter()
                .map(|(n, a)| {
                    let v: Vec<f32> = a.to_vec().iter().map(|x| x.signum() * scale).collect();
                    (
                        n.clone(),
                        towel_autograd::array::Array::from_vec(v, a.shape()).unwrap(),
                    )
                })
                .collect();
            let bytes = checkpoint::to_bytes(
                &tensors,
                &ck.metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>(),
            )
            .unwrap();
            match load_and_sample(&bytes) {
                Ok(text) => assert_eq!(text.chars().count(), 12),
                Err(e) => assert!(!e.contains('\n'), "{e}"),
            }
        }
    }
}
