//! The coverage chart of a story page: articles over time by outlet, as inline SVG (no script, no external
//! request), with a text description for screen readers.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::feeds_out::xml as escape;
use crate::strings::Strings;
use crate::timefmt;

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
/// articles). Outlets are lanes in order of their first article. Its words come from `t`.
pub(crate) fn coverage_svg(t: &Strings, points: &[(String, DateTime<Utc>)]) -> Option<String> {
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
    let x = |at: DateTime<Utc>| LABELS + 8.0 + plot * ((at - first).num_seconds() as f64 / span);
    let height = lanes.len() as f64 * LANE + AXIS;
    let description = t.fill(
        t.chart_description,
        &[
            ("articles", &t.count(&t.articles, points.len())),
            ("outlets", &t.count(&t.outlets, lanes.len() + hidden)),
            ("first", &timefmt::format(t, t.chart_time, first)),
            ("last", &timefmt::format(t, t.chart_time, last)),
        ],
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"coverage-chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"chart-title\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{}</title>",
        escape(&t.with(t.chart_title, description))
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
        for when in times {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"5\" class=\"dot\"><title>{} · {}</title></circle>",
                x(*when),
                escape(outlet),
                escape(&timefmt::format(t, t.chart_time, *when))
            );
        }
    }
    let axis_y = lanes.len() as f64 * LANE + 16.0;
    let _ = write!(
        svg,
        "<text x=\"{:.0}\" y=\"{axis_y:.0}\" class=\"axis\">{}</text>\
         <text x=\"{:.0}\" y=\"{axis_y:.0}\" text-anchor=\"end\" class=\"axis\">{}</text>",
        LABELS + 8.0,
        escape(&timefmt::format(t, t.chart_axis_time, first)),
        WIDTH - 8.0,
        escape(&timefmt::format(t, t.chart_axis_time, last))
    );
    if hidden > 0 {
        let _ = write!(svg, "<desc>{}</desc>", escape(&t.count(&t.chart_hidden, hidden)));
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::EN;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap()
    }

    #[test]
    fn one_lane_per_outlet_one_dot_per_article_and_names_escaped() {
        let svg = coverage_svg(&EN, &[("A <b>".into(), at(8)), ("B".into(), at(9)), ("A <b>".into(), at(12))]).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("class=\"lane\"").count(), 2);
        assert!(svg.contains("A &lt;b&gt;") && !svg.contains("A <b>"));
        assert!(svg.contains("3 articles from 2 outlets"));
    }

    #[test]
    fn a_single_article_has_no_chart() {
        assert_eq!(coverage_svg(&EN, &[("A".into(), at(8))]), None);
    }
}
