//! Building blocks of the charts sheet's native Excel charts: line formats, the common
//! style (title, value axis, labels below the plot, legend at the bottom), line charts of
//! columns of the charts sheet, p05/p50/p95 bands, and value axes fitted to the data.

use rust_xlsxwriter::{
    Chart, ChartAxisLabelPosition, ChartFont, ChartFormat, ChartLegendPosition, ChartLine,
    ChartLineDashType, ChartMarker, ChartMarkerType, ChartType,
};

use super::CHARTS;

/// The size of a line chart, pixels.
pub(super) const SIZE: (u32, u32) = (760, 360);
/// Rows of the default height (20 pixels) a line chart covers.
pub(super) const CHART_ROWS: u32 = SIZE.1.div_ceil(20);

/// A line format.
pub(super) fn line(color: &str, width: f64, dashed: bool) -> ChartFormat {
    let mut l = ChartLine::new();
    l.set_color(color).set_width(width);
    if dashed {
        l.set_dash_type(ChartLineDashType::Dash);
    }
    let mut fmt = ChartFormat::new();
    fmt.set_line(&l);
    fmt
}

/// Title, y axis name and number format, x axis labels below the plot (values are often
/// negative), legend at the bottom.
pub(super) fn style(chart: &mut Chart, title: &str, y_name: &str) {
    let mut font = ChartFont::new();
    font.set_size(12).set_bold();
    chart
        .title()
        .set_name(crate::format::escape(title).as_ref())
        .set_font(&font);
    chart.y_axis().set_name(y_name).set_num_format("0.0");
    chart
        .x_axis()
        .set_label_position(ChartAxisLabelPosition::Low);
    chart.legend().set_position(ChartLegendPosition::Bottom);
}

/// One line of a chart: a column of the charts sheet, named by its header cell.
pub(super) struct Series<'a> {
    pub name_col: u16,
    pub col: u16,
    pub color: &'a str,
    pub width: f64,
    pub dashed: bool,
}

impl<'a> Series<'a> {
    /// A solid line of column `col`.
    pub fn solid(col: u16, color: &'a str, width: f64) -> Series<'a> {
        Series {
            name_col: col,
            col,
            color,
            width,
            dashed: false,
        }
    }
}

/// A band: an upper and a lower line, thin and light, around a thick dashed central one
/// (columns in drawing order).
pub(super) fn band<'a>(
    upper: u16,
    centre: u16,
    lower: u16,
    color: &'a str,
    light: &'a str,
) -> [Series<'a>; 3] {
    let line = |col: u16, color: &'a str, central: bool| Series {
        name_col: col,
        col,
        color,
        width: if central { 2.5 } else { 1.25 },
        dashed: !central,
    };
    [
        line(upper, light, false),
        line(centre, color, true),
        line(lower, light, false),
    ]
}

/// Where a line chart's data is on the charts sheet: the header row (series names), the
/// first and last data rows, and the category column.
pub(super) struct Rows {
    pub header: u32,
    pub first: u32,
    pub last: u32,
    pub categories: u16,
}

/// A line (or scatter) chart of columns of the charts sheet against a category column,
/// [`SIZE`].
pub(super) fn line_chart(
    chart_type: ChartType,
    title: &str,
    y_name: &str,
    rows: &Rows,
    series: &[Series<'_>],
) -> Chart {
    let (cat, first, last) = (rows.categories, rows.first, rows.last);
    let mut chart = Chart::new(chart_type);
    for s in series {
        let mut fmt = line(s.color, s.width, s.dashed);
        let sr = chart.add_series();
        sr.set_name((CHARTS, rows.header, s.name_col))
            .set_categories((CHARTS, first, cat, last, cat))
            .set_values((CHARTS, first, s.col, last, s.col))
            .set_format(&mut fmt);
        if matches!(chart_type, ChartType::ScatterStraightWithMarkers) {
            let mut m = ChartMarker::new();
            m.set_type(ChartMarkerType::Circle).set_size(4);
            sr.set_marker(&m);
        }
    }
    style(&mut chart, title, y_name);
    chart.set_width(SIZE.0).set_height(SIZE.1);
    chart
}

/// Round bounds around the finite values (Excel's automatic axis starts at 0, which
/// flattens curves far from 0).
pub(super) fn bounds(values: &[f64]) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let step = 10f64.powf((span / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * step)
        .find(|s| span / s <= 8.0)
        .unwrap_or(10.0 * step);
    let (a, b) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    Some(if b > a { (a, b) } else { (a - step, b + step) })
}

/// Fits the value axis (and a numeric x axis) to the data.
pub(super) fn fit_axes(chart: &mut Chart, xs: Option<&[f64]>, ys: &[f64]) {
    if let Some((lo, hi)) = bounds(ys) {
        chart.y_axis().set_min(lo).set_max(hi);
    }
    if let Some(xs) = xs {
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if lo.is_finite() && hi > lo {
            chart.x_axis().set_min(lo).set_max(hi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_round_and_enclose_the_values() {
        assert_eq!(bounds(&[-1.23, 4.56]), Some((-2.0, 5.0)));
        assert_eq!(bounds(&[f64::NAN]), None);
        let (lo, hi) = bounds(&[3.0, 3.0]).unwrap();
        assert!(lo < 3.0 && hi > 3.0);
    }
}
