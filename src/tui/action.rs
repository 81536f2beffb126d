//! What a key can do. Keys map to these (see `assets/keymap.toml`); `AppState::update` applies
//! them. Serialized in snake_case, the names the keymap file uses.

use serde::{Deserialize, Serialize};

/// One user intent, independent of the key that triggered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave skope.
    Quit,
    /// Show the keys of the current view.
    Help,
    /// Open the `:` command line.
    CommandLine,
    /// Focus the next pane (hierarchy → entries → detail).
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Move the selection up one row (scroll up in the detail).
    Up,
    /// Move the selection down one row.
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// The first row.
    Top,
    /// The last row; in the entry list this follows the tail again.
    Bottom,
    /// Open the selection (a space, a segment, an entry's detail).
    Open,
    /// Go back one level, or to the previous pane.
    Back,
    /// Reload the space list.
    Refresh,
    /// Pause the tail (stops reading from the server) or resume it from its cursor.
    TogglePause,
    /// Payload as JSON → text → hex.
    CycleFormat,
    /// Close the overlay (help).
    Cancel,
    /// Filter the entry list (`/`): substring, `re:` regex, or `$.a.b == "x"`.
    Filter,
    /// Clear the entry-list filter.
    ClearFilter,
    /// Open the publish pane for the open segment.
    Publish,
    /// Open the publish pane pre-filled with the selected entry ("publish like this").
    CopyToPublish,
    /// Publish pane: Enter → preview, Enter again → send.
    Submit,
    /// Publish pane: add a metadata row.
    AddRow,
    /// Publish pane: remove the focused metadata row.
    RemoveRow,
    /// Publish pane: a newline in the payload.
    Newline,
    /// Show / hide the subscriptions panel.
    ToggleSubscriptions,
    /// Show / hide the leases panel.
    ToggleLeases,
    /// Leases panel: acquire a lease (prompt: KEY [TTL]).
    AcquireLease,
    /// Leases panel: release the selected lease.
    ReleaseLease,
    /// Copy the selected entry's payload to the clipboard (OSC 52).
    CopyPayload,
    /// Copy the selected entry as a JSON line to the clipboard (OSC 52).
    CopyEntry,
    /// Export the loaded (filtered) entries as JSON lines to a file.
    Export,
    /// Pick another store (profile, recent, token scopes, disk, or a UUID).
    StorePicker,
    /// Space list: mark / unmark the selected space (Enter opens the marked ones merged).
    Mark,
}

impl Action {
    /// The description `?` help shows in `scope` (the entry list's moves do more).
    #[must_use]
    pub fn describe_in(self, scope: super::keymap::Scope) -> &'static str {
        match (self, scope) {
            (Action::Top, super::keymap::Scope::Entries) => "first row (at the top: loads older)",
            (Action::Bottom, super::keymap::Scope::Entries) => "last row (back to the live tail)",
            _ => self.describe(),
        }
    }

    /// A short description for `?` help.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "this help",
            Action::CommandLine => "command line (:seg, :spaces, :time, :offset, …)",
            Action::FocusNext => "next pane",
            Action::FocusPrev => "previous pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::Open => "open",
            Action::Back => "back",
            Action::Refresh => "reload the spaces",
            Action::TogglePause => "pause / resume the tail",
            Action::CycleFormat => "payload as JSON / text / hex",
            Action::Cancel => "close",
            Action::Filter => {
                "filter entries: text, re:REGEX (ctrl-r toggles), $.a.b == \"x\" / != / > / < / exists"
            }
            Action::ClearFilter => "clear the filter",
            Action::Publish => "publish to the open segment (:publish SPACE/SEG)",
            Action::CopyToPublish => "publish like this: the selected entry into the publish pane",
            Action::Submit => "preview, then send",
            Action::AddRow => "add a metadata row",
            Action::RemoveRow => "remove the metadata row",
            Action::Newline => "newline in the payload",
            Action::ToggleSubscriptions => "subscriptions panel (health, refreshed every second)",
            Action::ToggleLeases => "leases panel (acquire, watch, release)",
            Action::AcquireLease => "acquire a lease: KEY [TTL]",
            Action::ReleaseLease => "release the selected lease",
            Action::CopyPayload => "copy the payload (OSC 52 clipboard, works over SSH)",
            Action::CopyEntry => "copy the entry as a JSON line (OSC 52)",
            Action::Export => "export the loaded (filtered) entries as JSON lines",
            Action::StorePicker => "switch stores (profile, recent, token, disk, or type a UUID)",
            Action::Mark => "mark a space (enter: the marked ones, merged by time)",
        }
    }

    /// A one-word label for the key-hints bar.
    #[must_use]
    pub fn hint(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::CommandLine => "cmd",
            Action::FocusNext => "pane",
            Action::FocusPrev => "pane",
            Action::Up | Action::Down => "move",
            Action::PageUp | Action::PageDown => "page",
            Action::Top => "top",
            Action::Bottom => "follow",
            Action::Open => "open",
            Action::Back => "back",
            Action::Refresh => "reload",
            Action::TogglePause => "pause",
            Action::CycleFormat => "format",
            Action::Cancel => "close",
            Action::Filter => "filter",
            Action::ClearFilter => "unfilter",
            Action::Publish => "publish",
            Action::CopyToPublish => "copy→publish",
            Action::Submit => "preview/send",
            Action::AddRow => "add row",
            Action::RemoveRow => "remove row",
            Action::Newline => "newline",
            Action::ToggleSubscriptions => "subs",
            Action::ToggleLeases => "leases",
            Action::AcquireLease => "acquire",
            Action::ReleaseLease => "release",
            Action::CopyPayload => "yank",
            Action::CopyEntry => "yank json",
            Action::Export => "export",
            Action::StorePicker => "store",
            Action::Mark => "mark",
        }
    }
}
