//! One signing-key type, loaded from configuration: PKCS#8 (PEM or DER),
//! SEC1 `EC PRIVATE KEY` (what `openssl ecparam -genkey` writes), a private
//! JWK, or a PKCS#11 URI naming an HSM key.
//!
//! Software keys run on aws-lc (the fastest backend fapi has for servers);
//! HSM keys never leave the token and sign through `fapi-pkcs11`. Only the
//! F2-ALG key types load: P-256 (ES256), Ed25519 (EdDSA) and, with the
//! `rsa-signing` feature, RSA of at least 2048 bits (PS256). A refused key
//! is a [`KeyError`] with the core error and the reason the parser or
//! aws-lc gave.
//!
//! The DER of a PEM document, and the private members of a JWK, are
//! zeroized when loading is done; aws-lc cleanses its own key memory.

use std::path::Path;
use std::sync::Arc;

use fapi_core::{Alg, PublicJwk, PublicKey, Signer};
use pkcs8::ObjectIdentifier;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::KeyError;
use crate::pkcs11_uri::{PinSource, Pkcs11Uri};

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

use fapi_core::Error as CoreError;

enum Inner {
    Es256(fapi_awslc::Es256SigningKey),
    EdDsa(fapi_awslc::Ed25519SigningKey),
    #[cfg(feature = "rsa-signing")]
    Ps256(fapi_awslc::Ps256SigningKey),
    Hsm(fapi_pkcs11::HsmSigner),
    HsmGroup(fapi_pkcs11::HsmGroup),
}

/// A private signing key: software (aws-lc) or in an HSM (PKCS#11).
///
/// Its `kid` is its RFC 7638 thumbprint unless the JWK it came from names
/// one or [`SigningKey::with_key_id`] sets one. `Debug` shows the algorithm
/// and the `kid`, never key material.
///
/// ```
/// use fapi::SigningKey;
/// use fapi_core::{Alg, Signer};
///
/// // written by `openssl ecparam -name prime256v1 -genkey`
/// let key = SigningKey::from_pem(include_str!("../testdata/sec1-p256.pem"))?;
/// assert_eq!(key.alg(), Alg::Es256);
/// assert!(!format!("{key:?}").contains("BEGIN"));
/// # Ok::<(), fapi::KeyError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<Inner>,
    /// A `kid` set by [`SigningKey::with_key_id`], over the backend's.
    kid: Option<Arc<str>>,
}

/// The backend's refusal, with what was being loaded.
fn backend(what: &str) -> impl Fn(fapi_core::KeyError) -> KeyError + '_ {
    move |e| KeyError::new(e.error(), format!("{what}: {}", e.reason()))
}

impl SigningKey {
    /// A fresh software key for `alg` from aws-lc's generator (ES256 or
    /// EdDSA; PS256 with `rsa-signing`).
    pub fn generate(alg: Alg) -> Result<Self, KeyError> {
        let rng = fapi_awslc::SystemRandom::new();
        let gen_err = backend("generating a key");
        let inner = match alg {
            Alg::Es256 => {
                Inner::Es256(fapi_awslc::Es256SigningKey::generate(&rng).map_err(gen_err)?)
            }
            Alg::EdDsa => {
                Inner::EdDsa(fapi_awslc::Ed25519SigningKey::generate(&rng).map_err(gen_err)?)
            }
            #[cfg(feature = "rsa-signing")]
            Alg::Ps256 => Inner::Ps256(
                fapi_awslc::Ps256SigningKey::generate(fapi_core::jwk::MIN_RSA_BITS)
                    .map_err(gen_err)?,
            ),
            #[cfg(not(feature = "rsa-signing"))]
            Alg::Ps256 => return Err(rsa_needs_feature()),
        };
        Ok(Self::wrap(inner))
    }

