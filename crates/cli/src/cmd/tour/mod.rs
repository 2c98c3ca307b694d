//! `towel tour`: the guided walk through every part of towel.
//!
//! A tour is a list of [`Chapter`]s run in order. Each chapter gets a [`Ctx`]
//! (where data is, where to put files) and fills a [`Page`]: Markdown for the
//! report, a few summary lines for the terminal, facts for `--json`, and PNG
//! plots. A chapter that fails is reported in its place and the tour goes on;
//! the command then exits non-zero.
//!
//! To add a chapter: write a type implementing [`Chapter`] in its own module
//! here and list it in [`chapters`].

mod autograd_chapter;
mod bpe_chapter;
mod data_chapter;
mod essay_chapter;
mod retrieval_chapter;
mod tokenizer_chapter;
mod train_chapter;
mod training_chapter;
mod vectors_chapter;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{bail, Context};
use serde::Serialize;
use towel_data::registry;
use towel_data::DataDirs;
use towel_tokenizer::{Encoding, EncodingName};

use crate::output::{outln, Output};
use crate::plot::LineChart;

#[derive(clap::Args, Debug)]
pub struct TourArgs {
    /// Folder for the report: a new or empty folder, or one an earlier tour
    /// made (marked by a `.towel-report` file), whose files are replaced.
    #[arg(long, short, default_value = "towel-report")]
    pub out: PathBuf,
    /// Run only the chapters with these ids (see `--list`).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// List the chapters and exit.
    #[arg(long)]
    pub list: bool,
    /// Use only the data embedded in towel, even when richer files are available.
    #[arg(long)]
    pub embedded_only: bool,
}

