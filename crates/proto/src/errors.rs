//! streamkit's error vocabulary (`pkg/api/errors.go` and the texts of PROTOCOL.md §5).
//! Only the text crosses the wire; codes are in-process.

/// `ErrCodeTransient` / `ErrCodePermanent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Transient = 1,
    Permanent = 2,
}

/// A streamkit error with its code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StreamsError {
    pub code: ErrorCode,
    pub message: String,
}

macro_rules! predefined {
    ($($name:ident = $code:ident, $text:literal;)*) => {
        $(pub const $name: (ErrorCode, &str) = (ErrorCode::$code, $text);)*
        /// All predefined errors, in `pkg/api/errors.go` order.
        pub const PREDEFINED: &[(ErrorCode, &str)] = &[$($name,)*];
    };
}

predefined! {
    ERR_COMMIT_BATCH = Transient, "failed to commit batch";
    ERR_GET_TRANSACTION = Transient, "failed to get transaction";
    ERR_MARSHAL_ENTRY = Transient, "failed to marshal entry";
    ERR_MARSHAL_TRX = Transient, "failed to marshal transaction";
    ERR_OPEN_DB = Transient, "failed to open pebble db";
    ERR_SEQ_NUMBER_AHEAD = Transient, "sequence number mismatch, the node is ahead";
    ERR_SEQ_NUMBER_BEHIND = Transient, "sequence number mismatch, the node is behind";
    ERR_SEQUENCE_MISMATCH = Permanent, "sequence mismatch";
    ERR_SET_ENTRY_SEGMENT = Transient, "failed to set entry in segment";
    ERR_SET_ENTRY_SPACE = Transient, "failed to set entry in space";
    ERR_TRX_EMPTY = Transient, "transaction is empty";
    ERR_TRX_ID_MISMATCH = Permanent, "Transaction ID mismatch";
    ERR_TRX_NOT_FOUND = Transient, "transaction not found";
    ERR_TRX_NUMBER_AHEAD = Permanent, "transaction number mismatch, the node is ahead";
    ERR_TRX_NUMBER_BEHIND = Permanent, "transaction number mismatch, the node is behind";
    ERR_TRX_PENDING = Transient, "transaction is pending";
    ERR_UNMARSHAL_TRX = Transient, "failed to unmarshal transaction";
    ERR_UPDATE_SEGMENT_INVENTORY = Transient, "failed to update segment inventory";
    ERR_UPDATE_SPACE_INVENTORY = Transient, "failed to update space inventory";
    ERR_WRITE_TRX = Transient, "failed to write transaction";
}

/// Texts a server sends (exact strings a client may match).
pub mod text {
    pub const ACCESS_DENIED: &str = "access denied";
    pub const STORE_UNAVAILABLE: &str = "store unavailable";
    pub const TOO_MANY_STREAMS: &str = "too many active streams";
    pub const OVERLOADED: &str = "stream receive buffer overloaded";
    pub const INVALID_PRODUCE_ARGS: &str = "invalid produce args";
    pub const CONTEXT_CANCELED: &str = "context canceled";
    pub const LEASE_KEY_EMPTY: &str = "lease key must not be empty";
    pub const LEASE_HOLDER_EMPTY: &str = "lease holder must not be empty";
    pub const LEASE_TTL_NOT_POSITIVE: &str = "ttl_seconds must be positive";
    pub const LEASE_TTL_TOO_LARGE: &str = "ttl_seconds exceeds maximum of 86400";
    pub const WORKER_TAKEN_OVER: &str = "worker_id registered by another stream";
    pub const MUXER_CLOSED: &str = "muxer closed";
    pub const HEARTBEAT_TIMEOUT: &str = "heartbeat timeout";
    pub const PAYLOAD_TOO_LARGE: &str = "muxer payload too large";

    /// `sequence gap: expected <n>, got <m>`.
    #[must_use]
    pub fn sequence_gap(expected: u64, got: u64) -> String {
        format!("sequence gap: expected {expected}, got {got}")
    }

    /// `(expected, got)` of a [`sequence_gap`] text, wherever it stands in `text`.
    #[must_use]
    pub fn parse_sequence_gap(text: &str) -> Option<(u64, u64)> {
        let rest = text.split("sequence gap: expected ").nth(1)?;
        let (expected, got) = rest.split_once(", got ")?;
        let got = got.split(|c: char| !c.is_ascii_digit()).next()?;
        Some((expected.parse().ok()?, got.parse().ok()?))
    }

    /// `invalid request msg type: *api.<T>`.
    #[must_use]
    pub fn invalid_request_type(go_type: &str) -> String {
        format!("invalid request msg type: *api.{go_type}")
    }

    /// `worker presence renew worker_id mismatch: expected <W> got <X>`.
    #[must_use]
    pub fn worker_mismatch(expected: &uuid::Uuid, got: &uuid::Uuid) -> String {
        format!("worker presence renew worker_id mismatch: expected {expected} got {got}")
    }

    /// `unexpected worker presence stream message type: *api.<T>`.
    #[must_use]
    pub fn worker_unexpected_type(go_type: &str) -> String {
        format!("unexpected worker presence stream message type: *api.{go_type}")
    }
}

#[cfg(test)]
mod tests {
    use super::text::{parse_sequence_gap, sequence_gap};

    #[test]
    fn a_sequence_gap_reads_back() {
        assert_eq!(parse_sequence_gap(&sequence_gap(1, 4097)), Some((1, 4097)));
        let wrapped = format!("produce failed: {}", sequence_gap(7, 9));
        assert_eq!(parse_sequence_gap(&wrapped), Some((7, 9)));
        assert_eq!(parse_sequence_gap("sequence gap: expected x, got 2"), None);
        assert_eq!(parse_sequence_gap("sequence mismatch"), None);
    }
}