    fn wrap(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
            kid: None,
        }
    }

    /// Loads a key from a configuration value: a PKCS#11 URI
    /// (`pkcs11:...`), several PKCS#11 URIs separated by whitespace
    /// (spaces or newlines: an HA signing group of the same key, see
    /// [`SigningKey::from_pkcs11_group`]), a PEM document
    /// (`-----BEGIN ...`) or a private JWK (`{...}`).
    ///
    /// A URI never holds whitespace (RFC 7512 §2.3 percent-encodes it), so
    /// whitespace only ever separates members.
    ///
    /// ```no_run
    /// // One key in two tokens (or two modules): signing goes on while
    /// // one of them answers.
    /// let key = fapi::SigningKey::from_config(
    ///     "pkcs11:token=hsm-a;object=as-signing?module-path=/usr/lib/hsm-a.so&pin-source=file:/etc/fapi/pin-a
    ///      pkcs11:token=hsm-b;object=as-signing?module-path=/usr/lib/hsm-b.so&pin-source=file:/etc/fapi/pin-b",
    /// )?;
    /// assert_eq!(key.hsm_group().map(|g| g.health().len()), Some(2));
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    pub fn from_config(value: &str) -> Result<Self, KeyError> {
        let v = value.trim_start();
        if v.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("pkcs11:"))
        {
            let uris: Vec<&str> = v.split_whitespace().collect();
            if uris.len() > 1 {
                Self::from_pkcs11_group(&uris)
            } else {
                Self::from_pkcs11_uri(v.trim_end())
            }
        } else if v.starts_with("-----BEGIN") {
            Self::from_pem(v)
        } else if v.starts_with('{') {
            Self::from_jwk(v)
        } else {
            Err(KeyError::new(
                CoreError::InvalidKey,
                "key configuration is neither a pkcs11: URI, a PEM document nor a JWK",
            ))
        }
    }

    /// Loads the key in the file at `path`: PEM, a private JWK, or DER
    /// (PKCS#8, then SEC1).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
            KeyError::new(
                CoreError::KeyNotFound,
                format!("{}: {}", path.display(), e.kind()),
            )
        })?);
        match core::str::from_utf8(&bytes) {
            Ok(text) if !text.trim().is_empty() => Self::from_config(text),
            _ => Self::from_pkcs8_der(&bytes).or_else(|_| Self::from_sec1_der(&bytes)),
        }
    }

    /// Loads a PEM document: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY`
    /// (SEC1, an `EC PARAMETERS` block before it is skipped) or, with
    /// `rsa-signing`, `RSA PRIVATE KEY` (PKCS#1). Encrypted keys and any
    /// other label are refused. Parsed by `pem-rfc7468` (strict RFC 7468,
    /// constant-time base64).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let mut found: Option<(String, Zeroizing<Vec<u8>>)> = None;
        for block in pem_blocks(pem) {
            let (label, der) = pem_rfc7468::decode_vec(block.as_bytes())
                .map_err(|e| KeyError::new(CoreError::InvalidKey, format!("PEM: {e}")))?;
            let der = Zeroizing::new(der);
            if label == "EC PARAMETERS" {
                continue;
            }
            if found.replace((label.to_owned(), der)).is_some() {
                return Err(KeyError::new(
                    CoreError::InvalidKey,
                    "PEM: more than one key in the document",
                ));
            }
        }
        let (label, der) =
            found.ok_or_else(|| KeyError::new(CoreError::InvalidKey, "PEM: no key block"))?;
        match label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "EC PRIVATE KEY" => Self::from_sec1_der(&der),
            #[cfg(feature = "rsa-signing")]
            "RSA PRIVATE KEY" => {
                let key =
                    fapi_awslc::Ps256SigningKey::from_pkcs1_der(&der).map_err(backend("PKCS#1"))?;
                Ok(Self::wrap(Inner::Ps256(key)))
            }
            #[cfg(not(feature = "rsa-signing"))]
            "RSA PRIVATE KEY" => Err(rsa_needs_feature()),
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::new(
                CoreError::UnsupportedKeyType,
                "PEM: encrypted PKCS#8 is not supported; keep the key in an HSM or decrypt it at deployment",
            )),
            other => Err(KeyError::new(
                CoreError::InvalidKey,
                format!("PEM: label {other:?} is not a private key"),
            )),
        }
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` (RFC 5208/5958) of a P-256, Ed25519
    /// or (with `rsa-signing`) RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfoRef::try_from(der)
            .map_err(|e| KeyError::new(CoreError::InvalidKey, format!("PKCS#8: {e}")))?;
        let oid = info.algorithm.oid;
        if oid == OID_EC_PUBLIC_KEY {
            // F2-ALG: P-256 only.
            let curve = info.algorithm.parameters_oid().map_err(|e| {
                KeyError::new(CoreError::InvalidKey, format!("PKCS#8: EC parameters: {e}"))
            })?;
            if curve != OID_P256 {
                return Err(KeyError::new(
                    CoreError::UnsupportedKeyType,
                    format!("PKCS#8: EC curve {curve} is not P-256 (F2-ALG)"),
                ));
            }
            let key = fapi_awslc::Es256SigningKey::from_pkcs8_der(der)
                .map_err(backend("PKCS#8 P-256"))?;
            Ok(Self::wrap(Inner::Es256(key)))
        } else if oid == OID_ED25519 {
            let key = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(der)
                .map_err(backend("PKCS#8 Ed25519"))?;
            Ok(Self::wrap(Inner::EdDsa(key)))
        } else if oid == OID_RSA {
            Self::rsa_pkcs8(der)
        } else {
            Err(KeyError::new(
                CoreError::UnsupportedKeyType,
                format!("PKCS#8: algorithm {oid} is not one of P-256, Ed25519, RSA (F2-ALG)"),
            ))
        }
    }

    #[cfg(feature = "rsa-signing")]
    fn rsa_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        // F2-ALG: the backend refuses RSA under 2048 bits (WeakKey).
        let key =
            fapi_awslc::Ps256SigningKey::from_pkcs8_der(der).map_err(backend("PKCS#8 RSA"))?;
        Ok(Self::wrap(Inner::Ps256(key)))
    }

    #[cfg(not(feature = "rsa-signing"))]
    fn rsa_pkcs8(_der: &[u8]) -> Result<Self, KeyError> {
        Err(rsa_needs_feature())
    }

    /// Loads a SEC1 (RFC 5915) `ECPrivateKey` of a P-256 key: the curve
    /// must be named and be P-256, and a public key, when present, must be
    /// the private key's.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let ec = sec1::EcPrivateKey::try_from(der)
            .map_err(|e| KeyError::new(CoreError::InvalidKey, format!("SEC1: {e}")))?;
        match ec.parameters.and_then(sec1::EcParameters::named_curve) {
            Some(c) if c == OID_P256 => {}
            Some(c) => {
                return Err(KeyError::new(
                    CoreError::UnsupportedKeyType,
                    format!("SEC1: EC curve {c} is not P-256 (F2-ALG)"),
                ));
            }
            None => {
                return Err(KeyError::new(
                    CoreError::InvalidKey,
                    "SEC1: the key does not name its curve",
                ));
            }
        }
        // aws-lc checks the scalar and that a public key present is the
        // private key's.
        let key = fapi_awslc::Es256SigningKey::from_sec1_der(der).map_err(backend("SEC1 P-256"))?;
        Ok(Self::wrap(Inner::Es256(key)))
    }

    /// Loads a private JWK (RFC 7517, RFC 7518 §6.2.2, RFC 8037): EC P-256
    /// or OKP Ed25519 with `d`. The public members must be the private
    /// key's; `alg`, `use` and `key_ops`, when present, must allow signing
    /// with this key; `kid` becomes the key id. RSA private JWKs are
    /// refused (load RSA keys from PKCS#8, or better, an HSM).
    pub fn from_jwk(json: &str) -> Result<Self, KeyError> {
        let jwk: PrivateJwk = serde_json::from_str(json)
            .map_err(|e| KeyError::new(CoreError::Json, format!("JWK: {e}")))?;
        jwk.load()
    }

    /// Loads the HSM key named by a PKCS#11 URI (RFC 7512; see
    /// [`crate::pkcs11_uri`]): opens the module and token, logs in with a
    /// pool of sessions, finds the key by `id` or `object` label, checks it
    /// against F2-ALG and signs with the algorithm of its type.
    ///
    /// ```no_run
    /// let key = fapi::SigningKey::from_pkcs11_uri(
    ///     "pkcs11:token=fapi;object=as-signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fapi/pin",
    /// )?;
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    pub fn from_pkcs11_uri(uri: &str) -> Result<Self, KeyError> {
        let uri = Pkcs11Uri::parse(uri)?;
        let signer = hsm_signer(&uri, "PKCS#11")?;
        Ok(Self::wrap(Inner::Hsm(signer)))
    }

    /// Loads an HA signing group (see [`fapi_pkcs11::group`]): the same
    /// key in each token named by `uris` (two or more PKCS#11 URIs, as
    /// [`SigningKey::from_pkcs11_uri`] reads them, in several tokens of
    /// one module or in several modules). Every member is opened and must
    /// hold the same public key, or the result names the member that
    /// failed or holds another key ([`CoreError::InvalidKey`], with both
    /// `kid`s). Signing goes to the least busy member that is in; a member
    /// that fails is taken out and the signature made on another, so that
    /// it fails only when every member does. A member whose module path
    /// no other member names is probed with a restart of its module
    /// ([`fapi_pkcs11::GroupMember::restart_module_when_probed`]): use
    /// that module for nothing else in the process.
    ///
    /// ```no_run
    /// let key = fapi::SigningKey::from_pkcs11_group(&[
    ///     "pkcs11:token=hsm-a;object=as-signing?pin-source=file:/etc/fapi/pin",
    ///     "pkcs11:token=hsm-b;object=as-signing?pin-source=file:/etc/fapi/pin",
    /// ])?;
    /// let group = key.hsm_group().expect("a group");
    /// assert_eq!(group.members_in(), 2);
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    pub fn from_pkcs11_group(uris: &[&str]) -> Result<Self, KeyError> {
        if uris.len() < 2 {
            return Err(KeyError::new(
                CoreError::InvalidParameter,
                format!(
                    "PKCS#11 group: {} member(s); a group needs two or more URIs",
                    uris.len()
                ),
            ));
        }
        let mut parsed = Vec::with_capacity(uris.len());
        for (i, text) in uris.iter().enumerate() {
            let n = i.saturating_add(1);
            let uri = Pkcs11Uri::parse(text).map_err(|e| {
                KeyError::new(
                    e.error(),
                    format!("PKCS#11 group member {n}: {}", e.reason()),
                )
            })?;
            parsed.push(uri);
        }
        let module_of = |uri: &Pkcs11Uri| {
            uri.module_path
                .clone()
                .unwrap_or_else(fapi_pkcs11::token::module_path_from_env)
        };
        let mut members = Vec::with_capacity(parsed.len());
        for (i, uri) in parsed.iter().enumerate() {
            let n = i.saturating_add(1);
            let name = member_name(uri);
            let signer = hsm_signer(uri, &format!("PKCS#11 group member {n} ({name})"))?;
            let mut member = fapi_pkcs11::GroupMember::new(name, signer);
            // A module of this member alone is restarted when the member is
            // probed, so that a module that never recovers on its own
            // (tpm2-pkcs11 after a TPM restart) comes back.
            let module = module_of(uri);
            if parsed.iter().filter(|u| module_of(u) == module).count() == 1 {
                member = member.restart_module_when_probed();
            }
            members.push(member);
        }
        let group = fapi_pkcs11::HsmGroup::new(members, fapi_pkcs11::GroupConfig::default())
            .map_err(|e| KeyError::new(e.clone().into(), format!("PKCS#11 group: {e}")))?;
        Ok(Self::wrap(Inner::HsmGroup(group)))
    }

    /// The HA signing group this key is, if it is one: its members'
    /// health ([`fapi_pkcs11::HsmGroup::health`]) for readiness checks and
    /// metrics.
    ///
    /// ```
    /// let key = fapi::SigningKey::generate(fapi_core::Alg::Es256)?;
    /// assert!(key.hsm_group().is_none());
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    #[must_use]
    pub fn hsm_group(&self) -> Option<&fapi_pkcs11::HsmGroup> {
        match &*self.inner {
            Inner::HsmGroup(g) => Some(g),
            _ => None,
        }
    }

    /// The same key published (and named in the `kid` header) as `kid`
    /// instead of its RFC 7638 thumbprint: [`CoreError::InvalidParameter`]
    /// when empty, [`CoreError::TooLarge`] over
    /// [`fapi_awslc::MAX_KEY_ID_LEN`] bytes (as the backends refuse).
    pub fn with_key_id(mut self, kid: &str) -> Result<Self, KeyError> {
        if kid.is_empty() {
            return Err(KeyError::new(
                CoreError::InvalidParameter,
                "the key id is empty",
            ));
        }
        if kid.len() > fapi_awslc::MAX_KEY_ID_LEN {
            return Err(KeyError::new(
                CoreError::TooLarge,
                format!(
                    "the key id is longer than {} bytes",
                    fapi_awslc::MAX_KEY_ID_LEN
                ),
            ));
        }
        self.kid = Some(kid.into());
        Ok(self)
    }

    /// Whether the key lives in an HSM (one token, or a group).
    #[must_use]
    pub fn is_hsm(&self) -> bool {
        matches!(*self.inner, Inner::Hsm(_) | Inner::HsmGroup(_))
    }

    fn signer(&self) -> &dyn Signer {
        match &*self.inner {
            Inner::Es256(k) => k,
            Inner::EdDsa(k) => k,
            #[cfg(feature = "rsa-signing")]
            Inner::Ps256(k) => k,
            Inner::Hsm(k) => k,
            Inner::HsmGroup(g) => g,
        }
    }

    /// The public JWK (with `kid`, `alg`, `use`) as JSON.
    pub fn public_jwk_json(&self) -> Result<String, CoreError> {
        let public = self.signer().public_key()?;
        let jwk = PublicJwk::new(public, Some(self.key_id()));
        let mut out = vec![0u8; 4096];
        let n = jwk.write_json(&mut out)?;
        out.truncate(n);
        String::from_utf8(out).map_err(|_| CoreError::Json)
    }
}

