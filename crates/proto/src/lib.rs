//! streamkit wire types: the physical frame, the envelope, every message, lexkey offsets and
//! the error texts a streamkit peer sends. No I/O, no async: both the client and the node build
//! on this crate.

mod b64;
pub mod control;
pub mod envelope;
pub mod errors;
mod fastpath;
pub mod frame;
mod godecode;
pub mod gojson;
mod gosyntax;
pub mod lexkey;
pub mod messages;

pub use control::{ControlKind, StreamControl};
pub use envelope::{EnvelopeError, Message, decode_bare, encode_bare};
pub use frame::{ControlType, Frame, FrameError, MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES};
pub use lexkey::{LexKey, LexKeyError, Part, SegmentOffset, SpaceOffset};
pub use messages::*;
pub use uuid::Uuid;

/// Milliseconds since the Unix epoch (streamkit's timestamp unit).
#[must_use]
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
