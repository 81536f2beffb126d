//! `cargo bench --bench tui_tail [-- --secs 60 --rate 100000 --cols 200 --rows 50]`: the TUI
//! tailing a fast segment, end to end, against the performance requirement:
//!
//! - the server, the producer and the terminal emulator stand in for other machines: they yield
//!   the CPU to the TUI (`--load-nice N`, default 10, 0: as equals; see `stand_aside`);
//! - a real `skope serve` on a loopback port, and the real TUI (`skope --url … --token …`) in a
//!   pseudo-terminal of COLS×ROWS, its screen parsed with vt100, tailing `bench/tail`;
//! - this process produces RATE entries/s for SECS seconds with the client library (batches
//!   paced every 10 ms) and reports the rate it reached;
//! - every second: the TUI's RSS and CPU from `/proc`, and a key whose effect is visible (`?`
//!   opens the help, `Esc` closes it) timed until the parsed screen shows it: key → frame
//!   including the pty (an upper bound);
//! - at the end: the TUI must show the last sequence produced with `min(produced, window)` in its
//!   window, and its export (`e`) must be exactly those last sequences, contiguous;
//! - then idle CPU (nothing produced for IDLE seconds), quit, and the TUI's own draw timings
//!   (`SKOPE_FRAME_STATS`).
//!
//! Prints human lines, then one JSON line. Exits 1 when the run fails or nothing shown may be
//! dropped; targets missed are reported, not fatal (timings depend on the machine's load).

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use futures::StreamExt;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::{Value, json};
use skope_client::{Client, Record, TokenSource, Uuid, WsConnector};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "tui-bench-secret";
const STORE: &str = "00000000-0000-0000-0000-000000000001";
const SPACE: &str = "bench";
const SEGMENT: &str = "tail";
/// The producer's pacing period.
const PACE: Duration = Duration::from_millis(10);
/// How long one key probe may wait for its frame.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long setup steps and the final catch-up may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// The TUI's default `--window`.
const DEFAULT_WINDOW: u64 = 100_000;

/// Targets of the requirement.
const KEY_P99_MS: f64 = 50.0;
const DRAW_P99_MS: f64 = 5.0;
const RSS_MAX_MB: f64 = 200.0;
const IDLE_CPU_PCT: f64 = 1.0;

struct Opts {
    secs: u64,
    rate: u64,
    cols: u16,
    rows: u16,
    window: Option<u64>,
    payload: usize,
    idle_secs: u64,
    /// Niceness of everything that stands in for other machines: this process (the producer,
    /// the terminal emulator) and the `skope serve` it starts. By default they yield the CPU to
    /// the TUI, as if they ran elsewhere (0: compete as equals). See [`stand_aside`].
    load_nice: u64,
}

impl Opts {
    /// `--secs N --rate N --cols N --rows N --window N --payload BYTES --idle-secs N
    /// --load-nice N`, or the
    /// same as `TUI_BENCH_SECS`… env vars. Cargo's own `--bench` is ignored.
    fn parse() -> Result<Self> {
        let mut o = Opts {
            secs: 60,
            rate: 100_000,
            cols: 200,
            rows: 50,
            window: None,
            payload: 100,
            idle_secs: 10,
            load_nice: 10,
        };
        let mut set = |name: &str, value: &str| -> Result<()> {
            let n: u64 = value
                .parse()
                .wrap_err_with(|| format!("{name}: not a number: {value}"))?;
            let small = || u16::try_from(n).wrap_err_with(|| format!("{name}: too large"));
            match name {
                "secs" => o.secs = n.max(1),
                "rate" => o.rate = n.max(1),
                "cols" => o.cols = small()?,
                "rows" => o.rows = small()?,
                "window" => o.window = Some(n.max(1)),
                "payload" => o.payload = usize::try_from(n)?.max(16),
                "idle-secs" => o.idle_secs = n,
                "load-nice" => o.load_nice = n.min(19),
                _ => bail!("unknown option --{name}"),
            }
            Ok(())
        };
        for name in [
            "secs",
            "rate",
            "cols",
            "rows",
            "window",
            "payload",
            "idle-secs",
            "load-nice",
        ] {
            let var = format!("TUI_BENCH_{}", name.to_uppercase().replace('-', "_"));
            if let Ok(v) = std::env::var(&var) {
                set(name, &v)?;
            }
        }
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            if a == "--bench" {
                continue;
            }
            let Some(name) = a.strip_prefix("--") else {
                bail!("unexpected argument {a}");
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => (
                    name.to_owned(),
                    args.next().ok_or_else(|| eyre!("--{name} wants a value"))?,
                ),
            };
            set(&name, &value)?;
        }
        Ok(o)
    }
}

