//! JWK thumbprints (RFC 7638) and the JWKS a server publishes.

use core::ffi::c_char;

use fapi_core::{PublicJwk, Signer as _, Thumbprint};

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::key::fapi_key;

/// Writes the RFC 7638 thumbprint (SHA-256, base64url, 43 characters) of
/// any EC P-256, OKP Ed25519 or RSA JWK, public or private, from its
/// required members ([`fapi_core::Thumbprint::of_jwk`]): the `jkt` of DPoP
/// and the default `kid`. Other key types are `FAPI_UNSUPPORTED_KEY_TYPE`;
/// values that are not strict, minimal base64url are refused, so a key has
/// one thumbprint.
///
/// ```c
/// char jkt[43]; size_t n;
/// fapi_jwk_thumbprint(jwk, strlen(jwk), jkt, sizeof jkt, &n, &err);
/// ```
///
/// # Safety
/// `jwk` is valid for `len` bytes; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_jwk_thumbprint(
    jwk: *const c_char,
    len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (json, out) = unsafe {
            (
                ffi::bytes(jwk.cast::<u8>(), len, "jwk")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let thumbprint = Thumbprint::of_jwk(json).context("JWK")?;
        out.put(thumbprint.to_b64().as_str().as_bytes())
    })
}

/// Writes the JWK Set (`{"keys":[...]}`) of the public halves of `keys`,
/// each with its `kid`, `alg` and `use`: what the server serves at its
/// `jwks_uri`. Software and PKCS#11 keys alike.
///
/// ```c
/// const fapi_key *keys[] = {current, previous};
/// char jwks[8192]; size_t n;
/// fapi_jwks_write(keys, 2, jwks, sizeof jwks, &n, &err); /* serve at jwks_uri */
/// ```
///
/// # Safety
/// `keys` points to `n` live keys; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_jwks_write(
    keys: *const *const fapi_key,
    n: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract: `keys` holds `n` key pointers.
        let (ptrs, out) = unsafe {
            (
                ffi::slice(keys, n, "keys")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        if n > fapi_core::jwk::MAX_JWKS_KEYS {
            return Err(Failure::core(
                fapi_core::Error::TooLarge,
                "JWKS: more than 16 keys",
            ));
        }
        let mut signers = Vec::with_capacity(n);
        for ptr in ptrs {
            // SAFETY: each entry is a live key per the contract (or NULL,
            // which `arg` refuses).
            signers.push(unsafe { ffi::arg(*ptr, "keys[i]") }?.signer());
        }
        let mut publics = Vec::with_capacity(n);
        for s in &signers {
            publics.push((s.public_key().context("JWKS")?, s.key_id()));
        }
        let jwks: Vec<PublicJwk<'_>> = publics
            .iter()
            .map(|(k, kid)| PublicJwk::new(k.clone(), Some(kid)))
            .collect();
        out.produce("JWKS", |buf| {
            fapi_core::jwk::write_jwks(&jwks, buf).context("JWKS")
        })
    })
}
