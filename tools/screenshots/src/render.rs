//! A vt100 screen as a picture: every cell's background, then its character in DejaVu Sans
//! Mono (bold cells in the bold face), with inverse, dim, underline and a visible cursor drawn
//! as a terminal would. The fonts are compiled in, so every machine gets the same pixels.

use crate::canvas::{Canvas, Rgb};
use crate::palette::{Palette, mix};
use ab_glyph::{Font, FontRef, InvalidFont, PxScale, ScaleFont, point};
use std::collections::BTreeSet;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSansMono-Bold.ttf");

/// Cell size and margin, in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    pub cell_w: u32,
    pub cell_h: u32,
    /// Empty border around the grid, in the default background.
    pub pad: u32,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            cell_w: 10,
            cell_h: 20,
            pad: 12,
        }
    }
}

/// A font fitted to the cell: its advance is exactly one cell wide and its ascent + descent
/// exactly one cell high, so box-drawing and block characters join up across cells.
struct Face {
    font: FontRef<'static>,
    scale: PxScale,
    /// Baseline below the cell's top edge, whole pixels (crisp horizontal strokes).
    baseline: f32,
}

impl Face {
    fn new(bytes: &'static [u8], m: Metrics) -> Result<Self, InvalidFont> {
        let font = FontRef::try_from_slice(bytes)?;
        let advance = font.h_advance_unscaled(font.glyph_id('0'));
        let height = font.height_unscaled();
        let scale = PxScale {
            x: m.cell_w as f32 * height / advance,
            y: m.cell_h as f32,
        };
        let baseline = font.as_scaled(scale).ascent().round();
        Ok(Face {
            font,
            scale,
            baseline,
        })
    }

    fn has(&self, c: char) -> bool {
        self.font.glyph_id(c).0 != 0
    }
}

/// A picture of a screen, and the characters no bundled font has (drawn as nothing).
pub struct Shot {
    pub image: Canvas,
    pub missing: BTreeSet<char>,
}

/// Draws screens with one palette and one cell size.
pub struct Renderer {
    regular: Face,
    bold: Face,
    metrics: Metrics,
    palette: Palette,
}

impl Renderer {
    /// # Errors
    /// Only if a bundled font does not parse.
    pub fn new(metrics: Metrics, palette: Palette) -> Result<Self, InvalidFont> {
        Ok(Renderer {
            regular: Face::new(REGULAR, metrics)?,
            bold: Face::new(BOLD, metrics)?,
            metrics,
            palette,
        })
    }

    /// The screen as the terminal would show it.
    #[must_use]
    pub fn render(&self, screen: &vt100::Screen) -> Shot {
        let (rows, cols) = screen.size();
        let m = self.metrics;
        let mut image = Canvas::new(
            u32::from(cols) * m.cell_w + 2 * m.pad,
            u32::from(rows) * m.cell_h + 2 * m.pad,
            self.palette.background,
        );
        let cursor = (!screen.hide_cursor()).then(|| screen.cursor_position());
        let mut missing = BTreeSet::new();
        // Backgrounds first, so a glyph that overhangs its cell is not cut by the next one.
        let cells = || {
            (0..rows).flat_map(move |r| {
                (0..cols).filter_map(move |c| screen.cell(r, c).map(|cell| (r, c, cell)))
            })
        };
        for (r, c, cell) in cells() {
            let (_, bg) = self.colours(cell, cursor == Some((r, c)));
            let (x, y) = self.origin(r, c);
            image.fill(x, y, m.cell_w, m.cell_h, bg);
        }
        for (r, c, cell) in cells() {
            if cell.is_wide_continuation() {
                continue;
            }
            let (fg, _) = self.colours(cell, cursor == Some((r, c)));
            let (x, y) = self.origin(r, c);
            for ch in cell.contents().chars() {
                if !self.glyph(&mut image, ch, cell.bold(), x, y, fg) {
                    missing.insert(ch);
                }
            }
            if cell.underline() {
                let width = if cell.is_wide() { 2 } else { 1 } * m.cell_w;
                let line_y = (y + self.regular.baseline as u32 + 2).min(y + m.cell_h - 1);
                image.fill(x, line_y, width, 1, fg);
            }
        }
        Shot { image, missing }
    }

    /// Top-left pixel of a cell.
    fn origin(&self, row: u16, col: u16) -> (u32, u32) {
        let m = self.metrics;
        (
            m.pad + u32::from(col) * m.cell_w,
            m.pad + u32::from(row) * m.cell_h,
        )
    }

