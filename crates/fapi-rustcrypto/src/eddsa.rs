//! EdDSA on Ed25519 (RFC 8037), verified strictly.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier};

use crate::key_id::KeyId;
use fapi_core::KeyError;

/// An Ed25519 private key that signs EdDSA. Zeroized on drop; its `Debug`
/// prints only the key id.
///
/// The same constructors as `fapi_awslc::Ed25519SigningKey`: [`generate`],
/// [`from_bytes`], [`from_pkcs8_der`], then [`with_key_id`].
///
/// ```
/// use fapi_core::{Alg, Signer, Verifier};
/// use fapi_rustcrypto::Ed25519SigningKey;
///
/// // RFC 8037 A.1's `d`.
/// let d = fapi_core::b64::decode_array::<32>(b"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")?;
/// let key = Ed25519SigningKey::from_bytes(&d)?;
/// // The default key id is the RFC 7638 thumbprint (RFC 8037 A.3).
/// assert_eq!(key.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
/// let mut sig = [0u8; 64];
/// let n = key.sign(b"message", &mut sig)?;
/// key.verifying_key().verify(b"message", &sig[..n])?;
/// assert_eq!(key.alg(), Alg::EdDsa);
/// # Ok::<(), fapi_core::Error>(())
/// ```
///
/// [`generate`]: Self::generate
/// [`from_bytes`]: Self::from_bytes
/// [`from_pkcs8_der`]: Self::from_pkcs8_der
/// [`with_key_id`]: Self::with_key_id
pub struct Ed25519SigningKey {
    // The public key is derived from `key` when asked for (see
    // `Es256SigningKey`): a `PublicKey` is 1 KiB.
    key: SigningKey,
    kid: KeyId,
}

impl Ed25519SigningKey {
    /// A fresh key: a 32-byte seed from `rng`. [`Error::RandomFailed`] when
    /// `rng` fails.
    pub fn generate(rng: &dyn Random) -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill(seed.as_mut())
            .map_err(|e| KeyError::new(e, "the random source failed"))?;
        Ok(Self::from_key(SigningKey::from_bytes(&seed)))
    }

    /// A key from its 32-byte seed (RFC 8032 §5.1.5, the JWK's `d`):
    /// [`Error::InvalidKey`] for another length.
    pub fn from_bytes(seed: &[u8]) -> Result<Self, KeyError> {
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| {
                KeyError::new(Error::InvalidKey, "an Ed25519 private key is 32 bytes")
            })?);
        Ok(Self::from_key(SigningKey::from_bytes(&seed)))
    }

    /// A key from a PKCS#8 `OneAsymmetricKey` DER document (RFC 8410, v1
    /// or v2): [`Error::InvalidKey`], with the reason, for malformed DER,
    /// another algorithm, or a v2 public key that is not the private key's.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        use ed25519_dalek::ed25519::pkcs8::DecodePrivateKey as _;
        let key = SigningKey::from_pkcs8_der(der).map_err(|e| crate::rejection::pkcs8(&e))?;
        Ok(Self::from_key(key))
    }

    fn from_key(key: SigningKey) -> Self {
        let kid = KeyId::thumbprint(&public_of(&key));
        Self { key, kid }
    }

    /// The same key with `kid` as its key id instead of its RFC 7638
    /// thumbprint: [`Error::InvalidParameter`] when empty,
    /// [`Error::TooLarge`] over [`MAX_KEY_ID_LEN`](crate::MAX_KEY_ID_LEN)
    /// bytes.
    pub fn with_key_id(mut self, kid: &str) -> Result<Self, KeyError> {
        self.kid = KeyId::new(kid)?;
        Ok(self)
    }

    /// The verifying half.
    #[must_use]
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
