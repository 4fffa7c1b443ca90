//! The chart layer over `plotters`: axes with chosen ticks, layers (bands, lines, dots,
//! bars, heat-map cells, whiskers, rules), a legend above the plot, and the drawing of a
//! [`Plot`] into an inline SVG string (text as `<text>` elements, so no font files are
//! needed). Every text drawn passes through [`escape`]: a hidden character in a name or
//! value shows as its code.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use crate::format::{escape, fixed};
use crate::scenario::YearMonth;

pub(super) const INK: RGBColor = RGBColor(40, 40, 48);
pub(super) const GRID: RGBColor = RGBColor(226, 228, 232);
pub(super) const ZERO: RGBColor = RGBColor(140, 140, 150);
pub(super) const BLUE: RGBColor = RGBColor(31, 110, 180);
pub(super) const ORANGE: RGBColor = RGBColor(226, 118, 22);
pub(super) const GREEN: RGBColor = RGBColor(40, 150, 60);
pub(super) const PURPLE: RGBColor = RGBColor(120, 80, 170);
pub(super) const RED: RGBColor = RGBColor(200, 50, 50);
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(super) const FONT: &str = "sans-serif";
pub(super) const LABEL_SIZE: f64 = 16.0;
pub(super) const TITLE_SIZE: f64 = 19.0;

/// Approximate width in pixels of a text at a plotters font size (rendered at size / 1.24).
pub(super) fn text_width(s: &str, size: f64) -> i32 {
    (s.chars().count() as f64 * size / 1.24 * 0.56).ceil() as i32
}

/// An axis with its ticks (position, label) and description.
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<(f64, String)>,
    pub(super) desc: String,
}

impl Axis {
    fn label_at(&self, v: f64) -> String {
        let eps = (self.hi - self.lo).abs() * 1e-9;
        self.ticks
            .iter()
            .find(|(t, _)| (t - v).abs() <= eps)
            .map(|(_, l)| escape(l).into_owned())
            .unwrap_or_default()
    }
}

/// A plotters coordinate whose key points are exactly the axis ticks.
struct Ticks {
    range: Range<f64>,
    points: Vec<f64>,
}

impl Ticks {
    fn of(a: &Axis) -> Ticks {
        Ticks {
            range: a.lo..a.hi,
            points: a.ticks.iter().map(|(t, _)| *t).collect(),
        }
    }
}

