//! JWE key management with software RSA keys: `RSA-OAEP` (SHA-1) and
//! `RSA-OAEP-256` (SHA-256), RFC 7518 §4.3, on the `rsa` crate.

use rsa::Oaep;
use rsa::traits::PublicKeyParts as _;
use sha1::Sha1;
use sha2::Sha256;

use fapi_core::jwe::{KeyAlg, KeyEncrypter};
use fapi_core::jwk::{MAX_RSA_BITS, MIN_RSA_BITS, RsaPublicKey};
use fapi_core::{Error, Random};
#[cfg(feature = "rsa-signing")]
use zeroize::Zeroizing;

use crate::key_id::KeyId;
use crate::rng::RngAdapter;

/// A recipient's RSA public key: encrypts JWE content encryption keys under
/// `RSA-OAEP` and `RSA-OAEP-256`.
///
/// ```
/// use fapi_core::{Error, jwk::RsaPublicKey, jwe::KeyEncrypter};
/// use fapi_rustcrypto::RsaOaepEncryptionKey;
/// // F2-ALG: an RSA key under 2048 bits is refused.
/// assert_eq!(RsaPublicKey::new(&[0xc3; 128], &[1, 0, 1]).err(), Some(Error::WeakKey));
/// let key = RsaOaepEncryptionKey::new(&RsaPublicKey::new(&[0xc3; 256], &[1, 0, 1])?, Some("enc-1"))?;
/// assert_eq!(key.modulus_len(), 256);
/// # Ok::<(), Error>(())
/// ```
pub struct RsaOaepEncryptionKey {
    key: rsa::PublicKey,
    kid: Option<KeyId>,
    modulus_len: usize,
}

impl RsaOaepEncryptionKey {
    /// The key `public`, published under `kid`: [`Error::InvalidKey`] when
    /// the `rsa` crate refuses it, [`Error::TooLarge`] for a `kid` over
    /// [`MAX_KEY_ID_LEN`](crate::MAX_KEY_ID_LEN) bytes.
    pub fn new(public: &RsaPublicKey, kid: Option<&str>) -> Result<Self, Error> {
        let n = rsa::BoxedUint::from_be_slice_vartime(public.n());
        let e = rsa::BoxedUint::from_be_slice_vartime(public.e());
        let key = rsa::PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=MAX_RSA_BITS)
            .map_err(|_| Error::InvalidKey)?;
        let kid = kid.map(KeyId::new).transpose().map_err(|e| e.error())?;
        Ok(Self {
            modulus_len: public.modulus_len(),
            key,
            kid,
        })
    }
}

impl core::fmt::Debug for RsaOaepEncryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaOaepEncryptionKey")
            .field("kid", &self.kid.as_ref().map(KeyId::as_str))
            .field("bits", &self.key.n().bit_width())
            .finish()
    }
}

impl KeyEncrypter for RsaOaepEncryptionKey {
    fn algs(&self) -> &[KeyAlg] {
        &KeyAlg::ALL
    }
    fn key_id(&self) -> Option<&str> {
        self.kid.as_ref().map(KeyId::as_str)
    }
    fn modulus_len(&self) -> usize {
        self.modulus_len
    }
    fn wrap_key(
        &self,
        alg: KeyAlg,
        cek: &[u8],
        random: &dyn Random,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let mut rng = RngAdapter(random);
        let ek = match alg {
            KeyAlg::RsaOaep => self.key.encrypt(&mut rng, Oaep::<Sha1>::new(), cek),
            KeyAlg::RsaOaep256 => self.key.encrypt(&mut rng, Oaep::<Sha256>::new(), cek),
        }
        .map_err(|_| Error::RandomFailed)?;
        let dst = out.get_mut(..ek.len()).ok_or(Error::BufferTooSmall)?;
        dst.copy_from_slice(&ek);
        Ok(ek.len())
    }
}

#[cfg(feature = "rsa-signing")]
pub use decryption::RsaOaepDecryptionKey;

