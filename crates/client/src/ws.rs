//! [`WsConnector`]: the real transport, WebSocket over TCP (`ws://`) or TLS (`wss://`) to a
//! streamkit server's `/streamz` endpoint (PROTOCOL §2, §7.2).
//!
//! * Address normalization as Go's provider: strip every trailing `/`, append `/streamz`
//!   ([`normalize_address`]).
//! * Every dial fetches a fresh token from its [`TokenSource`] (a file is re-read, a command is
//!   re-run: short-lived JWTs just work) and sends `Authorization: Bearer <token>` with
//!   `Origin: http://localhost`.
//! * TLS: rustls with the `ring` provider; the system's roots (webpki's bundled roots if the
//!   system has none), plus an optional private CA from a PEM file.
//! * Failures are one clear error each: HTTP 401 → [`ErrorKind::Unauthorized`] (permanent unless
//!   [`WsConnectorBuilder::retry_auth_failures`]), HTTP 403 → [`ErrorKind::Forbidden`], other
//!   statuses name the status, TLS failures are [`ErrorKind::Tls`], refused connections and DNS
//!   failures are retryable [`ErrorKind::Connect`] errors naming the address.
//! * Tokens never reach a log: `Debug` impls redact them, error texts never contain them, and the
//!   header value is marked sensitive.
//!
//! One call to [`Connector::connect`] is one dial; the client's connection actor decides when to
//! dial (with its own bounded, jittered backoff between failed dials).

use crate::error::{Error, ErrorKind, Result};
use crate::transport::{BoxIo, Connector, WsStream, upgrade};
use async_trait::async_trait;
use futures::future::BoxFuture;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

/// Default bound of one dial (token, TCP, TLS and the WebSocket handshake together).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A custom token callback: called on every dial.
pub type TokenFn = Arc<dyn Fn() -> BoxFuture<'static, Result<String>> + Send + Sync>;

/// Called with the error of every failed dial (e.g. to invalidate a cached token).
pub type DialFailureHook = Arc<dyn Fn(&Error) + Send + Sync>;

/// Where the bearer token of each dial comes from. Fetched again on **every** dial.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// No `Authorization` header.
    #[default]
    None,
    /// This token, always.
    Static(String),
    /// The contents of this file (surrounding whitespace trimmed), re-read on every dial.
    File(PathBuf),
    /// The standard output of this shell command (`sh -c`, trimmed), re-run on every dial.
    Command(String),
    /// Whatever this callback returns, called on every dial.
    Custom(TokenFn),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::None => f.write_str("None"),
            TokenSource::Static(_) => f.write_str("Static(<redacted>)"),
            TokenSource::File(p) => f.debug_tuple("File").field(p).finish(),
            // A command line may embed a secret (`echo $TOKEN` is fine, `echo eyJ…` is not).
            TokenSource::Command(_) => f.write_str("Command(<redacted>)"),
            TokenSource::Custom(_) => f.write_str("Custom(<fn>)"),
        }
    }
}

impl TokenSource {
    /// A [`TokenSource::Custom`] from an async closure.
    pub fn custom<F, Fut>(f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<String>> + Send + 'static,
    {
        TokenSource::Custom(Arc::new(move || Box::pin(f())))
    }

    /// Fetch the token for one dial (`None`: send no `Authorization` header).
    ///
    /// # Errors
    /// The file cannot be read, the command cannot run or exits non-zero, the callback fails
    /// (kind [`ErrorKind::Connect`], retryable: the token service may come back).
    pub async fn fetch(&self) -> Result<Option<String>> {
        match self {
            TokenSource::None => Ok(None),
            TokenSource::Static(t) => Ok(Some(t.clone())),
            TokenSource::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    Error::new(
                        ErrorKind::Connect,
                        format!("cannot read the token file {}: {e}", path.display()),
                    )
                })?;
                Ok(Some(text.trim().to_owned()))
            }
            TokenSource::Command(cmd) => run_token_command(cmd).await.map(Some),
            TokenSource::Custom(f) => f().await.map(|t| Some(t.trim().to_owned())),
        }
    }
}

