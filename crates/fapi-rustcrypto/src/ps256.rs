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

/// The PSS salt length of `rsa-pss-sha512` (RFC 9421 §3.3.1: 64 bytes).
const SALT_LEN_SHA512: usize = 64;

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
        // F2-ALG: 2048 bits at least, and the salt is exactly 32 bytes.
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

/// RSASSA-PSS with SHA-512, MGF1-SHA-512 and a salt of exactly 64 bytes:
/// `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1).
/// [`Error::InvalidKey`] for a key the `rsa` crate refuses,
/// [`Error::BadSignature`] when it does not verify.
pub(crate) fn verify_rsa_pss_sha512(
    key: &fapi_core::jwk::RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let n = BoxedUint::from_be_slice_vartime(key.n());
    let e = BoxedUint::from_be_slice_vartime(key.e());
    let key = rsa::PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=MAX_RSA_BITS)
        .map_err(|_| Error::InvalidKey)?;
    let key = VerifyingKey::<sha2::Sha512>::new_with_salt_len(key, SALT_LEN_SHA512);
    let sig = Signature::from_bytes_with_max_len(signature, MAX_RSA_BITS.div_ceil(8))
        .map_err(|_| Error::BadSignature)?;
    key.verify(message, &sig).map_err(|_| Error::BadSignature)
}

#[cfg(feature = "rsa-signing")]
pub use signing::Ps256SigningKey;
#[cfg(feature = "rsa-signing")]
pub(crate) use signing::{generate_private_key, private_key_from_pkcs8_der};

#[cfg(feature = "rsa-signing")]
mod signing {
    use alloc::boxed::Box;

    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::pss::{Pss, SigningKey};
    use rsa::signature::Keypair as _;
    use rsa::signature::RandomizedSigner as _;
    use rsa::traits::PublicKeyParts as _;
    use sha2::{Digest as _, Sha256, Sha512};

    use fapi_core::jwk::{MIN_RSA_BITS, RsaPublicKey};
    use fapi_core::{Alg, Error, PublicKey, Random, Signer};

    use crate::key_id::KeyId;
    use crate::rng::RngAdapter;
    use fapi_core::KeyError;

    /// A fresh RSA private key of `bits` bits from `rng`, for signing
    /// (PS256) or decryption (RSA-OAEP): F2-ALG, no RSA key under 2048 bits
    /// ([`Error::WeakKey`]).
    pub(crate) fn generate_private_key<R: Random>(
        bits: usize,
        rng: &R,
    ) -> Result<rsa::PrivateKey, KeyError> {
        if bits < MIN_RSA_BITS {
            return Err(KeyError::new(
                Error::WeakKey,
                "an RSA key has at least 2048 bits",
            ));
        }
        rsa::PrivateKey::new(&mut RngAdapter(rng), bits)
            .map_err(|_| KeyError::new(Error::RandomFailed, "RSA key generation failed"))
    }

    /// An RSA private key from a PKCS#8 `PrivateKeyInfo` DER document:
    /// [`Error::InvalidKey`], with the reason, when it is not one.
    pub(crate) fn private_key_from_pkcs8_der(der: &[u8]) -> Result<rsa::PrivateKey, KeyError> {
        rsa::PrivateKey::from_pkcs8_der(der).map_err(|e| crate::rejection::pkcs8(&e))
    }

    /// An RSA private key that signs PS256 (salt of 32 bytes), drawing each
    /// salt from its random source `R`.
    ///
    /// RSA private keys belong in an HSM: this type exists for tests and
    /// tools. The key's integers zeroize on drop; its `Debug` prints only
    /// the key id.
    ///
    /// The same constructors as `fapi_awslc::Ps256SigningKey`:
    /// [`generate`](Self::generate), [`from_pkcs8_der`](Self::from_pkcs8_der),
    /// [`from_pkcs1_der`](Self::from_pkcs1_der), then
    /// [`with_key_id`](Self::with_key_id). Each also takes the random source
    /// the key keeps for its salts (`no_std` has none of its own).
    ///
    /// ```
    /// use fapi_core::{Error, Random};
    /// use fapi_rustcrypto::Ps256SigningKey;
    ///
    /// # struct Os;
    /// # impl Random for Os {
    /// #     fn fill(&self, d: &mut [u8]) -> Result<(), Error> { d.fill(7); Ok(()) }
    /// # }
    /// // F2-ALG: no RSA key under 2048 bits.
    /// assert_eq!(Ps256SigningKey::generate(1024, Os).unwrap_err().error(), Error::WeakKey);
    /// let err = Ps256SigningKey::from_pkcs8_der(b"junk", Os).unwrap_err();
    /// assert_eq!(err.error(), Error::InvalidKey);
    /// ```
    pub struct Ps256SigningKey<R: Random> {
        key: SigningKey<Sha256>,
        public: Box<PublicKey>,
        kid: KeyId,
        rng: R,
    }

