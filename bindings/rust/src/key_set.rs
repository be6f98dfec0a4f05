//! Key rotation at the authorization server ([`KeySet`]: one active signing
//! key, older keys still published) and key selection by `kid` at the
//! resource server ([`IssuerKeys`]: the issuer's JWKS, each key parsed once
//! by aws-lc).

use fapi_core::jwk::MAX_JWKS_KEYS;
use fapi_core::{Alg, PublicJwk, PublicKey, Signer, Verifier};

use crate::error::KeyError;
use crate::key::SigningKey;

use fapi_core::Error as CoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Published {
    kid: String,
    key: PublicKey,
}

/// The authorization server's keys: the active signing key and the keys
/// it signed with before, still published so that tokens they signed keep
/// verifying until they expire.
///
/// ```
/// use fapi::{KeySet, SigningKey};
/// use fapi_core::{Alg, Signer};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut keys = KeySet::new(SigningKey::generate(Alg::Es256)?.with_key_id("2026-01")?);
/// keys.rotate(SigningKey::generate(Alg::Es256)?.with_key_id("2026-02")?)?;
/// assert_eq!(keys.active().key_id(), "2026-02");
/// let jwks: serde_json::Value = serde_json::from_str(&keys.jwks_json()?)?;
/// assert_eq!(jwks["keys"][0]["kid"], "2026-02");
/// assert_eq!(jwks["keys"][1]["kid"], "2026-01");
/// keys.retire("2026-01");
/// assert_eq!(keys.published_kids(), ["2026-02"]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct KeySet {
    active: SigningKey,
    older: Vec<Published>,
}

impl KeySet {
    /// A set whose only key is `active`.
    #[must_use]
    pub fn new(active: SigningKey) -> Self {
        Self {
            active,
            older: Vec::new(),
        }
    }

    /// The key that signs.
    #[must_use]
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// Makes `next` the signing key; the previous one stays published. A
    /// `kid` already published is [`CoreError::InvalidParameter`]: two keys
    /// under one `kid` would make verification ambiguous.
    pub fn rotate(&mut self, next: SigningKey) -> Result<(), KeyError> {
        if self.published_kids().contains(&next.key_id()) {
            return Err(KeyError::new(
                CoreError::InvalidParameter,
                format!("kid {:?} is already published", next.key_id()),
            ));
        }
        if 1 + self.older.len() >= MAX_JWKS_KEYS {
            return Err(KeyError::new(
                CoreError::TooLarge,
                format!("a JWKS holds at most {MAX_JWKS_KEYS} keys: retire one first"),
            ));
        }
        let old = core::mem::replace(&mut self.active, next);
        let key = old
            .public_key()
            .map_err(|e| KeyError::new(e, "the previous key has no public key"))?;
        self.older.insert(
            0,
            Published {
                kid: old.key_id().to_owned(),
                key,
            },
        );
        Ok(())
    }

    /// Stops publishing the older key `kid` (tokens it signed no longer
    /// verify). The active key cannot be retired.
    pub fn retire(&mut self, kid: &str) {
        self.older.retain(|p| p.kid != kid);
    }

    /// The published `kid`s, the active key's first.
    #[must_use]
    pub fn published_kids(&self) -> Vec<&str> {
        core::iter::once(self.active.key_id())
            .chain(self.older.iter().map(|p| p.kid.as_str()))
            .collect()
    }

    fn published(&self) -> Result<Vec<Published>, CoreError> {
        let mut all = vec![Published {
            kid: self.active.key_id().to_owned(),
            key: self.active.public_key()?,
        }];
        all.extend(self.older.iter().cloned());
        Ok(all)
    }

    /// The JWK Set (RFC 7517 §5) to publish at `jwks_uri`, active key first.
    pub fn jwks_json(&self) -> Result<String, CoreError> {
        let all = self.published()?;
        let jwks: Vec<PublicJwk<'_>> = all
            .iter()
            .map(|p| PublicJwk::new(p.key.clone(), Some(&p.kid)))
            .collect();
        let mut out = vec![0u8; 2048 * jwks.len().max(1)];
        let n = fapi_core::jwk::write_jwks(&jwks, &mut out)?;
        out.truncate(n);
        String::from_utf8(out).map_err(|_| CoreError::Json)
    }

    /// The verification keys of this set, for a resource server in the
    /// same process.
    pub fn issuer_keys(&self) -> Result<IssuerKeys, KeyError> {
        let all = self
            .published()
            .map_err(|e| KeyError::new(e, "a key has no public key"))?;
        let keys = all
            .into_iter()
            .map(|p| VerificationKey::new(Some(p.kid), p.key))
            .collect::<Result<_, _>>()?;
        Ok(IssuerKeys {
            keys,
            #[cfg(feature = "discover")]
            source: None,
        })
    }
}

