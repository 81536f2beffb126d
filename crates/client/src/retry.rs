//! Retry policies (`pkg/client/resilience.go`) and their backoff as an `Iterator<Duration>`.
//!
//! Why not `backon`: streamkit's schedule differs from backon's `ExponentialBuilder` in three
//! ways that matter for compatibility: the first sleep is exactly `initial_backoff` (unjittered),
//! the jitter is symmetric (uniform in [0.75 d, 1.25 d), backon adds [0, d)), and the *jittered*
//! value is the base of the next step (backon jitters each delay independently). A dozen lines of
//! iterator reproduce it exactly and stay seedable for tests.

use crate::error::{Error, Result};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often and how patiently a stream open is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (normalized to ≥ 1).
    pub max_attempts: u32,
    /// The first sleep (exact, unjittered).
    pub initial_backoff: Duration,
    /// Cap applied before jitter (so a sleep can reach 1.25 × this).
    pub max_backoff: Duration,
    /// Growth factor per attempt.
    pub multiplier: f64,
    /// Jitter every sleep after the first into [0.75 d, 1.25 d).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::default_policy()
    }
}

impl RetryPolicy {
    /// `DefaultRetryPolicy()`: 5 attempts, 100 ms, 5 s, × 2.
    #[must_use]
    pub fn default_policy() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            jitter: true,
        }
    }

    /// `AggressiveRetryPolicy()`: 8 attempts, 200 ms, 15 s, × 1.5.
    #[must_use]
    pub fn aggressive() -> Self {
        RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(15),
            multiplier: 1.5,
            jitter: true,
        }
    }

    /// A single attempt, no retry.
    #[must_use]
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default_policy()
        }
    }

    /// Go's normalization: attempts < 1 → 1; initial < 1 ns → 100 ms; max < initial → 10 s;
    /// multiplier ≤ 0 (or not finite) → 2.0.
    #[must_use]
    pub fn normalized(&self) -> Self {
        let mut p = self.clone();
        p.max_attempts = p.max_attempts.max(1);
        if p.initial_backoff < Duration::from_nanos(1) {
            p.initial_backoff = Duration::from_millis(100);
        }
        if p.max_backoff < p.initial_backoff {
            p.max_backoff = Duration::from_secs(10);
        }
        if !(p.multiplier.is_finite() && p.multiplier > 0.0) {
            p.multiplier = 2.0;
        }
        p
    }

    /// The sleeps between attempts (`max_attempts − 1` of them), randomly seeded.
    #[must_use]
    pub fn backoff(&self) -> Backoff {
        Backoff::new(&self.normalized(), SmallRng::from_os_rng())
    }

    /// The same schedule with a fixed seed (deterministic, for tests).
    #[must_use]
    pub fn backoff_seeded(&self, seed: u64) -> Backoff {
        Backoff::new(&self.normalized(), SmallRng::seed_from_u64(seed))
    }
}

/// The sleeps of a [`RetryPolicy`]: first `initial_backoff`, then
/// `jitter(min(previous × multiplier, max_backoff))`, `max_attempts − 1` items in all.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    multiplier: f64,
    jitter: bool,
    remaining: u32,
    rng: SmallRng,
}

impl Backoff {
    fn new(p: &RetryPolicy, rng: SmallRng) -> Self {
        Backoff {
            next: p.initial_backoff,
            max: p.max_backoff,
            multiplier: p.multiplier,
            jitter: p.jitter,
            remaining: p.max_attempts - 1,
            rng,
        }
    }

    /// An endless copy of this schedule (used where retries are bounded by other means).
    #[must_use]
    pub fn endless(mut self) -> Self {
        self.remaining = u32::MAX;
        self
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.remaining == 0 {
            return None;
        }
        if self.remaining != u32::MAX {
            self.remaining -= 1;
        }
        let current = self.next;
        let grown = current.mul_f64(self.multiplier).min(self.max);
        self.next = if self.jitter && !grown.is_zero() {
            // d − d/4 + U[0, d/2)  =  U[0.75 d, 1.25 d)
            let d = grown.as_nanos() as f64;
            let j = d - d / 4.0 + self.rng.random_range(0.0..d / 2.0);
            Duration::from_nanos(j as u64)
        } else {
            grown
        };
        Some(current)
    }
}

