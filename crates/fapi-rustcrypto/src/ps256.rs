//! PS256: RSASSA-PSS with SHA-256, MGF1-SHA-256 and a salt of exactly 32
//! bytes. Needs the `alloc` feature (the `rsa` crate allocates); signing
//! needs `rsa-signing`.

use rsa::BoxedUint;
use rsa::pss::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use sha2::Sha256;

use fapi_core::jwk::{MAX_RSA_BITS, MIN_RSA_BITS};
use fapi_core::{Alg, Error, PublicKey, Verifier};

/// The PSS salt length of PS256 (RFC 7518 §3.5: the hash length).
const SALT_LEN: usize = 32;

/// An RSA public key, parsed once, that verifies PS256 with a salt of
/// exactly 32 bytes (a salt of any other length, 0 included, is refused).
#[derive(Debug)]
pub struct Ps256VerifyingKey {
    key: VerifyingKey<Sha256>,
}

impl Ps256VerifyingKey {
    /// Parses an RSA [`PublicKey`] (at least 2048 bits, checked by the core
    /// type): [`Error::KeyAlgMismatch`] for another key type,
    /// [`Error::InvalidKey`] for an even modulus or a bad exponent.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let PublicKey::Rsa(k) = key else {
            return Err(Error::KeyAlgMismatch);
        };
        let n = BoxedUint::from_be_slice_vartime(k.n());
        let e = BoxedUint::from_be_slice_vartime(k.e());
        let key = rsa::PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=MAX_RSA_BITS)
            .map_err(|_| Error::InvalidKey)?;
        Ok(Self {
            key: VerifyingKey::new_with_salt_len(key, SALT_LEN),
        })
    }
}

impl Verifier for Ps256VerifyingKey {
    fn alg(&self) -> Alg {
        Alg::Ps256
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let max = MAX_RSA_BITS.div_ceil(8);
        let sig =
            Signature::from_bytes_with_max_len(signature, max).map_err(|_| Error::BadSignature)?;
        self.key
            .verify(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}

#[cfg(feature = "rsa-signing")]
pub use signing::Ps256SigningKey;

#[cfg(feature = "rsa-signing")]
mod signing {
    use alloc::boxed::Box;

    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::pss::SigningKey;
    use rsa::signature::RandomizedSigner as _;
    use rsa::traits::PublicKeyParts as _;
    use sha2::Sha256;

    use fapi_core::jwk::{MIN_RSA_BITS, RsaPublicKey};
    use fapi_core::{Alg, Error, PublicKey, Random, Signer};

    use crate::key_id::KeyId;
    use crate::rng::RngAdapter;

    /// An RSA private key that signs PS256 (salt of 32 bytes), drawing each
    /// salt from its random source `R`.
    ///
    /// RSA private keys belong in an HSM: this type exists for tests and
    /// tools. The key's integers zeroize on drop.
    pub struct Ps256SigningKey<R: Random> {
        key: SigningKey<Sha256>,
        public: Box<PublicKey>,
        kid: KeyId,
        rng: R,
    }

    impl<R: Random> Ps256SigningKey<R> {
        /// A key from a PKCS#8 `PrivateKeyInfo` DER document.
        pub fn from_pkcs8_der(der: &[u8], rng: R) -> Result<Self, Error> {
            let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(|_| Error::InvalidKey)?;
            Self::from_key(key, rng)
        }

        /// A key from a PKCS#1 `RSAPrivateKey` DER document.
        pub fn from_pkcs1_der(der: &[u8], rng: R) -> Result<Self, Error> {
            let key = rsa::PrivateKey::from_pkcs1_der(der).map_err(|_| Error::InvalidKey)?;
            Self::from_key(key, rng)
        }

        /// A fresh key of `bits` bits (at least 2048) from `rng`, which then
        /// also draws its salts.
        pub fn generate(bits: usize, rng: R) -> Result<Self, Error> {
            if bits < MIN_RSA_BITS {
                return Err(Error::WeakKey);
            }
            let key = rsa::PrivateKey::new(&mut RngAdapter(&rng), bits)
                .map_err(|_| Error::RandomFailed)?;
            Self::from_key(key, rng)
        }

        fn from_key(key: rsa::PrivateKey, rng: R) -> Result<Self, Error> {
            let n = key.n().to_be_bytes();
            let e = key.e().to_be_bytes();
            let public = Box::new(PublicKey::Rsa(RsaPublicKey::new(strip(&n), strip(&e))?));
            let kid = KeyId::thumbprint(&public);
            Ok(Self {
                key: SigningKey::new(key),
                public,
                kid,
                rng,
            })
        }

        /// The same key with `kid` as its key id instead of its thumbprint.
        pub fn with_key_id(mut self, kid: &str) -> Result<Self, Error> {
            self.kid = KeyId::new(kid)?;
            Ok(self)
        }
    }

    /// Big-endian bytes without leading zeros.
    fn strip(bytes: &[u8]) -> &[u8] {
        let zeros = bytes.iter().take_while(|b| **b == 0).count();
        bytes.get(zeros..).unwrap_or(&[])
    }

    impl<R: Random> Signer for Ps256SigningKey<R> {
        fn alg(&self) -> Alg {
            Alg::Ps256
        }

        fn key_id(&self) -> &str {
            self.kid.as_str()
        }

        fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
            let sig = self
                .key
                .try_sign_with_rng(&mut RngAdapter(&self.rng), message)
                .map_err(|_| Error::SigningFailed)?;
            let bytes: Box<[u8]> = sig.into();
            crate::put_signature(&bytes, signature)
        }

        fn public_key(&self) -> Result<PublicKey, Error> {
            Ok((*self.public).clone())
        }
    }

    // The inner `RsaPrivateKey` zeroizes its integers when dropped.
    impl<R: Random> zeroize::ZeroizeOnDrop for Ps256SigningKey<R> {}

    impl<R: Random> core::fmt::Debug for Ps256SigningKey<R> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("Ps256SigningKey")
                .field("kid", &self.kid)
                .finish_non_exhaustive()
        }
    }
}
