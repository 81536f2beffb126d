//! End to end: the real `skope demo` binary in a pseudo-terminal, driven by keys, its screen
//! parsed with vt100 (helpers in `tests/common`). Waits poll the screen until a deadline (no
//! fixed sleeps). The same against a real `skope serve`: `tests/tui_pty_serve.rs`.

mod common;

use common::{POLL, Tui, selected_sequence, timeout};
use std::time::Instant;

/// The sequence of the selected entry of orders/eu-1 (while following, the last entry).
fn last_sequence(text: &str) -> Option<u64> {
    selected_sequence(text, "orders/eu-1")
}

/// `skope demo` in a pty on a fresh data dir (`<temp>/data`), logging to a file: (temp dir,
/// log, the TUI).
fn demo() -> (tempfile::TempDir, std::path::PathBuf, Tui) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("skope.log");
    let tui = Tui::start(
        [
            "demo".as_ref(),
            "--data-dir".as_ref(),
            data.as_os_str(),
            "--log-file".as_ref(),
            log.as_os_str(),
        ],
        dir.path(),
    );
    (dir, log, tui)
}

#[test]
fn demo_tail_pause_quit() {
    let (dir, _log, mut tui) = demo();
    let screen = tui.screen.clone();
    let mut press = |k: &str| tui.press(k);

    // The spaces show (sorted: inventory, orders, payments).
    screen.wait_for("the spaces", |t| {
        (t.contains("inventory") && t.contains("orders") && t.contains("payments")).then_some(())
    });
    assert!(screen.alternate(), "the TUI runs on the alternate screen");

    // Open `orders`: its segments appear with live status.
    press("j");
    press("\r");
    screen.wait_for("the segments of orders", |t| {
        (t.contains("eu-1") && t.contains("us-1") && t.contains("(all)")).then_some(())
    });

    // Open the first segment (row 0 is the whole space): entries arrive, and keep arriving.
    press("j");
    press("\r");
    screen.wait_text("orders/eu-1");
    let first = screen.wait_for("entries of orders/eu-1", last_sequence);
    let later = screen.wait_for("a live entry", |t| last_sequence(t).filter(|&n| n > first));
    assert!(later > first);
    screen.wait_text("FOLLOW");

    // Publish from the editor: P, a payload, Enter (preview), Enter (send), the answer.
    press("P");
    screen.wait_text("publish → orders/eu-1");
    press(r#"{"pty":"hello-skope"}"#);
    screen.wait_text("valid JSON");
    press("\r");
    screen.wait_text("enter send");
    press("\r");
    screen.wait_text("published: last sequence #");
    press("\x1b");
    screen.wait_for("the pane closed", |t| {
        (!t.contains("publish →")).then_some(())
    });

    // Filter: the published entry arrived and is the only match.
    press("/");
    press("hello-skope");
    press("\r");
    screen.wait_text("(1 of");
    screen.wait_text(r#""pty": "hello-skope""#);
    press("\x1b");
    screen.wait_for("the filter cleared", |t| {
        (!t.contains("(1 of")).then_some(())
    });

    // Leases: acquire one from the panel, see it held, release it.
    press("L");
    screen.wait_text("leases (0)");
    press("a");
    screen.wait_text("acquire lease");
    press("pty-job 30s");
    press("\r");
    screen.wait_text("held · renews in");
    press("x");
    screen.wait_text("lease \"pty-job\" released");
    screen.wait_text("leases (0)");
    // Back to the entry list (the panel closes).
    press("\x1b");
    screen.wait_for("the panel closed", |t| {
        (!t.contains("leases (")).then_some(())
    });

    // Copy the selected entry (OSC 52 to the terminal) and export the window to a file.
    press("Y");
    screen.wait_text("copied the entry");
    assert!(
        screen.raw_contains(b"\x1b]52;c;"),
        "an OSC 52 sequence was written"
    );
    press("e");
    screen.wait_text("export JSON lines to: ./skope-export-orders-eu-1.jsonl");
    press("\r");
    screen.wait_text("exported ");
    let exported = std::fs::read_to_string(dir.path().join("skope-export-orders-eu-1.jsonl"))
        .expect("the export file");
    assert!(exported.lines().count() >= 1);
    assert!(exported.contains("\"segment\":\"eu-1\""));

    // Pause: the marker shows.
    press("p");
    screen.wait_text("[PAUSED]");

    // Switch stores from the picker by typing a UUID: the hierarchy starts over, and the
    // store is remembered in the recent history of the data dir.
    press("s");
    screen.wait_text("enter switch");
    press("00000000-0000-0000-0000-0000000000aa\r");
    screen.wait_text("store 00000000-0000-0000-0000-0000000000aa");
    let recent = dir.path().join("data").join("recent_stores");
    let deadline = Instant::now() + timeout();
    while !std::fs::read_to_string(&recent)
        .is_ok_and(|t| t.contains("00000000-0000-0000-0000-0000000000aa"))
    {
        assert!(Instant::now() < deadline, "recent_stores not written");
        std::thread::sleep(POLL);
    }

    // A lease held at quit is released on the way out (checked after the exit below).
    press(":");
    press("acquire pty-quit 60s\r");
    screen.wait_text("held · renews in");

    // Quit: exit code 0 and the terminal restored (the alternate screen left).
    press("q");
    assert!(tui.wait_exit(), "skope exited with an error");
    assert!(
        screen.raw_contains(b"\x1b[?1049l"),
        "left the alternate screen"
    );
    assert!(!screen.alternate(), "back on the main screen");

    // The 60 s lease was released at quit: another process gets it at once.
    let taken = std::process::Command::new(env!("CARGO_BIN_EXE_skope"))
        .env("SKOPE_CONFIG", "/dev/null")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--store",
            "00000000-0000-0000-0000-0000000000aa",
            "lease",
            "pty-quit",
            "--ttl",
            "5s",
            "--",
            "true",
        ])
        .output()
        .expect("skope lease");
    assert!(
        taken.status.success(),
        "the lease was not released at quit: {}",
        String::from_utf8_lossy(&taken.stderr)
    );
}

/// A panic in a task the TUI spawned (`:debug-panic`, debug builds only) ends the app: the
/// terminal is restored once, one line says what happened and where the log is, the exit
/// status is a failure, and the log holds the panic.
#[cfg(debug_assertions)]
#[test]
fn a_panic_in_a_task_ends_the_app_with_one_line() {
    let (_dir, log, mut tui) = demo();
    let screen = tui.screen.clone();
    screen.wait_text("payments");
    assert!(screen.alternate());
    tui.press(":debug-panic\r");
    assert!(!tui.wait_exit(), "a panic exits with a failure");
    assert!(!screen.alternate(), "back on the main screen");
    // Leaving the alternate screen and raw mode: once.
    assert_eq!(screen.raw_count(b"\x1b[?1049l"), 1);
    let text = screen.text();
    let line = text
        .lines()
        .find(|l| l.starts_with("skope: internal error: a task panicked at "))
        .unwrap_or_else(|| panic!("no error line:\n{text}"));
    assert!(line.contains("debug-panic, as asked"), "{line}");
    // (A long temp path may wrap the line.)
    let joined = text.replace('\n', "");
    assert!(
        joined.contains(&format!("log at {}", log.display())),
        "{text}"
    );
    assert!(!text.contains("The application panicked"), "{text}");
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("internal error: a task panicked") && logged.contains("debug-panic"),
        "{logged}"
    );
}
