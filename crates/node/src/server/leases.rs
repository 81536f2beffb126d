//! Leases (PROTOCOL §4.8): named, TTL-bound, in-memory per store.

use super::channel::{ChannelIo, Finish};
use super::hub::StoreHub;
use super::lock;
use skope_proto::errors::text;
use skope_proto::{LeaseAcquire, LeaseRelease, LeaseRenew, LeaseResult, encode_bare};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest TTL accepted.
pub(crate) const MAX_TTL_SECONDS: i64 = 86_400;

struct Lease {
    holder: String,
    expires: Instant,
}

/// The leases of one store.
#[derive(Default)]
pub(crate) struct Leases {
    map: Mutex<HashMap<String, Lease>>,
}

fn validate(key: &str, holder: &str, ttl_seconds: Option<i64>) -> Option<&'static str> {
    if key.is_empty() {
        return Some(text::LEASE_KEY_EMPTY);
    }
    if holder.is_empty() {
        return Some(text::LEASE_HOLDER_EMPTY);
    }
    match ttl_seconds {
        Some(t) if t <= 0 => Some(text::LEASE_TTL_NOT_POSITIVE),
        Some(t) if t > MAX_TTL_SECONDS => Some(text::LEASE_TTL_TOO_LARGE),
        _ => None,
    }
}

fn ttl(seconds: i64) -> Duration {
    Duration::from_secs(seconds.unsigned_abs())
}

impl Leases {
    pub(crate) fn acquire(&self, key: &str, holder: &str, ttl_seconds: i64) -> LeaseResult {
        if let Some(m) = validate(key, holder, Some(ttl_seconds)) {
            return LeaseResult::refused(m);
        }
        let now = Instant::now();
        let mut map = lock(&self.map);
        map.retain(|_, l| l.expires > now);
        match map.get_mut(key) {
            Some(l) if l.holder != holder => LeaseResult {
                ok: false,
                message: String::new(),
            },
            Some(l) => {
                l.expires = now + ttl(ttl_seconds);
                LeaseResult::ok()
            }
            None => {
                map.insert(
                    key.to_owned(),
                    Lease {
                        holder: holder.to_owned(),
                        expires: now + ttl(ttl_seconds),
                    },
                );
                LeaseResult::ok()
            }
        }
    }

    pub(crate) fn renew(&self, key: &str, holder: &str, ttl_seconds: i64) -> LeaseResult {
        if let Some(m) = validate(key, holder, Some(ttl_seconds)) {
            return LeaseResult::refused(m);
        }
        let now = Instant::now();
        let mut map = lock(&self.map);
        map.retain(|_, l| l.expires > now);
        match map.get_mut(key) {
            Some(l) if l.holder == holder => {
                l.expires = now + ttl(ttl_seconds);
                LeaseResult::ok()
            }
            _ => LeaseResult {
                ok: false,
                message: String::new(),
            },
        }
    }

    /// Release checks only key and holder, not the expiry (an expired lease nobody touched
    /// since is still there and releases fine).
    pub(crate) fn release(&self, key: &str, holder: &str) -> LeaseResult {
        if let Some(m) = validate(key, holder, None) {
            return LeaseResult::refused(m);
        }
        let mut map = lock(&self.map);
        if map.get(key).is_some_and(|l| l.holder == holder) {
            map.remove(key);
            LeaseResult::ok()
        } else {
            LeaseResult {
                ok: false,
                message: String::new(),
            }
        }
    }

    /// Drop expired leases (the 60 s sweeper).
    pub(crate) fn sweep(&self) {
        let now = Instant::now();
        lock(&self.map).retain(|_, l| l.expires > now);
    }
}

async fn reply(io: &ChannelIo, r: &LeaseResult) -> Finish {
    if io.send(encode_bare(r)).await.is_ok() {
        let _ = io.close().await;
    }
    Finish::Forget
}

pub(crate) async fn acquire(hub: &Arc<StoreHub>, io: &ChannelIo, q: LeaseAcquire) -> Finish {
    reply(io, &hub.leases.acquire(&q.key, &q.holder, q.ttl_seconds)).await
}

pub(crate) async fn renew(hub: &Arc<StoreHub>, io: &ChannelIo, q: LeaseRenew) -> Finish {
    reply(io, &hub.leases.renew(&q.key, &q.holder, q.ttl_seconds)).await
}

pub(crate) async fn release(hub: &Arc<StoreHub>, io: &ChannelIo, q: LeaseRelease) -> Finish {
    reply(io, &hub.leases.release(&q.key, &q.holder)).await
}
