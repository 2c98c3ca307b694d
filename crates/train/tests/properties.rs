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
