//! Compact JWE (RFC 7516) with the algorithms the profiles demand
//! ([`fapi_core::jwe`]): key management `RSA-OAEP` and `RSA-OAEP-256`,
//! content encryption `A128GCM`, `A256GCM`, `A128CBC-HS256`,
//! `A256CBC-HS512`; `RSA1_5`, `dir` and every other algorithm refused.
//!
//! The recipient holds a `fapi_decryption_key` (RSA on aws-lc); the sender
//! encrypts to the recipient's public JWK or JWKS. The profile's
//! allow-lists apply both ways ([`Policy::from_profile`]: OFB-ALG,
//! CDR-ALG). Every failure to decrypt is the one `FAPI_DECRYPTION_FAILED`
//! (RFC 7516 §11.5).

use core::ffi::c_char;

use fapi_awslc::{RsaOaepDecryptionKey, RsaOaepEncryptionKey, SystemRandom};
use fapi_core::jwe::{self, ContentEnc, EncryptParams, KeyAlg, KeyDecrypter as _, Policy};
use fapi_core::jwk::RsaPublicKey;
use fapi_core::{Error, Site, b64};
use zeroize::Zeroizing;

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::profile::{fapi_profile, profile_arg};

/// The `rsaEncryption` OID: the one key type a decryption key may be.
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// A recipient's RSA private key for JWE (at least 2048 bits, on aws-lc):
/// it unwraps the content encryption keys of `RSA-OAEP` and `RSA-OAEP-256`
/// JWEs. Its key id is its RFC 7638 thumbprint. aws-lc cleanses the key
/// when it is freed.
///
/// Thread safety: immutable; any number of threads may use one at once.
/// Free it once, when no call uses it.
pub struct fapi_decryption_key {
    key: RsaOaepDecryptionKey,
}

/// The PKCS#8 DER inside `input`: the DER itself, or the `PRIVATE KEY` PEM
/// document's. Other PEM labels are `FAPI_UNSUPPORTED_KEY_TYPE`.
fn pkcs8_der(input: &[u8]) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let trimmed = input.trim_ascii_start();
    if !trimmed.starts_with(b"-----BEGIN") {
        return Ok(Zeroizing::new(input.to_vec()));
    }
    let (label, der) = pem_rfc7468::decode_vec(trimmed)
        .map_err(|e| Failure::core(Error::InvalidKey, &format!("PEM: {e}")))?;
    let der = Zeroizing::new(der);
    match label {
        "PRIVATE KEY" => Ok(der),
        "ENCRYPTED PRIVATE KEY" => Err(Failure::core(
            Error::UnsupportedKeyType,
            "PEM: an encrypted PKCS#8 key; decrypt it first (or keep it in an HSM)",
        )),
        other => Err(Failure::core(
            Error::UnsupportedKeyType,
            &format!("PEM: `{other}` is not a PKCS#8 private key (`PRIVATE KEY`)"),
        )),
    }
}

/// The JWE key management algorithm named by a (pointer, length) pair.
///
/// # Safety
/// As [`ffi::text`].
unsafe fn key_alg(ptr: *const c_char, len: usize, name: &str) -> Result<KeyAlg, Failure> {
    // SAFETY: forwarded contract.
    let text = unsafe { ffi::text(ptr, len, name) }?;
    KeyAlg::from_name(text).context(&format!("JWE `alg` {text:?}"))
}

