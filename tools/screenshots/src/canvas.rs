//! An RGB picture, and its PNG file (the encoding is the `png` crate's).

use std::io::BufWriter;
use std::path::Path;

/// One pixel.
pub type Rgb = [u8; 3];

/// Pixels in rows, top to bottom.
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    #[must_use]
    pub fn new(width: u32, height: u32, colour: Rgb) -> Self {
        let n = width as usize * height as usize;
        Canvas {
            width,
            height,
            pixels: colour.repeat(n),
        }
    }

    fn index(&self, x: u32, y: u32) -> Option<usize> {
        (x < self.width && y < self.height)
            .then(|| (y as usize * self.width as usize + x as usize) * 3)
    }

    /// Paint a rectangle (clipped to the picture).
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, colour: Rgb) {
        for py in y..y.saturating_add(h).min(self.height) {
            for px in x..x.saturating_add(w).min(self.width) {
                self.blend(i64::from(px), i64::from(py), colour, 1.0);
            }
        }
    }

    /// Cover (x, y) with `colour` by `coverage` (0..=1); nothing outside the picture.
    pub fn blend(&mut self, x: i64, y: i64, colour: Rgb, coverage: f32) {
        let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
            return;
        };
        if let Some(i) = self.index(x, y) {
            let old = [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]];
            self.pixels[i..i + 3].copy_from_slice(&crate::palette::mix(old, colour, coverage));
        }
    }

    /// Write the picture as an 8-bit RGB PNG.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save_png(&self, path: &Path) -> Result<(), png::EncodingError> {
        let file = BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Committed to the repo: worth the slower encoder.
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()
    }
}

/// Reading pixels back: only the tests need it.
#[cfg(test)]
impl Canvas {
    #[must_use]
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The pixel at (x, y); black outside the picture.
    #[must_use]
    pub fn get(&self, x: u32, y: u32) -> Rgb {
        self.index(x, y).map_or([0; 3], |i| {
            [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_clip_and_the_png_reads_back() {
        let mut c = Canvas::new(3, 2, [1, 2, 3]);
        c.fill(2, 1, 5, 5, [200, 100, 0]);
        c.blend(-1, 0, [255; 3], 1.0);
        assert_eq!(c.get(2, 1), [200, 100, 0]);
        assert_eq!(c.get(1, 1), [1, 2, 3]);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.png");
        c.save_png(&path).expect("write");
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&path).expect("open"),
        ));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(&buf[..info.buffer_size()], c.pixels.as_slice());
    }
}
