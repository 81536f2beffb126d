//! Terminal input: keys by mode (normal, command line, filter prompt, lease prompt, store
//! picker, publish editor), paste and mouse, turned into actions and state changes.

use super::*;

impl AppState {
    pub(super) fn key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        if self.overlay == Overlay::Command {
            return self.command_key(k);
        }
        if self.overlay == Overlay::Filter {
            self.filter_key(k);
            return Vec::new();
        }
        if self.overlay == Overlay::StorePicker {
            return self.picker_key(k);
        }
        if matches!(self.overlay, Overlay::LeasePrompt | Overlay::ExportPrompt) {
            return self.lease_key(k);
        }
        let chord = KeyChord::from_event(k);
        if self.overlay == Overlay::Publish {
            return match self.keymap.lookup(Scope::Publish, &chord) {
                Some(action) => self.update(action),
                None => {
                    self.publish_edit(k);
                    Vec::new()
                }
            };
        }
        match self.keymap.lookup(self.scope(), &chord) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    pub(super) fn command_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.update(Action::Quit)
            }
            KeyCode::Esc => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            KeyCode::Enter => {
                self.overlay = Overlay::None;
                let line = std::mem::take(&mut self.cmdline);
                self.command(&line)
            }
            KeyCode::Backspace => {
                if self.cmdline.pop().is_none() {
                    self.overlay = Overlay::None;
                }
                Vec::new()
            }
            KeyCode::Char(c) => {
                self.cmdline.push(c);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Pasted text (bracketed paste) goes into the field being edited, newlines and all; with
    /// nothing being edited it is ignored (a paste never turns into key actions).
    pub(super) fn paste(&mut self, text: &str) {
        let one_line = || text.replace(['\r', '\n'], " ");
        match self.overlay {
            Overlay::Publish => {
                if let Some(p) = self.publish.as_mut().filter(|p| p.step == Step::Edit) {
                    match p.field {
                        Field::Payload => {
                            p.payload
                                .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
                        }
                        Field::Meta(i) => {
                            if let Some(row) = p.metadata.get_mut(i) {
                                row.push_str(&one_line());
                            }
                        }
                    }
                }
            }
            Overlay::Filter => self.filter_input.push_str(&one_line()),
            Overlay::Command => self.cmdline.push_str(&one_line()),
            Overlay::LeasePrompt | Overlay::ExportPrompt => self.lease_input.push_str(&one_line()),
            Overlay::StorePicker => self.store_input.push_str(one_line().trim()),
            Overlay::None | Overlay::Help { .. } => {}
        }
    }

    pub(super) fn filter_key(&mut self, k: &KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('r') if ctrl => {
                // Toggle substring ↔ regex.
                self.filter_input = match self.filter_input.strip_prefix(REGEX_PREFIX) {
                    Some(rest) => rest.to_owned(),
                    None => format!("{REGEX_PREFIX}{}", self.filter_input),
                };
            }
            KeyCode::Char('u') if ctrl => self.filter_input.clear(),
            KeyCode::Char('c') if ctrl => self.overlay = Overlay::None,
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Enter => {
                self.overlay = Overlay::None;
                let text = std::mem::take(&mut self.filter_input);
                self.apply_filter(&text);
            }
            KeyCode::Backspace => {
                self.filter_input.pop();
            }
            KeyCode::Char(c) => self.filter_input.push(c),
            _ => {}
        }
    }

    pub(super) fn lease_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.overlay = Overlay::None;
            }
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Enter => {
                let kind = std::mem::replace(&mut self.overlay, Overlay::None);
                let text = std::mem::take(&mut self.lease_input);
                return if kind == Overlay::ExportPrompt {
                    self.export(text.trim())
                } else {
                    self.acquire(&text)
                };
            }
            KeyCode::Backspace => {
                self.lease_input.pop();
            }
            KeyCode::Char(c) => self.lease_input.push(c),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn picker_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let last = self.store_choices.len().saturating_sub(1);
        match k.code {
            KeyCode::Char('c') if ctrl => self.overlay = Overlay::None,
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Up => self.store_sel = self.store_sel.saturating_sub(1),
            KeyCode::Char('p') if ctrl => self.store_sel = self.store_sel.saturating_sub(1),
            KeyCode::Down => self.store_sel = (self.store_sel + 1).min(last),
            KeyCode::Char('n') if ctrl => self.store_sel = (self.store_sel + 1).min(last),
            KeyCode::Enter => {
                let typed = std::mem::take(&mut self.store_input);
                let typed = typed.trim();
                if typed.is_empty() {
                    return match self.store_choices.get(self.store_sel) {
                        Some(c) => {
                            let id = c.id;
                            self.switch_store(id)
                        }
                        None => Vec::new(),
                    };
                }
                return match Uuid::parse_str(typed) {
                    Ok(id) => self.switch_store(id),
                    Err(e) => {
                        self.store_input = typed.to_owned();
                        self.note(format!("not a store UUID: {e}"), true);
                        Vec::new()
                    }
                };
            }
            KeyCode::Backspace => {
                self.store_input.pop();
            }
            KeyCode::Char(c) if !ctrl => self.store_input.push(c),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.overlay != Overlay::None {
            return Vec::new();
        }
        let a = layout::areas(self.area(), self);
        let at = Position::new(m.column, m.row);
        let pane = [
            (Focus::Hierarchy, a.hierarchy),
            (Focus::Entries, a.entries),
            (Focus::Detail, a.detail),
        ]
        .into_iter()
        .find_map(|(f, r)| r.filter(|r| r.contains(at)).map(|r| (f, r)));
        let Some((pane, rect)) = pane else {
            return Vec::new();
        };
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let saved = self.focus;
                self.focus = pane;
                let action = if m.kind == MouseEventKind::ScrollUp {
                    Action::Up
                } else {
                    Action::Down
                };
                let mut effects = Vec::new();
                for _ in 0..WHEEL_ROWS {
                    effects.extend(self.motion(action));
                }
                self.focus = saved;
                return effects;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                // Rows start below the border and the header line.
                let Some(row) = m.row.checked_sub(rect.y + 2) else {
                    return Vec::new();
                };
                if row + 1 >= rect.height.saturating_sub(1) {
                    return Vec::new();
                }
                match pane {
                    Focus::Hierarchy => {
                        let i = self.hierarchy.top + usize::from(row);
                        if i < self.hierarchy.len() {
                            self.hierarchy.select(i);
                        }
                    }
                    Focus::Entries => {
                        let e = &mut self.entries;
                        let pos = e.visible_pos(e.top) + u64::from(row);
                        if let Some(i) = e.visible_at(pos) {
                            e.selected = i;
                            e.follow = pos + 1 == e.visible_len();
                            self.detail.scroll = 0;
                        }
                    }
                    Focus::Detail | Focus::Panel => {}
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
