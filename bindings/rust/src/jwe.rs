//! JWE (RFC 7516) for servers and clients: encrypt to a recipient's JWKS,
//! decrypt with a [`DecryptionKey`]. Key management `RSA-OAEP` and
//! `RSA-OAEP-256`, content encryption `A128GCM`, `A256GCM`,
//! `A128CBC-HS256`, `A256CBC-HS512` (RFC 7518), and nothing else: the rules
//! are `fapi_core::jwe`'s (what it refuses, and the one
//! [`DecryptionFailed`](fapi_core::Error::DecryptionFailed) error for every
//! decryption failure).
//!
//! The allow-lists come from the profile ([`Policy::from_profile`]: OFB-ALG,
//! CDR-ALG). A nested JWT (signed, then encrypted: an encrypted ID token or
//! JARM response) is `cty: "JWT"` ([`encrypt`] with `Some("JWT")`,
//! [`DecryptionKey::decrypt_nested_jwt`]).
//!
//! ```
//! use fapi::jwe::{self, ContentEnc, DecryptionKey, KeyAlg, Policy};
//! use fapi_core::profile::Profile;
//!
//! let key = DecryptionKey::generate()?.with_key_id("client-enc-1")?;
//! let jwks = format!(r#"{{"keys":[{}]}}"#, key.public_jwk_json(KeyAlg::RsaOaep));
//! let compact = jwe::encrypt(b"secret", &jwks, KeyAlg::RsaOaep, ContentEnc::A256Gcm, None)?;
//! let plaintext = key.decrypt(&compact, &Policy::from_profile(&Profile::OFB))?;
//! assert_eq!(&plaintext[..], b"secret");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use zeroize::Zeroizing;

use fapi_core::jwe::{self as core_jwe, EncryptParams, KeyDecrypter};
use fapi_core::jwk::RsaPublicKey;
use fapi_core::{Error as CoreError, Site, b64};

pub use fapi_core::jwe::{ContentEnc, KeyAlg, Policy};

use crate::error::{Error, KeyError};

/// Where a decryption's errors are reported: an encrypted request object
/// at the server (`invalid_request_object`); a client reading an encrypted
/// ID token or JARM response only logs them.
const DECRYPT_SITE: Site = Site::RequestObject;
/// Where an encryption's errors are reported: the client's registered keys
/// are the server's configuration (a missing `enc` key is the client's
/// registration, answered as `invalid_client`).
const ENCRYPT_SITE: Site = Site::ClientAuthentication;

/// A response a client registers to receive signed, then encrypted (a
/// nested JWT, RFC 7519 §5.2): the registration metadata
/// `<prefix>_encrypted_response_alg` and `_enc` name its algorithms.
///
/// ```
/// use fapi::jwe::EncryptedResponse;
/// assert_eq!(EncryptedResponse::IdToken.metadata_prefix(), "id_token");
/// assert_eq!(EncryptedResponse::ALL.len(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncryptedResponse {
    /// ID tokens: `id_token_encrypted_response_alg`/`_enc` (OpenID Connect
    /// Core §10.2, OpenID Connect Dynamic Client Registration §2).
    IdToken,
    /// JARM authorization responses:
    /// `authorization_encrypted_response_alg`/`_enc` (JARM §2.2, §3).
    Authorization,
    /// Signed introspection responses:
    /// `introspection_encrypted_response_alg`/`_enc` (RFC 9701 §5, §6).
    Introspection,
}

impl EncryptedResponse {
    /// The three, in registration order.
    pub const ALL: [Self; 3] = [Self::IdToken, Self::Authorization, Self::Introspection];

    /// The registration metadata's prefix: `id_token`, `authorization`,
    /// `introspection`.
    #[must_use]
    pub const fn metadata_prefix(self) -> &'static str {
        match self {
            Self::IdToken => "id_token",
            Self::Authorization => "authorization",
            Self::Introspection => "introspection",
        }
    }
}

/// A JWE's decrypted plaintext, erased when dropped.
pub type Plaintext = Zeroizing<Vec<u8>>;

/// Encrypts `plaintext` to the recipient's key in `recipient`: a JWKS
/// (`{"keys":[...]}`) or one public JWK. The key chosen is the first RSA
/// key with `"use":"enc"` whose `alg`, when present, is `alg`
/// ([`KeyNotFound`](fapi_core::Error::KeyNotFound) when there is none; a
/// JWK with private members is
/// [`PrivateKeyMember`](fapi_core::Error::PrivateKeyMember)). Its `kid`
/// goes into the header; `cty` is `Some("JWT")` for a nested JWT. A fresh
/// CEK and IV are drawn for every message.
pub fn encrypt(
    plaintext: &[u8],
    recipient: &str,
    alg: KeyAlg,
    enc: ContentEnc,
    cty: Option<&str>,
) -> Result<String, Error> {
    let at = |e| Error::at(e, ENCRYPT_SITE);
    let (public, kid) = select_enc_key(recipient, alg).map_err(at)?;
    let key = fapi_awslc::RsaOaepEncryptionKey::new(&public, kid.as_deref()).map_err(at)?;
    let params = EncryptParams {
        alg,
        enc,
        cty,
        typ: None,
    };
    let mut out = vec![0u8; core_jwe::encrypt_buf_len(plaintext.len(), public.modulus_len())];
    let n = core_jwe::encrypt(
        &params,
        plaintext,
        &key,
        &fapi_awslc::SystemRandom::new(),
        &mut out,
    )
    .map_err(at)?;
    out.truncate(n);
    String::from_utf8(out).map_err(|_| at(CoreError::Malformed))
}

