//! The loop: `select! { terminal input, client reports, tick }` → apply the event → drain what
//! else is ready (within a budget) → draw once if something changed, at most one frame per
//! [`FRAME`] (a key's frame is drawn at once, before the queue is drained). Effects run here as client tasks that report back through bounded channels; the
//! entry reader blocks on its channel when the UI is behind (backpressure reaches the server),
//! so memory stays bounded and the UI never blocks the runtime.

use super::TuiOptions;
use super::event::{ClientEvent, Event};
use super::frame_stats::FrameStats;
use super::panels::SubRow;
use super::scrollback;
use super::state::{AppState, Effect, OlderRequest, StateOptions, StreamRequest};
use super::stores::{Origin, StoreSources, load_recent, on_disk, remember};
use super::terminal::{TaskPanics, Term, TerminalGuard};
use super::theme::Theme;
use super::ui;
use crate::connect::Session;
use color_eyre::eyre::Result;
use crossterm::event::EventStream;
use futures::StreamExt;
use skope_client::{Client, Metadata, SegmentStatus, StatusHandler, SubscriptionTarget, Uuid};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Minimum time between two frames (~60 fps).
pub const FRAME: Duration = Duration::from_millis(16);
/// Clock tick while ages are on screen.
pub const TICK: Duration = Duration::from_secs(1);
/// Client reports in flight (spaces, segments, statuses, connection).
const REPORTS_CAPACITY: usize = 64;
/// Terminal events in flight from the input task.
const INPUT_CAPACITY: usize = 64;
/// Entry batches in flight from the reader.
const BATCHES_CAPACITY: usize = 8;
/// Largest batch the reader sends.
const BATCH_MAX: usize = 4096;
/// Time spent applying ready events before drawing.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// How long closing the client may take on exit.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// Unix milliseconds now.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Run the TUI until quit; the terminal is restored and the client closed on every path.
///
/// # Errors
/// The terminal failed.
pub async fn run(session: Session, opts: TuiOptions) -> Result<()> {
    let mut state = AppState::new(StateOptions {
        store: session.store,
        read_only: session.read_only,
        embedded: opts.embedded,
        window: opts.window,
        keymap: opts.keymap,
        theme: Theme::named(opts.theme),
        store_names: opts.store_names,
    });
    let result = match TerminalGuard::init() {
        Ok(mut guard) => {
            let (reports_tx, reports) = mpsc::channel(REPORTS_CAPACITY);
            let (batches_tx, batches) = mpsc::channel(BATCHES_CAPACITY);
            let mut tasks = Tasks {
                client: session.client.clone(),
                store: session.store,
                reports: reports_tx,
                batches: batches_tx,
                stream: None,
                older: None,
                watch: None,
                others: Vec::new(),
                spaces: None,
                leases: BTreeMap::new(),
                sources: opts.stores.clone(),
                lease_tasks: Vec::new(),
            };
            let mut stats = FrameStats::from_env();
            let r = event_loop(
                &mut guard.terminal,
                &mut guard.task_panics,
                &mut state,
                &mut tasks,
                (reports, batches),
                &mut stats,
            )
            .await;
            if let Some(Err(e)) = stats.map(|s| s.write(&state)) {
                tracing::warn!(error = %e, "cannot write the frame stats");
            }
            tasks.shutdown();
            drop(guard);
            // Leases held are released before the client closes.
            tasks.release_leases().await;
            r
        }
        Err(e) => Err(e.into()),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, session.client.close()).await;
    result
}

