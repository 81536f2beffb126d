//! The `:` command line: `:space`, `:seg`, `:seq`, `:time`, `:filter`, `:publish`, `:acquire`,
//! `:store`, `:q`… parsed into state changes and effects.

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
                            ":seq needs an open segment (a space is ordered by time)",
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
                        "unknown command {line:?} (try :space, :seg, :seq, :time, :head, :tail, :filter, :publish, :acquire, :store, :q)"
                    ),
                    true,
                );
                Vec::new()
            }
        }
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