/// Loads a JWE decryption key from a PKCS#8 document, DER or PEM
/// (`-----BEGIN PRIVATE KEY-----`), through aws-lc. Only RSA keys of at
/// least 2048 bits: a smaller one is `FAPI_WEAK_KEY`; another key type, an
/// encrypted document or another PEM label is `FAPI_UNSUPPORTED_KEY_TYPE`;
/// a document that does not parse is `FAPI_INVALID_KEY`.
///
/// ```c
/// fapi_decryption_key *dk = NULL;
/// if (fapi_decryption_key_from_pkcs8((const uint8_t *)pem, strlen(pem), &dk, &err) != FAPI_OK)
///     fprintf(stderr, "%s\n", err.message);
/// /* ... */
/// fapi_decryption_key_free(dk);
/// ```
///
/// # Safety
/// `data` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_decryption_key_from_pkcs8(
    data: *const u8,
    len: usize,
    out: *mut *mut fapi_decryption_key,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        use pkcs8::der::Decode as _;
        // SAFETY: contract.
        let data = unsafe { ffi::bytes(data, len, "data") }?;
        let der = pkcs8_der(data)?;
        let info = pkcs8::PrivateKeyInfoRef::from_der(&der)
            .map_err(|e| Failure::core(Error::InvalidKey, &format!("PKCS#8: {e}")))?;
        let oid = info.algorithm.oid.to_string();
        if oid != OID_RSA {
            return Err(Failure::core(
                Error::UnsupportedKeyType,
                &format!("PKCS#8: key algorithm {oid} is not RSA (RSA-OAEP)"),
            ));
        }
        let key = RsaOaepDecryptionKey::from_pkcs8_der(&der).context("PKCS#8 RSA key")?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_decryption_key { key }, "out") }
    })
}

/// Frees a decryption key. `NULL` is fine.
///
/// ```c
/// fapi_decryption_key_free(dk);
/// fapi_decryption_key_free(NULL); /* fine */
/// ```
///
/// # Safety
/// `key` is NULL or a decryption key from this library, not yet freed and
/// used by no other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_decryption_key_free(key: *mut fapi_decryption_key) {
    // SAFETY: contract.
    ffi::quietly(|| unsafe { ffi::free_handle(key) });
}

/// Writes the public JWK of a decryption key, to register with the
/// authorization server (`jwks` / `jwks_uri`) or publish: `kty` `RSA`,
/// `n`, `e`, `kid` (the RFC 7638 thumbprint), `"use":"enc"`, and `alg`
/// when `alg` is not NULL (`RSA-OAEP` or `RSA-OAEP-256`; another name is
/// `FAPI_UNSUPPORTED_ALG`).
///
/// ```c
/// char jwk[1024]; size_t n;
/// fapi_decryption_key_jwk(dk, "RSA-OAEP", 8, jwk, sizeof jwk, &n, &err);
/// ```
///
/// # Safety
/// `key` is a live decryption key; `alg` is NULL or valid for `alg_len`
/// bytes; `out` is writable for `cap` bytes; `out_len` is writable; `err`
/// is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_decryption_key_jwk(
    key: *const fapi_decryption_key,
    alg: *const c_char,
    alg_len: usize,
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
        let alg = if alg.is_null() {
            None
        } else {
            // SAFETY: contract.
            Some(unsafe { key_alg(alg, alg_len, "alg") }?)
        };
        let public = key.key.public_key();
        let mut doc = serde_json::Map::new();
        let mut put = |name: &str, value: String| {
            let _ = doc.insert(name.to_owned(), value.into());
        };
        put("kty", "RSA".to_owned());
        put("n", b64_text(public.n())?);
        put("e", b64_text(public.e())?);
        put("kid", key.key.key_id().unwrap_or_default().to_owned());
        put("use", "enc".to_owned());
        if let Some(a) = alg {
            put("alg", a.name().to_owned());
        }
        out.put(serde_json::Value::Object(doc).to_string().as_bytes())
    })
}

fn b64_text(v: &[u8]) -> Result<String, Failure> {
    let mut buf = vec![0u8; b64::encoded_len(v.len())];
    let n = b64::encode_vartime(v, &mut buf).context("JWK")?;
    buf.truncate(n);
    String::from_utf8(buf).map_err(|_| Failure::core(Error::Base64, "JWK"))
}

