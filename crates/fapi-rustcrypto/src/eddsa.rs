//! EdDSA on Ed25519 (RFC 8037), verified strictly.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier};

use crate::key_id::KeyId;

/// An Ed25519 private key that signs EdDSA. Zeroized on drop.
pub struct Ed25519SigningKey {
    // The public key is derived from `key` when asked for (see
    // `Es256SigningKey`): a `PublicKey` is 1 KiB.
    key: SigningKey,
    kid: KeyId,
}

impl Ed25519SigningKey {
    /// A key from its 32-byte seed (RFC 8032 §5.1.5, the JWK's `d`):
    /// [`Error::InvalidKey`] for another length.
    pub fn from_seed(seed: &[u8]) -> Result<Self, Error> {
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| Error::InvalidKey)?);
        Ok(Self::from_key(SigningKey::from_bytes(&seed)))
    }

    /// A fresh key from `rng`.
    pub fn generate(rng: &dyn Random) -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill(seed.as_mut())?;
        Ok(Self::from_key(SigningKey::from_bytes(&seed)))
    }

    fn from_key(key: SigningKey) -> Self {
        let kid = KeyId::thumbprint(&public_of(&key));
        Self { key, kid }
    }

    /// The same key with `kid` as its key id instead of its thumbprint.
    pub fn with_key_id(mut self, kid: &str) -> Result<Self, Error> {
        self.kid = KeyId::new(kid)?;
        Ok(self)
    }

    /// The verifying half.
    pub fn verifying_key(&self) -> Ed25519VerifyingKey {
        Ed25519VerifyingKey {
            key: self.key.verifying_key(),
        }
    }
}

impl Signer for Ed25519SigningKey {
    fn alg(&self) -> Alg {
        Alg::EdDsa
    }

    fn key_id(&self) -> &str {
        self.kid.as_str()
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        use ed25519_dalek::Signer as _;
        let sig: Signature = self
            .key
            .try_sign(message)
            .map_err(|_| Error::SigningFailed)?;
        crate::put_signature(&sig.to_bytes(), signature)
    }

    fn public_key(&self) -> Result<PublicKey, Error> {
        Ok(public_of(&self.key))
    }
}

/// The JWK public key of `key`.
fn public_of(key: &SigningKey) -> PublicKey {
    PublicKey::Ed25519 {
        x: key.verifying_key().to_bytes(),
    }
}

// The inner `SigningKey` zeroizes its secret when dropped.
impl zeroize::ZeroizeOnDrop for Ed25519SigningKey {}

impl core::fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ed25519SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key, decompressed once, that verifies EdDSA strictly:
/// non-canonical `S`, small-order keys and small-order `R` are refused.
#[derive(Clone, Copy, Debug)]
pub struct Ed25519VerifyingKey {
    key: VerifyingKey,
}

impl Ed25519VerifyingKey {
    /// Parses an Ed25519 [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] when it does not decode to a point or
    /// is of small order.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let PublicKey::Ed25519 { x } = key else {
            return Err(Error::KeyAlgMismatch);
        };
        let key = VerifyingKey::from_bytes(x).map_err(|_| Error::InvalidKey)?;
        // A key of small order can "sign" every message: refused when it is
        // parsed (`verify_strict` would refuse each signature anyway).
        if key.is_weak() {
            return Err(Error::InvalidKey);
        }
        Ok(Self { key })
    }
}

impl Verifier for Ed25519VerifyingKey {
    fn alg(&self) -> Alg {
        Alg::EdDsa
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let sig = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
        self.key
            .verify_strict(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}
