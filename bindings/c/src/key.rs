//! Signing keys (`fapi_key`) and public keys (`fapi_public_key`).
//!
//! A `fapi_key` is a software key on aws-lc (from PKCS#8 DER or PEM, SEC1 PEM, a
//! private JWK, or generated) or a key in a PKCS#11 token (by RFC 7512 URI,
//! or by module path, token label, key label and PIN) whose private half
//! never leaves the token. Both sign through the same
//! [`fapi_core::Signer`] seam; every function taking a key treats them
//! alike. Every key passes the F2-ALG check when it is loaded.

use core::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use fapi_awslc::{AWSLC, Ed25519SigningKey, Es256SigningKey, SystemRandom};
use fapi_core::crypto::KeyVerifier;
use fapi_core::{Alg, Error, PublicJwk, PublicKey, Signer};
use fapi_pkcs11::{HsmSigner, Pin, PoolConfig, SessionPool, Token};
use zeroize::Zeroizing;

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail, hsm_failure};
use crate::pkcs11_uri::{self, PinSource};

/// `fapi_alg`: a signature algorithm, as a number.
pub type fapi_alg = u32;
/// PS256 (RSASSA-PSS, SHA-256).
pub const FAPI_ALG_PS256: fapi_alg = 1;
/// ES256 (ECDSA P-256, SHA-256).
pub const FAPI_ALG_ES256: fapi_alg = 2;
/// EdDSA (Ed25519).
pub const FAPI_ALG_EDDSA: fapi_alg = 3;

/// The number of an algorithm.
pub(crate) fn alg_number(alg: Alg) -> fapi_alg {
    match alg {
        Alg::Ps256 => FAPI_ALG_PS256,
        Alg::Es256 => FAPI_ALG_ES256,
        Alg::EdDsa => FAPI_ALG_EDDSA,
    }
}

/// The algorithm of a number.
pub(crate) fn alg_of(n: fapi_alg) -> Result<Alg, Failure> {
    match n {
        FAPI_ALG_PS256 => Ok(Alg::Ps256),
        FAPI_ALG_ES256 => Ok(Alg::Es256),
        FAPI_ALG_EDDSA => Ok(Alg::EdDsa),
        other => Err(Failure::invalid(format!("{other} is not a fapi_alg"))),
    }
}

/// A signing key: software or PKCS#11.
///
/// Thread safety: a `fapi_key` may be used by any number of threads at
/// once (software keys are immutable; a PKCS#11 key signs on a pool of
/// logged-in sessions, one per call). Free it once, when no call uses it.
pub struct fapi_key {
    signer: Box<dyn Signer + Send + Sync>,
}

impl fapi_key {
    /// The key as a [`Signer`].
    pub(crate) fn signer(&self) -> &(dyn Signer + Send + Sync) {
        &*self.signer
    }
}

/// A public key that verifies signatures of its one algorithm, through
/// aws-lc.
///
/// Thread safety: immutable; any number of threads may use one at once.
pub struct fapi_public_key {
    key: PublicKey,
}

impl fapi_public_key {
    /// The key as a [`fapi_core::Verifier`].
    pub(crate) fn verifier(&self) -> KeyVerifier<'static, fapi_awslc::AwsLc> {
        KeyVerifier::new(&AWSLC, self.key.clone())
    }
}

// ---------------------------------------------------------------------------
// software keys

/// `id-ecPublicKey`, `prime256v1`, `id-Ed25519`, `rsaEncryption`.
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_ED25519: &str = "1.3.101.112";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

fn boxed<S: Signer + Send + Sync + 'static>(s: S) -> Box<dyn Signer + Send + Sync> {
    Box::new(s)
}