/// One published key, parsed once by aws-lc.
struct VerificationKey {
    kid: Option<String>,
    alg: Alg,
    verifier: Box<dyn Verifier + Send + Sync>,
}

impl VerificationKey {
    fn new(kid: Option<String>, key: PublicKey) -> Result<Self, KeyError> {
        let refused = |e: CoreError| KeyError::new(e, "aws-lc refused the public key");
        let verifier: Box<dyn Verifier + Send + Sync> = match &key {
            PublicKey::P256 { .. } => {
                Box::new(fapi_awslc::Es256VerifyingKey::from_public_key(&key).map_err(refused)?)
            }
            PublicKey::Ed25519 { .. } => {
                Box::new(fapi_awslc::Ed25519VerifyingKey::from_public_key(&key).map_err(refused)?)
            }
            PublicKey::Rsa(_) => {
                Box::new(fapi_awslc::Ps256VerifyingKey::from_public_key(&key).map_err(refused)?)
            }
        };
        Ok(Self {
            kid,
            alg: key.alg(),
            verifier,
        })
    }
}

/// The issuer's verification keys at the resource server: its JWKS, each
/// key parsed once. A token's key is selected by the `kid` and `alg` of its
/// header, as [`fapi_core::jwk::Jwks::find`] does: by `kid` when the header
/// names one, and always of the header's algorithm; without a `kid`,
/// exactly one key of that algorithm.
///
/// ```
/// use fapi::{IssuerKeys, KeySet, SigningKey};
/// use fapi_core::Alg;
///
/// let keys = KeySet::new(SigningKey::generate(Alg::EdDsa)?.with_key_id("k1")?);
/// let rs = IssuerKeys::from_jwks_json(&keys.jwks_json().unwrap())?;
/// assert_eq!(rs.len(), 1);
/// # Ok::<(), fapi::KeyError>(())
/// ```
pub struct IssuerKeys {
    keys: Vec<VerificationKey>,
    /// Where the keys were fetched from, for [`IssuerKeys::discover`]ed
    /// keys: fetched again on an unknown `kid`.
    #[cfg(feature = "discover")]
    source: Option<std::sync::Arc<crate::discover::JwksSource>>,
}

