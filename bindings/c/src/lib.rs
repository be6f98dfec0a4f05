//! The C API of fapi: a stable C ABI (`libfapi.so`, `libfapi.a`,
//! `include/fapi.h`) for authorization servers, resource servers and HSM
//! vendors written in C, C++, Go, Java or Python.
//!
//! Conventions (those of rustls-ffi):
//!
//! - Opaque handles with `_new`/`_free` pairs (`fapi_key`,
//!   `fapi_public_key`, `fapi_key_set`, `fapi_decryption_key`, `fapi_replay_cache`,
//!   `fapi_verified_dpop_proof`);
//!   `_free(NULL)` is fine. Profiles are static and never freed. Each
//!   handle's documentation says whether threads may share it.
//! - Inputs are (pointer, length) pairs; text is UTF-8 and need not be
//!   NUL-terminated. Optional inputs are NULL when absent.
//! - Outputs go into caller buffers with an out-length. When a buffer is
//!   too small the result is `FAPI_INSUFFICIENT_SIZE` and the out-length
//!   holds the size needed. Output buffers are not NUL-terminated.
//! - Every fallible function returns a [`fapi_result`]: `FAPI_OK`, a core
//!   [`fapi_core::Error`] code as it is, or a C API code (65536 and up).
//!   Its last argument, a [`fapi_error_detail`](ffi::fapi_error_detail) (or NULL), receives the
//!   message and the OAuth error string of a failure.
//! - Every exported function runs inside a panic boundary: a panic becomes
//!   `FAPI_PANIC` and never unwinds into C.
//!
//! | module | what |
//! |---|---|
//! | [`result`] | result codes, `fapi_site`, names and OAuth errors of codes |
//! | [`ffi`] | the panic boundary, error detail, pointer and buffer checks |
//! | [`profile`] | `fapi_profile`: the seven requirement sets |
//! | [`key`] | `fapi_key` (software, PKCS#11), `fapi_public_key`, loaded by the `fapi` crate |
//! | [`key_set`] | `fapi_key_set`: an issuer's JWK Set at the resource server, keys chosen by `kid` |
//! | [`jwk`] | RFC 7638 thumbprints, the JWKS |
//! | [`jws`] | compact JWS sign and verify |
//! | [`jwt`] | JWT verify |
//! | [`id_token`] | OpenID Connect ID tokens: issue, verify at the client |
//! | [`jarm`] | JARM authorization responses: issue, verify at the client |
//! | [`jwe`] | `fapi_decryption_key`, compact JWE decrypt and encrypt |
//! | [`token`] | access tokens: issue, verify at the resource server |
//! | [`dpop`] | DPoP proofs: create, verify |
//! | [`http_sig`] | HTTP message signatures (RFC 9421) and `Content-Digest` (RFC 9530): sign, verify |
//! | [`replay`] | `fapi_replay_cache` |
//! | [`pkce`] | PKCE S256 |
//! | [`assertion`] | client assertions: create, verify |
//! | [`audit`] | the profile audit of a metadata document |
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![allow(
    non_camel_case_types,
    reason = "C type names: fapi_key, fapi_result, ... as the header spells them"
)]

pub mod assertion;
pub mod audit;
pub mod dpop;
pub mod ffi;
pub mod http_sig;
pub mod id_token;
pub mod jarm;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod key;
pub mod key_set;
pub mod pkce;
pub mod profile;
pub mod replay;
pub mod result;
pub mod token;
mod values;

pub use result::fapi_result;