impl Signer for SigningKey {
    fn alg(&self) -> Alg {
        self.signer().alg()
    }
    fn key_id(&self) -> &str {
        self.kid
            .as_deref()
            .unwrap_or_else(|| self.signer().key_id())
    }
    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, CoreError> {
        self.signer().sign(message, signature)
    }
    fn public_key(&self) -> Result<PublicKey, CoreError> {
        self.signer().public_key()
    }
    /// `rsa-pss-sha512` (RFC 9421 §3.3.1) with the inner key: an RSA key
    /// in aws-lc or in an HSM; any other is `UnsupportedAlg`.
    fn sign_rsa_pss_sha512(
        &self,
        message: &[u8],
        signature: &mut [u8],
    ) -> Result<usize, CoreError> {
        self.signer().sign_rsa_pss_sha512(message, signature)
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg())
            .field("kid", &self.key_id())
            .field("hsm", &self.is_hsm())
            .finish_non_exhaustive()
    }
}

#[cfg(not(feature = "rsa-signing"))]
fn rsa_needs_feature() -> KeyError {
    KeyError::new(
        CoreError::UnsupportedKeyType,
        "RSA signing keys belong in an HSM (software RSA needs the rsa-signing feature)",
    )
}

/// The PEM blocks of a document, each from its `-----BEGIN` line to its
/// `-----END ...-----` line (text around them is left out).
fn pem_blocks(pem: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN ") {
        let from = &rest[start..];
        let Some(end) = from.find("-----END ") else {
            // An unterminated block: handed to the parser, which says why.
            blocks.push(from);
            break;
        };
        let after = &from[end + 9..];
        let close = after.find("-----").map_or(after.len(), |i| i + 5);
        let len = end + 9 + close;
        blocks.push(&from[..len]);
        rest = &from[len..];
    }
    blocks
}