impl Ranged for Ticks {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.range.start, self.range.end);
        let t = if b > a { (v - a) / (b - a) } else { 0.5 };
        (f64::from(limit.0) + t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points().max(1);
        let stride = self.points.len().div_ceil(max).max(1);
        self.points.iter().step_by(stride).copied().collect()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Decimals needed to write multiples of `step` exactly.
pub(super) fn decimals_of(step: f64) -> usize {
    (0..8)
        .find(|&d| {
            let s = step * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
        })
        .unwrap_or(8)
}

/// A numeric axis over [lo, hi] with about `target` round ticks, widened to whole ticks.
pub(super) fn nice_axis(lo: f64, hi: f64, target: usize, desc: &str) -> Axis {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo < 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let start = (lo / step + 1e-9).floor() * step;
    let end = (hi / step - 1e-9).ceil() * step;
    let d = decimals_of(step);
    let n = ((end - start) / step).round() as usize;
    let ticks = (0..=n)
        .map(|i| {
            let v = start + i as f64 * step;
            (v, fixed(v, d))
        })
        .collect();
    Axis {
        lo: start,
        hi: end,
        ticks,
        desc: desc.to_string(),
    }
}

/// Fractional year of the middle of a month.
pub(super) fn month_x(m: YearMonth) -> f64 {
    f64::from(m.year()) + (f64::from(m.month()) - 1.0) / 12.0 + 0.5 / 12.0
}

/// A time axis from the first month's start to the last month's end, ticks on 1 January.
pub(super) fn month_axis(months: &[YearMonth], extra_right: f64) -> Axis {
    let first = months.first().map_or(2000.0, |m| month_x(*m));
    let last = months.last().map_or(first, |m| month_x(*m));
    let (lo, hi) = (first - 0.5 / 12.0, last + 0.5 / 12.0 + extra_right);
    let (y0, y1) = (lo.ceil() as i64, (last + 0.5 / 12.0).floor() as i64);
    let stride = ((y1 - y0 + 1) as usize).div_ceil(12).max(1);
    let ticks = (y0..=y1)
        .step_by(stride)
        .map(|y| (y as f64, y.to_string()))
        .collect();
    Axis {
        lo,
        hi,
        ticks,
        desc: String::new(),
    }
}

/// A categorical axis: category i at position i, labelled.
pub(super) fn category_axis(labels: &[String], desc: &str) -> Axis {
    Axis {
        lo: -0.5,
        hi: labels.len() as f64 - 0.5,
        ticks: labels
            .iter()
            .enumerate()
            .map(|(i, l)| (i as f64, l.clone()))
            .collect(),
        desc: desc.to_string(),
    }
}

/// A categorical y axis listing `labels` from the top down (label i at [`top_down`]), with
/// `pad` (y units) beyond the outer categories' half-rows.
pub(super) fn top_down_axis(labels: &[String], pad: f64) -> Axis {
    let bottom_up: Vec<String> = labels.iter().rev().cloned().collect();
    let mut y = category_axis(&bottom_up, "");
    y.lo -= pad;
    y.hi += pad;
    y
}

/// The y position of row `i` of `n` on a [`top_down_axis`].
pub(super) fn top_down(i: usize, n: usize) -> f64 {
    (n - 1 - i) as f64
}

#[derive(Clone, Copy)]
pub(super) enum Swatch {
    Line,
    Dashed,
    /// A solid box (bars, stacked areas).
    Box,
    /// A pale box (a p05–p95 band).
    Band,
    Dot,
    Whisker,
}

pub(super) struct Legend {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) swatch: Swatch,
}

pub(super) fn legend(label: &str, color: RGBColor, swatch: Swatch) -> Legend {
    Legend {
        label: label.to_string(),
        color,
        swatch,
    }
}

pub(super) enum Layer {
    /// A filled band between two curves.
    Band {
        xs: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        color: RGBColor,
        alpha: f64,
    },
    Line {
        xs: Vec<f64>,
        ys: Vec<f64>,
        color: RGBColor,
        width: u32,
        dashed: bool,
    },
    Dots {
        pts: Vec<(f64, f64)>,
        color: RGBColor,
        size: u32,
    },
    Rects {
        rects: Vec<[(f64, f64); 2]>,
        color: RGBColor,
    },
    /// Rectangles each filled with its own colour, outlined in white (heat-map cells).
    Cells {
        cells: Vec<([(f64, f64); 2], RGBColor)>,
    },
    /// Vertical whiskers (x, lo, hi) with caps of half-width `cap` (x units).
    VWhiskers {
        items: Vec<(f64, f64, f64)>,
        color: RGBColor,
        cap: f64,
    },
    /// Horizontal whiskers (y, lo, hi) with caps of half-height `cap` (y units).
    HWhiskers {
        items: Vec<(f64, f64, f64)>,
        color: RGBColor,
        cap: f64,
    },
    /// A vertical rule at x.
    VRule {
        x: f64,
        color: RGBColor,
        dashed: bool,
    },
}

