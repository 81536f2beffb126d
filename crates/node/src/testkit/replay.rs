//! Transcript replay (shared by skope-node's tests and the root package's conformance tests
//! against a real `skope serve`): the client frames of a capture in
//! `shared/protocol/transcripts/` are replayed and the server's frames are compared with the
//! recorded ones, channel by channel, byte for byte after masking trx ids and timestamps.
//!
//! How a capture is replayed:
//! - State the capture relied on (entries written before it by other runs) is derived from
//!   what the recorded server frames show (entries with their trx numbers and payloads,
//!   statuses, names, `sequence gap: expected N` texts) and committed first, in recorded
//!   timestamp order ([`prepare`], directly into the node's storage).
//! - Client frames are sent at their recorded times (`t_ms` gaps) and only after every server
//!   frame recorded before them has arrived (causal order), so timing-dependent captures
//!   (lease expiry, heartbeats, `WithLease` renewals, worker observer) replay as recorded.
//! - Recorded timestamps inside client frames (`min_timestamp`, `max_timestamp`, offsets) are
//!   mapped onto the node's timestamps (learned from the seeded chunks and from each server
//!   frame compared so far).
//! - Corrected Go quirks are expressed as per-channel fixups ([`Expect`]).

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::missing_panics_doc,
    clippy::cast_possible_truncation
)]

use crate::{Access, Node};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use skope_proto::{ControlType, Frame, LexKey, Message, Record, StreamControl, Uuid};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The transcript folder (`None`, with a note on stderr, when it is missing).
#[must_use]
pub fn dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/protocol/transcripts");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("SKIPPED: transcript folder {} is missing", d.display());
        None
    }
}

/// One recorded frame.
#[derive(Debug, Clone)]
pub struct Rec {
    pub c2s: bool,
    pub t_ms: f64,
    /// The exact text to send (client frames).
    pub text: String,
    /// Decoded frame, when it decodes.
    pub frame: Option<Frame>,
}

/// The frames of capture `name` (`None` when the transcripts are missing).
#[must_use]
pub fn load(name: &str) -> Option<Vec<Rec>> {
    let path = dir()?.join(format!("{name}.jsonl"));
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let text = match (&v["frame"], &v["frame_text"]) {
            (Value::Null, Value::String(t)) => t.clone(),
            (f, _) => serde_json::to_string(f).unwrap(),
        };
        out.push(Rec {
            c2s: v["dir"] == "c2s",
            t_ms: v["t_ms"].as_f64().unwrap_or(0.0),
            frame: Frame::decode(text.as_bytes()).ok(),
            text,
        });
    }
    Some(out)
}

fn payload_json(f: &Frame) -> Option<Value> {
    serde_json::from_slice(f.payload.as_deref()?).ok()
}

// ---------------------------------------------------------------------------------------
// Masking

const TS_KEYS: [&str; 4] = [
    "\"timestamp\":",
    "\"first_timestamp\":",
    "\"last_timestamp\":",
    "\"last_seen_at\":",
];

/// Mask non-zero timestamps and non-nil trx ids in a payload's exact text.
#[must_use]
pub fn mask(s: &str) -> String {
    let mut out = s.to_owned();
    for key in TS_KEYS {
        let mut res = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(key) {
            let (head, tail) = rest.split_at(i + key.len());
            res.push_str(head);
            let n = tail
                .find(|c: char| !(c.is_ascii_digit() || c == '-'))
                .unwrap_or(tail.len());
            let num = &tail[..n];
            res.push_str(if num == "0" { "0" } else { "\"TS\"" });
            rest = &tail[n..];
        }
        res.push_str(rest);
        out = res;
    }
    let key = "\"id\":\"";
    let mut res = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find(key) {
        let (head, tail) = rest.split_at(i + key.len());
        res.push_str(head);
        let id = &tail[..36.min(tail.len())];
        if id.chars().all(|c| c == '0' || c == '-') {
            res.push_str(id);
        } else {
            res.push_str("ID");
        }
        rest = &tail[id.len()..];
    }
    res.push_str(rest);
    res
}

/// Timestamps of a payload in order (for learning the recorded → replayed mapping).
fn timestamps(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if matches!(
                    k.as_str(),
                    "timestamp" | "first_timestamp" | "last_timestamp"
                ) {
                    if let Some(n) = x.as_i64().filter(|n| *n != 0) {
                        out.push(n);
                    }
                } else {
                    timestamps(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| timestamps(x, out)),
        _ => {}
    }
}

