//! The no_std, allocation-free core of fapi: compact JWS for the three
//! FAPI 2.0 algorithms, JWKs and thumbprints, and the key seam that software
//! keys, aws-lc keys and HSM keys implement alike.
//!
//! Every rejection is an [`Error`] with a stable numeric code and the OAuth
//! error it maps to. Nothing here allocates, panics on input, or reads a
//! clock or a random source it was not handed.
//!
//! | module | what |
//! |---|---|
//! | [`alg`] | PS256, ES256, EdDSA and nothing else (F2-ALG) |
//! | [`b64`] | strict base64url without padding |
//! | [`json`] | bounded JSON: duplicate members refused, every escape read, a writer |
//! | [`jwk`] | public JWKs, RFC 7638 thumbprints, JWK Sets |
//! | [`jws`] | compact JWS sign and verify |
//! | [`jwe`] | compact JWE: RSA-OAEP(-256) with AES-GCM and AES-CBC-HMAC (RFC 7516, 7518) |
//! | [`jwt`] | signed JWTs of any kind: ID tokens, JARM, signed introspection, signed messages |
//! | [`key_error`] | [`KeyError`]: why a backend refused a key |
//! | [`claims`] | `aud` as string or array, `exp`/`nbf`/`iat` checks |
//! | [`pkce`] | PKCE S256 (F2-PKCE) |
//! | [`dpop`] | DPoP proofs, `ath`, server nonces, key binding (RFC 9449) |
//! | [`mtls`] | certificate-bound tokens and `tls_client_auth` (RFC 8705) |
//! | [`assertion`] | `private_key_jwt` client assertions (RFC 7523) |
//! | [`request_object`] | signed request objects (RFC 9101) and signed requests |
//! | [`token`] | JWT access tokens: issue and verify (RFC 9068) |
//! | [`introspection`] | introspection responses (RFC 7662), signed (RFC 9701) |
//! | [`id_token`] | OpenID Connect ID tokens: issue and the client's check |
//! | [`jarm`] | JWT-secured authorization responses (JARM) |
//! | [`interaction`] | `x-fapi-interaction-id`: echoed, created or refused |
//! | [`sfv`] | strict RFC 8941 structured fields: dictionaries, inner lists, parameters |
//! | [`http_sig`] | HTTP message signatures (RFC 9421) under the FAPI 2.0 HTTP Signatures profile |
//! | [`content_digest`] | `Content-Digest` (RFC 9530) |
//! | [`store`] | replay caches and one-time handle stores |
//! | [`authorize`] | flows, redirect URIs, `iss`, consent, user-started authorization |
//! | [`par`] | pushed authorization requests |
//! | [`code`] | one-time authorization codes |
//! | [`grant`] | what a redeemed code produced, and its revocation |
//! | [`refresh`] | sender-bound refresh tokens, never rotated |
//! | [`audit`] | a server's metadata and configuration checked against each set |
//! | [`profile`] | the seven requirement sets as data |
//! | [`secret`] | secret bytes: zeroized on drop, constant-time equality, redacted |
//! | [`crypto`] | the `Signer`, `Verifier`, `PublicKeyVerifier`, `Clock` and `Random` traits |
//! | [`error`] | `Error`, `Site` and `OAuthError` |
//!
//! # Features
//!
//! - `std`: `SystemClock`, the operating system's wall clock. Nothing
//!   else needs it: the core never allocates, and [`Error`] implements
//!   `core::error::Error` in every build.
#![no_std]
#![forbid(unsafe_code)]
// No panicking paths in the core: input is attacker-controlled.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "std", test))]
extern crate std;

pub mod alg;
pub mod assertion;
pub mod audit;
pub mod authorize;
pub mod b64;
pub mod claims;
pub mod code;
pub mod content_digest;
pub mod crypto;
pub mod dpop;
pub mod error;
pub mod grant;
pub mod http_sig;
pub mod id_token;
pub mod interaction;
pub mod introspection;
pub mod jarm;
pub mod json;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod key_error;
pub mod mtls;
pub mod par;
pub mod pkce;
pub mod profile;
pub mod refresh;
pub mod request_object;
pub mod secret;
pub mod sfv;
pub mod store;
#[cfg(test)]
mod testing;
pub mod token;

pub use alg::Alg;
#[cfg(feature = "std")]
pub use crypto::SystemClock;
pub use crypto::{Clock, FixedClock, PublicKeyVerifier, Random, Signer, Verifier};
pub use error::{Error, OAuthError, Site};
pub use jwk::{PublicJwk, PublicKey, Thumbprint};
pub use key_error::KeyError;
pub use secret::{Secret, SecretBytes, SecretSlot};