/// The recipient's encryption key in a JWKS or JWK: RSA, `"use":"enc"`,
/// `alg` absent or `alg`.
pub(crate) fn select_enc_key(
    recipient: &str,
    alg: KeyAlg,
) -> Result<(RsaPublicKey, Option<String>), CoreError> {
    let doc: serde_json::Value = serde_json::from_str(recipient).map_err(|_| CoreError::Json)?;
    let keys: Vec<&serde_json::Value> = match doc.get("keys") {
        Some(serde_json::Value::Array(keys)) => keys.iter().collect(),
        Some(_) => return Err(CoreError::Json),
        None => vec![&doc],
    };
    let text = |k: &serde_json::Value, m: &str| {
        k.get(m)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let key = keys
        .into_iter()
        .find(|k| {
            text(k, "kty").as_deref() == Some("RSA")
                && text(k, "use").as_deref() == Some("enc")
                && text(k, "alg").is_none_or(|a| a == alg.name())
        })
        .ok_or(CoreError::KeyNotFound)?;
    // RFC 7517 §9.2 / RFC 7518 §6.3.2: a public key carries no private
    // members.
    if ["d", "p", "q", "dp", "dq", "qi", "oth"]
        .iter()
        .any(|m| key.get(m).is_some())
    {
        return Err(CoreError::PrivateKeyMember);
    }
    let decode = |m: &str| -> Result<Vec<u8>, CoreError> {
        let s = text(key, m).ok_or(CoreError::InvalidKey)?;
        let mut buf = vec![0u8; b64::decoded_len(s.len()).ok_or(CoreError::Base64)?];
        let n = b64::decode_vartime(s.as_bytes(), &mut buf)?.len();
        buf.truncate(n);
        Ok(buf)
    };
    let public = RsaPublicKey::new(&decode("n")?, &decode("e")?)?;
    Ok((public, text(key, "kid")))
}

/// A recipient's RSA private key for JWE: software, on aws-lc, or in an
/// HSM ([`DecryptionKey::from_pkcs11_uri`], `CKM_RSA_PKCS_OAEP`). Its `kid`
/// is its RFC 7638 thumbprint unless [`DecryptionKey::with_key_id`] sets
/// one. `Debug` shows the `kid`, never key material.
///
/// ```
/// use fapi::jwe::{DecryptionKey, KeyAlg};
/// let key = DecryptionKey::generate()?;
/// let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk_json(KeyAlg::RsaOaep256))?;
/// assert_eq!((jwk["use"].as_str(), jwk["alg"].as_str()), (Some("enc"), Some("RSA-OAEP-256")));
/// assert!(jwk.get("d").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DecryptionKey {
    inner: Inner,
}

enum Inner {
    Software(Box<fapi_awslc::RsaOaepDecryptionKey>),
    Hsm(Box<fapi_pkcs11::HsmDecrypter>),
}

impl Inner {
    fn key(&self) -> &dyn KeyDecrypter {
        match self {
            Self::Software(k) => &**k,
            Self::Hsm(k) => &**k,
        }
    }
}

