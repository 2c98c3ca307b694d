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

impl Output {
    /// A progress bar on stderr over `len` counted units (`"documents"`,
    /// `"merges"`), hidden as [`Output::progress`] hides it.
    pub fn counter(&self, len: u64, what: &str, unit: &str) -> ProgressBar {
        let bar = self.progress(Some(len), what);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{msg:>12}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
            ))
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    }
}

/// Report a command-line usage error as clap words it, on one line, with
/// exit code 2; `--help` and `--version` print as usual with exit code 0.
pub fn report_usage_error(err: clap::Error) -> std::process::ExitCode {
    if !err.use_stderr() {
        // --help, --version: not errors.
        let _ = err.print();
        return std::process::ExitCode::SUCCESS;
    }
    let text = err.render().to_string();
    let line = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("{line}");
    std::process::ExitCode::from(2)
}

/// Print an error and its causes as one line: `error: outer: inner: root`.
pub fn report_error(err: &anyhow::Error) {
    let line = format!("{err:#}").replace('\n', " ");
    eprintln!("error: {line}");
}