/// A software key from PKCS#8 DER, or from PEM (`PRIVATE KEY`; `EC PRIVATE
/// KEY` for SEC1, `RSA PRIVATE KEY` for PKCS#1). The PEM armour is read by
/// `pem-rfc7468`, the DER by the backend's loaders.
pub(crate) fn software_from_pkcs8(input: &[u8]) -> Result<Box<dyn Signer + Send + Sync>, Failure> {
    let trimmed = input.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let (label, der) = pem_rfc7468::decode_vec(trimmed)
            .map_err(|e| Failure::core(Error::InvalidKey, &format!("PEM: {e}")))?;
        let der = Zeroizing::new(der);
        return match label {
            "PRIVATE KEY" => pkcs8_der(&der),
            "EC PRIVATE KEY" => Es256SigningKey::from_sec1_der(&der)
                .map(boxed)
                .context("SEC1 P-256 key"),
            #[cfg(feature = "rsa-signing")]
            "RSA PRIVATE KEY" => fapi_awslc::Ps256SigningKey::from_pkcs1_der(&der)
                .map(boxed)
                .context("PKCS#1 RSA key"),
            "ENCRYPTED PRIVATE KEY" => Err(Failure::core(
                Error::UnsupportedKeyType,
                "PEM: an encrypted PKCS#8 key; decrypt it first (or keep it in an HSM)",
            )),
            other => Err(Failure::core(
                Error::UnsupportedKeyType,
                &format!("PEM: `{other}` is not a PKCS#8 private key"),
            )),
        };
    }
    pkcs8_der(input)
}

fn pkcs8_der(der: &[u8]) -> Result<Box<dyn Signer + Send + Sync>, Failure> {
    use pkcs8::der::Decode as _;
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| Failure::core(Error::InvalidKey, &format!("PKCS#8: {e}")))?;
    let oid = info.algorithm.oid.to_string();
    match oid.as_str() {
        OID_EC => {
            let curve = info
                .algorithm
                .parameters_oid()
                .map(|o| o.to_string())
                .unwrap_or_default();
            if curve != OID_P256 {
                // F2-ALG: P-256 is the only curve for ES256.
                return Err(Failure::core(
                    Error::UnsupportedKeyType,
                    &format!("PKCS#8: EC curve {curve} is not P-256 (F2-ALG)"),
                ));
            }
            Es256SigningKey::from_pkcs8_der(der)
                .map(boxed)
                .context("PKCS#8 P-256 key")
        }
        OID_ED25519 => Ed25519SigningKey::from_pkcs8_der(der)
            .map(boxed)
            .context("PKCS#8 Ed25519 key"),
        #[cfg(feature = "rsa-signing")]
        OID_RSA => fapi_awslc::Ps256SigningKey::from_pkcs8_der(der)
            .map(boxed)
            .context("PKCS#8 RSA key"),
        other => Err(Failure::core(
            Error::UnsupportedKeyType,
            &format!("PKCS#8: key algorithm {other} is not one of F2-ALG's"),
        )),
    }
}

/// A private JWK member: zeroized on drop.
struct SecretText(Zeroizing<String>);

impl<'de> serde::Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The decoded string moves into the zeroizing wrapper, uncopied.
        <String as serde::Deserialize>::deserialize(d).map(|s| Self(Zeroizing::new(s)))
    }
}

