//! Replays every captured transcript (`shared/protocol/transcripts/*.jsonl`) through our codecs.
//!
//! For every frame: `Frame::decode` then `Frame::encode` must give back the recorded bytes.
//! For every payload: it is typed the way a real peer types it (by tracking each channel's
//! request), decoded into that type and re-encoded; the result must be byte-equal to the
//! recorded payload. Deliberately invalid requests must fail to decode with exactly the error
//! text the Go server sent back on that channel.
//!
//! A new transcript dropped into the folder is covered without any code change. The few frames
//! and payloads that can not round-trip byte-exactly (written by a hand-made probe client, not by
//! Go) are listed in [`EXCEPTIONS`]; each listed exception must be hit.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use serde::Deserialize;
use serde_json::value::RawValue;
use skope_proto::errors::text;
use skope_proto::{
    ControlKind, ControlType, Entry, Frame, LeaseResult, Message, Record, SegmentStatus,
    StreamControl, Uuid, decode_bare, encode_bare,
};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const TRANSCRIPTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/protocol/transcripts"
);

/// What to expect instead of a byte-exact round trip.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The frame must fail `Frame::decode` (the Go server closes the connection on it).
    FrameFails,
    /// The frame decodes (Go matches keys case-insensitively); it re-encodes to this text.
    Frame(&'static str),
    /// The payload decodes into its type; it re-encodes to this text (not the recorded bytes,
    /// which were not written by Go's encoder).
    Payload(&'static str),
}

/// `(transcript stem, 1-based line, why, expectation)`.
const EXCEPTIONS: &[(&str, usize, &str, Expect)] = &[
    (
        "bad_frame_payload_not_base64",
        1,
        "payload is not base64: the frame must not decode",
        Expect::FrameFails,
    ),
    (
        "bad_requests",
        28,
        "lower-case `controltype` key: decodes, re-encodes with Go's `ControlType`",
        Expect::Frame(
            r#"{"ControlType":"ping","store_id":"00000000-0000-0000-0000-000000000000","channel_id":"00000000-0000-0000-0000-000000000000","payload":null}"#,
        ),
    ),
    (
        "bad_requests",
        17,
        "probe wrote a SegmentStatus envelope with spaces and without the always-written fields",
        Expect::Payload(
            r#"{"$type":"streamkit://api/v1/segment_status","content":{"space":"a","segment":"s","first_sequence":0,"first_timestamp":0,"last_sequence":0,"last_timestamp":0,"heartbeat":false}}"#,
        ),
    ),
    (
        "bad_requests",
        19,
        "extra top-level envelope key is ignored (as Go does) and not re-encoded",
        Expect::Payload(
            r#"{"$type":"streamkit://api/v1/peek","content":{"space":"r","segment":"g"}}"#,
        ),
    ),
    (
        "consume_bounds",
        33,
        "probe wrote `\"limit\":0`; Go omits a zero limit (omitempty)",
        Expect::Payload(
            r#"{"$type":"streamkit://api/v1/consume_segment","content":{"space":"r","segment":"g"}}"#,
        ),
    ),
    (
        "consume_bounds",
        64,
        "probe wrote `offsets` before the timestamps; Go writes struct fields in declaration order",
        Expect::Payload(
            r#"{"$type":"streamkit://api/v1/consume","content":{"min_timestamp":1795772106674,"max_timestamp":1795772106698,"offsets":{"r":""}}}"#,
        ),
    ),
    (
        "channel_reuse",
        23,
        "second produce envelope on a live produce channel is read as a Record with sequence 0",
        Expect::Payload(r#"{"sequence":0,"payload":null}"#),
    ),
    (
        "produce_client_close_error",
        13,
        "Record without a payload key: Go reads it as nil and writes `null`",
        Expect::Payload(r#"{"sequence":3,"payload":null}"#),
    ),
];

#[derive(Deserialize)]
struct Line<'a> {
    dir: String,
    #[serde(borrow, default)]
    frame: Option<&'a RawValue>,
    #[serde(default)]
    frame_text: Option<String>,
    #[serde(default)]
    conn: Option<u64>,
}

/// The request that opened a channel decides how later payloads are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Req {
    /// The request failed to decode; the server only closes.
    Invalid,
    /// A registered type that is not a request; the server only closes.
    NotARequest,
    Produce,
    /// peek, consume_segment, consume_space, consume → `Entry`.
    Entries,
    /// subscribe_to_segment_status → `SegmentStatus`.
    Statuses,
    /// get_spaces, get_segments → JSON strings.
    Names,
    /// lease_* → `LeaseResult`.
    Lease,
    /// subscribe_workers → envelopes both ways.
    Workers,
}

fn classify(m: &Message) -> Req {
    match m {
        Message::Peek(_)
        | Message::ConsumeSegment(_)
        | Message::ConsumeSpace(_)
        | Message::Consume(_) => Req::Entries,
        Message::Produce(_) => Req::Produce,
        Message::SubscribeToSegmentStatus(_) => Req::Statuses,
        Message::GetSpaces(_) | Message::GetSegments(_) => Req::Names,
        Message::LeaseAcquire(_) | Message::LeaseRenew(_) | Message::LeaseRelease(_) => Req::Lease,
        Message::SubscribeWorkers(_) => Req::Workers,
        _ => Req::NotARequest,
    }
}

#[derive(Debug, Default)]
struct Chan {
    req: Option<Req>,
    /// The server sent its `mux::close`: a later request envelope opens a new request.
    server_closed: bool,
    /// The `err` the server's close must carry (envelope decoding error or dispatch error).
    expected_err: Option<String>,
}

#[derive(Debug, Default)]
struct Counts {
    files: usize,
    frames: usize,
    frames_rejected: usize,
    payloads: usize,
    controls: usize,
    requests: usize,
    invalid_requests: usize,
    error_texts_matched: usize,
    typed: BTreeMap<&'static str, usize>,
    exceptions_hit: usize,
}

/// Remove insignificant whitespace from JSON text, keeping key order and escapes.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_str = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if !c.is_ascii_whitespace() {
            if c == '"' {
                in_str = true;
            }
            out.push(c);
        }
    }
    out
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Ctx<'a> {
    at: String,
    exception: Option<Expect>,
    counts: &'a mut Counts,
    failures: &'a mut Vec<String>,
}

