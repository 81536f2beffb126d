//! Helpers shared by the end-to-end tests: the real binary in a pseudo-terminal, its screen
//! parsed with vt100, waits that poll until a deadline (no fixed sleeps). The deadline scales
//! with `SKOPE_TEST_TIMEOUT_SECS` (default 60) for slow machines.

#![allow(dead_code)] // each test crate uses its own part

pub mod serve;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const ROWS: u16 = 30;
pub const COLS: u16 = 120;
pub const POLL: Duration = Duration::from_millis(50);

pub fn timeout() -> Duration {
    let secs = std::env::var("SKOPE_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Poll `check` until it holds, or fail saying `what`.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout();
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

/// The terminal as the program drew it, plus every byte it wrote.
#[derive(Clone)]
pub struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    pub fn text(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    pub fn alternate(&self) -> bool {
        self.parser
            .lock()
            .expect("parser")
            .screen()
            .alternate_screen()
    }

    pub fn raw_contains(&self, needle: &[u8]) -> bool {
        self.raw_count(needle) > 0
    }

    /// How many times the program wrote `needle`.
    pub fn raw_count(&self, needle: &[u8]) -> usize {
        self.raw
            .lock()
            .expect("raw")
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    /// Poll until `check` returns `Some`, or fail with the screen.
    pub fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + timeout();
        loop {
            let text = self.text();
            if let Some(v) = check(&text) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(POLL);
        }
    }

    pub fn wait_text(&self, needle: &str) {
        self.wait_for(needle, |t| t.contains(needle).then_some(()));
    }

    pub fn wait_gone(&self, needle: &str) {
        self.wait_for(&format!("{needle:?} to go"), |t| {
            (!t.contains(needle)).then_some(())
        });
    }
}

/// The sequence of the selected entry, from the detail's title `#N SPACE/SEGMENT`.
pub fn selected_sequence(text: &str, label: &str) -> Option<u64> {
    let want = format!(" {label}");
    text.match_indices('#').find_map(|(i, _)| {
        let rest = &text[i + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest[digits.len()..]
            .starts_with(&want)
            .then(|| digits.parse().ok())
            .flatten()
    })
}

/// The real `skope` binary running in a pseudo-terminal of `ROWS`×`COLS`.
pub struct Tui {
    pub screen: Screen,
    child: Box<dyn Child + Send + Sync>,
    master: Option<Box<dyn MasterPty + Send>>,
    keys: Box<dyn Write + Send>,
    reader: Option<JoinHandle<()>>,
}

impl Tui {
    /// Start `skope ARGS` in `cwd` (no colours, xterm, no config file).
    pub fn start<I, S>(args: I, cwd: &Path) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let none = OsStr::new("/dev/null");
        Self::start_with(
            args,
            cwd,
            &[
                ("SKOPE_CONFIG", Some(none)),
                ("NO_COLOR", Some(OsStr::new("1"))),
            ],
        )
    }

    /// Start `skope ARGS` in `cwd` with xterm's `TERM` and `env` over this process's
    /// environment: `Some` sets a variable, `None` removes it.
    pub fn start_with<I, S>(args: I, cwd: &Path, env: &[(&str, Option<&OsStr>)]) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_skope"));
        for a in args {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            }
        }
        cmd.cwd(cwd);
        let child = pty.slave.spawn_command(cmd).expect("spawn skope");
        drop(pty.slave);
        let screen = Screen {
            parser: Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0))),
            raw: Arc::new(Mutex::new(Vec::new())),
        };
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let feed = screen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.parser.lock().expect("parser").process(&buf[..n]);
                feed.raw.lock().expect("raw").extend_from_slice(&buf[..n]);
            }
        });
        let keys = pty.master.take_writer().expect("writer");
        Tui {
            screen,
            child,
            master: Some(pty.master),
            keys,
            reader: Some(reader),
        }
    }

    /// Type `keys` (raw bytes: `\r` is Enter, `\x1b` Esc).
    pub fn press(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).expect("write key");
        self.keys.flush().expect("flush");
    }

    /// Wait for the process to exit (after `q`), then for its output to end; returns whether
    /// it exited 0.
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + timeout();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "skope did not exit");
            std::thread::sleep(POLL);
        };
        drop(self.master.take());
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        status.success()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