/// Run `f` under `policy`: retry retryable errors after the policy's sleeps; stop early when
/// `cancel` fires. `on_retry` is told about every retry (metrics, logs).
pub(crate) async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    mut on_retry: impl FnMut(&Error),
    mut f: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut sleeps = policy.backoff();
    loop {
        if cancel.is_cancelled() {
            return Err(Error::closed());
        }
        let err = match f().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !err.is_retryable() {
            return Err(err);
        }
        let Some(sleep) = sleeps.next() else {
            return Err(err);
        };
        on_retry(&err);
        tracing::debug!(error = %err, ?sleep, "retrying");
        tokio::select! {
            () = cancel.cancelled() => return Err(Error::closed()),
            () = tokio::time::sleep(sleep) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_schedule_without_jitter() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default_policy()
        };
        let v: Vec<_> = p.backoff().map(|d| d.as_millis()).collect();
        assert_eq!(v, [100, 200, 400, 800]);
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::aggressive()
        };
        let v: Vec<_> = p.backoff().map(|d| d.as_millis()).collect();
        assert_eq!(v, [200, 300, 450, 675, 1012, 1518, 2278]);
    }

    #[test]
    fn normalization() {
        let p = RetryPolicy {
            max_attempts: 0,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::from_millis(1),
            multiplier: -1.0,
            jitter: false,
        }
        .normalized();
        assert_eq!(p.max_attempts, 1);
        assert_eq!(p.initial_backoff, Duration::from_millis(100));
        assert_eq!(p.max_backoff, Duration::from_secs(10));
        assert!((p.multiplier - 2.0).abs() < f64::EPSILON);
        assert_eq!(p.backoff().count(), 0);
    }

    #[test]
    fn seeded_is_deterministic() {
        let p = RetryPolicy::aggressive();
        let a: Vec<_> = p.backoff_seeded(7).collect();
        let b: Vec<_> = p.backoff_seeded(7).collect();
        assert_eq!(a, b);
    }

    proptest! {
        #[test]
        fn jittered_bounds(
            attempts in 1u32..20,
            initial_ms in 1u64..2_000,
            max_ms in 1u64..30_000,
            mult in 0.5f64..4.0,
            seed in any::<u64>(),
        ) {
            let p = RetryPolicy {
                max_attempts: attempts,
                initial_backoff: Duration::from_millis(initial_ms),
                max_backoff: Duration::from_millis(max_ms),
                multiplier: mult,
                jitter: true,
            };
            let n = p.normalized();
            let sleeps: Vec<_> = p.backoff_seeded(seed).collect();
            prop_assert_eq!(sleeps.len() as u32, n.max_attempts - 1);
            if let Some(first) = sleeps.first() {
                prop_assert_eq!(*first, n.initial_backoff);
            }
            for w in sleeps.windows(2) {
                let base = w[0].mul_f64(n.multiplier).min(n.max_backoff);
                let lo = base.mul_f64(0.75).saturating_sub(Duration::from_nanos(2));
                let hi = base.mul_f64(1.25) + Duration::from_nanos(2);
                prop_assert!(w[1] >= lo && w[1] <= hi, "{:?} -> {:?} not in [{:?}, {:?}]", w[0], w[1], lo, hi);
                prop_assert!(w[1] <= n.max_backoff.mul_f64(1.25) + Duration::from_nanos(2));
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_stops_on_permanent_and_counts_attempts() {
        use crate::error::ErrorKind;
        let cancel = CancellationToken::new();
        let mut calls = 0;
        let r: Result<()> = retry(
            &RetryPolicy::default_policy(),
            &cancel,
            |_| {},
            || {
                calls += 1;
                async { Err(Error::new(ErrorKind::ConnectionLost, "muxer closed")) }
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 5);
        let mut calls = 0;
        let r: Result<()> = retry(
            &RetryPolicy::default_policy(),
            &cancel,
            |_| {},
            || {
                calls += 1;
                async {
                    Err(Error::new(
                        ErrorKind::RemoteError,
                        "remote error: access denied",
                    ))
                }
            },
        )
        .await;
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("remote error: access denied".to_owned())
        );
        assert_eq!(calls, 1);
    }
}
