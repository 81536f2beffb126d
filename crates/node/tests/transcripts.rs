//! Transcript replay: the client frames of each capture in `shared/protocol/transcripts/`
//! (recorded between streamkit's Go client and Go server) are replayed against a fresh node,
//! and the node's frames are compared with the recorded server frames, channel by channel,
//! byte for byte after masking trx ids and timestamps.
//!
//! How a capture is replayed:
//! - State the capture relied on (entries written before it by other runs) is derived from
//!   what the recorded server frames show (entries with their trx numbers and payloads,
//!   statuses, names, `sequence gap: expected N` texts) and committed first, in recorded
//!   timestamp order.
//! - Client frames are sent at their recorded times (`t_ms` gaps) and only after every server
//!   frame recorded before them has arrived (causal order), so timing-dependent captures
//!   (lease expiry, heartbeats, `WithLease` renewals, worker observer) replay as recorded.
//! - Recorded timestamps inside client frames (`min_timestamp`, `max_timestamp`, offsets) are
//!   mapped onto the node's timestamps (learned from the seeded chunks and from each server
//!   frame compared so far).
//! - The two Go quirks skope does not copy are asserted corrected: `name_prefix_leak` expects
//!   exact-name answers; `consume_early_close` expects the stream to stop (a prefix of the
//!   recorded entries, then `close`).
//!
//! Not replayed here (covered by targeted tests in `hubs.rs` / `server.rs` / `muxer.rs`):
//! `subscribe_segment`, `subscribe_space`, `subscribe_raw_heartbeat` (their live statuses
//! come from a second, unrecorded producer), `subscribe_segment_long` (70 s),
//! `equal_timestamp_order` (needs two chunks committed in the same millisecond),
//! `handshake_*` / `unauthorized_*` (HTTP authentication happens before `Node::serve_io`; see
//! `listen.rs` here and `tests/serve_conformance.rs` of the root package).
//!
//! The machinery lives in `skope_node::testkit::replay` (shared with the root package's
//! conformance tests against a real `skope serve`).

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use skope_node::Node;
use skope_node::testkit::replay::{LEASE_HOLDERS, mask, replay_on, standard};

async fn replay(name: &'static str) {
    let d = tempfile::tempdir().unwrap();
    let node = Node::open(d.path()).unwrap();
    replay_on(&node, &standard(name)).await;
}

macro_rules! replays {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                replay(stringify!($name)).await;
            }
        )*
    };
}

replays!(
    produce,
    peek,
    get_spaces,
    get_segments,
    consume_segment,
    consume_segment_range,
    consume_space,
    consume_space_offset,
    consume,
    produce_wrong_sequence,
    produce_duplicate_sequence,
    produce_gap_without_halfclose,
    produce_client_close_error,
    lease_cycle,
    lease_withlease,
    lease_expiry,
    get_status,
    subscribe_workers,
    subscribe_heartbeat_wildcard,
    inventory_order,
    consume_bounds,
    empty_and_missing_names,
    bad_requests,
    channel_reuse,
    // The server closes the connection.
    bad_frame_not_json,
    bad_frame_payload_not_base64,
    // Token scoped to the main store.
    scoped_store_allowed,
    scoped_store_forbidden,
    scoped_store_forbidden_produce,
    // Go quirks asserted corrected.
    name_prefix_leak,
    consume_early_close,
);

/// The five `lease_holder_*` captures ran one after another against one server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_holders_in_sequence() {
    let d = tempfile::tempdir().unwrap();
    let node = Node::open(d.path()).unwrap();
    for name in LEASE_HOLDERS {
        replay_on(&node, &standard(name)).await;
    }
}

#[test]
fn masking() {
    assert_eq!(
        mask(
            r#"{"sequence":1,"timestamp":17,"trx":{"id":"75523f00-8518-41cb-96e5-18c6ab56654e","node":"00000000-0000-0000-0000-000000000000","number":5}}"#
        ),
        r#"{"sequence":1,"timestamp":"TS","trx":{"id":"ID","node":"00000000-0000-0000-0000-000000000000","number":5}}"#
    );
    assert_eq!(
        mask(r#"{"first_timestamp":0,"last_timestamp":-3}"#),
        r#"{"first_timestamp":0,"last_timestamp":"TS"}"#
    );
}
