//! Leases (PROTOCOL §4.8, §7.7): acquire with a random holder, renew every max(ttl/2, 1 s),
//! release on the way out.
//!
//! The lease is considered **lost** — its token is cancelled — when
//! * the server answers a renewal with `ok:false` (Go), or
//! * renewals have failed for so long that the lease may have expired on the server: a full
//!   TTL since the last successful renewal was *sent* (beyond Go, which only logs), or
//! * the client is closed (nobody renews any more).

use crate::client::{Client, decode_payload};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Operation;
use skope_proto::{LeaseAcquire, LeaseRelease, LeaseRenew, LeaseResult, Message, Uuid};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a release may take before it is abandoned.
pub const RELEASE_TIMEOUT: Duration = Duration::from_secs(10);

/// TTL sent to the server: at least 1 s, rounded to the nearest second.
#[must_use]
pub fn ttl_seconds(ttl: Duration) -> i64 {
    let secs = ttl.max(Duration::from_secs(1)).as_secs_f64().round();
    // Bounded by Duration's range; the server rejects anything over 86 400 anyway.
    #[allow(clippy::cast_possible_truncation)]
    let secs = secs.min(i64::MAX as f64) as i64;
    secs.max(1)
}

/// Renewal period for a TTL of `ttl_secs` seconds: max(ttl/2, 1 s).
#[must_use]
pub fn renew_interval(ttl_secs: i64) -> Duration {
    Duration::from_millis(ttl_secs.unsigned_abs().saturating_mul(500)).max(Duration::from_secs(1))
}

struct LeaseInner {
    client: Client,
    store: Uuid,
    key: String,
    holder: String,
    ttl_secs: i64,
    lost: CancellationToken,
    loss: OnceLock<String>,
    stop: CancellationToken,
}

impl LeaseInner {
    fn lose(&self, reason: String) {
        tracing::warn!(key = %self.key, %reason, "lease lost");
        let _ = self.loss.set(reason);
        self.lost.cancel();
    }

    async fn call(&self, request: &Message, op: Operation) -> Result<LeaseResult> {
        let start = Instant::now();
        let r = async {
            let mut channel = self.client.open_once(self.store, request).await?;
            match channel.recv().await {
                Some(Ok(bytes)) => decode_payload::<LeaseResult>(&bytes, "lease result"),
                Some(Err(e)) => Err(e),
                None => Err(Error::protocol("lease stream ended without a result")),
            }
        }
        .await;
        self.client
            .metrics()
            .record_operation(op, r.is_ok(), start.elapsed());
        r
    }

    async fn renew_loop(self: Arc<Self>, acquired_sent: Instant) {
        let ttl = Duration::from_secs(self.ttl_secs.unsigned_abs());
        let interval = renew_interval(self.ttl_secs);
        let mut deadline = tokio::time::Instant::from_std(acquired_sent + ttl);
        let request = Message::LeaseRenew(LeaseRenew {
            key: self.key.clone(),
            holder: self.holder.clone(),
            ttl_seconds: self.ttl_secs,
        });
        let mut next = tokio::time::Instant::now() + interval;
        loop {
            tokio::select! {
                biased;
                () = self.stop.cancelled() => {
                    if self.client.is_closed() {
                        self.lose("client closed".to_owned());
                    }
                    return;
                }
                () = tokio::time::sleep_until(deadline) => {
                    self.lose(format!("lease may have expired: no successful renewal for {}s", self.ttl_secs));
                    return;
                }
                () = tokio::time::sleep_until(next) => {}
            }
            next = tokio::time::Instant::now() + interval;
            let sent = tokio::time::Instant::now();
            let result = tokio::select! {
                biased;
                () = self.stop.cancelled() => continue,
                () = tokio::time::sleep_until(deadline) => continue,
                r = self.call(&request, Operation::LeaseRenew) => r,
            };
            match result {
                Ok(r) if r.ok => deadline = sent + ttl,
                Ok(r) => {
                    let why = if r.message.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", r.message)
                    };
                    self.lose(format!("lease renewal refused{why}"));
                    return;
                }
                Err(e) => {
                    tracing::warn!(key = %self.key, error = %e, "lease renewal failed; retrying next tick")
                }
            }
        }
    }
}

/// A held lease. Renewed in the background until released or lost.
#[must_use = "dropping a LeaseGuard releases the lease (best effort)"]
pub struct LeaseGuard {
    inner: Arc<LeaseInner>,
    released: bool,
}

impl std::fmt::Debug for LeaseGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseGuard")
            .field("key", &self.inner.key)
            .field("holder", &self.inner.holder)
            .field("lost", &self.is_lost())
            .finish_non_exhaustive()
    }
}

impl LeaseGuard {
    #[must_use]
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// The random holder id sent to the server.
    #[must_use]
    pub fn holder(&self) -> &str {
        &self.inner.holder
    }

    /// The TTL in force (whole seconds).
    #[must_use]
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.inner.ttl_secs.unsigned_abs())
    }

    /// A token cancelled when the lease is lost.
    #[must_use]
    pub fn token(&self) -> CancellationToken {
        self.inner.lost.clone()
    }

    /// Completes when the lease is lost.
    pub async fn lost(&self) {
        self.inner.lost.cancelled().await;
    }

    #[must_use]
    pub fn is_lost(&self) -> bool {
        self.inner.lost.is_cancelled()
    }

    /// Why the lease was lost, once it was.
    #[must_use]
    pub fn loss_reason(&self) -> Option<String> {
        self.inner.loss.get().cloned()
    }

    /// Stop renewing and release (10 s timeout). `Ok(true)` if the server confirmed.
    ///
    /// # Errors
    /// The release could not be delivered (or timed out).
    pub async fn release(mut self) -> Result<bool> {
        self.released = true;
        release(&self.inner).await
    }
}

