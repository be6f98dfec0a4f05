//! fapi keys on aws-lc-rs: ES256, EdDSA and PS256, a system random source.
//!
//! | algorithm | signing key | verifying key |
//! |---|---|---|
//! | ES256 | [`Es256KeyPair`] (`ECDSA_P256_SHA256_FIXED_SIGNING`) | [`Es256VerifyingKey`] |
//! | EdDSA | [`Ed25519KeyPair`] | [`Ed25519VerifyingKey`] |
//! | PS256 | `Ps256KeyPair` (feature `rsa-signing`, `RSA_PSS_SHA256`) | [`Ps256VerifyingKey`] |
//!
//! Keys are parsed once and reused. [`AWSLC`] verifies with public keys that
//! arrive at run time (a DPoP proof's `jwk`, a client's JWKS).
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
#[cfg(feature = "rsa-signing")]
mod ps256;
mod random;

pub use eddsa::{Ed25519KeyPair, Ed25519VerifyingKey};
pub use es256::{Es256KeyPair, Es256VerifyingKey};
#[cfg(feature = "rsa-signing")]
pub use ps256::Ps256KeyPair;
pub use random::SystemRandom;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PSS_2048_8192_SHA256, RsaPublicKeyComponents};
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
            PublicKey::P256 { .. } => {
                Es256VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
            PublicKey::Ed25519 { .. } => {
                Ed25519VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
            PublicKey::Rsa(_) => {
                Ps256VerifyingKey::from_public_key(key)?.verify(message, signature)
            }
        }
    }
}

/// An RSA public key, parsed once, that verifies PS256: PSS with SHA-256,
/// MGF1-SHA-256 and a salt of exactly 32 bytes, moduli of 2048 to 8192 bits.
#[derive(Debug)]
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

/// The default key id: the RFC 7638 thumbprint, base64url.
fn thumbprint_kid(key: &PublicKey) -> String {
    key.thumbprint().to_b64().as_str().to_owned()
}
