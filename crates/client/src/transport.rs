//! The transport seam: a [`Connector`] dials once and hands back an upgraded WebSocket over any
//! byte pipe. The connection actor calls it whenever it needs a (new) connection.
//!
//! [`DuplexConnector`] speaks WebSocket over an in-process pipe (the embedded node hands out the
//! far end); [`crate::WsConnector`] dials TCP/TLS servers. Both end in [`upgrade`].

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
/// * HTTP 401: kind [`ErrorKind::Unauthorized`] (`unauthorized: the server refused the token
///   (HTTP 401)`), permanent;
/// * HTTP 403: kind [`ErrorKind::Forbidden`] (`forbidden (HTTP 403)`), permanent;
/// * any other answer than 101: kind [`ErrorKind::Connect`] naming the status;
/// * an I/O or protocol failure during the handshake: kind [`ErrorKind::Connect`].
pub async fn upgrade(io: BoxIo, url: &str, bearer: Option<&str>) -> Result<WsStream> {
    let mut request = url
        .into_client_request()
        .map_err(|e| Error::invalid_argument(format!("invalid address {url}: {e}")))?;
    request
        .headers_mut()
        .insert("Origin", HeaderValue::from_static(ORIGIN));
    if let Some(token) = bearer {
        // Never echo the value: the error names the problem only.
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::invalid_argument(
                "invalid token: it contains characters not allowed in an HTTP header",
            )
        })?;
        value.set_sensitive(true);
        request.headers_mut().insert("Authorization", value);
    }
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(request, io, Some(websocket_config()))
            .await
            .map_err(|e| handshake_error(e, bearer.is_some()))?;
    Ok(ws)
}

/// Map a failed client handshake to one clear error.
fn handshake_error(e: tokio_tungstenite::tungstenite::Error, had_token: bool) -> Error {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match e {
        WsError::Http(response) => {
            let status = response.status();
            match status.as_u16() {
                401 if had_token => Error::new(
                    ErrorKind::Unauthorized,
                    "unauthorized: the server refused the token (HTTP 401)",
                ),
                401 => Error::new(
                    ErrorKind::Unauthorized,
                    "unauthorized: the server requires a token and none was sent (HTTP 401)",
                ),
                403 => Error::new(ErrorKind::Forbidden, "forbidden (HTTP 403)"),
                _ => Error::new(
                    ErrorKind::Connect,
                    format!(
                        "websocket upgrade refused: HTTP {} {}",
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("")
                    )
                    .trim_end()
                    .to_owned(),
                ),
            }
        }
        other => Error::new(
            ErrorKind::Connect,
            format!("websocket handshake failed: {other}"),
        )
        .with_source(other),
    }
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
