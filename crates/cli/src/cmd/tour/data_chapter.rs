//! Chapter 1: what data towel found, and what the other chapters would use.

use towel_data::registry::{self, Kind};
use towel_data::{embedded, Status};

use super::{Chapter, Ctx, Page};
use crate::display::human_bytes;

pub struct DataChapter;

impl Chapter for DataChapter {
    fn id(&self) -> &'static str {
        "data"
    }

    fn title(&self) -> &'static str {
        "Data"
    }

    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()> {
        page.para(
            "towel runs on real public data when it can find it (OpenAI's vocabularies, tiny \
             shakespeare, SciFact, Cranfield, a Project Gutenberg subset) and on a small text \
             embedded in the binary when it cannot. Files are looked up under `TOWEL_DATA_DIR`, \
             then in the cache that `towel data fetch` fills; a copy whose sha256 does not match \
             is reported and never used.",
        );
        let mut rows = Vec::new();
        let (mut ok, mut bad, mut missing) = (0, 0, 0);
        let mut per_kind: Vec<(Kind, u64)> = Vec::new();
        for f in registry::FILES {
            let status = if ctx.embedded_only {
                Status::Missing
            } else {
                ctx.dirs.status(f)
            };
            let shown = match &status {
                Status::Ok { source, .. } => {
                    ok += 1;
                    match per_kind.iter_mut().find(|(k, _)| *k == f.kind) {
                        Some((_, n)) => *n += f.size,
                        None => per_kind.push((f.kind, f.size)),
                    }
                    format!("found ({source})")
                }
                Status::Mismatch { .. } => {
                    bad += 1;
                    "**sha256 mismatch, not used**".to_string()
                }
                Status::Unreadable { reason, .. } => {
                    bad += 1;
                    format!("**cannot be read ({reason}), not used**")
                }
                Status::Missing => {
                    missing += 1;
                    "missing".to_string()
                }
            };
            rows.push(vec![
                f.name.to_string(),
                format!("`{}`", f.path),
                human_bytes(f.size),
                shown,
            ]);
        }
        page.table(&["name", "path", "size", "status"], &rows);
        page.say(format!(
            "{ok} data files found and verified, {bad} damaged, {missing} missing"
        ));
        if ctx.embedded_only {
            page.say("--embedded-only: every chapter uses the embedded text");
        } else if ctx.dirs.data_dir.is_none() {
            page.say(
                "TOWEL_DATA_DIR is not set: chapters fall back to the embedded text where needed",
            );
        }
        page.fact("found", ok);
        page.fact("mismatched", bad);
        page.fact("missing", missing);

        let embedded_paras = embedded::tour_paragraphs().count();
        page.para(format!(
            "Always available: the embedded tour text, {} in {embedded_paras} paragraphs.",
            human_bytes(embedded::TOUR_TEXT.len() as u64)
        ));
        page.fact("embedded_bytes", embedded::TOUR_TEXT.len());

        let mut uses = Vec::new();
        for (title, wants) in &ctx.wanted {
            for name in *wants {
                let here = registry::by_name(name)
                    .map(|f| !ctx.embedded_only && matches!(ctx.dirs.status(f), Status::Ok { .. }))
                    .unwrap_or(false);
                uses.push(vec![
                    title.to_string(),
                    name.to_string(),
                    if here {
                        "yes"
                    } else {
                        "no: uses embedded data"
                    }
                    .to_string(),
                ]);
            }
        }
        if !uses.is_empty() {
            page.heading("Richer data the chapters use when present");
            page.table(&["chapter", "file", "available"], &uses);
        }

        if !per_kind.is_empty() {
            let bars: Vec<(String, f64)> = per_kind
                .iter()
                .map(|(k, n)| (format!("{k:?}").to_lowercase(), *n as f64 / 1e6))
                .collect();
            page.bar_plot("sizes", "Verified data found, by kind", "MB", &bars)?;
        }
        Ok(())
    }
}
