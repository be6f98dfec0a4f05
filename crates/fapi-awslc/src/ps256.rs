//! PS256 signing on aws-lc (feature `rsa-signing`). RSA private keys belong
//! in an HSM: this exists for tests and tools.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PSS_SHA256, RSA_PSS_SHA512, RsaKeyPair};

use fapi_core::jwk::{MIN_RSA_BITS, RsaPublicKey};
use fapi_core::{Alg, Error, PublicKey, Signer};

use crate::Ps256VerifyingKey;
use fapi_core::KeyError;

/// An RSA key pair on aws-lc that signs PS256 (salt of 32 bytes). aws-lc
/// cleanses the key when it frees it; its `Debug` prints only the key id.
///
/// The same constructors as `fapi_rustcrypto::Ps256SigningKey`:
/// [`generate`], [`from_pkcs8_der`], [`from_pkcs1_der`], then
/// [`with_key_id`]. They take no random source: aws-lc draws the key and
/// every salt from its own generator, and accepts no other (its
/// `SecureRandom` is sealed).
///
/// ```
/// use fapi_awslc::Ps256SigningKey;
/// use fapi_core::Error;
///
/// // F2-ALG: no RSA key under 2048 bits.
/// assert_eq!(Ps256SigningKey::generate(1024).unwrap_err().error(), Error::WeakKey);
/// let err = Ps256SigningKey::from_pkcs8_der(b"junk").unwrap_err();
/// assert_eq!((err.error(), err.reason()), (Error::InvalidKey, "InvalidEncoding"));
/// ```
///
/// [`generate`]: Self::generate
/// [`from_pkcs8_der`]: Self::from_pkcs8_der
/// [`from_pkcs1_der`]: Self::from_pkcs1_der
/// [`with_key_id`]: Self::with_key_id
pub struct Ps256SigningKey {
    key: RsaKeyPair,
    rng: SystemRandom,
    public: Box<PublicKey>,
    verifying: Ps256VerifyingKey,
    kid: String,
}

impl Ps256SigningKey {
    /// A fresh key of `bits` bits from aws-lc's generator. F2-ALG: under
    /// 2048 bits is [`Error::WeakKey`]; aws-lc makes keys of 2048, 3072,
    /// 4096 and 8192 bits, other sizes are [`Error::InvalidParameter`].
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        // F2-ALG: no RSA key under 2048 bits.
        if bits < MIN_RSA_BITS {
            return Err(KeyError::new(
                Error::WeakKey,
                "an RSA key has at least 2048 bits",
            ));
        }
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => {
                return Err(KeyError::new(
                    Error::InvalidParameter,
                    "aws-lc makes RSA keys of 2048, 3072, 4096 or 8192 bits",
                ));
            }
        };
        let key = RsaKeyPair::generate(size)
            .map_err(|_| KeyError::new(Error::RandomFailed, "RSA key generation failed"))?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 `PrivateKeyInfo` DER document:
    /// [`Error::InvalidKey`], with aws-lc's reason, when it is not an RSA
    /// key; [`Error::WeakKey`] under 2048 bits.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_key(RsaKeyPair::from_pkcs8(der).map_err(|e| crate::rejection::rejected(&e))?)
    }

    /// A key from a PKCS#1 `RSAPrivateKey` DER document (RFC 8017 A.1.2):
    /// [`Error::InvalidKey`], with aws-lc's reason, when malformed;
    /// [`Error::WeakKey`] under 2048 bits.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_key(RsaKeyPair::from_der(der).map_err(|e| crate::rejection::rejected(&e))?)
    }

    fn from_key(key: RsaKeyPair) -> Result<Self, KeyError> {
        // F2-ALG: no RSA key under 2048 bits.
        if key.public_modulus_len().saturating_mul(8) < MIN_RSA_BITS {
            return Err(KeyError::new(
                Error::WeakKey,
                "an RSA key has at least 2048 bits",
            ));
        }
        let pk = key.public_key();
        let n = pk.modulus();
        let e = pk.exponent();
        let public = RsaPublicKey::new(
            n.big_endian_without_leading_zero(),
            e.big_endian_without_leading_zero(),
        )
        .map_err(|e| KeyError::new(e, "the RSA public key is out of range"))?;
        let public = Box::new(PublicKey::Rsa(public));
        let verifying = Ps256VerifyingKey::from_public_key(&public)
            .map_err(|e| KeyError::new(e, "aws-lc refused the public key"))?;
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
    pub fn verifying_key(&self) -> Ps256VerifyingKey {
        self.verifying.clone()
    }

    /// The aws-lc key pair.
    #[must_use]
    pub fn as_aws_lc(&self) -> &RsaKeyPair {
        &self.key
    }
}

impl Signer for Ps256SigningKey {
    fn alg(&self) -> Alg {
        Alg::Ps256
    }

    fn key_id(&self) -> &str {
        &self.kid
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        let len = self.key.public_modulus_len();
        // aws-lc requires a buffer of exactly the modulus length.
        let out = signature.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        self.key
            .sign(&RSA_PSS_SHA256, &self.rng, message, out)
            .map_err(|_| Error::SigningFailed)?;
        Ok(len)
    }

    fn public_key(&self) -> Result<PublicKey, Error> {
        Ok((*self.public).clone())
    }

    /// RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt
    /// (RFC 9421 §3.3.1): aws-lc's `RSA_PSS_SHA512`, whose salt is as long
    /// as the hash.
    fn sign_rsa_pss_sha512(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        let len = self.key.public_modulus_len();
        let out = signature.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        self.key
            .sign(&RSA_PSS_SHA512, &self.rng, message, out)
            .map_err(|_| Error::SigningFailed)?;
        Ok(len)
    }
}

impl core::fmt::Debug for Ps256SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ps256SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
