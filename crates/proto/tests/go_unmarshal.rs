//! `decode_bare` against answers recorded from Go's `encoding/json` (`tests/data/go_unmarshal.tsv`):
//! same value (compared through our Go-identical encoder) or the same error text, for inputs
//! with case-folded and repeated keys, `null`s, wrong types, odd numbers, escapes, bad base64
//! and UUID forms.

#![allow(clippy::unwrap_used)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use skope_proto::{
    ConsumeSegment, Entry, SegmentStatus, SubscribeWorkers, WorkerInventory, decode_bare,
    encode_bare,
};

fn run<T: DeserializeOwned + Serialize>(input: &str) -> String {
    match decode_bare::<T>(input.as_bytes()) {
        Ok(v) => format!("OK\t{}", String::from_utf8(encode_bare(&v)).unwrap()),
        Err(e) => format!("ERR\t{e}"),
    }
}

#[test]
fn decode_bare_matches_go() {
    let data = include_str!("data/go_unmarshal.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, line) in data.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let (ty, input, want) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap(),
        );
        let got = match ty {
            "Entry" => run::<Entry>(input),
            "ConsumeSegment" => run::<ConsumeSegment>(input),
            "SubscribeWorkers" => run::<SubscribeWorkers>(input),
            "WorkerInventory" => run::<WorkerInventory>(input),
            "SegmentStatus" => run::<SegmentStatus>(input),
            other => panic!("line {}: unknown type {other}", i + 1),
        };
        if got != want {
            failures.push(format!(
                "line {}: {ty} {input}\n  go:   {want}\n  ours: {got}",
                i + 1
            ));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 400, "only {checked} cases");
    println!("{checked} Go decoding cases matched");
}