impl SecretText {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// The members of a private JWK that fapi reads.
#[derive(serde::Deserialize)]
struct PrivateJwk {
    kty: String,
    crv: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<SecretText>,
    p: Option<SecretText>,
    q: Option<SecretText>,
    dp: Option<SecretText>,
    dq: Option<SecretText>,
    qi: Option<SecretText>,
    oth: Option<serde_json::Value>,
}

fn b64_member(value: Option<&str>, name: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let value = value.ok_or_else(|| {
        Failure::core(
            Error::InvalidKey,
            &format!("private JWK: `{name}` is missing"),
        )
    })?;
    let mut out = Zeroizing::new(vec![0u8; value.len()]);
    let n = fapi_core::b64::decode(value.as_bytes(), &mut out)
        .map(<[u8]>::len)
        .context(&format!("private JWK: `{name}`"))?;
    out.truncate(n);
    Ok(out)
}

/// A software key from a private JWK (RFC 7517, RFC 7518 §6, RFC 8037):
/// EC P-256 (`d`), OKP Ed25519 (`d`), RSA (`d`, `p`, `q`, `dp`, `dq`,
/// `qi`). The public members must be those of the private key, and `alg`,
/// when present, that of the key type.
pub(crate) fn software_from_jwk(json: &[u8]) -> Result<Box<dyn Signer + Send + Sync>, Failure> {
    // Duplicate members, bad nesting and oversize documents are refused by
    // the core's JSON check first, as for every JWK fapi reads.
    fapi_core::json::check(json).context("private JWK")?;
    let jwk: PrivateJwk = serde_json::from_slice(json)
        .map_err(|e| Failure::core(Error::Json, &format!("private JWK: {e}")))?;
    let d = b64_member(jwk.d.as_ref().map(SecretText::as_str), "d")?;
    let (signer, public): (Box<dyn Signer + Send + Sync>, PublicKey) =
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("EC", Some("P-256")) => {
                let k = Es256SigningKey::from_bytes(&d).context("private JWK (P-256)")?;
                let public = k.public_key().context("private JWK")?;
                let claimed = PublicKey::P256 {
                    x: fixed32(&b64_member(jwk.x.as_deref(), "x")?)?,
                    y: fixed32(&b64_member(jwk.y.as_deref(), "y")?)?,
                };
                (
                    with_kid(k, jwk.kid.as_deref())?,
                    claimed_matches(public, claimed)?,
                )
            }
            ("OKP", Some("Ed25519")) => {
                let k = Ed25519SigningKey::from_bytes(&d).context("private JWK (Ed25519)")?;
                let public = k.public_key().context("private JWK")?;
                let claimed = PublicKey::Ed25519 {
                    x: fixed32(&b64_member(jwk.x.as_deref(), "x")?)?,
                };
                (
                    with_kid(k, jwk.kid.as_deref())?,
                    claimed_matches(public, claimed)?,
                )
            }
            #[cfg(feature = "rsa-signing")]
            ("RSA", None) => rsa_from_jwk(&jwk, &d)?,
            ("EC" | "OKP" | "RSA" | "oct", _) | (_, _) => {
                return Err(Failure::core(
                    Error::UnsupportedKeyType,
                    &format!(
                        "private JWK: kty {} crv {} is not a key of F2-ALG",
                        jwk.kty,
                        jwk.crv.as_deref().unwrap_or("-")
                    ),
                ));
            }
        };
    if let Some(alg) = jwk.alg.as_deref() {
        // F2-ALG, and the JWK's alg must be the key's.
        public
            .check_alg(Alg::from_name(alg).context("private JWK `alg`")?)
            .context("private JWK `alg`")?;
    }
    Ok(signer)
}

fn fixed32(b: &[u8]) -> Result<[u8; 32], Failure> {
    b.try_into().map_err(|_| {
        Failure::core(
            Error::InvalidKey,
            "private JWK: a coordinate is not 32 bytes",
        )
    })
}

fn claimed_matches(actual: PublicKey, claimed: PublicKey) -> Result<PublicKey, Failure> {
    if actual == claimed {
        Ok(actual)
    } else {
        Err(Failure::core(
            Error::InvalidKey,
            "private JWK: the public members are not those of `d`",
        ))
    }
}

/// A key id: the JWK's `kid` (the backend's key id rule: 1 to 64 bytes),
/// else the key's thumbprint (the backend's default).
trait WithKid: Signer + Send + Sync + Sized + 'static {
    fn set_kid(self, kid: &str) -> Result<Self, fapi_core::KeyError>;
}

impl WithKid for Es256SigningKey {
    fn set_kid(self, kid: &str) -> Result<Self, fapi_core::KeyError> {
        self.with_key_id(kid)
    }
}

impl WithKid for Ed25519SigningKey {
    fn set_kid(self, kid: &str) -> Result<Self, fapi_core::KeyError> {
        self.with_key_id(kid)
    }
}

#[cfg(feature = "rsa-signing")]
impl WithKid for fapi_awslc::Ps256SigningKey {
    fn set_kid(self, kid: &str) -> Result<Self, fapi_core::KeyError> {
        self.with_key_id(kid)
    }
}

