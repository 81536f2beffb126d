//! A real `skope serve` on a free loopback port, and tokens for it: shared by the end-to-end
//! tests and `benches/tui_tail.rs` (which includes this file by path). Panics with a clear
//! message when the server cannot start.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long `skope serve` may take to print its address.
const START: Duration = Duration::from_secs(60);

/// `skope serve` on a free loopback port (HS256 with `secret`); killed on drop.
pub struct Serve {
    pub child: Child,
    pub addr: String,
    secret: String,
}

impl Serve {
    /// Start it on `data`, at niceness `nice` (0: as an equal of its clients).
    pub fn start(data: &Path, secret: &str, nice: u64) -> Self {
        // `nice` execs the server: the child's pid is the server's.
        let mut child = Command::new("nice")
            .arg("-n")
            .arg(nice.to_string())
            .arg(bin())
            .env("SKOPE_CONFIG", "/dev/null")
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0", "--jwt-secret", secret])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn skope serve");
        let out = child.stdout.take().expect("serve's stdout");
        // The first line is `{"listening":"HOST:PORT"}`; the pipe stays open while it runs.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(out).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx.recv_timeout(START).expect("serve printed its address");
        let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON address line");
        let addr = v["listening"]
            .as_str()
            .unwrap_or_else(|| panic!("no address in {line}"))
            .to_owned();
        Serve {
            child,
            addr,
            secret: secret.to_owned(),
        }
    }

    #[must_use]
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// A token for this server (`skope token`, every store).
    #[must_use]
    pub fn token(&self) -> String {
        let out = Command::new(bin())
            .env("SKOPE_CONFIG", "/dev/null")
            .args(["token", "--secret", &self.secret])
            .output()
            .expect("skope token");
        assert!(out.status.success(), "skope token failed");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_skope")
}
