//! skope: the CLI (and, later, the TUI) on top of the client core.

pub mod cli;
pub mod commands;
pub mod config;
pub mod connect;
pub mod demo;
pub mod jsonl;
pub mod local;
pub mod logging;
pub mod tui;

use cli::{Cli, Command};
use color_eyre::eyre::Result;
use std::process::ExitCode;

/// Run a parsed command line.
///
/// # Errors
/// Any failure, as one report for `main` to print.
pub async fn run(mut cli: Cli) -> Result<ExitCode> {
    cli.global.token_from_env(std::env::var("SKOPE_TOKEN").ok());
    if let Some(Command::Config(args)) = &cli.command {
        return commands::config::run(&cli.global, args);
    }
    let config = config::Config::load(cli.global.config.as_deref())?;
    let profile_name = cli.global.profile.clone();
    let profile = config.profile(profile_name.as_deref())?;
    // The demo runs on a fresh embedded store: a profile's server, store and data dir stay out.
    let demo = matches!(cli.command, Some(Command::Demo));
    let profile = profile.filter(|_| !demo).map(|(name, p)| {
        tracing::debug!(profile = name, "using config profile");
        if let Some(note) = config::apply(p, &mut cli.global) {
            eprintln!("skope: profile {name}: {note}");
        }
        p
    });
    let tui_settings = config.tui(profile);
    let Some(command) = cli.command else {
        let session = connect::open(&cli.global)?;
        let opts = tui::TuiOptions::from_args(&cli.tui, &cli.global, tui_settings);
        tui::run(session, opts).await?;
        return Ok(ExitCode::SUCCESS);
    };
    let command = match command {
        Command::Demo => return commands::demo::run(cli.global, &cli.tui, tui_settings).await,
        Command::Serve(args) => return commands::serve::run(&cli.global, args).await,
        Command::Token(args) => return commands::token::run(&args),
        other => other,
    };
    let session = connect::open(&cli.global)?;
    let result = match command {
        Command::Spaces => commands::inventory::spaces(&session).await,
        Command::Segments { space } => commands::inventory::segments(&session, &space).await,
        Command::Peek { space, segment } => commands::read::peek(&session, &space, &segment).await,
        Command::Consume(args) => commands::read::consume(&session, args).await,
        Command::Produce(args) => commands::write::produce(&session, args).await,
        Command::Publish(args) => commands::write::publish(&session, args).await,
        Command::Subscribe { space, segment } => {
            commands::subscribe::run(&session, &space, segment.as_deref()).await
        }
        Command::Lease(args) => commands::lease::run(&session, args).await,
        Command::Bench(args) => commands::bench::run(&session, args).await,
        Command::Demo | Command::Serve(_) | Command::Token(_) | Command::Config(_) => {
            unreachable_early()
        }
    };
    session.client.close().await;
    result
}

fn unreachable_early() -> Result<ExitCode> {
    color_eyre::eyre::bail!("demo, serve, token and config run before a session is opened")
}
