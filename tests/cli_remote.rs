//! End-to-end: the CLI against a real `skope serve` process over WebSocket on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
const SECRET: &str = "top-secret";
/// How long the server stays down in the restart test.
const OUTAGE: Duration = Duration::from_secs(4);

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("skope")
}

/// A running skope whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(bin())
            .env("SKOPE_CONFIG", "/dev/null")
            .args(args)
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

    fn next_json(&self) -> serde_json::Value {
        let line = self
            .lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("no line within {WAIT:?}: {e}"));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `skope serve` on `listen` over `dir`; returns it and its address.
fn serve(dir: &Path, listen: &str) -> (Running, String) {
    let d = dir.to_str().unwrap_or_default();
    let s = Running::start(&[
        "--data-dir",
        d,
        "serve",
        "--listen",
        listen,
        "--jwt-secret",
        SECRET,
    ]);
    let addr = s.next_json()["listening"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!addr.is_empty(), "serve printed its address");
    (s, addr)
}

fn token() -> String {
    let out = Command::new(bin())
        .env("SKOPE_CONFIG", "/dev/null")
        .args(["token", "--secret", SECRET])
        .output();
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A remote skope command (the store is given, so nothing is printed about it).
fn remote(addr: &str, token: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(bin());
    c.env("SKOPE_CONFIG", "/dev/null");
    c.args([
        "--url",
        &format!("ws://{addr}"),
        "--token",
        token,
        "--store",
        "00000000-0000-0000-0000-000000000001",
    ])
    .args(args)
    .timeout(WAIT);
    c
}

fn remote_args<'a>(addr: &'a str, token: &'a str, args: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--url",
        &format!("ws://{addr}"),
        "--token",
        token,
        "--store",
        "00000000-0000-0000-0000-000000000001",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(args.iter().map(|s| (*s).to_owned()));
    v
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn every_command_works_against_serve() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_serve, addr) = serve(dir.path(), "127.0.0.1:0");
    let t = token();
    for _ in 0..3 {
        remote(
            &addr,
            &t,
            &["publish", "orders", "o-1", r#"{"n":1}"#, "--meta", "k=v"],
        )
        .assert()
        .success();
    }
    let out = remote(&addr, &t, &["consume", "orders", "o-1"])
        .assert()
        .success();
    let entries = json_lines(&out.get_output().stdout);
    assert_eq!(
        entries
            .iter()
            .filter_map(|e| e["sequence"].as_u64())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(entries[0]["metadata"]["k"], "v");
    let out = remote(&addr, &t, &["peek", "orders", "o-1"])
        .assert()
        .success();
    assert_eq!(json_lines(&out.get_output().stdout)[0]["sequence"], 3);
    remote(&addr, &t, &["produce", "orders", "o-1"])
        .write_stdin("{\"sequence\":100,\"payload\":1}\n")
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "sequence gap: expected 4, got 100",
        ));
    remote(&addr, &t, &["produce", "orders", "o-2"])
        .write_stdin("{\"payload\":1}\n{\"payload\":2}\n")
        .assert()
        .success();
    let out = remote(&addr, &t, &["spaces"]).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "\"orders\"\n"
    );
    let out = remote(&addr, &t, &["segments", "orders"])
        .assert()
        .success();
    let segs = json_lines(&out.get_output().stdout);
    assert_eq!(segs.len(), 2);
    assert_eq!(
        (segs[0]["name"].clone(), segs[0]["last_sequence"].clone()),
        ("o-1".into(), 3.into())
    );
    assert_eq!(
        (segs[1]["name"].clone(), segs[1]["last_sequence"].clone()),
        ("o-2".into(), 2.into())
    );
    let out = remote(
        &addr,
        &t,
        &["consume", "--spaces", "orders", "--limit", "4"],
    )
    .assert()
    .success();
    assert_eq!(json_lines(&out.get_output().stdout).len(), 4);
    remote(&addr, &t, &["lease", "job", "--ttl", "2s", "--", "true"])
        .assert()
        .success();
    let out = remote(&addr, &t, &["bench", "consume", "--records", "2000"])
        .assert()
        .success();
    assert_eq!(json_lines(&out.get_output().stdout)[0]["records"], 2000);
    let sub = Running::start(
        &remote_args(&addr, &t, &["subscribe", "orders", "o-1"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(sub.next_json()["last_sequence"], 3);
}

#[test]
fn no_token_is_unauthorized() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_serve, addr) = serve(dir.path(), "127.0.0.1:0");
    let start = Instant::now();
    assert_cmd::Command::new(bin())
        .env("SKOPE_CONFIG", "/dev/null")
        .args(["--url", &format!("ws://{addr}"), "spaces"])
        .timeout(WAIT)
        .assert()
        .failure()
        .stderr(predicates::str::contains("unauthorized"));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "an auth failure is not retried for long"
    );
}

#[test]
fn follow_and_subscribe_carry_on_across_a_server_restart() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut server, addr) = serve(dir.path(), "127.0.0.1:0");
    let t = token();
    remote(&addr, &t, &["publish", "orders", "o-1", "1"])
        .assert()
        .success();
    let args = |a: &[&str]| remote_args(&addr, &t, a);
    let follow_args = args(&["consume", "orders", "o-1", "--follow"]);
    let follow = Running::start(&follow_args.iter().map(String::as_str).collect::<Vec<_>>());
    let sub_args = args(&["subscribe", "orders"]);
    let sub = Running::start(&sub_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(follow.next_json()["sequence"], 1);
    assert_eq!(sub.next_json()["last_sequence"], 1);

    // Kill the server outright and keep it down longer than the whole default retry schedule
    // (≈1.5 s): this pause is the outage being tested, not a wait for readiness. Then bring it
    // back on the same port and data.
    server.kill();
    std::thread::sleep(OUTAGE);
    let (_server, addr2) = serve(dir.path(), &addr);
    assert_eq!(addr2, addr);
    for n in 2..=4 {
        remote(&addr, &t, &["publish", "orders", "o-1", &n.to_string()])
            .assert()
            .success();
    }
    // The follow goes on from its cursor: 2, 3, 4 — no gap, no duplicate of 1.
    for n in 2..=4 {
        assert_eq!(follow.next_json()["sequence"], n);
    }
    // The subscription is re-established (a fresh snapshot, then live) and reaches 4.
    let mut last = 1;
    while last < 4 {
        let s = sub.next_json()["last_sequence"]
            .as_u64()
            .unwrap_or_default();
        assert!(s >= last, "statuses never go back: {s} after {last}");
        last = s;
    }
}