    /// Foreground and background of a cell after inverse, the cursor and dim.
    fn colours(&self, cell: &vt100::Cell, under_cursor: bool) -> (Rgb, Rgb) {
        let p = &self.palette;
        let mut fg = p.resolve(cell.fgcolor(), p.foreground);
        let mut bg = p.resolve(cell.bgcolor(), p.background);
        // A block cursor shows as one more inversion, like most terminals.
        if cell.inverse() != under_cursor {
            std::mem::swap(&mut fg, &mut bg);
        }
        if cell.dim() {
            fg = mix(fg, bg, 0.45);
        }
        (fg, bg)
    }

    /// Draw `ch` with its cell's top-left at (x, y); false if no bundled font has it.
    fn glyph(&self, image: &mut Canvas, ch: char, bold: bool, x: u32, y: u32, fg: Rgb) -> bool {
        let preferred = if bold { &self.bold } else { &self.regular };
        let face = if preferred.has(ch) {
            preferred
        } else if self.regular.has(ch) {
            &self.regular
        } else if self.bold.has(ch) {
            &self.bold
        } else {
            return ch.is_whitespace();
        };
        let glyph = face
            .font
            .glyph_id(ch)
            .with_scale_and_position(face.scale, point(x as f32, y as f32 + face.baseline));
        // Whitespace has no outline: nothing to draw.
        if let Some(outline) = face.font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                image.blend(px, py, fg, coverage);
            });
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shot(rows: u16, cols: u16, bytes: &[u8]) -> (Renderer, Shot) {
        let mut parser = vt100::Parser::new(rows, cols, 0);
        parser.process(bytes);
        let r = Renderer::new(Metrics::default(), Palette::default()).expect("bundled fonts");
        let s = r.render(parser.screen());
        (r, s)
    }

    /// Every pixel of cell (row, col).
    fn cell_pixels(r: &Renderer, s: &Shot, row: u16, col: u16) -> Vec<Rgb> {
        let (x, y) = r.origin(row, col);
        let m = r.metrics;
        (y..y + m.cell_h)
            .flat_map(|py| (x..x + m.cell_w).map(move |px| (px, py)))
            .map(|(px, py)| s.image.get(px, py))
            .collect()
    }

    #[test]
    fn cells_get_their_colours_and_glyphs() {
        // A red-background space, then a blue "X" (RGB) on 256-colour 21, cursor hidden.
        let (r, s) = shot(1, 2, b"\x1b[?25l\x1b[41m \x1b[38;2;10;200;30;48;5;21mX");
        let m = Metrics::default();
        assert_eq!(
            s.image.dimensions(),
            (2 * m.cell_w + 2 * m.pad, m.cell_h + 2 * m.pad)
        );
        assert_eq!(s.image.get(0, 0), Palette::default().background);
        let first = cell_pixels(&r, &s, 0, 0);
        assert!(first.iter().all(|p| *p == Palette::default().ansi[1]));
        let second = cell_pixels(&r, &s, 0, 1);
        let bg = [0, 0, 255];
        assert!(
            second.contains(&bg),
            "the background shows around the glyph"
        );
        assert!(
            second.contains(&[10, 200, 30]),
            "the glyph's solid strokes are in the foreground colour"
        );
        assert!(s.missing.is_empty());
    }

    #[test]
    fn inverse_and_box_drawing() {
        // Reverse video swaps the default colours; a horizontal line reaches both cell edges.
        let (r, s) = shot(1, 2, "\x1b[?25l\x1b[7m \x1b[0m─".as_bytes());
        let p = Palette::default();
        assert!(cell_pixels(&r, &s, 0, 0).iter().all(|c| *c == p.foreground));
        let (x, y) = r.origin(0, 1);
        let m = r.metrics;
        let stroke_row = (y..y + m.cell_h)
            .find(|&py| s.image.get(x + m.cell_w / 2, py) != p.background)
            .expect("the line is drawn");
        assert_ne!(s.image.get(x, stroke_row), p.background);
        assert_ne!(s.image.get(x + m.cell_w - 1, stroke_row), p.background);
    }

    #[test]
    fn the_cursor_is_a_block_and_missing_glyphs_are_reported() {
        // The cursor sits on cell 1 (visible by default); U+E000 (private use) is in no font.
        let (r, s) = shot(1, 3, "\u{e000}".as_bytes());
        let p = Palette::default();
        assert!(cell_pixels(&r, &s, 0, 1).iter().all(|c| *c == p.foreground));
        assert_eq!(
            s.missing.iter().copied().collect::<Vec<_>>(),
            vec!['\u{e000}']
        );
    }
}
