//! The token check of `skope serve`, as streamkit's server does it (PROTOCOL.md §2.2–2.3).
//!
//! `Authorization: Bearer <jwt>` (scheme in any case, exactly one space); `exp` required;
//! scopes from the `scopes` claim (a JSON array, or one comma-separated string, not trimmed):
//! `streamkit::*` grants every store, `streamkit::<uuid>` one store; a malformed store scope
//! rejects the whole token unless `streamkit::*` came before it; no streamkit scope rejects it.

use crate::Access;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

const SCOPE_PREFIX: &str = "streamkit::";
const SCOPE_ALL: &str = "streamkit::*";

/// Why a connection is refused before the upgrade (all answer HTTP 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token grants no streamkit scope")]
    NoScope,
    #[error("malformed store scope {0:?}")]
    BadScope(String),
}

/// A key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unusable key: {0}")]
pub struct KeyError(String);

/// How tokens are checked.
#[derive(Clone)]
pub struct TokenCheck {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Scopes>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Scopes {
    List(Vec<String>),
    Joined(String),
}

impl Scopes {
    /// Go joins an array with `,` and splits on `,`; we do the same so both forms agree.
    fn split(&self) -> Vec<String> {
        let joined = match self {
            Scopes::List(v) => v.join(","),
            Scopes::Joined(s) => s.clone(),
        };
        joined.split(',').map(str::to_owned).collect()
    }
}

impl TokenCheck {
    /// HS256 with a shared secret.
    #[must_use]
    pub fn hs256(secret: &[u8]) -> Self {
        Self::with(DecodingKey::from_secret(secret), &[Algorithm::HS256])
    }

    /// RS256 or ES256 with a PEM public key (the kind is read from the PEM).
    ///
    /// # Errors
    /// A PEM that is neither an RSA nor an EC public key.
    pub fn public_pem(pem: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
            return Ok(Self::with(k, &[Algorithm::RS256]));
        }
        DecodingKey::from_ec_pem(pem)
            .map(|k| Self::with(k, &[Algorithm::ES256]))
            .map_err(|e| KeyError(format!("not an RSA or EC public key in PEM form: {e}")))
    }

    fn with(key: DecodingKey, algs: &[Algorithm]) -> Self {
        let mut validation = Validation::new(algs[0]);
        validation.algorithms = algs.to_vec();
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 0;
        validation.validate_aud = false;
        TokenCheck { key, validation }
    }

    /// Check an `Authorization` header value and return what it grants.
    ///
    /// # Errors
    /// Every refusal; the server answers each with HTTP 401.
    pub fn check(&self, authorization: Option<&str>) -> Result<Access, AuthError> {
        self.check_token(bearer(authorization.ok_or(AuthError::Missing)?)?)
    }

    /// Check a bare token (e.g. the `app_token` cookie) and return what it grants.
    ///
    /// # Errors
    /// Every refusal; the server answers each with HTTP 401.
    pub fn check_token(&self, token: &str) -> Result<Access, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        access_from_scopes(&data.claims.scopes.map(|s| s.split()).unwrap_or_default())
    }
}

/// The token of `Bearer <jwt>`: scheme in any case, exactly one space, a non-empty token.
fn bearer(header: &str) -> Result<&str, AuthError> {
    let (scheme, token) = header.split_at_checked(7).ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer ") || token.is_empty() || token.starts_with(' ') {
        return Err(AuthError::Invalid("expected `Bearer <token>`".into()));
    }
    Ok(token)
}

/// Scopes → access, scanned in order as streamkit's session does.
///
/// # Errors
/// No streamkit scope, or a malformed store scope before any `streamkit::*`.
pub fn access_from_scopes(scopes: &[String]) -> Result<Access, AuthError> {
    let mut stores = Vec::new();
    for scope in scopes {
        if scope == SCOPE_ALL {
            return Ok(Access::All);
        }
        if let Some(id) = scope.strip_prefix(SCOPE_PREFIX) {
            let id = Uuid::parse_str(id).map_err(|_| AuthError::BadScope(scope.clone()))?;
            stores.push(id);
        }
    }
    if stores.is_empty() {
        return Err(AuthError::NoScope);
    }
    Ok(Access::Stores(stores))
}

/// Mint an HS256 token with `scopes` valid for `ttl` (for `skope token` and tests).
///
/// # Errors
/// Only if signing fails.
pub fn mint_hs256(secret: &[u8], scopes: &[String], ttl: Duration) -> Result<String, KeyError> {
    let exp = std::time::SystemTime::now()
        .checked_add(ttl)
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(u64::MAX, |d| d.as_secs());
    let claims = Claims {
        exp,
        scopes: Some(Scopes::List(scopes.to_vec())),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| KeyError(e.to_string()))
}

