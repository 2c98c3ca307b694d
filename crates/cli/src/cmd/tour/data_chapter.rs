//! The last chapter: what data the tour ran on (embedded in towel, or found
//! and verified in the data folders), and what the chapters would use.

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
            "The tour ran on real public data: OpenAI's gpt2 and cl100k_base vocabularies, tiny \
             shakespeare and Cranfield are embedded in towel, and the richer files (o200k_base, \
             SciFact, a Project Gutenberg subset) are used when they are found. Files are looked \
             up under `TOWEL_DATA_DIR`, then in the cache that `towel data fetch` fills; a copy \
             whose sha256 does not match is reported and never used.",
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

        page.heading("Embedded in towel");
        let rows: Vec<Vec<String>> = embedded::FILES
            .iter()
            .map(|f| {
                let size = towel_data::registry::by_name(f.name).map_or(0, |r| r.size);
                vec![
                    format!("`{}`", f.name),
                    f.what.to_string(),
                    format!(
                        "{} ({} compressed)",
                        human_bytes(size),
                        human_bytes(f.packed_len() as u64)
                    ),
                    f.licence.to_string(),
                ]
            })
            .collect();
        page.table(
            &["registry name", "what", "size", "why towel may ship it"],
            &rows,
        );
        page.para(format!(
            "These are the registry files byte for byte (a test checks each one's sha256), so the \
             chapters above ran on real data even without a download. Also embedded: the tour \
             text, {} of prose written for towel. `crates/data/assets/README.md` says where each \
             file comes from.",
            human_bytes(embedded::TOUR_TEXT.len() as u64)
        ));
        page.fact("embedded_bytes", embedded::TOUR_TEXT.len());
        page.fact(
            "embedded_files",
            embedded::FILES.iter().map(|f| f.name).collect::<Vec<_>>(),
        );

        let mut uses = Vec::new();
        for (title, wants) in &ctx.wanted {
            for name in *wants {
                let here = registry::by_name(name)
                    .map(|f| !ctx.embedded_only && matches!(ctx.dirs.status(f), Status::Ok { .. }))
                    .unwrap_or(false);
                uses.push(vec![
                    title.to_string(),
                    name.to_string(),
                    match (here, towel_data::embedded::entry(name).is_some()) {
                        (true, _) => "yes",
                        (false, true) => "no: used towel's embedded copy",
                        (false, false) => "no: left out",
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