fn with_kid<K: WithKid>(k: K, kid: Option<&str>) -> Result<Box<dyn Signer + Send + Sync>, Failure> {
    match kid {
        Some(kid) => Ok(boxed(k.set_kid(kid).context("private JWK `kid`")?)),
        None => Ok(boxed(k)),
    }
}

#[cfg(feature = "rsa-signing")]
fn uint(b: &[u8]) -> Result<pkcs1::UintRef<'_>, Failure> {
    pkcs1::UintRef::new(b)
        .map_err(|e| Failure::core(Error::InvalidKey, &format!("private JWK: {e}")))
}

/// An RSA JWK, through the PKCS#1 `RSAPrivateKey` it is the members of
/// (RFC 7518 §6.3.2; multi-prime `oth` keys are refused).
#[cfg(feature = "rsa-signing")]
fn rsa_from_jwk(
    jwk: &PrivateJwk,
    d: &[u8],
) -> Result<(Box<dyn Signer + Send + Sync>, PublicKey), Failure> {
    use pkcs8::der::Encode as _;
    if jwk.oth.is_some() {
        return Err(Failure::core(
            Error::UnsupportedKeyType,
            "private JWK: multi-prime RSA (`oth`) is not supported",
        ));
    }
    let n = b64_member(jwk.n.as_deref(), "n")?;
    let e = b64_member(jwk.e.as_deref(), "e")?;
    let member =
        |v: &Option<SecretText>, name| b64_member(v.as_ref().map(SecretText::as_str), name);
    let (p, q) = (member(&jwk.p, "p")?, member(&jwk.q, "q")?);
    let (dp, dq, qi) = (
        member(&jwk.dp, "dp")?,
        member(&jwk.dq, "dq")?,
        member(&jwk.qi, "qi")?,
    );
    let der = pkcs1::RsaPrivateKey {
        modulus: uint(&n)?,
        public_exponent: uint(&e)?,
        private_exponent: uint(d)?,
        prime1: uint(&p)?,
        prime2: uint(&q)?,
        exponent1: uint(&dp)?,
        exponent2: uint(&dq)?,
        coefficient: uint(&qi)?,
        other_prime_infos: None,
    }
    .to_der()
    .map_err(|e| Failure::core(Error::InvalidKey, &format!("private JWK: {e}")))?;
    let der = Zeroizing::new(der);
    let k = fapi_awslc::Ps256SigningKey::from_pkcs1_der(&der).context("private JWK (RSA)")?;
    let public = k.public_key().context("private JWK")?;
    let claimed = PublicKey::Rsa(fapi_core::jwk::RsaPublicKey::new(&n, &e).context("private JWK")?);
    Ok((
        with_kid(k, jwk.kid.as_deref())?,
        claimed_matches(public, claimed)?,
    ))
}

/// RSA keys are generated at 2048 bits, the F2-ALG minimum.
#[cfg(feature = "rsa-signing")]
const RSA_GENERATE_BITS: usize = 2048;

fn generate(alg: Alg) -> Result<Box<dyn Signer + Send + Sync>, Failure> {
    let rng = SystemRandom::new();
    match alg {
        Alg::Es256 => Es256SigningKey::generate(&rng).map(boxed),
        Alg::EdDsa => Ed25519SigningKey::generate(&rng).map(boxed),
        #[cfg(feature = "rsa-signing")]
        Alg::Ps256 => fapi_awslc::Ps256SigningKey::generate(RSA_GENERATE_BITS).map(boxed),
        #[cfg(not(feature = "rsa-signing"))]
        Alg::Ps256 => Err(fapi_core::KeyError::new(
            Error::UnsupportedKeyType,
            "built without the rsa-signing feature",
        )),
    }
    .context("generating a key")
}

// ---------------------------------------------------------------------------
// PKCS#11 keys

