//! Authentication of every connection: `auth.token` from the handshake, checked by an
//! [`Authenticator`]; a token in the query string is never read.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Who is on the other end of a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's id (the `userId` claim).
    pub user_id: String,
    /// The user's role (the `role` claim), if any.
    pub role: Option<String>,
    /// When the credential stops being valid (Unix seconds, the `exp` claim): events sent after
    /// it are refused and the socket is disconnected, so the client reconnects with a new token.
    pub expires_at: Option<u64>,
}

impl Principal {
    /// A principal without an expiry.
    pub fn new(user_id: impl Into<String>, role: Option<String>) -> Self {
        Self { user_id: user_id.into(), role, expires_at: None }
    }

    /// True when the credential has expired at `now` (Unix seconds).
    pub fn expired_at(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|exp| exp < now)
    }
}

/// Why a connection was refused. The Display text is sent as the connect error's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `auth.token` in the handshake.
    #[error("Authentication required")]
    Missing,
    /// The token is malformed, badly signed or expired.
    #[error("Invalid or expired token")]
    Invalid,
    /// The user already holds as many sockets as `ServerConfig::max_sockets_per_user` allows.
    #[error("Too many connections")]
    TooManySockets,
}

/// A boxed future, so authenticators can be stored as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Checks a token and says who it belongs to.
pub trait Authenticator: Send + Sync + 'static {
    /// Verifies `token`.
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, AuthError>>;
}

impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, AuthError>> {
        (**self).authenticate(token)
    }
}

/// HS256 JWTs whose claims carry `userId` (string or number), `role` and `exp`.
///
/// Written by hand on `hmac` + `sha2` (the JWS compact form is three base64url parts): the
/// jsonwebtoken crate's only pure-Rust backend pulls RSA and elliptic-curve stacks and a second
/// `digest`/`rand` major into the build for one HMAC.
pub struct JwtHs256 {
    secret: Vec<u8>,
    /// Seconds of clock skew tolerated on `exp`.
    leeway: u64,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Claims {
    #[serde(rename = "userId")]
    user_id: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    exp: u64,
    /// Not before (Unix seconds); a token used earlier is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
}

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
}

const MAX_TOKEN_LEN: usize = 8 * 1024;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// The HS256 signature of `signing_input` (for tools and tests that sign their own claims).
pub fn hs256(secret: &[u8], signing_input: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    mac(secret, signing_input).finalize().into_bytes().to_vec()
}

fn mac(secret: &[u8], signing_input: &[u8]) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    let mut m = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(signing_input);
    m
}

/// Unix seconds now.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl JwtHs256 {
    /// An authenticator for tokens signed with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        Self { secret: secret.to_vec(), leeway: 5 }
    }

    /// Verifies a token synchronously: header `alg` must be HS256, the signature must match
    /// (compared in constant time), `exp` must be in the future and `nbf`, when present, in the
    /// past (both with `leeway` seconds of clock skew).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        use base64::Engine;
        use hmac::Mac;
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Invalid);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(AuthError::Invalid);
        };
        let header: Header = b64().decode(h).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or(AuthError::Invalid)?;
        if header.alg != "HS256" {
            return Err(AuthError::Invalid);
        }
        let sig = b64().decode(sig).map_err(|_| AuthError::Invalid)?;
        let signing_input = &token[..h.len() + 1 + c.len()];
        mac(&self.secret, signing_input.as_bytes()).verify_slice(&sig).map_err(|_| AuthError::Invalid)?;
        let claims: Claims = b64().decode(c).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or(AuthError::Invalid)?;
        let now = now_secs();
        if claims.exp + self.leeway < now || claims.nbf.is_some_and(|nbf| nbf > now + self.leeway) {
            return Err(AuthError::Invalid);
        }
        let user_id = match claims.user_id {
            serde_json::Value::String(s) if !s.is_empty() && s.len() <= 128 => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(AuthError::Invalid),
        };
        Ok(Principal { user_id, role: claims.role, expires_at: Some(claims.exp + self.leeway) })
    }

    /// Mints a token (for development and tests) valid for `ttl_secs`.
    pub fn mint(secret: &[u8], user_id: &str, role: Option<&str>, ttl_secs: u64) -> String {
        let claims = Claims { user_id: serde_json::Value::String(user_id.into()), role: role.map(str::to_string), exp: now_secs() + ttl_secs, nbf: None };
        Self::sign(secret, &claims)
    }

    fn sign(secret: &[u8], claims: &Claims) -> String {
        use base64::Engine;
        use hmac::Mac;
        let header = b64().encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = b64().encode(serde_json::to_vec(claims).expect("claims serialize"));
        let input = format!("{header}.{payload}");
        let sig = b64().encode(mac(secret, input.as_bytes()).finalize().into_bytes());
        format!("{input}.{sig}")
    }
}

