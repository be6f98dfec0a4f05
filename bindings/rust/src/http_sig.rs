//! Signed resource requests and responses: RFC 9421 HTTP Message
//! Signatures with RFC 9530 `Content-Digest`, under the FAPI 2.0 HTTP
//! Signatures profile (BG-SIGNED-REQ under `berlin`, and `fapi2-ms`).
//!
//! Every check is the core's ([`fapi_core::http_sig`]); this module gives
//! it `http` types and owned results:
//!
//! - [`ClientKeys`]: where a resource server finds the JWK Set of the
//!   client an access token was issued to (its `client_id`), and
//!   [`MemoryClientKeys`], an in-memory one. A request signature is
//!   verified with that client's keys only: another client's key is
//!   refused ([`fapi_core::Error::KeyNotFound`]).
//! - [`MessageSignature`]: what a verified signature says.
//!
//! The resource server verifies and signs with
//! [`crate::ResourceServer::verify_message`] and
//! [`crate::ResourceServer::sign_response`]; the client signs with
//! [`crate::Client::sign_resource_request`] and verifies the response with
//! [`crate::Client::verify_resource_response`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use fapi_core::Alg;
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_core::http_sig::{
    Fields, SignatureAlgorithm, SignatureBuffers, SignedFields, VerifiedSignature,
};
use fapi_core::jwk::Jwks;
use fapi_core::profile::Profile;
use http::{HeaderMap, HeaderValue};

use fapi_core::Error as CoreError;

/// The label fapi signs under, in requests and responses alike (each
/// message carries one signature of its own).
pub const LABEL: &str = "sig1";

/// The `Signature-Input` field name (RFC 9421 §4.1).
pub const SIGNATURE_INPUT: &str = "signature-input";
/// The `Signature` field name (RFC 9421 §4.2).
pub const SIGNATURE: &str = "signature";
/// The `Content-Digest` field name (RFC 9530 §2).
pub const CONTENT_DIGEST: &str = "content-digest";

/// Where a resource server finds the JWK Set a client registered, by its
/// `client_id`: the keys its request signatures are verified with
/// (BG-SIGNED-REQ).
///
/// ```
/// use std::sync::Arc;
/// use fapi::http_sig::{ClientKeys, MemoryClientKeys};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let jwks = fapi::KeySet::new(fapi::SigningKey::generate(fapi_core::Alg::Es256)?).jwks_json()?;
/// let keys = MemoryClientKeys::new();
/// keys.insert("fintech-1", &jwks)?;
/// let keys: Arc<dyn ClientKeys> = Arc::new(keys);
/// assert!(keys.client_jwks("fintech-1").await?.is_some());
/// assert!(keys.client_jwks("fintech-2").await?.is_none());
/// # Ok(()) }
/// ```
#[async_trait::async_trait]
pub trait ClientKeys: Send + Sync {
    /// The JWK Set (JSON) of client `client_id`; `None` for a client this
    /// source does not know. A failing store is
    /// [`CoreError::StoreFailed`].
    async fn client_jwks(&self, client_id: &str) -> Result<Option<Arc<str>>, CoreError>;
}

/// [`ClientKeys`] in memory: each client's JWK Set, checked when it is
/// inserted.
///
/// ```
/// use fapi::http_sig::MemoryClientKeys;
/// let keys = MemoryClientKeys::new();
/// assert_eq!(keys.insert("fintech-1", "not json"), Err(fapi_core::Error::Json));
/// ```
#[derive(Debug, Default)]
pub struct MemoryClientKeys {
    map: RwLock<HashMap<String, Arc<str>>>,
}

impl MemoryClientKeys {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the JWK Set of `client_id` (replacing any earlier one). A
    /// document that is not a JWK Set fapi reads is refused with the
    /// core's error ([`CoreError::Json`], ...).
    pub fn insert(&self, client_id: &str, jwks_json: &str) -> Result<(), CoreError> {
        // Escaped members (RFC 8259 §7) are decoded, as at registration.
        let mut scratch = vec![0u8; jwks_json.len()];
        let _ = Jwks::from_json_in(jwks_json.as_bytes(), &mut scratch)?;
        let _ = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(client_id.to_owned(), jwks_json.into());
        Ok(())
    }

