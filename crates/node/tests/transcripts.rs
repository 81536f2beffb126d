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

use skope_node::testkit::replay::{Expect, Replay, load, mask, replay_on};
use skope_node::{Access, Node};
use skope_proto::{Message, StreamControl, Uuid};

const MAIN: Uuid = Uuid::from_u128(1);

async fn replay(r: Replay) {
    let d = tempfile::tempdir().unwrap();
    let node = Node::open(d.path()).unwrap();
    replay_on(&node, &r).await;
}

macro_rules! replays {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                replay(Replay::new(stringify!($name))).await;
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
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frame_not_json() {
    replay(Replay {
        expect_connection_close: true,
        ..Replay::new("bad_frame_not_json")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frame_payload_not_base64() {
    replay(Replay {
        expect_connection_close: true,
        ..Replay::new("bad_frame_payload_not_base64")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_store_allowed() {
    replay(Replay {
        access: Access::Stores(vec![MAIN]),
        ..Replay::new("scoped_store_allowed")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_store_forbidden() {
    replay(Replay {
        access: Access::Stores(vec![MAIN]),
        ..Replay::new("scoped_store_forbidden")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_store_forbidden_produce() {
    replay(Replay {
        access: Access::Stores(vec![MAIN]),
        ..Replay::new("scoped_store_forbidden_produce")
    })
    .await;
}

/// The five `lease_holder_*` captures ran one after another against one server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_holders_in_sequence() {
    let d = tempfile::tempdir().unwrap();
    let node = Node::open(d.path()).unwrap();
    for name in [
        "lease_holder_a_acquire",
        "lease_holder_b_conflict",
        "lease_holder_b_renew_conflict",
        "lease_holder_b_release_conflict",
        "lease_holder_a_release",
    ] {
        replay_on(&node, &Replay::new(name)).await;
    }
}

/// Go leaks names by prefix; skope answers with exact names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_prefix_leak_corrected() {
    let nil = "00000000-0000-0000-0000-000000000000";
    let empty = |seg: &str| {
        format!(
            r#"{{"sequence":0,"trx":{{"id":"{nil}","node":"{nil}","number":0}},"payload":null,"space":"a","segment":"{seg}"}}"#
        )
    };
    let close = r#"{"type":"mux::close"}"#.to_owned();
    let status = |seg: &str, last: u64| {
        format!(
            r#"{{"space":"a","segment":"{seg}","first_sequence":1,"first_timestamp":1,"last_sequence":{last},"last_timestamp":1,"heartbeat":false}}"#
        )
    };
    let r = Replay {
        fixups: vec![
            // get_segments a: a's own segments only.
            (
                "b42ebb76",
                Expect::Exact(vec![
                    "\"S1\"".into(),
                    "\"s\"".into(),
                    "\"s10\"".into(),
                    "\"s2\"".into(),
                    close.clone(),
                ]),
            ),
            // peek / consume_segment a/s1: s1 does not exist.
            ("3d0c7f7a", Expect::Exact(vec![empty("s1"), close.clone()])),
            ("8f7883cb", Expect::Exact(vec![close.clone()])),
            // peek / consume_segment with segment "": no such segment.
            ("fe2aa3ef", Expect::Exact(vec![empty(""), close.clone()])),
            ("00f69c9f", Expect::Exact(vec![close.clone()])),
            // subscribe a/*: one status per segment of a; subscribe a/s1: nothing.
            (
                "bd7a5b4f",
                Expect::Exact(vec![
                    status("S1", 1),
                    status("s", 1),
                    status("s10", 2),
                    status("s2", 1),
                ]),
            ),
            ("208b74b1", Expect::Exact(vec![])),
        ],
        ..Replay::new("name_prefix_leak")
    };
    replay(r).await;
}

/// Go keeps sending after the client's early close; skope stops (a prefix, then `close`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_early_close_corrected() {
    let Some(recs) = load("consume_early_close") else {
        return;
    };
    // The consume channel: the one whose request is consume_segment.
    let consume = recs
        .iter()
        .filter(|r| r.c2s)
        .filter_map(|r| r.frame.as_ref())
        .find(|f| {
            f.payload.as_deref().is_some_and(|p| {
                Message::decode(p).is_ok_and(|m| matches!(m, Message::ConsumeSegment(_)))
            })
        })
        .map(|f| f.channel_id)
        .unwrap();
    let entries: Vec<String> = recs
        .iter()
        .filter(|r| !r.c2s)
        .filter_map(|r| r.frame.as_ref())
        .filter(|f| f.channel_id == consume)
        .map(|f| String::from_utf8_lossy(f.payload.as_deref().unwrap_or_default()).into_owned())
        .filter(|t| StreamControl::detect(t.as_bytes()).is_none())
        .collect();
    let prefix: &'static str = Box::leak(consume.to_string()[..8].to_owned().into_boxed_str());
    let r = Replay {
        fixups: vec![(prefix, Expect::PrefixThenClose(entries))],
        ..Replay::new("consume_early_close")
    };
    replay(r).await;
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