impl Authenticator for JwtHs256 {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, AuthError>> {
        Box::pin(async move { self.verify(token) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expiry a verified token reports: its `exp` plus the leeway.
    fn p_exp(token: &str) -> Option<u64> {
        use base64::Engine;
        let claims: Claims = serde_json::from_slice(&b64().decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
        Some(claims.exp + 5)
    }

    #[test]
    fn tokens_round_trip_and_bad_ones_are_refused() {
        let auth = JwtHs256::new(b"secret");
        let t = JwtHs256::mint(b"secret", "u1", Some("customer"), 60);
        assert_eq!(auth.verify(&t).unwrap(), Principal { user_id: "u1".into(), role: Some("customer".into()), expires_at: p_exp(&t) });
        assert_eq!(auth.verify(&JwtHs256::mint(b"other", "u1", None, 60)), Err(AuthError::Invalid));
        assert_eq!(auth.verify("not.a.jwt"), Err(AuthError::Invalid));
        assert_eq!(AuthError::Missing.to_string(), "Authentication required");
        assert_eq!(AuthError::Invalid.to_string(), "Invalid or expired token");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let claims = Claims { user_id: serde_json::json!("u1"), role: None, exp: now_secs() - 600, nbf: None };
        assert_eq!(JwtHs256::new(b"s").verify(&JwtHs256::sign(b"s", &claims)), Err(AuthError::Invalid));
        let fresh = Claims { user_id: serde_json::json!(42), role: None, exp: now_secs() + 600, nbf: None };
        assert_eq!(JwtHs256::new(b"s").verify(&JwtHs256::sign(b"s", &fresh)).unwrap().user_id, "42");
    }

    #[test]
    fn tokens_not_yet_valid_are_refused() {
        let early = Claims { user_id: serde_json::json!("u1"), role: None, exp: now_secs() + 7200, nbf: Some(now_secs() + 3600) };
        assert_eq!(JwtHs256::new(b"s").verify(&JwtHs256::sign(b"s", &early)), Err(AuthError::Invalid));
        let started = Claims { user_id: serde_json::json!("u1"), role: None, exp: now_secs() + 7200, nbf: Some(now_secs() - 10) };
        assert!(JwtHs256::new(b"s").verify(&JwtHs256::sign(b"s", &started)).is_ok());
    }

    #[test]
    fn a_known_token_verifies() {
        // Signed with secret "s" by Python's hmac module (exp in 2100).
        let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOiJ1MSIsInJvbGUiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMH0.tmJudr0sx2cv4Gbh-N06I2pEyANr8PDoj7CrTWL88zI";
        assert_eq!(JwtHs256::new(b"s").verify(t).unwrap(), Principal { user_id: "u1".into(), role: Some("admin".into()), expires_at: p_exp(t) });
        assert_eq!(JwtHs256::new(b"t").verify(t), Err(AuthError::Invalid));
    }

    #[test]
    fn alg_none_and_tampering_are_refused() {
        use base64::Engine;
        let good = JwtHs256::mint(b"s", "u1", None, 60);
        let parts: Vec<&str> = good.split('.').collect();
        let none_header = b64().encode(br#"{"alg":"none"}"#);
        assert_eq!(JwtHs256::new(b"s").verify(&format!("{none_header}.{}.", parts[1])), Err(AuthError::Invalid));
        let other_claims = b64().encode(br#"{"userId":"admin","exp":4102444800}"#);
        assert_eq!(JwtHs256::new(b"s").verify(&format!("{}.{other_claims}.{}", parts[0], parts[2])), Err(AuthError::Invalid));
        assert_eq!(JwtHs256::new(b"s").verify(&"a".repeat(MAX_TOKEN_LEN + 1)), Err(AuthError::Invalid));
    }
}
