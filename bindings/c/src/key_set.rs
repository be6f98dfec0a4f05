//! The issuer's JWK Set at a resource server (`fapi_key_set`): every key
//! parsed once by [`fapi::IssuerKeys`], and the key of each token chosen by
//! its header's `kid` and `alg`, so that a server keeps verifying across
//! the issuer's key rotation.

use core::ffi::c_char;

use fapi::IssuerKeys;
use fapi_core::{Alg, Error, PublicJwk, Site, Verifier};

use crate::ffi::{self, Failure, Out, Where, boundary, fapi_error_detail};
use crate::jws::alg_list;
use crate::jwt::{fapi_jwt_expectations, verify_with};
use crate::key::fapi_alg;
use crate::profile::fapi_profile;
use crate::replay::fapi_replay_cache;
use crate::token::{TokenKey, fapi_resource_request, fapi_token_expectations, verify_request};
use crate::values::{Unverified, quote};

/// An issuer's JWK Set (RFC 7517 §5): the keys a resource server verifies
/// the issuer's tokens with, each chosen by the token's `kid` and `alg`
/// (by `kid` when the header names one, and always of the header's
/// algorithm; without a `kid`, exactly one key of that algorithm).
///
/// Thread safety: immutable; any number of threads may use one at once.
/// When the issuer rotates its keys, load the new set and swap the
/// pointer; free the old set when no call uses it.
pub struct fapi_key_set {
    keys: IssuerKeys,
    /// The `kid` and algorithm of each usable key, for messages.
    known: Vec<(Option<String>, Alg)>,
}

impl fapi_key_set {
    /// The key for the compact JWS `token`, chosen by its unverified header
    /// (the token still goes through every check); `FAPI_KEY_NOT_FOUND`
    /// names the `kid` asked for and the `kid`s the set has.
    pub(crate) fn select(&self, token: &[u8], what: &str) -> Result<&dyn Verifier, Failure> {
        let text = core::str::from_utf8(token)
            .map_err(|_| Failure::core(Error::Malformed, &format!("{what}: not UTF-8")))?;
        // The shape first, as the core's JWS parser says it: a JWE (five
        // parts) or anything but three parts is not a compact JWS.
        match text.split('.').count() {
            3 => {}
            5 => return Err(Failure::core(Error::Encrypted, &format!("{what}: a JWE"))),
            parts => {
                return Err(Failure::core(
                    Error::Malformed,
                    &format!("{what}: {parts} dot-separated parts, not the 3 of a compact JWS"),
                ));
            }
        }
        self.keys.for_token(text).map_err(|e| {
            if e != Error::KeyNotFound {
                return Failure::core(e, &format!("{what}: its header"));
            }
            let head = Unverified::read(token);
            let known: Vec<String> = self
                .known
                .iter()
                .map(|(kid, alg)| {
                    format!(
                        "{} ({})",
                        kid.as_deref().map_or("no kid".into(), quote),
                        alg.name()
                    )
                })
                .collect();
            Failure::core(
                e,
                &format!(
                    "{what}: no single key of the set for kid {} alg {}; the set has {}",
                    head.header("kid"),
                    head.header("alg"),
                    known.join(", ")
                ),
            )
        })
    }
}

/// The usable keys of a JWK Set, as [`IssuerKeys::from_jwks_json`] keeps
/// them (members the core reads as F2-ALG public keys), with their `kid`.
fn known_keys(jwks: &str) -> Vec<(Option<String>, Alg)> {
    let Ok(set) = serde_json::from_str::<serde_json::Value>(jwks) else {
        return Vec::new();
    };
    let Some(members) = set.get("keys").and_then(serde_json::Value::as_array) else {
        return Vec::new();
    };
    members
        .iter()
        .filter_map(|m| {
            let text = m.to_string();
            let mut scratch = vec![0u8; fapi_core::json::scratch_len(text.as_bytes()).ok()?];
            let jwk = PublicJwk::from_json_in(text.as_bytes(), &mut scratch).ok()?;
            Some((jwk.kid.map(str::to_owned), jwk.key.alg()))
        })
        .collect()
}

/// Reads an issuer's JWK Set (the document at its `jwks_uri`) with
/// [`fapi::IssuerKeys`]: each key checked by the core (F2-ALG key types
/// and sizes); keys of other types (`oct`, P-384, encryption keys fapi
/// cannot read) are skipped. Refused: a set with a private member
/// (`FAPI_PRIVATE_KEY_MEMBER`), a document that is not a JWK Set
/// (`FAPI_JSON`, `FAPI_DUPLICATE_MEMBER`, `FAPI_MALFORMED`), more keys than
/// fapi reads (`FAPI_TOO_LARGE`), no usable key (`FAPI_KEY_NOT_FOUND`).
///
/// ```c
/// fapi_key_set *issuer_keys = NULL;
/// if (fapi_key_set_from_jwks(jwks, strlen(jwks), &issuer_keys, &err) != FAPI_OK)
///     fprintf(stderr, "issuer JWKS: %s\n", err.message);
/// size_t keys = 0;
/// fapi_key_set_len(issuer_keys, &keys, &err);
/// fapi_key_set_free(issuer_keys);
/// ```
///
/// # Safety
/// `json` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_set_from_jwks(
    json: *const c_char,
    len: usize,
    out: *mut *mut fapi_key_set,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let bytes = unsafe { ffi::bytes(json.cast::<u8>(), len, "json") }?;
        let text = core::str::from_utf8(bytes)
            .map_err(|e| Failure::core(Error::Json, &format!("JWKS: not UTF-8 ({e})")))?;
        let keys =
            IssuerKeys::from_jwks_json(text).map_err(|e| Failure::core(e.error(), e.reason()))?;
        let set = fapi_key_set {
            keys,
            known: known_keys(text),
        };
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, set, "out") }
    })
}

