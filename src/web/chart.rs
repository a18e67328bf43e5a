//! Charts as SVG, drawn on the server: grouped bars (one group per period) or a step line (a
//! count over time), with horizontal limit lines (a statutory limit, a target). Colours come
//! from classes (`s0`…`s7` for series, `l0`…`l2` for limits) styled in `app.css`; text is drawn
//! by the browser in the page's font, so Chinese labels render as the rest of the page. Every
//! chart has a title and a description for screen readers, and its page puts the same figures
//! in a table beside it: the picture is never the only way to read them.

use std::fmt::Write;

use super::graph::escape;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 44.0;
/// At most this many labels under the x axis; the others are skipped evenly.
const MAX_X_LABELS: usize = 12;

/// How the series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One group of bars per label, one bar per series.
    Bars,
    /// One step line per series (the value holds until the next label).
    Steps,
}

/// A named row of values, one per label (`None`: no figure for that label).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A horizontal line across the chart: a limit or a target.
#[derive(Debug, Clone)]
pub struct Limit {
    pub name: String,
    pub value: f64,
}

#[derive(Debug, Clone)]
pub struct Chart {
    /// Unique on the page: the ids of the title and description derive from it.
    pub id: String,
    pub title: String,
    /// What the y axis counts ("working days", "items", "10,000 yuan").
    pub unit: String,
    pub kind: Kind,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    pub limits: Vec<Limit>,
}

/// A round step for about five ticks up to `max`.
fn step_for(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// A number as a tick or a bar's figure: no trailing zeros, thousands grouped.
pub fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let n = v.round() as i64;
        let grouped = super::layout::thousands(n.unsigned_abs());
        if n < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        format!("{v:.1}")
    }
}

impl Chart {
    fn max(&self) -> f64 {
        self.series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .chain(self.limits.iter().map(|l| &l.value))
            .fold(0.0f64, |m, v| m.max(*v))
    }

    /// A sentence for screen readers: what is drawn, the range of each series.
    fn description(&self) -> String {
        let mut parts = Vec::new();
        let mut named = self.labels.iter().filter(|l| !l.is_empty());
        if let (Some(first), Some(last)) = (named.next(), named.next_back()) {
            parts.push(format!("{first} – {last}"));
        }
        for s in &self.series {
            let vals: Vec<f64> = s.values.iter().flatten().copied().collect();
            if let (Some(lo), Some(hi)) = (
                vals.iter().copied().reduce(f64::min),
                vals.iter().copied().reduce(f64::max),
            ) {
                parts.push(format!("{}: {} – {}", s.name, number(lo), number(hi)));
            }
        }
        for l in &self.limits {
            parts.push(format!("{}: {}", l.name, number(l.value)));
        }
        parts.join("; ")
    }

    /// The chart as an SVG element followed by its legend (HTML), ready to insert in a page.
    pub fn html(&self) -> String {
        let mut out = self.svg();
        if self.series.len() + self.limits.len() > 1 || !self.limits.is_empty() {
            out.push_str("<ul class=\"legend\">");
            for (i, s) in self.series.iter().enumerate() {
                let _ = write!(
                    out,
                    "<li><span class=\"swatch s{}\" aria-hidden=\"true\"></span>{}</li>",
                    i % 8,
                    escape(&s.name)
                );
            }
            for (i, l) in self.limits.iter().enumerate() {
                let _ = write!(
                    out,
                    "<li><span class=\"swatch line l{}\" aria-hidden=\"true\"></span>{} ({})</li>",
                    i % 3,
                    escape(&l.name),
                    number(l.value)
                );
            }
            out.push_str("</ul>");
        }
        out
    }

