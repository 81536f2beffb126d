//! Property tests: every wire type survives encode → decode unchanged, our Go-style JSON is
//! plain JSON (serde_json's output plus Go's HTML escapes), and lexkey offsets order like the
//! tuples they encode.

#![allow(clippy::unwrap_used)]

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::Union;
use serde::Serialize;
use skope_proto::{
    Consume, ConsumeSegment, ConsumeSpace, ControlKind, ControlType, Entry, Frame, GetSegments,
    GetSpaces, GetStatus, LeaseAcquire, LeaseRelease, LeaseRenew, LeaseResult, LexKey, Message,
    Metadata, Peek, Presence, Produce, Record, SegmentNotification, SegmentStatus, SpaceOffset,
    StreamControl, SubscribeToSegmentStatus, SubscribeWorkers, Trx, Uuid, WorkerInfo,
    WorkerInventory, WorkerInventoryNotification, decode_bare, encode_bare, gojson, segment_offset,
    space_offset,
};

// ---------------------------------------------------------------- strategies

/// Strings that stress the encoder: arbitrary unicode, Go's HTML escapes, control characters,
/// quotes and backslashes, U+2028/U+2029, literal escape look-alikes.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => any::<String>(),
        3 => "[<>&\"\\\\/\u{0}-\u{1f}\u{7f}\u{80}\u{2028}\u{2029}\u{fffd}a-zA-Z0-9 é€😀]{0,16}",
        1 => "(\\\\u003c|\\\\u0026|<|>|&|\u{2028}|x){0,6}",
        1 => Just(String::new()),
    ]
    .boxed()
}

/// Names as they appear in offsets: anything but NUL.
fn name() -> BoxedStrategy<String> {
    text().prop_map(|s| s.replace('\0', "")).boxed()
}

fn u64s() -> BoxedStrategy<u64> {
    prop_oneof![
        Just(0_u64),
        Just(1),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(1 << 63),
        Just(i64::MAX as u64),
        any::<u64>(),
    ]
    .boxed()
}

fn i64s() -> BoxedStrategy<i64> {
    prop_oneof![
        Just(0_i64),
        Just(1),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MIN + 1),
        Just(i64::MAX),
        Just(1_700_000_000_123),
        any::<i64>(),
    ]
    .boxed()
}

fn uuid() -> BoxedStrategy<Uuid> {
    prop_oneof![
        Just(Uuid::nil()),
        Just(Uuid::max()),
        any::<[u8; 16]>().prop_map(Uuid::from_bytes)
    ]
    .boxed()
}

fn metadata() -> BoxedStrategy<Metadata> {
    btree_map(text(), text(), 0..4).boxed()
}

fn bytes() -> BoxedStrategy<Vec<u8>> {
    vec(any::<u8>(), 0..48).boxed()
}

fn opt_bytes() -> BoxedStrategy<Option<Vec<u8>>> {
    option::of(bytes()).boxed()
}

fn lexkey() -> BoxedStrategy<LexKey> {
    prop_oneof![
        1 => Just(LexKey::default()),
        3 => bytes().prop_map(LexKey),
        2 => (name(), i64s(), name(), u64s()).prop_map(|(a, t, s, q)| space_offset(&a, t, &s, q)),
    ]
    .boxed()
}

fn trx() -> BoxedStrategy<Trx> {
    (uuid(), uuid(), u64s())
        .prop_map(|(id, node, number)| Trx { id, node, number })
        .boxed()
}

fn record() -> BoxedStrategy<Record> {
    (u64s(), opt_bytes(), metadata())
        .prop_map(|(sequence, payload, metadata)| Record {
            sequence,
            payload,
            metadata,
        })
        .boxed()
}

fn entry() -> BoxedStrategy<Entry> {
    (
        u64s(),
        i64s(),
        trx(),
        opt_bytes(),
        metadata(),
        text(),
        text(),
    )
        .prop_map(
            |(sequence, timestamp, trx, payload, metadata, space, segment)| Entry {
                sequence,
                timestamp,
                trx,
                payload,
                metadata,
                space,
                segment,
            },
        )
        .boxed()
}

