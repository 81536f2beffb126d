//! End to end against a real server: `skope serve` on a loopback port, data seeded with the
//! CLI, and the TUI (`skope --url ws://… --token …`) in a pseudo-terminal driven by keys while
//! other CLI processes publish. Waits poll the screen until a deadline (no fixed sleeps).

mod common;

use common::serve::Serve;
use common::{Tui, selected_sequence};
use std::io::Write;
use std::process::{Command, Stdio};

const SECRET: &str = "pty-secret";
const STORE: &str = "00000000-0000-0000-0000-000000000001";
/// Entries the TUI keeps: small, so scrolling back has to read older pages.
const WINDOW: u64 = 40;
/// Entries seeded into orders/o-1.
const SEEDED: u64 = 200;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_skope")
}

/// Run a CLI command against the server; it must succeed.
fn cli(server: &Serve, token: &str, args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new(bin())
        .env("SKOPE_CONFIG", "/dev/null")
        .args(["--url", &server.url(), "--token", token, "--store", STORE])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn skope");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("stdin");
    }
    let out = child.wait_with_output().expect("skope");
    assert!(
        out.status.success(),
        "skope {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn publish(server: &Serve, token: &str, payload: &str) {
    cli(server, token, &["publish", "orders", "o-1", payload], None);
}

/// The selected entry of orders/o-1 (while following: the last one).
fn selected(text: &str) -> Option<u64> {
    selected_sequence(text, "orders/o-1")
}

fn wait_selected(tui: &Tui, n: u64) {
    tui.screen.wait_for(&format!("#{n} selected"), |t| {
        (selected(t) == Some(n)).then_some(())
    });
}

#[test]
fn tui_against_skope_serve() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Serve::start(&dir.path().join("server-data"), SECRET, 0);
    let token = server.token();

    // Seed: orders/o-1 with 200 entries (JSON lines through produce), payments/p-1 with two.
    let lines: String = (1..=SEEDED)
        .map(|i| format!("{{\"payload\":{{\"seed\":{i}}}}}\n"))
        .collect();
    cli(&server, &token, &["produce", "orders", "o-1"], Some(&lines));
    cli(
        &server,
        &token,
        &["publish", "payments", "p-1", r#"{"pay":1}"#],
        None,
    );
    cli(
        &server,
        &token,
        &["publish", "payments", "p-1", r#"{"pay":2}"#],
        None,
    );

    let log = dir.path().join("tui.log");
    let window = WINDOW.to_string();
    let url = server.url();
    let mut tui = Tui::start(
        [
            "--url",
            url.as_str(),
            "--token",
            token.as_str(),
            "--store",
            STORE,
            "--window",
            window.as_str(),
            "--log-file",
            log.to_str().expect("utf-8 path"),
        ],
        dir.path(),
    );
    let screen = tui.screen.clone();
    screen.wait_for("the spaces", |t| {
        (t.contains("orders") && t.contains("payments")).then_some(())
    });
    screen.wait_text("● connected");
    assert!(screen.alternate(), "the TUI runs on the alternate screen");

    // Open the segment from the command line: the seeded entries, the newest selected.
    tui.press(":seg orders/o-1\r");
    wait_selected(&tui, SEEDED);
    screen.wait_text("FOLLOW");

    // Live: another process publishes, the entry arrives.
    publish(&server, &token, r#"{"live":1}"#);
    wait_selected(&tui, SEEDED + 1);

    // Pause: entries published meanwhile do not show…
    tui.press("p");
    screen.wait_text("[PAUSED]");
    publish(&server, &token, r#"{"while":"paused-1"}"#);
    publish(&server, &token, r#"{"while":"paused-2"}"#);
    // … (a lease round trip through the same connection gives a live read every chance to
    // deliver them) …
    tui.press("L");
    screen.wait_text("leases (0)");
    tui.press("a");
    screen.wait_text("acquire lease");
    tui.press("pty-serve 30s\r");
    screen.wait_text("held · renews in");
    tui.press("x");
    screen.wait_text("lease \"pty-serve\" released");
    screen.wait_text("leases (0)");
    tui.press("\x1b");
    screen.wait_gone("leases (");
    let text = screen.text();
    assert!(
        selected(&text) == Some(SEEDED + 1) && !text.contains("paused-"),
        "a paused tail read on:\n{text}"
    );
    // … and resuming reads them from the cursor: both, no gap.
    tui.press("p");
    screen.wait_text("FOLLOW");
    wait_selected(&tui, SEEDED + 3);
    tui.press("/paused-\r");
    screen.wait_text("(2 of");
    tui.press("\x1b");
    screen.wait_gone("(2 of");

    // Publish from the TUI: the new entry arrives in the tail.
    tui.press("P");
    screen.wait_text("publish → orders/o-1");
    tui.press(r#"{"from":"tui-pty"}"#);
    screen.wait_text("valid JSON");
    tui.press("\r");
    screen.wait_text("enter send");
    tui.press("\r");
    screen.wait_text(&format!("published: last sequence #{}", SEEDED + 4));
    tui.press("\x1b");
    screen.wait_gone("publish →");
    wait_selected(&tui, SEEDED + 4);
    screen.wait_text(r#""from": "tui-pty""#);

    // Scroll back past the window: each `g` reads the page before it by sequence (half the
    // window), down to sequence 1.
    let mut first = SEEDED + 4 - WINDOW + 1;
    while first > 1 {
        tui.press("g");
        first = first.saturating_sub(WINDOW / 2).max(1);
        wait_selected(&tui, first);
    }
    screen.wait_text("SCROLLED BACK");
    screen.wait_text("⤒ start of the segment");
    // The rows are the exact sequences: walking down selects 2, 3, ….
    for n in 2..=5 {
        tui.press("j");
        wait_selected(&tui, n);
    }
    // `End` goes back to the live tail.
    tui.press("G");
    screen.wait_text("FOLLOW");
    wait_selected(&tui, SEEDED + 4);

    // Several spaces merged by time: the segment column says space/segment.
    tui.press(":spaces orders,payments\r");
    screen.wait_text("orders,payments/*");
    screen.wait_text("payments/p-1");
    screen.wait_text("orders/o-1");

    // Quit: exit 0 and the terminal restored (the alternate screen left).
    tui.press("q");
    assert!(tui.wait_exit(), "skope exited with an error");
    assert!(
        screen.raw_contains(b"\x1b[?1049l"),
        "left the alternate screen"
    );
    assert!(!screen.alternate(), "back on the main screen");
}
