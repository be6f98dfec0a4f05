//! ES256 on aws-lc: ECDSA P-256 SHA-256, fixed-length `r || s`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    ParsedPublicKey,
};
use zeroize::Zeroizing;

use fapi_core::{Alg, Error, PublicKey, Signer, Verifier};

/// The RFC 5915 `ECPrivateKey` around a P-256 scalar, without the optional
/// public key (aws-lc derives it): header, then 32 scalar bytes, then the
/// `[0]` curve OID `prime256v1`.
const EC_PRIVATE_KEY_HEAD: [u8; 7] = [0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20];
const EC_PRIVATE_KEY_TAIL: [u8; 12] = [
    0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
];
const EC_PRIVATE_KEY_LEN: usize = 7 + 32 + 12;

/// A P-256 key pair on aws-lc that signs ES256.
pub struct Es256KeyPair {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    public: PublicKey,
    kid: String,
}

impl Es256KeyPair {
    /// A key from its 32-byte big-endian scalar: [`Error::InvalidKey`] when
    /// aws-lc refuses it.
    pub fn from_bytes(scalar: &[u8]) -> Result<Self, Error> {
        if scalar.len() != 32 {
            return Err(Error::InvalidKey);
        }
        let mut der = Zeroizing::new([0u8; EC_PRIVATE_KEY_LEN]);
        let (head, rest) = der.split_at_mut(EC_PRIVATE_KEY_HEAD.len());
        let (mid, tail) = rest.split_at_mut(32);
        head.copy_from_slice(&EC_PRIVATE_KEY_HEAD);
        mid.copy_from_slice(scalar);
        tail.copy_from_slice(&EC_PRIVATE_KEY_TAIL);
        let key =
            EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_ref())
                .map_err(|_| Error::InvalidKey)?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 document.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| Error::InvalidKey)?;
        Self::from_key(key)
    }

    /// A fresh key from aws-lc's generator.
    pub fn generate() -> Result<Self, Error> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::RandomFailed)?;
        Self::from_key(key)
    }

    fn from_key(key: EcdsaKeyPair) -> Result<Self, Error> {
        let public = PublicKey::p256_from_sec1(key.public_key().as_ref())?;
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

    /// The aws-lc key pair.
    #[must_use]
    pub fn as_aws_lc(&self) -> &EcdsaKeyPair {
        &self.key
    }
}

impl Signer for Es256KeyPair {
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

impl core::fmt::Debug for Es256KeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Es256KeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A P-256 public key, parsed once by aws-lc, that verifies ES256.
#[derive(Debug)]
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
