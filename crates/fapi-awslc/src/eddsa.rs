//! EdDSA on aws-lc (Ed25519).

use aws_lc_rs::signature::{ED25519, KeyPair as _, ParsedPublicKey};

use fapi_core::{Alg, Error, PublicKey, Signer, Verifier};

/// An Ed25519 key pair on aws-lc that signs EdDSA.
pub struct Ed25519KeyPair {
    key: aws_lc_rs::signature::Ed25519KeyPair,
    public: PublicKey,
    kid: String,
}

impl Ed25519KeyPair {
    /// A key from its 32-byte seed (the JWK's `d`).
    pub fn from_seed(seed: &[u8]) -> Result<Self, Error> {
        if seed.len() != 32 {
            return Err(Error::InvalidKey);
        }
        let key = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| Error::InvalidKey)?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 document.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        let key = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| Error::InvalidKey)?;
        Self::from_key(key)
    }

    /// A fresh key from aws-lc's generator.
    pub fn generate() -> Result<Self, Error> {
        let key =
            aws_lc_rs::signature::Ed25519KeyPair::generate().map_err(|_| Error::RandomFailed)?;
        Self::from_key(key)
    }

    fn from_key(key: aws_lc_rs::signature::Ed25519KeyPair) -> Result<Self, Error> {
        let x: [u8; 32] = key
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| Error::InvalidKey)?;
        let public = PublicKey::Ed25519 { x };
        let kid = crate::thumbprint_kid(&public);
        Ok(Self { key, public, kid })
    }

    /// The same key with `kid` as its key id instead of its thumbprint.
    #[must_use]
    pub fn with_key_id(mut self, kid: &str) -> Self {
        kid.clone_into(&mut self.kid);
        self
    }

    /// The aws-lc key pair.
    #[must_use]
    pub fn as_aws_lc(&self) -> &aws_lc_rs::signature::Ed25519KeyPair {
        &self.key
    }
}

impl Signer for Ed25519KeyPair {
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

impl core::fmt::Debug for Ed25519KeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ed25519KeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key, parsed once by aws-lc, that verifies EdDSA.
#[derive(Debug)]
pub struct Ed25519VerifyingKey {
    key: ParsedPublicKey,
}

impl Ed25519VerifyingKey {
    /// Parses an Ed25519 [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] when aws-lc refuses it.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let PublicKey::Ed25519 { x } = key else {
            return Err(Error::KeyAlgMismatch);
        };
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
