//! PNG plots for the tour report: line charts and bar charts, drawn with
//! plotters and the embedded DejaVu Sans font (no system font lookup).
//!
//! Each plot is drawn into a temp file beside the target and renamed into
//! place, so a report folder never holds half a picture.

use std::path::Path;
use std::sync::Once;

use anyhow::anyhow;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

const SIZE: (u32, u32) = (800, 500);

fn init_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration only fails on an invalid font file, and this one is embedded.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// One named line of (x, y) points.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
        }
    }
}

/// A line chart with a legend.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Log-scaled x axis (all x must be > 0).
    pub log_x: bool,
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    (lo, hi)
}

fn render(path: &Path, draw: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    init_fonts();
    towel_data::write::write_atomic_via(path, |tmp| {
        draw(tmp).map_err(|e| std::io::Error::other(format!("drawing: {e:#}")))
    })?;
    Ok(())
}

fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}

impl LineChart {
    /// Draw the chart to a PNG file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        render(path, |tmp| {
            let root = BitMapBackend::new(tmp, SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let (x0, x1) = bounds(
                self.series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|p| p.0)),
            );
            let (y0, y1) = bounds(
                self.series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|p| p.1)),
            );
            let pad = (y1 - y0) * 0.05;
            let mut builder = ChartBuilder::on(&root);
            builder
                .caption(&self.title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(60);
            let y_range = (y0 - pad)..(y1 + pad);
            // Markers only where points are few enough to read one by one.
            if self.log_x {
                let chart = builder
                    .build_cartesian_2d((x0.max(1e-12)..x1).log_scale(), y_range)
                    .map_err(plot_err)?;
                self.draw_lines(chart, true)?;
            } else {
                let chart = builder
                    .build_cartesian_2d(x0..x1, y_range)
                    .map_err(plot_err)?;
                self.draw_lines(chart, false)?;
            }
            root.present().map_err(plot_err)?;
            Ok(())
        })
    }
}

impl LineChart {
    /// Axes, one line per series (with point markers if asked), and the legend,
    /// on a chart whose x axis may be linear or logarithmic.
    fn draw_lines<'a, X>(
        &self,
        mut chart: ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, RangedCoordf64>>,
        markers: bool,
    ) -> anyhow::Result<()>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()
            .map_err(plot_err)?;
        for (i, s) in self.series.iter().enumerate() {
            let c = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
                .map_err(plot_err)?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
            if markers {
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(plot_err)?;
            }
        }
        legend(&mut chart)
    }
}

fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(plot_err)
}

/// A horizontal bar chart: one bar per label.
pub fn bar_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    bars: &[(String, f64)],
) -> anyhow::Result<()> {
    render(path, |tmp| {
        let root = BitMapBackend::new(tmp, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(1e-9);
        let n = bars.len().max(1);
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(170)
            .build_cartesian_2d(0.0..max * 1.1, (0..n - 1).into_segmented()) // plotters integer ranges include their end
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    Palette99::pick(i).filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
        Ok(())
    })
}
