//! One module per non-interactive command family.

pub mod bench;
pub mod config;
pub mod demo;
pub mod inventory;
pub mod lease;
pub mod read;
pub mod serve;
pub mod subscribe;
pub mod token;
pub mod write;

use std::io::{self, BufWriter, Stdout, Write};

/// Buffered stdout that treats a closed pipe (`skope consume | head`) as a quiet stop.
pub struct Out {
    w: BufWriter<Stdout>,
    /// Flush after every line (interactive tails), or only when the buffer fills.
    line_flush: bool,
}

impl Out {
    pub fn new(line_flush: bool) -> Self {
        Out {
            w: BufWriter::with_capacity(64 * 1024, io::stdout()),
            line_flush,
        }
    }

    /// Write one line; `Ok(false)` when the reader went away.
    pub fn line(&mut self, text: &str) -> io::Result<bool> {
        self.bytes_line(text.as_bytes())
    }

    /// Write raw bytes plus a newline; `Ok(false)` when the reader went away.
    pub fn bytes_line(&mut self, bytes: &[u8]) -> io::Result<bool> {
        let r = self
            .w
            .write_all(bytes)
            .and_then(|()| self.w.write_all(b"\n"));
        let r = if self.line_flush {
            r.and_then(|()| self.w.flush())
        } else {
            r
        };
        closed_pipe_is_ok(r)
    }

    pub fn flush(&mut self) -> io::Result<bool> {
        closed_pipe_is_ok(self.w.flush())
    }
}

fn closed_pipe_is_ok(r: io::Result<()>) -> io::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}
