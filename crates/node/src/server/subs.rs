//! Segment-status subscriptions (PROTOCOL §4.7, §8.6): snapshot, then the live statuses that
//! arrived meanwhile (latest per segment, by segment name), then live; optional heartbeats.

use super::channel::{ChannelIo, Finish, Inbound};
use super::hub::StoreHub;
use super::lock;
use skope_proto::{SegmentStatus, SubscribeToSegmentStatus, encode_bare};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Queued statuses per subscriber (`pkg/server/subscription_router.go`).
pub(crate) const SUBSCRIBER_QUEUE: usize = 1024;
const HEARTBEAT_MIN_SECONDS: i64 = 1;
const HEARTBEAT_MAX_SECONDS: i64 = 300;

/// All subscribers of one store.
#[derive(Default)]
pub(crate) struct SubHub {
    subs: Mutex<Vec<Arc<Subscriber>>>,
}

pub(crate) struct Subscriber {
    space: String,
    /// A segment name or `*`.
    segment: String,
    state: Mutex<SubState>,
    notify: Notify,
}

#[derive(Default)]
struct SubState {
    /// While the snapshot is being read: latest live status per segment.
    snapshotting: bool,
    buffered: BTreeMap<String, SegmentStatus>,
    queue: VecDeque<SegmentStatus>,
    /// Dropped for back-pressure: the handler ends without a frame.
    dropped: bool,
}

impl Subscriber {
    fn matches(&self, s: &SegmentStatus) -> bool {
        self.space == s.space && (self.segment == "*" || self.segment == s.segment)
    }

    fn push(&self, s: &SegmentStatus) {
        let mut st = lock(&self.state);
        if st.dropped {
            return;
        }
        if st.snapshotting {
            st.buffered.insert(s.segment.clone(), s.clone());
            return;
        }
        if st.queue.len() < SUBSCRIBER_QUEUE {
            st.queue.push_back(s.clone());
        } else if let Some(q) = st.queue.iter_mut().find(|q| q.segment == s.segment) {
            *q = s.clone();
        } else {
            st.dropped = true;
            st.queue.clear();
        }
        drop(st);
        self.notify.notify_one();
    }
}

impl SubHub {
    /// Fan a produced chunk's status out to the matching subscribers.
    pub(crate) fn publish(&self, status: &SegmentStatus) {
        let subs: Vec<Arc<Subscriber>> = lock(&self.subs)
            .iter()
            .filter(|s| s.matches(status))
            .cloned()
            .collect();
        for s in subs {
            s.push(status);
        }
    }

    fn add(&self, sub: Arc<Subscriber>) {
        lock(&self.subs).push(sub);
    }

    fn remove(&self, sub: &Arc<Subscriber>) {
        lock(&self.subs).retain(|s| !Arc::ptr_eq(s, sub));
    }
}

/// Removes the subscriber when the handler ends, however it ends.
struct Registration<'a> {
    hub: &'a SubHub,
    sub: Arc<Subscriber>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.hub.remove(&self.sub);
    }
}

pub(crate) async fn run(
    hub: &Arc<StoreHub>,
    io: &mut ChannelIo,
    q: SubscribeToSegmentStatus,
) -> Finish {
    let sub = Arc::new(Subscriber {
        space: q.space.clone(),
        segment: q.segment.clone(),
        state: Mutex::new(SubState {
            snapshotting: true,
            ..SubState::default()
        }),
        notify: Notify::new(),
    });
    hub.subs.add(sub.clone());
    let _reg = Registration {
        hub: &hub.subs,
        sub: sub.clone(),
    };

    let store = hub.store.clone();
    let (space, segment) = (q.space.clone(), q.segment.clone());
    let snapshot = tokio::task::spawn_blocking(move || {
        if segment == "*" {
            store.space_statuses(&space)
        } else {
            store
                .segment_status(&space, &segment)
                .map(|s| s.into_iter().collect())
        }
    })
    .await;
    let snapshot = match snapshot {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = io.close_err(&e.to_string()).await;
            return Finish::Forget;
        }
        Err(e) => {
            let _ = io.close_err(&e.to_string()).await;
            return Finish::Forget;
        }
    };
    for s in &snapshot {
        if io.send(encode_bare(s)).await.is_err() {
            return Finish::Forget;
        }
    }
    {
        // Live statuses that arrived during the snapshot, minus what the snapshot already had.
        let mut st = lock(&sub.state);
        st.snapshotting = false;
        let buffered = std::mem::take(&mut st.buffered);
        for (seg, s) in buffered {
            let seen = snapshot
                .iter()
                .any(|x| x.segment == seg && x.last_sequence >= s.last_sequence);
            if !seen {
                st.queue.push_back(s);
            }
        }
    }
    sub.notify.notify_one();

    let interval = (q.heartbeat_interval_seconds > 0).then(|| {
        let secs = q
            .heartbeat_interval_seconds
            .clamp(HEARTBEAT_MIN_SECONDS, HEARTBEAT_MAX_SECONDS);
        Duration::from_secs(secs.unsigned_abs())
    });
    let heartbeat = SegmentStatus {
        space: q.space,
        segment: q.segment,
        heartbeat: true,
        ..SegmentStatus::default()
    };
    let mut ticker = interval.map(|d| {
        let mut t = tokio::time::interval(d);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        tokio::select! {
            () = sub.notify.notified() => {
                let (batch, dropped) = {
                    let mut st = lock(&sub.state);
                    (std::mem::take(&mut st.queue), st.dropped)
                };
                if dropped {
                    tracing::debug!(channel = %io.channel_id, "subscriber too slow: dropped");
                    return Finish::Forget;
                }
                for s in batch {
                    if io.send(encode_bare(&s)).await.is_err() {
                        return Finish::Forget;
                    }
                }
            }
            _ = async {
                match ticker.as_mut() {
                    Some(t) => t.tick().await,
                    None => std::future::pending().await,
                }
            } => {
                if io.send(encode_bare(&heartbeat)).await.is_err() {
                    return Finish::Forget;
                }
            }
            inbound = io.rx.recv() => match inbound {
                // Unsubscribe (or the connection is gone): nothing more is sent.
                None | Some(Inbound::Control(_)) => return Finish::Forget,
                // A request envelope on an active subscription is ignored.
                Some(Inbound::Data(_)) => {}
            },
        }
    }
}
