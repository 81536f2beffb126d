//! The bottom panel's state: the client's subscriptions (`S`) or the leases this session holds
//! (`L`). No I/O: the app loop reports subscription health on the tick and lease changes as
//! they happen.

/// Which bottom panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Subscriptions,
    Leases,
}

/// One subscription's health, as of the last refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubRow {
    pub id: String,
    /// `space/segment` or `workers`.
    pub target: String,
    pub state: String,
    pub updates: u64,
    pub heartbeats: u64,
    pub reconnects: u64,
    pub handler_timeouts: u64,
    pub last_error: Option<String>,
    /// Unix milliseconds of the last update handed to the handler.
    pub last_update_ms: Option<i64>,
}

/// Where a lease is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseState {
    Acquiring,
    /// Held and renewed in the background.
    Held,
    Releasing,
    /// Lost (expired, taken, or the renewal failed): the reason.
    Lost(String),
    /// Could not be acquired: the server's answer.
    Failed(String),
}

/// One lease of this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub key: String,
    pub ttl_secs: u64,
    pub holder: String,
    pub state: LeaseState,
    /// Unix milliseconds when it was acquired (renewals run every `renew_ms` from then).
    pub since_ms: i64,
}

impl LeaseRow {
    /// Milliseconds between renewals (half the TTL, at least a second: the client's schedule).
    #[must_use]
    pub fn renew_ms(&self) -> i64 {
        i64::try_from(
            skope_client::renew_interval(i64::try_from(self.ttl_secs).unwrap_or(i64::MAX))
                .as_millis(),
        )
        .unwrap_or(i64::MAX)
        .max(1)
    }

    /// What the state column says at `now_ms`: held with a countdown to the next renewal
    /// ("renewing" at the moment one is due), lost with its reason.
    #[must_use]
    pub fn describe(&self, now_ms: i64) -> String {
        match &self.state {
            LeaseState::Acquiring => "acquiring…".to_owned(),
            LeaseState::Held => {
                let every = self.renew_ms();
                let elapsed = (now_ms - self.since_ms).max(0);
                let left = every - elapsed % every;
                if left < 1000 && elapsed >= every - 1000 {
                    "renewing".to_owned()
                } else {
                    format!(
                        "held · renews in {}s · expires ≤{}s",
                        left.div_euclid(1000),
                        (left + every)
                            .div_euclid(1000)
                            .min(i64::try_from(self.ttl_secs).unwrap_or(i64::MAX))
                    )
                }
            }
            LeaseState::Releasing => "releasing…".to_owned(),
            LeaseState::Lost(r) => format!("lost: {r}"),
            LeaseState::Failed(e) => format!("not acquired: {e}"),
        }
    }
}

/// `KEY [TTL]` from the acquire prompt (TTL like `30s`, `2m`, or seconds; default 30 s).
///
/// # Errors
/// No key, a bad TTL.
pub fn parse_acquire(text: &str) -> Result<(String, u64), String> {
    let mut words = text.split_whitespace();
    let key = words.next().ok_or("usage: KEY [TTL] (e.g. job 30s)")?;
    let ttl = match words.next() {
        None => 30,
        Some(t) => match t.parse::<u64>() {
            Ok(n) => n,
            Err(_) => humantime::parse_duration(t)
                .map_err(|e| format!("ttl {t:?}: {e}"))?
                .as_secs(),
        },
    };
    if words.next().is_some() {
        return Err("usage: KEY [TTL] (the key has no spaces)".to_owned());
    }
    if ttl == 0 {
        return Err("the ttl is at least 1s".to_owned());
    }
    Ok((key.to_owned(), ttl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_prompt_parses() {
        assert_eq!(parse_acquire("job"), Ok(("job".into(), 30)));
        assert_eq!(parse_acquire("job 10"), Ok(("job".into(), 10)));
        assert_eq!(parse_acquire(" job  2m "), Ok(("job".into(), 120)));
        assert!(parse_acquire("").is_err());
        assert!(parse_acquire("job x").is_err());
        assert!(parse_acquire("job 0").is_err());
        assert!(parse_acquire("a b c").is_err());
    }

    #[test]
    fn lease_countdowns() {
        let mut l = LeaseRow {
            key: "job".into(),
            ttl_secs: 10,
            holder: "h".into(),
            state: LeaseState::Held,
            since_ms: 0,
        };
        assert_eq!(l.renew_ms(), 5000);
        assert_eq!(l.describe(0), "held · renews in 5s · expires ≤10s");
        assert_eq!(l.describe(2500), "held · renews in 2s · expires ≤7s");
        assert_eq!(l.describe(4500), "renewing");
        assert_eq!(l.describe(5100), "held · renews in 4s · expires ≤9s");
        l.state = LeaseState::Lost("expired".into());
        assert_eq!(l.describe(0), "lost: expired");
    }
}