/// Writes the number of usable keys of the set to `*n`.
///
/// ```c
/// size_t keys = 0;
/// fapi_key_set_len(issuer_keys, &keys, &err);
/// ```
///
/// # Safety
/// `set` is a live set; `n` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_set_len(
    set: *const fapi_key_set,
    n: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let set = unsafe { ffi::arg(set, "set") }?;
        // SAFETY: contract.
        let n = unsafe { n.as_mut() }.ok_or_else(|| Failure::null("n"))?;
        *n = set.keys.len();
        Ok(())
    })
}

/// Frees a key set. `NULL` is fine.
///
/// ```c
/// fapi_key_set_free(issuer_keys);
/// fapi_key_set_free(NULL); /* fine */
/// ```
///
/// # Safety
/// `set` is NULL or a set from this library, not yet freed and used by no
/// other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_key_set_free(set: *mut fapi_key_set) {
    // SAFETY: contract.
    ffi::quietly(|| unsafe { ffi::free_handle(set) });
}

/// [`fapi_jwt_verify`](crate::jwt::fapi_jwt_verify) with the key of `set`
/// that the JWT's header names (`kid`, `alg`): every check of
/// `fapi_jwt_verify`, and `FAPI_KEY_NOT_FOUND` when no single key answers
/// (the message names the `kid` asked for and the set's `kid`s).
///
/// ```c
/// fapi_jwt_expectations ex = {"JWT", 3, "https://as.example", 18, "https://rs.example", 18,
///                             time(NULL), 10};
/// fapi_alg algs[] = {FAPI_ALG_ES256, FAPI_ALG_PS256};
/// char claims[4096]; size_t n;
/// fapi_key_set_jwt_verify(issuer_keys, jwt, jwt_len, algs, 2, &ex, claims, sizeof claims, &n,
///                         &err);
/// ```
///
/// # Safety
/// `set` is a live set; each (pointer, length) pair is valid; `algs` holds
/// `n_algs` values; `expect` is valid; `claims_out` is writable for `cap`
/// bytes; `claims_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_key_set_jwt_verify(
    set: *const fapi_key_set,
    jwt: *const c_char,
    jwt_len: usize,
    algs: *const fapi_alg,
    n_algs: usize,
    expect: *const fapi_jwt_expectations,
    claims_out: *mut c_char,
    cap: usize,
    claims_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let (set, compact, algs, expect, out) = unsafe {
            (
                ffi::arg(set, "set")?,
                ffi::bytes(jwt.cast::<u8>(), jwt_len, "jwt")?,
                alg_list(algs, n_algs)?,
                ffi::arg(expect, "expect")?,
                Out::text(claims_out, cap, claims_len, "claims_len")?,
            )
        };
        let verifier = set.select(compact, "JWT")?;
        // SAFETY: contract: the expectations' pairs are valid.
        let claims = unsafe { verify_with(compact, verifier, &algs, expect) }?;
        out.put(&claims)
    })
}

/// [`fapi_access_token_verify`](crate::token::fapi_access_token_verify)
/// with the key of `set` that the token's header names (`kid`, `alg`):
/// every check of `fapi_access_token_verify` (with the request's DPoP
/// proof or certificate), and `FAPI_KEY_NOT_FOUND` (`invalid_token`)
/// when no single key answers, before the proof's `jti` is used.
///
/// ```c
/// fapi_token_expectations ex = {"https://as.example", 18, "https://rs.example", 18, 10};
/// fapi_resource_request rq = {token, token_len, "GET", 3, uri, strlen(uri),
///                             dpop_header, dpop_len, NULL, 0, time(NULL), NULL, NULL, 0};
/// char claims[4096]; size_t n;
/// if (fapi_key_set_access_token_verify(profile, issuer_keys, &ex, &rq, jtis, claims,
///                                      sizeof claims, &n, &err) != FAPI_OK)
///     /* WWW-Authenticate: DPoP error="<err.oauth_error>" */;
/// ```
///
/// # Safety
/// As [`fapi_access_token_verify`](crate::token::fapi_access_token_verify),
/// with `set` a live set.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_key_set_access_token_verify(
    profile: *const fapi_profile,
    set: *const fapi_key_set,
    expect: *const fapi_token_expectations,
    request: *const fapi_resource_request,
    cache: *const fapi_replay_cache,
    claims_out: *mut c_char,
    cap: usize,
    claims_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let set = unsafe { ffi::arg(set, "set") }?;
        // SAFETY: contract, forwarded.
        unsafe {
            verify_request(
                profile,
                TokenKey::Set(set),
                expect,
                request,
                cache,
                claims_out,
                cap,
                claims_len,
            )
        }
    })
}
