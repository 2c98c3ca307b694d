//! Output conventions shared by every subcommand: text or `--json` on stdout,
//! progress on stderr, errors as one line.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

/// How a command should print: text for people, or JSON for programs.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Print a JSON value on stdout (pretty, one document).
    pub fn print_json(&self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)?;
        Ok(())
    }

    /// A progress bar on stderr over `len` units, hidden with `--json` or
    /// when stderr is not a terminal (so logs and pipes stay clean).
    pub fn progress(&self, len: Option<u64>, what: &str) -> ProgressBar {
        if self.json || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        match len {
            Some(n) => {
                let bar = ProgressBar::new(n);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:>12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_message(what.to_string());
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                bar.set_message(what.to_string());
                bar
            }
        }
    }
}

/// Print an error and its causes as one line: `error: outer: inner: root`.
pub fn report_error(err: &anyhow::Error) {
    let line = format!("{err:#}").replace('\n', " ");
    eprintln!("error: {line}");
}
