//! EdDSA on aws-lc (Ed25519).

use aws_lc_rs::signature::{ED25519, KeyPair as _, ParsedPublicKey};

use zeroize::Zeroizing;

use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier};

use fapi_core::KeyError;

/// An Ed25519 key pair on aws-lc that signs EdDSA. aws-lc cleanses the key
/// when it frees it; its `Debug` prints only the key id.
///
/// The same constructors as `fapi_rustcrypto::Ed25519SigningKey`:
/// [`generate`], [`from_bytes`], [`from_pkcs8_der`], then [`with_key_id`].
///
/// ```
/// use fapi_awslc::Ed25519SigningKey;
/// use fapi_core::{Alg, Signer, Verifier};
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
    key: aws_lc_rs::signature::Ed25519KeyPair,
    public: PublicKey,
    verifying: Ed25519VerifyingKey,
    kid: String,
}

impl Ed25519SigningKey {
    /// A fresh key: a 32-byte seed from `rng`, as the RustCrypto backend
    /// draws it (the same bytes make the same key on both).
    /// [`Error::RandomFailed`] when `rng` fails.
    pub fn generate(rng: &dyn Random) -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill(seed.as_mut())
            .map_err(|e| KeyError::new(e, "the random source failed"))?;
        Self::from_bytes(seed.as_ref())
    }

    /// A key from its 32-byte seed (RFC 8032 §5.1.5, the JWK's `d`):
    /// [`Error::InvalidKey`] for another length.
    pub fn from_bytes(seed: &[u8]) -> Result<Self, KeyError> {
        if seed.len() != 32 {
            return Err(KeyError::new(
                Error::InvalidKey,
                "an Ed25519 private key is 32 bytes",
            ));
        }
        // "Unchecked": there is no public key beside the seed to check.
        let key = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 `OneAsymmetricKey` DER document (RFC 8410, v1
    /// or v2): [`Error::InvalidKey`], with aws-lc's reason, for malformed
    /// DER, another algorithm, or a v2 public key that is not the private
    /// key's.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(der)
            .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    fn from_key(key: aws_lc_rs::signature::Ed25519KeyPair) -> Result<Self, KeyError> {
        let x: [u8; 32] =
            key.public_key().as_ref().try_into().map_err(|_| {
                KeyError::new(Error::InvalidKey, "aws-lc gave no 32-byte public key")
            })?;
        let public = PublicKey::Ed25519 { x };
        let verifying = Ed25519VerifyingKey::from_public_key(&public)
            .map_err(|e| KeyError::new(e, "the public key is of small order"))?;
        let kid = crate::thumbprint_kid(&public);
        Ok(Self {
            key,
            public,
            verifying,
            kid,
        })
    }

    /// The same key with `kid` as its key id instead of its RFC 7638
    /// thumbprint: [`Error::InvalidParameter`] when empty,
    /// [`Error::TooLarge`] over [`MAX_KEY_ID_LEN`](crate::MAX_KEY_ID_LEN)
    /// bytes.
    pub fn with_key_id(mut self, kid: &str) -> Result<Self, KeyError> {
        self.kid = crate::key_id(kid)?;
        Ok(self)
    }

    /// The verifying half.
    #[must_use]
    pub fn verifying_key(&self) -> Ed25519VerifyingKey {
        self.verifying.clone()
    }

    /// The aws-lc key pair.
    #[must_use]
    pub fn as_aws_lc(&self) -> &aws_lc_rs::signature::Ed25519KeyPair {
        &self.key
    }
}

impl Signer for Ed25519SigningKey {
    fn alg(&self) -> Alg {
        Alg::EdDsa
    }

    fn key_id(&self) -> &str {
        &self.kid
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        let sig = self
            .key
            .try_sign(message)
            .map_err(|_| Error::SigningFailed)?;
        crate::put_signature(sig.as_ref(), signature)
    }

    fn public_key(&self) -> Result<PublicKey, Error> {
        Ok(self.public.clone())
    }
}

impl core::fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ed25519SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key, parsed once by aws-lc, that verifies EdDSA.
#[derive(Clone, Debug)]
pub struct Ed25519VerifyingKey {
    key: ParsedPublicKey,
}

impl Ed25519VerifyingKey {
    /// Parses an Ed25519 [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] when it is not a point, is of small
    /// order, or aws-lc refuses it.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let PublicKey::Ed25519 { x } = key else {
            return Err(Error::KeyAlgMismatch);
        };
        // A small-order key (the identity, say) lets `R = identity, S = 0`
        // verify for every message, and aws-lc's verification accepts it:
        // such keys are refused here, as `verify_strict` does in the
        // RustCrypto backend.
        let point = ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| Error::InvalidKey)?;
        if point.is_weak() {
            return Err(Error::InvalidKey);
        }
        let key = ParsedPublicKey::new(&ED25519, x).map_err(|_| Error::InvalidKey)?;
        Ok(Self { key })
    }
}

impl Verifier for Ed25519VerifyingKey {
    fn alg(&self) -> Alg {
        Alg::EdDsa
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.key
            .verify_sig(message, signature)
            .map_err(|_| Error::BadSignature)
    }
}
