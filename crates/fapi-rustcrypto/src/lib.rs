//! Software keys for fapi on RustCrypto, `no_std` and allocation-free
//! except where RSA needs it.
//!
//! | algorithm | signing key | verifying key | crate |
//! |---|---|---|---|
//! | ES256 | [`Es256SigningKey`] | [`Es256VerifyingKey`] | `p256` |
//! | EdDSA | [`Ed25519SigningKey`] | [`Ed25519VerifyingKey`] | `ed25519-dalek` (strict verification) |
//! | PS256 | `Ps256SigningKey` (feature `rsa-signing`) | `Ps256VerifyingKey` (feature `alloc`) | `rsa` |
//!
//! [`RUSTCRYPTO`] verifies with public keys that arrive at run time (a DPoP
//! proof's `jwk`, a client's JWKS): it is the [`PublicKeyVerifier`] handed to
//! `fapi_core::jws::verify_embedded` and `verify_with_jwks`.
//!
//! # Features
//!
//! - `alloc`: PS256 verification. The `rsa` crate works on heap-allocated
//!   big integers, so without this feature an RSA key is refused with
//!   [`Error::UnsupportedKeyType`] and nothing allocates.
//! - `rsa-signing` (implies `alloc`): PS256 signing with software RSA keys.
//!   RSA private keys belong in an HSM; this feature exists for tests and
//!   tools.
//! - `fast`: precomputed Ed25519 base-point tables (faster signing, larger
//!   binary). The P-256 tables need `std` or `critical-section`, so a binary
//!   that has either enables `p256/precomputed-tables` itself.
//!
//! # Keys
//!
//! The signing keys have the same names, constructors and shapes as those
//! of `fapi-awslc`, so a server moves between the backends by changing the
//! crate name:
//!
//! | | ES256 | EdDSA | PS256 |
//! |---|---|---|---|
//! | fresh | `generate(&rng)` | `generate(&rng)` | `generate(bits, rng)` |
//! | raw private key (JWK `d`) | `from_bytes` | `from_bytes` | — |
//! | PKCS#8 DER | `from_pkcs8_der` | `from_pkcs8_der` | `from_pkcs8_der(der, rng)` |
//! | SEC1 / PKCS#1 DER | `from_sec1_der` | — | `from_pkcs1_der(der, rng)` |
//! | key id | `with_key_id(kid) -> Result` | same | same |
//! | public half | `public_key()` ([`Signer`](fapi_core::Signer)), `verifying_key()` | same | same |
//!
//! Every constructor fails with a [`KeyError`]: the `fapi_core::Error` (its
//! code, its OAuth error) and the decoding library's reason, for logs. A
//! PS256 key also keeps the random source `rng` it draws its salts from.
//! Signing keys zeroize on drop and their `Debug` prints only the key id.
#![no_std]
#![forbid(unsafe_code)]
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

#[cfg(feature = "alloc")]
extern crate alloc;

mod eddsa;
mod es256;
mod key_id;
#[cfg(feature = "alloc")]
mod oaep;
#[cfg(feature = "alloc")]
mod ps256;
mod rejection;
#[cfg(feature = "alloc")]
mod rng;

pub use eddsa::{Ed25519SigningKey, Ed25519VerifyingKey};
pub use es256::{Es256SigningKey, Es256VerifyingKey};
pub use fapi_core::KeyError;
pub use key_id::{KeyId, MAX_KEY_ID_LEN};
#[cfg(feature = "rsa-signing")]
pub use oaep::RsaOaepDecryptionKey;
#[cfg(feature = "alloc")]
pub use oaep::RsaOaepEncryptionKey;
#[cfg(feature = "rsa-signing")]
pub use ps256::Ps256SigningKey;
#[cfg(feature = "alloc")]
pub use ps256::Ps256VerifyingKey;

use fapi_core::{Alg, Error, PublicKey, PublicKeyVerifier, Verifier};

/// The RustCrypto backend: verifies signatures with [`PublicKey`]s known
/// only at run time. Use the ready value [`RUSTCRYPTO`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCrypto;

/// The RustCrypto backend, ready to hand to `fapi_core::jws`.
pub static RUSTCRYPTO: RustCrypto = RustCrypto;

impl PublicKeyVerifier for RustCrypto {
    fn verify_with(
        &self,
        key: &PublicKey,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        key.check_alg(alg)?;
        match key {
            PublicKey::P256 { .. } => {
                Es256VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
            PublicKey::Ed25519 { .. } => {
                Ed25519VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
            #[cfg(feature = "alloc")]
            PublicKey::Rsa(_) => {
                Ps256VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
            // Without `alloc` there is no RSA arithmetic.
            #[cfg(not(feature = "alloc"))]
            PublicKey::Rsa(_) => Err(Error::UnsupportedKeyType),
        }
    }

    /// `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1):
    /// SHA-512, MGF1-SHA-512, a salt of exactly 64 bytes. Needs `alloc`;
    /// without it, the trait's default refuses with `UnsupportedAlg`.
    #[cfg(feature = "alloc")]
    fn verify_rsa_pss_sha512(
        &self,
        key: &fapi_core::jwk::RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        ps256::verify_rsa_pss_sha512(key, message, signature)
    }
}

/// Copies `sig` into `out`, returning its length.
fn put_signature(sig: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    out.get_mut(..sig.len())
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(sig);
    Ok(sig.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without `alloc` there is no RSA: PS256 keys are refused with a typed
    /// error, never a panic. (Runs with `cargo test -p fapi-rustcrypto`;
    /// with `alloc` on, PS256 is covered by the conformance tests.)
    #[cfg(not(feature = "alloc"))]
    #[test]
    fn ps256_without_alloc_is_unsupported() {
        let mut n = [0xc5u8; 256];
        n[255] = 1;
        let key = PublicKey::Rsa(fapi_core::jwk::RsaPublicKey::new(&n, &[1, 0, 1]).unwrap());
        assert_eq!(
            RUSTCRYPTO.verify_with(&key, Alg::Ps256, b"m", &[0u8; 256]),
            Err(Error::UnsupportedKeyType)
        );
    }

    #[test]
    fn alg_mismatch_is_refused() {
        let key = PublicKey::Ed25519 { x: [9u8; 32] };
        assert_eq!(
            RUSTCRYPTO.verify_with(&key, Alg::Es256, b"m", &[0u8; 64]),
            Err(Error::KeyAlgMismatch)
        );
    }
}