async fn event_loop(
    terminal: &mut Term,
    task_panics: &mut TaskPanics,
    state: &mut AppState,
    tasks: &mut Tasks,
    (mut reports, mut batches): (mpsc::Receiver<Event>, mpsc::Receiver<Event>),
    stats: &mut Option<FrameStats>,
) -> Result<()> {
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    state.now_ms = now_ms();
    tasks.spawn_conn_watch();
    let effects = state.start();
    tasks.run(effects);

    let mut input = spawn_input(tasks);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    // Input was applied: its frame is drawn at once, past the frame cap.
    let mut urgent = false;
    loop {
        if dirty && (urgent || last_draw.is_none_or(|t| t.elapsed() >= FRAME)) {
            let mark = stats.as_ref().map(|_| FrameStats::mark());
            let mut render = Duration::ZERO;
            terminal.draw(|f| {
                let t = Instant::now();
                ui::render(state, f);
                render = t.elapsed();
            })?;
            if let (Some(s), Some(mark)) = (stats.as_mut(), mark) {
                s.drawn(mark, render);
            }
            last_draw = Some(Instant::now());
            dirty = false;
            urgent = false;
        }
        let next_frame =
            tokio::time::Instant::from_std(last_draw.map_or_else(Instant::now, |t| t + FRAME));
        let event = tokio::select! {
            biased;
            // A task panicked (tokio caught it): the app ends, the guard restores the terminal.
            p = task_panics.next() => return Err(color_eyre::eyre::eyre!(p)),
            ev = input.recv() => match ev {
                Some(Ok(e)) => Event::Term(e),
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            () = tokio::time::sleep_until(next_frame), if dirty => continue,
            Some(ev) = reports.recv() => ev,
            Some(ev) = batches.recv() => ev,
            _ = tick.tick(), if state.needs_tick() => Event::Tick,
        };
        if let (Some(s), Event::Term(crossterm::event::Event::Key(_))) = (stats.as_mut(), &event) {
            s.key();
        }
        // Keys, clicks, wheel and resizes come at human speed: each gets its frame right away,
        // without first draining the entries queued meanwhile. (Mouse motion does not.)
        urgent |= matches!(&event, Event::Term(e) if !is_motion(e));
        apply(state, tasks, event);
        let started = Instant::now();
        while !urgent && started.elapsed() < DRAIN_BUDGET && !state.quit {
            // Input is not drained here: it comes through the `select!` (first), one event per
            // turn, and gets its frame at once.
            let ev = if let Ok(e) = reports.try_recv() {
                e
            } else if let Ok(e) = batches.try_recv() {
                e
            } else {
                break;
            };
            apply(state, tasks, ev);
        }
        if state.quit {
            return Ok(());
        }
        dirty = true;
    }
}

/// Terminal input, read by its own task. Polled from the loop at every turn, crossterm's
/// `EventStream` spins for its reader lock (held by its wake-up thread while it waits for
/// input), yielding the loop's thread several times per turn; the task polls it only when
/// woken, that is when input is there.
fn spawn_input(tasks: &mut Tasks) -> mpsc::Receiver<std::io::Result<crossterm::event::Event>> {
    let (tx, rx) = mpsc::channel(INPUT_CAPACITY);
    tasks.others.push(tokio::spawn(async move {
        let mut input = EventStream::new();
        while let Some(ev) = input.next().await {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }));
    rx
}

fn is_motion(e: &crossterm::event::Event) -> bool {
    use crossterm::event::{Event as E, MouseEventKind as M};
    matches!(e, E::Mouse(m) if matches!(m.kind, M::Moved | M::Drag(_)))
}

fn apply(state: &mut AppState, tasks: &mut Tasks, event: Event) {
    state.now_ms = now_ms();
    let effects = state.handle(event);
    tasks.run(effects);
    let evicted = std::mem::take(&mut state.entries.evicted);
    if !evicted.is_empty() {
        // Freed on a worker: the loop's thread is kept for drawing.
        tokio::spawn(async move { drop(evicted) });
    }
}

/// Status updates parked by the subscription handler until the forwarder takes them: the
/// latest per segment ("notify, then pull"), so a burst never grows a queue.
#[derive(Default)]
struct Mailbox {
    pending: Mutex<BTreeMap<String, SegmentStatus>>,
    notify: Notify,
}

impl Mailbox {
    fn put(&self, s: SegmentStatus) {
        if let Ok(mut p) = self.pending.lock() {
            p.insert(s.segment.clone(), s);
        }
        self.notify.notify_one();
    }

    fn take(&self) -> Vec<SegmentStatus> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p).into_values().collect())
            .unwrap_or_default()
    }
}

/// The client tasks that run effects.
struct Tasks {
    client: Client,
    store: Uuid,
    reports: mpsc::Sender<Event>,
    batches: mpsc::Sender<Event>,
    stream: Option<JoinHandle<()>>,
    /// The scroll-back read in flight.
    older: Option<JoinHandle<()>>,
    watch: Option<JoinHandle<()>>,
    others: Vec<JoinHandle<()>>,
    /// The space list being loaded.
    spaces: Option<JoinHandle<()>>,
    /// Held leases: a send releases one (its task releases, reports, and ends).
    leases: BTreeMap<String, oneshot::Sender<()>>,
    /// Where the store picker looks.
    sources: StoreSources,
    lease_tasks: Vec<JoinHandle<()>>,
}

