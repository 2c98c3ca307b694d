//! `towel data`: list, verify and fetch the reference data files. What the
//! three share (the table of files with their status) is here; each
//! subcommand has its own file.

pub mod fetch;
pub mod list;
pub mod verify;

use clap::Subcommand;
use serde::Serialize;
use towel_data::registry;
use towel_data::{DataDirs, Status};

use crate::output::{outln, Output};

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Show every known data file, where it was found and whether its sha256 matches.
    List,
    /// Check the sha256 of every file found; fails if any copy is damaged.
    Verify,
    /// Download files from their canonical URL into the cache, checking the sha256.
    Fetch(fetch::FetchArgs),
}

#[derive(Serialize)]
pub struct Row {
    pub name: &'static str,
    /// The file's path inside a data folder (the status's `path`, when one
    /// is found, is where).
    #[serde(rename = "relative_path")]
    path: &'static str,
    kind: registry::Kind,
    size: u64,
    sha256: &'static str,
    url: Option<&'static str>,
    #[serde(flatten)]
    pub status: Status,
}

#[derive(Serialize)]
pub struct Listing {
    data_dir: Option<String>,
    cache_dir: Option<String>,
    pub files: Vec<Row>,
}

pub fn listing(dirs: &DataDirs) -> Listing {
    listing_of(dirs, registry::FILES.iter().map(|f| dirs.status(f)))
}

/// The listing with `statuses`, one per registry file in order.
pub fn listing_of(dirs: &DataDirs, statuses: impl IntoIterator<Item = Status>) -> Listing {
    Listing {
        data_dir: dirs.data_dir.as_ref().map(|p| p.display().to_string()),
        cache_dir: dirs.cache_dir.as_ref().map(|p| p.display().to_string()),
        files: registry::FILES
            .iter()
            .zip(statuses)
            .map(|(f, status)| Row {
                name: f.name,
                path: f.path,
                kind: f.kind,
                size: f.size,
                sha256: f.sha256,
                url: f.url,
                status,
            })
            .collect(),
    }
}

/// Run `towel data ...`.
pub fn run(cmd: DataCommand, out: &Output) -> anyhow::Result<()> {
    let dirs = DataDirs::from_env();
    match cmd {
        DataCommand::List => list::run(&dirs, out),
        DataCommand::Verify => verify::run(&dirs, out),
        DataCommand::Fetch(args) => fetch::run(&args, &dirs, out),
    }
}

pub fn print_where(dirs: &DataDirs) -> anyhow::Result<()> {
    let show = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(unset)".into())
    };
    outln!("TOWEL_DATA_DIR: {}", show(&dirs.data_dir))?;
    outln!("cache:          {}\n", show(&dirs.cache_dir))
}

pub fn print_rows(rows: &[Row], only_found: bool) -> anyhow::Result<()> {
    outln!("{:<30} {:<10} {:>11}  status", "name", "kind", "bytes")?;
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
        outln!("{:<30} {:<10} {:>11}  {status}", r.name, kind, r.size)?;
    }
    Ok(())
}