impl IssuerKeys {
    /// Parses the issuer's JWK Set. Each key is checked by the core
    /// ([`PublicJwk::from_json_in`]: F2-ALG key types and sizes, no private
    /// members); keys of types fapi does not use are skipped, and a set
    /// with private members, none usable, or more than
    /// [`MAX_JWKS_KEYS`] keys is refused.
    pub fn from_jwks_json(jwks: &str) -> Result<Self, KeyError> {
        // The core refuses a set carrying any private member, whole.
        let mut scratch = json_scratch(jwks.as_bytes());
        let _ = fapi_core::jwk::Jwks::from_json_in(jwks.as_bytes(), &mut scratch)
            .map_err(|e| KeyError::new(e, "JWKS: refused by the core"))?;
        let set: serde_json::Value = serde_json::from_str(jwks)
            .map_err(|e| KeyError::new(CoreError::Json, format!("JWKS: {e}")))?;
        let members = set
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| KeyError::new(CoreError::Json, "JWKS: no keys array"))?;
        let mut keys = Vec::new();
        for m in members {
            let text = m.to_string();
            let mut scratch = json_scratch(text.as_bytes());
            let Ok(jwk) = PublicJwk::from_json_in(text.as_bytes(), &mut scratch) else {
                continue;
            };
            keys.push(VerificationKey::new(
                jwk.kid.map(str::to_owned),
                jwk.key.clone(),
            )?);
        }
        if keys.is_empty() {
            return Err(KeyError::new(
                CoreError::KeyNotFound,
                "JWKS: no ES256, EdDSA or PS256 key",
            ));
        }
        Ok(Self {
            keys,
            #[cfg(feature = "discover")]
            source: None,
        })
    }

    /// The issuer's keys, found from its identifier: its RFC 8414
    /// metadata (OpenID Connect Discovery as the fallback) whose `issuer`
    /// must be `issuer` exactly (RFC 8414 §3.3), then its `jwks_uri`. The
    /// keys are cached; a token naming a `kid` they do not hold makes the
    /// [`crate::ResourceServer`] fetch the JWKS again, at most once per
    /// [`crate::discover::DEFAULT_MIN_REFRESH`]. For another interval or
    /// HTTP client, [`crate::discover::Discovery`].
    ///
    /// Errors: [`crate::Error::Fetch`] (unreachable, an HTTP status other
    /// than 200, not JSON), `wrong_issuer` with both values, a metadata
    /// document without `jwks_uri` (`missing_claim`), an `http://` URL
    /// off loopback (`invalid_parameter`), a JWKS refused
    /// ([`crate::Error::Key`]).
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), fapi::Error> {
    /// let keys = fapi::IssuerKeys::discover("https://as.bank.example").await?;
    /// # let _ = keys; Ok(()) }
    /// ```
    #[cfg(feature = "discover")]
    pub async fn discover(issuer: &str) -> Result<Self, crate::Error> {
        crate::discover::Discovery::new(issuer).discover().await
    }

    #[cfg(feature = "discover")]
    pub(crate) fn with_source(
        mut self,
        source: std::sync::Arc<crate::discover::JwksSource>,
    ) -> Self {
        self.source = Some(source);
        self
    }

    /// The JWKS fetched again, for keys found by [`Self::discover`]:
    /// `Ok(None)` for keys that were not discovered, or when the last fetch
    /// is more recent than the least interval (the rate limit).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use fapi::{IssuerKeys, KeySet, SigningKey, Alg};
    /// let keys = IssuerKeys::from_jwks_json(&KeySet::new(SigningKey::generate(Alg::Es256)?).jwks_json()?)?;
    /// assert!(keys.refresh().await?.is_none());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "discover")]
    pub async fn refresh(&self) -> Result<Option<Self>, crate::Error> {
        let Some(source) = &self.source else {
            return Ok(None);
        };
        Ok(source
            .refresh()
            .await?
            .map(|keys| keys.with_source(std::sync::Arc::clone(source))))
    }

    /// The `jwks_uri` the keys were fetched from, for discovered keys.
    #[cfg(feature = "discover")]
    #[must_use]
    pub fn jwks_uri(&self) -> Option<&str> {
        self.source
            .as_deref()
            .map(crate::discover::JwksSource::jwks_uri)
    }

    /// The number of usable keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is none (never, for a set that parsed).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key for a JWS header's `kid` and `alg`: [`CoreError::KeyNotFound`]
    /// when none or more than one answers.
    pub fn select(&self, kid: Option<&str>, alg: Alg) -> Result<&dyn Verifier, CoreError> {
        let mut found = None;
        for k in &self.keys {
            if kid.is_some_and(|kid| k.kid.as_deref() != Some(kid)) || k.alg != alg {
                continue;
            }
            if found.is_some() {
                return Err(CoreError::KeyNotFound);
            }
            found = Some(k.verifier.as_ref() as &dyn Verifier);
        }
        found.ok_or(CoreError::KeyNotFound)
    }

    /// The keys known, as `kid (alg)` each (`-` for a key without a `kid`).
    ///
    /// ```
    /// use fapi::{IssuerKeys, KeySet, SigningKey};
    /// use fapi_core::Alg;
    ///
    /// let keys = KeySet::new(SigningKey::generate(Alg::EdDsa)?.with_key_id("k1")?);
    /// let rs = IssuerKeys::from_jwks_json(&keys.jwks_json().unwrap())?;
    /// assert_eq!(rs.kids(), ["k1 (EdDSA)"]);
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    #[must_use]
    pub fn kids(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| {
                format!(
                    "{} ({})",
                    k.kid.as_deref().map_or("-".into(), crate::detail::clip),
                    k.alg.name()
                )
            })
            .collect()
    }

    /// What [`CoreError::KeyNotFound`] was about for `token`: its `kid`
    /// and `alg` against the keys known.
    pub(crate) fn unknown_kid(&self, token: &str) -> Option<crate::Detail> {
        crate::detail::unknown_kid(token, self.kids())
    }

    /// The key for the compact JWS `token`, chosen by its (unverified)
    /// header; the token still goes through the core's full verification.
    pub fn for_token(&self, token: &str) -> Result<&dyn Verifier, CoreError> {
        let header = token.split('.').next().ok_or(CoreError::Malformed)?;
        if header.len() > fapi_core::b64::encoded_len(fapi_core::jws::MAX_HEADER) {
            return Err(CoreError::TooLarge);
        }
        let mut buf = vec![0u8; header.len()];
        let json = fapi_core::b64::decode(header.as_bytes(), &mut buf)?;
        #[derive(serde::Deserialize)]
        struct Head<'a> {
            alg: Option<&'a str>,
            kid: Option<&'a str>,
        }
        let head: Head<'_> = serde_json::from_slice(json).map_err(|_| CoreError::Json)?;
        let alg = Alg::from_name(head.alg.ok_or(CoreError::UnsupportedAlg)?)?;
        self.select(head.kid, alg)
    }
}

