//! fapi keys on aws-lc-rs: ES256, EdDSA and PS256, a system random source.
//!
//! | algorithm | signing key | verifying key |
//! |---|---|---|
//! | ES256 | [`Es256SigningKey`] (`ECDSA_P256_SHA256_FIXED_SIGNING`) | [`Es256VerifyingKey`] |
//! | EdDSA | [`Ed25519SigningKey`] | [`Ed25519VerifyingKey`] |
//! | PS256 | `Ps256SigningKey` (feature `rsa-signing`, `RSA_PSS_SHA256`) | [`Ps256VerifyingKey`] |
//!
//! The signing keys have the same names, constructors and shapes as those
//! of `fapi-rustcrypto`, so a server moves between the backends by changing
//! the crate name:
//!
//! | | ES256 | EdDSA | PS256 |
//! |---|---|---|---|
//! | fresh | `generate(&rng)` | `generate(&rng)` | `generate(bits)` |
//! | raw private key (JWK `d`) | `from_bytes` | `from_bytes` | — |
//! | PKCS#8 DER | `from_pkcs8_der` | `from_pkcs8_der` | `from_pkcs8_der` |
//! | SEC1 / PKCS#1 DER | `from_sec1_der` | — | `from_pkcs1_der` |
//! | key id | `with_key_id(kid) -> Result` | same | same |
//! | public half | `public_key()` ([`Signer`](fapi_core::Signer)), `verifying_key()` | same | same |
//!
//! The one difference: aws-lc draws RSA keys and PSS salts from its own
//! generator and takes no other, so its PS256 constructors have no `rng`
//! (RustCrypto's keep the one they are given). Every constructor fails with
//! a [`KeyError`]: the `fapi_core::Error` (its code, its OAuth error) and
//! aws-lc's reason for refusing the key, for logs.
//!
//! Keys are parsed once and reused: [`VerifyingKey`] is a public key of any
//! of the three types, parsed and checked at load, for a resource server's
//! authorization server key. [`AWSLC`] verifies with public keys that
//! arrive at run time (a DPoP proof's `jwk`, a client's JWKS), and keeps
//! aws-lc's parse of up to [`KEY_CACHE_CAPACITY`] P-256 keys it has seen,
//! under their exact bytes: a client's ES256 DPoP key or assertion key is
//! parsed once, not on every request.
//! [`SystemRandom`] is the operating system's generator as a
//! [`fapi_core::Random`].
//!
//! aws-lc private keys are opaque: aws-lc cleanses their memory when it
//! frees them, and their `Debug` prints only the key id. The raw secret
//! bytes this crate handles on the way in are zeroized.
//!
//! PS256 signing is behind the `rsa-signing` feature: RSA private keys
//! belong in an HSM, and the feature exists for tests and tools.
#![forbid(unsafe_code)]

mod eddsa;
mod es256;
mod key_cache;
mod oaep;
#[cfg(feature = "rsa-signing")]
mod ps256;
mod random;
mod rejection;
mod verifying_key;

pub use eddsa::{Ed25519SigningKey, Ed25519VerifyingKey};
pub use es256::{Es256SigningKey, Es256VerifyingKey};
pub use fapi_core::KeyError;
pub use key_cache::CAPACITY as KEY_CACHE_CAPACITY;
pub use oaep::{RsaOaepDecryptionKey, RsaOaepEncryptionKey};
#[cfg(feature = "rsa-signing")]
pub use ps256::Ps256SigningKey;
pub use random::SystemRandom;
pub use verifying_key::VerifyingKey;

use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA512, RsaParameters,
    RsaPssSaltLength, RsaPublicKeyComponents,
};
use fapi_core::jwk::RsaPublicKey;
use fapi_core::{Alg, Error, PublicKey, PublicKeyVerifier, Verifier};

/// The aws-lc backend: verifies signatures with [`PublicKey`]s known only
/// at run time. Use the ready value [`AWSLC`].
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLc;

/// The aws-lc backend, ready to hand to `fapi_core::jws`.
pub static AWSLC: AwsLc = AwsLc;