/// A key in a PKCS#11 token: the module is loaded once per process, a pool
/// of logged-in sessions is opened, the key is found and checked (F2-ALG).
fn hsm_key(
    module: &Path,
    token: &str,
    key: &fapi_pkcs11::KeyRef,
    pin: Pin,
) -> Result<Box<dyn Signer + Send + Sync>, Failure> {
    let token = Token::open(module, token).map_err(|e| hsm_failure(&e))?;
    let pool =
        Arc::new(SessionPool::new(token, pin, PoolConfig::default()).map_err(|e| hsm_failure(&e))?);
    let info = fapi_pkcs11::keys::describe(&pool, key).map_err(|e| hsm_failure(&e))?;
    let signer = HsmSigner::new(pool, key, info.alg()).map_err(|e| hsm_failure(&e))?;
    Ok(boxed(signer))
}

// ---------------------------------------------------------------------------
// exported functions

/// Generates a software key for `alg` (`FAPI_ALG_*`) from the operating
/// system's generator; its key id is its RFC 7638 thumbprint.
///
/// ```c
/// fapi_key *key = NULL;
/// if (fapi_key_generate(FAPI_ALG_ES256, &key, NULL) != FAPI_OK) abort();
/// fapi_key_free(key);
/// ```
///
/// # Safety
/// `out` is writable; `err` is NULL or a valid [`fapi_error_detail`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_generate(
    alg: fapi_alg,
    out: *mut *mut fapi_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: `out` is NULL or writable (contract).
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        let signer = generate(alg_of(alg)?)?;
        // SAFETY: as above.
        unsafe { ffi::put_handle(out, fapi_key { signer }, "out") }
    })
}

/// Loads a software key from a PKCS#8 document, DER or PEM
/// (`-----BEGIN PRIVATE KEY-----`; SEC1 `EC PRIVATE KEY` (RFC 5915) and
/// PKCS#1 `RSA PRIVATE KEY` PEM are read too), through the aws-lc
/// backend's loaders; a refusal's message keeps aws-lc's reason. P-256, Ed25519 and RSA of at least 2048 bits (F2-ALG); other
/// curves and key types are `FAPI_UNSUPPORTED_KEY_TYPE`, encrypted
/// documents too. The key id is the key's RFC 7638 thumbprint.
///
/// ```c
/// fapi_key *key = NULL;
/// if (fapi_key_from_pkcs8((const uint8_t *)pem, strlen(pem), &key, &err) != FAPI_OK)
///     fprintf(stderr, "%s\n", err.message);
/// ```
///
/// # Safety
/// `data` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_from_pkcs8(
    data: *const u8,
    len: usize,
    out: *mut *mut fapi_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let data = unsafe { ffi::bytes(data, len, "data") }?;
        let signer = software_from_pkcs8(data)?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { signer }, "out") }
    })
}

/// Loads a software key from a private JWK (EC P-256, OKP Ed25519 or RSA).
/// Its `kid`, when present, is the key id; otherwise the thumbprint is.
///
/// ```c
/// fapi_key *key = NULL;
/// fapi_key_from_jwk(jwk, strlen(jwk), &key, &err);
/// ```
///
/// # Safety
/// `json` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_from_jwk(
    json: *const c_char,
    len: usize,
    out: *mut *mut fapi_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let json = unsafe { ffi::bytes(json.cast::<u8>(), len, "json") }?;
        let signer = software_from_jwk(json)?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { signer }, "out") }
    })
}