#[path = "../tests/common/serve.rs"]
mod serve;
use serve::Serve;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_skope")
}

/// The TUI's screen as vt100 parses it; every chunk read wakes the waiters.
struct Screen {
    parser: Mutex<vt100::Parser>,
    chunks: Mutex<u64>,
    changed: Condvar,
    bytes: AtomicU64,
}

impl Screen {
    fn text(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Wait until `check` holds on the screen; `None` after `timeout`.
    fn wait(&self, timeout: Duration, mut check: impl FnMut(&str) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut seen = u64::MAX;
        loop {
            let now = {
                let mut n = self.chunks.lock().ok()?;
                while *n == seen {
                    let left = deadline.checked_duration_since(Instant::now())?;
                    n = self.changed.wait_timeout(n, left).ok()?.0;
                }
                seen = *n;
                Instant::now()
            };
            if check(&self.text()) {
                return Some(now);
            }
            if Instant::now() >= deadline {
                return None;
            }
        }
    }

    fn wait_or_fail(&self, what: &str, check: impl FnMut(&str) -> bool) -> Result<()> {
        match self.wait(STEP_TIMEOUT, check) {
            Some(_) => Ok(()),
            None => bail!("timed out waiting for {what}; screen:\n{}", self.text()),
        }
    }
}

/// The real `skope` in a pseudo-terminal.
struct Tui {
    screen: Arc<Screen>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    keys: Box<dyn Write + Send>,
    pid: u32,
}

impl Tui {
    fn start(args: &[String], envs: &[(&str, String)], cwd: &Path, o: &Opts) -> Result<Self> {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: o.rows,
                cols: o.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| eyre!("pty: {e}"))?;
        let mut cmd = CommandBuilder::new(bin());
        cmd.args(args);
        cmd.env("SKOPE_CONFIG", "/dev/null");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.cwd(cwd);
        let child = pty
            .slave
            .spawn_command(cmd)
            .map_err(|e| eyre!("spawn skope: {e}"))?;
        drop(pty.slave);
        let pid = child.process_id().ok_or_else(|| eyre!("no pid"))?;
        let screen = Arc::new(Screen {
            parser: Mutex::new(vt100::Parser::new(o.rows, o.cols, 0)),
            chunks: Mutex::new(0),
            changed: Condvar::new(),
            bytes: AtomicU64::new(0),
        });
        let mut reader = pty
            .master
            .try_clone_reader()
            .map_err(|e| eyre!("reader: {e}"))?;
        let feed = Arc::clone(&screen);
        let nice = o.load_nice;
        std::thread::spawn(move || {
            // The terminal emulator stands in for the operator's own machine.
            nice_this_thread(nice);
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = feed.parser.lock() {
                    p.process(&buf[..n]);
                }
                feed.bytes.fetch_add(n as u64, Ordering::Relaxed);
                if let Ok(mut c) = feed.chunks.lock() {
                    *c += 1;
                }
                feed.changed.notify_all();
            }
        });
        let keys = pty.master.take_writer().map_err(|e| eyre!("writer: {e}"))?;
        Ok(Tui {
            screen,
            child,
            _master: pty.master,
            keys,
            pid,
        })
    }

    fn press(&mut self, keys: &str) -> Result<()> {
        self.keys.write_all(keys.as_bytes())?;
        self.keys.flush()?;
        Ok(())
    }

    /// Press `key` and time until the screen satisfies `check`.
    fn probe(&mut self, key: &str, check: impl FnMut(&str) -> bool) -> Result<Option<Duration>> {
        let t0 = Instant::now();
        self.press(key)?;
        Ok(self.screen.wait(PROBE_TIMEOUT, check).map(|t| t - t0))
    }

    fn wait_exit(&mut self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.success());
            }
            if Instant::now() >= deadline {
                bail!("skope did not exit");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Clock ticks per second (`/proc/<pid>/stat` counts CPU time in them).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds (user + system) a process used so far.
fn cpu_secs(pid: u32, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

/// Resident memory of a process, MB.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// `last #N · M in window` from the entry list's title.
fn shown(text: &str) -> Option<(u64, u64)> {
    let i = text.find("last #")?;
    let rest = &text[i + 6..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let last = digits.parse().ok()?;
    let rest = rest[digits.len()..].strip_prefix(" · ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    rest[digits.len()..]
        .starts_with(" in window")
        .then(|| Some((last, digits.parse().ok()?)))
        .flatten()
}

/// A JSON payload of about `size` bytes whose text differs from entry to entry (hex from a
/// xorshift of the sequence), so every row on screen changes as the list scrolls.
fn payload(seq: u64, size: usize) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut p = format!("{{\"n\":{seq},\"pad\":\"").into_bytes();
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while p.len() < size.saturating_sub(2) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p.push(HEX[usize::try_from(x & 15).unwrap_or(0)]);
    }
    p.extend_from_slice(b"\"}");
    p
}

/// Involuntary context switches of a process's main thread so far (preempted, not waiting).
fn preempted(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()
}

/// Produce `rate`/s from sequence `first` for `secs`, paced every [`PACE`]. Returns the last
/// sequence committed and the seconds until the last commit. `sent` follows the records handed
/// to the client, `committed` the last committed sequence.
async fn produce(
    client: Client,
    o: (u64, u64, usize),
    first: u64,
    sent: Arc<AtomicU64>,
    committed: Arc<AtomicU64>,
) -> Result<(u64, f64)> {
    let (rate, secs, size) = o;
    let store: Uuid = STORE.parse()?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Record>(8192);
    let records =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) });
    let mut statuses = client.produce(store, SPACE, SEGMENT, records);
    let c = Arc::clone(&committed);
    let commits = tokio::spawn(async move {
        while let Some(s) = statuses.next().await {
            let s = s.map_err(|e| eyre!("produce: {e}"))?;
            c.store(s.last_sequence, Ordering::Relaxed);
        }
        Ok::<_, color_eyre::Report>(())
    });
    let start = Instant::now();
    let total = Duration::from_secs(secs);
    let mut tick = tokio::time::interval(PACE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut next = first;
    loop {
        tick.tick().await;
        let elapsed = start.elapsed().min(total);
        #[allow(clippy::cast_possible_truncation)] // far below u64::MAX
        let due = first + (u128::from(rate) * elapsed.as_micros() / 1_000_000) as u64;
        while next < due {
            if tx
                .send(Record::new(next, payload(next, size)))
                .await
                .is_err()
            {
                break;
            }
            next += 1;
            sent.store(next - first, Ordering::Relaxed);
        }
        if elapsed >= total {
            break;
        }
    }
    drop(tx);
    commits.await??;
    Ok((
        committed.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
    ))
}

