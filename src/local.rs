//! Sharing one embedded data dir between several skope processes.
//!
//! redb lets one process open a store file. The first skope on a data dir takes the dir's lock,
//! opens the node and serves it on `<data_dir>/skope.sock` with the same `/streamz` protocol;
//! later processes dial that socket. When the owner exits, the next dial of a guest takes the
//! lock and becomes the owner, so a `consume --follow` outlives the `publish` that started first.

use async_trait::async_trait;
use skope_client::{BoxIo, Connector, ErrorKind, WsStream, upgrade};
use skope_node::{Access, Node};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio::net::{UnixListener, UnixStream};

const LOCK_FILE: &str = "skope.lock";
const SOCKET_FILE: &str = "skope.sock";
/// The URL of the WebSocket handshake over a local pipe (only its path is looked at).
const IN_PROCESS_URL: &str = "ws://localhost/streamz";

/// What this process holds while it owns the data dir.
struct Owned {
    node: Node,
    _lock: File,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A connector to the embedded node of a data dir, owned here or by another skope process.
pub struct LocalConnector {
    dir: PathBuf,
    owned: Mutex<Option<Owned>>,
}

/// Errors of taking a data dir.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot use data dir {dir}: {source}")]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the embedded store in {dir}: {message}")]
    Node { dir: PathBuf, message: String },
}

impl LocalConnector {
    /// Prepare the data dir (nothing is opened until the first dial).
    ///
    /// # Errors
    /// The dir cannot be created.
    pub fn new(dir: &Path) -> Result<Self, LocalError> {
        std::fs::create_dir_all(dir).map_err(|source| LocalError::Io {
            dir: dir.to_owned(),
            source,
        })?;
        Ok(LocalConnector {
            dir: dir.to_owned(),
            owned: Mutex::new(None),
        })
    }

    /// The node, when this process owns the data dir.
    #[must_use]
    pub fn node(&self) -> Option<Node> {
        self.owned.lock().ok()?.as_ref().map(|o| o.node.clone())
    }

    /// Take the dir if nobody holds it: open the node and start serving the socket.
    fn try_own(&self) -> Result<Option<Node>, LocalError> {
        let mut owned = self
            .owned
            .lock()
            .map_err(|_| self.node_error("lock poisoned"))?;
        if let Some(o) = owned.as_ref() {
            return Ok(Some(o.node.clone()));
        }
        let Some(lock) = try_lock_dir(&self.dir)? else {
            return Ok(None);
        };
        let node = Node::open(&self.dir).map_err(|e| self.node_error(&e.to_string()))?;
        let server = share(&self.dir, &node);
        *owned = Some(Owned {
            node: node.clone(),
            _lock: lock,
            server,
        });
        Ok(Some(node))
    }

    fn node_error(&self, message: &str) -> LocalError {
        LocalError::Node {
            dir: self.dir.clone(),
            message: message.to_owned(),
        }
    }
}

/// Take the lock of data dir `dir` (created if needed); `Ok(None)` when another skope process
/// holds it. The dir is this process's while the returned file is open.
///
/// # Errors
/// The dir or its lock file cannot be created or locked.
pub fn try_lock_dir(dir: &Path) -> Result<Option<File>, LocalError> {
    let io_err = |source| LocalError::Io {
        dir: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(io_err)?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(e)),
    }
}

/// Serve `node` to the other skope processes of data dir `dir` on `<dir>/skope.sock` (the
/// caller holds the dir's lock). Abort the task to stop sharing.
pub fn share(dir: &Path, node: &Node) -> tokio::task::JoinHandle<()> {
    let socket = dir.join(SOCKET_FILE);
    let _ = std::fs::remove_file(&socket); // stale: its owner is gone (we hold the lock)
    match UnixListener::bind(&socket) {
        Ok(listener) => tokio::spawn(serve(listener, node.clone())),
        // No socket (e.g. a path too long): this process still works, alone.
        Err(e) => {
            tracing::warn!(error = %e, path = %socket.display(), "not sharing the data dir");
            tokio::spawn(async {})
        }
    }
}

async fn serve(listener: UnixListener, node: Node) {
    while let Ok((stream, _)) = listener.accept().await {
        let node = node.clone();
        tokio::spawn(async move { node.serve_io(stream, Access::All).await });
    }
}

#[async_trait]
impl Connector for LocalConnector {
    async fn connect(&self) -> Result<WsStream, skope_client::Error> {
        let io: BoxIo = match self
            .try_own()
            .map_err(|e| skope_client::Error::new(ErrorKind::Connect, e.to_string()))?
        {
            Some(node) => Box::new(node.connect_in_process()),
            None => match UnixStream::connect(self.dir.join(SOCKET_FILE)).await {
                Ok(s) => Box::new(s),
                // The owner is exiting: the next attempt takes the dir.
                Err(e) => {
                    return Err(skope_client::Error::new(
                        ErrorKind::Connect,
                        format!(
                            "data dir {} is held by another skope process that does not answer: {e}",
                            self.dir.display()
                        ),
                    ));
                }
            },
        };
        upgrade(io, IN_PROCESS_URL, None).await
    }
}
