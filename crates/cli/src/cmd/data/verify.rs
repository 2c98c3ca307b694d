//! `towel data verify`: check the sha256 of every file found.
//!
//! Fails, with the reason, when `TOWEL_DATA_DIR` is set but is not a
//! readable folder, when a copy is damaged (also one that a good copy in
//! the other folder hides from every other command), when something is at a data
//! path but cannot be read (a folder, a FIFO, a symlink loop, no
//! permission), and when no data file is found at all: a verification that
//! checked nothing is not a success.

use anyhow::bail;
use towel_data::{registry, DataDirs, Status};

use super::{listing_of, print_rows, print_where, Row};
use crate::output::{outln, Output};

/// Run `towel data verify`.
pub fn run(dirs: &DataDirs, out: &Output) -> anyhow::Result<()> {
    dirs.check_data_dir()?;
    // Every copy of every file, each hashed once; the listing's status of a
    // file is derived from its copies by the rule every command follows.
    let copies: Vec<Vec<Status>> = registry::FILES.iter().map(|f| dirs.copies(f)).collect();
    let l = listing_of(
        dirs,
        copies.iter().map(|c| Status::of_copies(c.iter().cloned())),
    );
    let with = |pred: fn(&Status) -> bool| -> Vec<&Row> {
        l.files.iter().filter(|r| pred(&r.status)).collect()
    };
    let ok = with(|s| matches!(s, Status::Ok { .. })).len();
    let bad = with(|s| matches!(s, Status::Mismatch { .. }));
    let unreadable = with(|s| matches!(s, Status::Unreadable { .. }));
    let missing = with(|s| matches!(s, Status::Missing)).len();
    let names = |rows: &[&Row]| rows.iter().map(|r| r.name).collect::<Vec<_>>();
    // Damaged or unreadable copies behind a good one: the good one is used,
    // but the other is still a damaged file in a data folder.
    let hidden: Vec<(&str, &Status, &std::path::Path)> = l
        .files
        .iter()
        .zip(&copies)
        .filter_map(|(r, c)| match &r.status {
            Status::Ok { path, .. } => Some((r.name, c, path.as_path())),
            _ => None,
        })
        .flat_map(|(name, c, good)| {
            c.iter()
                .filter(|s| !matches!(s, Status::Ok { .. }))
                .map(move |s| (name, s, good))
        })
        .collect();
    if out.json {
        out.print_json(&serde_json::json!({
            "verified": ok,
            "mismatched": names(&bad),
            "unreadable": unreadable.iter().map(|r| match &r.status {
                Status::Unreadable { path, reason } => serde_json::json!({"name": r.name, "path": path, "reason": reason}),
                _ => unreachable!("filtered on Unreadable"),
            }).collect::<Vec<_>>(),
            "missing": missing,
            "damaged_behind_good": hidden.iter().map(|(name, s, _)| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["name"] = serde_json::json!(name);
                v
            }).collect::<Vec<_>>(),
        }))?;
    } else {
        print_where(dirs)?;
        print_rows(&l.files, true)?;
        outln!(
            "\n{ok} verified, {} damaged, {} unreadable, {missing} not found.",
            bad.len()
                + hidden
                    .iter()
                    .filter(|(_, s, _)| matches!(s, Status::Mismatch { .. }))
                    .count(),
            unreadable.len()
                + hidden
                    .iter()
                    .filter(|(_, s, _)| matches!(s, Status::Unreadable { .. }))
                    .count()
        )?;
    }
    let mut problems = Vec::new();
    if !bad.is_empty() {
        problems.push(format!(
            "{} file(s) have the wrong sha256: {}; delete them and fetch or copy them again",
            bad.len(),
            names(&bad).join(", ")
        ));
    }
    for r in &unreadable {
        if let Status::Unreadable { path, reason } = &r.status {
            problems.push(format!(
                "{} at {} cannot be read: {reason}",
                r.name,
                path.display()
            ));
        }
    }
    for (name, s, good) in &hidden {
        match s {
            Status::Mismatch { path, .. } => problems.push(format!(
                "{name} at {} has the wrong sha256 (the good copy at {} is used); delete it",
                path.display(),
                good.display()
            )),
            Status::Unreadable { path, reason } => problems.push(format!(
                "{name} at {} cannot be read: {reason} (the good copy at {} is used)",
                path.display(),
                good.display()
            )),
            _ => {}
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("; "));
    }
    if ok == 0 {
        bail!(
            "no data file found, so nothing was verified; looked in TOWEL_DATA_DIR ({}) and the cache ({})",
            dirs.data_dir.as_ref().map_or("unset".into(), |p| p.display().to_string()),
            dirs.cache_dir.as_ref().map_or("none".into(), |p| p.display().to_string()),
        );
    }
    Ok(())
}