#[derive(serde::Deserialize, Zeroize, ZeroizeOnDrop)]
struct PrivateJwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<String>,
    n: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
}

fn jwk_err(reason: &'static str) -> KeyError {
    KeyError::new(CoreError::InvalidKey, reason)
}

fn b64_field<const N: usize>(
    value: Option<&String>,
    name: &'static str,
) -> Result<Zeroizing<[u8; N]>, KeyError> {
    let v = value.ok_or_else(|| jwk_err(name))?;
    fapi_core::b64::decode_array::<N>(v.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| jwk_err(name))
}

impl PrivateJwk {
    fn load(&self) -> Result<SigningKey, KeyError> {
        if self.key_use.as_deref().is_some_and(|u| u != "sig") {
            return Err(jwk_err("JWK: use is not sig"));
        }
        if self
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|o| o == "sign"))
        {
            return Err(jwk_err("JWK: key_ops does not allow sign"));
        }
        if self.d.is_none() {
            return Err(KeyError::new(
                CoreError::InvalidKey,
                "JWK: no d: a public key cannot sign",
            ));
        }
        let key = match (self.kty.as_str(), self.crv.as_deref()) {
            ("EC", Some("P-256")) => {
                let d = b64_field::<32>(self.d.as_ref(), "JWK: d is not a 32-byte P-256 scalar")?;
                let key = fapi_awslc::Es256SigningKey::from_bytes(d.as_ref())
                    .map_err(backend("JWK: d as a P-256 scalar"))?;
                let x = b64_field::<32>(self.x.as_ref(), "JWK: x is not 32 bytes")?;
                let y = b64_field::<32>(self.y.as_ref(), "JWK: y is not 32 bytes")?;
                let want = PublicKey::P256 { x: *x, y: *y };
                check_public(&key, &want)?;
                Inner::Es256(key)
            }
            ("OKP", Some("Ed25519")) => {
                let d = b64_field::<32>(self.d.as_ref(), "JWK: d is not a 32-byte Ed25519 seed")?;
                let key = fapi_awslc::Ed25519SigningKey::from_bytes(d.as_ref())
                    .map_err(backend("JWK: d as an Ed25519 seed"))?;
                let x = b64_field::<32>(self.x.as_ref(), "JWK: x is not 32 bytes")?;
                check_public(&key, &PublicKey::Ed25519 { x: *x })?;
                Inner::EdDsa(key)
            }
            ("RSA", _) if self.n.is_some() => {
                return Err(KeyError::new(
                    CoreError::UnsupportedKeyType,
                    "JWK: RSA private JWKs are not loaded; use PKCS#8 or an HSM",
                ));
            }
            (kty, crv) => {
                return Err(KeyError::new(
                    CoreError::UnsupportedKeyType,
                    format!("JWK: kty {kty:?} crv {crv:?} is not P-256 or Ed25519 (F2-ALG)"),
                ));
            }
        };
        let mut key = SigningKey::wrap(key);
        if let Some(alg) = self.alg.as_deref() {
            let alg = Alg::from_name(alg)
                .map_err(|e| KeyError::new(e, "JWK: alg is not PS256, ES256 or EdDSA"))?;
            if alg != key.alg() {
                return Err(KeyError::new(
                    CoreError::KeyAlgMismatch,
                    "JWK: alg is not the key type's",
                ));
            }
        }
        if let Some(kid) = self.kid.as_deref() {
            key = key.with_key_id(kid)?;
        }
        Ok(key)
    }
}