#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn pct(&self, p: f64) -> Option<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let i = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize - 1;
        v.get(i.min(v.len().saturating_sub(1))).copied()
    }

    fn max(&self) -> Option<f64> {
        self.0.iter().copied().reduce(f64::max)
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}

/// Make this process and its children, but the TUI, stand in for other machines: they yield
/// the CPU to the TUI, as they would if the server, the producer and the terminal ran
/// elsewhere. Linux groups each session's processes (autogroup) and shares the CPU between
/// groups before niceness counts: the TUI runs in a session of its own (its pty), so this
/// process moves into a new session and sets that group's niceness to `nice`. (Where there is
/// no autogroup, the server is started at `nice` and this process's threads but the one that
/// starts the TUI lower themselves, [`nice_this_thread`].) Returns whether the group's niceness
/// was set.
///
/// Out of the terminal's session, Ctrl-C reaches cargo only: when the parent dies this process
/// gets SIGTERM, and [`kill_group_on_sigterm`] takes `skope serve` along.
fn stand_aside(nice: u64) -> Result<bool> {
    // Fails when already a group leader (run by hand from a shell): the group is the shell's.
    let own_session = nix::unistd::setsid().is_ok();
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)?;
    Ok(own_session && std::fs::write("/proc/self/autogroup", nice.to_string()).is_ok())
}

