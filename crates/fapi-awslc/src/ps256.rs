//! PS256 signing on aws-lc (feature `rsa-signing`). RSA private keys belong
//! in an HSM: this exists for tests and tools.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PSS_SHA256, RsaKeyPair};

use fapi_core::jwk::{MIN_RSA_BITS, RsaPublicKey};
use fapi_core::{Alg, Error, PublicKey, Signer};

/// An RSA key pair on aws-lc that signs PS256 (salt of 32 bytes).
pub struct Ps256KeyPair {
    key: RsaKeyPair,
    rng: SystemRandom,
    public: Box<PublicKey>,
    kid: String,
}

impl Ps256KeyPair {
    /// A key from a PKCS#8 document: [`Error::WeakKey`] under 2048 bits.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        Self::from_key(RsaKeyPair::from_pkcs8(der).map_err(|_| Error::InvalidKey)?)
    }

    /// A key from a PKCS#1 `RSAPrivateKey` document.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_key(RsaKeyPair::from_der(der).map_err(|_| Error::InvalidKey)?)
    }

    /// A fresh 2048-bit key from aws-lc's generator.
    pub fn generate() -> Result<Self, Error> {
        Self::from_key(RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| Error::RandomFailed)?)
    }

    fn from_key(key: RsaKeyPair) -> Result<Self, Error> {
        if key.public_modulus_len().saturating_mul(8) < MIN_RSA_BITS {
            return Err(Error::WeakKey);
        }
        let pk = key.public_key();
        let n = pk.modulus();
        let e = pk.exponent();
        let public = Box::new(PublicKey::Rsa(RsaPublicKey::new(
            n.big_endian_without_leading_zero(),
            e.big_endian_without_leading_zero(),
        )?));
        let kid = crate::thumbprint_kid(&public);
        Ok(Self {
            key,
            rng: SystemRandom::new(),
            public,
            kid,
        })
    }

    /// The same key with `kid` as its key id instead of its thumbprint.
    #[must_use]
    pub fn with_key_id(mut self, kid: &str) -> Self {
        kid.clone_into(&mut self.kid);
        self
    }
}

impl Signer for Ps256KeyPair {
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
}

impl core::fmt::Debug for Ps256KeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ps256KeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