fn check_public(key: &dyn Signer, want: &PublicKey) -> Result<(), KeyError> {
    let got = key
        .public_key()
        .map_err(|e| KeyError::new(e, "JWK: no public key"))?;
    if got != *want {
        return Err(jwk_err("JWK: the public members are not the private key's"));
    }
    Ok(())
}

/// Opens the module and token a PKCS#11 URI names, logs in with a pool of
/// sessions, and names the key by `id` (else `object`):
/// [`CoreError::KeyNotFound`] when the URI names neither.
/// The HSM key named by `uri` as a signer; errors start with `what`.
fn hsm_signer(uri: &Pkcs11Uri, what: &str) -> Result<fapi_pkcs11::HsmSigner, KeyError> {
    let hsm = |e: fapi_pkcs11::Error| KeyError::new(e.clone().into(), format!("{what}: {e}"));
    let (pool, key_ref) = open_pkcs11(uri).map_err(|e| {
        KeyError::new(
            e.error(),
            format!("{what}: {}", e.reason().trim_start_matches("PKCS#11: ")),
        )
    })?;
    // F2-ALG: describe() refuses weak keys and other curves.
    let info = fapi_pkcs11::keys::describe(&pool, &key_ref).map_err(hsm)?;
    if let (Some(_), Some(label)) = (&uri.id, &uri.object)
        && info.label != *label
    {
        return Err(KeyError::new(
            CoreError::KeyNotFound,
            format!("{what}: the key with this id has another label"),
        ));
    }
    fapi_pkcs11::HsmSigner::new(pool, &key_ref, info.alg()).map_err(hsm)
}