async fn release(inner: &LeaseInner) -> Result<bool> {
    inner.stop.cancel();
    let request = Message::LeaseRelease(LeaseRelease {
        key: inner.key.clone(),
        holder: inner.holder.clone(),
    });
    match tokio::time::timeout(
        RELEASE_TIMEOUT,
        inner.call(&request, Operation::LeaseRelease),
    )
    .await
    {
        Ok(r) => r.map(|r| r.ok),
        Err(_) => Err(Error::new(
            ErrorKind::ConnectionLost,
            "lease release timeout",
        )),
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        self.inner.stop.cancel();
        if !self.released
            && !self.inner.client.is_closed()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let inner = self.inner.clone();
            rt.spawn(async move {
                let _ = release(&inner).await;
            });
        }
    }
}

impl Client {
    /// Acquire lease `key` for `ttl` (≥ 1 s, rounded to whole seconds) with a fresh random
    /// holder, and keep renewing it in the background.
    ///
    /// # Errors
    /// `lease not acquired: <message>` when the server refuses; transport errors after the
    /// retry policy.
    #[tracing::instrument(skip(self), fields(store = %store))]
    pub async fn acquire_lease(&self, store: Uuid, key: &str, ttl: Duration) -> Result<LeaseGuard> {
        let ttl_secs = ttl_seconds(ttl);
        let holder = Uuid::new_v4().to_string();
        let request = Message::LeaseAcquire(LeaseAcquire {
            key: key.to_owned(),
            holder: holder.clone(),
            ttl_seconds: ttl_secs,
        });
        let start = Instant::now();
        let sent = Instant::now();
        let r = async {
            let mut channel = self.open(Operation::LeaseAcquire, store, &request).await?;
            match channel.recv().await {
                Some(Ok(bytes)) => decode_payload::<LeaseResult>(&bytes, "lease result"),
                Some(Err(e)) => Err(e),
                None => Err(Error::protocol("lease stream ended without a result")),
            }
        }
        .await;
        self.metrics()
            .record_operation(Operation::LeaseAcquire, r.is_ok(), start.elapsed());
        let result = r?;
        if !result.ok {
            let message = if result.message.is_empty() {
                "held by another holder"
            } else {
                &result.message
            };
            return Err(Error::new(
                ErrorKind::LeaseNotAcquired,
                format!("lease not acquired: {message}"),
            ));
        }
        let inner = Arc::new(LeaseInner {
            client: self.clone(),
            store,
            key: key.to_owned(),
            holder,
            ttl_secs,
            lost: CancellationToken::new(),
            loss: OnceLock::new(),
            stop: self.inner.shutdown.child_token(),
        });
        self.inner.tasks.spawn(inner.clone().renew_loop(sent));
        Ok(LeaseGuard {
            inner,
            released: false,
        })
    }

    /// Release lease `key` held by `holder` (e.g. a stuck holder, by an operator). The holder
    /// then sees its next renewal refused. `Ok(true)` if the server released it.
    ///
    /// # Errors
    /// Transport errors after the retry policy.
    #[tracing::instrument(skip(self), fields(store = %store))]
    pub async fn release_lease(&self, store: Uuid, key: &str, holder: &str) -> Result<bool> {
        let request = Message::LeaseRelease(LeaseRelease {
            key: key.to_owned(),
            holder: holder.to_owned(),
        });
        let start = Instant::now();
        let r = async {
            let mut channel = self.open(Operation::LeaseRelease, store, &request).await?;
            match channel.recv().await {
                Some(Ok(bytes)) => {
                    decode_payload::<LeaseResult>(&bytes, "lease result").map(|r| r.ok)
                }
                Some(Err(e)) => Err(e),
                None => Err(Error::protocol("lease stream ended without a result")),
            }
        }
        .await;
        self.metrics()
            .record_operation(Operation::LeaseRelease, r.is_ok(), start.elapsed());
        r
    }

    /// Run `f` while holding lease `key`. `f` gets a token cancelled when the lease is lost;
    /// the lease is released when `f` returns. Returns `f`'s output.
    ///
    /// # Errors
    /// The lease was not acquired (then `f` never ran).
    pub async fn with_lease<T, F, Fut>(
        &self,
        store: Uuid,
        key: &str,
        ttl: Duration,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = T>,
    {
        let guard = self.acquire_lease(store, key, ttl).await?;
        let out = f(guard.token()).await;
        if let Err(e) = guard.release().await {
            tracing::warn!(key, error = %e, "lease release failed");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rules() {
        assert_eq!(ttl_seconds(Duration::from_millis(10)), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(1499)), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(ttl_seconds(Duration::from_secs(30)), 30);
        assert_eq!(renew_interval(1), Duration::from_secs(1));
        assert_eq!(renew_interval(3), Duration::from_millis(1500));
        assert_eq!(renew_interval(30), Duration::from_secs(15));
    }
}
