//! ES256 on aws-lc: ECDSA P-256 SHA-256, fixed-length `r || s`.

use aws_lc_rs::agreement;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    ParsedPublicKey,
};
use zeroize::{Zeroize as _, Zeroizing};

use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier};

use fapi_core::KeyError;

/// How many 32-byte draws [`Es256SigningKey::generate`] tries before it
/// gives up: a draw is out of range with probability below 2^-32.
const GENERATE_ATTEMPTS: usize = 8;

/// A P-256 key pair on aws-lc that signs ES256. aws-lc cleanses the key when
/// it frees it; its `Debug` prints only the key id.
///
/// The same constructors as `fapi_rustcrypto::Es256SigningKey`:
/// [`generate`], [`from_bytes`], [`from_pkcs8_der`], [`from_sec1_der`],
/// then [`with_key_id`].
///
/// ```
/// use fapi_awslc::{Es256SigningKey, SystemRandom};
/// use fapi_core::{Alg, Signer, Verifier};
///
/// let key = Es256SigningKey::generate(&SystemRandom::new())?.with_key_id("as-1")?;
/// assert_eq!((key.alg(), key.key_id()), (Alg::Es256, "as-1"));
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
    key: EcdsaKeyPair,
    rng: SystemRandom,
    public: PublicKey,
    verifying: Es256VerifyingKey,
    kid: String,
}

impl Es256SigningKey {
    /// A fresh key from `rng`: 32-byte draws until one is a valid scalar
    /// (FIPS 186-5 A.4.2, rejection sampling), as the RustCrypto backend
    /// draws it: the same bytes make the same key on both.
    /// [`Error::RandomFailed`] when `rng` fails.
    pub fn generate(rng: &dyn Random) -> Result<Self, KeyError> {
        let mut scalar = Zeroizing::new([0u8; 32]);
        for _ in 0..GENERATE_ATTEMPTS {
            rng.fill(scalar.as_mut())
                .map_err(|e| KeyError::new(e, "the random source failed"))?;
            if let Ok(key) = Self::from_bytes(scalar.as_ref()) {
                return Ok(key);
            }
        }
        scalar.zeroize();
        Err(KeyError::new(
            Error::RandomFailed,
            "the random source gave no valid P-256 scalar",
        ))
    }

    /// A key from its 32-byte big-endian scalar (the JWK's `d`):
    /// [`Error::InvalidKey`], with aws-lc's reason, for another length,
    /// zero, or a value not below the group order.
    pub fn from_bytes(scalar: &[u8]) -> Result<Self, KeyError> {
        if scalar.len() != 32 {
            return Err(KeyError::new(
                Error::InvalidKey,
                "a P-256 private key is 32 bytes",
            ));
        }
        // aws-lc's ECDSA key pair takes a bare scalar only with its public
        // point: aws-lc derives that point from the scalar (the ECDH private
        // key type), and the key pair checks that the two agree.
        let private = agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, scalar)
            .map_err(|e| crate::rejection::rejected(&e))?;
        let point = private
            .compute_public_key()
            .map_err(|_| KeyError::new(Error::InvalidKey, "aws-lc computed no public point"))?;
        let key = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar,
            point.as_ref(),
        )
        .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 `PrivateKeyInfo` DER document (RFC 5208/5958)
    /// holding a P-256 key: [`Error::InvalidKey`], with aws-lc's reason, for
    /// malformed DER, another algorithm or curve, or a public key that is
    /// not the private key's.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    /// A key from a SEC1 `ECPrivateKey` DER document (RFC 5915) on P-256:
    /// [`Error::InvalidKey`], with aws-lc's reason, for malformed DER,
    /// another curve, or a public key that is not the private key's.
    ///
    /// A PKCS#8 document is refused here, as in the RustCrypto backend
    /// (aws-lc's parser would take either): load it with
    /// [`from_pkcs8_der`](Self::from_pkcs8_der).
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        if EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).is_ok() {
            return Err(KeyError::new(
                Error::InvalidKey,
                "a PKCS#8 document, not SEC1: use from_pkcs8_der",
            ));
        }
        let key = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    fn from_key(key: EcdsaKeyPair) -> Result<Self, KeyError> {
        let public = PublicKey::p256_from_sec1(key.public_key().as_ref())
            .map_err(|e| KeyError::new(e, "the public point does not encode"))?;
        let verifying = Es256VerifyingKey::from_public_key(&public)
            .map_err(|e| KeyError::new(e, "aws-lc refused the public point"))?;
        let kid = crate::thumbprint_kid(&public);
        Ok(Self {
            key,
            rng: SystemRandom::new(),
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
    pub fn verifying_key(&self) -> Es256VerifyingKey {
        self.verifying.clone()
    }

    /// The aws-lc key pair.
    #[must_use]
    pub fn as_aws_lc(&self) -> &EcdsaKeyPair {
        &self.key
    }
}

impl Signer for Es256SigningKey {
    fn alg(&self) -> Alg {
        Alg::Es256
    }

    fn key_id(&self) -> &str {
        &self.kid
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        let sig = self
            .key
            .sign(&self.rng, message)
            .map_err(|_| Error::SigningFailed)?;
        crate::put_signature(sig.as_ref(), signature)
    }

    fn public_key(&self) -> Result<PublicKey, Error> {
        Ok(self.public.clone())
    }
}

impl core::fmt::Debug for Es256SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Es256SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A P-256 public key, parsed once by aws-lc, that verifies ES256.
#[derive(Clone, Debug)]
pub struct Es256VerifyingKey {
    key: ParsedPublicKey,
}

impl Es256VerifyingKey {
    /// Parses a P-256 [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] for a point not on the curve.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let point = key.sec1_point()?;
        let key =
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).map_err(|_| Error::InvalidKey)?;
        Ok(Self { key })
    }
}

impl Verifier for Es256VerifyingKey {
    fn alg(&self) -> Alg {
        Alg::Es256
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.key
            .verify_sig(message, signature)
            .map_err(|_| Error::BadSignature)
    }
}