/// Decrypts the compact JWE `compact` with `key` under `profile`'s
/// allow-lists ([`fapi_core::jwe::decrypt`]) and writes the plaintext to
/// `out`. Refused before the key is touched, each with its own code: not
/// five parts (`FAPI_MALFORMED`); `RSA1_5`, `dir` or any other `alg`
/// (`FAPI_UNSUPPORTED_ALG`); an `alg` outside the profile's `jwe_algs`
/// (`FAPI_ALG_NOT_ALLOWED`: OFB-ALG allows `RSA-OAEP` only); an unknown
/// `enc` (`FAPI_UNSUPPORTED_ENC`) or one outside `jwe_encs`
/// (`FAPI_ENC_NOT_ALLOWED`); `zip` (`FAPI_COMPRESSED`); `crit`
/// (`FAPI_UNSUPPORTED_CRIT`); a `kid` that is not the key's
/// (`FAPI_KEY_NOT_FOUND`); lengths wrong for the key or `enc`
/// (`FAPI_JWE_LENGTH`); with `expect_nested_jwt`, a `cty` that is not
/// `JWT` (`FAPI_NOT_NESTED_JWT`). After those, every failure (the key does
/// not unwrap, the tag does not match, the padding) is the one
/// `FAPI_DECRYPTION_FAILED`, with no detail (RFC 7516 §11.5). Refusals map
/// to `invalid_request_object`.
///
/// The plaintext is a secret: the caller erases `out` when done. A buffer
/// of `compact_len` bytes always suffices; a smaller one that does not hold
/// the plaintext is `FAPI_INSUFFICIENT_SIZE` with its length in `out_len`.
/// A nested JWT's plaintext is the inner compact JWS, to verify next
/// (`fapi_id_token_verify`, `fapi_jwt_verify`).
///
/// ```c
/// uint8_t plain[8192]; size_t n;
/// if (fapi_jwe_decrypt(profile, dk, jwe, jwe_len, true, plain, sizeof plain, &n, &err)
///     == FAPI_OK)
///     fapi_id_token_verify(profile, as_key, &ex, (const char *)plain, n, claims,
///                          sizeof claims, &m, &err);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `key` is a live decryption key;
/// `compact` is valid for `compact_len` bytes; `out` is writable for `cap`
/// bytes; `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jwe_decrypt(
    profile: *const fapi_profile,
    key: *const fapi_decryption_key,
    compact: *const c_char,
    compact_len: usize,
    expect_nested_jwt: bool,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::RequestObject), || {
        // SAFETY: contract.
        let (profile, key, compact, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(key, "key")?,
                ffi::bytes(compact.cast::<u8>(), compact_len, "compact")?,
                Out::new(out, cap, out_len, "out_len")?,
            )
        };
        let mut policy = Policy::from_profile(profile);
        if expect_nested_jwt {
            policy = policy.nested_jwt();
        }
        let mut buf = Zeroizing::new(vec![0u8; jwe::decrypt_buf_len(compact.len())]);
        let decrypted = jwe::decrypt(compact, &policy, &key.key, &SystemRandom::new(), &mut buf)
            .context("JWE")?;
        out.put(decrypted.plaintext)
    })
}

/// The recipient's encryption key in a JWKS (`{"keys":[...]}`) or one
/// JWK: the first RSA key with `"use":"enc"` whose `alg`, when present, is
/// `alg`; its `kid` when it has one.
fn select_enc_key(
    recipient: &[u8],
    alg: KeyAlg,
) -> Result<(RsaPublicKey, Option<String>), Failure> {
    fapi_core::json::check(recipient).context("recipient JWK")?;
    let doc: serde_json::Value = serde_json::from_slice(recipient)
        .map_err(|e| Failure::core(Error::Json, &format!("recipient JWK: {e}")))?;
    let keys: Vec<&serde_json::Value> = match doc.get("keys") {
        Some(serde_json::Value::Array(keys)) => keys.iter().collect(),
        Some(_) => {
            return Err(Failure::core(
                Error::Json,
                "recipient JWKS: `keys` is not an array",
            ));
        }
        None => vec![&doc],
    };
    fn text<'v>(k: &'v serde_json::Value, m: &str) -> Option<&'v str> {
        k.get(m).and_then(serde_json::Value::as_str)
    }
    let key = keys
        .into_iter()
        .find(|k| {
            text(k, "kty") == Some("RSA")
                && text(k, "use") == Some("enc")
                && text(k, "alg").is_none_or(|a| a == alg.name())
        })
        .ok_or_else(|| {
            Failure::core(
                Error::KeyNotFound,
                &format!(
                    "recipient: no RSA key with \"use\":\"enc\" for {}",
                    alg.name()
                ),
            )
        })?;
    // RFC 7517 §9.2, RFC 7518 §6.3.2: a public key carries no private
    // members.
    if ["d", "p", "q", "dp", "dq", "qi", "oth"]
        .iter()
        .any(|m| key.get(m).is_some())
    {
        return Err(Failure::core(
            Error::PrivateKeyMember,
            "recipient JWK: private members",
        ));
    }
    let decode = |m: &str| -> Result<Vec<u8>, Failure> {
        let s = text(key, m)
            .ok_or_else(|| Failure::core(Error::InvalidKey, &format!("recipient JWK: no `{m}`")))?;
        let len = b64::decoded_len(s.len())
            .ok_or_else(|| Failure::core(Error::Base64, "recipient JWK"))?;
        let mut buf = vec![0u8; len];
        let n = b64::decode_vartime(s.as_bytes(), &mut buf)
            .context(&format!("recipient JWK `{m}`"))?
            .len();
        buf.truncate(n);
        Ok(buf)
    };
    let public = RsaPublicKey::new(&decode("n")?, &decode("e")?).context("recipient JWK")?;
    Ok((public, text(key, "kid").map(str::to_owned)))
}

