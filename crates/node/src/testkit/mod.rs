//! Test support shared by skope-node's tests and the root package's end-to-end tests
//! (feature `testkit`; not part of the stable API).

pub mod replay;

/// Sign arbitrary JWT claims with HS256 (tokens a real client would never get: expired,
/// without `exp`, odd scopes).
///
/// # Panics
/// If signing fails (it does not for HS256).
#[must_use]
pub fn sign_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap_or_else(|e| panic!("signing failed: {e}"))
}