impl core::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("kid", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl DecryptionKey {
    /// A fresh 2048-bit key from aws-lc's generator (for tests and tools).
    pub fn generate() -> Result<Self, KeyError> {
        let inner = fapi_awslc::RsaOaepDecryptionKey::generate(fapi_core::jwk::MIN_RSA_BITS)
            .map_err(|e| KeyError::new(e.error(), format!("generating a key: {}", e.reason())))?;
        Ok(Self {
            inner: Inner::Software(Box::new(inner)),
        })
    }

    /// Loads a PKCS#8 `PRIVATE KEY` PEM document of an RSA key (at least
    /// 2048 bits).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|e| KeyError::new(CoreError::InvalidKey, format!("PEM: {e}")))?;
        let der = Zeroizing::new(der);
        if label != "PRIVATE KEY" {
            return Err(KeyError::new(
                CoreError::InvalidKey,
                format!("PEM: label {label:?} is not \"PRIVATE KEY\" (PKCS#8)"),
            ));
        }
        Self::from_pkcs8_der(&der)
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` DER document of an RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let inner = fapi_awslc::RsaOaepDecryptionKey::from_pkcs8_der(der)
            .map_err(|e| KeyError::new(e.error(), format!("PKCS#8 RSA: {}", e.reason())))?;
        Ok(Self {
            inner: Inner::Software(Box::new(inner)),
        })
    }

    /// Loads the HSM key named by a PKCS#11 URI (RFC 7512; see
    /// [`crate::pkcs11_uri`]) as
    /// [`SigningKey::from_pkcs11_uri`](crate::SigningKey::from_pkcs11_uri)
    /// does: an RSA key (at least 2048 bits) that may decrypt and not sign
    /// (`CKA_DECRYPT` true, `CKA_SIGN` false), unwrapping in the token with
    /// `CKM_RSA_PKCS_OAEP`. Only the OAEP hashes the token does are
    /// offered: a JWE under another `alg` is refused with
    /// [`KeyAlgMismatch`](fapi_core::Error::KeyAlgMismatch).
    ///
    /// ```no_run
    /// let key = fapi::jwe::DecryptionKey::from_pkcs11_uri(
    ///     "pkcs11:token=fapi;object=rp-enc?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fapi/pin",
    /// )?;
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    pub fn from_pkcs11_uri(uri: &str) -> Result<Self, KeyError> {
        let uri = crate::pkcs11_uri::Pkcs11Uri::parse(uri)?;
        let hsm = |e: fapi_pkcs11::Error| KeyError::new(e.clone().into(), format!("PKCS#11: {e}"));
        let (pool, key_ref) = crate::key::open_pkcs11(&uri)?;
        let key = fapi_pkcs11::HsmDecrypter::new(pool, &key_ref).map_err(hsm)?;
        if let (Some(_), Some(label)) = (&uri.id, &uri.object)
            && key.info().label != *label
        {
            return Err(KeyError::new(
                CoreError::KeyNotFound,
                "PKCS#11: the key with this id has another label",
            ));
        }
        Ok(Self {
            inner: Inner::Hsm(Box::new(key)),
        })
    }

    /// Whether the key lives in an HSM.
    #[must_use]
    pub fn is_hsm(&self) -> bool {
        matches!(self.inner, Inner::Hsm(_))
    }

    /// The same key with `kid` as its key id.
    pub fn with_key_id(self, kid: &str) -> Result<Self, KeyError> {
        let inner = match self.inner {
            Inner::Software(k) => Inner::Software(Box::new(
                k.with_key_id(kid)
                    .map_err(|e| KeyError::new(e.error(), e.reason().to_owned()))?,
            )),
            Inner::Hsm(k) => Inner::Hsm(Box::new(k.with_key_id(kid).map_err(|e| {
                KeyError::new(CoreError::InvalidParameter, format!("PKCS#11: {e}"))
            })?)),
        };
        Ok(Self { inner })
    }

    /// The key id.
    #[must_use]
    pub fn key_id(&self) -> &str {
        self.inner.key().key_id().unwrap_or_default()
    }

    /// The public JWK to register or publish: `kty`, `n`, `e`, `kid`,
    /// `"use":"enc"` and `alg`.
    #[must_use]
    pub fn public_jwk_json(&self, alg: KeyAlg) -> String {
        let p = match &self.inner {
            Inner::Software(k) => k.public_key(),
            Inner::Hsm(k) => k.public_key(),
        };
        let b = |v: &[u8]| {
            let mut out = vec![0u8; b64::encoded_len(v.len())];
            let n = b64::encode_vartime(v, &mut out).unwrap_or(0);
            out.truncate(n);
            String::from_utf8(out).unwrap_or_default()
        };
        serde_json::json!({
            "kty": "RSA",
            "n": b(p.n()),
            "e": b(p.e()),
            "kid": self.key_id(),
            "use": "enc",
            "alg": alg.name(),
        })
        .to_string()
    }

    /// Decrypts `compact` under `policy` (the profile's allow-lists:
    /// [`Policy::from_profile`]). Every decryption failure is
    /// [`DecryptionFailed`](fapi_core::Error::DecryptionFailed).
    pub fn decrypt(&self, compact: &str, policy: &Policy<'_>) -> Result<Plaintext, Error> {
        let mut buf = Zeroizing::new(vec![0u8; core_jwe::decrypt_buf_len(compact.len())]);
        let d = core_jwe::decrypt(
            compact.as_bytes(),
            policy,
            self.inner.key(),
            &fapi_awslc::SystemRandom::new(),
            &mut buf,
        )
        .map_err(|e| Error::at(e, DECRYPT_SITE))?;
        Ok(Zeroizing::new(d.plaintext.to_vec()))
    }

    /// Decrypts a nested JWT (RFC 7519 §5.2: signed, then encrypted) and
    /// returns the inner compact JWS, to verify next. The header must say
    /// `cty: "JWT"` ([`NotNestedJwt`](fapi_core::Error::NotNestedJwt)
    /// otherwise).
    pub fn decrypt_nested_jwt(
        &self,
        compact: &str,
        policy: &Policy<'_>,
    ) -> Result<Zeroizing<String>, Error> {
        let plaintext = self.decrypt(compact, &policy.nested_jwt())?;
        let text = core::str::from_utf8(&plaintext)
            .map_err(|_| Error::at(CoreError::Malformed, DECRYPT_SITE))?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}
