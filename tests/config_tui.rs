//! End to end: the real `skope` TUI in a pseudo-terminal with a config file: a rebound key, the
//! profile's named stores in the picker, and the theme the file names. Waits poll the screen
//! until a deadline (`SKOPE_TEST_TIMEOUT_SECS`, default 60); no fixed sleeps.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 120;
const POLL: Duration = Duration::from_millis(50);
const BILLING: &str = "8d9e0f10-1111-4222-8333-944455566677";

fn timeout() -> Duration {
    let secs = std::env::var("SKOPE_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// One `skope` in a pty: its parsed screen and every byte it wrote.
struct Tui {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    keys: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
}

impl Tui {
    fn start(home: &Path, args: &[&str]) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_skope"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("XDG_CONFIG_HOME", home.join("xdg"));
        for v in [
            "NO_COLOR",
            "SKOPE_CONFIG",
            "SKOPE_PROFILE",
            "SKOPE_DATA_DIR",
        ] {
            cmd.env_remove(v);
        }
        cmd.cwd(home);
        let child = pty.slave.spawn_command(cmd).expect("spawn skope");
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().expect("parser").process(&buf[..n]);
                r.lock().expect("raw").extend_from_slice(&buf[..n]);
            }
        });
        let keys = pty.master.take_writer().expect("writer");
        Tui {
            parser,
            raw,
            keys,
            child,
            _master: pty.master,
        }
    }

    fn text(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    fn press(&mut self, k: &str) {
        self.keys.write_all(k.as_bytes()).expect("write key");
        self.keys.flush().expect("flush");
    }

    /// Poll until a line satisfies `check`, or fail with the screen.
    fn wait_line(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout();
        loop {
            let text = self.text();
            if let Some(l) = text.lines().find(|l| check(l)) {
                return l.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(POLL);
        }
    }

    fn wait_text(&self, needle: &str) -> String {
        self.wait_line(needle, |l| l.contains(needle))
    }

    /// Poll until `needle` is nowhere on the screen.
    fn wait_gone(&self, needle: &str) {
        let deadline = Instant::now() + timeout();
        while self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?} to go; screen:\n{}",
                self.text()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Whether any 256-colour foreground or background was written.
    fn wrote_colours(&self) -> bool {
        let raw = self.raw.lock().expect("raw");
        [b"[38;5;", b"[48;5;"]
            .iter()
            .any(|n| raw.windows(n.len()).any(|w| w == *n))
    }

    fn quit(mut self) {
        self.press("q");
        let deadline = Instant::now() + timeout();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                assert!(status.success(), "exit status {status:?}");
                return;
            }
            assert!(Instant::now() < deadline, "skope did not exit after q");
            std::thread::sleep(POLL);
        }
    }
}

fn write_config(home: &Path, theme: &str) {
    let dir = home.join("xdg/skope");
    std::fs::create_dir_all(&dir).expect("config dir");
    let text = format!(
        r#"
theme = "{theme}"
default_profile = "local"

[keys.global]
z = "help"

[profiles.local]
data_dir = "data"
stores = [{{ id = "{BILLING}", name = "billing" }}]
store = "billing"
"#
    );
    std::fs::write(dir.join("config.toml"), text).expect("config");
}

#[test]
fn keys_stores_and_theme_come_from_the_config_file() {
    let home = tempfile::tempdir().expect("temp dir");
    write_config(home.path(), "no-color");
    let mut tui = Tui::start(home.path(), &["--log-file", "skope.log"]);
    tui.wait_text("embedded");
    // The profile's store (named by its name) is the one open.
    tui.wait_text("store billing");

    // `z` was bound to help in [keys.global]; help lists it for the focused view.
    tui.press("z");
    tui.wait_text("keys: hierarchy");
    let row = tui.wait_text("this help");
    assert!(row.contains(" z "), "help shows the rebound key: {row:?}");
    tui.press("\x1b");
    tui.wait_gone("keys: hierarchy");

    // The profile's store is in the picker with its name, marked as from the profile.
    tui.press("s");
    let row = tui.wait_line("the named store", |l| {
        l.contains(BILLING) && l.contains("billing")
    });
    assert!(row.contains("current · profile"), "{row:?}");
    tui.press("\x1b");
    tui.wait_gone(BILLING);

    // `theme = "no-color"`: no colour was ever written (NO_COLOR is not set).
    assert!(!tui.wrote_colours(), "the no-color theme writes no colours");
    tui.quit();

    // The same with the default theme does write colours (so the check above can fail).
    write_config(home.path(), "default");
    let tui = Tui::start(home.path(), &[]);
    tui.wait_text("embedded");
    assert!(tui.wrote_colours(), "the default theme writes colours");
    tui.quit();
}