/// How a group member is named in errors, logs and health: its token and
/// module (never its PIN).
fn member_name(uri: &Pkcs11Uri) -> String {
    let module = uri
        .module_path
        .clone()
        .unwrap_or_else(fapi_pkcs11::token::module_path_from_env);
    format!("token {} in {}", uri.token, module.display())
}

pub(crate) fn open_pkcs11(
    uri: &Pkcs11Uri,
) -> Result<(Arc<fapi_pkcs11::SessionPool>, fapi_pkcs11::KeyRef), KeyError> {
    let hsm = |e: fapi_pkcs11::Error| KeyError::new(e.clone().into(), format!("PKCS#11: {e}"));
    let module = uri
        .module_path
        .clone()
        .unwrap_or_else(fapi_pkcs11::token::module_path_from_env);
    let token = fapi_pkcs11::Token::open(&module, &uri.token).map_err(hsm)?;
    let pin = match &uri.pin {
        PinSource::File(p) => fapi_pkcs11::Pin::from_file(p).map_err(hsm)?,
        PinSource::Value(v) => fapi_pkcs11::Pin::new(v),
    };
    let pool = Arc::new(
        fapi_pkcs11::SessionPool::new(token, pin, fapi_pkcs11::PoolConfig::default())
            .map_err(hsm)?,
    );
    let key_ref = match (&uri.id, &uri.object) {
        (Some(id), _) => fapi_pkcs11::KeyRef::Id(id.clone()),
        (None, Some(label)) => fapi_pkcs11::KeyRef::Label(label.clone()),
        (None, None) => return Err(KeyError::new(CoreError::KeyNotFound, "PKCS#11: no key")),
    };
    Ok((pool, key_ref))
}
