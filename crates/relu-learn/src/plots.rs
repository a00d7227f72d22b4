//! SVG figures for the suites, drawn with `plotters` (SVG backend only).

use anyhow::{Result, anyhow};
use plotters::prelude::*;

/// One series: a label and its points.
pub type Series = (String, Vec<(f64, f64)>);

/// One series of a bar chart: a label and one value per category.
pub type Series1 = (String, Vec<f64>);

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A log–log plot of the series (points with finite positive coordinates
/// only), lines with markers, a legend; returns the SVG document.
///
/// # Errors
/// No drawable point, or a plotting error.
pub fn log_log(title: &str, x_desc: &str, y_desc: &str, series: &[Series]) -> Result<String> {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
        .collect();
    if pts.is_empty() {
        return Err(anyhow!("{title}: nothing to plot"));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
    for (x, y) in &pts {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    let (x0, x1) = (x0 / 1.3, x1 * 1.3);
    let (y0, y1) = (y0 / 3.0, y1 * 3.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(8)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (i, (label, p)) in series.iter().enumerate() {
            let c = COLOURS[i % COLOURS.len()];
            let p: Vec<(f64, f64)> = p
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
                .collect();
            if p.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(p.clone(), c.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            chart
                .draw_series(p.iter().map(|&(x, y)| Circle::new((x, y), 3, c.filled())))
                .map_err(|e| anyhow!("{e}"))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}

/// A grouped bar chart of values in [0, 1] (success rates): one group of
/// bars per category, one bar per series (its values in category order; a
/// NaN draws nothing), a legend; returns the SVG document.
///
/// # Errors
/// No category or series, a series of the wrong length, or a plotting
/// error.
pub fn grouped_bars(title: &str, y_desc: &str, categories: &[String], series: &[Series1]) -> Result<String> {
    if categories.is_empty() || series.is_empty() {
        return Err(anyhow!("{title}: nothing to plot"));
    }
    if let Some((label, _)) = series.iter().find(|(_, v)| v.len() != categories.len()) {
        return Err(anyhow!(
            "{title}: series {label} does not have one value per category"
        ));
    }
    let (nc, ns) = (categories.len(), series.len());
    let mut svg = String::new();
    {
        let width = (160 * nc as u32).clamp(480, 1200);
        let root = SVGBackend::with_string(&mut svg, (width, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(0.0..nc as f64, 0.0..1.25)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(nc * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor();
                if (x - i - 0.5).abs() < 1e-9 && (i as usize) < nc {
                    categories[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_labels(6)
            .y_desc(y_desc)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let gap = 0.15;
        let w = (1.0 - 2.0 * gap) / ns as f64;
        for (j, (label, values)) in series.iter().enumerate() {
            let c = COLOURS[j % COLOURS.len()];
            let bars: Vec<Rectangle<(f64, f64)>> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, &v)| {
                    let x0 = i as f64 + gap + j as f64 * w;
                    // A sliver for zero so that "0 of n" is visible.
                    Rectangle::new(
                        [(x0, 0.0), (x0 + w * 0.9, v.clamp(0.0, 1.0).max(0.01))],
                        c.filled(),
                    )
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(|e| anyhow!("{e}"))?
                .label(label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}

/// The least-squares slope of `log y` against `log x` (finite positive
/// points; `None` for fewer than two).
#[must_use]
pub fn log_slope(p: &[(f64, f64)]) -> Option<f64> {
    let q: Vec<(f64, f64)> = p
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if q.len() < 2 {
        return None;
    }
    let n = q.len() as f64;
    let (mx, my) = (
        q.iter().map(|p| p.0).sum::<f64>() / n,
        q.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = q.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = q.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_and_a_plot() {
        let p: Vec<(f64, f64)> = [1e3, 1e4, 1e5].iter().map(|&n: &f64| (n, 3.0 / n)).collect();
        assert!((log_slope(&p).unwrap() + 1.0).abs() < 1e-12);
        let svg = log_log("t", "n", "err", &[("a".into(), p)]).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
        assert!(log_log("t", "n", "err", &[("a".into(), vec![(1.0, -1.0)])]).is_err());
        let cats = vec!["x".to_owned(), "y".to_owned()];
        let bars = grouped_bars("t", "rate", &cats, &[("a".into(), vec![0.5, 1.0])]).unwrap();
        assert!(bars.contains("<svg") && bars.contains("\nx\n"), "{bars}");
        assert!(grouped_bars("t", "rate", &cats, &[("a".into(), vec![0.5])]).is_err());
    }
}
