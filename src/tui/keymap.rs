//! Mode-scoped key bindings: `[global]` plus one table per view (`hierarchy`, `entries`,
//! `detail`, `help`, `panel`, `publish`). The default is `assets/keymap.toml`, embedded; the
//! config file's `[keys.<scope>]` tables are layered over it per scope and key
//! ([`Keymap::with_overrides`]).

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Global,
    Hierarchy,
    Entries,
    Detail,
    Help,
    /// The publish pane (unbound keys edit the text).
    Publish,
    /// The bottom panel (subscriptions or leases).
    Panel,
}

impl Scope {
    /// Whether unbound keys fall through to `[global]`.
    fn falls_back(self) -> bool {
        !matches!(self, Scope::Global | Scope::Help | Scope::Publish)
    }
}

/// A key plus the modifiers that matter (ctrl, alt; shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// The chord of a terminal key event.
    #[must_use]
    pub fn from_event(ev: &KeyEvent) -> Self {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            c => c,
        };
        if code == KeyCode::BackTab {
            mods.remove(KeyModifiers::SHIFT);
        }
        KeyChord { code, mods }
    }

    /// Parse `ctrl-c`, `G`, `enter`, `pageup` …
    ///
    /// # Errors
    /// An unknown key name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rest = text;
        let mut mods = KeyModifiers::NONE;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "space" => KeyCode::Char(' '),
            s => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key {text:?}")),
                }
            }
        };
        Ok(KeyChord { code, mods })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("S-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Backspace => f.write_str("bksp"),
            KeyCode::Delete => f.write_str("del"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// What a key does in the config file's `[keys.*]` tables: an action, or `"none"` to unbind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Action(Action),
    Unbound,
}

impl<'de> Deserialize<'de> for Binding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IntoDeserializer};
        let name = String::deserialize(d)?;
        if name == "none" {
            return Ok(Binding::Unbound);
        }
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.as_str().into_deserializer();
        Action::deserialize(de)
            .map(Binding::Action)
            .map_err(|e| D::Error::custom(format!("{e}, or `none` to unbind the key")))
    }
}

/// Bindings per scope, in a stable order (by the key's name in the file). A key a view scope
/// unbinds stays in its list as [`Binding::Unbound`]: it hides the `[global]` binding too.
#[derive(Debug, Clone)]
pub struct Keymap {
    scopes: BTreeMap<Scope, Vec<(KeyChord, Binding)>>,
}

fn find(bindings: &[(KeyChord, Binding)], key: &KeyChord) -> Option<Binding> {
    bindings.iter().find(|(k, _)| k == key).map(|(_, b)| *b)
}