impl PublicKeyVerifier for AwsLc {
    fn verify_with(
        &self,
        key: &PublicKey,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        key.check_alg(alg)?;
        match key {
            // Parsed once while the key stays in the cache (`key_cache`).
            PublicKey::P256 { .. } => key_cache::es256(key)?
                .verify_sig(message, signature)
                .map_err(|_| Error::BadSignature),
            // One point decompression, not two (see `verify_with_key`).
            PublicKey::Ed25519 { x } => eddsa::verify_with_key(x, message, signature),
            // Parsed per call: aws-lc builds an RSA key's Montgomery
            // context on its first verify and keeps it in the key, state a
            // process-wide cache would hold for good (`key_cache`).
            PublicKey::Rsa(_) => {
                Ps256VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
        }
    }

    /// `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1):
    /// SHA-512, MGF1-SHA-512 and a salt of exactly 64 bytes, moduli of 2048
    /// to 8192 bits ([`Error::InvalidKey`] otherwise).
    ///
    /// aws-lc's `RSA_PSS_2048_8192_SHA512` leaves the salt length at
    /// `RsaPssSaltLength::Digest`, which aws-lc passes on as
    /// `RSA_PSS_SALTLEN_DIGEST`: the salt must be exactly as long as the
    /// hash (64 bytes), and a signature with any other salt (0, 32, the
    /// maximum) is [`Error::BadSignature`]; aws-lc does not recover the
    /// salt length (`RSA_PSS_SALTLEN_AUTO`) here. It is set explicitly all
    /// the same, so that a change of aws-lc-rs's default cannot widen it.
    fn verify_rsa_pss_sha512(
        &self,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        const RSA_PSS_SHA512_SALT64: RsaParameters =
            RSA_PSS_2048_8192_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(64));
        let components = RsaPublicKeyComponents {
            n: key.n(),
            e: key.e(),
        };
        let parsed = components
            .to_parsed_public_key(&RSA_PSS_SHA512_SALT64)
            .map_err(|_| Error::InvalidKey)?;
        parsed
            .verify_sig(message, signature)
            .map_err(|_| Error::BadSignature)
    }
}

/// An RSA public key, parsed once, that verifies PS256: PSS with SHA-256,
/// MGF1-SHA-256 and a salt of exactly 32 bytes, moduli of 2048 to 8192 bits.
#[derive(Clone, Debug)]
pub struct Ps256VerifyingKey {
    key: ParsedPublicKey,
}

impl Ps256VerifyingKey {
    /// Parses an RSA [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] when aws-lc refuses it.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let PublicKey::Rsa(k) = key else {
            return Err(Error::KeyAlgMismatch);
        };
        // F2-ALG: RSA_PSS_2048_8192_SHA256 takes 2048 to 8192-bit moduli and
        // a salt as long as the hash (32 bytes), nothing else.
        let components = RsaPublicKeyComponents { n: k.n(), e: k.e() };
        let key = components
            .to_parsed_public_key(&RSA_PSS_2048_8192_SHA256)
            .map_err(|_| Error::InvalidKey)?;
        Ok(Self { key })
    }
}

impl Verifier for Ps256VerifyingKey {
    fn alg(&self) -> Alg {
        Alg::Ps256
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.key
            .verify_sig(message, signature)
            .map_err(|_| Error::BadSignature)
    }
}

/// Copies `sig` into `out`, returning its length.
fn put_signature(sig: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    out.get_mut(..sig.len())
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(sig);
    Ok(sig.len())
}

/// The longest key id a key takes (as in `fapi-rustcrypto`).
pub const MAX_KEY_ID_LEN: usize = 64;

/// The default key id: the RFC 7638 thumbprint, base64url.
fn thumbprint_kid(key: &PublicKey) -> String {
    key.thumbprint().to_b64().as_str().to_owned()
}

/// A key id set by the caller: [`Error::InvalidParameter`] when empty,
/// [`Error::TooLarge`] over [`MAX_KEY_ID_LEN`] bytes.
fn key_id(kid: &str) -> Result<String, KeyError> {
    if kid.is_empty() {
        return Err(KeyError::new(
            Error::InvalidParameter,
            "the key id is empty",
        ));
    }
    if kid.len() > MAX_KEY_ID_LEN {
        return Err(KeyError::new(
            Error::TooLarge,
            "the key id is longer than MAX_KEY_ID_LEN bytes",
        ));
    }
    Ok(kid.to_owned())
}
