//! The walk through the TUI: start `skope demo` on a fresh data dir, reach each main view with
//! keys, and capture it once its text is on screen.

use crate::render::Renderer;
use crate::session::Session;
use color_eyre::eyre::{Result, WrapErr, bail, ensure};
use portable_pty::CommandBuilder;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Where and how big.
pub struct Options {
    pub skope: PathBuf,
    pub out: PathBuf,
    pub cols: u16,
    pub rows: u16,
    pub timeout: Duration,
}

/// A second store on disk, so the store picker has more than the current one to offer.
const OTHER_STORE: &str = "00000000-0000-0000-0000-0000000000aa";
/// Live entries to wait for after opening a segment, so the tail and the sparklines move.
const LIVE_ENTRIES: usize = 12;

struct Camera<'a> {
    renderer: &'a Renderer,
    out: &'a Path,
    written: Vec<PathBuf>,
}

impl Camera<'_> {
    /// Save the screen as `<out>/<name>.png` once the output pauses.
    fn shoot(&mut self, session: &Session, name: &str) -> Result<()> {
        session.settle()?;
        let shot = session.with_screen(|s| self.renderer.render(s));
        ensure!(
            shot.missing.is_empty(),
            "{name}: no bundled font has {:?}",
            shot.missing
        );
        let path = self.out.join(format!("{name}.png"));
        shot.image
            .save_png(&path)
            .wrap_err_with(|| format!("writing {}", path.display()))?;
        self.written.push(path);
        Ok(())
    }
}

/// Run the tour; returns the files written.
///
/// # Errors
/// skope could not be started, a view never showed its text before the deadline, or a file
/// could not be written.
pub fn run(opts: &Options, renderer: &Renderer) -> Result<Vec<PathBuf>> {
    let tmp = tempfile::tempdir().wrap_err("a temporary directory")?;
    let data = tmp.path().join("data");
    seed_other_store(&opts.skope, &data)?;

    let mut cmd = CommandBuilder::new(&opts.skope);
    cmd.args(["demo", "--data-dir"]);
    cmd.arg(&data);
    cmd.arg("--log-file");
    cmd.arg(tmp.path().join("skope.log"));
    // The user's own config and colour settings stay out of the picture.
    cmd.env("HOME", tmp.path());
    cmd.env("XDG_CONFIG_HOME", tmp.path().join("config"));
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("SKOPE_URL");
    cmd.env_remove("SKOPE_TOKEN");
    cmd.env_remove("SKOPE_STORE");
    cmd.env("TERM", "xterm-256color");
    cmd.env("COLORTERM", "truecolor");
    cmd.cwd(tmp.path());
    let mut s = Session::spawn(cmd, opts.rows, opts.cols, opts.timeout)?;
    let mut cam = Camera {
        renderer,
        out: &opts.out,
        written: Vec::new(),
    };

    // The spaces, then `orders` opened: its segments with live status.
    s.wait_for("the spaces", |t| {
        (t.contains("inventory") && t.contains("orders") && t.contains("payments")).then_some(())
    })?;
    s.press("j\r")?;
    s.wait_for("the segments of orders", |t| {
        (t.contains("eu-1") && t.contains("us-1") && t.contains("(all)")).then_some(())
    })?;

    // The whole space tailing (merged by time: the busiest view), with some live entries in.
    s.press("\r")?;
    s.wait_text("FOLLOW")?;
    let mut seen = std::collections::HashSet::new();
    s.wait_for("live entries", |t| {
        seen.extend(newest_entry(t));
        (seen.len() > LIVE_ENTRIES).then_some(())
    })?;
    cam.shoot(&s, "hierarchy-tail")?;

    // An entry opened: the detail pane focused, pretty JSON and metadata.
    s.press("kk")?;
    s.wait_text("SCROLLED")?;
    s.press("\r")?;
    s.wait_text("h back")?;
    cam.shoot(&s, "detail")?;
    s.press("\x1b")?;
    s.wait_text("l detail")?;
    s.press("G")?;
    s.wait_text("FOLLOW")?;

    // A JSON-path filter: only the matching entries, their count in the title.
    s.press("/$.status == \"failed\"")?;
    s.wait_text("$.status == \"failed\"")?;
    s.press("\r")?;
    s.wait_text("\"failed\" (")?;
    cam.shoot(&s, "filter")?;
    s.press("\x1b")?;
    s.wait_gone("\"failed\" (")?;

    // The publish editor, filled like the selected entry (`c`), at the preview step.
    s.press("c")?;
    s.wait_text("publish →")?;
    s.wait_text("valid JSON")?;
    s.press("\r")?;
    s.wait_text("enter send")?;
    cam.shoot(&s, "publish")?;
    s.press("\r")?;
    s.wait_text("published: last sequence #")?;
    s.press("\x1b")?;
    s.wait_gone("publish →")?;

    // The subscriptions pane.
    s.press("S")?;
    s.wait_text("subscriptions (")?;
    s.wait_text("active")?;
    cam.shoot(&s, "subscriptions")?;
    s.press("S")?;
    s.wait_gone("subscriptions (")?;

    // The leases pane with a lease held.
    s.press("L")?;
    s.wait_text("leases (0)")?;
    s.press("a")?;
    s.wait_text("acquire lease")?;
    s.press("orders-compactor 30s\r")?;
    s.wait_text("held · renews in")?;
    cam.shoot(&s, "leases")?;
    s.press("\x1b")?;
    s.wait_gone("leases (")?;

    // Help: every key of the current view.
    s.press("?")?;
    s.wait_text("esc closes")?;
    cam.shoot(&s, "help")?;
    s.press("\x1b")?;
    s.wait_gone("esc closes")?;

    // The store picker: the current store and the other one on disk.
    s.press("s")?;
    s.wait_text("enter switch")?;
    s.wait_text(OTHER_STORE)?;
    cam.shoot(&s, "store-picker")?;
    s.press("\x1b")?;
    s.wait_gone("enter switch")?;

    s.press("q")?;
    let status = s.wait_exit()?;
    if !status.success() {
        bail!("skope exited with {status:?}");
    }
    Ok(cam.written)
}

/// Write one entry into a second store through the CLI (creates it on disk).
fn seed_other_store(skope: &Path, data: &Path) -> Result<()> {
    let out = Command::new(skope)
        .arg("--data-dir")
        .arg(data)
        .args([
            "--store",
            OTHER_STORE,
            "publish",
            "audit",
            "2026-11",
            "{\"ok\":true}",
        ])
        .output()
        .wrap_err_with(|| format!("running {}", skope.display()))?;
    ensure!(
        out.status.success(),
        "skope publish (second store) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The detail's title while following, `#N orders/SEGMENT` (the newest entry).
fn newest_entry(text: &str) -> Option<String> {
    text.match_indices(" #").find_map(|(i, _)| {
        let rest = &text[i + 2..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let after = &rest[digits..];
        (digits > 0 && after.starts_with(" orders/")).then(|| {
            let end = after[1..].find(' ').map_or(after.len(), |e| e + 1);
            rest[..digits + end].to_owned()
        })
    })
}