#[cfg(feature = "rsa-signing")]
mod decryption {
    use super::*;
    use alloc::boxed::Box;
    use fapi_core::jwe::KeyDecrypter;
    use fapi_core::{KeyError, PublicKey};

    /// A recipient's software RSA private key: unwraps JWE content
    /// encryption keys under `RSA-OAEP` and `RSA-OAEP-256` (with RSA
    /// blinding, from `rng`). RSA private keys belong in an HSM; this is for
    /// tests, tools and small deployments. `Debug` shows the key id only.
    ///
    /// ```
    /// use fapi_core::{Error, Random, jwe::KeyDecrypter};
    /// use fapi_rustcrypto::RsaOaepDecryptionKey;
    /// # struct Os;
    /// # impl Random for Os {
    /// #     fn fill(&self, _: &mut [u8]) -> Result<(), Error> { Err(Error::RandomFailed) }
    /// # }
    /// assert_eq!(RsaOaepDecryptionKey::generate(1024, Os).unwrap_err().error(), Error::WeakKey);
    /// let err = RsaOaepDecryptionKey::from_pkcs8_der(b"junk", Os).unwrap_err();
    /// assert_eq!(err.error(), Error::InvalidKey);
    /// ```
    pub struct RsaOaepDecryptionKey<R: Random> {
        key: Box<rsa::PrivateKey>,
        public: RsaPublicKey,
        kid: KeyId,
        rng: R,
    }

    impl<R: Random> RsaOaepDecryptionKey<R> {
        /// A fresh key of `bits` bits: under 2048 is [`Error::WeakKey`].
        pub fn generate(bits: usize, rng: R) -> Result<Self, KeyError> {
            let key = crate::ps256::generate_private_key(bits, &rng)?;
            Self::from_key(key, rng)
        }

        /// A key from a PKCS#8 `PrivateKeyInfo` DER document:
        /// [`Error::InvalidKey`], with the reason, when it is not an RSA
        /// key; [`Error::WeakKey`] under 2048 bits.
        pub fn from_pkcs8_der(der: &[u8], rng: R) -> Result<Self, KeyError> {
            Self::from_key(crate::ps256::private_key_from_pkcs8_der(der)?, rng)
        }

        /// A key from its components (big-endian `n`, `e`, `d`, `p`, `q`),
        /// as a private JWK carries them (RFC 7518 §6.3.2).
        pub fn from_components(
            n: &[u8],
            e: &[u8],
            d: &[u8],
            p: &[u8],
            q: &[u8],
            rng: R,
        ) -> Result<Self, KeyError> {
            let u = rsa::BoxedUint::from_be_slice_vartime;
            let key = rsa::PrivateKey::from_components(u(n), u(e), u(d), alloc::vec![u(p), u(q)])
                .map_err(|_| {
                KeyError::new(Error::InvalidKey, "inconsistent RSA key components")
            })?;
            Self::from_key(key, rng)
        }

        fn from_key(key: rsa::PrivateKey, rng: R) -> Result<Self, KeyError> {
            let n = key.n().to_be_bytes();
            let e = key.e().to_be_bytes();
            let public = RsaPublicKey::new(strip(&n), strip(&e)).map_err(|e| {
                let reason = match e {
                    Error::WeakKey => "an RSA key has at least 2048 bits",
                    _ => "the RSA public key is out of range",
                };
                KeyError::new(e, reason)
            })?;
            let kid = KeyId::thumbprint(&PublicKey::Rsa(public.clone()));
            Ok(Self {
                key: Box::new(key),
                public,
                kid,
                rng,
            })
        }

        /// The same key with `kid` as its key id instead of its RFC 7638
        /// thumbprint.
        pub fn with_key_id(mut self, kid: &str) -> Result<Self, KeyError> {
            self.kid = KeyId::new(kid)?;
            Ok(self)
        }