impl Tasks {
    fn run(&mut self, effects: Vec<Effect>) {
        self.others.retain(|t| !t.is_finished());
        for e in effects {
            match e {
                Effect::LoadSpaces => self.load_spaces(),
                Effect::WatchSpace { space, generation } => {
                    abort(self.watch.take());
                    self.watch = Some(self.watch_space(space, generation));
                }
                Effect::Unwatch => abort(self.watch.take()),
                Effect::OpenStream {
                    generation,
                    request,
                } => {
                    abort(self.stream.take());
                    self.stream = Some(self.open_stream(generation, request));
                }
                Effect::CloseStream => abort(self.stream.take()),
                Effect::FetchOlder(request) => {
                    abort(self.older.take());
                    self.older = Some(self.fetch_older(request));
                }
                Effect::Clipboard(text) => osc52(&text),
                Effect::LoadStores => self.load_stores(),
                Effect::SwitchStore(id) => {
                    abort(self.stream.take());
                    abort(self.older.take());
                    abort(self.watch.take());
                    abort(self.spaces.take());
                    self.store = id;
                    if let Some(path) = self.sources.recent_file.clone() {
                        self.others.push(tokio::task::spawn_blocking(move || {
                            if let Err(e) = remember(&path, id) {
                                tracing::warn!(error = %e, "cannot write the recent stores");
                            }
                        }));
                    }
                }
                Effect::Export { path, entries } => self.export(path, entries),
                #[cfg(debug_assertions)]
                Effect::DebugPanic => {
                    self.others
                        .push(tokio::spawn(async { panic!("debug-panic, as asked") }));
                }
                Effect::RefreshSubscriptions => self.refresh_subscriptions(),
                Effect::AcquireLease { key, ttl_secs } => self.acquire_lease(key, ttl_secs),
                Effect::ReleaseLease { key } => {
                    if let Some(release) = self.leases.remove(&key) {
                        let _ = release.send(());
                    }
                }
                Effect::PeekLast {
                    generation,
                    space,
                    segment,
                } => self.peek_last(generation, space, segment),
                Effect::Publish {
                    generation,
                    space,
                    segment,
                    payload,
                    metadata,
                } => self.publish(generation, space, segment, payload, metadata),
            }
        }
    }

    fn shutdown(&mut self) {
        abort(self.spaces.take());
        abort(self.stream.take());
        abort(self.older.take());
        abort(self.watch.take());
        for t in self.others.drain(..) {
            t.abort();
        }
    }