    impl<R: Random> Ps256SigningKey<R> {
        /// A fresh key of `bits` bits from `rng`, which then also draws its
        /// salts. F2-ALG: under 2048 bits is [`Error::WeakKey`].
        pub fn generate(bits: usize, rng: R) -> Result<Self, KeyError> {
            let key = generate_private_key(bits, &rng)?;
            Self::from_key(key, rng)
        }

        /// A key from a PKCS#8 `PrivateKeyInfo` DER document:
        /// [`Error::InvalidKey`], with the reason, when it is not an RSA
        /// key; [`Error::WeakKey`] under 2048 bits.
        pub fn from_pkcs8_der(der: &[u8], rng: R) -> Result<Self, KeyError> {
            Self::from_key(private_key_from_pkcs8_der(der)?, rng)
        }

        /// A key from a PKCS#1 `RSAPrivateKey` DER document (RFC 8017
        /// A.1.2): [`Error::InvalidKey`], with the reason, when malformed;
        /// [`Error::WeakKey`] under 2048 bits.
        pub fn from_pkcs1_der(der: &[u8], rng: R) -> Result<Self, KeyError> {
            let key = rsa::PrivateKey::from_pkcs1_der(der).map_err(|e| {
                let reason = match e {
                    rsa::pkcs1::Error::Asn1(_) => "PKCS#1: malformed DER",
                    rsa::pkcs1::Error::Crypto => "PKCS#1: inconsistent key components",
                    rsa::pkcs1::Error::Version => "PKCS#1: unsupported version",
                    _ => "PKCS#1: key malformed",
                };
                KeyError::new(Error::InvalidKey, reason)
            })?;
            Self::from_key(key, rng)
        }

        fn from_key(key: rsa::PrivateKey, rng: R) -> Result<Self, KeyError> {
            let n = key.n().to_be_bytes();
            let e = key.e().to_be_bytes();
            // F2-ALG: the core type refuses moduli under 2048 bits.
            let public = RsaPublicKey::new(strip(&n), strip(&e)).map_err(|e| {
                let reason = match e {
                    Error::WeakKey => "an RSA key has at least 2048 bits",
                    _ => "the RSA public key is out of range",
                };
                KeyError::new(e, reason)
            })?;
            let public = Box::new(PublicKey::Rsa(public));
            let kid = KeyId::thumbprint(&public);
            Ok(Self {
                key: SigningKey::new(key),
                public,
                kid,
                rng,
            })
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
        pub fn verifying_key(&self) -> super::Ps256VerifyingKey {
            // The signing key's salt length, 32 bytes.
            super::Ps256VerifyingKey {
                key: self.key.verifying_key(),
            }
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

        /// RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt drawn
        /// from the key's random source (RFC 9421 §3.3.1).
        fn sign_rsa_pss_sha512(
            &self,
            message: &[u8],
            signature: &mut [u8],
        ) -> Result<usize, Error> {
            let digest = Sha512::digest(message);
            let sig = AsRef::<rsa::PrivateKey>::as_ref(&self.key)
                .sign_with_rng(
                    &mut RngAdapter(&self.rng),
                    Pss::<Sha512>::new_with_salt(super::SALT_LEN_SHA512),
                    &digest,
                )
                .map_err(|_| Error::SigningFailed)?;
            crate::put_signature(&sig, signature)
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
