//! `skope bench produce|consume`: throughput of the connected server, in the spirit of
//! `nats bench`. One JSON line of figures on stdout, a human summary on stderr.

use super::Out;
use crate::cli::{BenchArgs, BenchOp};
use crate::connect::Session;
use color_eyre::eyre::{Result, bail};
use futures::StreamExt;
use serde::Serialize;
use skope_proto::{ConsumeSegment, Record};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Serialize, Default)]
struct Figures {
    op: &'static str,
    space: String,
    segment: String,
    records: u64,
    record_bytes: usize,
    seconds: f64,
    records_per_sec: f64,
    mb_per_sec: f64,
    /// CPU seconds this process used during the timed phase (client side only).
    cpu_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_p99_ms: Option<f64>,
}

fn payload(i: u64, size: usize) -> Vec<u8> {
    let mut p = format!("{i:020}").into_bytes();
    p.resize(size.max(1), b'x');
    p
}

/// CPU time (user + system) of this process so far.
fn cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF).map_or(Duration::ZERO, |u| {
        let tv = |t: nix::sys::time::TimeVal| {
            Duration::new(
                u64::try_from(t.tv_sec()).unwrap_or(0),
                u32::try_from(t.tv_usec()).unwrap_or(0) * 1000,
            )
        };
        tv(u.user_time()) + tv(u.system_time())
    })
}

pub async fn run(s: &Session, a: BenchArgs) -> Result<ExitCode> {
    if a.records == 0 {
        bail!("--records must be at least 1");
    }
    let segment = a
        .segment
        .clone()
        .unwrap_or_else(|| format!("bench-{}", uuid::Uuid::new_v4().simple()));
    let mut f = Figures {
        space: a.space.clone(),
        segment: segment.clone(),
        records: a.records,
        record_bytes: a.size,
        ..Figures::default()
    };
    match a.op {
        BenchOp::Produce => {
            s.check_writable("produce")?;
            f.op = "produce";
            let tail = s.client.peek(s.store, &a.space, &segment).await?.sequence;
            let (elapsed, cpu) = produce(s, &a.space, &segment, tail, a.records, a.size).await?;
            f.seconds = elapsed.as_secs_f64();
            f.cpu_seconds = cpu.as_secs_f64();
            let mut lat = latencies(
                s,
                &a.space,
                &segment,
                tail + a.records,
                a.latency_samples,
                a.size,
            )
            .await?;
            lat.sort_unstable();
            f.latency_p50_ms = percentile(&lat, 50.0);
            f.latency_p99_ms = percentile(&lat, 99.0);
        }
        BenchOp::Consume => {
            f.op = "consume";
            // Make sure the segment holds enough entries; writing them is not timed.
            let tail = s.client.peek(s.store, &a.space, &segment).await?.sequence;
            if tail < a.records {
                s.check_writable("produce the entries to consume")?;
                produce(s, &a.space, &segment, tail, a.records - tail, a.size).await?;
            }
            let (elapsed, cpu, bytes) = consume(s, &a.space, &segment, a.records).await?;
            f.seconds = elapsed.as_secs_f64();
            f.cpu_seconds = cpu.as_secs_f64();
            f.record_bytes = usize::try_from(bytes / a.records.max(1)).unwrap_or(0);
        }
    }
    #[allow(clippy::cast_precision_loss)] // figures for humans
    {
        f.records_per_sec = f.records as f64 / f.seconds.max(f64::EPSILON);
        f.mb_per_sec = f.records_per_sec * f.record_bytes as f64 / 1e6;
    }
    eprintln!(
        "skope bench {}: {} records x {} B in {:.2} s = {:.0} records/s, {:.1} MB/s, client CPU {:.2} s{}",
        f.op,
        f.records,
        f.record_bytes,
        f.seconds,
        f.records_per_sec,
        f.mb_per_sec,
        f.cpu_seconds,
        match (f.latency_p50_ms, f.latency_p99_ms) {
            (Some(p50), Some(p99)) => format!(", latency p50 {p50:.2} ms p99 {p99:.2} ms"),
            _ => String::new(),
        }
    );
    Out::new(true).line(&serde_json::to_string(&f)?)?;
    Ok(ExitCode::SUCCESS)
}

async fn produce(
    s: &Session,
    space: &str,
    segment: &str,
    tail: u64,
    n: u64,
    size: usize,
) -> Result<(Duration, Duration)> {
    let records =
        futures::stream::iter((tail + 1..=tail + n).map(move |i| Record::new(i, payload(i, size))));
    let (start, cpu0) = (Instant::now(), cpu_time());
    let mut statuses = s.client.produce(s.store, space, segment, records);
    let mut last = tail;
    while let Some(st) = statuses.next().await {
        last = st?.last_sequence;
    }
    let out = (start.elapsed(), cpu_time().saturating_sub(cpu0));
    if last != tail + n {
        bail!("produce ended at sequence {last}, expected {}", tail + n);
    }
    Ok(out)
}

/// Round trips of single-record produces: the time from sending a record to its status.
async fn latencies(
    s: &Session,
    space: &str,
    segment: &str,
    tail: u64,
    samples: u64,
    size: usize,
) -> Result<Vec<Duration>> {
    let mut out = Vec::new();
    for i in tail + 1..=tail + samples {
        let start = Instant::now();
        let mut st = s.client.produce(
            s.store,
            space,
            segment,
            futures::stream::iter([Record::new(i, payload(i, size))]),
        );
        while let Some(x) = st.next().await {
            x?;
        }
        out.push(start.elapsed());
    }
    Ok(out)
}

async fn consume(
    s: &Session,
    space: &str,
    segment: &str,
    n: u64,
) -> Result<(Duration, Duration, u64)> {
    let req = ConsumeSegment {
        space: space.into(),
        segment: segment.into(),
        limit: n,
        ..ConsumeSegment::default()
    };
    let (start, cpu0) = (Instant::now(), cpu_time());
    let mut entries = s.client.consume_segment(s.store, req);
    let (mut count, mut bytes, mut next) = (0_u64, 0_u64, 1_u64);
    while let Some(e) = entries.next().await {
        let e = e?;
        if e.sequence != next {
            bail!(
                "out of order: got sequence {} after {}",
                e.sequence,
                next - 1
            );
        }
        next += 1;
        count += 1;
        bytes += e.payload_bytes().len() as u64;
    }
    let out = (start.elapsed(), cpu_time().saturating_sub(cpu0), bytes);
    if count != n {
        bail!("consumed {count} entries, expected {n}");
    }
    Ok(out)
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(idx).map(|d| d.as_secs_f64() * 1000.0)
}