fn segment_status() -> BoxedStrategy<SegmentStatus> {
    (
        text(),
        text(),
        u64s(),
        i64s(),
        u64s(),
        i64s(),
        any::<bool>(),
    )
        .prop_map(
            |(space, segment, fs, ft, ls, lt, heartbeat)| SegmentStatus {
                space,
                segment,
                first_sequence: fs,
                first_timestamp: ft,
                last_sequence: ls,
                last_timestamp: lt,
                heartbeat,
            },
        )
        .boxed()
}

fn lease_result() -> BoxedStrategy<LeaseResult> {
    (any::<bool>(), text())
        .prop_map(|(ok, message)| LeaseResult { ok, message })
        .boxed()
}

fn worker_inventory() -> BoxedStrategy<WorkerInventory> {
    (
        vec(
            (uuid(), metadata(), i64s()).prop_map(|(worker_id, metadata, last_seen_at)| {
                WorkerInfo {
                    worker_id,
                    metadata,
                    last_seen_at,
                }
            }),
            0..3,
        ),
        i64s(),
    )
        .prop_map(|(workers, timestamp)| WorkerInventory { workers, timestamp })
        .boxed()
}

fn message() -> BoxedStrategy<Message> {
    Union::new(vec![
        (text(), text())
            .prop_map(|(space, segment)| Message::Peek(Peek { space, segment }))
            .boxed(),
        (text(), text())
            .prop_map(|(space, segment)| Message::Produce(Produce { space, segment }))
            .boxed(),
        (text(), text(), u64s(), i64s(), u64s(), i64s(), u64s())
            .prop_map(|(space, segment, a, b, c, d, limit)| {
                Message::ConsumeSegment(ConsumeSegment {
                    space,
                    segment,
                    min_sequence: a,
                    min_timestamp: b,
                    max_sequence: c,
                    max_timestamp: d,
                    limit,
                })
            })
            .boxed(),
        (text(), i64s(), i64s(), lexkey(), u64s())
            .prop_map(|(space, min_timestamp, max_timestamp, offset, limit)| {
                Message::ConsumeSpace(ConsumeSpace {
                    space,
                    min_timestamp,
                    max_timestamp,
                    offset,
                    limit,
                })
            })
            .boxed(),
        (i64s(), i64s(), btree_map(text(), lexkey(), 0..4), u64s())
            .prop_map(|(min_timestamp, max_timestamp, offsets, limit)| {
                Message::Consume(Consume {
                    min_timestamp,
                    max_timestamp,
                    offsets,
                    limit,
                })
            })
            .boxed(),
        Just(Message::GetSpaces(GetSpaces {})).boxed(),
        text()
            .prop_map(|space| Message::GetSegments(GetSegments { space }))
            .boxed(),
        Just(Message::GetStatus(GetStatus {})).boxed(),
        (text(), text(), i64s())
            .prop_map(|(space, segment, h)| {
                Message::SubscribeToSegmentStatus(SubscribeToSegmentStatus {
                    space,
                    segment,
                    heartbeat_interval_seconds: h,
                })
            })
            .boxed(),
        segment_status().prop_map(Message::SegmentStatus).boxed(),
        (uuid(), segment_status())
            .prop_map(|(store_id, segment_status)| {
                Message::SegmentNotification(SegmentNotification {
                    store_id,
                    segment_status,
                })
            })
            .boxed(),
        (text(), text(), i64s())
            .prop_map(|(key, holder, ttl_seconds)| {
                Message::LeaseAcquire(LeaseAcquire {
                    key,
                    holder,
                    ttl_seconds,
                })
            })
            .boxed(),
        (text(), text(), i64s())
            .prop_map(|(key, holder, ttl_seconds)| {
                Message::LeaseRenew(LeaseRenew {
                    key,
                    holder,
                    ttl_seconds,
                })
            })
            .boxed(),
        (text(), text())
            .prop_map(|(key, holder)| Message::LeaseRelease(LeaseRelease { key, holder }))
            .boxed(),
        lease_result().prop_map(Message::LeaseResult).boxed(),
        (uuid(), metadata(), i64s())
            .prop_map(|(worker_id, metadata, h)| {
                Message::SubscribeWorkers(SubscribeWorkers {
                    worker_id,
                    metadata,
                    heartbeat_interval_seconds: h,
                })
            })
            .boxed(),
        worker_inventory()
            .prop_map(Message::WorkerInventory)
            .boxed(),
        (uuid(), any::<bool>(), i64s())
            .prop_map(|(worker_id, heartbeat, timestamp)| {
                Message::Presence(Presence {
                    worker_id,
                    heartbeat,
                    timestamp,
                })
            })
            .boxed(),
        (uuid(), worker_inventory())
            .prop_map(|(store_id, inventory)| {
                Message::WorkerInventoryNotification(WorkerInventoryNotification {
                    store_id,
                    inventory,
                })
            })
            .boxed(),
    ])
    .boxed()
}

