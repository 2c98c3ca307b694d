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
                // A little room beyond the first and last points (2% of the
                // decades shown), so their markers and tick labels are whole,
                // and ticks of our choosing: plotters' own log ticks can leave
                // a range such as 0.25..4 labelled only at 1, 2, 3, 4.
                let x0 = x0.max(1e-12);
                let room = (x1 / x0).powf(0.02);
                let (x0, x1) = (x0 / room, x1 * room);
                let chart = builder
                    .margin_right(30)
                    .build_cartesian_2d(
                        (x0..x1).log_scale().with_key_points(log_ticks(x0, x1)),
                        y_range,
                    )
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
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
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
        let corner = self.emptiest_corner(self.log_x);
        legend(&mut chart, corner)
    }

    /// The corner of the plot where the legend hides the fewest points:
    /// each series' points in [0, 1]² plot coordinates (log x when the axis
    /// is), counted inside the box the legend would cover.
    fn emptiest_corner(&self, log_x: bool) -> SeriesLabelPosition {
        let fx = |x: f64| if log_x { x.max(1e-12).ln() } else { x };
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let (x0, x1) = bounds(all().map(|p| fx(p.0)));
        let (y0, y1) = bounds(all().map(|p| p.1));
        let longest = self
            .series
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        // The legend's size as a fraction of the plot (800x500 px, 15 px font).
        let w = ((longest as f64 * 8.0 + 50.0) / 700.0).min(0.9);
        let h = ((self.series.len() as f64 * 20.0 + 12.0) / 400.0).min(0.9);
        let corners = [
            (SeriesLabelPosition::UpperRight, 1.0 - w, 1.0 - h),
            (SeriesLabelPosition::UpperLeft, 0.0, 1.0 - h),
            (SeriesLabelPosition::LowerRight, 1.0 - w, 0.0),
            (SeriesLabelPosition::LowerLeft, 0.0, 0.0),
        ];
        let hidden = |cx: f64, cy: f64| {
            // Points on the lines between markers count too: sample each segment.
            let mut n = 0;
            for s in &self.series {
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .map(|p| ((fx(p.0) - x0) / (x1 - x0), (p.1 - y0) / (y1 - y0)))
                    .collect();
                let single = [pts.first().copied().unwrap_or_default(); 2];
                let segs: Vec<&[(f64, f64)]> = if pts.len() == 1 {
                    vec![&single[..]]
                } else {
                    pts.windows(2).collect()
                };
                for seg in segs {
                    let (a, b) = (seg[0], seg[1]);
                    for k in 0..=8 {
                        let t = k as f64 / 8.0;
                        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
                        if (cx - 0.02..=cx + w + 0.02).contains(&x)
                            && (cy - 0.05..=cy + h + 0.05).contains(&y)
                        {
                            n += 1;
                        }
                    }
                }
            }
            n
        };
        corners
            .into_iter()
            .min_by_key(|&(_, cx, cy)| hidden(cx, cy))
            .map_or(SeriesLabelPosition::UpperRight, |c| c.0)
    }
}

/// Tick positions for a log axis over `lo..hi`: 1, 2 and 5 times the powers
/// of ten when that gives at most 9 ticks, else only the powers of ten (and
/// if the range holds fewer than two of those, 1-2-5 after all).
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = (lo.max(1e-12), hi.max(lo.max(1e-12)));
    let mut all = Vec::new();
    let mut decade = 10f64.powi(lo.log10().floor() as i32);
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let v = m * decade;
            // Round away float noise (0.30000000000000004).
            let v = format!("{v:.12e}").parse::<f64>().unwrap_or(v);
            if v >= lo && v <= hi {
                all.push(v);
            }
        }
        decade *= 10.0;
    }
    if all.len() <= 9 {
        return all;
    }
    let powers: Vec<f64> = all
        .iter()
        .copied()
        .filter(|v| (v.log10() - v.log10().round()).abs() < 1e-9)
        .collect();
    if powers.len() >= 2 {
        powers
    } else {
        all
    }
}

