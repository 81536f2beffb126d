//! The transport seam: a [`Connector`] dials once and hands back an upgraded WebSocket over any
//! byte pipe. The connection actor calls it whenever it needs a (new) connection.
//!
//! [`DuplexConnector`] speaks WebSocket over an in-process pipe (the embedded node hands out the
//! far end). A TCP/TLS connector only has to implement [`Connector`] the same way.

use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use skope_proto::MAX_FRAME_BYTES;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Any byte pipe a WebSocket can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// A boxed byte pipe.
pub type BoxIo = Box<dyn Io>;

/// An upgraded WebSocket over a boxed pipe.
pub type WsStream = tokio_tungstenite::WebSocketStream<BoxIo>;

/// Dials one connection. Called again for every reconnect.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Dial and upgrade once. No retries here: the client's retry policy drives them.
    async fn connect(&self) -> Result<WsStream>;
}

/// The `Origin` streamkit's Go server insists on (PROTOCOL §2.2).
pub const ORIGIN: &str = "http://localhost";

/// The WebSocket settings both connectors use: inbound frames up to 8 MiB (PROTOCOL §2.7).
#[must_use]
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
}

/// Upgrade `io` as a client for `url` with the streamkit headers (`Origin`, and `Authorization`
/// when a token is given). Shared by every connector.
///
/// # Errors
/// A handshake failure (kind [`ErrorKind::Connect`]).
pub async fn upgrade(io: BoxIo, url: &str, bearer: Option<&str>) -> Result<WsStream> {
    let connect_err =
        |e: tokio_tungstenite::tungstenite::Error| Error::new(ErrorKind::Connect, e.to_string());
    let mut request = url.into_client_request().map_err(connect_err)?;
    request
        .headers_mut()
        .insert("Origin", HeaderValue::from_static(ORIGIN));
    if let Some(token) = bearer {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| Error::invalid_argument(format!("invalid token: {e}")))?;
        request.headers_mut().insert("Authorization", value);
    }
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(request, io, Some(websocket_config()))
            .await
            .map_err(connect_err)?;
    Ok(ws)
}

/// WebSocket over an in-process pipe: every dial asks `make` for a fresh pipe.
#[derive(Clone)]
pub struct DuplexConnector {
    make: Arc<dyn Fn() -> BoxIo + Send + Sync>,
}

impl DuplexConnector {
    /// `make` returns a new pipe whose far end is served by a node.
    pub fn new(make: impl Fn() -> BoxIo + Send + Sync + 'static) -> Self {
        DuplexConnector {
            make: Arc::new(make),
        }
    }
}

impl std::fmt::Debug for DuplexConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DuplexConnector")
    }
}

#[async_trait]
impl Connector for DuplexConnector {
    async fn connect(&self) -> Result<WsStream> {
        upgrade((self.make)(), "ws://in-process/streamz", None).await
    }
}