    /// Removes `client_id`'s keys.
    pub fn remove(&self, client_id: &str) {
        let _ = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(client_id);
    }
}

#[async_trait::async_trait]
impl ClientKeys for MemoryClientKeys {
    async fn client_jwks(&self, client_id: &str) -> Result<Option<Arc<str>>, CoreError> {
        Ok(self
            .map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(client_id)
            .cloned())
    }
}

/// The number of keys in `jwks_json` that can verify a message signature
/// under `profile`: with a `kid` (every signature names its `keyid`), of a
/// type the profile's algorithms use ([`Profile::http_sig_algs`]), allowed
/// to verify (`use`, `key_ops`), and for `rsa-pss-sha512` without a JOSE
/// `alg` (a PS256 key signs with SHA-256). None is
/// [`CoreError::KeyNotFound`]; a document that is no JWK Set the core's
/// error. A resource server checks its clients' sets with it when it
/// starts.
///
/// ```
/// use fapi::http_sig::usable_keys;
/// use fapi_core::profile::Profile;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = fapi::SigningKey::generate(fapi_core::Alg::Es256)?;
/// let jwks = fapi::KeySet::new(key).jwks_json()?;
/// assert_eq!(usable_keys(&Profile::BERLIN, &jwks)?, 1);
/// assert_eq!(usable_keys(&Profile::BERLIN, r#"{"keys":[]}"#), Err(fapi_core::Error::KeyNotFound));
/// # Ok(()) }
/// ```
pub fn usable_keys(profile: &Profile, jwks_json: &str) -> Result<usize, CoreError> {
    let mut scratch = vec![0u8; jwks_json.len()];
    let jwks = Jwks::from_json_in(jwks_json.as_bytes(), &mut scratch)?;
    let doc: serde_json::Value = serde_json::from_str(jwks_json).map_err(|_| CoreError::Json)?;
    let kids = doc
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| k.get("kid").and_then(serde_json::Value::as_str));
    let mut n = 0usize;
    for kid in kids {
        let usable = profile.http_sig_algs().iter().any(|a| {
            let jose = match a {
                SignatureAlgorithm::RsaPssSha512 => Alg::Ps256,
                SignatureAlgorithm::EcdsaP256Sha256 => Alg::Es256,
                SignatureAlgorithm::Ed25519 => Alg::EdDsa,
            };
            jwks.find(Some(kid), jose)
                .is_ok_and(|k| *a != SignatureAlgorithm::RsaPssSha512 || k.alg.is_none())
        });
        if usable {
            n = n.saturating_add(1);
        }
    }
    if n == 0 {
        return Err(CoreError::KeyNotFound);
    }
    Ok(n)
}

/// A verified signature of a request or response, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSignature {
    /// Its label.
    pub label: String,
    /// Its `keyid`: the `kid` of the key in the signer's JWK Set.
    pub key_id: String,
    /// Its algorithm.
    pub alg: SignatureAlgorithm,
    /// Its `created` (seconds since the epoch).
    pub created: u64,
}

impl From<VerifiedSignature<'_>> for MessageSignature {
    fn from(v: VerifiedSignature<'_>) -> Self {
        Self {
            label: v.label.to_owned(),
            key_id: v.keyid.to_owned(),
            alg: v.alg,
            created: v.created,
        }
    }
}

/// [`Fields`] over an `http::HeaderMap`. A field line that is not visible
/// ASCII reads as absent, and the lines after it too.
pub(crate) struct HeaderFields<'a>(pub &'a HeaderMap);

impl Fields for HeaderFields<'_> {
    fn field_line(&self, name: &str, index: usize) -> Option<&str> {
        self.0
            .get_all(name)
            .iter()
            .nth(index)
            .and_then(|v| v.to_str().ok())
    }
}

