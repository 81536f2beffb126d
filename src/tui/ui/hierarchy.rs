//! The hierarchy pane: spaces, then the segments of the watched space with live status.
//!
//! ```text
//! ┏ orders ━━━━━━━━━━━━━━━━━━━━━━━━┓     ┌ spaces ──────────┐
//! ┃ SEGMENT    LAST  AGE  ENTRIES/S ┃     │ SPACE            │
//! ┃ * (all)                         ┃     │ inventory        │
//! ┃ eu-1        #27   3s ▁▂▁▅█▃     ┃     │ orders           │
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛     └──────────────────┘
//! ```
//! Spaces marked for a merged read (`m`) show a `✓`, and the title counts them.

use super::{age, pane, selectable_table};
use crate::tui::state::{AppState, Focus, Level, Load, SPARK_SECONDS, SegmentRow};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline string of `values`, scaled to their maximum (blank when all are zero).
#[must_use]
pub fn sparkline(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                ' '
            } else {
                let i = usize::try_from(v * 7 / max).unwrap_or(7).min(7);
                BLOCKS[i]
            }
        })
        .collect()
}

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let h = &state.hierarchy;
    let t = &state.theme;
    let title = match (&h.level, &h.space) {
        (Level::Segments, Some(space)) => format!(" {space} "),
        _ if !h.marked.is_empty() => format!(" spaces ({} marked) ", h.marked.len()),
        _ => " spaces ".to_owned(),
    };
    let block = pane(
        state,
        Focus::Hierarchy,
        Line::from(Span::styled(title, t.title)),
    );
    let inner_rows = usize::from(area.height.saturating_sub(3));
    let sel_style = if state.focus == Focus::Hierarchy {
        t.selected
    } else {
        t.selected_unfocused
    };
    let load = match h.level {
        Level::Spaces => &h.spaces_load,
        Level::Segments => &h.segments_load,
    };
    let placeholder = match load {
        Load::Loading if h.is_empty() || h.level == Level::Segments && h.len() == 1 => {
            Some(Row::new([Cell::from(Span::styled("loading…", t.dim))]))
        }
        Load::Failed(e) => Some(Row::new([Cell::from(Span::styled(e.clone(), t.error))])),
        Load::Loaded if h.is_empty() => {
            Some(Row::new([Cell::from(Span::styled("no spaces yet", t.dim))]))
        }
        _ => None,
    };
    let now_sec = state.now_ms.div_euclid(1000);
    let table = match h.level {
        Level::Spaces => {
            let rows = h
                .spaces
                .iter()
                .skip(h.top)
                .take(inner_rows)
                .map(|s| {
                    // Marks show once there are any (a read of several spaces).
                    if h.marked.is_empty() {
                        Row::new([Cell::from(s.as_str())])
                    } else if h.marked.contains(s) {
                        Row::new([Cell::from(Span::styled(format!("✓ {s}"), t.accent))])
                    } else {
                        Row::new([Cell::from(format!("  {s}"))])
                    }
                })
                .chain(placeholder);
            Table::new(rows, [Constraint::Fill(1)]).header(Row::new(["SPACE"]).style(t.header))
        }
        Level::Segments => {
            let wide = area.width >= 40;
            let all = Row::new([
                Cell::from(Span::styled("* (all)", t.accent)),
                Cell::from(""),
                Cell::from(""),
                Cell::from(""),
            ]);
            let rows = std::iter::once(all)
                .chain(
                    h.segments
                        .iter()
                        .map(|r| segment_row(r, state.now_ms, now_sec)),
                )
                .skip(h.top)
                .take(inner_rows)
                .chain(placeholder);
            let spark = if wide {
                u16::try_from(SPARK_SECONDS).unwrap_or(10)
            } else {
                0
            };
            Table::new(
                rows,
                [
                    Constraint::Fill(1),
                    Constraint::Length(7),
                    Constraint::Length(4),
                    Constraint::Length(spark),
                ],
            )
            .header(
                Row::new([
                    "SEGMENT",
                    "   LAST",
                    " AGE",
                    if wide { "ENTRIES/S" } else { "" },
                ])
                .style(t.header),
            )
        }
    };
    // A placeholder row is never selected.
    let sel = h.selected();
    selectable_table(
        frame,
        area,
        table.block(block),
        (sel < h.len()).then(|| sel.checked_sub(h.top)).flatten(),
        sel_style,
    );
}

fn segment_row(r: &SegmentRow, now_ms: i64, now_sec: i64) -> Row<'static> {
    let (last, age_text) = match &r.status {
        Some(s) => (
            format!("{:>7}", format!("#{}", s.last_sequence)),
            format!("{:>4}", age(now_ms - s.last_timestamp)),
        ),
        None => (format!("{:>7}", "-"), format!("{:>4}", "-")),
    };
    Row::new([
        Cell::from(r.name.clone()),
        Cell::from(last),
        Cell::from(age_text),
        Cell::from(sparkline(&r.rate.window(now_sec))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales() {
        assert_eq!(sparkline(&[0, 0]), "  ");
        assert_eq!(sparkline(&[0, 1, 2, 4, 8]), " ▁▂▄█");
    }
}