/// Lower the calling thread to `nice` (per thread on Linux).
fn nice_this_thread(nice: u64) {
    let tid = Some(rustix::thread::gettid());
    let _ = rustix::process::setpriority_process(tid, i32::try_from(nice).unwrap_or(19));
}

/// On SIGTERM (the parent died) or SIGINT, kill this process group: this process and the
/// `skope serve` it started (the TUI, in its own session, sees its pty close).
fn kill_group_on_sigterm(rt: &tokio::runtime::Runtime) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let _rt = rt.enter();
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    rt.spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        let _ = nix::sys::signal::killpg(nix::unistd::getpgrp(), nix::sys::signal::Signal::SIGKILL);
    });
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

#[allow(clippy::too_many_lines)] // one scenario, in order
fn main() -> Result<()> {
    color_eyre::install()?;
    let o = Opts::parse()?;
    let aside = stand_aside(o.load_nice)?;
    let ticks = clock_ticks();
    let load_before = loadavg();
    let dir = tempfile::tempdir()?;
    let server = Serve::start(&dir.path().join("server-data"), SECRET, o.load_nice);
    let token = server.token();
    let load_nice = o.load_nice;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || nice_this_thread(load_nice))
        .build()?;
    kill_group_on_sigterm(&rt)?;
    // The client's connection actor runs on this runtime.
    let _rt = rt.enter();
    let connector = WsConnector::builder(server.url())
        .token(TokenSource::Static(token.clone()))
        .build()?;
    let client = Client::builder(connector).build();
    let store: Uuid = STORE.parse()?;

    // The segment exists before the TUI opens it: sequence 1.
    rt.block_on(client.publish(
        store,
        SPACE,
        SEGMENT,
        payload(1, o.payload),
        Default::default(),
    ))?;

    let stats_file = dir.path().join("frame-stats.json");
    let mut args: Vec<String> = [
        "--url",
        &server.url(),
        "--token",
        &token,
        "--store",
        STORE,
        "--log-file",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(dir.path().join("tui.log").to_string_lossy().into_owned());
    if let Some(w) = o.window {
        args.extend(["--window".to_owned(), w.to_string()]);
    }
    let mut tui = Tui::start(
        &args,
        &[(
            "SKOPE_FRAME_STATS",
            stats_file.to_string_lossy().into_owned(),
        )],
        dir.path(),
        &o,
    )?;
    let screen = Arc::clone(&tui.screen);
    screen.wait_or_fail("connected", |t| {
        t.contains("● connected") && t.contains(SPACE)
    })?;
    tui.press(&format!(":seg {SPACE}/{SEGMENT}\r"))?;
    screen.wait_or_fail("the segment open", |t| {
        t.contains("FOLLOW") && shown(t) == Some((1, 1))
    })?;

    eprintln!(
        "tui_tail: {}x{} · {} entries/s for {} s · {} B payloads · window {} · server, producer and terminal at nice {}{} · load {}",
        o.cols,
        o.rows,
        o.rate,
        o.secs,
        o.payload,
        o.window
            .map_or_else(|| "default".to_owned(), |w| w.to_string()),
        o.load_nice,
        if aside {
            " (a session of their own)"
        } else {
            " (no session of their own)"
        },
        load_before
    );

    // Produce in the background; sample and probe keys from here.
    let sent = Arc::new(AtomicU64::new(0));
    let committed = Arc::new(AtomicU64::new(1));
    let producer = rt.spawn(produce(
        client.clone(),
        (o.rate, o.secs, o.payload),
        2,
        Arc::clone(&sent),
        Arc::clone(&committed),
    ));
    let server_pid = server.child.id();
    let started = Instant::now();
    let bytes0 = screen.bytes.load(Ordering::Relaxed);
    let preempted0 = preempted(tui.pid).unwrap_or(0);
    let (tui_cpu0, server_cpu0, self_cpu0) = (
        cpu_secs(tui.pid, ticks).unwrap_or(0.0),
        cpu_secs(server_pid, ticks).unwrap_or(0.0),
        cpu_secs(std::process::id(), ticks).unwrap_or(0.0),
    );
    let mut keys = Samples::default();
    let mut rss = Samples::default();
    let mut lag = Samples::default();
    let mut probe_timeouts = 0u32;
    let mut last_shown = (1, 1);
    let mut second = 1;
    while !producer.is_finished() {
        let target = started + Duration::from_secs(second);
        second += 1;
        if let Some(d) = target.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        if producer.is_finished() {
            break;
        }
        if let Some(r) = rss_mb(tui.pid) {
            rss.0.push(r);
        }
        if let Some(s) = shown(&screen.text()) {
            last_shown = s;
            #[allow(clippy::cast_precision_loss)]
            lag.0
                .push(committed.load(Ordering::Relaxed).saturating_sub(s.0) as f64);
        }
        for (key, open) in [("?", true), ("\x1b", false)] {
            match tui.probe(key, |t| t.contains(" keys: ") == open)? {
                Some(d) => keys.0.push(d.as_secs_f64() * 1000.0),
                None => {
                    probe_timeouts += 1;
                    keys.0.push(PROBE_TIMEOUT.as_secs_f64() * 1000.0);
                }
            }
        }
    }
    let (last, produce_secs) = rt.block_on(producer)??;
    let tail_secs = started.elapsed().as_secs_f64();
    let (tui_cpu, server_cpu, self_cpu) = (
        cpu_secs(tui.pid, ticks).unwrap_or(0.0) - tui_cpu0,
        cpu_secs(server_pid, ticks).unwrap_or(0.0) - server_cpu0,
        cpu_secs(std::process::id(), ticks).unwrap_or(0.0) - self_cpu0,
    );
    let load_during = loadavg();
    let preempted_n = preempted(tui.pid).unwrap_or(0) - preempted0;
    #[allow(clippy::cast_precision_loss)]
    let term_mb_per_sec = (screen.bytes.load(Ordering::Relaxed) - bytes0) as f64 / 1e6 / tail_secs;
    let produced = last - 1;
    let window = o.window.unwrap_or(DEFAULT_WINDOW);
    let want = (last, last.min(window));
    #[allow(clippy::cast_precision_loss)]
    let produce_rate = produced as f64 / produce_secs;

    // Everything produced shows: the last sequence, a full window.
    let caught = Instant::now();
    let caught_up = screen.wait(STEP_TIMEOUT, |t| shown(t) == Some(want));
    let catch_up_secs = caught.elapsed().as_secs_f64();
    let final_shown = shown(&screen.text());
    if let Some(r) = rss_mb(tui.pid) {
        rss.0.push(r);
    }
    // The export is exactly the last `want.1` sequences.
    let mut export_ok = false;
    let mut export_note = String::from("not run");
    let mut export_key_ms = None;
    if caught_up.is_some() {
        tui.press("e")?;
        screen.wait_or_fail("the export prompt", |t| t.contains("export JSON lines to:"))?;
        export_key_ms = tui
            .probe("\r", |t| t.contains("exporting "))?
            .map(|d| d.as_secs_f64() * 1000.0);
        let done = format!("exported {} entries", want.1);
        if screen.wait(STEP_TIMEOUT, |t| t.contains(&done)).is_some() {
            let path = dir
                .path()
                .join(format!("skope-export-{SPACE}-{SEGMENT}.jsonl"));
            let text = std::fs::read_to_string(&path)?;
            let seqs: Vec<u64> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["sequence"].as_u64())
                .collect();
            let first = want.0 + 1 - want.1;
            export_ok = seqs.len() as u64 == want.1
                && seqs.iter().copied().eq(first..=want.0)
                && text.lines().count() == seqs.len();
            export_note = format!(
                "{} lines, sequences {}..={} {}",
                seqs.len(),
                seqs.first().copied().unwrap_or(0),
                seqs.last().copied().unwrap_or(0),
                if export_ok {
                    "contiguous"
                } else {
                    "NOT the expected ones"
                }
            );
        } else {
            export_note = format!("no \"{done}\" on screen:\n{}", screen.text());
        }
    }
    let correct = caught_up.is_some() && export_ok;

    // Idle: nothing moves (the producer stopped, the export is done).
    let settle = Duration::from_secs(2);
    std::thread::sleep(settle);
    let (idle0, bytes0) = (
        cpu_secs(tui.pid, ticks).unwrap_or(0.0),
        screen.bytes.load(Ordering::Relaxed),
    );
    let idle_started = Instant::now();
    std::thread::sleep(Duration::from_secs(o.idle_secs));
    let idle_secs = idle_started.elapsed().as_secs_f64();
    let idle_cpu = (cpu_secs(tui.pid, ticks).unwrap_or(0.0) - idle0) / idle_secs * 100.0;
    #[allow(clippy::cast_precision_loss)]
    let idle_bytes_per_sec = (screen.bytes.load(Ordering::Relaxed) - bytes0) as f64 / idle_secs;

    tui.press("q")?;
    let exited_ok = tui.wait_exit(STEP_TIMEOUT)?;
    let stats: Value = std::fs::read_to_string(&stats_file)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    let draw = &stats["draw"];
    let in_app_key = &stats["key_to_frame"];
    let draw_p99 = draw["p99_ms"].as_f64();
    let key_p99 = keys.pct(99.0);
    let rss_max = rss.max();
    #[allow(clippy::cast_precision_loss)]
    let received_rate = stats["entries_received"].as_u64().unwrap_or(0) as f64 / tail_secs;

    let ok_rate = produce_rate >= 0.95 * o.rate as f64;
    let ok_key = key_p99.is_some_and(|v| v < KEY_P99_MS);
    let ok_draw = draw_p99.is_some_and(|v| v < DRAW_P99_MS);
    let ok_rss = rss_max.is_some_and(|v| v < RSS_MAX_MB);
    let ok_idle = idle_cpu < IDLE_CPU_PCT;
    println!(
        "produce: {produced} entries in {produce_secs:.1} s = {produce_rate:.0}/s (target {}) {}",
        o.rate,
        verdict(ok_rate)
    );
    println!(
        "tui received: {} entries = {received_rate:.0}/s over {tail_secs:.1} s; lag behind the commits p50 {} max {} entries; caught up {catch_up_secs:.1} s after the last commit",
        stats["entries_received"],
        fmt(lag.pct(50.0)),
        fmt(lag.max()),
    );
    println!(
        "key→frame through the pty ({} probes, {probe_timeouts} timed out): p50 {} p99 {} max {} ms (target p99 < {KEY_P99_MS}) {}; in the app: p50 {} p99 {} max {} ms",
        keys.0.len(),
        fmt(keys.pct(50.0)),
        fmt(key_p99),
        fmt(keys.max()),
        verdict(ok_key),
        fmt(in_app_key["p50_ms"].as_f64()),
        fmt(in_app_key["p99_ms"].as_f64()),
        fmt(in_app_key["max_ms"].as_f64()),
    );
    let ms = |v: &Value| {
        format!(
            "p50 {} p99 {} max {}",
            fmt(v["p50_ms"].as_f64()),
            fmt(v["p99_ms"].as_f64()),
            fmt(v["max_ms"].as_f64())
        )
    };
    println!(
        "draw at {}x{} ({} frames): {} ms (target p99 < {DRAW_P99_MS}) {}; its CPU time {} ms; building the frame {} ms; the loop thread was preempted {preempted_n} times while tailing",
        o.cols,
        o.rows,
        draw["count"],
        ms(draw),
        verdict(ok_draw),
        ms(&stats["draw_cpu"]),
        ms(&stats["render"]),
    );
    println!(
        "memory: RSS max {} MB (target < {RSS_MAX_MB}) {}; CPU while tailing: tui {:.0}%, server {:.0}%, bench {:.0}%; terminal output {term_mb_per_sec:.1} MB/s",
        fmt(rss_max),
        verdict(ok_rss),
        tui_cpu / tail_secs * 100.0,
        server_cpu / tail_secs * 100.0,
        self_cpu / tail_secs * 100.0,
    );
    println!(
        "idle: tui CPU {idle_cpu:.2}% over {idle_secs:.0} s, {idle_bytes_per_sec:.0} B/s to the terminal (target < {IDLE_CPU_PCT}%) {}",
        verdict(ok_idle)
    );
    println!(
        "nothing dropped: shown {:?} (want last #{} · {} in window), export {export_note} {}; exit {}",
        final_shown.or(Some(last_shown)),
        want.0,
        want.1,
        if correct { "ok" } else { "FAILED" },
        if exited_ok { "0" } else { "non-zero" },
    );
    if let Some(ms) = export_key_ms {
        println!(
            "export key (enter → \"exporting {} entries…\" shown): {ms:.1} ms",
            want.1
        );
    }
    println!("load: {load_before} before, {load_during} after tailing (2 cores)");
    let summary = json!({
        "bench": "tui_tail",
        "load_nice": o.load_nice, "load_nice_autogroup": aside, "cols": o.cols, "rows": o.rows, "secs": o.secs, "rate_target": o.rate,
        "payload_bytes": o.payload, "window": window,
        "produced": produced, "produce_rate": produce_rate,
        "tui_received": stats["entries_received"], "tui_received_rate": received_rate,
        "lag_max_entries": lag.max(), "catch_up_secs": catch_up_secs,
        "key_to_frame_ms": { "p50": keys.pct(50.0), "p99": key_p99, "max": keys.max(),
            "probes": keys.0.len(), "timeouts": probe_timeouts },
        "key_to_frame_in_app_ms": in_app_key,
        "draw_ms": draw, "draw_cpu_ms": stats["draw_cpu"], "render_ms": stats["render"], "loop_thread_preempted": preempted_n,
        "rss_max_mb": rss_max,
        "cpu_pct_tailing": { "tui": tui_cpu / tail_secs * 100.0,
            "server": server_cpu / tail_secs * 100.0, "bench": self_cpu / tail_secs * 100.0 },
        "terminal_mb_per_sec": term_mb_per_sec, "idle_cpu_pct": idle_cpu, "idle_bytes_per_sec": idle_bytes_per_sec,
        "export_key_ms": export_key_ms, "correct": correct, "exited_ok": exited_ok,
        "load_before": load_before, "load_after": load_during,
        "targets_met": ok_rate && ok_key && ok_draw && ok_rss && ok_idle,
    });
    println!("{summary}");
    drop(server);
    if !correct || !exited_ok {
        std::process::exit(1);
    }
    Ok(())
}
