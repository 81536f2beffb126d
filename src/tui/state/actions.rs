//! The operator's write and side actions: publish (editor, preview, send), leases, the store
//! picker, export, panels.

use super::*;
use std::sync::Arc;

impl AppState {
    pub(super) fn open_picker(&mut self) -> Vec<Effect> {
        self.overlay = Overlay::StorePicker;
        self.store_input.clear();
        self.store_choices = merge(self.store, &[]);
        self.store_sel = 0;
        vec![Effect::LoadStores]
    }

    /// Use store `id`: everything shown so far belongs to the old one and is dropped.
    pub fn switch_store(&mut self, id: Uuid) -> Vec<Effect> {
        self.overlay = Overlay::None;
        if id == self.store {
            self.note(format!("already on store {id}"), false);
            return Vec::new();
        }
        self.store = id;
        let h = &mut self.hierarchy;
        h.level = Level::Spaces;
        h.spaces.clear();
        h.spaces_load = Load::Loading;
        h.space_sel = 0;
        h.space = None;
        h.segments.clear();
        h.segments_load = Load::Loading;
        h.seg_sel = 0;
        h.top = 0;
        h.marked.clear();
        h.generation += 1;
        let generation = self.entries.generation + 1;
        let evicted = self.entries.discard();
        self.entries = Entries::new(self.entries.cap);
        self.entries.generation = generation;
        self.entries.evicted = evicted;
        self.detail.scroll = 0;
        self.publish = None;
        self.focus = Focus::Hierarchy;
        self.note(format!("store {id}"), false);
        vec![
            Effect::CloseStream,
            Effect::Unwatch,
            Effect::SwitchStore(id),
            Effect::LoadSpaces,
        ]
    }

    /// Acquire `KEY [TTL]`.
    pub fn acquire(&mut self, text: &str) -> Vec<Effect> {
        if self.read_only {
            self.note("read-only session: acquiring leases is disabled", true);
            return Vec::new();
        }
        let (key, ttl_secs) = match parse_acquire(text) {
            Ok(v) => v,
            Err(e) => {
                self.note(e, true);
                return Vec::new();
            }
        };
        if let Some(i) = self.leases.iter().position(|l| l.key == key) {
            if matches!(
                self.leases[i].state,
                LeaseState::Held | LeaseState::Acquiring | LeaseState::Releasing
            ) {
                self.note(format!("lease {key:?} is already held here"), true);
                return Vec::new();
            }
            self.leases.remove(i);
        }
        self.leases.push(LeaseRow {
            key: key.clone(),
            ttl_secs,
            holder: String::new(),
            state: LeaseState::Acquiring,
            since_ms: self.now_ms,
        });
        self.lease_sel = self.leases.len() - 1;
        self.panel = Some(Panel::Leases);
        vec![Effect::AcquireLease { key, ttl_secs }]
    }

    /// Export the shown entries (all of the window, or the filter's matches) to `path`.
    pub fn export(&mut self, path: &str) -> Vec<Effect> {
        if path.is_empty() {
            self.note("export: a file path is needed", true);
            return Vec::new();
        }
        let e = &self.entries;
        // Pointers to the shared entries: a snapshot of 100k entries costs ~1 ms, not a copy.
        let entries: Vec<Arc<Entry>> = (0..e.visible_len())
            .filter_map(|pos| e.get_shared(e.visible_at(pos)?).cloned())
            .collect();
        if entries.is_empty() {
            self.note("nothing to export: no entries loaded", true);
            return Vec::new();
        }
        self.note(
            format!("exporting {} entries to {path}…", entries.len()),
            false,
        );
        vec![Effect::Export {
            path: path.to_owned(),
            entries,
        }]
    }

    pub(super) fn toggle_panel(&mut self, panel: Panel) -> Vec<Effect> {
        if self.panel == Some(panel) {
            self.panel = None;
            if self.focus == Focus::Panel {
                self.focus = Focus::Entries;
            }
            return Vec::new();
        }
        self.panel = Some(panel);
        self.focus = Focus::Panel;
        match panel {
            Panel::Subscriptions => vec![Effect::RefreshSubscriptions],
            Panel::Leases => Vec::new(),
        }
    }

    /// The segment `P` publishes to: the open segment, else the one selected in the hierarchy.
    pub(super) fn publish_target(&self) -> Option<(String, String)> {
        if let Some(Source::Segment { space, segment }) = &self.entries.source {
            return Some((space.clone(), segment.clone()));
        }
        let h = &self.hierarchy;
        match (h.level, &h.space, h.seg_sel) {
            (Level::Segments, Some(space), i) if i > 0 => h
                .segments
                .get(i - 1)
                .map(|r| (space.clone(), r.name.clone())),
            _ => None,
        }
    }

