//! `skope peek`, `skope consume`.

use super::Out;
use crate::cli::{ConsumeArgs, Format};
use crate::connect::Session;
use crate::jsonl;
use color_eyre::eyre::{Result, bail, eyre};
use futures::StreamExt;
use skope_client::EntryStream;
use skope_proto::{Consume, ConsumeSegment, ConsumeSpace, Entry, LexKey};
use std::collections::BTreeMap;
use std::process::ExitCode;

pub async fn peek(s: &Session, space: &str, segment: &str) -> Result<ExitCode> {
    let entry = s.client.peek(s.store, space, segment).await?;
    let mut out = Out::new(true);
    out.line(&jsonl::entry_line(&entry))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn consume(s: &Session, a: ConsumeArgs) -> Result<ExitCode> {
    let stream = open_stream(s, &a)?;
    let mut out = Out::new(a.follow);
    let mut stream = std::pin::pin!(stream);
    let ctrl_c = tokio::signal::ctrl_c();
    let mut ctrl_c = std::pin::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            next = stream.next() => match next {
                None => break,
                Some(Err(e)) => {
                    out.flush()?;
                    return Err(e.into());
                }
                Some(Ok(entry)) => {
                    if !write_entry(&mut out, &entry, a.format)? {
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_entry(out: &mut Out, e: &Entry, format: Format) -> Result<bool> {
    Ok(match format {
        Format::Jsonl => out.line(&jsonl::entry_line(e))?,
        Format::Raw => out.bytes_line(e.payload_bytes())?,
        Format::Text => out.line(&text_line(e))?,
    })
}

/// `seq  time  segment  size  payload-preview` for humans.
pub fn text_line(e: &Entry) -> String {
    let time = humantime::format_rfc3339_millis(
        std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(e.timestamp).unwrap_or(0)),
    );
    let payload = e.payload_bytes();
    let preview: String = match std::str::from_utf8(payload) {
        Ok(t) => t
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(120)
            .collect(),
        Err(_) => format!("<{} bytes binary>", payload.len()),
    };
    format!(
        "{:>8}  {time}  {}/{}  {:>6}B  {preview}",
        e.sequence,
        e.space,
        e.segment,
        payload.len()
    )
}

fn open_stream(s: &Session, a: &ConsumeArgs) -> Result<EntryStream> {
    let offset = a
        .offset
        .as_deref()
        .map(LexKey::from_hex)
        .transpose()
        .map_err(|e| eyre!("--offset: {e}"))?
        .unwrap_or_default();
    let limit = a.limit.unwrap_or(0);
    let min_timestamp = a.from_time.unwrap_or(0);
    let max_timestamp = a.to_time.unwrap_or(0);
    if !a.spaces.is_empty() {
        if a.space.is_some() || a.segment.is_some() {
            bail!("give either SPACE [SEGMENT] or --spaces, not both");
        }
        if a.from_seq.is_some() || a.to_seq.is_some() {
            bail!("--from-seq/--to-seq need a SEGMENT");
        }
        let mut offsets = BTreeMap::new();
        for space in &a.spaces {
            offsets.insert(space.clone(), LexKey::default());
        }
        if !offset.is_empty() {
            let parts = offset
                .decode_space_offset()
                .ok_or_else(|| eyre!("--offset is not a space offset"))?;
            offsets.insert(parts.space, offset);
        }
        let req = Consume {
            min_timestamp,
            max_timestamp,
            offsets,
            limit,
        };
        return Ok(if a.follow {
            s.client.follow_spaces(s.store, req)
        } else {
            s.client.consume(s.store, req)
        });
    }
    let Some(space) = a.space.clone() else {
        bail!("give a SPACE (or --spaces A,B)")
    };
    match a.segment.clone() {
        Some(segment) => {
            if !offset.is_empty() {
                bail!("--offset resumes a space read; for a segment use --from-seq");
            }
            let req = ConsumeSegment {
                space,
                segment,
                min_sequence: a.from_seq.unwrap_or(0),
                min_timestamp,
                max_sequence: a.to_seq.unwrap_or(0),
                max_timestamp,
                limit,
            };
            Ok(if a.follow {
                s.client.follow_segment(s.store, req)
            } else {
                s.client.consume_segment(s.store, req)
            })
        }
        None => {
            if a.from_seq.is_some() || a.to_seq.is_some() {
                bail!("--from-seq/--to-seq need a SEGMENT");
            }
            let req = ConsumeSpace {
                space,
                min_timestamp,
                max_timestamp,
                offset,
                limit,
            };
            Ok(if a.follow {
                s.client.follow_space(s.store, req)
            } else {
                s.client.consume_space(s.store, req)
            })
        }
    }
}