impl Ctx<'_> {
    fn fail(&mut self, msg: String) {
        self.failures.push(format!("{}: {msg}", self.at));
    }

    /// Compare a re-encoding with the recorded payload (or the listed canonical form).
    fn same_payload(&mut self, kind: &'static str, encoded: &[u8], recorded: &[u8]) {
        *self.counts.typed.entry(kind).or_default() += 1;
        self.counts.payloads += 1;
        match self.exception.take() {
            Some(Expect::Payload(canon)) => {
                self.counts.exceptions_hit += 1;
                if show(recorded) == canon {
                    self.fail("listed as an exception but the payload is canonical".to_owned());
                }
                if show(encoded) != canon {
                    self.fail(format!(
                        "{kind} re-encoding\n   got: {}\n  want: {canon}",
                        show(encoded)
                    ));
                }
            }
            Some(other) => self.fail(format!("exception {other:?} does not apply to a payload")),
            None => {
                if encoded != recorded {
                    self.fail(format!(
                        "{kind} re-encoding differs from the recorded payload\n   got: {}\n  want: {}",
                        show(encoded),
                        show(recorded)
                    ));
                }
            }
        }
    }
}

fn check_request(ctx: &mut Ctx<'_>, chan: &mut Chan, m: &Message, bytes: &[u8]) {
    ctx.counts.requests += 1;
    ctx.same_payload("envelope request", &m.encode(), bytes);
    let req = classify(m);
    chan.req = Some(req);
    chan.server_closed = false;
    chan.expected_err = (req == Req::NotARequest).then(|| text::invalid_request_type(m.go_type()));
}

