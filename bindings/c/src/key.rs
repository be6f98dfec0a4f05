//! Signing keys (`fapi_key`) and public keys (`fapi_public_key`).
//!
//! A `fapi_key` is a [`fapi::SigningKey`]: a software key on aws-lc (from
//! PKCS#8 DER or PEM, SEC1 PEM, a private JWK, or generated) or a key in a
//! PKCS#11 token (by RFC 7512 URI, or by module path, token label, key
//! label and PIN) whose private half never leaves the token. Keys are
//! loaded by the `fapi` crate's loaders (one PEM, JWK and PKCS#11 URI
//! parser for the Rust and the C API), which check every key against
//! F2-ALG; this module only maps their [`fapi::KeyError`]s to result codes.

use core::ffi::c_char;

use fapi::SigningKey;
use fapi_awslc::AWSLC;
use fapi_core::crypto::KeyVerifier;
use fapi_core::{Alg, Error, PublicJwk, PublicKey, Signer};
use zeroize::Zeroizing;

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};

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
        other => Err(Failure::invalid(format!(
            "{other} is not a fapi_alg (FAPI_ALG_PS256 {FAPI_ALG_PS256}, FAPI_ALG_ES256 \
             {FAPI_ALG_ES256}, FAPI_ALG_EDDSA {FAPI_ALG_EDDSA})"
        ))),
    }
}

/// A signing key: software or PKCS#11.
///
/// Thread safety: a `fapi_key` may be used by any number of threads at
/// once (software keys are immutable; a PKCS#11 key signs on a pool of
/// logged-in sessions, one per call). Free it once, when no call uses it.
pub struct fapi_key {
    key: SigningKey,
}

impl fapi_key {
    /// The key as a [`Signer`].
    pub(crate) fn signer(&self) -> &(dyn Signer + Send + Sync) {
        &self.key
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
// loading, through the `fapi` crate

/// A key the `fapi` crate refused: its core error and the loader's reason
/// (which names the values involved: the label, the curve, the member).
fn refused(e: &fapi::KeyError) -> Failure {
    Failure::core(e.error(), e.reason())
}

/// A PKCS#11 key the `fapi` crate refused. The C API's codes are kept: a
/// URI that does not parse is `FAPI_INVALID_ARGUMENT` (the crate's
/// `InvalidParameter` comes from its URI parser only), a failure of the
/// module, token, PIN or session is `FAPI_HSM` (the crate's
/// `SigningFailed`, with the `CKR_*` value in the reason); a missing,
/// weak or unsupported key keeps its core code.
fn hsm_refused(e: &fapi::KeyError) -> Failure {
    match e.error() {
        Error::InvalidParameter => Failure::invalid(e.reason().to_owned()),
        Error::SigningFailed => Failure::hsm(e.reason().to_owned()),
        _ => refused(e),
    }
}

/// A software key from PKCS#8 DER, or from PEM (`PRIVATE KEY`; `EC PRIVATE
/// KEY` for SEC1, `RSA PRIVATE KEY` for PKCS#1): [`SigningKey::from_pem`]
/// and [`SigningKey::from_pkcs8_der`].
fn software_from_pkcs8(input: &[u8]) -> Result<SigningKey, Failure> {
    let trimmed = input.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let pem = core::str::from_utf8(trimmed)
            .map_err(|e| Failure::core(Error::InvalidKey, &format!("PEM: not UTF-8 ({e})")))?;
        return SigningKey::from_pem(pem).map_err(|e| refused(&e));
    }
    SigningKey::from_pkcs8_der(input).map_err(|e| refused(&e))
}

/// A software key from a private JWK: [`SigningKey::from_jwk`] (EC P-256
/// and OKP Ed25519), after the core's JSON check (duplicate members, bad
/// nesting and oversize documents are refused, as for every JWK fapi
/// reads). RSA private JWKs, which the crate does not load, are turned into
/// the PKCS#1 document they are the members of and loaded by the crate's
/// PEM loader ([`rsa_jwk`]).
fn software_from_jwk(json: &[u8]) -> Result<SigningKey, Failure> {
    fapi_core::json::check(json).context("private JWK")?;
    let text = core::str::from_utf8(json)
        .map_err(|e| Failure::core(Error::Json, &format!("private JWK: not UTF-8 ({e})")))?;
    #[cfg(feature = "rsa-signing")]
    if let Some(key) = rsa_jwk::load(text)? {
        return Ok(key);
    }
    SigningKey::from_jwk(text).map_err(|e| refused(&e))
}

/// RSA private JWKs (RFC 7518 §6.3.2), which `fapi::SigningKey::from_jwk`
/// refuses (its policy: RSA keys from PKCS#8 or an HSM). The C API has
/// loaded them since its first release, so they keep loading: the members
/// are written as the PKCS#1 `RSAPrivateKey` they are (by the `pkcs1`
/// crate) and that document is loaded by [`SigningKey::from_pem`]; only
/// the public members, `alg` and `kid` are checked here.
#[cfg(feature = "rsa-signing")]
mod rsa_jwk {
    use fapi::SigningKey;
    use fapi_core::{Alg, Error, PublicKey, Signer};
    use pkcs8::der::Encode as _;
    use zeroize::Zeroizing;

