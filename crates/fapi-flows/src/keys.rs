//! Software keys for the simulated parties, from `fapi-rustcrypto`, and the
//! operating system's random source.

use std::sync::Arc;

use fapi_core::jwk::{PublicJwk, write_jwks};
use fapi_core::{Alg, Error, PublicKey, Random, Signer};
use fapi_rustcrypto::{Ed25519SigningKey, Es256SigningKey, Ps256SigningKey};

/// The operating system's random source (`getrandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        getrandom::fill(dest).map_err(|_| Error::RandomFailed)
    }
}

/// An RSA key, shared: RSA-2048 generation is slow, so one key per run
/// serves every PS256 party that needs one.
pub type SharedRsaKey = Arc<Ps256SigningKey<OsRandom>>;

/// A software signing key of one of the three FAPI 2.0 algorithms.
#[derive(Clone)]
pub enum SoftKey {
    /// PS256 (RSA-PSS, SHA-256).
    Ps256(SharedRsaKey),
    /// ES256 (P-256).
    Es256(Arc<Es256SigningKey>),
    /// EdDSA (Ed25519).
    EdDsa(Arc<Ed25519SigningKey>),
}

impl core::fmt::Debug for SoftKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SoftKey")
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
}

/// The RSA keys of one run: generated on first use, once.
#[derive(Debug, Default)]
pub struct RsaKeys {
    keys: std::sync::Mutex<Vec<SharedRsaKey>>,
}

impl RsaKeys {
    /// The `i`-th RSA-2048 key of this run (generated when first asked for).
    pub fn get(&self, i: usize) -> Result<SharedRsaKey, Error> {
        let mut keys = self.keys.lock().map_err(|_| Error::StoreFailed)?;
        while keys.len() <= i {
            keys.push(Arc::new(Ps256SigningKey::generate(2048, OsRandom)?));
        }
        keys.get(i).cloned().ok_or(Error::KeyNotFound)
    }
}

impl SoftKey {
    /// A fresh key for `alg`; PS256 keys come from `rsa` (slot `slot`).
    pub fn generate(alg: Alg, rsa: &RsaKeys, slot: usize) -> Result<Self, Error> {
        Ok(match alg {
            Alg::Ps256 => Self::Ps256(rsa.get(slot)?),
            Alg::Es256 => Self::Es256(Arc::new(Es256SigningKey::generate(&OsRandom)?)),
            Alg::EdDsa => Self::EdDsa(Arc::new(Ed25519SigningKey::generate(&OsRandom)?)),
        })
    }

    fn signer(&self) -> &dyn Signer {
        match self {
            Self::Ps256(k) => k.as_ref(),
            Self::Es256(k) => k.as_ref(),
            Self::EdDsa(k) => k.as_ref(),
        }
    }

    /// The public key as a JWK Set of one key (with its `kid`), as a
    /// client registers it.
    pub fn jwks_json(&self) -> Result<String, Error> {
        let key = self.public_key()?;
        let jwk = PublicJwk::new(key, Some(self.key_id()));
        let mut out = vec![0u8; 4096];
        let n = write_jwks(&[jwk], &mut out)?;
        out.truncate(n);
        String::from_utf8(out).map_err(|_| Error::Json)
    }
}

impl Signer for SoftKey {
    fn alg(&self) -> Alg {
        self.signer().alg()
    }
    fn key_id(&self) -> &str {
        self.signer().key_id()
    }
    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        self.signer().sign(message, signature)
    }
    fn public_key(&self) -> Result<PublicKey, Error> {
        self.signer().public_key()
    }
}