/// What a chapter can see.
pub struct Ctx {
    pub dirs: DataDirs,
    pub embedded_only: bool,
    /// Every chapter's title and the registry files it would use.
    pub wanted: Vec<(&'static str, &'static [&'static str])>,
    /// gpt2, cl100k_base and o200k_base, each loaded once on first use.
    encodings: [OnceLock<Option<Encoding>>; 3],
}

/// The real encodings the tour uses, in [`Ctx::encodings`] order.
pub const TOUR_ENCODINGS: [EncodingName; 3] = [
    EncodingName::Gpt2,
    EncodingName::Cl100kBase,
    EncodingName::O200kBase,
];

impl Ctx {
    pub fn new(
        dirs: DataDirs,
        embedded_only: bool,
        wanted: Vec<(&'static str, &'static [&'static str])>,
    ) -> Ctx {
        Ctx {
            dirs,
            embedded_only,
            wanted,
            encodings: Default::default(),
        }
    }

    /// The verified bytes of a registry file: from the data folders, else
    /// the copy embedded in towel ([`towel_data::embedded`], the same bytes),
    /// else `None`. With `--embedded-only` only embedded copies are used.
    pub fn data(&self, name: &str) -> Option<Vec<u8>> {
        if !self.embedded_only {
            if let Some(b) = registry::by_name(name).and_then(|f| self.dirs.read(f).ok()) {
                return Some(b);
            }
        }
        towel_data::embedded::file(name).map(<[u8]>::to_vec)
    }

    /// Whether [`Ctx::data`] gives the embedded copy of `name` (for the prose).
    pub fn is_embedded(&self, name: &str) -> bool {
        towel_data::embedded::entry(name).is_some()
            && (self.embedded_only
                || registry::by_name(name).is_none_or(|f| self.dirs.locate(f).is_err()))
    }

    /// The verified path of a registry file, or `None` when it is not
    /// in the data folders (or `--embedded-only`).
    #[allow(dead_code)] // for chapters that read a file by path
    pub fn data_path(&self, name: &str) -> Option<PathBuf> {
        if self.embedded_only {
            return None;
        }
        self.dirs.locate(registry::by_name(name)?).ok()
    }

    /// A real encoding of [`TOUR_ENCODINGS`]: from the vocabulary files, else
    /// from the ranks embedded in towel (gpt2, cl100k_base); `None` when
    /// neither is there (o200k_base is not embedded).
    pub fn encoding(&self, name: EncodingName) -> Option<&Encoding> {
        let i = TOUR_ENCODINGS.iter().position(|&n| n == name)?;
        self.encodings[i]
            .get_or_init(|| {
                if self.embedded_only {
                    Encoding::embedded(name).and_then(Result::ok)
                } else {
                    Encoding::load_or_embedded(name, &self.dirs).ok()
                }
            })
            .as_ref()
    }

    /// The tour's encodings that are available, in order.
    pub fn encodings(&self) -> Vec<&Encoding> {
        TOUR_ENCODINGS
            .iter()
            .filter_map(|&n| self.encoding(n))
            .collect()
    }
}

/// One chapter of the tour.
pub trait Chapter {
    /// Short id used in file names and `--only`.
    fn id(&self) -> &'static str;
    /// Title shown in the report and on the terminal.
    fn title(&self) -> &'static str;
    /// Registry names of the richer data this chapter uses when it is present.
    fn wants(&self) -> &'static [&'static str] {
        &[]
    }
    /// Do the chapter's work and fill its page.
    fn run(&self, ctx: &Ctx, page: &mut Page) -> anyhow::Result<()>;
}

/// All chapters, in tour order.
pub fn chapters() -> Vec<Box<dyn Chapter>> {
    vec![
        Box::new(tokenizer_chapter::TokenizerChapter),
        Box::new(train_chapter::TrainChapter),
        Box::new(bpe_chapter::BpeChapter),
        Box::new(retrieval_chapter::RetrievalChapter),
        Box::new(vectors_chapter::VectorsChapter),
        Box::new(autograd_chapter::AutogradChapter),
        Box::new(training_chapter::TrainingChapter),
        Box::new(essay_chapter::EssayChapter),
        // The inventory last: what the chapters above ran on.
        Box::new(data_chapter::DataChapter),
    ]
}

/// What a chapter produced.
#[derive(Debug, Default, Serialize)]
pub struct Page {
    pub id: String,
    pub title: String,
    #[serde(skip)]
    markdown: String,
    pub summary: Vec<String>,
    pub facts: serde_json::Map<String, serde_json::Value>,
    pub plots: Vec<String>,
    pub seconds: f64,
    pub error: Option<String>,
    #[serde(skip)]
    out_dir: PathBuf,
}

impl Page {
    /// A paragraph of Markdown.
    pub fn para(&mut self, text: impl AsRef<str>) {
        self.markdown.push_str(text.as_ref().trim_end());
        self.markdown.push_str("\n\n");
    }

    /// A sub-heading.
    pub fn heading(&mut self, text: &str) {
        self.para(format!("### {text}"));
    }

    /// A Markdown table.
    pub fn table<S: AsRef<str>>(&mut self, headers: &[&str], rows: &[Vec<S>]) {
        let mut t = format!("| {} |\n|", headers.join(" | "));
        t.push_str(&" --- |".repeat(headers.len()));
        t.push('\n');
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| c.as_ref().replace('|', "\\|")).collect();
            t.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        self.para(t);
    }

    /// A line for the terminal summary (also kept in the JSON report).
    pub fn say(&mut self, line: impl Into<String>) {
        self.summary.push(line.into());
    }

    /// A machine-readable fact for `report.json` and `--json`.
    pub fn fact(&mut self, key: &str, value: impl Serialize) {
        if let Ok(v) = serde_json::to_value(value) {
            self.facts.insert(key.to_string(), v);
        }
    }

    pub fn plot_path(&mut self, name: &str) -> PathBuf {
        let file = format!("{}-{name}.png", self.id);
        self.plots.push(file.clone());
        self.out_dir.join(file)
    }

    /// Draw a line chart into the report and reference it from the page.
    pub fn line_plot(&mut self, name: &str, chart: &LineChart) -> anyhow::Result<()> {
        let path = self.plot_path(name);
        chart.save(&path)?;
        let file = self.plots.last().cloned().unwrap_or_default();
        self.para(format!("![{}]({file})", chart.title));
        Ok(())
    }

    /// Save an SVG picture into the report and reference it from the page.
    pub fn svg(&mut self, name: &str, title: &str, svg: &str) -> anyhow::Result<()> {
        let file = format!("{}-{name}.svg", self.id);
        self.plots.push(file.clone());
        towel_data::write::write_atomic(&self.out_dir.join(&file), svg.as_bytes())?;
        self.para(format!("![{title}]({file})"));
        Ok(())
    }

    /// Draw a bar chart into the report and reference it from the page.
    pub fn bar_plot(
        &mut self,
        name: &str,
        title: &str,
        x_label: &str,
        bars: &[(String, f64)],
    ) -> anyhow::Result<()> {
        let path = self.plot_path(name);
        crate::plot::bar_chart(&path, title, x_label, bars)?;
        let file = self.plots.last().cloned().unwrap_or_default();
        self.para(format!("![{title}]({file})"));
        Ok(())
    }
}

#[derive(Serialize)]
struct Report<'a> {
    report: String,
    data_dir: Option<String>,
    embedded_only: bool,
    chapters: &'a [Page],
}

pub fn run(args: &TourArgs, out: &Output) -> anyhow::Result<()> {
    let all = chapters();
    if args.list {
        if out.json {
            let list: Vec<_> = all
                .iter()
                .map(|c| serde_json::json!({"id": c.id(), "title": c.title()}))
                .collect();
            return out.print_json(&serde_json::json!({ "chapters": list }));
        }
        for c in &all {
            outln!("{:<12} {}", c.id(), c.title())?;
        }
        return Ok(());
    }
    for id in &args.only {
        if !all.iter().any(|c| c.id() == id) {
            let ids: Vec<_> = all.iter().map(|c| c.id()).collect();
            bail!("no tour chapter `{id}`; chapters are: {}", ids.join(", "));
        }
    }
    prepare_report_dir(&args.out)?;
    let out_dir = args.out.canonicalize().unwrap_or_else(|_| args.out.clone());
    let ctx = Ctx::new(
        DataDirs::from_env(),
        args.embedded_only,
        all.iter().map(|c| (c.title(), c.wants())).collect(),
    );
    let selected: Vec<_> = all
        .iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|o| o == c.id()))
        .collect();
    let mut pages = Vec::new();
    for (i, chapter) in selected.iter().enumerate() {
        if !out.json {
            outln!("\n== {}. {} ==", i + 1, chapter.title())?;
        }
        let mut page = Page {
            id: chapter.id().into(),
            title: chapter.title().into(),
            out_dir: out_dir.clone(),
            ..Page::default()
        };
        let start = Instant::now();
        if let Err(e) = chapter.run(&ctx, &mut page) {
            let msg = format!("{e:#}").replace('\n', " ");
            page.para(format!("**This chapter failed:** {msg}"));
            page.error = Some(msg);
        }
        page.seconds = start.elapsed().as_secs_f64();
        if !out.json {
            for line in &page.summary {
                outln!("  {line}")?;
            }
            if let Some(e) = &page.error {
                outln!("  FAILED: {e}")?;
            }
        }
        pages.push(page);
    }
    let readme = out_dir.join("README.md");
    towel_data::write_atomic(&readme, render_markdown(&ctx, &pages).as_bytes())?;
    let report = Report {
        report: readme.display().to_string(),
        data_dir: ctx.dirs.data_dir.as_ref().map(|p| p.display().to_string()),
        embedded_only: ctx.embedded_only,
        chapters: &pages,
    };
    towel_data::write_atomic(
        &out_dir.join("report.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    let written: Vec<String> = ["README.md".to_string(), "report.json".to_string()]
        .into_iter()
        .chain(pages.iter().flat_map(|p| p.plots.iter().cloned()))
        .collect();
    write_marker(&out_dir, &written)?;
    if out.json {
        out.print_json(&report)?;
    } else {
        outln!("\nReport written to {}", readme.display())?;
    }
    let failed: Vec<_> = pages
        .iter()
        .filter(|p| p.error.is_some())
        .map(|p| p.id.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "{} tour chapter(s) failed: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// The file that marks a folder as a towel report, which a later tour may
/// overwrite.
pub const REPORT_MARKER: &str = ".towel-report";

/// The marker's first line; the lines after it are `SHA256  NAME`, one for
/// each file the tour wrote (see [`write_marker`]).
const MARKER_HEAD: &str =
    "This folder is a report written by `towel tour`; a later tour replaces its files.";

/// Make `dir` a report folder: create it, or take an empty folder or one an
/// earlier tour made and nobody changed since; refuse any other folder,
/// whose README.md and report.json are not towel's to replace.
///
/// A folder an earlier tour made has a marker listing each file it wrote
/// with its SHA-256: a listed file that was edited since is refused (it is
/// the user's now), and so are a README.md or report.json the marker does
/// not list. A marker without that list (a tour before it, or one made by
/// hand) counts only with the report's README.md beside it.
fn prepare_report_dir(dir: &Path) -> anyhow::Result<()> {
    let marker = dir.join(REPORT_MARKER);
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("report folder {}", dir.display())),
        Ok(m) if !m.is_dir() => bail!("--out {} is not a folder", dir.display()),
        Ok(_) if marker.is_file() => {
            let listed = std::fs::read_to_string(&marker)
                .with_context(|| format!("reading {}", marker.display()))?;
            let files: Vec<(&str, &str)> = listed
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once("  "))
                .collect();
            if files.is_empty() {
                if !is_old_report(dir) {
                    bail!(
                        "refusing to write the report into {}: its {REPORT_MARKER} lists no files and its README.md is not a tour's; give a new or empty folder",
                        dir.display()
                    );
                }
                return Ok(());
            }
            for (sha, name) in &files {
                let path = dir.join(name);
                match towel_data::sha256_file(&path) {
                    Ok(now) if now == *sha => {}
                    Ok(_) => bail!(
                        "refusing to replace {}: it changed since `towel tour` wrote it; move it away or give another --out",
                        path.display()
                    ),
                    Err(_) if !path.exists() => {}
                    Err(e) => return Err(e).with_context(|| path.display().to_string()),
                }
            }
            for name in ["README.md", "report.json"] {
                if dir.join(name).exists() && !files.iter().any(|f| f.1 == name) {
                    bail!(
                        "refusing to replace {}: no earlier tour wrote it; move it away or give another --out",
                        dir.join(name).display()
                    );
                }
            }
            return Ok(());
        }
        // A report of a tour from before the marker: its README says so.
        Ok(_) if is_old_report(dir) => {}
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir)
                .with_context(|| format!("report folder {}", dir.display()))?;
            if entries.next().is_some() {
                bail!(
                    "refusing to write the report into {}: it is not empty and no earlier tour made it (it has no {REPORT_MARKER}); give a new or empty folder",
                    dir.display()
                );
            }
        }
    }
    towel_data::write_atomic(&marker, format!("{MARKER_HEAD}\n").as_bytes())?;
    Ok(())
}

