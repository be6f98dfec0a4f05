//! Compact JWS: signing with a key, verifying with a public key against an
//! algorithm allow-list.

use core::ffi::c_char;

use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::{Alg, Site};

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::key::{alg_of, fapi_alg, fapi_key, fapi_public_key};

/// The algorithms of a C allow-list.
///
/// # Safety
/// `algs` is NULL or valid for `n` values.
pub(crate) unsafe fn alg_list(algs: *const fapi_alg, n: usize) -> Result<Vec<Alg>, Failure> {
    // SAFETY: forwarded contract.
    let list = unsafe { ffi::slice(algs, n, "algs") }?;
    list.iter().map(|a| alg_of(*a)).collect()
}

/// Signs `payload` as a compact JWS with `key`: header `alg` (the key's),
/// `typ` (when not NULL) and `kid` (the key id).
///
/// ```c
/// char jws[4096]; size_t n;
/// fapi_jws_sign(key, "JWT", 3, payload, payload_len, jws, sizeof jws, &n, &err);
/// ```
///
/// # Safety
/// Each (pointer, length) pair is valid; `key` is a live key; `out` is
/// writable for `cap` bytes; `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jws_sign(
    key: *const fapi_key,
    typ: *const c_char,
    typ_len: usize,
    payload: *const u8,
    payload_len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, typ, payload, out) = unsafe {
            (
                ffi::arg(key, "key")?.signer(),
                ffi::opt_text(typ, typ_len, "typ")?,
                ffi::bytes(payload, payload_len, "payload")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let header = HeaderParams {
            typ,
            kid: Some(key.key_id()),
            jwk: None,
        };
        out.produce("JWS", |buf| {
            jws::sign(key, &header, payload, buf).context("JWS")
        })
    })
}

/// Verifies a compact JWS with `key`. The header's `alg` must be in `algs`
/// (F2-ALG first: `none`, HS*, RS* are `FAPI_UNSUPPORTED_ALG`; then the
/// list: `FAPI_ALG_NOT_ALLOWED`) and be the key's (`FAPI_KEY_ALG_MISMATCH`);
/// `typ`, when not NULL, must match; embedded keys, `crit` and `b64:false`
/// are refused. The decoded payload is written to `payload_out`.
///
/// ```c
/// fapi_alg algs[] = {FAPI_ALG_PS256, FAPI_ALG_ES256};
/// uint8_t payload[4096]; size_t n;
/// fapi_result r = fapi_jws_verify(jws, jws_len, pub, algs, 2, NULL, 0, payload, sizeof payload,
///                                 &n, &err);
/// ```
///
/// # Safety
/// Each (pointer, length) pair is valid; `key` is a live public key;
/// `algs` holds `n_algs` values; `payload_out` is writable for `cap` bytes;
/// `payload_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jws_verify(
    jws: *const c_char,
    jws_len: usize,
    key: *const fapi_public_key,
    algs: *const fapi_alg,
    n_algs: usize,
    typ: *const c_char,
    typ_len: usize,
    payload_out: *mut u8,
    cap: usize,
    payload_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let (compact, key, algs, typ, out) = unsafe {
            (
                ffi::bytes(jws.cast::<u8>(), jws_len, "jws")?,
                ffi::arg(key, "key")?,
                alg_list(algs, n_algs)?,
                ffi::opt_text(typ, typ_len, "typ")?,
                Out::new(payload_out, cap, payload_len, "payload_len")?,
            )
        };
        let mut policy = Policy::new(&algs);
        if let Some(t) = typ {
            policy = policy.with_typ(t);
        }
        let mut buf = vec![0u8; compact.len()];
        let verified = jws::verify(compact, &policy, &key.verifier(), &mut buf).context("JWS")?;
        out.put(verified.payload)
    })
}