    fn spawn_conn_watch(&mut self) {
        let mut rx = self.client.connection_state();
        let tx = self.reports.clone();
        self.others.push(tokio::spawn(async move {
            loop {
                let s = rx.borrow_and_update().clone();
                if tx.send(Event::Client(ClientEvent::Conn(s))).await.is_err() {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }));
    }

    fn load_spaces(&mut self) {
        let (client, store, tx) = (self.client.clone(), self.store, self.reports.clone());
        // One load at a time: a newer one (or a store switch) drops the older answer.
        abort(self.spaces.take());
        self.spaces = Some(tokio::spawn(async move {
            let r = client.get_spaces(store).await.map_err(|e| e.to_string());
            let _ = tx.send(Event::Client(ClientEvent::Spaces(r))).await;
        }));
    }

    fn load_stores(&mut self) {
        let sources = self.sources.clone();
        let tx = self.reports.clone();
        self.others.push(tokio::spawn(async move {
            let lists = tokio::task::spawn_blocking(move || {
                let mut lists = vec![(Origin::Profile, sources.profile.clone())];
                if let Some(f) = &sources.recent_file {
                    lists.push((Origin::Recent, load_recent(f)));
                }
                lists.push((Origin::Token, sources.token.clone()));
                if let Some(d) = &sources.data_dir {
                    lists.push((Origin::Disk, on_disk(d)));
                }
                lists
            })
            .await
            .unwrap_or_default();
            let _ = tx.send(Event::Client(ClientEvent::Stores(lists))).await;
        }));
    }

    fn export(&mut self, path: String, entries: Vec<Arc<skope_client::Entry>>) {
        let tx = self.reports.clone();
        self.others.push(tokio::spawn(async move {
            let p = path.clone();
            let result = tokio::task::spawn_blocking(move || write_jsonl(&p, &entries))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
            let _ = tx
                .send(Event::Client(ClientEvent::Exported { path, result }))
                .await;
        }));
    }

    fn refresh_subscriptions(&self) {
        let rows = self
            .client
            .subscription_ids()
            .into_iter()
            .filter_map(|id| self.client.subscription_status(&id))
            .map(|s| SubRow {
                target: match &s.target {
                    SubscriptionTarget::Segment { space, segment } => format!("{space}/{segment}"),
                    SubscriptionTarget::Workers { worker_id } if worker_id.is_nil() => {
                        "workers (observer)".to_owned()
                    }
                    SubscriptionTarget::Workers { worker_id } => format!("worker {worker_id}"),
                },
                id: s.id,
                state: s.state.as_str().to_owned(),
                updates: s.updates_delivered,
                heartbeats: s.heartbeats_seen,
                reconnects: s.reconnects,
                handler_timeouts: s.handler_timeouts,
                last_error: s.last_error.map(|e| e.to_string()),
                last_update_ms: s.last_update.map(|t| {
                    t.duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                }),
            })
            .collect();
        // Dropped when the UI is behind: the next tick refreshes again.
        let _ = self
            .reports
            .try_send(Event::Client(ClientEvent::Subscriptions(rows)));
    }

    fn acquire_lease(&mut self, key: String, ttl_secs: u64) {
        let (client, store, tx) = (self.client.clone(), self.store, self.reports.clone());
        let (release_tx, release_rx) = oneshot::channel::<()>();
        self.leases.insert(key.clone(), release_tx);
        self.lease_tasks.retain(|t| !t.is_finished());
        self.lease_tasks.push(tokio::spawn(async move {
            let guard = match client
                .acquire_lease(store, &key, Duration::from_secs(ttl_secs))
                .await
            {
                Ok(g) => g,
                Err(e) => {
                    let report = ClientEvent::LeaseFailed {
                        key,
                        message: e.to_string(),
                    };
                    let _ = tx.send(Event::Client(report)).await;
                    return;
                }
            };
            let report = ClientEvent::LeaseAcquired {
                key: key.clone(),
                holder: guard.holder().to_owned(),
                ttl_secs: guard.ttl().as_secs(),
            };
            if tx.send(Event::Client(report)).await.is_err() {
                let _ = guard.release().await;
                return;
            }
            let token = guard.token();
            tokio::select! {
                () = token.cancelled() => {
                    let reason = guard.loss_reason().unwrap_or_else(|| "lost".to_owned());
                    let _ = tx.send(Event::Client(ClientEvent::LeaseLost { key, reason })).await;
                }
                _ = release_rx => {
                    let result = guard.release().await.map_err(|e| e.to_string());
                    // On quit nobody listens any more: try_send, never wait.
                    let _ = tx.try_send(Event::Client(ClientEvent::LeaseReleased { key, result }));
                }
            }
        }));
    }

    /// Release every held lease and wait (bounded) for the releases.
    async fn release_leases(&mut self) {
        for (_, release) in std::mem::take(&mut self.leases) {
            let _ = release.send(());
        }
        let tasks = std::mem::take(&mut self.lease_tasks);
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, futures::future::join_all(tasks)).await;
    }

    fn peek_last(&mut self, generation: u64, space: String, segment: String) {
        let (client, store, tx) = (self.client.clone(), self.store, self.reports.clone());
        self.others.push(tokio::spawn(async move {
            let result = client
                .peek(store, &space, &segment)
                .await
                .map(|e| e.sequence)
                .map_err(|e| e.to_string());
            let _ = tx
                .send(Event::Client(ClientEvent::LastSequence {
                    generation,
                    result,
                }))
                .await;
        }));
    }

    fn publish(
        &mut self,
        generation: u64,
        space: String,
        segment: String,
        payload: Vec<u8>,
        metadata: Metadata,
    ) {
        let (client, store, tx) = (self.client.clone(), self.store, self.reports.clone());
        self.others.push(tokio::spawn(async move {
            let result = client
                .publish(store, &space, &segment, payload, metadata)
                .await
                .map_err(|e| e.to_string());
            let _ = tx
                .send(Event::Client(ClientEvent::Published { generation, result }))
                .await;
        }));
    }

    fn watch_space(&self, space: String, generation: u64) -> JoinHandle<()> {
        let (client, store, tx) = (self.client.clone(), self.store, self.reports.clone());
        tokio::spawn(async move {
            let names = client
                .get_segments(store, &space)
                .await
                .map_err(|e| e.to_string());
            let report = ClientEvent::Segments { generation, names };
            if tx.send(Event::Client(report)).await.is_err() {
                return;
            }
            let mailbox = Arc::new(Mailbox::default());
            let m = Arc::clone(&mailbox);
            let handler: StatusHandler = Arc::new(move |s| m.put(s));
            // Held until this task is aborted: dropping it cancels the subscription.
            let _subscription = match client.subscribe_to_space(store, &space, handler).await {
                Ok(s) => s,
                Err(e) => {
                    let report = ClientEvent::SubscriptionFailed {
                        generation,
                        message: e.to_string(),
                    };
                    let _ = tx.send(Event::Client(report)).await;
                    return;
                }
            };
            loop {
                mailbox.notify.notified().await;
                let statuses = mailbox.take();
                if statuses.is_empty() {
                    continue;
                }
                let report = ClientEvent::Statuses {
                    generation,
                    statuses,
                };
                if tx.send(Event::Client(report)).await.is_err() {
                    return;
                }
            }
        })
    }

    fn fetch_older(&self, request: OlderRequest) -> JoinHandle<()> {
        let (client, store, tx) = (self.client.clone(), self.store, self.reports.clone());
        tokio::spawn(async move {
            let id = request.id;
            let result = scrollback::fetch(&client, store, request).await;
            let _ = tx
                .send(Event::Client(ClientEvent::Older { id, result }))
                .await;
        })
    }

    fn open_stream(&self, generation: u64, request: StreamRequest) -> JoinHandle<()> {
        let (client, store, tx) = (self.client.clone(), self.store, self.batches.clone());
        tokio::spawn(async move {
            let stream = match request {
                StreamRequest::Segment(c) => client.follow_segment(store, c),
                StreamRequest::Space(c) => client.follow_space(store, c),
                StreamRequest::Spaces(c) => client.follow_spaces(store, c),
            };
            let mut chunks = stream.ready_chunks(BATCH_MAX);
            while let Some(items) = chunks.next().await {
                let mut batch = Vec::with_capacity(items.len());
                let mut failure = None;
                for item in items {
                    match item {
                        Ok(e) => batch.push(e),
                        Err(e) => {
                            failure = Some(e.to_string());
                            break;
                        }
                    }
                }
                if !batch.is_empty() {
                    let report = ClientEvent::Entries { generation, batch };
                    if tx.send(Event::Client(report)).await.is_err() {
                        return;
                    }
                }
                if let Some(message) = failure {
                    let report = ClientEvent::StreamFailed {
                        generation,
                        message,
                    };
                    let _ = tx.send(Event::Client(report)).await;
                    return;
                }
            }
            let report = ClientEvent::StreamFailed {
                generation,
                message: "the read ended".to_owned(),
            };
            let _ = tx.send(Event::Client(report)).await;
        })
    }
}

/// Entries as JSON lines in the shape `skope produce` reads.
fn write_jsonl(path: &str, entries: &[Arc<skope_client::Entry>]) -> Result<usize, String> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    for e in entries {
        writeln!(out, "{}", crate::jsonl::entry_line(e)).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(entries.len())
}

/// The OSC 52 "set clipboard" sequence for `text`.
#[must_use]
pub fn osc52_sequence(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Put `text` on the terminal's clipboard (works over SSH where the terminal supports it).
/// Written between frames, on the loop's own thread.
fn osc52(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = out.write_all(osc52_sequence(text).as_bytes());
    let _ = out.flush();
}

/// Abort a task; dropping what it holds closes its stream or subscription.
fn abort(task: Option<JoinHandle<()>>) {
    if let Some(t) = task {
        t.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_markers() {
        assert_eq!(osc52_sequence("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn exports_read_back_as_produce_records() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.jsonl");
        let entries: Vec<Arc<skope_client::Entry>> = (1..=3)
            .map(|i| skope_client::Entry {
                sequence: i,
                payload: Some(if i == 2 {
                    b"plain text".to_vec()
                } else {
                    format!("{{\"n\":{i}}}").into_bytes()
                }),
                space: "s".into(),
                segment: "g".into(),
                ..skope_client::Entry::default()
            })
            .map(Arc::new)
            .collect();
        let p = path.to_string_lossy().into_owned();
        assert_eq!(write_jsonl(&p, &entries), Ok(3));
        let text = std::fs::read_to_string(&path).expect("read");
        let back: Vec<_> = text
            .lines()
            .map(|l| crate::jsonl::parse_record_line(l).expect("record"))
            .collect();
        assert_eq!(back.len(), 3);
        assert_eq!(back[1].0, Some(2));
        assert_eq!(back[1].1.payload.as_deref(), Some(&b"plain text"[..]));
        assert_eq!(back[0].1.payload.as_deref(), Some(&b"{\"n\":1}"[..]));
    }
}
