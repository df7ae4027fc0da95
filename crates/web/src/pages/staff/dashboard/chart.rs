//! Bar charts drawn on the server as SVG: no script, no image request, crisp at any size and
//! in print. The chart is a picture of numbers shown beside it as a table; it carries its own
//! text alternative (`role="img"`, `<title>` and `<desc>`), and each bar a tooltip.
//!
//! Colours and sizes come from classes (`40-books.css`): the Content-Security-Policy forbids
//! inline `style`, and classes let print and high-contrast modes restyle it.

use maud::{Markup, html};

/// The drawing's coordinate system (the SVG scales to its box; see the CSS).
const WIDTH: i64 = 480;
const HEIGHT: i64 = 220;
/// Room above the plot for the top gridline's label.
const TOP: i64 = 22;
/// Room below it for the month labels.
const BOTTOM: i64 = 26;
const SIDE: i64 = 6;
/// A bar takes this share (per mille) of its slot; the rest is the gap between bars.
const BAR_SHARE_PER_MILLE: i64 = 640;

/// One bar.
pub(crate) struct Bar {
    /// Under the bar: `Jan`.
    pub label: String,
    /// In its tooltip: `Januari 2026: Rp 2.500.000`.
    pub title: String,
    /// Its height's measure (minor units); never negative.
    pub value: i64,
}

/// The smallest "round" number (1, 2, 2.5 or 5 times a power of ten) at or above `value`:
/// the chart's top, so its gridlines carry readable amounts.
pub(crate) fn nice_ceiling(value: i64) -> i64 {
    if value <= 0 {
        return 0;
    }
    // i128: the steps above the largest amount must not overflow.
    let value = i128::from(value);
    let mut power: i128 = 1;
    while power * 10 <= value {
        power *= 10;
    }
    [10, 20, 25, 50, 100]
        .into_iter()
        .map(|step| power * step / 10)
        .find(|candidate| *candidate >= value)
        .map_or(i64::MAX, |top| i64::try_from(top).unwrap_or(i64::MAX))
}

/// A bar chart of `bars` with the accessible name `title` and description `description`;
/// `class` colours the bars; `axis` writes a gridline's value (the same unit as the bars').
/// `id` must be unique in the page (it names the title and description).
pub(crate) fn bar_chart(
    id: &str,
    title: &str,
    description: &str,
    class: &str,
    bars: &[Bar],
    axis: impl Fn(i64) -> String,
) -> Markup {
    let top = nice_ceiling(bars.iter().map(|bar| bar.value.max(0)).max().unwrap_or(0));
    let plot_height = HEIGHT - TOP - BOTTOM;
    let baseline = HEIGHT - BOTTOM;
    let count = i64::try_from(bars.len()).unwrap_or(i64::MAX).max(1);
    let slot = (WIDTH - 2 * SIDE) / count;
    let bar_width = slot * BAR_SHARE_PER_MILLE / 1000;
    let height_of = |value: i64| -> i64 {
        if top == 0 || value <= 0 {
            return 0;
        }
        // i128: a large amount times the plot height must not overflow.
        let scaled = i128::from(value) * i128::from(plot_height) / i128::from(top);
        // A bar that is not zero is at least one unit tall, so it can be seen.
        i64::try_from(scaled).unwrap_or(plot_height).max(1)
    };
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        svg.chart.(class) viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
            aria-labelledby={ (title_id) " " (desc_id) } focusable="false"
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            desc id=(desc_id) { (description) }
            @for fraction in [1, 2] {
                @let y = baseline - plot_height * fraction / 2;
                line.grid x1=(SIDE) x2=(WIDTH - SIDE) y1=(y) y2=(y) {}
                @if top > 0 {
                    text.axis x=(WIDTH - SIDE) y=(y - 5) text-anchor="end" {
                        (axis(if fraction == 2 { top } else { top / 2 }))
                    }
                }
            }
            line.baseline x1=(SIDE) x2=(WIDTH - SIDE) y1=(baseline) y2=(baseline) {}
            @for (index, bar) in bars.iter().enumerate() {
                @let index = i64::try_from(index).unwrap_or(0);
                @let x = SIDE + index * slot + (slot - bar_width) / 2;
                @let height = height_of(bar.value);
                rect.bar x=(x) y=(baseline - height) width=(bar_width) height=(height) {
                    title { (bar.title) }
                }
                text.label x=(x + bar_width / 2) y=(HEIGHT - 8) text-anchor="middle" { (bar.label) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_of_the_chart_is_a_round_number_at_or_above_the_highest_bar() {
        assert_eq!(nice_ceiling(0), 0);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(10), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(230), 250);
        assert_eq!(nice_ceiling(250_000_000), 250_000_000);
        assert_eq!(nice_ceiling(260_000_000), 500_000_000);
        assert_eq!(nice_ceiling(510_000_000), 1_000_000_000);
        assert!(nice_ceiling(i64::MAX / 3) >= i64::MAX / 3);
    }

    fn bars(values: &[i64]) -> Vec<Bar> {
        values
            .iter()
            .enumerate()
            .map(|(i, value)| Bar {
                label: format!("m{i}"),
                title: format!("month {i}: {value}"),
                value: *value,
            })
            .collect()
    }

    /// The `height` of every bar, in order.
    fn heights(svg: &str) -> Vec<i64> {
        svg.split("<rect")
            .skip(1)
            .map(|rect| {
                rect.split("height=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_are_as_tall_as_their_values_and_a_small_one_still_shows() {
        let svg = bar_chart("c", "t", "d", "in", &bars(&[0, 1, 500, 1000]), |v| {
            v.to_string()
        })
        .into_string();
        let plot = HEIGHT - TOP - BOTTOM;
        assert_eq!(heights(&svg), vec![0, 1, plot / 2, plot]);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"c-title c-desc\""));
        assert!(svg.contains("<title>month 2: 500</title>"));
        assert!(
            svg.contains(">1000</text>"),
            "the top gridline's label: {svg}"
        );
        assert!(!svg.contains("style="));
    }

    #[test]
    fn an_empty_chart_draws_no_bars_and_no_amounts() {
        let svg = bar_chart("c", "t", "d", "in", &bars(&[0, 0]), |v| format!("v{v}")).into_string();
        assert_eq!(heights(&svg), vec![0, 0]);
        assert!(!svg.contains(">v"), "{svg}");
    }

    #[test]
    fn the_largest_amounts_do_not_overflow() {
        let svg = bar_chart(
            "c",
            "t",
            "d",
            "in",
            &bars(&[i64::MAX / 2, i64::MAX / 4]),
            |v| v.to_string(),
        )
        .into_string();
        let plot = HEIGHT - TOP - BOTTOM;
        let heights = heights(&svg);
        assert!(heights[0] <= plot && heights[0] > heights[1], "{heights:?}");
    }
}