impl Layer {
    /// Appends the layer's y values to `out`.
    pub(super) fn ys(&self, out: &mut Vec<f64>) {
        match self {
            Layer::Band { lo, hi, .. } => out.extend(lo.iter().chain(hi)),
            Layer::Line { ys, .. } => out.extend(ys),
            Layer::Dots { pts, .. } => out.extend(pts.iter().map(|p| p.1)),
            Layer::Rects { rects, .. } => out.extend(rects.iter().flat_map(|r| [r[0].1, r[1].1])),
            Layer::Cells { cells } => out.extend(cells.iter().flat_map(|c| [c.0[0].1, c.0[1].1])),
            Layer::VWhiskers { items, .. } => out.extend(items.iter().flat_map(|i| [i.1, i.2])),
            Layer::HWhiskers { .. } | Layer::VRule { .. } => {}
        }
    }
    /// Appends the layer's x values to `out`.
    pub(super) fn xs(&self, out: &mut Vec<f64>) {
        match self {
            Layer::Band { xs, .. } | Layer::Line { xs, .. } => out.extend(xs),
            Layer::Dots { pts, .. } => out.extend(pts.iter().map(|p| p.0)),
            Layer::Rects { rects, .. } => out.extend(rects.iter().flat_map(|r| [r[0].0, r[1].0])),
            Layer::Cells { cells } => out.extend(cells.iter().flat_map(|c| [c.0[0].0, c.0[1].0])),
            Layer::VWhiskers { items, .. } => out.extend(items.iter().map(|i| i.0)),
            Layer::HWhiskers { items, .. } => out.extend(items.iter().flat_map(|i| [i.1, i.2])),
            Layer::VRule { x, .. } => out.push(*x),
        }
    }
}

pub(super) fn extent(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

pub(super) fn y_extent(layers: &[Layer]) -> (f64, f64) {
    let mut v = Vec::new();
    for l in layers {
        l.ys(&mut v);
    }
    extent(&v)
}

pub(super) fn x_extent(layers: &[Layer]) -> (f64, f64) {
    let mut v = Vec::new();
    for l in layers {
        l.xs(&mut v);
    }
    extent(&v)
}

pub(super) struct Plot {
    pub(super) title: Option<String>,
    pub(super) x: Axis,
    pub(super) y: Axis,
    pub(super) layers: Vec<Layer>,
    pub(super) legend: Vec<Legend>,
    /// Vertical grid lines at the x ticks.
    pub(super) x_grid: bool,
    /// A rule at y = 0 when the y range spans it (not for categorical y axes).
    pub(super) y_zero: bool,
}

/// Index ranges of consecutive items for which `ok` holds.
pub(super) fn runs(n: usize, ok: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=n {
        match (i < n && ok(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws a legend row (wrapping) at the top of `area`; returns its height.
pub(super) fn draw_legend(area: &Area<'_>, items: &[Legend], top: i32) -> Result<i32> {
    if items.is_empty() {
        return Ok(0);
    }
    let width = area.dim_in_pixel().0 as i32;
    let font = (FONT, 15.0).into_font().color(&INK);
    let (mut x, mut y) = (14, top);
    for item in items {
        let label = escape(&item.label);
        let w = text_width(&label, 15.0) + 40;
        if x + w > width - 10 && x > 14 {
            x = 14;
            y += 22;
        }
        let c = item.color;
        let mid = y + 9;
        match item.swatch {
            Swatch::Line => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + 24, mid)],
                    c.stroke_width(3),
                ))?;
            }
            Swatch::Dashed => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + 9, mid)],
                    c.stroke_width(2),
                ))?;
                area.draw(&PathElement::new(
                    vec![(x + 15, mid), (x + 24, mid)],
                    c.stroke_width(2),
                ))?;
            }
            Swatch::Box | Swatch::Band => {
                let alpha = if matches!(item.swatch, Swatch::Band) {
                    0.3
                } else {
                    1.0
                };
                area.draw(&Rectangle::new(
                    [(x, mid - 7), (x + 24, mid + 7)],
                    c.mix(alpha).filled(),
                ))?;
            }
            Swatch::Dot => {
                area.draw(&Circle::new((x + 12, mid), 5, c.filled()))?;
            }
            Swatch::Whisker => {
                area.draw(&PathElement::new(
                    vec![(x + 12, mid - 8), (x + 12, mid + 8)],
                    c.stroke_width(2),
                ))?;
                for yy in [mid - 8, mid + 8] {
                    area.draw(&PathElement::new(
                        vec![(x + 7, yy), (x + 17, yy)],
                        c.stroke_width(2),
                    ))?;
                }
                area.draw(&Circle::new((x + 12, mid), 4, c.filled()))?;
            }
        }
        area.draw(&Text::new(
            label.into_owned(),
            (x + 30, y + 1),
            font.clone(),
        ))?;
        x += w;
    }
    Ok(y + 24 - top)
}

