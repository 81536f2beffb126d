//! The server side of the streamkit protocol: the muxer of one WebSocket connection
//! ([`conn`]), the router that dispatches each channel on its request envelope ([`router`]),
//! and the per-store hubs (segment-status subscriptions, leases, worker presence).

mod channel;
mod conn;
mod hub;
mod leases;
pub mod listen;
mod produce;
mod reads;
mod router;
mod subs;
mod workers;

use crate::storage::{Storage, StorageError};
use hub::StoreHub;
use skope_proto::{MAX_FRAME_BYTES, Uuid};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

/// Which stores a connection may use (from the token's `streamkit::` scopes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// `streamkit::*`.
    All,
    /// `streamkit::<uuid>` for each listed store.
    Stores(Vec<Uuid>),
}

impl Access {
    /// Whether frames for `store` may be served.
    #[must_use]
    pub fn allows(&self, store: Uuid) -> bool {
        match self {
            Access::All => true,
            Access::Stores(ids) => ids.contains(&store),
        }
    }
}

/// Timing knobs of the connection heartbeat (PROTOCOL §2.5). The defaults are Go's; tests
/// shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeOptions {
    /// Base interval between the server's own pings (Go: 30 s).
    pub ping_interval: Duration,
    /// Random amount subtracted from each interval, uniform in `[0, jitter)` (Go: 5 s).
    pub ping_jitter: Duration,
    /// Silence after which the connection is shut down (Go: 90 s).
    pub idle_timeout: Duration,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            ping_interval: Duration::from_secs(30),
            ping_jitter: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(90),
        }
    }
}

/// Errors of [`Node::open`].
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("cannot open the data directory: {0}")]
    Storage(#[from] StorageError),
}

/// Capacity of the in-process byte pipe of [`Node::connect_in_process`].
const DUPLEX_BYTES: usize = 1 << 20;

/// The embedded node: storage plus the protocol server. Cheap to clone.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    options: NodeOptions,
    hubs: tokio::sync::Mutex<HashMap<Uuid, Arc<StoreHub>>>,
    conns: Mutex<HashMap<u64, CancellationToken>>,
    next_conn: AtomicU64,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("storage", &self.inner.storage)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Open a node on `data_dir` (stores live in `<data_dir>/stores/<uuid>.redb`).
    ///
    /// # Errors
    /// The data directory cannot be created.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Node, NodeError> {
        Self::open_with(data_dir, NodeOptions::default())
    }

    /// [`Node::open`] with explicit heartbeat timings.
    ///
    /// # Errors
    /// The data directory cannot be created.
    pub fn open_with(data_dir: impl AsRef<Path>, options: NodeOptions) -> Result<Node, NodeError> {
        let storage = Storage::open(data_dir)?;
        Ok(Node {
            inner: Arc::new(Inner {
                storage,
                options,
                hubs: tokio::sync::Mutex::new(HashMap::new()),
                conns: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(1),
            }),
        })
    }

    /// The node's storage (synchronous API; call it from blocking threads).
    #[must_use]
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// Serve one upgraded WebSocket until the connection ends.
    pub async fn serve_ws<S>(&self, ws: WebSocketStream<S>, access: Access)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.serve_ws_until(ws, access, CancellationToken::new())
            .await;
    }

    /// [`Node::serve_ws`] that ends gracefully once `drain` is cancelled: the channels'
    /// input ends, in-flight produce commits finish and report, then the `close` frame.
    pub(crate) async fn serve_ws_until<S>(
        &self,
        ws: WebSocketStream<S>,
        access: Access,
        drain: CancellationToken,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let abort = CancellationToken::new();
        self.conns().insert(id, abort.clone());
        conn::serve(self.clone(), ws, access, abort, drain).await;
        self.conns().remove(&id);
    }

    /// Perform the server side of the WebSocket handshake on `io` (frames and messages up to
    /// 8 MiB), then [`Node::serve_ws`]. A failed handshake just ends.
    pub async fn serve_io<S>(&self, io: S, access: Access)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        match tokio_tungstenite::accept_async_with_config(io, Some(ws_config())).await {
            Ok(ws) => self.serve_ws(ws, access).await,
            Err(e) => tracing::debug!(error = %e, "websocket handshake failed"),
        }
    }

    /// A byte pipe whose far end is served by this node with full access; the caller performs
    /// the client side of a real WebSocket handshake on it. Must be called inside a Tokio
    /// runtime.
    #[must_use]
    pub fn connect_in_process(&self) -> DuplexStream {
        let (client, server) = tokio::io::duplex(DUPLEX_BYTES);
        let node = self.clone();
        tokio::spawn(async move { node.serve_io(server, Access::All).await });
        client
    }

    /// Abruptly drop every live connection (no close frame): failure injection for tests.
    pub fn disconnect_all(&self) {
        let conns: Vec<CancellationToken> = self.conns().drain().map(|(_, t)| t).collect();
        for t in conns {
            t.cancel();
        }
    }

    /// Number of live connections.
    #[must_use]
    pub fn connection_count(&self) -> usize {
        self.conns().len()
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, HashMap<u64, CancellationToken>> {
        self.inner
            .conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn options(&self) -> NodeOptions {
        self.inner.options
    }

    /// The hub of store `id`, opening the store on first use.
    pub(crate) async fn hub(&self, id: Uuid) -> Result<Arc<StoreHub>, StorageError> {
        let mut hubs = self.inner.hubs.lock().await;
        if let Some(h) = hubs.get(&id) {
            return Ok(h.clone());
        }
        let node = self.clone();
        let store = tokio::task::spawn_blocking(move || node.inner.storage.store(id))
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e.to_string())))??;
        let hub = StoreHub::new(store);
        hubs.insert(id, hub.clone());
        Ok(hub)
    }
}

/// WebSocket limits of both sides (PROTOCOL §2.7).
#[must_use]
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .max_message_size(Some(MAX_FRAME_BYTES))
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