    pub fn svg(&self) -> String {
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        // Counts are whole: no tick at 0.5 of an application.
        let whole = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .chain(self.limits.iter().map(|l| &l.value))
            .all(|v| v.fract() == 0.0);
        let step = if whole {
            step_for(self.max()).max(1.0)
        } else {
            step_for(self.max())
        };
        let top = (self.max() / step).ceil().max(1.0) * step;
        let y = |v: f64| TOP + plot_h - v / top * plot_h;
        let n = self.labels.len().max(1);
        let band = plot_w / n as f64;
        let x_mid = |i: usize| LEFT + band * (i as f64 + 0.5);
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{title}</title><desc id=\"{id}-d\">{desc}</desc>",
            id = escape(&self.id),
            title = escape(&self.title),
            desc = escape(&self.description()),
        );
        // Grid and y ticks.
        let mut v = 0.0;
        while v <= top + step / 2.0 {
            let yy = y(v);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/><text class=\"tick\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
                x2 = WIDTH - RIGHT,
                tx = LEFT - 6.0,
                ty = yy + 4.0,
                label = number(v),
            );
            v += step;
        }
        let _ = write!(
            s,
            "<text class=\"unit\" x=\"{LEFT}\" y=\"{uy}\" text-anchor=\"start\">{unit}</text>",
            uy = TOP - 6.0,
            unit = escape(&self.unit),
        );
        // X labels, evenly thinned; labels left empty by the caller (months between years)
        // already are, and are not thinned further.
        let every = if self.labels.iter().any(String::is_empty) {
            1
        } else {
            n.div_ceil(MAX_X_LABELS).max(1)
        };
        for (i, label) in self.labels.iter().enumerate() {
            if i % every == 0 && !label.is_empty() {
                let _ = write!(
                    s,
                    "<text class=\"tick\" x=\"{x:.1}\" y=\"{ly}\" text-anchor=\"middle\">{l}</text>",
                    x = x_mid(i),
                    ly = HEIGHT - BOTTOM + 18.0,
                    l = escape(label),
                );
            }
        }
        match self.kind {
            Kind::Bars => self.bars(&mut s, band, &y, TOP + plot_h),
            Kind::Steps => self.steps(&mut s, band, &y),
        }
        for (i, l) in self.limits.iter().enumerate() {
            let yy = y(l.value);
            let _ = write!(
                s,
                "<line class=\"limit l{c}\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"><title>{name}: {v}</title></line>",
                c = i % 3,
                x2 = WIDTH - RIGHT,
                name = escape(&l.name),
                v = number(l.value),
            );
        }
        let _ = write!(
            s,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{b:.1}\" y2=\"{b:.1}\"/></svg>",
            x2 = WIDTH - RIGHT,
            b = TOP + plot_h,
        );
        s
    }

    fn bars(&self, s: &mut String, band: f64, y: &dyn Fn(f64) -> f64, base: f64) {
        let k = self.series.len().max(1) as f64;
        // Bars stay narrow when there are few periods: a single period is not a wall.
        let group = (band * 0.72).min(56.0 * k);
        let w = group / k;
        for (si, series) in self.series.iter().enumerate() {
            for (i, v) in series.values.iter().enumerate() {
                let Some(v) = v else { continue };
                let x = LEFT + band * i as f64 + (band - group) / 2.0 + w * si as f64;
                let top = y(*v);
                let _ = write!(
                    s,
                    "<rect class=\"s{c}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\"><title>{label} · {name}: {val}</title></rect>",
                    c = si % 8,
                    bw = (w - 1.0).max(1.0),
                    h = (base - top).max(0.0),
                    label = escape(self.labels.get(i).map_or("", String::as_str)),
                    name = escape(&series.name),
                    val = number(*v),
                );
            }
        }
    }

    fn steps(&self, s: &mut String, band: f64, y: &dyn Fn(f64) -> f64) {
        for (si, series) in self.series.iter().enumerate() {
            let mut d = String::new();
            let mut last: Option<f64> = None;
            for (i, v) in series.values.iter().enumerate() {
                let Some(v) = v else { continue };
                let x = LEFT + band * i as f64;
                match last {
                    None => {
                        let _ = write!(d, "M{x:.1} {:.1}", y(*v));
                    }
                    Some(prev) if (prev - *v).abs() > f64::EPSILON => {
                        let _ = write!(d, " H{x:.1} V{:.1}", y(*v));
                    }
                    Some(_) => {}
                }
                last = Some(*v);
            }
            if last.is_some() {
                let _ = write!(d, " H{:.1}", LEFT + band * series.values.len() as f64);
                let _ = write!(
                    s,
                    "<path class=\"step s{c}\" d=\"{d}\"><title>{name}</title></path>",
                    c = si % 8,
                    name = escape(&series.name),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_cover_the_largest_value() {
        assert_eq!(step_for(190.0), 50.0);
        assert_eq!(step_for(60.0), 20.0);
        assert_eq!(step_for(7.0), 2.0);
        assert_eq!(step_for(0.0), 1.0);
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(12.25), "12.2");
        assert_eq!(number(-1200.0), "-1,200");
    }

    #[test]
    fn text_is_escaped_and_the_chart_is_labelled() {
        let c = Chart {
            id: "c1".into(),
            title: "<b>审批</b>".into(),
            unit: "days".into(),
            kind: Kind::Bars,
            labels: vec!["2026-Q1".into(), "2026-Q2".into()],
            series: vec![Series {
                name: "median & p90".into(),
                values: vec![Some(12.0), None],
            }],
            limits: vec![Limit {
                name: "limit".into(),
                value: 60.0,
            }],
        };
        let svg = c.html();
        assert!(svg.contains("&lt;b&gt;审批&lt;/b&gt;"), "{svg}");
        assert!(svg.contains("median &amp; p90"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("aria-labelledby=\"c1-t c1-d\""));
        assert_eq!(
            svg.matches("<rect").count(),
            1,
            "no bar for a missing value"
        );
        assert!(svg.contains("class=\"limit l0\""));
    }

    fn bars(id: &str, labels: &[&str], series: &[(&str, &[f64])], limits: &[(&str, f64)]) -> Chart {
        Chart {
            id: id.into(),
            title: id.replace('-', " "),
            unit: "units".into(),
            kind: Kind::Bars,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            series: series
                .iter()
                .map(|(n, v)| Series {
                    name: n.to_string(),
                    values: v.iter().map(|x| Some(*x)).collect(),
                })
                .collect(),
            limits: limits
                .iter()
                .map(|(n, v)| Limit {
                    name: n.to_string(),
                    value: *v,
                })
                .collect(),
        }
    }

    /// One chart of each figure's shape, as the pages draw them.
    #[test]
    fn each_figure_draws_the_same_svg_as_before() {
        let months: Vec<String> = (0..60)
            .map(|i| {
                if i % 12 == 0 {
                    format!("{}", 2016 + i / 12)
                } else {
                    String::new()
                }
            })
            .collect();
        let pre_licence = Chart {
            id: "fig-pre-licence".into(),
            title: "营业执照前置审批事项".into(),
            unit: "项".into(),
            kind: Kind::Steps,
            labels: months,
            series: vec![Series {
                name: "前置审批事项".into(),
                values: (0..60)
                    .map(|i| Some(if i < 35 { 190.0 } else { 32.0 }))
                    .collect(),
            }],
            limits: vec![],
        };
        insta::assert_snapshot!("chart_pre_licence", pre_licence.html());
        let q = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"];
        insta::assert_snapshot!(
            "chart_durations",
            bars(
                "fig-durations-eia_report_form",
                &q,
                &[
                    ("Median", &[12.0, 10.5, 9.0, 8.0]),
                    ("90th percentile", &[21.0, 19.0, 18.0, 15.0])
                ],
                &[
                    ("Statutory limit", 30.0),
                    ("Promised limit", 20.0),
                    ("One-third target", 10.0)
                ],
            )
            .html()
        );
        insta::assert_snapshot!(
            "chart_investment",
            bars(
                "fig-investment",
                &q,
                &[
                    ("Report", &[12000.0, 800.0, 0.0, 4500.0]),
                    ("Report form", &[300.0, 120.0, 95.5, 60.0])
                ],
                &[],
            )
            .html()
        );
        insta::assert_snapshot!(
            "chart_cases",
            bars(
                "fig-cases",
                &q,
                &[
                    ("Report", &[3.0, 4.0, 2.0, 5.0]),
                    ("Report form", &[14.0, 11.0, 9.0, 16.0]),
                    ("Registration", &[40.0, 38.0, 51.0, 47.0])
                ],
                &[],
            )
            .html()
        );
        insta::assert_snapshot!(
            "chart_planning",
            bars(
                "fig-planning",
                &q,
                &[
                    ("Planning EIAs", &[1.0, 0.0, 2.0, 1.0]),
                    ("Project EIAs", &[57.0, 53.0, 62.0, 68.0])
                ],
                &[]
            )
            .html()
        );
        insta::assert_snapshot!(
            "chart_trading",
            bars(
                "fig-trading",
                &q,
                &[
                    ("COD", &[1.0, 2.5, 0.0, 4.0]),
                    ("NH3-N", &[0.2, 0.0, 0.4, 0.1])
                ],
                &[]
            )
            .html()
        );
    }
}