impl Keymap {
    /// Parse a keymap file (TOML: `[scope] key = "action"`).
    ///
    /// # Errors
    /// Bad TOML, an unknown scope, key or action.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let raw: BTreeMap<Scope, BTreeMap<String, Action>> =
            toml::from_str(text).map_err(|e| e.to_string())?;
        let mut scopes = BTreeMap::new();
        for (scope, keys) in raw {
            let mut list = Vec::with_capacity(keys.len());
            for (key, action) in keys {
                list.push((KeyChord::parse(&key)?, Binding::Action(action)));
            }
            scopes.insert(scope, list);
        }
        Ok(Keymap { scopes })
    }

    /// The embedded default.
    ///
    /// # Panics
    /// Never: the default is tested to parse.
    #[must_use]
    pub fn default_keymap() -> Self {
        #[allow(clippy::expect_used)]
        Self::from_toml(DEFAULT_KEYMAP).expect("the embedded keymap parses (tested)")
    }

    /// This keymap with `overrides` layered over it, per scope and key: the binding replaces
    /// the key's old one (or adds the key); [`Binding::Unbound`] unbinds it there, a
    /// `[global]` binding of the same key included.
    #[must_use]
    pub fn with_overrides(mut self, overrides: &[(Scope, KeyChord, Binding)]) -> Self {
        for (scope, key, binding) in overrides {
            let list = self.scopes.entry(*scope).or_default();
            match list.iter().position(|(k, _)| k == key) {
                Some(i) => list[i].1 = *binding,
                None => list.push((*key, *binding)),
            }
        }
        self
    }

    /// The action of `key` in `scope` (then `[global]` for view scopes, unless the scope
    /// unbinds the key).
    #[must_use]
    pub fn lookup(&self, scope: Scope, key: &KeyChord) -> Option<Action> {
        let own = self.scopes.get(&scope).and_then(|m| find(m, key));
        let binding = match own {
            Some(b) => Some(b),
            None if scope.falls_back() => find(self.scopes.get(&Scope::Global)?, key),
            None => None,
        };
        match binding? {
            Binding::Action(a) => Some(a),
            Binding::Unbound => None,
        }
    }

    /// Every action reachable in `scope`, with its keys (for `?` help), in action order.
    #[must_use]
    pub fn bindings(&self, scope: Scope) -> Vec<(Action, Vec<KeyChord>)> {
        let mut by_action: BTreeMap<Action, Vec<KeyChord>> = BTreeMap::new();
        let mut add = |s: Scope| {
            for (k, b) in self.scopes.get(&s).into_iter().flatten() {
                let Binding::Action(a) = b else { continue };
                // A key of the own scope (bound or unbound) shadows the same key in [global].
                if s == Scope::Global
                    && self
                        .scopes
                        .get(&scope)
                        .is_some_and(|m| find(m, k).is_some())
                {
                    continue;
                }
                by_action.entry(*a).or_default().push(*k);
            }
        };
        add(scope);
        if scope.falls_back() {
            add(Scope::Global);
        }
        by_action.into_iter().collect()
    }

    /// The first key bound to `action` in `scope` (or `[global]`), for the hints bar.
    #[must_use]
    pub fn key_for(&self, scope: Scope, action: Action) -> Option<KeyChord> {
        self.bindings(scope)
            .into_iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| {
                // Prefer a plain character key: it is what people type.
                keys.iter()
                    .copied()
                    .find(|k| matches!(k.code, KeyCode::Char(_)) && k.mods.is_empty())
                    .or_else(|| keys.first().copied())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keymap_parses() {
        let km = Keymap::from_toml(DEFAULT_KEYMAP).expect("parses");
        let q = KeyChord::parse("q").expect("key");
        assert_eq!(km.lookup(Scope::Entries, &q), Some(Action::Quit));
        assert_eq!(km.lookup(Scope::Help, &q), Some(Action::Cancel));
        let g = KeyChord::parse("G").expect("key");
        assert_eq!(km.lookup(Scope::Entries, &g), Some(Action::Bottom));
    }

    #[test]
    fn every_view_reaches_quit_and_help() {
        let km = Keymap::default_keymap();
        for scope in [Scope::Hierarchy, Scope::Entries, Scope::Detail] {
            let b = km.bindings(scope);
            assert!(b.iter().any(|(a, _)| *a == Action::Quit), "{scope:?}");
            assert!(b.iter().any(|(a, _)| *a == Action::Help), "{scope:?}");
        }
    }

    #[test]
    fn key_events_normalize() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            KeyChord::from_event(&ev),
            KeyChord::parse("G").expect("key")
        );
        let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            KeyChord::from_event(&ev),
            KeyChord::parse("ctrl-c").expect("key")
        );
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            KeyChord::from_event(&ev),
            KeyChord::parse("backtab").expect("key")
        );
    }

    #[test]
    fn overrides_replace_add_and_unbind_per_scope_and_key() {
        let key = |k: &str| KeyChord::parse(k).expect("key");
        let km = Keymap::default_keymap().with_overrides(&[
            (Scope::Entries, key("x"), Binding::Action(Action::Export)),
            (Scope::Entries, key("e"), Binding::Unbound),
            (Scope::Global, key("ctrl-q"), Binding::Action(Action::Quit)),
            (Scope::Detail, key("j"), Binding::Action(Action::PageDown)),
        ]);
        assert_eq!(km.lookup(Scope::Entries, &key("x")), Some(Action::Export));
        assert_eq!(km.lookup(Scope::Entries, &key("e")), None);
        // Only the named scope changed.
        assert_eq!(km.lookup(Scope::Detail, &key("e")), Some(Action::Export));
        assert_eq!(km.lookup(Scope::Detail, &key("j")), Some(Action::PageDown));
        assert_eq!(km.lookup(Scope::Hierarchy, &key("j")), Some(Action::Down));
        assert_eq!(
            km.lookup(Scope::Hierarchy, &key("ctrl-q")),
            Some(Action::Quit)
        );
        // Help (and the hints bar) read the effective bindings.
        let export = km.bindings(Scope::Entries);
        let keys = &export
            .iter()
            .find(|(a, _)| *a == Action::Export)
            .expect("export bound")
            .1;
        assert_eq!(keys, &vec![key("x")]);
        assert_eq!(km.key_for(Scope::Entries, Action::Export), Some(key("x")));
    }

    #[test]
    fn a_view_unbinding_a_global_key_unbinds_it_there_only() {
        let key = |k: &str| KeyChord::parse(k).expect("key");
        let q = key("q");
        let base = Keymap::default_keymap();
        assert_eq!(base.lookup(Scope::Entries, &q), Some(Action::Quit));
        let km = base.with_overrides(&[(Scope::Entries, q, Binding::Unbound)]);
        assert_eq!(km.lookup(Scope::Entries, &q), None);
        let quit_keys: Vec<KeyChord> = km
            .bindings(Scope::Entries)
            .into_iter()
            .filter(|(a, _)| *a == Action::Quit)
            .flat_map(|(_, keys)| keys)
            .collect();
        assert_eq!(quit_keys, [key("ctrl-c")], "help lists ctrl-c only");
        assert_eq!(km.lookup(Scope::Hierarchy, &q), Some(Action::Quit));
        // Unbound in [global]: gone from every view that has no binding of its own.
        let km = Keymap::default_keymap().with_overrides(&[(Scope::Global, q, Binding::Unbound)]);
        assert_eq!(km.lookup(Scope::Hierarchy, &q), None);
    }

    #[test]
    fn bindings_name_an_action_or_none() {
        let t: BTreeMap<String, Binding> =
            toml::from_str("a = \"export\"\nb = \"none\"").expect("parses");
        assert_eq!(t["a"], Binding::Action(Action::Export));
        assert_eq!(t["b"], Binding::Unbound);
        let e = toml::from_str::<BTreeMap<String, Binding>>("a = \"explode\"")
            .expect_err("unknown action");
        assert!(e.message().contains("explode"), "{e}");
        assert!(e.message().contains("none"), "{e}");
    }

    #[test]
    fn bad_keymaps_are_refused() {
        assert!(Keymap::from_toml("[global]\nq = \"explode\"").is_err());
        assert!(Keymap::from_toml("[global]\nhyper-q = \"quit\"").is_err());
        assert!(Keymap::from_toml("[nowhere]\nq = \"quit\"").is_err());
    }
}