pub(super) fn draw_plot(area: &Area<'_>, p: &Plot) -> Result<()> {
    let mut top = 6;
    if let Some(t) = &p.title {
        area.draw(&Text::new(
            escape(t).into_owned(),
            (14, top),
            (FONT, TITLE_SIZE)
                .into_font()
                .style(FontStyle::Bold)
                .color(&INK),
        ))?;
        top += 28;
    }
    top += draw_legend(area, &p.legend, top)?;
    let (_, body) = area.split_vertically(top);
    let y_label_width =
        p.y.ticks
            .iter()
            .map(|(_, l)| text_width(&escape(l), LABEL_SIZE))
            .max()
            .unwrap_or(20)
            + if p.y.desc.is_empty() { 14 } else { 40 };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(8)
        .margin_right(22)
        .margin_top(8)
        .margin_bottom(4)
        .x_label_area_size(if p.x.desc.is_empty() { 30 } else { 54 })
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(Ticks::of(&p.x), Ticks::of(&p.y))?;
    let xf = |v: &f64| p.x.label_at(*v);
    let yf = |v: &f64| p.y.label_at(*v);
    {
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(p.x.ticks.len().max(1))
            .y_labels(p.y.ticks.len().max(1))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(ZERO)
            .label_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK));
        if !p.x_grid {
            mesh.disable_x_mesh();
        }
        if !p.x.desc.is_empty() {
            mesh.x_desc(escape(&p.x.desc));
        }
        if !p.y.desc.is_empty() {
            mesh.y_desc(escape(&p.y.desc));
        }
        mesh.draw()?;
    }
    if p.y_zero && p.y.lo < 0.0 && p.y.hi > 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(p.x.lo, 0.0), (p.x.hi, 0.0)],
            ZERO.stroke_width(1),
        )))?;
    }
    for layer in &p.layers {
        draw_layer(&mut chart, layer, &p.y)?;
    }
    Ok(())
}

/// The chart area of a [`Plot`], in axis coordinates.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticks, Ticks>>;

