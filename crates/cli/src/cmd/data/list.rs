//! `towel data list`: every known data file, where it was found and whether its sha256 matches.

use towel_data::{DataDirs, Status};

use super::{listing, print_rows, print_where};
use crate::output::{outln, Output};

/// Run `towel data list`.
pub fn run(dirs: &DataDirs, out: &Output) -> anyhow::Result<()> {
    let l = listing(dirs);
    if out.json {
        return out.print_json(&l);
    }
    print_where(dirs)?;
    print_rows(&l.files, false)?;
    let found = l
        .files
        .iter()
        .filter(|r| matches!(r.status, Status::Ok { .. }))
        .count();
    outln!("\n{found} of {} files found and verified.", l.files.len())?;
    Ok(())
}
