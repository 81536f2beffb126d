//! What client tasks report (spaces, statuses, entry batches, connection changes, answers to
//! publishes and leases) applied to the state.

use super::*;

impl AppState {
    pub(super) fn client(&mut self, ev: ClientEvent) -> Vec<Effect> {
        match ev {
            ClientEvent::Spaces(Ok(mut spaces)) => {
                spaces.sort();
                let keep = self.hierarchy.spaces.get(self.hierarchy.space_sel).cloned();
                self.hierarchy.spaces = spaces;
                self.hierarchy.spaces_load = Load::Loaded;
                self.hierarchy.space_sel = keep
                    .and_then(|k| self.hierarchy.spaces.iter().position(|s| *s == k))
                    .unwrap_or(0);
            }
            ClientEvent::Spaces(Err(e)) => self.hierarchy.spaces_load = Load::Failed(e),
            ClientEvent::Segments { generation, names } => {
                if generation == self.hierarchy.generation {
                    match names {
                        Ok(names) => {
                            for n in names {
                                self.segment_row(&n);
                            }
                            self.hierarchy.segments_load = Load::Loaded;
                        }
                        Err(e) => self.hierarchy.segments_load = Load::Failed(e),
                    }
                }
            }
            ClientEvent::Statuses {
                generation,
                statuses,
            } => {
                if generation == self.hierarchy.generation {
                    for s in statuses {
                        self.apply_status(s);
                    }
                }
            }
            ClientEvent::SubscriptionFailed {
                generation,
                message,
            } => {
                if generation == self.hierarchy.generation {
                    self.hierarchy.segments_load = Load::Failed(message);
                }
            }
            ClientEvent::Entries { generation, batch } => {
                if generation == self.entries.generation {
                    self.entries.push_batch(batch);
                }
            }
            ClientEvent::StreamFailed {
                generation,
                message,
            } => {
                if generation == self.entries.generation {
                    self.entries.reading = false;
                    self.entries.error = Some(message);
                }
            }
            ClientEvent::Older { id, result } => return self.older_arrived(id, result),
            ClientEvent::Conn(state) => self.conn_changed(&state),
            ClientEvent::LastSequence { generation, result } => {
                if let Some(p) = self.publish.as_mut().filter(|p| p.generation == generation) {
                    match result {
                        Ok(last) => p.next_sequence = Some(last + 1),
                        Err(e) => {
                            let text = format!("peek {}/{}: {e}", p.space, p.segment);
                            self.note(text, true);
                        }
                    }
                }
            }
            ClientEvent::Subscriptions(mut rows) => {
                rows.sort_by(|a, b| a.target.cmp(&b.target).then(a.id.cmp(&b.id)));
                self.subs = rows;
                self.sub_sel = self.sub_sel.min(self.subs.len().saturating_sub(1));
            }
            ClientEvent::LeaseAcquired {
                key,
                holder,
                ttl_secs,
            } => {
                let now = self.now_ms;
                if let Some(l) = self.leases.iter_mut().find(|l| l.key == key) {
                    l.holder = holder;
                    l.ttl_secs = ttl_secs;
                    l.state = LeaseState::Held;
                    l.since_ms = now;
                }
                self.note(format!("lease {key:?} acquired"), false);
            }
            ClientEvent::LeaseFailed { key, message } => {
                if let Some(l) = self.leases.iter_mut().find(|l| l.key == key) {
                    l.state = LeaseState::Failed(message);
                }
            }
            ClientEvent::LeaseLost { key, reason } => {
                if let Some(l) = self.leases.iter_mut().find(|l| l.key == key) {
                    l.state = LeaseState::Lost(reason);
                }
            }
            ClientEvent::LeaseReleased { key, result } => {
                if let Some(i) = self.leases.iter().position(|l| l.key == key) {
                    match result {
                        Ok(_) => {
                            self.leases.remove(i);
                            self.lease_sel =
                                self.lease_sel.min(self.leases.len().saturating_sub(1));
                            self.note(format!("lease {key:?} released"), false);
                        }
                        Err(e) => self.leases[i].state = LeaseState::Lost(e),
                    }
                }
            }
            ClientEvent::Stores(lists) => {
                let keep = self.store_choices.get(self.store_sel).map(|c| c.id);
                self.store_choices = merge(self.store, &lists);
                self.store_sel = keep
                    .and_then(|k| self.store_choices.iter().position(|c| c.id == k))
                    .unwrap_or(0);
            }
            ClientEvent::Exported { path, result } => match result {
                Ok(n) => self.note(format!("exported {n} entries to {path}"), false),
                Err(e) => self.note(format!("export to {path} failed: {e}"), true),
            },
            ClientEvent::Published { generation, result } => {
                if let Some(p) = self.publish.as_mut().filter(|p| p.generation == generation) {
                    match result {
                        Ok(status) => {
                            p.next_sequence = Some(status.last_sequence + 1);
                            p.step = Step::Sent(status.last_sequence);
                        }
                        Err(e) => p.step = Step::Failed(e),
                    }
                }
            }
        }
        Vec::new()
    }

    pub(super) fn conn_changed(&mut self, state: &ConnState) {
        self.conn = match (state, &self.conn) {
            (ConnState::Connected { generation }, _) => Conn::Connected {
                reconnects: generation.saturating_sub(1),
            },
            (ConnState::Disconnected { reason }, Conn::Reconnecting { attempt, .. }) => {
                Conn::Reconnecting {
                    attempt: attempt + 1,
                    reason: reason.to_string(),
                }
            }
            (ConnState::Disconnected { reason }, _) => Conn::Reconnecting {
                attempt: 1,
                reason: reason.to_string(),
            },
            (ConnState::Closed, _) => Conn::Closed,
            // Idle / Connecting: keep what the badge says (a reconnect shows its attempt count).
            (_, Conn::Reconnecting { .. } | Conn::Closed) => self.conn.clone(),
            _ => Conn::Connecting,
        };
    }

    /// The row of segment `name`, inserted in order if new (the selection stays on its row).
    pub(super) fn segment_row(&mut self, name: &str) -> &mut SegmentRow {
        let h = &mut self.hierarchy;
        let i = match h.segments.binary_search_by(|r| r.name.as_str().cmp(name)) {
            Ok(i) => i,
            Err(i) => {
                h.segments.insert(
                    i,
                    SegmentRow {
                        name: name.to_owned(),
                        status: None,
                        rate: Rate::default(),
                    },
                );
                if h.seg_sel > i {
                    h.seg_sel += 1;
                }
                i
            }
        };
        &mut h.segments[i]
    }

    pub(super) fn apply_status(&mut self, s: SegmentStatus) {
        if self.hierarchy.space.as_deref() != Some(s.space.as_str()) || s.heartbeat {
            return;
        }
        if let Some(p) = self.publish.as_mut()
            && p.space == s.space
            && p.segment == s.segment
            && p.next_sequence.is_none_or(|n| n <= s.last_sequence)
        {
            p.next_sequence = Some(s.last_sequence + 1);
        }
        let sec = self.now_ms.div_euclid(1000);
        let row = self.segment_row(&s.segment.clone());
        let delta = row
            .status
            .as_ref()
            .map_or(0, |p| s.last_sequence.saturating_sub(p.last_sequence));
        row.rate.add(sec, delta);
        if row.rate.head_sec == 0 {
            row.rate.head_sec = sec;
        }
        row.status = Some(s);
    }
}