fn control_type() -> BoxedStrategy<ControlType> {
    prop_oneof![
        Just(ControlType::Data),
        Just(ControlType::Ping),
        Just(ControlType::Pong),
        Just(ControlType::Close),
        Just(ControlType::Error),
        // `Other` holds only what is not one of the named types (that is how decode builds it).
        text()
            .prop_filter("named control type", |s| {
                !matches!(s.as_str(), "data" | "ping" | "pong" | "close" | "error")
            })
            .prop_map(ControlType::Other),
    ]
    .boxed()
}

fn frame() -> BoxedStrategy<Frame> {
    (
        control_type(),
        uuid(),
        uuid(),
        opt_bytes(),
        btree_map(text(), text(), 0..3),
    )
        .prop_map(
            |(control_type, store_id, channel_id, payload, trace_context)| Frame {
                control_type,
                store_id,
                channel_id,
                payload,
                trace_context,
            },
        )
        .boxed()
}

fn stream_control() -> BoxedStrategy<StreamControl> {
    let kind = prop_oneof![
        Just(ControlKind::Close),
        Just(ControlKind::Error),
        "mux::[a-z<>&]{0,8}"
            .prop_filter("named kind", |s| s != "mux::close" && s != "mux::error")
            .prop_map(ControlKind::Other),
    ];
    // `err` is never `Some("")`: the constructors and `detect` both normalise it to `None`.
    (
        kind,
        option::of(text().prop_filter("empty", |s| !s.is_empty())),
    )
        .prop_map(|(kind, err)| StreamControl { kind, err })
        .boxed()
}

// ---------------------------------------------------------------- helpers

