//! End-to-end: the real `skope` binary on an embedded store in a temp dir.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn skope(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("skope").unwrap_or_else(|e| panic!("binary: {e}"));
    c.arg("--data-dir")
        .arg(dir)
        .timeout(std::time::Duration::from_secs(60));
    c
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn publish_consume_peek_and_a_rejected_produce() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        skope(dir.path())
            .args(["publish", "orders", "o-1", r#"{"n":1}"#])
            .assert()
            .success();
    }
    let out = skope(dir.path())
        .args(["consume", "orders", "o-1"])
        .assert()
        .success();
    let entries = lines(&out.get_output().stdout);
    let seqs: Vec<u64> = entries
        .iter()
        .filter_map(|e| e["sequence"].as_u64())
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(
        entries
            .iter()
            .all(|e| e["payload"] == serde_json::json!({"n": 1}))
    );

    let out = skope(dir.path())
        .args(["peek", "orders", "o-1"])
        .assert()
        .success();
    assert_eq!(lines(&out.get_output().stdout)[0]["sequence"], 3);

    // A wrong explicit sequence: streamkit's text, non-zero exit, nothing written.
    skope(dir.path())
        .args(["produce", "orders", "o-1"])
        .write_stdin("{\"sequence\":100,\"payload\":{\"n\":2}}\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "sequence gap: expected 4, got 100",
        ));
    let out = skope(dir.path())
        .args(["peek", "orders", "o-1"])
        .assert()
        .success();
    assert_eq!(lines(&out.get_output().stdout)[0]["sequence"], 3);
}

#[test]
fn consume_output_round_trips_through_produce() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    skope(dir.path())
        .args(["publish", "a", "s", r#"{"k":"v"}"#, "--meta", "src=test"])
        .assert()
        .success();
    skope(dir.path())
        .args(["publish", "a", "s", "plain text"])
        .assert()
        .success();
    let export = skope(dir.path())
        .args(["consume", "a", "s"])
        .assert()
        .success();
    let export = export.get_output().stdout.clone();
    skope(dir.path())
        .args(["produce", "b", "s"])
        .write_stdin(export.clone())
        .assert()
        .success();
    let copy = skope(dir.path())
        .args(["consume", "b", "s"])
        .assert()
        .success();
    let (a, b) = (lines(&export), lines(&copy.get_output().stdout));
    assert_eq!(a.len(), 2);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["sequence"], y["sequence"]);
        assert_eq!(x["metadata"], y["metadata"]);
        assert_eq!(x.get("payload"), y.get("payload"));
        assert_eq!(x.get("payload_text"), y.get("payload_text"));
    }
    let out = skope(dir.path()).arg("spaces").assert().success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "\"a\"\n\"b\"\n"
    );
}

#[test]
fn errors_are_one_line_and_non_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    skope(dir.path())
        .args(["--store", "not-a-uuid", "spaces"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a store UUID"));
    skope(dir.path())
        .args(["--read-only", "publish", "a", "s", "x"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("read-only"));
    skope(dir.path())
        .args(["produce", "a", "s"])
        .write_stdin("{\"payload\":1}\nnot json\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 2"));
    // Nothing of the bad input was written.
    skope(dir.path())
        .arg("spaces")
        .assert()
        .success()
        .stdout("");
}
