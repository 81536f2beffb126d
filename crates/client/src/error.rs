//! Typed errors with the Go client's texts.
//!
//! An [`Error`] is a kind plus the exact text a Go streamkit client would print (CLIENT-API §8),
//! plus an optional source. It is `Clone` (sources live behind an `Arc`), so one connection loss
//! can fail every waiter with the same value.

use std::fmt;
use std::sync::Arc;

/// What went wrong, coarsely. The text carries the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Dialing the server failed (TCP, DNS, handshake, I/O, timeout, an unexpected HTTP status).
    Connect,
    /// The server refused the upgrade with HTTP 401: missing, invalid or expired token.
    /// Permanent unless the connector was told to retry auth failures.
    Unauthorized,
    /// The server refused the upgrade with HTTP 403.
    Forbidden,
    /// The TLS handshake failed (certificate not trusted, name mismatch, …).
    Tls,
    /// The connection carrying the stream went away (`muxer closed`, `heartbeat timeout`, I/O).
    ConnectionLost,
    /// The server ended the stream with an error (`remote closed stream: E`).
    RemoteClosed,
    /// The server's muxer failed the stream (`remote error: E`).
    RemoteError,
    /// The peer broke the protocol (undecodable frame or payload, unknown control type).
    Protocol,
    /// A consumed entry failed validation (`invalid consume entry payload`).
    InvalidEntry,
    /// An outgoing payload over 6 MiB (`muxer payload too large`).
    PayloadTooLarge,
    /// Produce input whose sequences are not contiguous (nothing was sent for that batch).
    NotContiguous,
    /// `lease not acquired: <message>`.
    LeaseNotAcquired,
    /// `produce failed: <err>` (publish).
    ProduceFailed,
    /// `no status confirmation from server` (publish).
    NoStatusConfirmation,
    /// A subscription's application heartbeat was not seen in time.
    HeartbeatLost,
    /// The caller passed something unusable.
    InvalidArgument,
    /// The client was closed, or the operation was cancelled.
    Closed,
}