/// Rewrite the marker with the SHA-256 of each file the tour wrote, so that
/// the next tour replaces only files nobody changed since.
fn write_marker(dir: &Path, names: &[String]) -> anyhow::Result<()> {
    let mut text = format!("{MARKER_HEAD}\n");
    for name in names.iter().filter(|n| dir.join(n).is_file()) {
        let sha = towel_data::sha256_file(&dir.join(name))
            .with_context(|| dir.join(name).display().to_string())?;
        text.push_str(&format!("{sha}  {name}\n"));
    }
    towel_data::write_atomic(&dir.join(REPORT_MARKER), text.as_bytes())?;
    Ok(())
}

/// The first line of every report's README.md.
const REPORT_TITLE: &str = "# The towel tour";

/// Whether `dir` holds a report written before tours left a marker: its
/// README.md starts with the title every tour writes.
fn is_old_report(dir: &Path) -> bool {
    let mut head = [0u8; REPORT_TITLE.len()];
    std::fs::File::open(dir.join("README.md"))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| head == REPORT_TITLE.as_bytes())
}

fn render_markdown(ctx: &Ctx, pages: &[Page]) -> String {
    let mut md = format!("{REPORT_TITLE}\n\n");
    md.push_str(&format!(
        "Generated by `towel tour` (towel {}). Data: {}.\n\n",
        env!("CARGO_PKG_VERSION"),
        match (&ctx.dirs.data_dir, ctx.embedded_only) {
            (_, true) => "embedded only (`--embedded-only`)".to_string(),
            (Some(d), false) => format!("`TOWEL_DATA_DIR={}`", d.display()),
            (None, false) => "embedded, plus whatever is in the cache".to_string(),
        }
    ));
    for (i, p) in pages.iter().enumerate() {
        md.push_str(&format!(
            "{}. [{}](#{})\n",
            i + 1,
            p.title,
            anchor(&p.title)
        ));
    }
    md.push('\n');
    for p in pages {
        md.push_str(&format!("## {}\n\n", p.title));
        md.push_str(&p.markdown);
        md.push_str(&format!("_Chapter time: {:.2} s._\n\n", p.seconds));
    }
    md
}

fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' => Some(c),
            _ => None,
        })
        .collect()
}