    use crate::ffi::{Context, Failure};

    /// A private JWK member: zeroized on drop.
    struct SecretText(Zeroizing<String>);

    impl<'de> serde::Deserialize<'de> for SecretText {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            // The decoded string moves into the zeroizing wrapper, uncopied.
            <String as serde::Deserialize>::deserialize(d).map(|s| Self(Zeroizing::new(s)))
        }
    }

    /// The members of an RSA private JWK.
    #[derive(serde::Deserialize)]
    struct RsaJwk {
        kty: String,
        kid: Option<String>,
        alg: Option<String>,
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

    fn member(value: Option<&str>, name: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
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

    fn secret(v: Option<&SecretText>, name: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
        member(v.map(|s| s.0.as_str()), name)
    }

    fn uint(b: &[u8]) -> Result<pkcs1::UintRef<'_>, Failure> {
        pkcs1::UintRef::new(b)
            .map_err(|e| Failure::core(Error::InvalidKey, &format!("private JWK: {e}")))
    }

    /// The key of an RSA private JWK; `None` for any other JWK (the crate
    /// reads those).
    pub(super) fn load(text: &str) -> Result<Option<SigningKey>, Failure> {
        #[derive(serde::Deserialize)]
        struct Kty {
            kty: Option<String>,
        }
        let is_rsa = serde_json::from_str::<Kty>(text)
            .ok()
            .and_then(|k| k.kty)
            .is_some_and(|k| k == "RSA");
        if !is_rsa {
            return Ok(None);
        }
        let jwk: RsaJwk = serde_json::from_str(text)
            .map_err(|e| Failure::core(Error::Json, &format!("private JWK: {e}")))?;
        debug_assert_eq!(jwk.kty, "RSA");
        if jwk.oth.is_some() {
            return Err(Failure::core(
                Error::UnsupportedKeyType,
                "private JWK: multi-prime RSA (`oth`) is not supported",
            ));
        }
        let d = secret(jwk.d.as_ref(), "d")?;
        let n = member(jwk.n.as_deref(), "n")?;
        let e = member(jwk.e.as_deref(), "e")?;
        let (p, q) = (secret(jwk.p.as_ref(), "p")?, secret(jwk.q.as_ref(), "q")?);
        let (dp, dq, qi) = (
            secret(jwk.dp.as_ref(), "dp")?,
            secret(jwk.dq.as_ref(), "dq")?,
            secret(jwk.qi.as_ref(), "qi")?,
        );
        let der = Zeroizing::new(
            pkcs1::RsaPrivateKey {
                modulus: uint(&n)?,
                public_exponent: uint(&e)?,
                private_exponent: uint(&d)?,
                prime1: uint(&p)?,
                prime2: uint(&q)?,
                exponent1: uint(&dp)?,
                exponent2: uint(&dq)?,
                coefficient: uint(&qi)?,
                other_prime_infos: None,
            }
            .to_der()
            .map_err(|e| Failure::core(Error::InvalidKey, &format!("private JWK: {e}")))?,
        );
        let pem = Zeroizing::new(
            pem_rfc7468::encode_string("RSA PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
                .map_err(|e| Failure::core(Error::InvalidKey, &format!("private JWK: {e}")))?,
        );
        let mut key = SigningKey::from_pem(&pem)
            .map_err(|e| Failure::core(e.error(), &format!("private JWK (RSA): {}", e.reason())))?;
        let public = key.public_key().context("private JWK")?;
        let claimed =
            PublicKey::Rsa(fapi_core::jwk::RsaPublicKey::new(&n, &e).context("private JWK")?);
        if public != claimed {
            return Err(Failure::core(
                Error::InvalidKey,
                "private JWK: the public members `n`, `e` are not those of `d`",
            ));
        }
        if let Some(alg) = jwk.alg.as_deref() {
            // F2-ALG, and the JWK's alg must be the key's.
            public
                .check_alg(Alg::from_name(alg).context(&format!("private JWK `alg` {alg:?}"))?)
                .context(&format!("private JWK `alg` {alg:?} for an RSA key"))?;
        }
        if let Some(kid) = jwk.kid.as_deref() {
            key = key.with_key_id(kid).map_err(|e| {
                Failure::core(e.error(), &format!("private JWK `kid`: {}", e.reason()))
            })?;
        }
        Ok(Some(key))
    }
}

/// Characters written as they are in a PKCS#11 URI value: RFC 3986's
/// unreserved set; everything else is percent-encoded.
const URI_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The RFC 7512 URI of a key given by its parts, so that
/// [`fapi_key_from_pkcs11`] goes through the same loader (and the same
/// checks) as [`fapi_key_from_pkcs11_uri`]. Every value is percent-encoded,
/// so no label, path or PIN can add an attribute.
fn pkcs11_uri_of(module: &str, token: &str, label: &str, pin: &str) -> Zeroizing<String> {
    let enc = |v: &str| percent_encoding::utf8_percent_encode(v, URI_VALUE).to_string();
    Zeroizing::new(format!(
        "pkcs11:token={};object={}?module-path={}&pin-value={}",
        enc(token),
        enc(label),
        enc(module),
        Zeroizing::new(enc(pin)).as_str()
    ))
}

/// The key a PKCS#11 URI names, through [`SigningKey::from_pkcs11_uri`]
/// (the module loaded once per process, a pool of logged-in sessions, the
/// key found and checked against F2-ALG).
fn hsm_key(uri: &str) -> Result<SigningKey, Failure> {
    SigningKey::from_pkcs11_uri(uri).map_err(|e| hsm_refused(&e))
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
        let key = SigningKey::generate(alg_of(alg)?).map_err(|e| refused(&e))?;
        // SAFETY: as above.
        unsafe { ffi::put_handle(out, fapi_key { key }, "out") }
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
        let key = software_from_pkcs8(data)?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { key }, "out") }
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
        let key = software_from_jwk(json)?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { key }, "out") }
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
/// /* uri: "pkcs11:token=fapi;object=as-signing"
///         "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin" */
/// fapi_key *key = NULL;
/// if (fapi_key_from_pkcs11_uri(uri, strlen(uri), &key, &err) != FAPI_OK)
///     fprintf(stderr, "%s\n", err.message); /* FAPI_HSM: names the CKR_* value */
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
        let uri = unsafe { ffi::text(uri, len, "uri") }?;
        let key = hsm_key(uri)?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { key }, "out") }
    })
}

/// Loads the private key labelled `key_label` from the PKCS#11 token
/// labelled `token_label` of the module at `module_path`, logging in with
/// `pin`. Errors as [`fapi_key_from_pkcs11_uri`].
///
/// ```c
/// fapi_key *key = NULL;
/// /* module "/usr/lib/softhsm/libsofthsm2.so", token "fapi", label "as-signing" */
/// fapi_key_from_pkcs11(module, strlen(module), token, strlen(token), label, strlen(label), pin,
///                      strlen(pin), &key, &err);
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
        let key = hsm_key(&pkcs11_uri_of(module, token, label, pin))?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_key { key }, "out") }
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