fn check_file(
    path: &Path,
    counts: &mut Counts,
    hits: &mut Vec<(String, usize)>,
    failures: &mut Vec<String>,
) {
    let stem = path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".jsonl")
        .to_owned();
    let content = std::fs::read_to_string(path).unwrap();
    let mut chans: HashMap<(Option<u64>, Uuid), Chan> = HashMap::new();
    counts.files += 1;
    for (idx, raw_line) in content.lines().enumerate() {
        if raw_line.trim().is_empty() {
            continue;
        }
        let lineno = idx + 1;
        let at = format!("{stem}.jsonl:{lineno}");
        let exception = EXCEPTIONS
            .iter()
            .find(|(s, l, _, _)| *s == stem && *l == lineno)
            .map(|(_, _, _, e)| *e);
        if exception.is_some() {
            hits.push((stem.clone(), lineno));
        }
        let mut ctx = Ctx {
            at: at.clone(),
            exception,
            counts,
            failures,
        };
        let line: Line<'_> =
            serde_json::from_str(raw_line).unwrap_or_else(|e| panic!("{at}: bad line: {e}"));
        assert!(
            line.dir == "c2s" || line.dir == "s2c",
            "{at}: dir {:?}",
            line.dir
        );
        let c2s = line.dir == "c2s";

        // ---- the frame ----
        if let Some(text) = &line.frame_text {
            assert!(line.frame.is_none(), "{at}: both frame and frame_text");
            assert!(
                Frame::decode(text.as_bytes()).is_err(),
                "{at}: non-JSON frame decoded"
            );
            ctx.counts.frames += 1;
            ctx.counts.frames_rejected += 1;
            continue;
        }
        let recorded = compact(line.frame.unwrap_or_else(|| panic!("{at}: no frame")).get());
        ctx.counts.frames += 1;
        let frame = match (Frame::decode(recorded.as_bytes()), ctx.exception) {
            (Err(_), Some(Expect::FrameFails)) => {
                ctx.counts.frames_rejected += 1;
                ctx.counts.exceptions_hit += 1;
                continue;
            }
            (Ok(_), Some(Expect::FrameFails)) => panic!("{at}: frame must fail to decode"),
            (Err(e), _) => panic!("{at}: frame does not decode: {e}\n{recorded}"),
            (Ok(f), Some(Expect::Frame(canon))) => {
                ctx.counts.exceptions_hit += 1;
                ctx.exception = None;
                if recorded == canon {
                    ctx.fail("listed as an exception but the frame is canonical".to_owned());
                }
                if f.encode() != canon {
                    ctx.fail(format!(
                        "frame re-encoding\n   got: {}\n  want: {canon}",
                        f.encode()
                    ));
                }
                f
            }
            (Ok(f), _) => {
                if f.encode() != recorded {
                    ctx.fail(format!(
                        "frame re-encoding\n   got: {}\n  want: {recorded}",
                        f.encode()
                    ));
                }
                f
            }
        };
        // Also: decode(encode(f)) == f.
        assert_eq!(
            Frame::decode(frame.encode().as_bytes()).as_ref(),
            Ok(&frame),
            "{at}"
        );

        // ---- the payload ----
        match frame.control_type {
            ControlType::Ping | ControlType::Pong | ControlType::Close => {
                assert_eq!(frame.payload, None, "{at}: connection frame with a payload");
                assert!(frame.store_id.is_nil() && frame.channel_id.is_nil(), "{at}");
                continue;
            }
            // Unknown control types are ignored by receivers: the payload has no type.
            ControlType::Other(_) => continue,
            ControlType::Data | ControlType::Error => {}
        }
        let is_error_frame = frame.control_type == ControlType::Error;
        // Go reads a `null` payload as empty input.
        let bytes: Vec<u8> = frame.payload.clone().unwrap_or_default();
        let chan = chans.entry((line.conn, frame.channel_id)).or_default();

        if let Some(sc) = StreamControl::detect(&bytes) {
            ctx.counts.controls += 1;
            ctx.same_payload("stream control", &sc.encode(), &bytes);
            if !c2s && sc.kind == ControlKind::Close {
                if let Some(want) = chan.expected_err.take() {
                    if sc.err.as_deref() == Some(want.as_str()) {
                        ctx.counts.error_texts_matched += 1;
                    } else {
                        ctx.fail(format!(
                            "server close text differs from our error text\n  server: {:?}\n     ours: {want:?}",
                            sc.err
                        ));
                    }
                }
                chan.server_closed = true;
            }
            continue;
        }
        assert!(
            !is_error_frame,
            "{at}: error frame without a stream-control payload"
        );

        if c2s {
            let req_now = match chan.req {
                None => None,
                // After the server's close, a request envelope is a new request on that ID.
                Some(_) if chan.server_closed && Message::decode(&bytes).is_ok() => None,
                Some(r) => Some(r),
            };
            match req_now {
                None => match Message::decode(&bytes) {
                    Ok(m) => check_request(&mut ctx, chan, &m, &bytes),
                    Err(e) => {
                        ctx.counts.payloads += 1;
                        ctx.counts.invalid_requests += 1;
                        assert!(
                            ctx.exception.is_none(),
                            "{at}: exception on an invalid request"
                        );
                        chan.req = Some(Req::Invalid);
                        chan.server_closed = false;
                        chan.expected_err = Some(e.to_string());
                    }
                },
                Some(Req::Produce) => {
                    let r: Record = decode_bare(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: Record: {e}: {}", show(&bytes)));
                    ctx.same_payload("Record", &encode_bare(&r), &bytes);
                }
                Some(Req::Workers) => {
                    let m = Message::decode(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: worker envelope: {e}"));
                    assert!(
                        matches!(m, Message::Presence(_)),
                        "{at}: c2s worker message {m:?}"
                    );
                    ctx.same_payload("envelope Presence", &m.encode(), &bytes);
                }
                // Read and subscription handlers never read again: the only other thing a
                // client sends is a stray envelope (ignored or served, a race).
                Some(_) => {
                    let m = Message::decode(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: stray c2s payload: {e}"));
                    ctx.same_payload("envelope (stray)", &m.encode(), &bytes);
                }
            }
        } else {
            let req = chan
                .req
                .unwrap_or_else(|| panic!("{at}: s2c data on an unknown channel"));
            match req {
                Req::Entries => {
                    let v: Entry = decode_bare(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: Entry: {e}: {}", show(&bytes)));
                    ctx.same_payload("Entry", &encode_bare(&v), &bytes);
                }
                Req::Produce | Req::Statuses => {
                    let v: SegmentStatus = decode_bare(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: SegmentStatus: {e}: {}", show(&bytes)));
                    ctx.same_payload("SegmentStatus", &encode_bare(&v), &bytes);
                }
                Req::Names => {
                    let v: String = decode_bare(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: name: {e}: {}", show(&bytes)));
                    ctx.same_payload("name string", &encode_bare(&v), &bytes);
                }
                Req::Lease => {
                    let v: LeaseResult = decode_bare(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: LeaseResult: {e}: {}", show(&bytes)));
                    ctx.same_payload("LeaseResult", &encode_bare(&v), &bytes);
                }
                Req::Workers => {
                    let m = Message::decode(&bytes)
                        .unwrap_or_else(|e| panic!("{at}: worker envelope: {e}"));
                    let kind = match m {
                        Message::WorkerInventory(_) => "envelope WorkerInventory",
                        Message::Presence(_) => "envelope Presence",
                        other => panic!("{at}: s2c worker message {other:?}"),
                    };
                    ctx.same_payload(kind, &m.encode(), &bytes);
                }
                Req::Invalid | Req::NotARequest => {
                    panic!("{at}: s2c data on a channel whose request was refused")
                }
            }
        }
        assert!(
            ctx.exception.is_none(),
            "{at}: listed exception not applied"
        );
    }
}

#[test]
fn every_transcript_round_trips_byte_exactly() {
    let dir = PathBuf::from(TRANSCRIPTS);
    assert!(
        dir.is_dir(),
        "transcripts folder not found at {} (expected `shared/` as a sibling of the repository \
         root); refusing to pass without checking anything",
        dir.display()
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".jsonl") && !name.ends_with(".decoded.jsonl")
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no *.jsonl transcripts in {}",
        dir.display()
    );

    let mut counts = Counts::default();
    let mut hits = Vec::new();
    let mut failures = Vec::new();
    for f in &files {
        check_file(f, &mut counts, &mut hits, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );

    for (stem, line, why, _) in EXCEPTIONS {
        assert!(
            hits.iter().any(|(s, l)| s == stem && l == line),
            "exception {stem}.jsonl:{line} ({why}) was never reached: transcript changed?"
        );
    }
    assert_eq!(
        counts.exceptions_hit,
        EXCEPTIONS.len(),
        "every exception applied once"
    );

    println!("transcripts: {counts:#?}");
    assert!(counts.frames > 0, "no frames checked");
    assert!(counts.payloads > 0, "no payloads checked");
    assert!(counts.frames_rejected > 0, "no undecodable frame checked");
}
