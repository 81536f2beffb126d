//! The TUI's threads by priority: the loop's thread (the one that calls `block_on`) draws; the
//! runtime's workers read and decode entries. While tailing 100k entries/s a worker is nearly
//! always runnable, and when it preempts the loop mid-frame the frame waits for the next
//! scheduler tick (4 ms at HZ=250): measured, that alone put the draw's p99 over 5 ms. The
//! workers run [`WORKER_NICE`] steps nicer, so the frame goes first and the workers take the
//! rest (the loop needs ~10 % of a core).
//!
//! This shifts CPU between the app's own threads only where Linux groups a terminal session's
//! processes (autogroup, the default): the app as a whole keeps its share against other
//! sessions. Without it, the workers compete at the lower priority; the read then lags under
//! load, it never drops (the reader is backpressured).

/// How much nicer than the loop the runtime's threads run.
pub const WORKER_NICE: i32 = 10;

/// Lower the calling thread's priority by [`WORKER_NICE`] (a runtime's `on_thread_start`).
/// Best effort: failing leaves it as it was.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        // On Linux the nice value is per thread: PRIO_PROCESS with a thread id sets that thread.
        // Relative to the main thread's (the loop's), not this thread's: a thread started by a
        // worker inherits the worker's.
        let main = Some(rustix::process::getpid());
        let tid = Some(rustix::thread::gettid());
        let result = rustix::process::getpriority_process(main).and_then(|nice| {
            rustix::process::setpriority_process(tid, (nice + WORKER_NICE).min(19))
        });
        if let Err(e) = result {
            tracing::debug!(error = %e, "cannot lower a worker thread's priority");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("nice")
    }

    #[test]
    fn lowered_threads_are_nicer_than_the_main_thread_once() {
        let main = rustix::process::getpriority_process(Some(rustix::process::getpid()))
            .expect("the main thread's nice");
        let before = nice();
        let (lowered, started_by_lowered) = std::thread::spawn(|| {
            lower_this_thread();
            let lowered = nice();
            // A thread a worker starts inherits the worker's nice: lowered from the main's.
            let inner = std::thread::spawn(|| {
                lower_this_thread();
                nice()
            })
            .join()
            .expect("inner thread");
            (lowered, inner)
        })
        .join()
        .expect("thread");
        assert_eq!(lowered, (main + WORKER_NICE).min(19));
        assert_eq!(started_by_lowered, lowered);
        assert_eq!(nice(), before, "the calling thread is left alone");
    }
}