/// Loads a private key from a PKCS#11 token named by an RFC 7512 URI:
/// `pkcs11:token=LABEL;object=KEY-LABEL?module-path=/path/to/module.so&pin-value=PIN`
/// (or `id=` for `CKA_ID`, `pin-source=file:/path` for a PIN file). Without
/// `module-path`, `$FAPI_PKCS11_MODULE` or Debian's SoftHSM2 is used.
///
/// The private key never leaves the token. Failures of the module, token,
/// PIN or session are `FAPI_HSM` (the message names the `CKR_*` value); a
/// missing key is `FAPI_KEY_NOT_FOUND`; a key outside F2-ALG is
/// `FAPI_WEAK_KEY` or `FAPI_UNSUPPORTED_KEY_TYPE`.
///
/// ```c
/// const char *uri = "pkcs11:token=fapi;object=as-signing"
///                   "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin";
/// fapi_key *key = NULL;
/// fapi_key_from_pkcs11_uri(uri, strlen(uri), &key, &err);
/// ```
///
/// # Safety
/// `uri` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_from_pkcs11_uri(
    uri: *const c_char,
    len: usize,
    out: *mut *mut fapi_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let uri = Zeroizing::new(unsafe { ffi::text(uri, len, "uri") }?.to_owned());
        let parsed = pkcs11_uri::parse(&uri).map_err(|e| Failure::invalid(e.0))?;
        let pin = match &parsed.pin {
            Some(PinSource::Value(v)) => Pin::new(v),
            Some(PinSource::File(path)) => Pin::from_file(path).map_err(|e| hsm_failure(&e))?,
            None => {
                return Err(Failure::invalid(
                    "PKCS#11 URI: `pin-value` or `pin-source` is required".into(),
                ));
            }
        };
        let module = parsed
            .module
            .clone()
            .unwrap_or_else(fapi_pkcs11::token::module_path_from_env);
        let signer = hsm_key(&module, &parsed.token, &parsed.key, pin)?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { signer }, "out") }
    })
}

/// Loads the private key labelled `key_label` from the PKCS#11 token
/// labelled `token_label` of the module at `module_path`, logging in with
/// `pin`. Errors as [`fapi_key_from_pkcs11_uri`].
///
/// ```c
/// fapi_key *key = NULL;
/// fapi_key_from_pkcs11(module, strlen(module), "fapi", 4, "as-signing", 10, pin, strlen(pin),
///                      &key, &err);
/// ```
///
/// # Safety
/// Each (pointer, length) pair is valid; `out` is writable; `err` is NULL
/// or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "four (pointer, length) pairs")]
pub unsafe extern "C" fn fapi_key_from_pkcs11(
    module_path: *const c_char,
    module_path_len: usize,
    token_label: *const c_char,
    token_label_len: usize,
    key_label: *const c_char,
    key_label_len: usize,
    pin: *const c_char,
    pin_len: usize,
    out: *mut *mut fapi_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract, for each pair.
        let (module, token, label, pin) = unsafe {
            (
                ffi::text(module_path, module_path_len, "module_path")?,
                ffi::text(token_label, token_label_len, "token_label")?,
                ffi::text(key_label, key_label_len, "key_label")?,
                ffi::text(pin, pin_len, "pin")?,
            )
        };
        let key = fapi_pkcs11::KeyRef::Label(label.to_owned());
        let signer = hsm_key(Path::new(module), token, &key, Pin::new(pin))?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { signer }, "out") }
    })
}

/// Frees a key. `NULL` is fine.
///
/// ```c
/// fapi_key_free(key);
/// fapi_key_free(NULL); /* fine */
/// ```
///
/// # Safety
/// `key` is NULL or a key from this library, not yet freed and used by no
/// other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_free(key: *mut fapi_key) {
    // SAFETY: contract.
    ffi::quietly(|| unsafe { ffi::free_handle(key) });
}

/// Writes the key's algorithm (`FAPI_ALG_*`) to `*alg`.
///
/// ```c
/// fapi_alg alg;
/// fapi_key_alg(key, &alg, &err); /* FAPI_ALG_ES256, ... */
/// ```
///
/// # Safety
/// `key` is a live key; `alg` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_alg(
    key: *const fapi_key,
    alg: *mut fapi_alg,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let key = unsafe { ffi::arg(key, "key") }?;
        // SAFETY: contract.
        let alg = unsafe { alg.as_mut() }.ok_or_else(|| Failure::null("alg"))?;
        *alg = alg_number(key.signer().alg());
        Ok(())
    })
}

/// Writes the key id (the `kid` of the JWS headers and of the JWKS).
///
/// ```c
/// char kid[128]; size_t kid_len;
/// fapi_key_id(key, kid, sizeof kid, &kid_len, &err);
/// ```
///
/// # Safety
/// `key` is a live key; `out` is writable for `cap` bytes; `out_len` is
/// writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_id(
    key: *const fapi_key,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, out) = unsafe {
            (
                ffi::arg(key, "key")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        out.put(key.signer().key_id().as_bytes())
    })
}