    /// The last sequence of `space/segment` from the live statuses, when watched.
    pub(super) fn known_last(&self, space: &str, segment: &str) -> Option<u64> {
        if self.hierarchy.space.as_deref() != Some(space) {
            return None;
        }
        self.hierarchy
            .segments
            .iter()
            .find(|r| r.name == segment)
            .and_then(|r| r.status.as_ref())
            .map(|s| s.last_sequence)
    }

    pub(super) fn open_publish(
        &mut self,
        space: String,
        segment: String,
        from: Option<&Entry>,
    ) -> Vec<Effect> {
        self.publish_generation += 1;
        let generation = self.publish_generation;
        let mut p = match from {
            Some(e) => Publish::from_entry(e, generation),
            None => Publish::new(space.clone(), segment.clone(), generation),
        };
        self.overlay = Overlay::Publish;
        let known = self.known_last(&space, &segment);
        p.next_sequence = known.map(|l| l + 1);
        self.publish = Some(p);
        if self.read_only {
            self.note("read-only session: publishing is disabled", true);
            return Vec::new();
        }
        match known {
            Some(_) => Vec::new(),
            None => vec![Effect::PeekLast {
                generation,
                space,
                segment,
            }],
        }
    }

    pub(super) fn publish_action(&mut self, action: Action) -> Vec<Effect> {
        let read_only = self.read_only;
        let Some(p) = self.publish.as_mut() else {
            self.overlay = Overlay::None;
            return Vec::new();
        };
        let mut note: Option<String> = None;
        match action {
            Action::Cancel => match p.step {
                Step::Preview => p.step = Step::Edit,
                _ => {
                    self.publish = None;
                    self.overlay = Overlay::None;
                }
            },
            Action::FocusNext | Action::FocusPrev if p.step == Step::Edit => p.next_field(),
            Action::AddRow if p.step == Step::Edit => p.add_row(),
            Action::RemoveRow if p.step == Step::Edit => p.remove_row(),
            Action::Newline if p.step == Step::Edit && p.field == Field::Payload => {
                p.payload.insert_newline();
            }
            Action::Submit => match p.step.clone() {
                Step::Edit | Step::Sent(_) | Step::Failed(_) if read_only => {
                    note = Some("read-only session: publishing is disabled (nothing sent)".into());
                }
                Step::Edit => match p.parsed_metadata() {
                    Ok(_) => p.step = Step::Preview,
                    Err(e) => note = Some(e),
                },
                Step::Preview => {
                    let metadata = match p.parsed_metadata() {
                        Ok(m) => m,
                        Err(e) => {
                            p.step = Step::Edit;
                            self.note(e, true);
                            return Vec::new();
                        }
                    };
                    p.step = Step::Sending;
                    return vec![Effect::Publish {
                        generation: p.generation,
                        space: p.space.clone(),
                        segment: p.segment.clone(),
                        payload: p.text().into_bytes(),
                        metadata,
                    }];
                }
                Step::Sent(_) | Step::Failed(_) => p.step = Step::Edit,
                Step::Sending => {}
            },
            _ => {}
        }
        if let Some(n) = note {
            self.note(n, true);
        }
        Vec::new()
    }

    /// A key the publish pane has no action for: it edits the focused field.
    pub(super) fn publish_edit(&mut self, k: &KeyEvent) {
        let Some(p) = self.publish.as_mut() else {
            return;
        };
        if p.step != Step::Edit {
            return;
        }
        match p.field {
            Field::Payload => {
                p.payload.input(*k);
            }
            Field::Meta(i) => {
                let Some(row) = p.metadata.get_mut(i) else {
                    return;
                };
                match k.code {
                    KeyCode::Backspace => {
                        row.pop();
                    }
                    KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                        row.push(c);
                    }
                    _ => {}
                }
            }
        }
    }

    pub(super) fn release_selected(&mut self) -> Vec<Effect> {
        if self.panel != Some(Panel::Leases) {
            return Vec::new();
        }
        let Some(l) = self.leases.get_mut(self.lease_sel) else {
            self.note("no lease selected", true);
            return Vec::new();
        };
        match l.state {
            LeaseState::Held => {
                l.state = LeaseState::Releasing;
                vec![Effect::ReleaseLease { key: l.key.clone() }]
            }
            LeaseState::Lost(_) | LeaseState::Failed(_) => {
                // Nothing held: x clears the row.
                self.leases.remove(self.lease_sel);
                self.lease_sel = self.lease_sel.min(self.leases.len().saturating_sub(1));
                Vec::new()
            }
            LeaseState::Acquiring | LeaseState::Releasing => Vec::new(),
        }
    }
}