async fn run_token_command(cmd: &str) -> Result<String> {
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Connect,
                format!("cannot run the token command: {e}"),
            )
        })?;
    if !out.status.success() {
        // stderr only: stdout would be the token.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr: String = stderr.trim().chars().take(200).collect();
        let detail = if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        };
        return Err(Error::new(
            ErrorKind::Connect,
            format!("the token command failed ({}){detail}", out.status),
        ));
    }
    let token = String::from_utf8(out.stdout).map_err(|_| {
        Error::new(
            ErrorKind::Connect,
            "the token command printed something that is not UTF-8",
        )
    })?;
    Ok(token.trim().to_owned())
}

/// Go's address normalization (PROTOCOL §2.1): strip every trailing `/`, append `/streamz`.
/// The scheme must be `ws` or `wss`.
///
/// ```
/// # use skope_client::normalize_address;
/// assert_eq!(normalize_address("wss://api.example.com/").unwrap(), "wss://api.example.com/streamz");
/// assert_eq!(normalize_address("ws://10.0.0.5:8080/base//").unwrap(), "ws://10.0.0.5:8080/base/streamz");
/// assert!(normalize_address("http://localhost:8080").is_err());
/// ```
///
/// # Errors
/// Another scheme (`http(s)://` gets a hint), no scheme, or no host (kind
/// [`ErrorKind::InvalidArgument`]).
pub fn normalize_address(address: &str) -> Result<String> {
    let address = address.trim();
    let Some((scheme, rest)) = address.split_once("://") else {
        return Err(Error::invalid_argument(format!(
            "invalid server address {address:?}: expected ws://host[:port][/path] or wss://…"
        )));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "ws" | "wss" => {}
        "http" | "https" => {
            let suggested = if scheme.eq_ignore_ascii_case("https") {
                "wss"
            } else {
                "ws"
            };
            return Err(Error::invalid_argument(format!(
                "invalid server address {address:?}: streamkit speaks WebSocket, use \
                 {suggested}://{rest} (the client appends /streamz itself)"
            )));
        }
        other => {
            return Err(Error::invalid_argument(format!(
                "invalid server address {address:?}: unsupported scheme {other:?} (use ws:// or wss://)"
            )));
        }
    }
    let host_part = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host_part.is_empty() {
        return Err(Error::invalid_argument(format!(
            "invalid server address {address:?}: no host"
        )));
    }
    let trimmed = address.trim_end_matches('/');
    Ok(format!("{trimmed}/streamz"))
}

/// Where to dial, derived from the normalized URL.
#[derive(Debug, Clone)]
struct Target {
    url: String,
    host: String,
    port: u16,
    tls: bool,
}

fn target(url: &str) -> Result<Target> {
    let uri: tokio_tungstenite::tungstenite::http::Uri = url
        .parse()
        .map_err(|e| Error::invalid_argument(format!("invalid server address {url:?}: {e}")))?;
    let tls = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("wss"));
    let host = uri.host().ok_or_else(|| {
        Error::invalid_argument(format!("invalid server address {url:?}: no host"))
    })?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok(Target {
        url: url.to_owned(),
        host,
        port,
        tls,
    })
}

