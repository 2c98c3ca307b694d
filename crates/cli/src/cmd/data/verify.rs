//! `towel data verify`: check the sha256 of every file found.

use anyhow::bail;
use towel_data::{DataDirs, Status};

use super::{listing, print_rows, print_where, Row};
use crate::output::Output;

/// Run `towel data verify`; fails if any copy is damaged.
pub fn run(dirs: &DataDirs, out: &Output) -> anyhow::Result<()> {
    let l = listing(dirs);
    let bad: Vec<&Row> = l
        .files
        .iter()
        .filter(|r| matches!(r.status, Status::Mismatch { .. }))
        .collect();
    let ok = l
        .files
        .iter()
        .filter(|r| matches!(r.status, Status::Ok { .. }))
        .count();
    if out.json {
        out.print_json(&serde_json::json!({
            "verified": ok,
            "mismatched": bad.iter().map(|r| r.name).collect::<Vec<_>>(),
            "missing": l.files.iter().filter(|r| matches!(r.status, Status::Missing)).count(),
        }))?;
    } else {
        print_where(dirs);
        print_rows(&l.files, true);
        println!("\n{ok} verified, {} damaged.", bad.len());
    }
    if !bad.is_empty() {
        let names: Vec<_> = bad.iter().map(|r| r.name).collect();
        bail!(
            "{} file(s) have the wrong sha256: {}; delete them and fetch or copy them again",
            bad.len(),
            names.join(", ")
        );
    }
    Ok(())
}