        /// The public half (for the recipient's JWKS, with `"use":"enc"`).
        #[must_use]
        pub fn public_key(&self) -> &RsaPublicKey {
            &self.public
        }

        /// The public half as a [`RsaOaepEncryptionKey`] under the same key
        /// id.
        pub fn encryption_key(&self) -> Result<RsaOaepEncryptionKey, Error> {
            RsaOaepEncryptionKey::new(&self.public, Some(self.kid.as_str()))
        }
    }

    /// Big-endian bytes without leading zeros.
    fn strip(bytes: &[u8]) -> &[u8] {
        let zeros = bytes.iter().take_while(|b| **b == 0).count();
        bytes.get(zeros..).unwrap_or(&[])
    }

    impl<R: Random> RsaOaepDecryptionKey<R> {
        /// RFC 8017 §7.1.2 step 3.g: Y, the first octet of the encoded
        /// message, must be zero. The `rsa` crate's OAEP decoding (0.10.0)
        /// does not look at it (Wycheproof "First byte is 1"), so the RSA
        /// decryption is done once more here to read it, in constant time.
        fn leading_octet_is_zero(
            &self,
            encrypted_key: &[u8],
            rng: &mut RngAdapter<'_, R>,
        ) -> subtle::Choice {
            use rsa::traits::PublicKeyParts as _;
            use subtle::ConstantTimeEq as _;
            use zeroize::Zeroize as _;
            let Ok(c) = rsa::BoxedUint::from_be_slice(encrypted_key, self.key.n_bits_precision())
            else {
                return subtle::Choice::from(0);
            };
            let Ok(m) = rsa::hazmat::rsa_decrypt_and_check(&*self.key, Some(rng), &c) else {
                return subtle::Choice::from(0);
            };
            let mut em = m.to_be_bytes();
            // `em` is as long as the modulus' precision: every octet up to
            // and including Y is zero.
            let upto = em
                .len()
                .saturating_sub(self.public.modulus_len())
                .saturating_add(1);
            let y = em.iter().take(upto).fold(0u8, |acc, b| acc | b);
            em.as_mut().zeroize();
            y.ct_eq(&0)
        }
    }

    impl<R: Random> KeyDecrypter for RsaOaepDecryptionKey<R> {
        fn algs(&self) -> &[KeyAlg] {
            &KeyAlg::ALL
        }
        fn key_id(&self) -> Option<&str> {
            Some(self.kid.as_str())
        }
        fn modulus_len(&self) -> usize {
            self.public.modulus_len()
        }
        fn unwrap_key(
            &self,
            alg: KeyAlg,
            encrypted_key: &[u8],
            out: &mut [u8],
        ) -> Result<usize, Error> {
            let mut rng = RngAdapter(&self.rng);
            let y_is_zero = self.leading_octet_is_zero(encrypted_key, &mut rng);
            // RFC 7516 §11.5: every OAEP failure is the one error.
            let cek = Zeroizing::new(
                match alg {
                    KeyAlg::RsaOaep => {
                        self.key
                            .decrypt_blinded(&mut rng, Oaep::<Sha1>::new(), encrypted_key)
                    }
                    KeyAlg::RsaOaep256 => {
                        self.key
                            .decrypt_blinded(&mut rng, Oaep::<Sha256>::new(), encrypted_key)
                    }
                }
                .map_err(|_| Error::DecryptionFailed)?,
            );
            if !bool::from(y_is_zero) {
                return Err(Error::DecryptionFailed);
            }
            let dst = out.get_mut(..cek.len()).ok_or(Error::DecryptionFailed)?;
            dst.copy_from_slice(&cek);
            Ok(cek.len())
        }
    }

    impl<R: Random> zeroize::ZeroizeOnDrop for RsaOaepDecryptionKey<R> {}

    impl<R: Random> core::fmt::Debug for RsaOaepDecryptionKey<R> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("RsaOaepDecryptionKey")
                .field("kid", &self.kid.as_str())
                .finish_non_exhaustive()
        }
    }
}