#[derive(Default)]
struct TsMap(BTreeMap<i64, i64>);

impl TsMap {
    fn learn(&mut self, old: &Value, new: &Value) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        timestamps(old, &mut a);
        timestamps(new, &mut b);
        for (o, n) in a.into_iter().zip(b) {
            self.0.entry(o).or_insert(n);
        }
    }

    fn map(&self, old: i64) -> i64 {
        if let Some(n) = self.0.get(&old) {
            return *n;
        }
        let nearest = self
            .0
            .iter()
            .min_by_key(|(o, _)| (**o - old).unsigned_abs());
        match nearest {
            Some((o, n)) => n + (old - o),
            None => old,
        }
    }
}

/// Rewrite recorded timestamps in a client request onto the replay's clock.
fn rewrite(rec: &Rec, ts: &TsMap) -> String {
    let Some(frame) = &rec.frame else {
        return rec.text.clone();
    };
    let Some(mut v) = payload_json(frame) else {
        return rec.text.clone();
    };
    let Some(content) = v.get_mut("content").and_then(Value::as_object_mut) else {
        return rec.text.clone();
    };
    let mut changed = false;
    for k in ["min_timestamp", "max_timestamp"] {
        if let Some(n) = content.get(k).and_then(Value::as_i64).filter(|n| *n != 0) {
            content.insert(k.into(), Value::from(ts.map(n)));
            changed = true;
        }
    }
    let remap = |hex: &str| -> Option<String> {
        let k = LexKey::from_hex(hex).ok()?;
        let o = k.decode_space_offset()?;
        Some(
            skope_proto::space_offset(&o.space, ts.map(o.timestamp), &o.segment, o.sequence)
                .to_hex(),
        )
    };
    if let Some(new) = content
        .get("offset")
        .and_then(Value::as_str)
        .and_then(remap)
    {
        content.insert("offset".into(), Value::from(new));
        changed = true;
    }
    if let Some(offsets) = content.get_mut("offsets").and_then(Value::as_object_mut) {
        for (_, o) in offsets.iter_mut() {
            if let Some(new) = o.as_str().and_then(remap) {
                *o = Value::from(new);
                changed = true;
            }
        }
    }
    if !changed {
        return rec.text.clone();
    }
    Frame::data(
        frame.store_id,
        frame.channel_id,
        serde_json::to_vec(&v).unwrap(),
    )
    .encode()
}

// ---------------------------------------------------------------------------------------
// Seeding: the state a capture found in its store.

type SegKey = (Uuid, String, String);

#[derive(Debug, Clone)]
struct KnownEntry {
    trx: u64,
    ts: i64,
    payload: Vec<u8>,
    metadata: BTreeMap<String, String>,
}

struct Chunk {
    key: SegKey,
    ts: i64,
    records: Vec<Record>,
}

fn entry_of(v: &Value) -> Option<(SegKey, u64, KnownEntry)> {
    let o = v.as_object()?;
    o.get("trx")?;
    let seq = o.get("sequence")?.as_u64()?;
    if seq == 0 {
        return None;
    }
    let e: skope_proto::Entry = serde_json::from_value(v.clone()).ok()?;
    Some((
        (Uuid::nil(), e.space.clone(), e.segment.clone()),
        seq,
        KnownEntry {
            trx: e.trx.number,
            ts: e.timestamp,
            payload: e.payload.unwrap_or_default(),
            metadata: e.metadata,
        },
    ))
}

