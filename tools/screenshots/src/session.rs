//! The real `skope` in a pseudo-terminal, its output fed to a vt100 parser by a reader thread.
//! Waits poll the screen until a deadline; nothing sleeps for a fixed time.

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(25);
/// No output for this long: the frame being drawn is complete (a frame can reach the parser
/// in several reads, so a capture waits for a pause in the output).
const QUIET: Duration = Duration::from_millis(150);

/// What the reader thread shares: the emulated terminal and when it last changed.
struct Term {
    parser: vt100::Parser,
    last_output: Instant,
}

/// A running program in a pty of a fixed size.
pub struct Session {
    term: Arc<Mutex<Term>>,
    keys: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    master: Option<Box<dyn MasterPty + Send>>,
    reader: Option<JoinHandle<()>>,
    timeout: Duration,
}

impl Session {
    /// Start `cmd` in a `rows`×`cols` pty. Waits give up after `timeout`.
    ///
    /// # Errors
    /// The pty cannot be opened or the program not started.
    pub fn spawn(cmd: CommandBuilder, rows: u16, cols: u16, timeout: Duration) -> Result<Self> {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| eyre!("opening a pty: {e}"))?;
        let child = pty
            .slave
            .spawn_command(cmd)
            .map_err(|e| eyre!("starting skope: {e}"))?;
        drop(pty.slave);
        let term = Arc::new(Mutex::new(Term {
            parser: vt100::Parser::new(rows, cols, 0),
            last_output: Instant::now(),
        }));
        let mut out = pty
            .master
            .try_clone_reader()
            .map_err(|e| eyre!("pty reader: {e}"))?;
        let feed = Arc::clone(&term);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = feed.lock().unwrap_or_else(PoisonError::into_inner);
                t.parser.process(&buf[..n]);
                t.last_output = Instant::now();
            }
        });
        let keys = pty
            .master
            .take_writer()
            .map_err(|e| eyre!("pty writer: {e}"))?;
        Ok(Session {
            term,
            keys,
            child,
            master: Some(pty.master),
            reader: Some(reader),
            timeout,
        })
    }

    /// Type `keys` (raw bytes: `"\r"` is Enter, `"\x1b"` Esc).
    ///
    /// # Errors
    /// The pty is closed.
    pub fn press(&mut self, keys: &str) -> Result<()> {
        self.keys
            .write_all(keys.as_bytes())
            .and_then(|()| self.keys.flush())
            .wrap_err_with(|| format!("typing {keys:?}"))
    }

    /// The screen's text, one line per row.
    #[must_use]
    pub fn text(&self) -> String {
        self.with_screen(vt100::Screen::contents)
    }

    /// Run `f` on the screen as it is now.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        let t = self.term.lock().unwrap_or_else(PoisonError::into_inner);
        f(t.parser.screen())
    }

    /// Poll the screen's text until `check` gives a value.
    ///
    /// # Errors
    /// The deadline passed (the error shows the screen).
    pub fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&str) -> Option<T>) -> Result<T> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let text = self.text();
            if let Some(v) = check(&text) {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                bail!("timed out waiting for {what}; the screen:\n{text}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Poll until the screen shows `needle`.
    ///
    /// # Errors
    /// The deadline passed.
    pub fn wait_text(&self, needle: &str) -> Result<()> {
        self.wait_for(&format!("{needle:?}"), |t| t.contains(needle).then_some(()))
    }

    /// Poll until the screen no longer shows `needle`.
    ///
    /// # Errors
    /// The deadline passed.
    pub fn wait_gone(&self, needle: &str) -> Result<()> {
        self.wait_for(&format!("{needle:?} to go"), |t| {
            (!t.contains(needle)).then_some(())
        })
    }

    /// Wait for a pause in the output, so the last frame is drawn in full.
    ///
    /// # Errors
    /// The program never stopped writing before the deadline.
    pub fn settle(&self) -> Result<()> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let quiet = self
                .term
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .last_output
                .elapsed();
            if quiet >= QUIET {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("the screen never stopped changing");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Wait for the program to exit (after the keys that quit it).
    ///
    /// # Errors
    /// It did not exit before the deadline (it is killed).
    pub fn wait_exit(mut self) -> Result<ExitStatus> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(status) = self.child.try_wait().wrap_err("waiting for skope")? {
                self.close();
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!("skope did not exit; the screen:\n{}", self.text());
            }
            std::thread::sleep(POLL);
        }
    }

    fn close(&mut self) {
        drop(self.master.take());
        // Not joined: its `read` ends when the program's side of the pty closes, and waiting
        // for that could hang if a grandchild kept it open.
        drop(self.reader.take());
    }
}

impl Drop for Session {
    /// A tour that failed half-way leaves no `skope` running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.close();
    }
}
