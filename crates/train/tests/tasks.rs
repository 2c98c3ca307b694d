//! The trainings: the digits accuracy bound on a short seeded run, seeded
//! runs reproducible, NaN losses stopping training with the last good
//! parameters, the character model's checkpoint round trip.

use towel_autograd::rng::Rng;
use towel_train::module::Module;
use towel_train::tasks::charlm::{CharLm, CharLmConfig, Corpus, Vocab};
use towel_train::tasks::digits::{self, Digits, DigitsConfig};
use towel_train::{checkpoint, TrainError};

#[test]
fn digits_reach_95_percent_with_the_benchmark_settings() {
    let data = Digits::embedded();
    assert_eq!(data.len(), 1797);
    let cfg = DigitsConfig::default(); // 20 epochs: under a second
    let model = digits::model(cfg.hidden, cfg.seed);
    let r = digits::train(&model, &data, &cfg, &mut |_, _, _| {}).unwrap();
    assert_eq!((r.n_train, r.n_test), (1437, 360));
    assert_eq!(r.steps, 20 * 23);
    assert!(r.test_accuracy >= 0.95, "test accuracy {}", r.test_accuracy);
    assert!(r.losses.first().unwrap() > r.losses.last().unwrap());
}

#[test]
fn seeded_runs_are_reproducible_and_seeds_matter() {
    let data = Digits::embedded();
    let run = |seed| {
        let cfg = DigitsConfig {
            epochs: 1,
            seed,
            ..DigitsConfig::default()
        };
        let model = digits::model(cfg.hidden, cfg.seed);
        digits::train(&model, &data, &cfg, &mut |_, _, _| {})
            .unwrap()
            .losses
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn the_split_is_the_benchmarks_and_stratified() {
    let data = Digits::embedded();
    let (tr, te, _) = data.split(0);
    assert_eq!((tr.len(), te.len()), (1437, 360));
    let (tr2, te2, _) = data.split(7);
    assert_eq!((tr2.len(), te2.len()), (1437, 360));
    let mut all: Vec<usize> = tr2.iter().chain(&te2).copied().collect();
    all.sort();
    assert_eq!(all, (0..1797).collect::<Vec<_>>());
    for c in 0..10 {
        let n = te2.iter().filter(|&&i| data.y[i] == c).count() as f64;
        let total = data.y.iter().filter(|&&y| y == c).count() as f64;
        assert!(
            (n - 360.0 * total / 1797.0).abs() < 1.0,
            "class {c}: {n} of {total}"
        );
    }
}

#[test]
fn csv_errors_name_the_line() {
    let err = Digits::parse_csv("1,2,3\n", "d.csv")
        .unwrap_err()
        .to_string();
    assert!(err.contains("d.csv line 1: 3 values"), "{err}");
    let mut line = vec!["0"; 64];
    line.push("12");
    let err = Digits::parse_csv(&line.join(","), "d.csv")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("value 65: `12` is not an integer 0..9"),
        "{err}"
    );
    assert!(Digits::parse_csv("", "d.csv").is_err());
}

#[test]
fn a_nan_loss_stops_training_with_the_last_good_parameters() {
    let data = Digits::embedded();
    let cfg = DigitsConfig {
        epochs: 5,
        lr: 1e32,
        clip: 1e30,
        ..DigitsConfig::default()
    };
    let model = digits::model(cfg.hidden, cfg.seed);
    let err = digits::train(&model, &data, &cfg, &mut |_, _, _| {}).unwrap_err();
    let TrainError::NonFinite {
        step, last_good, ..
    } = err
    else {
        panic!("{err}")
    };
    assert!(last_good < step);
    assert!(err_msg(&data, &cfg).contains("lower the learning rate"));
    // The model holds the last parameters whose loss was finite.
    for (name, a) in model.state_dict() {
        assert!(
            a.to_vec().iter().all(|v| v.is_finite()),
            "{name} is not finite"
        );
    }
    let (x, y) = data.batch(&[0, 1, 2]).unwrap();
    let l = model.forward(&x).unwrap().cross_entropy(&y, None).unwrap();
    assert!(l.data().item().unwrap().is_finite());
}

fn err_msg(data: &Digits, cfg: &DigitsConfig) -> String {
    let model = digits::model(cfg.hidden, cfg.seed);
    digits::train(&model, data, cfg, &mut |_, _, _| {})
        .unwrap_err()
        .to_string()
}

#[test]
fn charlm_learns_saves_and_samples() {
    let text = towel_data_text();
    let vocab = Vocab::of_text(&text).unwrap();
    let corpus = Corpus::split(&vocab, &text).unwrap();
    let cfg = CharLmConfig {
        steps: 150,
        hidden: 64,
        ..CharLmConfig::default()
    };
    let m = CharLm::new(vocab.clone(), cfg.context, cfg.embed, cfg.hidden, 1).unwrap();
    let before = m.mean_loss(&corpus.val).unwrap();
    let r = m.train(&corpus, &cfg, &mut |_, _, _| {}).unwrap();
    assert!(r.val_loss < before - 0.5, "{before} -> {}", r.val_loss);
    assert!((r.val_bits_per_char - r.val_loss / std::f64::consts::LN_2).abs() < 1e-12);
    let bytes = m.to_bytes(&[]).unwrap();
    let back = CharLm::from_checkpoint(&checkpoint::from_bytes(&bytes).unwrap()).unwrap();
    assert_eq!(back.vocab, vocab);
    assert_eq!(
        back.mean_loss(&corpus.val).unwrap(),
        m.mean_loss(&corpus.val).unwrap()
    );
    let s1 = back
        .sample("the ", 50, 0.8, Some(5), &mut Rng::new(9))
        .unwrap();
    let s2 = m
        .sample("the ", 50, 0.8, Some(5), &mut Rng::new(9))
        .unwrap();
    assert_eq!(s1, s2);
    assert_eq!(s1.chars().count(), 50);
    assert!(m
        .sample("\u{1F600}", 5, 1.0, None, &mut Rng::new(0))
        .is_err());
}

fn towel_data_text() -> String {
    // A small public-domain-style text of a few KB, repeated, is enough to learn from.
    "the quick brown fox jumps over the lazy dog. a stitch in time saves nine.\n".repeat(60)
}

#[test]
fn a_bpe_tokenizer_vocabulary_trains_saves_and_reports_bits_per_byte() {
    use towel_tokenizer::train::{export, BpeTrainer};
    use towel_tokenizer::{Format, Pattern};
    let text = towel_data_text();
    let bpe = BpeTrainer::new(300)
        .pattern(Pattern::gpt2())
        .train_texts([text.as_str()])
        .unwrap();
    let file = export::render(&bpe, Format::Towel).unwrap().files.remove(0);
    let vocab = Vocab::from_tokenizer(&file, "tok.json").unwrap();
    assert_eq!(vocab.unit(), "tokens");
    assert!(vocab.len() >= 256);
    let corpus = Corpus::split(&vocab, &text).unwrap();
    assert_eq!(
        vocab.decode(&corpus.train) + &vocab.decode(&corpus.val),
        text
    );
    let cfg = CharLmConfig {
        steps: 100,
        hidden: 64,
        context: 4,
        ..CharLmConfig::default()
    };
    let m = CharLm::new(vocab.clone(), cfg.context, cfg.embed, cfg.hidden, 1).unwrap();
    let r = m.train(&corpus, &cfg, &mut |_, _, _| {}).unwrap();
    // Bits per byte: total bits over the validation targets / their bytes.
    let bytes: usize = corpus.val[cfg.context..]
        .iter()
        .map(|&i| vocab.byte_len(i))
        .sum();
    let want = r.val_loss / std::f64::consts::LN_2 * r.val_windows as f64 / bytes as f64;
    assert!((r.val_bits_per_byte - want).abs() < 1e-9);
    assert!(
        r.val_bits_per_byte < r.val_bits_per_char,
        "tokens span several bytes"
    );
    let back = CharLm::from_checkpoint(&checkpoint::from_bytes(&m.to_bytes(&[]).unwrap()).unwrap())
        .unwrap();
    assert_eq!(back.vocab, vocab);
    let s = back
        .sample("the ", 20, 0.8, None, &mut Rng::new(3))
        .unwrap();
    assert_eq!(
        s,
        m.sample("the ", 20, 0.8, None, &mut Rng::new(3)).unwrap()
    );
    assert!(Vocab::from_tokenizer(b"\xff\xfe", "bad.json").is_err());
    assert!(Vocab::from_tokenizer(b"{}", "empty.json").is_err());
}

#[test]
fn characters_report_bits_per_byte_too() {
    let text = towel_data_text();
    let vocab = Vocab::of_text(&text).unwrap();
    let corpus = Corpus::split(&vocab, &text).unwrap();
    let cfg = CharLmConfig {
        steps: 5,
        hidden: 16,
        ..CharLmConfig::default()
    };
    let m = CharLm::new(vocab, cfg.context, cfg.embed, cfg.hidden, 1).unwrap();
    let r = m.train(&corpus, &cfg, &mut |_, _, _| {}).unwrap();
    // ASCII text: one byte per character.
    assert!((r.val_bits_per_byte - r.val_bits_per_char).abs() < 1e-9);
}

#[test]
fn checkpoint_metadata_is_checked_against_the_tensors_before_allocating() {
    let vocab = Vocab::of_text("abc ").unwrap();
    let m = CharLm::new(vocab, 3, 2, 4, 1).unwrap();
    // (`CharLm` is not `Debug`: `.err().expect(..)`, not `unwrap_err`.)
    let load = |key: &str, value: &str| {
        let bytes = m.to_bytes(&[(key.into(), value.into())]).unwrap();
        CharLm::from_checkpoint(&checkpoint::from_bytes(&bytes).unwrap())
    };
    assert!(load("towel.steps", "1").is_ok());
    // This allocated a [4, 2·10¹²] weight before comparing shapes.
    let err = load("towel.context", "1000000000000")
        .err()
        .expect("the load should fail");
    assert!(
        matches!(err, TrainError::CheckpointMismatch { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains(
            "2.weight has shape [4, 6] in the checkpoint but [4, 2000000000000] in the model"
        ),
        "{err}"
    );
    let err = load("towel.hidden", "5")
        .err()
        .expect("the load should fail")
        .to_string();
    assert!(
        err.contains("2.bias has shape [4] in the checkpoint but [5]"),
        "{err}"
    );
    let err = load("towel.context", &usize::MAX.to_string())
        .err()
        .expect("the load should fail")
        .to_string();
    assert!(err.contains("overflows"), "{err}");
}

#[test]
fn sampling_does_not_reserve_the_requested_length() {
    let vocab = Vocab::of_text("abc ").unwrap();
    let m = CharLm::new(vocab, 3, 2, 4, 1).unwrap();
    // `usize::MAX` tokens panicked with "capacity overflow" before drawing
    // one; an error on the first step shows nothing was reserved.
    let err = m.sample("a", usize::MAX, 0.0, None, &mut Rng::new(0));
    assert!(err.unwrap_err().to_string().contains("temperature"));
}
