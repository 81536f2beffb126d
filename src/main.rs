use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = skope::cli::Cli::parse();
    let _log = match skope::logging::init(cli.global.log_file.as_deref(), &cli.global.log_level) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    // One thread runs the client (and an embedded node's async side; storage work goes to the
    // blocking pool): no cross-thread wakeups per frame, and a local server keeps a core.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
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