/// Draws one layer; rules span the y axis `y`.
fn draw_layer(chart: &mut Chart<'_, '_>, layer: &Layer, y: &Axis) -> Result<()> {
    match layer {
        Layer::Band {
            xs,
            lo,
            hi,
            color,
            alpha,
        } => {
            for seg in runs(xs.len(), |i| {
                xs[i].is_finite() && lo[i].is_finite() && hi[i].is_finite()
            }) {
                let mut pts: Vec<(f64, f64)> = seg.clone().map(|i| (xs[i], hi[i])).collect();
                pts.extend(seg.rev().map(|i| (xs[i], lo[i])));
                chart.draw_series(std::iter::once(Polygon::new(
                    pts,
                    color.mix(*alpha).filled(),
                )))?;
            }
        }
        Layer::Line {
            xs,
            ys,
            color,
            width,
            dashed,
        } => {
            for seg in runs(xs.len(), |i| xs[i].is_finite() && ys[i].is_finite()) {
                let pts: Vec<(f64, f64)> = seg.map(|i| (xs[i], ys[i])).collect();
                if *dashed {
                    chart.draw_series(DashedLineSeries::new(
                        pts,
                        7,
                        5,
                        color.stroke_width(*width),
                    ))?;
                } else {
                    chart.draw_series(LineSeries::new(pts, color.stroke_width(*width)))?;
                }
            }
        }
        Layer::Dots { pts, color, size } => {
            chart.draw_series(
                pts.iter()
                    .filter(|p| p.0.is_finite() && p.1.is_finite())
                    .map(|&p| Circle::new(p, *size, color.filled())),
            )?;
        }
        Layer::Rects { rects, color } => {
            let ok = |r: &&[(f64, f64); 2]| r.iter().all(|p| p.0.is_finite() && p.1.is_finite());
            chart.draw_series(
                rects
                    .iter()
                    .filter(ok)
                    .map(|r| Rectangle::new(*r, color.filled())),
            )?;
            chart.draw_series(
                rects
                    .iter()
                    .filter(ok)
                    .map(|r| Rectangle::new(*r, WHITE.stroke_width(1))),
            )?;
        }
        Layer::Cells { cells } => {
            chart.draw_series(cells.iter().flat_map(|(r, c)| {
                [
                    Rectangle::new(*r, c.filled()),
                    Rectangle::new(*r, WHITE.stroke_width(1)),
                ]
            }))?;
        }
        Layer::VWhiskers { items, color, cap } => {
            for &(x, lo, hi) in items.iter().filter(|i| i.1.is_finite() && i.2.is_finite()) {
                chart.draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(2)),
                    PathElement::new(vec![(x - cap, lo), (x + cap, lo)], color.stroke_width(2)),
                    PathElement::new(vec![(x - cap, hi), (x + cap, hi)], color.stroke_width(2)),
                ])?;
            }
        }
        Layer::HWhiskers { items, color, cap } => {
            for &(y, lo, hi) in items.iter().filter(|i| i.1.is_finite() && i.2.is_finite()) {
                chart.draw_series([
                    PathElement::new(vec![(lo, y), (hi, y)], color.stroke_width(2)),
                    PathElement::new(vec![(lo, y - cap), (lo, y + cap)], color.stroke_width(2)),
                    PathElement::new(vec![(hi, y - cap), (hi, y + cap)], color.stroke_width(2)),
                ])?;
            }
        }
        Layer::VRule { x, color, dashed } => {
            let pts = vec![(*x, y.lo), (*x, y.hi)];
            if *dashed {
                chart.draw_series(DashedLineSeries::new(pts, 6, 5, color.stroke_width(2)))?;
            } else {
                chart.draw_series(LineSeries::new(pts, color.stroke_width(1)))?;
            }
        }
    }
    Ok(())
}

/// Renders into an SVG string for inline use (no namespace URL: HTML does not need it).
pub(super) fn svg(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(s.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", " role=\"img\"", 1))
}

pub(super) fn single(width: u32, height: u32, plot: &Plot) -> Result<String> {
    svg(width, height, |root| draw_plot(root, plot))
}

/// A y axis fitted to the layers' values, in `unit`'s scale.
pub(super) fn fit_y(layers: &[Layer], desc: &str) -> Axis {
    let (lo, hi) = y_extent(layers);
    nice_axis(lo, hi, 7, desc)
}

pub(super) fn scaled(v: &[f64], s: f64) -> Vec<f64> {
    v.iter().map(|x| x * s).collect()
}

/// A fan: the p05–p95 band, light, and the p50 line of width `width`, scaled by `s`.
pub(super) fn fan(
    xs: Vec<f64>,
    [lo, mid, hi]: [&[f64]; 3],
    s: f64,
    color: RGBColor,
    width: u32,
) -> [Layer; 2] {
    [
        Layer::Band {
            xs: xs.clone(),
            lo: scaled(lo, s),
            hi: scaled(hi, s),
            color,
            alpha: 0.25,
        },
        Layer::Line {
            xs,
            ys: scaled(mid, s),
            color,
            width,
            dashed: false,
        },
    ]
}
