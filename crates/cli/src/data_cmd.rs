//! `towel data`: list, verify and fetch the reference data files.

use anyhow::{bail, Context};
use clap::Subcommand;
use serde::Serialize;
use towel_data::registry::{self, DataFile};
use towel_data::{DataDirs, Status};

use crate::output::Output;

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Show every known data file, where it was found and whether its sha256 matches.
    List,
    /// Check the sha256 of every file found; fails if any copy is damaged.
    Verify,
    /// Download files from their canonical URL into the cache, checking the sha256.
    Fetch {
        /// Names from `towel data list` (for example cl100k_base, tinyshakespeare).
        #[arg(required_unless_present = "all")]
        names: Vec<String>,
        /// Fetch every file that has a download URL.
        #[arg(long, conflicts_with = "names")]
        all: bool,
    },
}

#[derive(Serialize)]
struct Row {
    name: &'static str,
    path: &'static str,
    kind: registry::Kind,
    size: u64,
    sha256: &'static str,
    url: Option<&'static str>,
    #[serde(flatten)]
    status: Status,
}

#[derive(Serialize)]
struct Listing {
    data_dir: Option<String>,
    cache_dir: Option<String>,
    files: Vec<Row>,
}

fn listing(dirs: &DataDirs) -> Listing {
    Listing {
        data_dir: dirs.data_dir.as_ref().map(|p| p.display().to_string()),
        cache_dir: dirs.cache_dir.as_ref().map(|p| p.display().to_string()),
        files: registry::FILES
            .iter()
            .map(|f| Row {
                name: f.name,
                path: f.path,
                kind: f.kind,
                size: f.size,
                sha256: f.sha256,
                url: f.url,
                status: dirs.status(f),
            })
            .collect(),
    }
}

pub fn run(cmd: DataCommand, out: &Output) -> anyhow::Result<()> {
    let dirs = DataDirs::from_env();
    match cmd {
        DataCommand::List => {
            let l = listing(&dirs);
            if out.json {
                return out.print_json(&l);
            }
            print_where(&dirs);
            print_rows(&l.files, false);
            let found = l
                .files
                .iter()
                .filter(|r| matches!(r.status, Status::Ok { .. }))
                .count();
            println!("\n{found} of {} files found and verified.", l.files.len());
            Ok(())
        }
        DataCommand::Verify => {
            let l = listing(&dirs);
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
                print_where(&dirs);
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
        DataCommand::Fetch { names, all } => {
            let files: Vec<&DataFile> = if all {
                registry::FILES.iter().filter(|f| f.url.is_some()).collect()
            } else {
                names
                    .iter()
                    .map(|n| {
                        registry::by_name(n)
                            .ok_or_else(|| towel_data::DataError::Unknown(n.clone()))
                    })
                    .collect::<Result<_, _>>()?
            };
            let mut report = Vec::new();
            for f in files {
                if let Status::Ok { path, source } = dirs.status(f) {
                    if !out.json {
                        println!(
                            "{:<24} already present ({source}): {}",
                            f.name,
                            path.display()
                        );
                    }
                    report
                        .push(serde_json::json!({"name": f.name, "path": path, "fetched": false}));
                    continue;
                }
                let bar = out.progress(Some(f.size), f.name);
                let path = towel_data::fetch(&dirs, f, &mut |done, total| {
                    if let Some(t) = total {
                        bar.set_length(t);
                    }
                    bar.set_position(done);
                })
                .with_context(|| format!("fetching `{}`", f.name))?;
                bar.finish_and_clear();
                if !out.json {
                    println!("{:<24} fetched and verified: {}", f.name, path.display());
                }
                report.push(serde_json::json!({"name": f.name, "path": path, "fetched": true}));
            }
            if out.json {
                out.print_json(&report)?;
            }
            Ok(())
        }
    }
}

fn print_where(dirs: &DataDirs) {
    let show = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(unset)".into())
    };
    println!("TOWEL_DATA_DIR: {}", show(&dirs.data_dir));
    println!("cache:          {}\n", show(&dirs.cache_dir));
}

fn print_rows(rows: &[Row], only_found: bool) {
    println!("{:<30} {:<10} {:>11}  status", "name", "kind", "bytes");
    for r in rows {
        let status = match &r.status {
            Status::Ok { source, .. } => format!("ok ({source})"),
            Status::Mismatch { path, .. } => {
                format!("SHA256 MISMATCH at {} (not used)", path.display())
            }
            Status::Unreadable { path, reason } => {
                format!("CANNOT BE READ at {}: {reason}", path.display())
            }
            Status::Missing if only_found => continue,
            Status::Missing if r.url.is_some() => format!("missing (towel data fetch {})", r.name),
            Status::Missing => "missing".into(),
        };
        let kind = serde_json::to_value(r.kind).ok();
        let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("");
        println!("{:<30} {:<10} {:>11}  {status}", r.name, kind, r.size);
    }
}