/// A tick label: integers without decimals ("1000", not "1000.0"), other
/// values with at most three significant decimals, no trailing zeros.
pub fn tick(v: f64) -> String {
    if v.is_finite() && (v - v.round()).abs() < 1e-9 * v.abs().max(1.0) {
        return format!("{}", v.round() as i64);
    }
    let digits = if v.abs() >= 10.0 {
        1
    } else if v.abs() >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    corner: SeriesLabelPosition,
) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(corner)
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
            .x_label_formatter(&|v| tick(*v))
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

/// A heat map: `values[row][col]` at (`cols[col]`, `rows[row]`), each cell
/// coloured from white (lowest) to dark blue (highest) and labelled with its
/// value; the best cell is outlined.
pub fn heat_map(
    path: &Path,
    title: &str,
    (x_label, cols): (&str, &[f64]),
    (y_label, rows): (&str, &[f64]),
    values: &[Vec<f64>],
) -> anyhow::Result<()> {
    use SegmentValue::Exact;
    render(path, |tmp| {
        let root = BitMapBackend::new(tmp, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (lo, hi) = bounds(values.iter().flatten().copied());
        let (nc, nr) = (cols.len().max(1), rows.len().max(1));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d((0..nc - 1).into_segmented(), (0..nr - 1).into_segmented())
            .map_err(plot_err)?;
        let col_labels: Vec<String> = cols.iter().map(|&v| tick(v)).collect();
        let row_labels: Vec<String> = rows.iter().map(|&v| tick(v)).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(nc)
            .y_labels(nr)
            .x_label_formatter(&|v| segment_label(v, &col_labels))
            .y_label_formatter(&|v| segment_label(v, &row_labels))
            .draw()
            .map_err(plot_err)?;
        let best = values
            .iter()
            .enumerate()
            .flat_map(|(r, row)| row.iter().enumerate().map(move |(c, v)| (r, c, *v)))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        for (r, row) in values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                let shade = |w: f64, d: f64| (w + (d - w) * t).round() as u8;
                let fill = RGBColor(shade(255.0, 8.0), shade(255.0, 48.0), shade(255.0, 107.0));
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(Exact(c), Exact(r)), (Exact(c + 1), Exact(r + 1))],
                        fill.filled(),
                    )))
                    .map_err(plot_err)?;
                let ink = if t > 0.55 { WHITE } else { BLACK };
                // The label sits in the cell's middle: offset from its lower-left corner.
                let (x0, y0) = chart.backend_coord(&(Exact(c), Exact(r + 1)));
                let (x1, y1) = chart.backend_coord(&(Exact(c + 1), Exact(r)));
                let label = format!("{v:.4}");
                root.draw(&Text::new(
                    label,
                    ((x0 + x1) / 2 - 24, (y0 + y1) / 2 - 8),
                    ("sans-serif", 15).into_font().color(&ink),
                ))
                .map_err(plot_err)?;
            }
        }
        if let Some((r, c, _)) = best {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(Exact(c), Exact(r)), (Exact(c + 1), Exact(r + 1))],
                    RGBColor(220, 50, 32).stroke_width(3),
                )))
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
        Ok(())
    })
}

fn segment_label(v: &SegmentValue<usize>, labels: &[String]) -> String {
    match v {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every log axis of the tour gets labels across its whole range: the
    /// length plot (0.25..4) was labelled only at 1, 2, 3, 4.
    #[test]
    fn log_ticks_label_the_whole_range() {
        assert_eq!(log_ticks(0.24, 4.1), [0.5, 1.0, 2.0]);
        assert_eq!(
            log_ticks(1.9, 530.0),
            [2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        // vocabulary sizes 256..100277
        let t = log_ticks(240.0, 107_000.0);
        assert_eq!(
            t,
            [500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0, 50_000.0, 100_000.0]
        );
        // more than 9 at 1-2-5: powers of ten only
        assert_eq!(
            log_ticks(0.9, 150_000.0),
            [1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]
        );
        for (lo, hi) in [
            (0.24, 4.1),
            (1.9, 530.0),
            (240.0, 107_000.0),
            (0.003, 0.004),
        ] {
            let t = log_ticks(lo, hi);
            assert!(t.iter().all(|&v| v >= lo && v <= hi), "{lo}..{hi}: {t:?}");
            let labels: Vec<String> = t.iter().map(|&v| tick(v)).collect();
            assert!(
                labels.iter().all(|l| !l.contains("000000") && l.len() <= 6),
                "{labels:?}"
            );
        }
    }
}
