//! The terminal always comes back: raw mode, the alternate screen and mouse capture are undone
//! by a RAII guard on every exit path, and by a chained panic hook before the panic message is
//! printed — once.
//!
//! A panic in a task (tokio catches it, and the app would run on) or on another thread while
//! the app loop runs is not printed over the screen: the hook logs it with a backtrace and hands
//! it to the loop ([`TaskPanics`]), which ends the app with one line, then the guard restores
//! the terminal.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, PoisonError};
use std::thread::{self, ThreadId};
use tokio::sync::mpsc;

/// A frame is written out whole on the flush that ends each draw: one write, where stdout's own
/// 1 KiB line buffer made one per KiB (each waking the terminal on a half-drawn frame).
pub type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Room for a full frame of a large, colourful screen.
const FRAME_BYTES: usize = 256 * 1024;

/// Owns the terminal while the TUI runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Term,
    /// Panics off the loop while the terminal is ours (the loop must end the app).
    pub task_panics: TaskPanics,
}

/// The terminal is set up (raw mode, alternate screen): `restore` has something to undo.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Where the panic hook sends a panic off the app loop, while a [`TaskPanics`] lives.
static WATCH: Mutex<Option<Watch>> = Mutex::new(None);

struct Watch {
    /// The thread the loop runs on (a panic there unwinds through the loop: not reported).
    loop_thread: ThreadId,
    tx: mpsc::UnboundedSender<String>,
    /// Ties the registration to its `TaskPanics` (a newer one replaces it).
    id: u64,
}

/// Panics of tasks and other threads, reported to the app loop while this lives (created on
/// the loop's thread). Each is a line for the user: what panicked where, and where the log is.
pub struct TaskPanics {
    rx: mpsc::UnboundedReceiver<String>,
    id: u64,
}

impl TaskPanics {
    /// Start reporting panics off the current thread (and in tasks on it) to this watch.
    #[must_use]
    pub fn watch() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        install_panic_hook();
        let (tx, rx) = mpsc::unbounded_channel();
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        *WATCH.lock().unwrap_or_else(PoisonError::into_inner) = Some(Watch {
            loop_thread: thread::current().id(),
            tx,
            id,
        });
        TaskPanics { rx, id }
    }

    /// The next panic reported (pending until there is one).
    pub async fn next(&mut self) -> String {
        match self.rx.recv().await {
            Some(p) => p,
            // The sender lives in `WATCH` until this is dropped.
            None => std::future::pending().await,
        }
    }
}

impl Drop for TaskPanics {
    fn drop(&mut self) {
        let mut w = WATCH.lock().unwrap_or_else(PoisonError::into_inner);
        if w.as_ref().is_some_and(|w| w.id == self.id) {
            *w = None;
        }
    }
}

impl TerminalGuard {
    /// Enter raw mode, the alternate screen, and mouse capture.
    ///
    /// # Errors
    /// The terminal cannot be set up (then it is restored before returning).
    pub fn init() -> io::Result<Self> {
        let task_panics = TaskPanics::watch();
        ENTERED.store(true, Ordering::SeqCst);
        if let Err(e) = enable_raw_mode() {
            ENTERED.store(false, Ordering::SeqCst);
            return Err(e);
        }
        // (Not `Terminal::clear`: it asks the terminal for the cursor position, which a
        // terminal that does not answer turns into a 2 s stall and an error.)
        let setup = execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            Clear(ClearType::All),
            cursor::Hide
        )
        .and_then(|()| {
            Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(
                FRAME_BYTES,
                io::stdout(),
            )))
        });
        match setup {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                task_panics,
            }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // What a failed draw left buffered goes to the alternate screen, not after it.
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}

/// Undo everything `init` did, once (later calls do nothing); errors are ignored (there is
/// nothing better to do with them on the way out).
pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Installed once per process: a panic off the loop goes to the loop (see [`TaskPanics`]);
/// any other restores the terminal before the previous hook prints it.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if report_to_loop(info) {
                return;
            }
            restore();
            previous(info);
        }));
    });
}

/// Log a panic in a task or off the loop's thread and send it to the loop; false when no loop
/// watches or the panic is the loop's own (it unwinds through the loop and the guard).
fn report_to_loop(info: &std::panic::PanicHookInfo<'_>) -> bool {
    let watch = WATCH.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(w) = watch.as_ref() else {
        return false;
    };
    if tokio::task::try_id().is_none() && thread::current().id() == w.loop_thread {
        return false;
    }
    let what = panic_text(info);
    tracing::error!(
        "internal error: {what}\n{}",
        std::backtrace::Backtrace::force_capture()
    );
    let log = crate::logging::file().map_or_else(
        || "no log (--log-file PATH keeps one)".to_owned(),
        |p| format!("log at {}", p.display()),
    );
    w.tx.send(format!("internal error: {what}, {log}")).is_ok()
}

/// `a task panicked at FILE:LINE:COL: MESSAGE`.
fn panic_text(info: &std::panic::PanicHookInfo<'_>) -> String {
    let message = info.payload_as_str().unwrap_or("(no message)");
    let whom = if tokio::task::try_id().is_some() {
        "a task".to_owned()
    } else {
        format!("thread {:?}", thread::current().name().unwrap_or("unnamed"))
    };
    match info.location() {
        Some(l) => format!("{whom} panicked at {}:{}: {message}", l.file(), l.line()),
        None => format!("{whom} panicked: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The next reported line that mentions `marker` (another test's panic may come first).
    async fn reported(panics: &mut TaskPanics, marker: &str) -> String {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let line = panics.next().await;
                if line.contains(marker) {
                    return line;
                }
            }
        })
        .await
        .expect("reported")
    }

    /// Panics in a task, a blocking task and another thread reach the watch as one line each;
    /// the loop's own panic does not (it unwinds through the loop). The terminal was never
    /// entered here, so nothing is restored (or written).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn panics_off_the_loop_reach_the_watch() {
        let mut panics = TaskPanics::watch();
        let task = tokio::spawn(async { panic!("tuifix-test: task boom") });
        assert!(task.await.is_err_and(|e| e.is_panic()));
        let line = reported(&mut panics, "task boom").await;
        assert!(
            line.starts_with("internal error: a task panicked at src/tui/terminal.rs:"),
            "{line}"
        );
        assert!(
            line.ends_with("tuifix-test: task boom, no log (--log-file PATH keeps one)"),
            "{line}"
        );

        let blocking = tokio::task::spawn_blocking(|| panic!("tuifix-test: blocking boom"));
        assert!(blocking.await.is_err());
        let line = reported(&mut panics, "blocking boom").await;
        assert!(line.contains("a task panicked"), "{line}");

        let t = thread::Builder::new()
            .name("tuifix-worker".into())
            .spawn(|| panic!("tuifix-test: thread boom"))
            .expect("thread");
        assert!(t.join().is_err());
        let line = reported(&mut panics, "thread boom").await;
        assert!(
            line.contains(r#"thread "tuifix-worker" panicked"#),
            "{line}"
        );

        // On the loop's thread, outside any task: not reported.
        let own = std::panic::catch_unwind(|| panic!("tuifix-test: loop boom"));
        assert!(own.is_err());
        while let Ok(line) = panics.rx.try_recv() {
            assert!(!line.contains("loop boom"), "{line}");
        }

        drop(panics);
        assert!(
            WATCH.lock().expect("watch").is_none(),
            "dropping unregisters"
        );
        assert!(!ENTERED.load(Ordering::SeqCst));
    }
}