/// Makes the public key of `key`, for verifying what it signs.
///
/// ```c
/// fapi_public_key *pub = NULL;
/// fapi_key_public(key, &pub, &err);
/// /* ... */
/// fapi_public_key_free(pub);
/// ```
///
/// # Safety
/// `key` is a live key; `out` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_public(
    key: *const fapi_key,
    out: *mut *mut fapi_public_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let key = unsafe { ffi::arg(key, "key") }?;
        let public = key.signer().public_key().context("public key")?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_public_key { key: public }, "out") }
    })
}

/// Parses a public JWK (EC P-256, OKP Ed25519, RSA of at least 2048 bits).
/// A JWK with private members is `FAPI_PRIVATE_KEY_MEMBER`.
///
/// ```c
/// fapi_public_key *as_key = NULL;
/// fapi_public_key_from_jwk(jwk, strlen(jwk), &as_key, &err);
/// ```
///
/// # Safety
/// `json` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_public_key_from_jwk(
    json: *const c_char,
    len: usize,
    out: *mut *mut fapi_public_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let json = unsafe { ffi::bytes(json.cast::<u8>(), len, "json") }?;
        // Members written with escapes (RFC 8259 §7) are read: scratch
        // sized from the input.
        let mut scratch = vec![0u8; fapi_core::json::scratch_len(json).context("public JWK")?];
        let jwk = PublicJwk::from_json_in(json, &mut scratch).context("public JWK")?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_public_key { key: jwk.key }, "out") }
    })
}

/// Writes the public key as a JWK (`kty`, the key members, `alg`, `use`).
///
/// ```c
/// char jwk[2048]; size_t n;
/// fapi_public_key_jwk(pub, jwk, sizeof jwk, &n, &err);
/// ```
///
/// # Safety
/// `key` is a live public key; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_public_key_jwk(
    key: *const fapi_public_key,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, out) = unsafe {
            (
                ffi::arg(key, "key")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let jwk = PublicJwk::new(key.key.clone(), None);
        out.produce("public JWK", |buf| {
            jwk.write_json(buf).context("public JWK")
        })
    })
}

/// Verifies a raw signature over `data` with the key and its one
/// algorithm, encoded as JOSE encodes it (RFC 7518 §3.4, RFC 8037): ES256
/// `r || s` (64 bytes), Ed25519 64 bytes, PS256 RSASSA-PSS with SHA-256.
/// These are the RFC 9421 `ecdsa-p256-sha256` and `ed25519` signatures,
/// so with [`fapi_http_sig_signature_base`](crate::http_sig::fapi_http_sig_signature_base)
/// it checks a signature outside the FAPI profile (a peer's test vector,
/// say). A signature that does not verify is `FAPI_BAD_SIGNATURE`.
///
/// ```c
/// if (fapi_public_key_verify(pub, base, base_len, sig, 64, &err) != FAPI_OK)
///     /* not signed by this key */;
/// ```
///
/// # Safety
/// `key` is a live public key; `data` and `signature` are valid pairs;
/// `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_public_key_verify(
    key: *const fapi_public_key,
    data: *const u8,
    data_len: usize,
    signature: *const u8,
    signature_len: usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(fapi_core::Site::ResourceRequest), || {
        // SAFETY: contract.
        let (key, data, signature) = unsafe {
            (
                ffi::arg(key, "key")?,
                ffi::bytes(data, data_len, "data")?,
                ffi::bytes(signature, signature_len, "signature")?,
            )
        };
        fapi_core::Verifier::verify(&key.verifier(), data, signature).context("signature")
    })
}

/// Frees a public key. `NULL` is fine.
///
/// # Safety
/// `key` is NULL or a public key from this library, not yet freed and used
/// by no other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_public_key_free(key: *mut fapi_public_key) {
    // SAFETY: contract.
    ffi::quietly(|| unsafe { ffi::free_handle(key) });
}