/// Encrypts `plaintext` as a compact JWE to the recipient's public key
/// ([`fapi_core::jwe::encrypt`]): `recipient` is a JWKS (`{"keys":[...]}`)
/// or one public JWK, and the key used is the first RSA key with
/// `"use":"enc"` whose `alg`, when present, is `alg` (none:
/// `FAPI_KEY_NOT_FOUND`; private members: `FAPI_PRIVATE_KEY_MEMBER`;
/// under 2048 bits: `FAPI_WEAK_KEY`). Its `kid` goes into the header.
/// `alg` is `RSA-OAEP` or `RSA-OAEP-256`, `enc` one of `A128GCM`,
/// `A256GCM`, `A128CBC-HS256`, `A256CBC-HS512` (others:
/// `FAPI_UNSUPPORTED_ALG`, `FAPI_UNSUPPORTED_ENC`), and both must be in
/// `profile`'s allow-lists (`FAPI_ALG_NOT_ALLOWED`,
/// `FAPI_ENC_NOT_ALLOWED`). `cty` is `JWT` for a nested JWT (a signed ID
/// token or JARM response, then encrypted), or NULL. A fresh content
/// encryption key and IV are drawn for every message.
///
/// ```c
/// char jwe[8192]; size_t n;
/// fapi_jwe_encrypt(profile, client_jwks, jwks_len, "RSA-OAEP", 8, "A256GCM", 7, "JWT", 3,
///                  (const uint8_t *)id_token, id_token_len, jwe, sizeof jwe, &n, &err);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; each (pointer, length) pair is
/// valid (`cty` may be NULL); `out` is writable for `cap` bytes; `out_len`
/// is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jwe_encrypt(
    profile: *const fapi_profile,
    recipient: *const c_char,
    recipient_len: usize,
    alg: *const c_char,
    alg_len: usize,
    enc: *const c_char,
    enc_len: usize,
    cty: *const c_char,
    cty_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (profile, recipient, alg, enc, cty, plaintext, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::bytes(recipient.cast::<u8>(), recipient_len, "recipient")?,
                key_alg(alg, alg_len, "alg")?,
                ffi::text(enc, enc_len, "enc")?,
                ffi::opt_text(cty, cty_len, "cty")?,
                ffi::bytes(plaintext, plaintext_len, "plaintext")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let enc = ContentEnc::from_name(enc).context(&format!("JWE `enc` {enc:?}"))?;
        // OFB-ALG, CDR-ALG: the sender keeps to the profile's lists too.
        Policy::from_profile(profile)
            .check(alg, enc)
            .context("JWE under the profile")?;
        let (public, kid) = select_enc_key(recipient, alg)?;
        let key = RsaOaepEncryptionKey::new(&public, kid.as_deref()).context("recipient key")?;
        let params = EncryptParams {
            alg,
            enc,
            cty,
            typ: None,
        };
        // The working space holds the plaintext before it is encrypted.
        let mut scratch = Zeroizing::new(vec![
            0u8;
            jwe::encrypt_buf_len(
                plaintext.len(),
                public.modulus_len()
            )
        ]);
        let n = jwe::encrypt(&params, plaintext, &key, &SystemRandom::new(), &mut scratch)
            .context("JWE")?;
        let compact = scratch
            .get(..n)
            .ok_or_else(|| Failure::core(Error::BufferTooSmall, "JWE"))?;
        out.put(compact)
    })
}
