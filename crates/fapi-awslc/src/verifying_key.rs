//! A verification key of any of the three algorithms, parsed once.

use fapi_core::{Alg, Error, PublicKey, Verifier};

use crate::{Ed25519VerifyingKey, Es256VerifyingKey, Ps256VerifyingKey};

/// A [`PublicKey`] parsed once by aws-lc, whichever its type: what a
/// resource server holds for its authorization server's key.
///
/// Everything a key must pass happens here, at load: the point is on its
/// curve (ES256), the Ed25519 key is not of small order, the RSA modulus
/// is 2048 to 8192 bits. [`Verifier::verify`] then does nothing but the
/// signature check. `fapi_core::crypto::KeyVerifier` over [`AWSLC`](crate::AWSLC)
/// looks the key up, on every call, in a bounded cache that every run-time
/// key shares (and re-checks Ed25519 keys): it is for keys that arrive
/// with requests, this type for the keys a server holds for good.
///
/// ```
/// use fapi_awslc::{Ed25519SigningKey, VerifyingKey};
/// use fapi_core::{Alg, Signer, Verifier};
///
/// let key = Ed25519SigningKey::from_bytes(&[7; 32])?;
/// let as_key = VerifyingKey::from_public_key(&key.public_key()?)?;
/// assert_eq!(as_key.alg(), Alg::EdDsa);
/// let mut sig = [0u8; 64];
/// let n = key.sign(b"message", &mut sig)?;
/// as_key.verify(b"message", &sig[..n])?;
/// # Ok::<(), fapi_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum VerifyingKey {
    /// A P-256 key (ES256).
    Es256(Es256VerifyingKey),
    /// An Ed25519 key (EdDSA).
    Ed25519(Ed25519VerifyingKey),
    /// An RSA key (PS256).
    Ps256(Ps256VerifyingKey),
}

impl VerifyingKey {
    /// Parses `key`: [`Error::InvalidKey`] for a point off its curve, an
    /// Ed25519 key of small order, or an RSA key aws-lc refuses.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        match key {
            PublicKey::P256 { .. } => Es256VerifyingKey::from_public_key(key).map(Self::Es256),
            PublicKey::Ed25519 { .. } => {
                Ed25519VerifyingKey::from_public_key(key).map(Self::Ed25519)
            }
            PublicKey::Rsa(_) => Ps256VerifyingKey::from_public_key(key).map(Self::Ps256),
        }
    }
}

impl Verifier for VerifyingKey {
    fn alg(&self) -> Alg {
        match self {
            Self::Es256(_) => Alg::Es256,
            Self::Ed25519(_) => Alg::EdDsa,
            Self::Ps256(_) => Alg::Ps256,
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        match self {
            Self::Es256(k) => k.verify(message, signature),
            Self::Ed25519(k) => k.verify(message, signature),
            Self::Ps256(k) => k.verify(message, signature),
        }
    }
}

impl From<Es256VerifyingKey> for VerifyingKey {
    fn from(k: Es256VerifyingKey) -> Self {
        Self::Es256(k)
    }
}

impl From<Ed25519VerifyingKey> for VerifyingKey {
    fn from(k: Ed25519VerifyingKey) -> Self {
        Self::Ed25519(k)
    }
}

impl From<Ps256VerifyingKey> for VerifyingKey {
    fn from(k: Ps256VerifyingKey) -> Self {
        Self::Ps256(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key parsed once verifies what its signing key signs, and
    /// nothing else: a flipped bit is `BadSignature`.
    #[test]
    fn parsed_once_verifies_es256_and_eddsa() {
        let es = crate::Es256SigningKey::from_bytes(&[3; 32]).unwrap();
        let ed = crate::Ed25519SigningKey::from_bytes(&[4; 32]).unwrap();
        let signers: [&dyn fapi_core::Signer; 2] = [&es, &ed];
        for s in signers {
            let v = VerifyingKey::from_public_key(&s.public_key().unwrap()).unwrap();
            assert_eq!(v.alg(), s.alg());
            let mut sig = [0u8; 64];
            let n = s.sign(b"msg", &mut sig).unwrap();
            assert_eq!(v.verify(b"msg", &sig[..n]), Ok(()));
            sig[0] ^= 1;
            assert_eq!(v.verify(b"msg", &sig[..n]), Err(Error::BadSignature));
            assert_eq!(v.verify(b"msg", &[]), Err(Error::BadSignature));
        }
    }

    /// F2-ALG: an Ed25519 key of small order (the identity, `01 00..00`)
    /// is refused when it is loaded, so that no verify has to check it.
    #[test]
    fn f2_alg_small_order_ed25519_refused_at_load() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let key = PublicKey::Ed25519 { x: identity };
        assert_eq!(
            VerifyingKey::from_public_key(&key).err(),
            Some(Error::InvalidKey)
        );
    }

    /// A P-256 point off the curve is refused at load.
    #[test]
    fn off_curve_p256_refused_at_load() {
        let key = PublicKey::P256 {
            x: [1; 32],
            y: [2; 32],
        };
        assert_eq!(
            VerifyingKey::from_public_key(&key).err(),
            Some(Error::InvalidKey)
        );
    }
}
