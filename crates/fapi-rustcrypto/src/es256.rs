//! ES256: ECDSA on P-256 with SHA-256, signatures as raw `r || s`.

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use zeroize::{Zeroize, Zeroizing};

use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier};

use crate::key_id::KeyId;
use fapi_core::KeyError;

/// How many 32-byte draws [`Es256SigningKey::generate`] tries before it
/// gives up: a draw is out of range with probability below 2^-32.
const GENERATE_ATTEMPTS: usize = 8;

/// A P-256 private key that signs ES256 (RFC 6979 deterministic nonces).
/// Zeroized on drop; its `Debug` prints only the key id.
///
/// The same constructors as `fapi_awslc::Es256SigningKey`: [`generate`],
/// [`from_bytes`], [`from_pkcs8_der`], [`from_sec1_der`], then
/// [`with_key_id`].
///
/// ```
/// use fapi_core::{Alg, Signer, Verifier};
/// use fapi_rustcrypto::Es256SigningKey;
///
/// // RFC 7515 A.3's `d`.
/// let d = fapi_core::b64::decode_array::<32>(b"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")?;
/// let key = Es256SigningKey::from_bytes(&d)?.with_key_id("es-1")?;
/// assert_eq!((key.alg(), key.key_id()), (Alg::Es256, "es-1"));
/// let mut sig = [0u8; 64];
/// let n = key.sign(b"message", &mut sig)?;
/// key.verifying_key().verify(b"message", &sig[..n])?;
/// # Ok::<(), fapi_core::Error>(())
/// ```
///
/// [`generate`]: Self::generate
/// [`from_bytes`]: Self::from_bytes
/// [`from_pkcs8_der`]: Self::from_pkcs8_der
/// [`from_sec1_der`]: Self::from_sec1_der
/// [`with_key_id`]: Self::with_key_id
pub struct Es256SigningKey {
    // The public key is derived from `key` when asked for, not held: a
    // `PublicKey` is 1 KiB (it has room for RSA), which a signing module's
    // RAM pays for every key it holds.
    key: SigningKey,
    kid: KeyId,
}

impl Es256SigningKey {
    /// A fresh key from `rng`: 32-byte draws until one is a valid scalar
    /// (FIPS 186-5 A.4.2, rejection sampling). [`Error::RandomFailed`] when
    /// `rng` fails.
    pub fn generate(rng: &dyn Random) -> Result<Self, KeyError> {
        let mut scalar = Zeroizing::new([0u8; 32]);
        for _ in 0..GENERATE_ATTEMPTS {
            rng.fill(scalar.as_mut())
                .map_err(|e| KeyError::new(e, "the random source failed"))?;
            if let Ok(key) = SigningKey::from_slice(scalar.as_ref()) {
                return Self::from_key(key);
            }
        }
        scalar.zeroize();
        Err(KeyError::new(
            Error::RandomFailed,
            "the random source gave no valid P-256 scalar",
        ))
    }

    /// A key from its 32-byte big-endian scalar (the JWK's `d`):
    /// [`Error::InvalidKey`] for another length, zero, or a value not below
    /// the group order.
    pub fn from_bytes(scalar: &[u8]) -> Result<Self, KeyError> {
        // Exactly 32 bytes: `p256` would zero-pad a shorter slice.
        if scalar.len() != 32 {
            return Err(KeyError::new(
                Error::InvalidKey,
                "a P-256 private key is 32 bytes",
            ));
        }
        let key = SigningKey::from_slice(scalar).map_err(|_| {
            KeyError::new(
                Error::InvalidKey,
                "the scalar is zero or not below the group order",
            )
        })?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 `PrivateKeyInfo` DER document (RFC 5208/5958)
    /// holding a P-256 key: [`Error::InvalidKey`], with the reason, for
    /// malformed DER, another algorithm or curve, or a public key that is
    /// not the private key's.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        use p256::pkcs8::DecodePrivateKey as _;
        let key = SigningKey::from_pkcs8_der(der).map_err(|e| crate::rejection::pkcs8(&e))?;
        Self::from_key(key)
    }

    /// A key from a SEC1 `ECPrivateKey` DER document (RFC 5915) on P-256:
    /// [`Error::InvalidKey`], with the reason, for malformed DER, another
    /// curve, or a public key that is not the private key's.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let secret = p256::SecretKey::from_sec1_der(der).map_err(|e| crate::rejection::sec1(&e))?;
        Self::from_key(SigningKey::from(secret))
    }

    fn from_key(key: SigningKey) -> Result<Self, KeyError> {
        let public =
            public_of(&key).map_err(|e| KeyError::new(e, "the public point does not encode"))?;
        let kid = KeyId::thumbprint(&public);
        Ok(Self { key, kid })
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
    pub fn verifying_key(&self) -> Es256VerifyingKey {
        Es256VerifyingKey {
            key: *self.key.verifying_key(),
        }
    }
}

impl Signer for Es256SigningKey {
    fn alg(&self) -> Alg {
        Alg::Es256
    }

    fn key_id(&self) -> &str {
        self.kid.as_str()
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        let sig: Signature = self
            .key
            .try_sign(message)
            .map_err(|_| Error::SigningFailed)?;
        crate::put_signature(&sig.to_bytes(), signature)
    }

    fn public_key(&self) -> Result<PublicKey, Error> {
        public_of(&self.key)
    }
}

/// The JWK public key of `key`.
fn public_of(key: &SigningKey) -> Result<PublicKey, Error> {
    let point = key.verifying_key().to_sec1_point(false);
    PublicKey::p256_from_sec1(point.as_bytes())
}

// The inner `SigningKey` zeroizes its scalar when dropped.
impl zeroize::ZeroizeOnDrop for Es256SigningKey {}

impl core::fmt::Debug for Es256SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Es256SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A P-256 public key, parsed and checked once, that verifies ES256.
#[derive(Clone, Copy, Debug)]
pub struct Es256VerifyingKey {
    key: VerifyingKey,
}

impl Es256VerifyingKey {
    /// Parses a P-256 [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] for a point not on the curve.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let point = key.sec1_point()?;
        let key = VerifyingKey::from_sec1_bytes(&point).map_err(|_| Error::InvalidKey)?;
        Ok(Self { key })
    }
}

impl Verifier for Es256VerifyingKey {
    fn alg(&self) -> Alg {
        Alg::Es256
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        // A signature of the wrong length, or with r or s zero or not below
        // the group order, never verifies.
        let sig = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
        self.key
            .verify(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}
