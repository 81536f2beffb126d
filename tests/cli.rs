//! End-to-end: the real `skope` binary on an embedded store in a temp dir.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn skope(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("skope").unwrap_or_else(|e| panic!("binary: {e}"));
    // No user config file may change what these tests see.
    c.env("SKOPE_CONFIG", "/dev/null")
        .arg("--data-dir")
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

#[test]
fn consume_options_map_to_the_protocol() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for i in 1..=5 {
        skope(dir.path())
            .args(["publish", "s1", "a", &format!("{{\"i\":{i}}}")])
            .assert()
            .success();
        skope(dir.path())
            .args(["publish", "s2", "b", &format!("text {i}")])
            .assert()
            .success();
    }
    let seqs = |args: &[&str]| -> Vec<u64> {
        let out = skope(dir.path()).args(args).assert().success();
        lines(&out.get_output().stdout)
            .iter()
            .filter_map(|e| e["sequence"].as_u64())
            .collect()
    };
    assert_eq!(
        seqs(&["consume", "s1", "a", "--from-seq", "2", "--to-seq", "4"]),
        [2, 3, 4]
    );
    assert_eq!(
        seqs(&["consume", "s1", "a", "--from-seq", "2", "--limit", "2"]),
        [2, 3]
    );
    assert_eq!(
        seqs(&["consume", "s1", "a", "--from-seq", "4", "--to-seq", "1"]),
        Vec::<u64>::new()
    );

    let all = skope(dir.path()).args(["consume", "s1"]).assert().success();
    let all = lines(&all.get_output().stdout);
    assert_eq!(all.len(), 5);
    // Time bounds: from is exclusive, to inclusive.
    let t2 = all[1]["timestamp"].as_i64().unwrap_or_default().to_string();
    let t4 = all[3]["timestamp"].as_i64().unwrap_or_default().to_string();
    let by_time = seqs(&["consume", "s1", "a", "--from-time", &t2, "--to-time", &t4]);
    assert!(
        by_time.iter().all(|s| (3..=4).contains(s)) && by_time.contains(&4),
        "{by_time:?}"
    );
    // Resume a space read after an entry's offset.
    let offset = all[1]["offset"].as_str().unwrap_or_default().to_owned();
    assert_eq!(seqs(&["consume", "s1", "--offset", &offset]), [3, 4, 5]);
    // Several spaces merged by time.
    let merged = skope(dir.path())
        .args(["consume", "--spaces", "s1,s2"])
        .assert()
        .success();
    let merged = lines(&merged.get_output().stdout);
    assert_eq!(merged.len(), 10);
    let ts: Vec<i64> = merged
        .iter()
        .filter_map(|e| e["timestamp"].as_i64())
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "not time-ordered: {ts:?}"
    );
    // Formats.
    skope(dir.path())
        .args(["consume", "s2", "b", "--format", "raw", "--limit", "2"])
        .assert()
        .success()
        .stdout("text 1\ntext 2\n");
    skope(dir.path())
        .args(["consume", "s1", "a", "--format", "text", "--limit", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("s1/a").and(predicate::str::contains(r#"{"i":1}"#)));
    // Bad arguments are refused before anything runs.
    skope(dir.path())
        .args(["consume", "s1", "--offset", "zz"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--offset"));
    skope(dir.path())
        .args(["consume", "s1", "--from-seq", "2"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("SEGMENT"));
}
