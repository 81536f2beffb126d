//! The `:` command line: `:space`, `:spaces`, `:seg`, `:seq`, `:time`, `:offset`, `:head`,
//! `:tail`, `:filter`, `:publish`, `:acquire`, `:store`, `:q`… parsed into state changes and
//! effects.

use super::*;

impl AppState {
    /// Run a `:` command.
    pub fn command(&mut self, line: &str) -> Vec<Effect> {
        self.note = None;
        let line = line.trim().trim_start_matches(':').trim();
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        match (cmd, arg) {
            ("", _) => Vec::new(),
            ("q" | "quit", _) => self.update(Action::Quit),
            #[cfg(debug_assertions)]
            ("debug-panic", _) => vec![Effect::DebugPanic],
            ("space" | "sp", space) if !space.is_empty() => {
                let mut effects = self.watch_space(space);
                self.focus = Focus::Entries;
                effects.extend(self.open_stream(
                    Source::Space {
                        space: space.to_owned(),
                    },
                    Start::Tail,
                ));
                effects
            }
            ("spaces", list) => {
                let mut spaces: Vec<String> = list
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                spaces.sort();
                spaces.dedup();
                let source = match spaces.len() {
                    0 => {
                        self.note("usage: :spaces SPACE,SPACE…", true);
                        return Vec::new();
                    }
                    1 => Source::Space {
                        space: spaces.remove(0),
                    },
                    _ => Source::Spaces { spaces },
                };
                self.focus = Focus::Entries;
                self.open_stream(source, Start::Tail)
            }
            ("offset" | "off", hex) => self.start_at_offset(hex),
            ("seg" | "segment", target) if !target.is_empty() => {
                let (space, segment) = match target.split_once('/') {
                    Some((sp, seg)) if !sp.is_empty() && !seg.is_empty() => {
                        (sp.to_owned(), seg.to_owned())
                    }
                    None if self.hierarchy.space.is_some() => (
                        self.hierarchy.space.clone().unwrap_or_default(),
                        target.to_owned(),
                    ),
                    _ => {
                        self.note("usage: :seg SPACE/SEGMENT", true);
                        return Vec::new();
                    }
                };
                let mut effects = self.watch_space(&space);
                if let Some(i) = self
                    .hierarchy
                    .segments
                    .iter()
                    .position(|r| r.name == segment)
                {
                    self.hierarchy.seg_sel = i + 1;
                }
                self.focus = Focus::Entries;
                effects.extend(self.open_stream(Source::Segment { space, segment }, Start::Tail));
                effects
            }
            ("seq", n) => match n.parse::<u64>() {
                Ok(n) => match self.entries.source.clone() {
                    Some(source @ Source::Segment { .. }) => {
                        self.open_stream(source, Start::Sequence(n))
                    }
                    _ => {
                        self.note(
                            ":seq needs an open segment (a space is ordered by time; try :time or :offset)",
                            true,
                        );
                        Vec::new()
                    }
                },
                Err(_) => {
                    self.note("usage: :seq N", true);
                    Vec::new()
                }
            },
            ("time", t) => match parse_time(t, self.now_ms) {
                Ok(ms) => self.restart(Start::Time(ms)),
                Err(e) => {
                    self.note(e, true);
                    Vec::new()
                }
            },
            ("publish" | "pub", "") => self.update(Action::Publish),
            ("publish" | "pub", target) => {
                let (space, segment) = match target.split_once('/') {
                    Some((sp, seg)) if !sp.is_empty() && !seg.is_empty() => {
                        (sp.to_owned(), seg.to_owned())
                    }
                    None if self.hierarchy.space.is_some() => (
                        self.hierarchy.space.clone().unwrap_or_default(),
                        target.to_owned(),
                    ),
                    _ => {
                        self.note("usage: :publish SPACE/SEGMENT", true);
                        return Vec::new();
                    }
                };
                self.open_publish(space, segment, None)
            }
            ("acquire" | "lease", text) => self.acquire(text),
            ("store", "") => self.open_picker(),
            ("store", id) => match Uuid::parse_str(id) {
                Ok(id) => self.switch_store(id),
                Err(e) => {
                    self.note(format!(":store {id}: {e}"), true);
                    Vec::new()
                }
            },
            ("filter" | "f", text) => {
                self.apply_filter(text);
                Vec::new()
            }
            ("head", "") => self.restart(Start::Head),
            ("tail", "") => self.restart(Start::Tail),
            _ => {
                self.note(
                    format!(
                        "unknown command {line:?} (try :space, :spaces, :seg, :seq, :time, :offset, :head, :tail, :filter, :publish, :acquire, :store, :q)"
                    ),
                    true,
                );
                Vec::new()
            }
        }
    }

    /// `:offset HEX`: read the open source on from just after the entry at that offset (as
    /// `skope consume` prints it); with nothing open, a space offset opens its space.
    fn start_at_offset(&mut self, hex: &str) -> Vec<Effect> {
        if hex.is_empty() {
            self.note("usage: :offset HEX (the offset skope consume prints)", true);
            return Vec::new();
        }
        let key = match LexKey::from_hex(hex) {
            Ok(k) => k,
            Err(e) => {
                self.note(format!(":offset: {e}"), true);
                return Vec::new();
            }
        };
        let in_space = key.decode_space_offset();
        let in_segment = key.decode_segment_offset();
        let source = match self.entries.source.clone() {
            Some(source) => source,
            None => match &in_space {
                Some(o) => {
                    self.focus = Focus::Entries;
                    Source::Space {
                        space: o.space.clone(),
                    }
                }
                None => {
                    self.note(
                        "not a space offset: open the segment it belongs to first",
                        true,
                    );
                    return Vec::new();
                }
            },
        };
        let fits = match &source {
            Source::Segment { space, segment } => {
                in_space
                    .as_ref()
                    .is_some_and(|o| &o.space == space && &o.segment == segment)
                    || in_segment
                        .as_ref()
                        .is_some_and(|o| &o.space == space && &o.segment == segment)
            }
            Source::Space { space } => in_space.as_ref().is_some_and(|o| &o.space == space),
            Source::Spaces { spaces } => {
                in_space.as_ref().is_some_and(|o| spaces.contains(&o.space))
            }
        };
        if !fits {
            let what = match (&in_space, &in_segment) {
                (Some(o), _) => format!("{}/{} #{}", o.space, o.segment, o.sequence),
                (None, Some(o)) => {
                    format!("{}/{} #{} (segment offset)", o.space, o.segment, o.sequence)
                }
                (None, None) => "no entry offset".to_owned(),
            };
            self.note(
                format!(":offset is {what}, not in {}", source.label()),
                true,
            );
            return Vec::new();
        }
        self.open_stream(source, Start::Offset(key))
    }

    pub(super) fn restart(&mut self, start: Start) -> Vec<Effect> {
        match self.entries.source.clone() {
            Some(source) => self.open_stream(source, start),
            None => {
                self.note("open a segment or a space first", true);
                Vec::new()
            }
        }
    }
}
