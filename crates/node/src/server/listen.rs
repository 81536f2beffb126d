//! The TCP side of `skope serve` (PROTOCOL §2.1–2.3): one `GET /streamz` WebSocket endpoint,
//! with the HTTP outcomes of streamkit's Go server before the upgrade, and a graceful shutdown.
//!
//! Per connection, in Go's order: a path other than `/streamz` → 404; the token check (the
//! `Authorization: Bearer <jwt>` header, else the `app_token` cookie) → 401 `Unauthorized\n`
//! with `Content-Type: text/plain; charset=utf-8` and `X-Content-Type-Options: nosniff` (Go's
//! authentication middleware, and its session creation for scope errors, run before the
//! WebSocket handler); then the `Origin` check of x/net's WebSocket handler → 403 with an empty
//! body when it is missing or not a request URI. Tokens are never logged.

use super::{Access, Node, ws_config};
use crate::auth::{AuthError, TokenCheck};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// The only WebSocket path (PROTOCOL §2.1).
pub const ENDPOINT: &str = "/streamz";
/// The cookie streamkit's authentication middleware also reads a token from.
pub const TOKEN_COOKIE: &str = "app_token";
/// How long a client may take to complete the opening handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound of a graceful shutdown.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// Who may connect.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per server
pub enum Auth {
    /// A valid token is required; its scopes decide which stores it may use.
    Token(TokenCheck),
    /// No token: every store (the `Origin` header is still required, as in Go).
    Anonymous,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Auth::Token(..)"),
            Auth::Anonymous => f.write_str("Auth::Anonymous"),
        }
    }
}

/// A bound WebSocket server over a [`Node`].
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    node: Node,
    auth: Arc<Auth>,
    grace: Duration,
}

impl Server {
    /// Bind `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs, node: Node, auth: Auth) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server {
            listener,
            node,
            auth: Arc::new(auth),
            grace: DEFAULT_GRACE,
        })
    }

    /// The bound address.
    ///
    /// # Errors
    /// The socket's address cannot be read.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Bound the graceful shutdown (default 5 s): connections still open after it are dropped.
    #[must_use]
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Accept connections until `shutdown` completes, then shut down gracefully: stop
    /// accepting, end every channel's input, let each in-flight produce finish its chunk commit
    /// and send its status, send each connection a `close` frame and close it. Returns when
    /// every connection is done or the grace period is over.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server {
            listener,
            node,
            auth,
            grace,
        } = self;
        let drain = CancellationToken::new();
        let mut conns = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let _ = tcp.set_nodelay(true);
                        conns.spawn(connection(node.clone(), auth.clone(), tcp, peer, drain.clone()));
                    }
                    Err(e) => {
                        // E.g. out of file descriptors: try again shortly.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        info!(connections = conns.len(), "shutting down");
        drain.cancel();
        let all = async { while conns.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            warn!(
                connections = conns.len(),
                "graceful shutdown timed out: dropping connections"
            );
            conns.shutdown().await;
        }
    }
}

async fn connection(
    node: Node,
    auth: Arc<Auth>,
    tcp: TcpStream,
    peer: SocketAddr,
    drain: CancellationToken,
) {
    let mut granted = None;
    // The callback's type is tungstenite's.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| match authorize(&auth, req) {
        Ok(access) => {
            granted = Some(access);
            Ok(resp)
        }
        Err(refusal) => Err(refusal.response()),
    };
    let handshake =
        tokio_tungstenite::accept_hdr_async_with_config(tcp, callback, Some(ws_config()));
    let ws = tokio::select! {
        () = drain.cancelled() => return,
        r = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake) => match r {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => {
                debug!(%peer, error = %e, "handshake refused or failed");
                return;
            }
            Err(_) => {
                debug!(%peer, "handshake timed out");
                return;
            }
        },
    };
    let Some(access) = granted else { return };
    debug!(%peer, ?access, "connection upgraded");
    node.serve_ws_until(ws, access, drain).await;
    debug!(%peer, "connection closed");
}

/// Why an upgrade request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NotFound,
    Unauthorized,
    Forbidden,
}

impl Refusal {
    fn response(self) -> ErrorResponse {
        match self {
            // Go's `http.NotFound`.
            Refusal::NotFound => response(StatusCode::NOT_FOUND, "404 page not found\n", true),
            // Go's `http.Error(w, "Unauthorized", 401)`.
            Refusal::Unauthorized => response(StatusCode::UNAUTHORIZED, "Unauthorized\n", true),
            // x/net's `w.WriteHeader(http.StatusForbidden)`: no body.
            Refusal::Forbidden => response(StatusCode::FORBIDDEN, "", false),
        }
    }
}

/// The HTTP outcome of an upgrade request: the access it grants, or the refusal to send.
fn authorize(auth: &Auth, req: &Request) -> Result<Access, Refusal> {
    if req.uri().path() != ENDPOINT {
        return Err(Refusal::NotFound);
    }
    let access = match auth {
        Auth::Anonymous => Access::All,
        Auth::Token(check) => match token_access(check, req.headers()) {
            Ok(a) => a,
            Err(e) => {
                // The reason only: never the token.
                debug!(reason = %e, "unauthorized");
                return Err(Refusal::Unauthorized);
            }
        },
    };
    if !origin_ok(req.headers()) {
        debug!("forbidden: missing or invalid Origin");
        return Err(Refusal::Forbidden);
    }
    Ok(access)
}

/// The `Authorization` header when there is one, else the `app_token` cookie.
fn token_access(check: &TokenCheck, headers: &HeaderMap) -> Result<Access, AuthError> {
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        let value = h
            .to_str()
            .map_err(|_| AuthError::Invalid("non-ASCII authorization header".into()))?;
        return check.check(Some(value));
    }
    match cookie(headers, TOKEN_COOKIE) {
        Some(token) => check.check_token(token),
        None => Err(AuthError::Missing),
    }
}

/// The value of cookie `name` (surrounding double quotes removed), from any `Cookie` header.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            v.strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v)
        })
}

/// x/net's check: `url.ParseRequestURI(Origin)` must succeed (an absolute URI or an absolute
/// path; `foo` and the empty string fail).
fn origin_ok(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    is_request_uri(origin)
}

fn is_request_uri(s: &str) -> bool {
    if s.is_empty() || s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false;
    }
    if s.starts_with('/') {
        return true;
    }
    // scheme ":" …, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn response(status: StatusCode, body: &str, text_headers: bool) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(body.to_owned()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if text_headers {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_follow_parse_request_uri() {
        for ok in [
            "http://localhost",
            "https://a.example:8443/x",
            "/rel",
            "mailto:x",
        ] {
            assert!(is_request_uri(ok), "{ok}");
        }
        for bad in ["", "foo", "1http://x", ":x", "http://a\u{1}"] {
            assert!(!is_request_uri(bad), "{bad:?}");
        }
    }

    #[test]
    fn cookies_are_found() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; app_token=\"t.k.n\""),
        );
        assert_eq!(cookie(&h, TOKEN_COOKIE), Some("t.k.n"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
