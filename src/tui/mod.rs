//! The terminal UI: `skope` with no subcommand, and `skope demo`.
//!
//! - [`event`]: the one `Event` enum; [`action`]: what keys do; [`keymap`]: keys → actions.
//! - [`state`]: `AppState` and its `update`/`handle` returning `Effect`s (no I/O).
//! - [`app`]: the loop (select → drain → update → draw once if dirty, frame cap) and the client
//!   tasks that run effects and report back through bounded channels.
//! - [`scrollback`]: reading the page before the entry window (scrolling back past it).
//! - [`priority`]: the runtime's workers yield to the loop's thread, which draws.
//! - [`ui`]: pure rendering, one file per region; [`theme`]; [`terminal`]: init/restore.

pub mod action;
pub mod app;
pub mod event;
pub mod filter;
pub mod frame_stats;
pub mod keymap;
pub mod panels;
pub mod priority;
pub mod publish;
pub mod scrollback;
pub mod state;
pub mod stores;
pub mod terminal;
pub mod theme;
pub mod ui;

use crate::connect::Session;
use color_eyre::eyre::Result;

/// TUI options on the command line (global: they apply to `skope` and `skope demo`).
#[derive(Debug, Clone, clap::Args)]
pub struct TuiArgs {
    /// Entries kept in memory by the entry list.
    #[arg(long, global = true, env = "SKOPE_WINDOW", default_value_t = state::DEFAULT_WINDOW)]
    pub window: usize,
}

/// How the TUI starts.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// Entries kept in memory by the entry list.
    pub window: usize,
    /// The session talks to the embedded store (the badge says "embedded").
    pub embedded: bool,
    /// The theme (the config's choice, or no colour when `NO_COLOR` is set).
    pub theme: theme::ThemeName,
    /// The embedded keymap with the config file's `[keys.*]` over it.
    pub keymap: keymap::Keymap,
    /// Where the store picker looks.
    pub stores: stores::StoreSources,
    /// Names the config profile gives its stores (the picker and the breadcrumbs show them).
    pub store_names: std::collections::BTreeMap<skope_client::Uuid, String>,
}

impl TuiOptions {
    /// From the command line (with the profile merged in), the config file's TUI settings and
    /// the environment (`NO_COLOR`).
    #[must_use]
    pub fn from_args(
        args: &TuiArgs,
        global: &crate::cli::Global,
        settings: crate::config::TuiSettings,
    ) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        TuiOptions {
            window: args.window,
            embedded: global.url.is_none(),
            theme: settings.theme.unless_no_color(no_color),
            keymap: settings.keymap,
            stores: stores::StoreSources {
                profile: settings.stores.iter().map(|s| s.id).collect(),
                token: crate::connect::token_stores(global),
                data_dir: global
                    .url
                    .is_none()
                    .then(|| crate::connect::data_dir(global).ok())
                    .flatten(),
                recent_file: crate::connect::data_dir(global)
                    .ok()
                    .map(|d| d.join("recent_stores")),
            },
            store_names: settings
                .stores
                .iter()
                .filter_map(|s| Some((s.id, s.name.clone()?)))
                .collect(),
        }
    }
}

/// Run the TUI on `session` until the user quits.
///
/// # Errors
/// The terminal cannot be used. (Client errors are shown in the UI, not returned.)
pub async fn run(session: Session, opts: TuiOptions) -> Result<()> {
    app::run(session, opts).await
}
