use clap::Parser;
use skope::cli::Command;
use std::process::ExitCode;

/// Entries are allocated on one thread and freed on another, 100k a second when
/// tailing fast: with glibc's allocator a fifth of the TUI's CPU was malloc and free. mimalloc:
/// TUI 49–51 % → 38–42 % of a core, `skope serve` 64 → 55–61 % (RSS 58 → 75 MB, bounded).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = skope::cli::Cli::parse();
    let _log = match skope::logging::init(cli.global.log_file.as_deref(), &cli.global.log_level) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    // A one-shot CLI command runs its client on one thread: no cross-thread wakeups per frame,
    // and a server on the same machine keeps a core. The TUI, the demo and serve use both.
    let one_shot = !matches!(cli.command, None | Some(Command::Demo | Command::Serve(_)));
    let tui = matches!(cli.command, None | Some(Command::Demo));
    let runtime = if one_shot {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else if tui {
        // The loop draws on this thread; the workers that read entries yield to it.
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .on_thread_start(skope::tui::priority::lower_this_thread)
            .build()
    } else {
        tokio::runtime::Runtime::new()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    match runtime.block_on(skope::run(cli)) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

/// One clear line on stderr, never a panic or a backtrace.
fn fail(e: &color_eyre::eyre::Report) -> ExitCode {
    eprintln!("skope: {e:#}");
    ExitCode::FAILURE
}
