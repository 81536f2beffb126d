//! Acknowledged chunks survive `kill -9`: a child process (this test binary, re-run with an
//! environment variable) commits chunks and prints each acknowledged sequence; the parent
//! SIGKILLs it mid-stream, reopens the store and finds every acknowledged entry.

use skope_node::storage::{SegmentQuery, Storage};
use skope_proto::{Record, Uuid};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "SKOPE_NODE_CRASH_CHILD_DIR";

#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let st = Storage::open(&dir).expect("open");
    let s = st.store(Uuid::from_u128(1)).expect("store");
    let mut out = std::io::stdout().lock();
    let mut next = 1u64;
    // Bounded: the parent kills us long before this ends.
    for _ in 0..100_000 {
        let chunk: Vec<Record> = (next..next + 50)
            .map(|i| Record::new(i, vec![b'x'; 100]))
            .collect();
        s.commit_chunk("crash", "seg", &chunk).expect("commit");
        next += 50;
        writeln!(out, "ACK {}", next - 1).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn acknowledged_chunks_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked = 0u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked < 2_000 && Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(n) = line.strip_prefix("ACK ") {
            acked = n.trim().parse().expect("number");
        }
    }
    child.kill().expect("SIGKILL"); // SIGKILL on Unix
    // Anything printed before the kill landed is acknowledged too.
    for line in lines.map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("ACK ") {
            acked = n.trim().parse().expect("number");
        }
    }
    child.wait().expect("wait");
    assert!(acked >= 50, "child acknowledged nothing");

    let st = Storage::open(dir.path()).expect("reopen");
    let s = st.store(Uuid::from_u128(1)).expect("store");
    let last = s.peek("crash", "seg").expect("peek").sequence;
    assert!(last >= acked, "acked {acked}, found {last}");
    let q = SegmentQuery {
        space: "crash".into(),
        segment: "seg".into(),
        max_sequence: acked,
        ..Default::default()
    };
    let mut expect = 1;
    for e in s.scan_segment(&q).expect("scan") {
        let e = e.expect("entry");
        assert_eq!(e.sequence, expect);
        assert_eq!(e.payload.as_deref().map(<[u8]>::len), Some(100));
        expect += 1;
    }
    assert_eq!(expect, acked + 1);
}