impl core::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kids: Vec<_> = self.keys.iter().map(|k| (&k.kid, k.alg)).collect();
        f.debug_struct("IssuerKeys").field("keys", &kids).finish()
    }
}

/// Scratch for reading `doc` with a core `_in` parser: what
/// [`fapi_core::json::scratch_len`] says, so that members written with
/// escapes (RFC 8259 §7: `"kid":"a\/b"`) are read; empty for a document the
/// core refuses anyway (the parser then says why).
pub(crate) fn json_scratch(doc: &[u8]) -> Vec<u8> {
    vec![0u8; fapi_core::json::scratch_len(doc).unwrap_or(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_old_keys_and_selection_is_by_kid() {
        let a = SigningKey::generate(Alg::Es256)
            .unwrap()
            .with_key_id("a")
            .unwrap();
        let b = SigningKey::generate(Alg::Es256)
            .unwrap()
            .with_key_id("b")
            .unwrap();
        let mut set = KeySet::new(a.clone());
        set.rotate(b).unwrap();
        assert_eq!(
            set.rotate(
                SigningKey::generate(Alg::EdDsa)
                    .unwrap()
                    .with_key_id("a")
                    .unwrap()
            )
            .unwrap_err()
            .error(),
            CoreError::InvalidParameter
        );
        let rs = IssuerKeys::from_jwks_json(&set.jwks_json().unwrap()).unwrap();
        assert_eq!(rs.len(), 2);
        assert!(rs.select(Some("a"), Alg::Es256).is_ok());
        assert!(rs.select(Some("b"), Alg::Es256).is_ok());
        // two ES256 keys and no kid: ambiguous
        assert_eq!(
            rs.select(None, Alg::Es256).err(),
            Some(CoreError::KeyNotFound)
        );
        assert_eq!(
            rs.select(Some("a"), Alg::EdDsa).err(),
            Some(CoreError::KeyNotFound)
        );
        assert_eq!(
            rs.select(Some("c"), Alg::Es256).err(),
            Some(CoreError::KeyNotFound)
        );
        // a kid is bounded as the backends bound it
        let k = || SigningKey::generate(Alg::EdDsa).unwrap();
        assert_eq!(
            k().with_key_id("").unwrap_err().error(),
            CoreError::InvalidParameter
        );
        assert_eq!(
            k().with_key_id(&"k".repeat(65)).unwrap_err().error(),
            CoreError::TooLarge
        );
        // a shared key takes a kid too
        let shared = a.clone().with_key_id("a2").unwrap();
        assert_eq!((shared.key_id(), a.key_id()), ("a2", "a"));
        set.retire("a");
        set.retire("b"); // the active key stays
        assert_eq!(set.published_kids(), ["b"]);
    }

    /// RFC 8259 §7: an issuer's JWK Set written with escapes (PHP's
    /// `\/`, a `\u` escape, a quote in the kid) is read, each key under
    /// the kid its escapes stand for.
    #[test]
    fn rfc8259_7_escaped_issuer_jwks_is_read() {
        let a = SigningKey::generate(Alg::Es256)
            .unwrap()
            .with_key_id("keys/2024/\"a\"")
            .unwrap();
        let plain = KeySet::new(a).jwks_json().unwrap();
        let escaped = plain
            .replace('/', "\\/")
            .replace("\"kty\"", "\"\\u006bty\"");
        assert_ne!(plain, escaped);
        let rs = IssuerKeys::from_jwks_json(&escaped).unwrap();
        assert_eq!(rs.len(), 1);
        assert!(rs.select(Some("keys/2024/\"a\""), Alg::Es256).is_ok());
    }

    #[test]
    fn jwks_with_private_members_or_no_usable_key_is_refused() {
        let private = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}"#;
        assert_eq!(
            IssuerKeys::from_jwks_json(private).unwrap_err().error(),
            CoreError::PrivateKeyMember
        );
        let none = r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#;
        assert!(IssuerKeys::from_jwks_json(none).is_err());
        let p384 = r#"{"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]}"#;
        assert_eq!(
            IssuerKeys::from_jwks_json(p384).unwrap_err().error(),
            CoreError::KeyNotFound
        );
    }
}
