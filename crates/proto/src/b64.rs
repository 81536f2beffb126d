//! `[]byte` fields as Go encodes them: standard base64 with padding, `null` for a nil slice.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

/// serde adapter for `Option<Vec<u8>>`: `None` ⇔ `null`/absent.
pub(crate) mod opt {
    use super::{Deserialize, Deserializer, Serializer, decode, encode};

    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`.
    pub(crate) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => decode(&s).map(Some).map_err(serde::de::Error::custom),
        }
    }
}
