//! `towel train`, `towel sample`, `towel profile` end to end: the JSON
//! last line, the embedded data, NaN losses keeping the last good
//! checkpoint, checkpoint errors.

mod common;

use std::fs;

use common::towel;

fn last_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    serde_json::from_str(text.trim_end().lines().last().unwrap()).unwrap()
}

#[test]
fn digits_with_no_data_folder_trains_on_the_embedded_set() {
    let out = towel()
        .args(["train", "digits", "--json"])
        .output()
        .unwrap();
    let v = last_json(&out);
    assert!(v["test_accuracy"].as_f64().unwrap() >= 0.95, "{v}");
    assert!(v["step_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(v["steps"], 460);
    assert!(v["data"].as_str().unwrap().starts_with("embedded"), "{v}");
    // Text output says which data was used.
    let out = towel()
        .args(["train", "digits", "--epochs", "1"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("data: embedded 8x8 digits"), "{text}");
}

#[test]
fn charlm_trains_saves_and_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "to be or not to be, that is the question.\n".repeat(40);
    fs::write(tmp.path().join("t.txt"), &text).unwrap();
    let out = towel()
        .current_dir(tmp.path())
        .args([
            "train", "charlm", "--data", "t.txt", "--steps", "60", "--hidden", "32",
        ])
        .args(["--out", "m.safetensors", "--plot", "loss.png", "--json"])
        .output()
        .unwrap();
    let v = last_json(&out);
    for k in ["train_loss", "val_loss", "val_bits_per_char", "step_ms"] {
        assert!(v[k].as_f64().unwrap() > 0.0, "{k}: {v}");
    }
    assert!(v["val_loss"].as_f64().unwrap() < (v["vocab"].as_f64().unwrap()).ln());
    assert_eq!(
        &fs::read(tmp.path().join("loss.png")).unwrap()[..4],
        b"\x89PNG"
    );
    let out = towel()
        .current_dir(tmp.path())
        .args([
            "sample",
            "m.safetensors",
            "--tokens",
            "40",
            "--top-k",
            "3",
            "--seed",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    let s = last_json(&out);
    let sampled = s["text"].as_str().unwrap();
    assert_eq!(sampled.chars().count(), 40);
    assert!(sampled.chars().all(|c| text.contains(c)));
    // The same seed gives the same text.
    let again = towel()
        .current_dir(tmp.path())
        .args([
            "sample",
            "m.safetensors",
            "--tokens",
            "40",
            "--top-k",
            "3",
            "--seed",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(last_json(&again)["text"], s["text"]);
}

#[test]
fn a_nan_loss_stops_with_one_line_and_keeps_the_last_good_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let out = towel()
        .current_dir(tmp.path())
        .args(["train", "digits", "--lr", "1e32", "--out", "m.safetensors"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1,
        "{err}"
    );
    assert!(
        err.contains("became") && err.contains("lower the learning rate"),
        "{err}"
    );
    let bytes = fs::read(tmp.path().join("m.safetensors")).unwrap();
    let ck = towel_train::checkpoint::from_bytes(&bytes).unwrap();
    for (name, a) in &ck.tensors {
        assert!(a.to_vec().iter().all(|v| v.is_finite()), "{name}");
    }
    // A model already at --out (from a good run, say) is not replaced by
    // a run that diverges: its last finite parameters go beside it.
    towel()
        .current_dir(tmp.path())
        .args([
            "train",
            "digits",
            "--epochs",
            "1",
            "--out",
            "good.safetensors",
        ])
        .assert()
        .success();
    let good = fs::read(tmp.path().join("good.safetensors")).unwrap();
    let out = towel()
        .current_dir(tmp.path())
        .args([
            "train",
            "digits",
            "--lr",
            "1e32",
            "--out",
            "good.safetensors",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "kept good.safetensors as it was; wrote the last parameters whose loss was finite to good.nonfinite.safetensors"
        ),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(fs::read(tmp.path().join("good.safetensors")).unwrap(), good);
    let last = fs::read(tmp.path().join("good.nonfinite.safetensors")).unwrap();
    assert!(towel_train::checkpoint::from_bytes(&last).is_ok());
}

/// The file a diverged run would write beside an existing `--out`
/// (`NAME.nonfinite.safetensors`) is checked before training like `--out`
/// itself: it may not be an input, nor a file of another kind unless
/// forced. (It used to be checked by nobody: a `--data` text of that name
/// would have been replaced by a checkpoint if the run diverged.)
#[test]
fn the_diverged_runs_file_beside_out_is_checked_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "to be or not to be, that is the question.\n".repeat(40);
    fs::write(tmp.path().join("m.nonfinite.safetensors"), &text).unwrap();
    fs::write(tmp.path().join("t.txt"), &text).unwrap();
    let train = |data: &str| {
        towel()
            .current_dir(tmp.path())
            .args(["train", "charlm", "--data", data, "--steps", "2"])
            .args(["--hidden", "8", "--out", "m.safetensors"])
            .output()
            .unwrap()
    };
    // No model at --out yet: a diverged run would write --out itself, so
    // the sibling plays no part.
    assert!(train("m.nonfinite.safetensors").status.success());
    // Now a model is there: the sibling is the input, refused before training.
    let model = fs::read(tmp.path().join("m.safetensors")).unwrap();
    let out = train("m.nonfinite.safetensors");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("m.nonfinite.safetensors"), "{err}");
    assert_eq!(
        fs::read(tmp.path().join("m.nonfinite.safetensors")).unwrap(),
        text.as_bytes()
    );
    assert_eq!(fs::read(tmp.path().join("m.safetensors")).unwrap(), model);
    // Not an input but a text file: refused as any output of another kind.
    let out = train("t.txt");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("m.nonfinite.safetensors"), "{err}");
    // An earlier diverged run's checkpoint there is fine.
    fs::copy(
        tmp.path().join("m.safetensors"),
        tmp.path().join("m.nonfinite.safetensors"),
    )
    .unwrap();
    assert!(train("t.txt").status.success());
}

#[test]
fn sample_refuses_what_is_not_a_character_model() {
    let tmp = tempfile::tempdir().unwrap();
    towel()
        .current_dir(tmp.path())
        .args(["train", "digits", "--epochs", "1", "--out", "d.safetensors"])
        .assert()
        .success();
    fs::write(tmp.path().join("junk.safetensors"), b"not a checkpoint").unwrap();
    for (file, want) in [
        (
            "d.safetensors",
            "is a `digits` model, not a character language model",
        ),
        ("junk.safetensors", "not a usable safetensors checkpoint"),
        ("missing.safetensors", "cannot read missing.safetensors"),
    ] {
        let out = towel()
            .current_dir(tmp.path())
            .args(["sample", file])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(want) && err.lines().count() == 1,
            "{file}: {err}"
        );
    }
    let out = towel()
        .current_dir(tmp.path())
        .args(["sample", "d.safetensors", "--temperature", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn profile_reports_ops_and_phases() {
    let out = towel()
        .args(["profile", "digits", "--steps", "5", "--json"])
        .output()
        .unwrap();
    let v = last_json(&out);
    let rows = v["profile"]["rows"].as_array().unwrap();
    let ops: Vec<&str> = rows.iter().map(|r| r["op"].as_str().unwrap()).collect();
    for op in ["matmul", "AdamW.step", "clip_grad_norm"] {
        assert!(ops.contains(&op), "{op} not in {ops:?}");
    }
    let mm = rows.iter().find(|r| r["op"] == "matmul").unwrap();
    assert_eq!(mm["forward_calls"], 5 * 2);
    assert!(v["phases_ms_per_step"]["backward"].as_f64().unwrap() > 0.0);
    let out = towel()
        .args(["profile", "digits", "--steps", "3"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("matmul") && text.contains("overhead"),
        "{text}"
    );
}

#[test]
fn charlm_over_a_bpe_tokenizer_reports_bits_per_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "to be or not to be, that is the question.\n".repeat(40);
    fs::write(tmp.path().join("t.txt"), &text).unwrap();
    towel()
        .current_dir(tmp.path())
        .args([
            "bpe",
            "train",
            "--vocab-size",
            "280",
            "--out",
            "tok.json",
            "t.txt",
        ])
        .assert()
        .success();
    let out = towel()
        .current_dir(tmp.path())
        .args([
            "train",
            "charlm",
            "--data",
            "t.txt",
            "--tokenizer",
            "tok.json",
            "--steps",
            "30",
        ])
        .args([
            "--hidden",
            "16",
            "--context",
            "4",
            "--out",
            "m.safetensors",
            "--json",
        ])
        .output()
        .unwrap();
    let v = last_json(&out);
    assert_eq!(v["units"], "tokens");
    assert!(v["val_bits_per_byte"].as_f64().unwrap() > 0.0);
    let out = towel()
        .current_dir(tmp.path())
        .args(["sample", "m.safetensors", "--tokens", "10", "--json"])
        .output()
        .unwrap();
    assert!(!last_json(&out)["text"].as_str().unwrap().is_empty());
    // Refused before any training, with one line: a special token's id of
    // 4,000,000,000 (tables of billions of rows used to abort the process),
    // and sampling settings that would only fail after the training.
    let mut tok: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("tok.json")).unwrap()).unwrap();
    tok["special_tokens"] = serde_json::json!({"<s>": 4_000_000_000u64});
    fs::write(tmp.path().join("huge.json"), tok.to_string()).unwrap();
    for (extra, want) in [
        (
            &["--tokenizer", "huge.json"][..],
            "its ids go up to 4000000000",
        ),
        (
            &["--temperature", "0"][..],
            "temperature 0 must be a positive number",
        ),
        (&["--top-k", "0"][..], "top-k must be at least 1"),
        (
            &["--sample", "100000000000"][..],
            "--sample 100000000000 is more than 1000000",
        ),
    ] {
        let out = towel()
            .current_dir(tmp.path())
            .args(["train", "charlm", "--data", "t.txt", "--steps", "100000000"])
            .args(extra)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(
            err.lines().count() == 1 && err.contains(want),
            "{extra:?}: {err}"
        );
    }
}

#[test]
fn the_training_chapter_holds_its_numbers_together() {
    let tmp = tempfile::tempdir().unwrap();
    let out = towel()
        .args([
            "--json",
            "tour",
            "--embedded-only",
            "--only",
            "training",
            "--out",
        ])
        .arg(tmp.path().join("r"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ch = &v["chapters"][0];
    assert_eq!(ch["id"], "training");
    assert!(ch["error"].is_null(), "{}", ch["error"]);
    let f = &ch["facts"];
    let num = |k: &str| f[k].as_f64().unwrap();
    assert!(num("digits_test_accuracy") >= 0.95);
    assert!(
        (num("lm_cross_entropy_bits") - num("lm_entropy_bits") - num("lm_kl_bits")).abs() < 1e-9
    );
    assert!(num("lm_kl_bits") >= 0.0);
    // The page states the computed numbers.
    let md = fs::read_to_string(tmp.path().join("r/README.md")).unwrap();
    assert!(
        md.contains(&format!(
            "{:.1}% of the test",
            100.0 * num("digits_test_accuracy")
        )),
        "accuracy not in the page"
    );
    assert!(md.contains(&format!(
        "| H(p, q), cross-entropy | {:.4} |",
        num("lm_cross_entropy_bits")
    )));
    assert!(md.contains(&format!(
        "| D(p‖q), KL divergence | {:.4} |",
        num("lm_kl_bits")
    )));
    assert!(md.contains(f["lm_sample"].as_str().unwrap()));
    for plot in ch["plots"].as_array().unwrap() {
        let png = fs::read(tmp.path().join("r").join(plot.as_str().unwrap())).unwrap();
        assert_eq!(&png[..4], b"\x89PNG");
    }
}

#[test]
fn sample_refuses_huge_lengths_and_bad_checkpoints_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "to be or not to be\n".repeat(20);
    fs::write(tmp.path().join("t.txt"), &text).unwrap();
    towel()
        .current_dir(tmp.path())
        .args([
            "train", "charlm", "--data", "t.txt", "--steps", "2", "--hidden", "8",
        ])
        .args(["--out", "m.safetensors"])
        .assert()
        .success();
    // These panicked ("capacity overflow") or aborted out of memory.
    for n in ["18446744073709551615", "4000000000", "1000001"] {
        let out = towel()
            .current_dir(tmp.path())
            .args(["sample", "m.safetensors", "--tokens", n])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.starts_with(&format!("error: --tokens {n} is more than 1000000"))
                && err.lines().count() == 1,
            "{err}"
        );
    }
    // The checkpoint's metadata is compared with its tensors before the
    // model is built (a context of 10¹² was allocated first), and NaN or
    // infinite weights are refused (sampling printed empty lines, exit 0).
    let bytes = fs::read(tmp.path().join("m.safetensors")).unwrap();
    let ck = towel_train::checkpoint::from_bytes(&bytes).unwrap();
    let save =
        |name: &str, tensors: &[(String, towel_autograd::array::Array)], meta: &[(&str, &str)]| {
            let mut m: Vec<(String, String)> = ck.metadata.clone().into_iter().collect();
            for (k, v) in meta {
                m.retain(|(key, _)| key != k);
                m.push((k.to_string(), v.to_string()));
            }
            let b = towel_train::checkpoint::to_bytes(tensors, &m).unwrap();
            fs::write(tmp.path().join(name), b).unwrap();
        };
    save(
        "huge.safetensors",
        &ck.tensors,
        &[("towel.context", "1000000000000")],
    );
    for bad in [f32::NAN, f32::INFINITY] {
        let mut tensors = ck.tensors.clone();
        let (_, w) = &tensors[2];
        let mut values = w.to_vec();
        values[3] = bad;
        tensors[2].1 = towel_autograd::array::Array::from_vec(values, w.shape()).unwrap();
        save(&format!("{bad}.safetensors"), &tensors, &[]);
    }
    let name2 = ck.tensors[2].0.clone();
    for (file, want) in [
        (
            "huge.safetensors",
            "in the checkpoint but [8, 24000000000000] in the model".to_string(),
        ),
        (
            "NaN.safetensors",
            format!("tensor {name2} holds NaN at element 3; a checkpoint's weights must be finite"),
        ),
        (
            "inf.safetensors",
            format!("tensor {name2} holds inf at element 3;"),
        ),
    ] {
        let out = towel()
            .current_dir(tmp.path())
            .args(["sample", file])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(
            err.contains(&want) && err.contains(file) && err.lines().count() == 1,
            "{file}: {err}"
        );
    }
}

/// Settings that would train nothing or diverge are refused before any
/// work: zero steps, batches or epochs, and a learning rate that is not a
/// positive finite number (NaN used to run until the loss became NaN).
#[test]
fn hopeless_settings_are_refused_up_front() {
    for (args, want) in [
        (
            &["train", "charlm", "--steps", "0"][..],
            "must be at least 1",
        ),
        (
            &["train", "charlm", "--batch", "0"][..],
            "must be at least 1",
        ),
        (
            &["train", "digits", "--epochs", "0"][..],
            "must be at least 1",
        ),
        (
            &["train", "digits", "--batch", "0"][..],
            "must be at least 1",
        ),
        (&["train", "charlm", "--lr", "NaN"][..], "not NaN"),
        (&["train", "digits", "--lr", "inf"][..], "not inf"),
        (&["train", "digits", "--lr", "0"][..], "not 0"),
        (
            &["train", "digits", "--lr=-1e-3"][..],
            "must be a positive finite number",
        ),
    ] {
        let out = towel().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// A model or batch too big for the machine's free memory is refused up
/// front with one line (the allocation used to abort the process with a
/// trace: `--batch 100000000` asked for 77 GB).
#[test]
fn sizes_beyond_the_free_memory_are_refused_up_front() {
    for (flag, value) in [
        ("--batch", "100000000"),
        ("--hidden", "1000000000"),
        ("--context", "1000000000"),
        ("--embed", "1000000000"),
    ] {
        let out = towel()
            .args([
                "train", "charlm", "--steps", "1", "--sample", "0", flag, value,
            ])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag}: {err}");
        assert!(
            err.starts_with("error: ")
                && err.lines().count() == 1
                && err.contains(&format!("{flag} {value}"))
                && err.contains("GB of memory to train, more than the"),
            "{flag}: {err}"
        );
    }
}

/// A digits file too small to split says so (it said "the data set is
/// empty" for a file of one image).
#[test]
fn too_few_digits_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one.csv");
    let row: Vec<String> = (0..64)
        .map(|_| "0".to_string())
        .chain(["3".into()])
        .collect();
    fs::write(&one, row.join(",") + "\n").unwrap();
    let out = towel()
        .args(["train", "digits", "--data"])
        .arg(&one)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines().count() == 1 && err.contains("1 images are too few"),
        "{err}"
    );
}

/// A damaged tiny shakespeare in the data folder is an error, not a silent
/// fall back to the embedded copy "because no data folder was found".
#[test]
fn a_damaged_data_file_is_not_replaced_by_the_embedded_copy() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("text")).unwrap();
    fs::write(
        tmp.path().join("text/tinyshakespeare.txt"),
        "not the real text",
    )
    .unwrap();
    let err = common::one_line_error(
        common::towel_with_data(tmp.path()).args(["train", "charlm", "--steps", "1"]),
    );
    assert!(err.contains("tinyshakespeare"), "{err}");
}