/// A client error.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    message: Arc<str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    /// Overrides the classification of [`Error::is_retryable`] when set.
    retryable: Option<bool>,
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` whose `Display` is exactly `message`.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        Error {
            kind,
            message: message.into(),
            source: None,
            retryable: None,
        }
    }

    /// Attach a source error.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Force [`Error::is_retryable`] to answer `retryable` (e.g. a 401 while keys rotate).
    #[must_use]
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = Some(retryable);
        self
    }

    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The text (identical to `Display`).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying (re-opening the stream) may help: PROTOCOL §5.2 plus local kinds.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        if let Some(r) = self.retryable {
            return r;
        }
        match self.kind {
            ErrorKind::Unauthorized | ErrorKind::Forbidden => false,
            ErrorKind::Closed
            | ErrorKind::PayloadTooLarge
            | ErrorKind::NotContiguous
            | ErrorKind::LeaseNotAcquired
            | ErrorKind::InvalidEntry
            | ErrorKind::InvalidArgument
            | ErrorKind::Protocol => false,
            _ => is_retryable_text(&self.message),
        }
    }

    // Constructors for the texts of CLIENT-API §8.

    pub(crate) fn muxer_closed() -> Self {
        Error::new(
            ErrorKind::ConnectionLost,
            skope_proto::errors::text::MUXER_CLOSED,
        )
    }
    pub(crate) fn heartbeat_timeout() -> Self {
        Error::new(
            ErrorKind::ConnectionLost,
            skope_proto::errors::text::HEARTBEAT_TIMEOUT,
        )
    }
    pub(crate) fn payload_too_large() -> Self {
        Error::new(
            ErrorKind::PayloadTooLarge,
            skope_proto::errors::text::PAYLOAD_TOO_LARGE,
        )
    }
    pub(crate) fn invalid_entry() -> Self {
        Error::new(ErrorKind::InvalidEntry, "invalid consume entry payload")
    }
    pub(crate) fn closed() -> Self {
        Error::new(ErrorKind::Closed, "client closed")
    }
    pub(crate) fn cancelled() -> Self {
        Error::new(ErrorKind::Closed, "context canceled")
    }
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }
    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }
    /// The error a reader surfaces for a received stream-control message.
    pub(crate) fn from_control(control: &skope_proto::StreamControl) -> Option<Self> {
        let text = control.reader_error()?;
        let kind = match control.kind {
            skope_proto::ControlKind::Close => ErrorKind::RemoteClosed,
            skope_proto::ControlKind::Error => ErrorKind::RemoteError,
            skope_proto::ControlKind::Other(_) => ErrorKind::Protocol,
        };
        Some(Error::new(kind, text))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind)
            .field("message", &&*self.message);
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

/// Substrings that make an error permanent (PROTOCOL §5.2 rule 2, plus sequence errors, which a
/// retry can never fix, and context cancellation, rule 1).
const PERMANENT: &[&str] = &[
    "context canceled",
    "context deadline exceeded",
    "not found",
    "unauthorized",
    "forbidden",
    "access denied",
    "authentication failed",
    "invalid argument",
    "invalid request",
    "bad request",
    "permission denied",
    "stream receive buffer overloaded",
    "stream overloaded",
    "payload too large",
    "frame payload size exceeds limit",
    "sequence gap",
    "sequence mismatch",
    "invalid ",
    "not contiguous",
];

/// Substrings that make an error transient (PROTOCOL §5.2 rule 3).
const TRANSIENT: &[&str] = &[
    "connection refused",
    "connection reset",
    "timeout",
    "temporary failure",
    "service unavailable",
    "too many requests",
    "throttled",
    "429",
    "503",
    "504",
];

/// The text classification of PROTOCOL §5.2: permanent substrings first, then transient ones,
/// anything else retryable. Besides Go's list, `sequence gap`, `sequence mismatch`, `invalid …`
/// (e.g. `invalid produce args`, `invalid consume entry payload`) and `context canceled` are
/// permanent.
#[must_use]
pub fn is_retryable_text(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.is_empty() {
        return false;
    }
    if PERMANENT.iter().any(|p| lower.contains(p)) {
        return false;
    }
    if TRANSIENT.iter().any(|p| lower.contains(p)) {
        return true;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_go() {
        for permanent in [
            "remote closed stream: sequence gap: expected 7, got 100",
            "remote closed stream: sequence mismatch",
            "remote error: access denied",
            "remote error: stream receive buffer overloaded",
            "muxer payload too large",
            "remote closed stream: invalid request msg type: *api.GetStatus",
            "remote closed stream: invalid produce args",
            "invalid consume entry payload",
            "Unauthorized",
            "remote closed stream: context canceled",
            "segment not found",
        ] {
            assert!(!is_retryable_text(permanent), "{permanent}");
        }
        for transient in [
            "muxer closed",
            "heartbeat timeout",
            "remote error: store unavailable",
            "connection reset by peer",
            "remote closed stream: failed to commit batch",
            "HTTP 503",
            "remote error: too many active streams",
        ] {
            assert!(is_retryable_text(transient), "{transient}");
        }
    }

    #[test]
    fn kinds_override_text() {
        assert!(!Error::closed().is_retryable());
        assert!(!Error::payload_too_large().is_retryable());
        assert!(Error::muxer_closed().is_retryable());
        assert!(Error::heartbeat_timeout().is_retryable());
        assert_eq!(Error::muxer_closed().to_string(), "muxer closed");
        let e = Error::new(
            ErrorKind::Unauthorized,
            "unauthorized: the server refused the token (HTTP 401)",
        );
        assert!(!e.is_retryable());
        assert!(e.clone().with_retryable(true).is_retryable());
        assert!(!Error::new(ErrorKind::Forbidden, "forbidden (HTTP 403)").is_retryable());
        assert!(!Error::muxer_closed().with_retryable(false).is_retryable());
    }

    #[test]
    fn control_texts() {
        let e = Error::from_control(&skope_proto::StreamControl::close_with(
            "sequence gap: expected 7, got 100",
        ));
        assert_eq!(
            e.map(|e| (e.kind(), e.to_string())),
            Some((
                ErrorKind::RemoteClosed,
                "remote closed stream: sequence gap: expected 7, got 100".to_owned()
            ))
        );
        let e = Error::from_control(&skope_proto::StreamControl::error("access denied"));
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("remote error: access denied")
        );
        assert!(Error::from_control(&skope_proto::StreamControl::close()).is_none());
    }
}