/// Room for the signature base: the fields and the target URI, and the
/// derived components' names and parameters.
pub(crate) fn scratch_len(headers: &HeaderMap, uri: &str) -> usize {
    headers
        .iter()
        .map(|(n, v)| n.as_str().len().saturating_add(v.len()).saturating_add(8))
        .fold(uri.len().saturating_mul(2), usize::saturating_add)
        .saturating_add(4096)
}

/// Sets `Content-Digest` (sha-256) for `body` when it is not empty
/// (RFC 9530 §2); leaves the headers alone otherwise.
pub(crate) fn set_content_digest(headers: &mut HeaderMap, body: &[u8]) -> Result<(), CoreError> {
    if body.is_empty() {
        return Ok(());
    }
    let mut out = [0u8; content_digest::MAX_FIELD_LEN];
    let n = content_digest::write(DigestAlgorithm::Sha256, body, &mut out)?;
    let v = HeaderValue::from_bytes(out.get(..n).ok_or(CoreError::BufferTooSmall)?)
        .map_err(|_| CoreError::InvalidParameter)?;
    let _ = headers.insert(CONTENT_DIGEST, v);
    Ok(())
}

/// Buffers for one signing call, and writes its result into `headers`
/// (replacing any `Signature-Input` and `Signature` there).
pub(crate) struct SigningBuffers {
    input: Vec<u8>,
    signature: Vec<u8>,
    scratch: Vec<u8>,
}

impl SigningBuffers {
    pub(crate) fn new(scratch_len: usize) -> Self {
        Self {
            input: vec![0u8; 2048],
            signature: vec![0u8; 2048],
            scratch: vec![0u8; scratch_len],
        }
    }

    pub(crate) fn buffers(&mut self) -> SignatureBuffers<'_> {
        SignatureBuffers {
            signature_input: &mut self.input,
            signature: &mut self.signature,
            scratch: &mut self.scratch,
        }
    }

    pub(crate) fn write(
        &self,
        signed: SignedFields,
        headers: &mut HeaderMap,
    ) -> Result<(), CoreError> {
        let value = |buf: &[u8], n: usize| {
            buf.get(..n)
                .ok_or(CoreError::BufferTooSmall)
                .and_then(|b| HeaderValue::from_bytes(b).map_err(|_| CoreError::InvalidParameter))
        };
        let input = value(&self.input, signed.signature_input_len)?;
        let signature = value(&self.signature, signed.signature_len)?;
        let _ = headers.insert(SIGNATURE_INPUT, input);
        let _ = headers.insert(SIGNATURE, signature);
        Ok(())
    }
}

/// Whether a request declares content: a `Content-Digest`, a
/// `Content-Length` that is not 0, or a `Transfer-Encoding`.
pub(crate) fn declares_content(headers: &HeaderMap) -> bool {
    headers.contains_key(CONTENT_DIGEST)
        || headers.contains_key(http::header::TRANSFER_ENCODING)
        || headers
            .get_all(http::header::CONTENT_LENGTH)
            .iter()
            .any(|v| v.to_str().map_or(true, |s| s.trim() != "0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9110_8_6_content_is_declared_by_length_encoding_or_digest() {
        let mut h = HeaderMap::new();
        assert!(!declares_content(&h));
        let _ = h.insert("content-length", HeaderValue::from_static("0"));
        assert!(!declares_content(&h));
        let _ = h.insert("content-length", HeaderValue::from_static("12"));
        assert!(declares_content(&h));
        let mut h = HeaderMap::new();
        let _ = h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        assert!(declares_content(&h));
        let mut h = HeaderMap::new();
        let _ = h.insert("content-digest", HeaderValue::from_static("sha-256=:AA==:"));
        assert!(declares_content(&h));
    }

    #[test]
    fn rfc9530_2_content_digest_set_only_for_content() {
        let mut h = HeaderMap::new();
        set_content_digest(&mut h, b"").unwrap();
        assert!(h.is_empty());
        set_content_digest(&mut h, br#"{"hello": "world"}"#).unwrap();
        assert_eq!(
            h[CONTENT_DIGEST],
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }
}
