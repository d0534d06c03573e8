//! The coverage chart of a story page: articles over time by outlet, as inline SVG (no script, no external
//! request), with a text description for screen readers.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::feeds_out::xml as escape;

/// Width of the drawing in user units; the SVG scales to its container.
const WIDTH: f64 = 640.0;
/// Height of one outlet's lane.
const LANE: f64 = 22.0;
/// Room on the left for outlet names.
const LABELS: f64 = 170.0;
/// Room below for the time axis.
const AXIS: f64 = 26.0;
/// Lanes drawn at most; the rest are summarised.
const MAX_LANES: usize = 12;

/// The chart for `(outlet, published)` pairs, or `None` when there is nothing to draw (fewer than two
/// articles). Outlets are lanes in order of their first article.
pub(crate) fn coverage_svg(points: &[(String, DateTime<Utc>)]) -> Option<String> {
    if points.len() < 2 {
        return None;
    }
    let mut lanes: Vec<(&str, Vec<DateTime<Utc>>)> = Vec::new();
    let mut sorted: Vec<&(String, DateTime<Utc>)> = points.iter().collect();
    sorted.sort_by_key(|p| p.1);
    for (outlet, when) in sorted {
        match lanes.iter_mut().find(|(name, _)| *name == outlet.as_str()) {
            Some((_, times)) => times.push(*when),
            None => lanes.push((outlet.as_str(), vec![*when])),
        }
    }
    let hidden = lanes.len().saturating_sub(MAX_LANES);
    lanes.truncate(MAX_LANES);
    let first = points.iter().map(|p| p.1).min()?;
    let last = points.iter().map(|p| p.1).max()?;
    let span = (last - first).num_seconds().max(1) as f64;
    let plot = WIDTH - LABELS - 16.0;
    let x = |t: DateTime<Utc>| LABELS + 8.0 + plot * ((t - first).num_seconds() as f64 / span);
    let height = lanes.len() as f64 * LANE + AXIS;
    let description = format!(
        "{} articles from {} outlets between {} and {}",
        points.len(),
        lanes.len() + hidden,
        first.format("%-d %b %H:%M UTC"),
        last.format("%-d %b %H:%M UTC")
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"coverage-chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"chart-title\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">Coverage over time: {}</title>",
        escape(&description)
    );
    for (i, (outlet, times)) in lanes.iter().enumerate() {
        let y = i as f64 * LANE + LANE / 2.0;
        let label: String = outlet.chars().take(24).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\" class=\"lane\">{}</text>\
             <line x1=\"{:.0}\" y1=\"{y:.1}\" x2=\"{:.0}\" y2=\"{y:.1}\" class=\"lane-line\"/>",
            LABELS,
            y,
            escape(&label),
            LABELS + 8.0,
            WIDTH - 8.0
        );
        for t in times {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"5\" class=\"dot\"><title>{} · {}</title></circle>",
                x(*t),
                escape(outlet),
                t.format("%-d %b %H:%M UTC")
            );
        }
    }
    let axis_y = lanes.len() as f64 * LANE + 16.0;
    let _ = write!(
        svg,
        "<text x=\"{:.0}\" y=\"{axis_y:.0}\" class=\"axis\">{}</text>\
         <text x=\"{:.0}\" y=\"{axis_y:.0}\" text-anchor=\"end\" class=\"axis\">{}</text>",
        LABELS + 8.0,
        first.format("%-d %b %H:%M"),
        WIDTH - 8.0,
        last.format("%-d %b %H:%M")
    );
    if hidden > 0 {
        let _ = write!(svg, "<desc>and {hidden} more outlets not drawn</desc>");
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap()
    }

    #[test]
    fn one_lane_per_outlet_one_dot_per_article_and_names_escaped() {
        let svg = coverage_svg(&[("A <b>".into(), at(8)), ("B".into(), at(9)), ("A <b>".into(), at(12))]).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("class=\"lane\"").count(), 2);
        assert!(svg.contains("A &lt;b&gt;") && !svg.contains("A <b>"));
        assert!(svg.contains("3 articles from 2 outlets"));
    }

    #[test]
    fn a_single_article_has_no_chart() {
        assert_eq!(coverage_svg(&[("A".into(), at(8))]), None);
    }
}