/// The streamkit scopes a token claims, without checking its signature (the store picker
/// offers these stores). `None` when the token cannot be read.
#[must_use]
pub fn unverified_scopes(token: &str) -> Option<Vec<String>> {
    let payload = token.split('.').nth(1)?;
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).ok()?;
    #[derive(Deserialize)]
    struct Only {
        scopes: Option<Scopes>,
    }
    let only: Only = serde_json::from_slice(&bytes).ok()?;
    Some(only.scopes.map(|s| s.split()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    const STORE: &str = "00000000-0000-0000-0000-000000000001";

    #[test]
    fn scopes_follow_streamkit() {
        assert_eq!(access_from_scopes(&s(&["streamkit::*"])), Ok(Access::All));
        assert_eq!(
            access_from_scopes(&s(&["x", &format!("streamkit::{STORE}")])),
            Ok(Access::Stores(vec![Uuid::from_u128(1)]))
        );
        assert_eq!(
            access_from_scopes(&s(&["other::scope"])),
            Err(AuthError::NoScope)
        );
        assert!(matches!(
            access_from_scopes(&s(&["streamkit::abc", "streamkit::*"])),
            Err(AuthError::BadScope(_))
        ));
        assert_eq!(
            access_from_scopes(&s(&["streamkit::*", "streamkit::abc"])),
            Ok(Access::All)
        );
    }

    #[test]
    fn tokens_are_checked() {
        let check = TokenCheck::hs256(b"top-secret");
        let good = mint_hs256(
            b"top-secret",
            &s(&["streamkit::*"]),
            Duration::from_secs(60),
        )
        .unwrap_or_default();
        assert_eq!(
            check.check(Some(&format!("Bearer {good}"))),
            Ok(Access::All)
        );
        assert_eq!(
            check.check(Some(&format!("bearer {good}"))),
            Ok(Access::All)
        );
        assert!(check.check(Some(&format!("Bearer  {good}"))).is_err());
        assert!(check.check(Some("Bearer ")).is_err());
        assert!(check.check(Some("Bearer not-a-jwt")).is_err());
        assert_eq!(check.check(None), Err(AuthError::Missing));
        let other = mint_hs256(b"other", &s(&["streamkit::*"]), Duration::from_secs(60))
            .unwrap_or_default();
        assert!(check.check(Some(&format!("Bearer {other}"))).is_err());
        let joined = Claims {
            exp: u64::MAX / 2,
            scopes: Some(Scopes::Joined(format!("a,streamkit::{STORE}"))),
        };
        let t = jsonwebtoken::encode(
            &Header::default(),
            &joined,
            &EncodingKey::from_secret(b"top-secret"),
        )
        .unwrap_or_default();
        assert_eq!(
            check.check(Some(&format!("Bearer {t}"))),
            Ok(Access::Stores(vec![Uuid::from_u128(1)]))
        );
        assert_eq!(
            unverified_scopes(&t),
            Some(s(&["a", &format!("streamkit::{STORE}")]))
        );
    }

    #[test]
    fn es256_public_keys_check_tokens() {
        let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let check = TokenCheck::public_pem(key.public_key_pem().as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let signing = EncodingKey::from_ec_pem(key.serialize_pem().as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let claims = Claims {
            exp: u64::MAX / 2,
            scopes: Some(Scopes::List(s(&["streamkit::*"]))),
        };
        let t = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &signing)
            .unwrap_or_default();
        assert_eq!(check.check(Some(&format!("Bearer {t}"))), Ok(Access::All));
        // An HS256 token cannot pass an ES256 check, and a key from elsewhere is refused.
        let hs =
            mint_hs256(b"x", &s(&["streamkit::*"]), Duration::from_secs(60)).unwrap_or_default();
        assert!(check.check(Some(&format!("Bearer {hs}"))).is_err());
        let other = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let other = EncodingKey::from_ec_pem(other.serialize_pem().as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let t = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &other)
            .unwrap_or_default();
        assert!(check.check(Some(&format!("Bearer {t}"))).is_err());
        assert!(TokenCheck::public_pem(b"not a key").is_err());
    }

    #[test]
    fn expired_and_exp_less_tokens_fail() {
        let check = TokenCheck::hs256(b"k");
        #[derive(Serialize)]
        struct NoExp {
            scopes: Vec<String>,
        }
        let t = jsonwebtoken::encode(
            &Header::default(),
            &NoExp {
                scopes: s(&["streamkit::*"]),
            },
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap_or_default();
        assert!(check.check(Some(&format!("Bearer {t}"))).is_err());
        let expired = Claims {
            exp: 1,
            scopes: Some(Scopes::List(s(&["streamkit::*"]))),
        };
        let t = jsonwebtoken::encode(
            &Header::default(),
            &expired,
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap_or_default();
        assert!(check.check(Some(&format!("Bearer {t}"))).is_err());
    }
}
