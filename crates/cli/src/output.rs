//! Output conventions shared by every subcommand: text or `--json` on stdout,
//! progress on stderr, errors as one line.
//!
//! Everything on stdout goes through [`outln!`], [`write_stdout`] or
//! [`Output::print_json`], which return errors instead of panicking as
//! `println!` does (the crate denies `clippy::print_stdout`). `main` turns a
//! closed pipe anywhere in an error's chain into a quiet exit 0 (as `head`'s
//! users expect), and any other failure, such as a full disk, into one line.

use std::io::{IsTerminal, Write};

use anyhow::Context;

/// `println!` for the CLI: formats a line onto stdout and returns
/// `anyhow::Result<()>`, so a closed pipe or a full disk is an error the
/// command passes up with `?`.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}
pub(crate) use outln;

/// Write bytes to stdout and flush them, returning (not panicking on) errors.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .context("writing to stdout")
}

/// Whether `err` comes from writing into a closed pipe (the reader, such
/// as `head`, has all it wanted): then the command ends quietly with exit 0.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().map(|e| e.kind()) == pipe
            // serde_json's error hides the io::Error it wraps from `source()`.
            || e.downcast_ref::<serde_json::Error>().and_then(|e| e.io_error_kind()) == pipe
    })
}

/// A buffered writer on stdout for long outputs; flush it at the end with
/// `?` (and `.context("writing to stdout")`), as every write.
pub fn stdout_writer() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

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
        let mut text = serde_json::to_vec_pretty(value)?;
        text.push(b'\n');
        write_stdout(&text)
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
        // --help, --version: not errors, but a help that could not be
        // written (`towel --help > /dev/full`) is one.
        // Reported as any command's failed write is (see `main`).
        return match err
            .print()
            .and_then(|()| std::io::stdout().flush())
            .context("writing to stdout")
        {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                report_error(&e);
                std::process::ExitCode::FAILURE
            }
        };
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
