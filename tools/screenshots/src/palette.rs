//! The terminal's colours: default foreground/background, the 16 ANSI colours (a One Half Dark
//! style palette, so the picture looks like a common dark terminal), and xterm's 256-colour
//! cube and grey ramp.

use crate::canvas::Rgb;

/// The colours a vt100 cell can name, resolved to RGB.
#[derive(Debug, Clone)]
pub struct Palette {
    pub foreground: Rgb,
    pub background: Rgb,
    pub ansi: [Rgb; 16],
}

impl Default for Palette {
    fn default() -> Self {
        let hex = |v: u32| [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        Palette {
            foreground: hex(0xdcdfe4),
            background: hex(0x282c34),
            ansi: [
                hex(0x282c34), // black
                hex(0xe06c75), // red
                hex(0x98c379), // green
                hex(0xe5c07b), // yellow
                hex(0x61afef), // blue
                hex(0xc678dd), // magenta
                hex(0x56b6c2), // cyan
                hex(0xdcdfe4), // white
                hex(0x5a6374), // bright black ("dark grey")
                hex(0xf07f88), // bright red
                hex(0xaedb8c), // bright green
                hex(0xf0cf8f), // bright yellow
                hex(0x7fc1f7), // bright blue
                hex(0xd68fec), // bright magenta
                hex(0x6fcfdb), // bright cyan
                hex(0xffffff), // bright white
            ],
        }
    }
}

impl Palette {
    /// The RGB of a cell colour; `default` for `Color::Default`.
    #[must_use]
    pub fn resolve(&self, color: vt100::Color, default: Rgb) -> Rgb {
        match color {
            vt100::Color::Default => default,
            vt100::Color::Rgb(r, g, b) => [r, g, b],
            vt100::Color::Idx(i) => self.indexed(i),
        }
    }

    /// xterm's 256 colours: 16 ANSI, a 6×6×6 cube, 24 greys.
    #[must_use]
    pub fn indexed(&self, i: u8) -> Rgb {
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        match i {
            0..16 => self.ansi[usize::from(i)],
            16..232 => {
                let n = i - 16;
                [
                    LEVELS[usize::from(n / 36)],
                    LEVELS[usize::from(n / 6 % 6)],
                    LEVELS[usize::from(n % 6)],
                ]
            }
            232.. => {
                let v = 8 + 10 * (i - 232);
                [v, v, v]
            }
        }
    }
}

/// `a` moved towards `b` by `t` (0 = a, 1 = b).
#[must_use]
pub fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let ch = |x: u8, y: u8| {
        let v = f32::from(x) + (f32::from(y) - f32::from(x)) * t;
        v.round() as u8 // in 0..=255: between x and y
    };
    [ch(a[0], b[0]), ch(a[1], b[1]), ch(a[2], b[2])]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_colours() {
        let p = Palette::default();
        assert_eq!(p.indexed(1), p.ansi[1]);
        assert_eq!(p.indexed(16), [0, 0, 0]);
        assert_eq!(p.indexed(21), [0, 0, 255]);
        assert_eq!(p.indexed(196), [255, 0, 0]);
        assert_eq!(p.indexed(231), [255, 255, 255]);
        assert_eq!(p.indexed(232), [8, 8, 8]);
        assert_eq!(p.indexed(255), [238, 238, 238]);
        assert_eq!(
            p.resolve(vt100::Color::Rgb(1, 2, 3), p.foreground),
            [1, 2, 3]
        );
        assert_eq!(p.resolve(vt100::Color::Default, p.background), p.background);
    }

    #[test]
    fn mixing() {
        let (a, b) = ([0, 0, 0], [200, 100, 50]);
        assert_eq!(mix(a, b, 0.0), a);
        assert_eq!(mix(a, b, 1.0), b);
        assert_eq!(mix(a, b, 0.5), [100, 50, 25]);
    }
}