/// Derive the pre-existing entries of a capture from what its frames show.
/// `untrusted`: channels whose recorded answers show a Go quirk; only their entries (which
/// carry their true names) are used.
fn derive_seed(recs: &[Rec], untrusted: &BTreeSet<Uuid>) -> Vec<Chunk> {
    // Per channel: request message, records sent, replies.
    let mut requests: HashMap<Uuid, (Uuid, Message)> = HashMap::new();
    let mut sent: HashMap<Uuid, Vec<u64>> = HashMap::new();
    let mut replies: HashMap<Uuid, Vec<Value>> = HashMap::new();
    for r in recs {
        let Some(f) = &r.frame else { continue };
        if f.control_type != ControlType::Data {
            continue;
        }
        let Some(p) = f.payload.as_deref() else {
            continue;
        };
        if r.c2s {
            if StreamControl::detect(p).is_some() {
                continue;
            }
            match requests.get(&f.channel_id) {
                Some((_, Message::Produce(_))) => {
                    let rec: Record = skope_proto::decode_bare(p).unwrap_or_default();
                    sent.entry(f.channel_id).or_default().push(rec.sequence);
                }
                Some(_) => {}
                None => {
                    if let Ok(m) = Message::decode(p) {
                        requests.insert(f.channel_id, (f.store_id, m));
                    }
                }
            }
        } else if let Some(v) = payload_json(f) {
            replies.entry(f.channel_id).or_default().push(v);
        }
    }
    let mut in_capture: BTreeSet<(SegKey, u64)> = BTreeSet::new();
    let mut evidence: BTreeMap<SegKey, u64> = BTreeMap::new();
    let mut known: BTreeMap<SegKey, BTreeMap<u64, KnownEntry>> = BTreeMap::new();
    let mut spaces: BTreeSet<(Uuid, String)> = BTreeSet::new();
    // In-capture commits first.
    for (ch, (store, m)) in &requests {
        if let Message::Produce(p) = m {
            let key = (*store, p.space.clone(), p.segment.clone());
            let last = replies
                .get(ch)
                .map(|rs| {
                    rs.iter()
                        .filter_map(|v| v["last_sequence"].as_u64())
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            let seqs = sent.get(ch).cloned().unwrap_or_default();
            for s in &seqs {
                if *s <= last {
                    in_capture.insert((key.clone(), *s));
                }
            }
        }
    }
    let mut note = |key: SegKey, seq: u64, in_capture: &BTreeSet<(SegKey, u64)>| {
        if seq > 0 && !in_capture.contains(&(key.clone(), seq)) {
            let e = evidence.entry(key).or_default();
            *e = (*e).max(seq);
        }
    };
    for (ch, (store, m)) in &requests {
        let rs = replies.get(ch).cloned().unwrap_or_default();
        for v in &rs {
            if let Some(((_, space, segment), seq, e)) = entry_of(v) {
                let key = (*store, space, segment);
                if !in_capture.contains(&(key.clone(), seq)) {
                    note(key.clone(), seq, &in_capture);
                    known.entry(key).or_default().insert(seq, e);
                }
            }
        }
        if untrusted.contains(ch) {
            continue;
        }
        match m {
            Message::Produce(p) => {
                let key = (*store, p.space.clone(), p.segment.clone());
                let seqs = sent.get(ch).cloned().unwrap_or_default();
                let committed = rs.iter().any(|v| v.get("last_sequence").is_some());
                if let Some(f) = seqs.first().filter(|_| committed) {
                    note(key.clone(), f.saturating_sub(1), &in_capture);
                }
                for v in &rs {
                    let err = v["err"].as_str().unwrap_or("");
                    if let Some((expected, got)) = err
                        .starts_with("sequence gap: ")
                        .then(|| skope_proto::errors::text::parse_sequence_gap(err))
                        .flatten()
                    {
                        let idx = seqs.iter().position(|s| *s == got).unwrap_or(0) as u64;
                        note(key.clone(), expected.saturating_sub(1 + idx), &in_capture);
                    }
                }
            }
            Message::GetSpaces(_) => {
                for v in &rs {
                    if let Some(s) = v.as_str() {
                        spaces.insert((*store, s.to_owned()));
                    }
                }
            }
            Message::GetSegments(g) => {
                for v in &rs {
                    if let Some(s) = v.as_str() {
                        note((*store, g.space.clone(), s.to_owned()), 1, &in_capture);
                    }
                }
            }
            Message::SubscribeToSegmentStatus(_) => {
                for v in &rs {
                    if v["heartbeat"] == false
                        && let (Some(space), Some(seg), Some(last)) = (
                            v["space"].as_str(),
                            v["segment"].as_str(),
                            v["last_sequence"].as_u64(),
                        )
                    {
                        let key = (*store, space.to_owned(), seg.to_owned());
                        if !in_capture.iter().any(|(k, _)| *k == key) {
                            note(key, last, &in_capture);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (store, space) in spaces {
        let produced = in_capture
            .iter()
            .any(|((s, sp, _), _)| *s == store && *sp == space);
        if !produced
            && !evidence
                .keys()
                .any(|(s, sp, _)| *s == store && *sp == space)
        {
            evidence.insert((store, space, "seed".into()), 1);
        }
    }
    // Build chunks per segment: known trx numbers fixed, unknown sequences filled in.
    let mut chunks = Vec::new();
    for (key, last) in evidence {
        let k = known.remove(&key).unwrap_or_default();
        let mut trx_of: Vec<u64> = vec![0; usize::try_from(last).unwrap() + 1];
        let mut prev_trx = 0u64;
        let mut s = 1u64;
        while s <= last {
            if let Some(e) = k.get(&s) {
                trx_of[s as usize] = e.trx;
                prev_trx = e.trx;
                s += 1;
                continue;
            }
            // A run of unknown sequences up to the next known one.
            let next = k.range(s..).next().map(|(q, e)| (*q, e.trx));
            let run_end = next.map_or(last, |(q, _)| q - 1);
            let target = next.map_or(prev_trx.max(1), |(_, t)| t);
            let mut t = prev_trx;
            for q in s..=run_end {
                if t + 1 < target {
                    t += 1;
                } else {
                    t = target.max(t);
                }
                trx_of[q as usize] = t.max(1);
            }
            prev_trx = trx_of[run_end as usize];
            s = run_end + 1;
        }
        let mut by_trx: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for q in 1..=last {
            by_trx.entry(trx_of[q as usize]).or_default().push(q);
        }
        let known_ts: Vec<(u64, i64)> = by_trx
            .iter()
            .filter_map(|(t, qs)| qs.iter().find_map(|q| k.get(q)).map(|e| (*t, e.ts)))
            .collect();
        for (t, qs) in by_trx {
            let ts = known_ts
                .iter()
                .find(|(kt, _)| *kt >= t)
                .or(known_ts.last())
                .map_or(0, |(_, ts)| *ts);
            let records = qs
                .iter()
                .map(|q| match k.get(q) {
                    Some(e) => Record {
                        sequence: *q,
                        payload: Some(e.payload.clone()),
                        metadata: e.metadata.clone(),
                    },
                    None => Record::new(*q, "seed"),
                })
                .collect();
            chunks.push(Chunk {
                key: key.clone(),
                ts,
                records,
            });
        }
    }
    chunks.sort_by(|a, b| {
        (a.ts, &a.key.1, &a.key.2)
            .cmp(&(b.ts, &b.key.1, &b.key.2))
            .then(a.records[0].sequence.cmp(&b.records[0].sequence))
    });
    chunks
}

async fn seed(node: &Node, chunks: Vec<Chunk>, ts: &mut TsMap) {
    let mut last_old = None;
    for c in chunks {
        if last_old.is_some_and(|o| o != c.ts) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        last_old = Some(c.ts);
        let store = node.storage().store(c.key.0).unwrap();
        let done = store.commit_chunk(&c.key.1, &c.key.2, &c.records).unwrap();
        if c.ts != 0 {
            ts.0.entry(c.ts).or_insert(done.timestamp);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Replay

/// What to expect on one channel.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Exactly these payloads (masked).
    Exact(Vec<String>),
    /// A prefix of these entries, then `{"type":"mux::close"}` (a read the client closed early).
    PrefixThenClose(Vec<String>),
}

/// One capture to replay.
#[derive(Debug, Clone)]
pub struct Replay {
    pub name: &'static str,
    /// What the connection may use (the token's scopes in the capture).
    pub access: Access,
    /// Per-channel replacements of the recorded server payloads (corrected quirks), keyed by
    /// a prefix of the channel id.
    pub fixups: Vec<(&'static str, Expect)>,
    /// Whether the capture ends with the server closing the connection.
    pub expect_connection_close: bool,
}

impl Replay {
    #[must_use]
    pub fn new(name: &'static str) -> Self {
        Replay {
            name,
            access: Access::All,
            fixups: Vec::new(),
            expect_connection_close: false,
        }
    }
}

/// Recorded server frames per channel (masked payload texts), in order; pongs under nil.
fn expected_by_channel(recs: &[Rec]) -> BTreeMap<Uuid, Vec<String>> {
    let mut out: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for r in recs.iter().filter(|r| !r.c2s) {
        let Some(f) = &r.frame else { continue };
        match f.control_type {
            ControlType::Data | ControlType::Error => {
                let text =
                    String::from_utf8_lossy(f.payload.as_deref().unwrap_or_default()).into_owned();
                out.entry(f.channel_id).or_default().push(format!(
                    "{}:{}",
                    f.control_type.as_str(),
                    mask(&text)
                ));
            }
            ControlType::Pong => out.entry(Uuid::nil()).or_default().push("pong".into()),
            _ => {}
        }
    }
    out
}

fn got_text(f: &Frame) -> String {
    match f.control_type {
        ControlType::Pong => "pong".into(),
        _ => {
            let text =
                String::from_utf8_lossy(f.payload.as_deref().unwrap_or_default()).into_owned();
            format!("{}:{}", f.control_type.as_str(), mask(&text))
        }
    }
}

struct Conn<S> {
    ws: WebSocketStream<S>,
    got: BTreeMap<Uuid, Vec<Frame>>,
    closed_by_server: bool,
    ended: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    fn new(ws: WebSocketStream<S>) -> Self {
        Conn {
            ws,
            got: BTreeMap::new(),
            closed_by_server: false,
            ended: false,
        }
    }

    /// Read frames until `until` or the socket ends.
    async fn pump_until(
        &mut self,
        until: Instant,
        expected: &BTreeMap<Uuid, Vec<Value>>,
        ts: &mut TsMap,
    ) {
        while !self.ended {
            let Ok(msg) = tokio::time::timeout_at(until, self.ws.next()).await else {
                return;
            };
            match msg {
                Some(Ok(WsMessage::Text(t))) => {
                    let f = Frame::decode(t.as_bytes()).unwrap();
                    match f.control_type {
                        ControlType::Ping => continue,
                        ControlType::Close => {
                            self.closed_by_server = true;
                            continue;
                        }
                        _ => {}
                    }
                    let list = self
                        .got
                        .entry(if f.control_type == ControlType::Pong {
                            Uuid::nil()
                        } else {
                            f.channel_id
                        })
                        .or_default();
                    if let (Some(exp), Some(new)) = (
                        expected.get(&f.channel_id).and_then(|e| e.get(list.len())),
                        payload_json(&f),
                    ) {
                        ts.learn(exp, &new);
                    }
                    list.push(f);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => self.ended = true,
            }
        }
    }

    fn count(&self, ch: &Uuid) -> usize {
        self.got.get(ch).map_or(0, Vec::len)
    }
}

/// A capture ready to be replayed: its state is seeded, its expectations computed.
pub struct Prepared {
    name: &'static str,
    expect_connection_close: bool,
    recs: Vec<Rec>,
    ts: TsMap,
    expected: BTreeMap<Uuid, Vec<String>>,
    prefix_channels: BTreeSet<Uuid>,
    expected_json: BTreeMap<Uuid, Vec<Value>>,
}

/// Replay `r` against `node` over an in-process connection with `r.access`.
pub async fn replay_on(node: &Node, r: &Replay) {
    let Some(p) = prepare(node, r).await else {
        return;
    };
    let (client, server) = tokio::io::duplex(1 << 20);
    let n = node.clone();
    let access = r.access.clone();
    tokio::spawn(async move { n.serve_io(server, access).await });
    let (ws, _) = tokio_tungstenite::client_async("ws://localhost/streamz", client)
        .await
        .unwrap();
    p.run(ws).await;
}

/// Seed the state capture `r` relied on into `node`'s storage and compute what the server
/// must answer. `None` when the transcripts are missing. The node may be dropped afterwards
/// (e.g. to serve the same data dir from another process).
pub async fn prepare(node: &Node, r: &Replay) -> Option<Prepared> {
    let name = r.name;
    let recs = load(name)?;

    let channel_of = |prefix: &str| -> Uuid {
        recs.iter()
            .filter_map(|x| x.frame.as_ref().map(|f| f.channel_id))
            .find(|c| c.to_string().starts_with(prefix))
            .unwrap_or_else(|| panic!("{}: no channel {prefix}", name))
    };
    let untrusted: BTreeSet<Uuid> = r.fixups.iter().map(|(p, _)| channel_of(p)).collect();
    let mut ts = TsMap::default();
    seed(node, derive_seed(&recs, &untrusted), &mut ts).await;

    // Expected frames, with fixups applied.
    let mut expected = expected_by_channel(&recs);
    let mut prefix_channels = BTreeSet::new();
    for (prefix, exp) in &r.fixups {
        let ch = channel_of(prefix);
        match exp {
            Expect::Exact(v) => {
                expected.insert(ch, v.iter().map(|s| format!("data:{}", mask(s))).collect());
            }
            Expect::PrefixThenClose(v) => {
                expected.insert(ch, v.iter().map(|s| format!("data:{}", mask(s))).collect());
                prefix_channels.insert(ch);
            }
        }
    }
    // The recorded payloads as JSON (for learning timestamps), per channel.
    let mut expected_json: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    for rec in recs.iter().filter(|x| !x.c2s) {
        if let Some(f) = &rec.frame
            && matches!(f.control_type, ControlType::Data | ControlType::Error)
        {
            expected_json
                .entry(f.channel_id)
                .or_default()
                .push(payload_json(f).unwrap_or(Value::Null));
        }
    }

    Some(Prepared {
        name,
        expect_connection_close: r.expect_connection_close,
        recs,
        ts,
        expected,
        prefix_channels,
        expected_json,
    })
}

impl Prepared {
    /// Replay the client frames on `ws` (a connection the server has accepted) and assert
    /// that the server's frames are the expected ones.
    pub async fn run<S: AsyncRead + AsyncWrite + Unpin>(self, ws: WebSocketStream<S>) {
        let Prepared {
            name,
            expect_connection_close,
            recs,
            mut ts,
            expected,
            prefix_channels,
            expected_json,
        } = self;
        let mut conn = Conn::new(ws);
        let start = Instant::now();
        // Recorded server frames seen so far, per channel (for the causal wait).
        let mut seen: BTreeMap<Uuid, usize> = BTreeMap::new();
        for rec in &recs {
            if !rec.c2s {
                if let Some(f) = &rec.frame {
                    let ch = match f.control_type {
                        ControlType::Pong => Uuid::nil(),
                        ControlType::Data | ControlType::Error => f.channel_id,
                        _ => continue,
                    };
                    *seen.entry(ch).or_default() += 1;
                }
                continue;
            }
            // Causal wait: everything the server had sent before this frame has arrived.
            let deadline = Instant::now() + Duration::from_secs(3);
            loop {
                let behind = seen.iter().any(|(ch, n)| {
                    let want = if prefix_channels.contains(ch) {
                        1
                    } else {
                        (*n).min(expected.get(ch).map_or(0, Vec::len))
                    };
                    conn.count(ch) < want
                });
                if !behind || Instant::now() >= deadline || conn.ended {
                    break;
                }
                conn.pump_until(
                    Instant::now() + Duration::from_millis(5),
                    &expected_json,
                    &mut ts,
                )
                .await;
            }
            // Recorded timing.
            let at = start + Duration::from_secs_f64(rec.t_ms / 1000.0);
            if at > Instant::now() {
                conn.pump_until(at, &expected_json, &mut ts).await;
            }
            if conn.ended {
                break;
            }
            let text = rewrite(rec, &ts);
            if conn.ws.send(WsMessage::text(text)).await.is_err() {
                break;
            }
        }
        // Everything expected, then a little quiet time for unexpected extras.
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline
            && !conn.ended
            && expected.iter().any(|(ch, v)| {
                conn.count(ch)
                    < if prefix_channels.contains(ch) {
                        1
                    } else {
                        v.len()
                    }
            })
        {
            conn.pump_until(
                Instant::now() + Duration::from_millis(10),
                &expected_json,
                &mut ts,
            )
            .await;
        }
        if prefix_channels.is_empty() {
            conn.pump_until(
                Instant::now() + Duration::from_millis(150),
                &expected_json,
                &mut ts,
            )
            .await;
        } else {
            // Let a stopped read finish draining.
            conn.pump_until(
                Instant::now() + Duration::from_millis(500),
                &expected_json,
                &mut ts,
            )
            .await;
        }

        // Compare.
        let mut failures = Vec::new();
        let channels: BTreeSet<Uuid> = expected.keys().chain(conn.got.keys()).copied().collect();
        for ch in channels {
            let want = expected.get(&ch).cloned().unwrap_or_default();
            let got: Vec<String> = conn
                .got
                .get(&ch)
                .map(|v| v.iter().map(got_text).collect())
                .unwrap_or_default();
            if prefix_channels.contains(&ch) {
                let close = "data:{\"type\":\"mux::close\"}".to_owned();
                let ok = got.last() == Some(&close)
                    && got.len() - 1 <= want.len()
                    && got[..got.len() - 1] == want[..got.len() - 1];
                if !ok {
                    failures.push(format!(
                        "channel {ch}: not a prefix then close: got {} frames",
                        got.len()
                    ));
                }
                continue;
            }
            if want != got {
                let i = want
                    .iter()
                    .zip(&got)
                    .position(|(a, b)| a != b)
                    .unwrap_or(want.len().min(got.len()));
                failures.push(format!(
                "channel {ch}: {} expected / {} got; first difference at {i}:\n  want {:?}\n  got  {:?}",
                want.len(),
                got.len(),
                want.get(i),
                got.get(i)
            ));
            }
        }
        if expect_connection_close {
            assert!(conn.closed_by_server, "{}: no connection close frame", name);
        }
        assert!(failures.is_empty(), "{}:\n{}", name, failures.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------
// The captures and how each is replayed

/// The main store of the captures.
pub const MAIN: Uuid = Uuid::from_u128(1);

/// The single-connection captures that replay against a fresh server (each with
/// [`standard`]). Not here: `subscribe_segment`, `subscribe_space`, `subscribe_raw_heartbeat`
/// (their live statuses come from a second, unrecorded producer), `subscribe_segment_long`
/// (70 s), `equal_timestamp_order` (needs two chunks committed in the same millisecond), the
/// `lease_holder_*` series (one server, five connections: [`LEASE_HOLDERS`]), and the
/// `handshake_*` / `unauthorized_*` captures (HTTP outcomes only).
pub const CAPTURES: &[&str] = &[
    "produce",
    "peek",
    "get_spaces",
    "get_segments",
    "consume_segment",
    "consume_segment_range",
    "consume_space",
    "consume_space_offset",
    "consume",
    "produce_wrong_sequence",
    "produce_duplicate_sequence",
    "produce_gap_without_halfclose",
    "produce_client_close_error",
    "lease_cycle",
    "lease_withlease",
    "lease_expiry",
    "get_status",
    "subscribe_workers",
    "subscribe_heartbeat_wildcard",
    "inventory_order",
    "consume_bounds",
    "empty_and_missing_names",
    "bad_requests",
    "channel_reuse",
    "bad_frame_not_json",
    "bad_frame_payload_not_base64",
    "scoped_store_allowed",
    "scoped_store_forbidden",
    "scoped_store_forbidden_produce",
    "name_prefix_leak",
    "consume_early_close",
];

/// The five `lease_holder_*` captures, run one after another against one server.
pub const LEASE_HOLDERS: &[&str] = &[
    "lease_holder_a_acquire",
    "lease_holder_b_conflict",
    "lease_holder_b_renew_conflict",
    "lease_holder_b_release_conflict",
    "lease_holder_a_release",
];

/// How capture `name` is replayed: the access its token had (`scoped_*`: the main store
/// only), whether it ends with the server's connection close (`bad_frame_*`), and the
/// corrections of the two Go quirks skope does not copy (`name_prefix_leak` expects
/// exact-name answers; `consume_early_close` expects the stream to stop: a prefix of the
/// recorded entries, then `close`).
#[must_use]
pub fn standard(name: &'static str) -> Replay {
    match name {
        "name_prefix_leak" => name_prefix_leak(name),
        "consume_early_close" => consume_early_close(name),
        n if n.starts_with("bad_frame_") => Replay {
            expect_connection_close: true,
            ..Replay::new(n)
        },
        n if n.starts_with("scoped_") => Replay {
            access: Access::Stores(vec![MAIN]),
            ..Replay::new(n)
        },
        n => Replay::new(n),
    }
}

/// Go leaks names by prefix; skope answers with exact names.
fn name_prefix_leak(name: &'static str) -> Replay {
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
    Replay {
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
        ..Replay::new(name)
    }
}

/// Go keeps sending after the client's early close; skope stops (a prefix, then `close`).
fn consume_early_close(name: &'static str) -> Replay {
    let Some(recs) = load(name) else {
        return Replay::new(name);
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
    Replay {
        fixups: vec![(prefix, Expect::PrefixThenClose(entries))],
        ..Replay::new(name)
    }
}
