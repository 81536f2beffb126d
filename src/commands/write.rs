//! `skope produce`, `skope publish`.

use super::Out;
use crate::cli::{ProduceArgs, PublishArgs};
use crate::connect::Session;
use crate::jsonl;
use color_eyre::eyre::{Result, WrapErr, bail};
use futures::StreamExt;
use skope_proto::{Metadata, Record};
use std::io::{BufRead, Read};
use std::process::ExitCode;

pub async fn produce(s: &Session, a: ProduceArgs) -> Result<ExitCode> {
    s.check_writable("produce")?;
    // Read and check every line before sending anything: bad input writes nothing.
    let input: Box<dyn BufRead> = match &a.file {
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).wrap_err_with(|| format!("cannot read {}", p.display()))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut records = Vec::new();
    let (mut with_seq, mut without_seq) = (0usize, 0usize);
    for (i, line) in input.lines().enumerate() {
        let line = line.wrap_err("cannot read input")?;
        if line.trim().is_empty() {
            continue;
        }
        let (seq, record) = jsonl::parse_record_line(&line)
            .map_err(|e| color_eyre::eyre::eyre!("line {}: {e}", i + 1))?;
        if seq.is_some() {
            with_seq += 1
        } else {
            without_seq += 1
        }
        records.push(record);
    }
    if with_seq > 0 && without_seq > 0 && !a.append {
        bail!("some lines have a sequence and some do not: give all, none, or use --append");
    }
    if records.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if a.append || with_seq == 0 {
        let tail = s.client.peek(s.store, &a.space, &a.segment).await?.sequence;
        for (i, r) in records.iter_mut().enumerate() {
            r.sequence = tail + 1 + i as u64;
        }
    }
    let mut statuses = s.client.produce(
        s.store,
        &a.space,
        &a.segment,
        futures::stream::iter(records),
    );
    let mut out = Out::new(true);
    while let Some(st) = statuses.next().await {
        out.line(&jsonl::status_line(&st?))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn publish(s: &Session, a: PublishArgs) -> Result<ExitCode> {
    s.check_writable("publish")?;
    let payload = match (&a.payload, &a.file) {
        (Some(p), _) => p.clone().into_bytes(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .wrap_err("cannot read stdin")?;
            buf
        }
        (None, Some(path)) => {
            std::fs::read(path).wrap_err_with(|| format!("cannot read {}", path.display()))?
        }
        (None, None) => bail!("give a PAYLOAD or --file"),
    };
    let metadata: Metadata = a.meta.into_iter().collect();
    let status = s
        .client
        .publish(s.store, &a.space, &a.segment, payload, metadata)
        .await?;
    Out::new(true).line(&jsonl::status_line(&status))?;
    Ok(ExitCode::SUCCESS)
}

/// Used by tests and benches that build records directly.
#[must_use]
pub fn record(sequence: u64, payload: &[u8]) -> Record {
    Record::new(sequence, payload.to_vec())
}
