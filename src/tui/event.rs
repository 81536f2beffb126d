//! The one event enum the app loop consumes: terminal input, ticks, and what client tasks
//! report back (through bounded channels).

use skope_client::{ConnState, Entry, SegmentStatus};

/// Everything that can wake the UI.
#[derive(Debug)]
pub enum Event {
    /// A key, a mouse event, a resize.
    Term(crossterm::event::Event),
    /// One second passed (only while something time-based is on screen).
    Tick,
    /// A client task reported.
    Client(ClientEvent),
}

/// Reports of client tasks. `generation` ties a report to the request that caused it, so a
/// stale report (of a stream or subscription since replaced) is ignored.
#[derive(Debug)]
pub enum ClientEvent {
    /// The space list.
    Spaces(Result<Vec<String>, String>),
    /// The segment names of the watched space.
    Segments {
        generation: u64,
        names: Result<Vec<String>, String>,
    },
    /// Status updates of the watched space (coalesced: the latest per segment).
    Statuses {
        generation: u64,
        statuses: Vec<SegmentStatus>,
    },
    /// The space subscription failed.
    SubscriptionFailed { generation: u64, message: String },
    /// A batch of entries of the open stream, in order.
    Entries { generation: u64, batch: Vec<Entry> },
    /// A scroll-back page (the answer to `Effect::FetchOlder` `id`).
    Older {
        id: u64,
        result: Result<crate::tui::state::OlderPage, String>,
    },
    /// The open stream failed for good.
    StreamFailed { generation: u64, message: String },
    /// The connection changed.
    Conn(ConnState),
    /// The last sequence of the publish pane's target (a peek).
    LastSequence {
        generation: u64,
        result: Result<u64, String>,
    },
    /// The client's subscriptions (refreshed while the panel shows).
    Subscriptions(Vec<crate::tui::panels::SubRow>),
    /// A lease was acquired (and is renewed in the background).
    LeaseAcquired {
        key: String,
        holder: String,
        ttl_secs: u64,
    },
    /// A lease could not be acquired.
    LeaseFailed { key: String, message: String },
    /// A held lease was lost.
    LeaseLost { key: String, reason: String },
    /// A lease was released (`Ok(false)`: the server no longer had it).
    LeaseReleased {
        key: String,
        result: Result<bool, String>,
    },
    /// An export finished: the lines written, or the error.
    Exported {
        path: String,
        result: Result<usize, String>,
    },
    /// The store picker's lists, by origin.
    Stores(Vec<(crate::tui::stores::Origin, Vec<skope_client::Uuid>)>),
    /// The answer to a publish.
    Published {
        generation: u64,
        result: Result<SegmentStatus, String>,
    },
}
