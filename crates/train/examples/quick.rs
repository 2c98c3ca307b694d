//! Quick timing of the two trainings (development aid):
//! `cargo run --release -p towel-train --example quick -- digits|charlm [steps]`.
use towel_train::tasks::{charlm, digits};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("digits") => {
            let d = digits::Digits::embedded();
            let cfg = digits::DigitsConfig::default();
            let m = digits::model(cfg.hidden, cfg.seed);
            let r = digits::train(&m, &d, &cfg, &mut |_, _, _| {}).unwrap();
            println!("{}", serde_json::to_string(&r).unwrap());
        }
        _ => {
            let path = std::env::var("TEXT")
                .unwrap_or("/work/shared/data/text/tinyshakespeare.txt".into());
            let text = std::fs::read_to_string(path).unwrap();
            let vocab = charlm::Vocab::of_text(&text).unwrap();
            let corpus = charlm::Corpus::split(&vocab, &text).unwrap();
            let mut cfg = charlm::CharLmConfig::default();
            if let Some(s) = args.get(2) {
                cfg.steps = s.parse().unwrap();
            }
            let m =
                charlm::CharLm::new(vocab, cfg.context, cfg.embed, cfg.hidden, cfg.seed).unwrap();
            let r = m.train(&corpus, &cfg, &mut |_, _, _| {}).unwrap();
            println!("{}", serde_json::to_string(&r).unwrap());
            let mut rng = towel_autograd::rng::Rng::new(0);
            println!(
                "{}",
                m.sample("ROMEO:", 200, 0.8, Some(10), &mut rng).unwrap()
            );
        }
    }
}
