//! End-to-end across processes: several `skope` binaries sharing one embedded data dir.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("skope")
}

fn skope(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    // Never the user's own config file.
    c.env("SKOPE_CONFIG", "/dev/null");
    c.arg("--data-dir").arg(dir).args(args);
    c
}

/// A running skope whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = skope(dir, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("no line within {WAIT:?}: {e}"))
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("process did not exit within {WAIT:?}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sequence(line: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    v["sequence"]
        .as_u64()
        .unwrap_or_else(|| panic!("no sequence: {line}"))
}

fn publish(dir: &Path, payload: &str) {
    let status = skope(dir, &["publish", "orders", "o-1", payload]).status();
    assert!(status.is_ok_and(|s| s.success()), "publish failed");
}

#[test]
fn follow_sees_what_another_process_publishes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    publish(dir.path(), r#"{"n":1}"#);
    let follow = Running::start(dir.path(), &["consume", "orders", "o-1", "--follow"]);
    assert_eq!(sequence(&follow.next_line()), 1);
    publish(dir.path(), r#"{"n":2}"#);
    assert_eq!(sequence(&follow.next_line()), 2);
    publish(dir.path(), r#"{"n":3}"#);
    assert_eq!(sequence(&follow.next_line()), 3);
}

#[test]
fn subscribe_prints_snapshot_then_live() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    publish(dir.path(), "a");
    let sub = Running::start(dir.path(), &["subscribe", "orders"]);
    let first: serde_json::Value = serde_json::from_str(&sub.next_line()).unwrap_or_default();
    assert_eq!(first["segment"], "o-1");
    assert_eq!(first["last_sequence"], 1);
    publish(dir.path(), "b");
    let live: serde_json::Value = serde_json::from_str(&sub.next_line()).unwrap_or_default();
    assert_eq!(live["last_sequence"], 2);
}

#[test]
fn lease_exit_codes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ok = skope(dir.path(), &["lease", "job", "--ttl", "2s", "--", "true"]).status();
    assert_eq!(ok.ok().and_then(|s| s.code()), Some(0));
    let failed = skope(
        dir.path(),
        &["lease", "job", "--ttl", "2s", "--", "sh", "-c", "exit 7"],
    )
    .status();
    assert_eq!(failed.ok().and_then(|s| s.code()), Some(7));

    // While one process holds the lease, another is refused with exit code 3.
    let holder = Running::start(dir.path(), &["lease", "leader", "--ttl", "5s"]);
    assert!(holder.next_line().contains("\"acquired\""));
    let refused = skope(
        dir.path(),
        &["lease", "leader", "--ttl", "5s", "--", "true"],
    )
    .output();
    let refused = refused.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        refused.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("lease not acquired"));
}

#[test]
fn lease_lost_when_the_owning_process_dies_stops_the_command() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    publish(dir.path(), "x");
    // The owner of the data dir (it serves the node); the lease holder is a guest.
    let mut owner = Running::start(dir.path(), &["subscribe", "orders"]);
    owner.next_line();
    let mut holder = Running::start(
        dir.path(),
        &["lease", "leader", "--ttl", "2s", "--", "sleep", "60"],
    );
    assert!(holder.next_line().contains("\"acquired\""));
    // Leases live in the node's memory: when the owner dies, they die with it. The holder
    // reconnects (taking the data dir over), its renewal is refused, and it stops `sleep`.
    let _ = owner.child.kill();
    let _ = owner.child.wait();
    assert_eq!(holder.wait_exit(), Some(4));
}