/// What Go adds to plain JSON output: `<`, `>`, `&`, U+2028, U+2029 escaped. In serde_json's
/// output these characters can only occur (raw) inside strings, so a blind replace is exact.
fn go_escape(plain: &[u8]) -> String {
    String::from_utf8(plain.to_vec())
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Our Go-style bytes are valid JSON, equal to serde_json's output modulo Go's escapes, and
/// parse to the same JSON value.
fn assert_plain_json<T: Serialize>(ours: &[u8], value: &T) -> Result<(), TestCaseError> {
    let plain = serde_json::to_vec(value).unwrap();
    let ours_v: serde_json::Value =
        serde_json::from_slice(ours).map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
    let plain_v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    prop_assert_eq!(ours_v, plain_v);
    prop_assert_eq!(String::from_utf8(ours.to_vec()).unwrap(), go_escape(&plain));
    Ok(())
}

/// serde_json's (non-Go) rendering of an envelope, built independently of `Message::encode`.
fn plain_envelope(m: &Message) -> Vec<u8> {
    fn env<T: Serialize>(m: &Message, c: &T) -> Vec<u8> {
        let ty = serde_json::to_string(&m.discriminator()).unwrap();
        let content = serde_json::to_string(c).unwrap();
        format!("{{\"$type\":{ty},\"content\":{content}}}").into_bytes()
    }
    match m {
        Message::Peek(c) => env(m, c),
        Message::Produce(c) => env(m, c),
        Message::ConsumeSegment(c) => env(m, c),
        Message::ConsumeSpace(c) => env(m, c),
        Message::Consume(c) => env(m, c),
        Message::GetSpaces(c) => env(m, c),
        Message::GetSegments(c) => env(m, c),
        Message::GetStatus(c) => env(m, c),
        Message::SubscribeToSegmentStatus(c) => env(m, c),
        Message::SegmentStatus(c) => env(m, c),
        Message::SegmentNotification(c) => env(m, c),
        Message::LeaseAcquire(c) => env(m, c),
        Message::LeaseRenew(c) => env(m, c),
        Message::LeaseRelease(c) => env(m, c),
        Message::LeaseResult(c) => env(m, c),
        Message::SubscribeWorkers(c) => env(m, c),
        Message::WorkerInventory(c) => env(m, c),
        Message::Presence(c) => env(m, c),
        Message::WorkerInventoryNotification(c) => env(m, c),
    }
}

fn bare_roundtrip<T>(v: &T) -> Result<(), TestCaseError>
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode_bare(v);
    let back: T = decode_bare(&bytes)
        .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
    prop_assert_eq!(&back, v);
    // Encoding is deterministic and stable across a round trip.
    prop_assert_eq!(encode_bare(&back), bytes.clone());
    assert_plain_json(&bytes, v)
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frame_encode_decode_identity(f in frame()) {
        let text = f.encode();
        let back = Frame::decode(text.as_bytes());
        prop_assert_eq!(back.as_ref(), Ok(&f), "{}", text);
        // Valid JSON with Go's keys in Go's order.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(v.as_object().map(serde_json::Map::len), Some(4 + usize::from(!f.trace_context.is_empty())));
        prop_assert!(text.starts_with("{\"ControlType\":"), "{}", text);
        let s = text.find("\"store_id\":").unwrap();
        let c = text.find("\"channel_id\":").unwrap();
        let p = text.find("\"payload\":").unwrap();
        prop_assert!(s < c && c < p);
        prop_assert_eq!(&text, &f.encode_to_string_via_writer());
    }

    #[test]
    fn a_borrowed_data_frame_encodes_as_an_owned_one(
        s in any::<u128>(),
        c in any::<u128>(),
        p in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let (s, c) = (Uuid::from_u128(s), Uuid::from_u128(c));
        prop_assert_eq!(Frame::encode_data(s, c, &p), Frame::data(s, c, p.clone()).encode());
    }

    #[test]
    fn frame_decode_is_case_insensitive(f in frame()) {
        let text = f.encode()
            .replacen("\"ControlType\"", "\"controltype\"", 1)
            .replacen("\"store_id\"", "\"STORE_ID\"", 1)
            .replacen("\"channel_id\"", "\"Channel_Id\"", 1)
            .replacen("\"payload\"", "\"Payload\"", 1);
        prop_assert_eq!(Frame::decode(text.as_bytes()), Ok(f));
    }

    #[test]
    fn envelope_roundtrip(m in message()) {
        let bytes = m.encode();
        let back = Message::decode(&bytes);
        prop_assert_eq!(back.as_ref(), Ok(&m), "{}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!(back.unwrap().encode(), bytes.clone());
        // `$type` then `content`, like Go's map marshal.
        let prefix = format!("{{\"$type\":\"{}\",\"content\":", m.discriminator());
        prop_assert!(bytes.starts_with(prefix.as_bytes()));
        let plain = plain_envelope(&m);
        let ours_v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let plain_v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        prop_assert_eq!(ours_v, plain_v);
        prop_assert_eq!(String::from_utf8(bytes).unwrap(), go_escape(&plain));
    }

    #[test]
    fn record_roundtrip(r in record()) {
        bare_roundtrip(&r)?;
        let text = String::from_utf8(encode_bare(&r)).unwrap();
        // Go: `payload` always written (`null` when nil), `metadata` only when non-empty.
        prop_assert!(text.contains("\"payload\":"));
        prop_assert_eq!(text.contains("\"metadata\":"), !r.metadata.is_empty());
    }

    #[test]
    fn entry_roundtrip(e in entry()) {
        bare_roundtrip(&e)?;
        let text = String::from_utf8(encode_bare(&e)).unwrap();
        prop_assert_eq!(text.contains("\"timestamp\":"), e.timestamp != 0);
        prop_assert!(text.contains("\"trx\":{\"id\":") && text.contains("\"node\":"), "{}", text);
    }

    /// The hand-written `Entry::encode` is byte-identical to the serde (Go) encoding.
    #[test]
    fn entry_encode_is_gos(e in entry()) {
        prop_assert_eq!(e.encode(), encode_bare(&e));
    }

    /// `Record::decode` (fast path) agrees with the general decoder.
    #[test]
    fn record_fast_path_agrees(r in record()) {
        let bytes = encode_bare(&r);
        let fast = skope_proto::Record::decode(&bytes).unwrap();
        let general: skope_proto::Record = skope_proto::decode_bare(&bytes).unwrap();
        prop_assert_eq!(&fast, &general);
        prop_assert_eq!(fast, r);
    }

    /// `Entry::decode` (fast path for Go's shape) agrees with the general Go-exact decoder.
    #[test]
    fn entry_fast_path_agrees(e in entry()) {
        let bytes = encode_bare(&e);
        let fast = Entry::decode(&bytes).unwrap();
        let general: Entry = skope_proto::decode_bare(&bytes).unwrap();
        prop_assert_eq!(&fast, &general);
        prop_assert_eq!(fast, e);
    }

    #[test]
    fn segment_status_roundtrip(s in segment_status()) {
        bare_roundtrip(&s)?;
        // All seven keys, always.
        let v: serde_json::Value = serde_json::from_slice(&encode_bare(&s)).unwrap();
        prop_assert_eq!(v.as_object().map(serde_json::Map::len), Some(7));
    }

    #[test]
    fn lease_result_roundtrip(l in lease_result()) {
        bare_roundtrip(&l)?;
        let text = String::from_utf8(encode_bare(&l)).unwrap();
        prop_assert_eq!(text.contains("\"message\""), !l.message.is_empty());
    }

    #[test]
    fn name_string_roundtrip(s in text()) {
        bare_roundtrip(&s)?;
    }

    #[test]
    fn stream_control_roundtrip(c in stream_control()) {
        let bytes = c.encode();
        prop_assert_eq!(StreamControl::detect(&bytes), Some(c.clone()), "{}", String::from_utf8_lossy(&bytes));
        let plain = match &c.err {
            Some(e) => serde_json::json!({"type": kind_str(&c.kind), "err": e}),
            None => serde_json::json!({"type": kind_str(&c.kind)}),
        };
        // `type` then `err`: compare with serde_json's (sorted: "err" < "type") via values only,
        // and the byte form against a hand-built Go rendering.
        let ours_v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(ours_v, plain);
        let mut want = format!("{{\"type\":{}", gojson::to_string(kind_str(&c.kind)).unwrap());
        if let Some(e) = &c.err {
            want.push_str(&format!(",\"err\":{}", go_escape(&serde_json::to_vec(e).unwrap())));
        }
        want.push('}');
        prop_assert_eq!(String::from_utf8(bytes).unwrap(), want);
    }

    #[test]
    fn application_payloads_are_not_stream_control(m in message(), e in entry(), r in record(), s in text()) {
        prop_assert_eq!(StreamControl::detect(&m.encode()), None);
        prop_assert_eq!(StreamControl::detect(&encode_bare(&e)), None);
        prop_assert_eq!(StreamControl::detect(&encode_bare(&r)), None);
        prop_assert_eq!(StreamControl::detect(&encode_bare(&s)), None);
    }

    #[test]
    fn lexkey_hex_roundtrip(k in lexkey()) {
        let hex = k.to_hex();
        prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        prop_assert_eq!(LexKey::from_hex(&hex), Ok(k.clone()));
        prop_assert_eq!(LexKey::from_hex(&hex.to_uppercase()), Ok(k.clone()));
        // JSON form: a hex string, `""` when empty; `null` reads as empty.
        let json = encode_bare(&k);
        prop_assert_eq!(String::from_utf8(json.clone()).unwrap(), format!("\"{hex}\""));
        prop_assert_eq!(decode_bare::<LexKey>(&json).unwrap(), k);
        prop_assert_eq!(decode_bare::<LexKey>(b"null").unwrap(), LexKey::default());
    }

    #[test]
    fn space_offset_decodes_back(space in name(), ts in i64s(), segment in name(), seq in u64s()) {
        let k = space_offset(&space, ts, &segment, seq);
        let e = Entry { space: space.clone(), segment: segment.clone(), timestamp: ts, sequence: seq, ..Entry::default() };
        prop_assert_eq!(&e.space_offset(), &k);
        prop_assert_eq!(
            k.decode_space_offset(),
            Some(SpaceOffset { space, timestamp: ts, segment, sequence: seq })
        );
    }

    #[test]
    fn space_offset_orders_like_the_tuple(
        space in name(),
        a in (i64s(), name(), u64s()),
        b in (i64s(), name(), u64s()),
    ) {
        let ka = space_offset(&space, a.0, &a.1, a.2);
        let kb = space_offset(&space, b.0, &b.1, b.2);
        let ta = (a.0, a.1.as_bytes(), a.2);
        let tb = (b.0, b.1.as_bytes(), b.2);
        prop_assert_eq!(ka.cmp(&kb), ta.cmp(&tb), "{:?} vs {:?}", a, b);
        prop_assert_eq!(ka.as_bytes().cmp(kb.as_bytes()), ta.cmp(&tb));
    }

    #[test]
    fn space_offset_orders_equal_timestamps_by_segment_then_sequence(
        space in name(), ts in i64s(), a in (name(), u64s()), b in (name(), u64s()),
    ) {
        let ka = space_offset(&space, ts, &a.0, a.1);
        let kb = space_offset(&space, ts, &b.0, b.1);
        prop_assert_eq!(ka.cmp(&kb), (a.0.as_bytes(), a.1).cmp(&(b.0.as_bytes(), b.1)));
    }

    #[test]
    fn segment_offset_orders_like_the_sequence(space in name(), segment in name(), a in u64s(), b in u64s()) {
        let ka = segment_offset(&space, &segment, a);
        let kb = segment_offset(&space, &segment, b);
        prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
        let e = Entry { space, segment, sequence: a, ..Entry::default() };
        prop_assert_eq!(e.segment_offset(), ka);
    }
}

fn kind_str(k: &ControlKind) -> &str {
    match k {
        ControlKind::Close => "mux::close",
        ControlKind::Error => "mux::error",
        ControlKind::Other(s) => s,
    }
}

/// `Frame::encode_into` must write exactly `Frame::encode`.
trait ViaWriter {
    fn encode_to_string_via_writer(&self) -> String;
}

impl ViaWriter for Frame {
    fn encode_to_string_via_writer(&self) -> String {
        let mut out = Vec::new();
        self.encode_into(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}

#[test]
fn worked_example_orders_and_decodes() {
    // PROTOCOL.md §6.2 / §6.3: the offset the Go client sent in transcripts/consume_space_offset.
    let k = LexKey::from_hex(
        "444154005350414345530073706163653000800001a21c4eb5bb0073656730000000000000000001",
    )
    .unwrap();
    assert_eq!(
        k.decode_space_offset(),
        Some(SpaceOffset {
            space: "space0".into(),
            timestamp: 1_795_771_250_107,
            segment: "seg0".into(),
            sequence: 1
        })
    );
    // Negative timestamps sort before positive ones (sign bit flipped).
    assert!(space_offset("s", -1, "g", 1) < space_offset("s", 0, "g", 0));
    assert!(space_offset("s", i64::MIN, "g", u64::MAX) < space_offset("s", i64::MIN + 1, "", 0));
}
