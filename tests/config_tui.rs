//! End to end: the real `skope` TUI in a pseudo-terminal with a config file: a rebound key, the
//! profile's named stores in the picker, and the theme the file names. Waits poll the screen
//! until a deadline (`SKOPE_TEST_TIMEOUT_SECS`, default 60); no fixed sleeps.

mod common;

use common::Tui;
use std::path::Path;

const BILLING: &str = "8d9e0f10-1111-4222-8333-944455566677";

/// `skope ARGS` in `home`, its config under `home/xdg` (colours allowed).
fn start(home: &Path, args: &[&str]) -> Tui {
    let xdg = home.join("xdg");
    Tui::start_with(
        args,
        home,
        &[
            ("XDG_CONFIG_HOME", Some(xdg.as_os_str())),
            ("NO_COLOR", None),
            ("SKOPE_CONFIG", None),
            ("SKOPE_PROFILE", None),
            ("SKOPE_DATA_DIR", None),
        ],
    )
}

/// The first line of the screen that satisfies `check`, waiting for one.
fn wait_line(tui: &Tui, what: &str, check: impl Fn(&str) -> bool) -> String {
    tui.screen
        .wait_for(what, |t| t.lines().find(|l| check(l)).map(str::to_owned))
}

/// Whether any 256-colour foreground or background was written.
fn wrote_colours(tui: &Tui) -> bool {
    tui.screen.raw_contains(b"[38;5;") || tui.screen.raw_contains(b"[48;5;")
}

fn quit(mut tui: Tui) {
    tui.press("q");
    assert!(tui.wait_exit(), "skope exited 0 after q");
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
    let mut tui = start(home.path(), &["--log-file", "skope.log"]);
    tui.screen.wait_text("embedded");
    // The profile's store (named by its name) is the one open.
    tui.screen.wait_text("store billing");

    // `z` was bound to help in [keys.global]; help lists it for the focused view.
    tui.press("z");
    tui.screen.wait_text("keys: hierarchy");
    let row = wait_line(&tui, "this help", |l| l.contains("this help"));
    assert!(row.contains(" z "), "help shows the rebound key: {row:?}");
    tui.press("\x1b");
    tui.screen.wait_gone("keys: hierarchy");

    // The profile's store is in the picker with its name, marked as from the profile.
    tui.press("s");
    let row = wait_line(&tui, "the named store", |l| {
        l.contains(BILLING) && l.contains("billing")
    });
    assert!(row.contains("current · profile"), "{row:?}");
    tui.press("\x1b");
    tui.screen.wait_gone(BILLING);

    // `theme = "no-color"`: no colour was ever written (NO_COLOR is not set).
    assert!(!wrote_colours(&tui), "the no-color theme writes no colours");
    quit(tui);

    // The same with the default theme does write colours (so the check above can fail).
    write_config(home.path(), "default");
    let tui = start(home.path(), &[]);
    tui.screen.wait_text("embedded");
    assert!(wrote_colours(&tui), "the default theme writes colours");
    quit(tui);
}
