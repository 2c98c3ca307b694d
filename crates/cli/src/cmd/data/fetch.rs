//! `towel data fetch`: download files from their canonical URL into the cache, sha256-checked.

use anyhow::Context;
use towel_data::registry::{self, DataFile};
use towel_data::{DataDirs, Status};

use crate::output::{outln, Output};

/// `towel data fetch`.
#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// Names from `towel data list` (for example cl100k_base, tinyshakespeare).
    #[arg(required_unless_present = "all")]
    names: Vec<String>,
    /// Fetch every file that has a download URL.
    #[arg(long, conflicts_with = "names")]
    all: bool,
}

/// Run `towel data fetch`.
pub fn run(args: &FetchArgs, dirs: &DataDirs, out: &Output) -> anyhow::Result<()> {
    let (names, all) = (&args.names, args.all);
    let files: Vec<&DataFile> = if all {
        registry::FILES.iter().filter(|f| f.url.is_some()).collect()
    } else {
        names
            .iter()
            .map(|n| registry::by_name(n).ok_or_else(|| towel_data::DataError::Unknown(n.clone())))
            .collect::<Result<_, _>>()?
    };
    let mut report = Vec::new();
    for f in files {
        if let Status::Ok { path, source } = dirs.status(f) {
            if !out.json {
                outln!(
                    "{:<24} already present ({source}): {}",
                    f.name,
                    path.display()
                )?;
            }
            report.push(serde_json::json!({"name": f.name, "path": path, "fetched": false}));
            continue;
        }
        let bar = out.progress(Some(f.size), f.name);
        let path = towel_data::fetch(dirs, f, &mut |done, total| {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        })
        .with_context(|| format!("fetching `{}`", f.name))?;
        bar.finish_and_clear();
        if !out.json {
            outln!("{:<24} fetched and verified: {}", f.name, path.display())?;
        }
        report.push(serde_json::json!({"name": f.name, "path": path, "fetched": true}));
    }
    if out.json {
        out.print_json(&report)?;
    }
    Ok(())
}