/// The TLS roots: the system's (or webpki's bundled ones if the system has none) plus `ca_file`.
fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        let bad = |e: &dyn std::fmt::Display| {
            Error::invalid_argument(format!("cannot load the CA file {}: {e}", path.display()))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(&e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad(&e))?;
        if certs.is_empty() {
            return Err(bad(&"no PEM certificate in it"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid_argument(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Builds a [`WsConnector`].
#[must_use]
pub struct WsConnectorBuilder {
    address: String,
    token: TokenSource,
    ca_file: Option<PathBuf>,
    on_dial_failure: Option<DialFailureHook>,
    retry_auth_failures: bool,
    connect_timeout: Duration,
}

impl std::fmt::Debug for WsConnectorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConnectorBuilder")
            .field("address", &self.address)
            .field("token", &self.token)
            .field("ca_file", &self.ca_file)
            .field("retry_auth_failures", &self.retry_auth_failures)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl WsConnectorBuilder {
    /// Where each dial's bearer token comes from (default: none).
    pub fn token(mut self, token: TokenSource) -> Self {
        self.token = token;
        self
    }

    /// A PEM file of extra CA certificates to trust (a private CA), added to the system roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Called with the error of every failed dial (e.g. to invalidate a cached token).
    pub fn on_dial_failure(mut self, hook: DialFailureHook) -> Self {
        self.on_dial_failure = Some(hook);
        self
    }

    /// Treat HTTP 401 as transient (keys being rotated) instead of permanent (default `false`).
    pub fn retry_auth_failures(mut self, retry: bool) -> Self {
        self.retry_auth_failures = retry;
        self
    }

    /// Bound of one dial: token, TCP connect, TLS and WebSocket handshakes (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Validate the address, load the TLS roots (for `wss://`).
    ///
    /// # Errors
    /// An unusable address (kind [`ErrorKind::InvalidArgument`]); an unreadable or empty CA
    /// file.
    pub fn build(self) -> Result<WsConnector> {
        let url = normalize_address(&self.address)?;
        let target = target(&url)?;
        let tls = if target.tls {
            let name = ServerName::try_from(target.host.clone()).map_err(|e| {
                Error::invalid_argument(format!(
                    "invalid server address {url:?}: bad TLS server name: {e}"
                ))
            })?;
            Some((
                TlsConnector::from(tls_config(self.ca_file.as_deref())?),
                name,
            ))
        } else {
            if let Some(ca) = &self.ca_file {
                tracing::debug!(ca_file = %ca.display(), "ca_file ignored for a ws:// address");
            }
            None
        };
        Ok(WsConnector {
            inner: Arc::new(WsInner {
                target,
                tls,
                token: self.token,
                on_dial_failure: self.on_dial_failure,
                retry_auth_failures: self.retry_auth_failures,
                connect_timeout: self.connect_timeout,
            }),
        })
    }
}

struct WsInner {
    target: Target,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    token: TokenSource,
    on_dial_failure: Option<DialFailureHook>,
    retry_auth_failures: bool,
    connect_timeout: Duration,
}

/// WebSocket over TCP or TLS to a streamkit server. Cheap to clone.
#[derive(Clone)]
pub struct WsConnector {
    inner: Arc<WsInner>,
}

impl std::fmt::Debug for WsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConnector")
            .field("url", &self.inner.target.url)
            .field("tls", &self.inner.tls.is_some())
            .field("token", &self.inner.token)
            .field("retry_auth_failures", &self.inner.retry_auth_failures)
            .field("connect_timeout", &self.inner.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl WsConnector {
    /// A builder for the server at `address` (`ws://host:port[/path]` or `wss://…`).
    pub fn builder(address: impl Into<String>) -> WsConnectorBuilder {
        WsConnectorBuilder {
            address: address.into(),
            token: TokenSource::None,
            ca_file: None,
            on_dial_failure: None,
            retry_auth_failures: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The normalized endpoint URL (`…/streamz`).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.inner.target.url
    }

    async fn dial(&self) -> Result<WsStream> {
        let inner = &self.inner;
        let t = &inner.target;
        let token = inner.token.fetch().await?;
        let addr = format!("{}:{}", t.host, t.port);
        let tcp = TcpStream::connect((t.host.as_str(), t.port))
            .await
            .map_err(|e| {
                Error::new(ErrorKind::Connect, format!("cannot connect to {addr}: {e}"))
                    .with_source(e)
            })?;
        let _ = tcp.set_nodelay(true);
        let io: BoxIo = match &inner.tls {
            Some((connector, name)) => {
                let stream = connector.connect(name.clone(), tcp).await.map_err(|e| {
                    Error::new(
                        ErrorKind::Tls,
                        format!("TLS handshake with {addr} failed: {e}"),
                    )
                    .with_source(e)
                })?;
                Box::new(stream)
            }
            None => Box::new(tcp),
        };
        upgrade(io, &t.url, token.as_deref())
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::Unauthorized if inner.retry_auth_failures => e.with_retryable(true),
                _ => e,
            })
    }
}

#[async_trait]
impl Connector for WsConnector {
    async fn connect(&self) -> Result<WsStream> {
        let timeout = self.inner.connect_timeout;
        let r = match tokio::time::timeout(timeout, self.dial()).await {
            Ok(r) => r,
            Err(_) => Err(Error::new(
                ErrorKind::Connect,
                format!(
                    "timeout connecting to {} after {timeout:?}",
                    self.inner.target.url
                ),
            )),
        };
        if let Err(e) = &r {
            tracing::debug!(url = %self.inner.target.url, error = %e, "dial failed");
            if let Some(hook) = &self.inner.on_dial_failure {
                hook(e);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_follows_go() {
        let ok = |a: &str| normalize_address(a).map_err(|e| e.to_string());
        assert_eq!(
            ok("wss://api.example.com/").as_deref(),
            Ok("wss://api.example.com/streamz")
        );
        assert_eq!(
            ok("ws://10.0.0.5:8080/base//").as_deref(),
            Ok("ws://10.0.0.5:8080/base/streamz")
        );
        assert_eq!(
            ok("ws://h:1/streamz").as_deref(),
            Ok("ws://h:1/streamz/streamz")
        );
        assert_eq!(ok("ws://h:1").as_deref(), Ok("ws://h:1/streamz"));
        assert_eq!(ok("WSS://h").as_deref(), Ok("WSS://h/streamz"));
        let err = normalize_address("http://localhost:8080/").expect_err("http");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.to_string().contains("use ws://localhost:8080/"),
            "{err}"
        );
        let err = normalize_address("https://h").expect_err("https");
        assert!(err.to_string().contains("use wss://h"), "{err}");
        assert!(normalize_address("localhost:8080").is_err());
        assert!(normalize_address("ftp://h").is_err());
        assert!(normalize_address("ws://").is_err());
        assert!(normalize_address("ws:///x").is_err());
    }

    #[test]
    fn targets() {
        let t = target("ws://127.0.0.1:9/streamz").expect("target");
        assert_eq!((t.host.as_str(), t.port, t.tls), ("127.0.0.1", 9, false));
        let t = target("wss://example.com/x/streamz").expect("target");
        assert_eq!((t.host.as_str(), t.port, t.tls), ("example.com", 443, true));
        let t = target("ws://[::1]:8/streamz").expect("target");
        assert_eq!((t.host.as_str(), t.port), ("::1", 8));
    }

    #[test]
    fn debug_redacts_tokens() {
        let c = WsConnector::builder("ws://h:1")
            .token(TokenSource::Static("s3cr3t-token".into()))
            .build()
            .expect("build");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        let shown = format!("{:?}", TokenSource::Command("echo s3cr3t".into()));
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[tokio::test]
    async fn token_sources() {
        assert_eq!(TokenSource::None.fetch().await.ok(), Some(None));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "abc\n").expect("write");
        let file = TokenSource::File(path.clone());
        assert_eq!(file.fetch().await.ok().flatten().as_deref(), Some("abc"));
        std::fs::write(&path, "def").expect("write");
        assert_eq!(file.fetch().await.ok().flatten().as_deref(), Some("def"));
        let cmd = TokenSource::Command("printf ' t0k \\n'".into());
        assert_eq!(cmd.fetch().await.ok().flatten().as_deref(), Some("t0k"));
        let err = TokenSource::Command("echo oops >&2; exit 3".into())
            .fetch()
            .await
            .expect_err("failing command");
        assert!(err.to_string().contains("oops"), "{err}");
        assert!(err.is_retryable());
        let custom = TokenSource::custom(|| async { Ok("c".to_owned()) });
        assert_eq!(custom.fetch().await.ok().flatten().as_deref(), Some("c"));
        let missing = TokenSource::File(dir.path().join("nope"))
            .fetch()
            .await
            .expect_err("missing");
        assert!(missing.to_string().contains("token file"), "{missing}");
    }
}
