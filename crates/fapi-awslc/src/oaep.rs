//! JWE key management on aws-lc: `RSA-OAEP` (`OAEP_SHA1_MGF1SHA1`) and
//! `RSA-OAEP-256` (`OAEP_SHA256_MGF1SHA256`), RFC 7518 §4.3.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use der::Encode as _;
use zeroize::Zeroizing;

use fapi_core::jwe::{KeyAlg, KeyDecrypter, KeyEncrypter, MAX_ENCRYPTED_KEY};
use fapi_core::jwk::{MIN_RSA_BITS, RsaPublicKey};
use fapi_core::{Error, KeyError, PublicKey, Random};

fn oaep(alg: KeyAlg) -> &'static OaepAlgorithm {
    match alg {
        KeyAlg::RsaOaep => &OAEP_SHA1_MGF1SHA1,
        KeyAlg::RsaOaep256 => &OAEP_SHA256_MGF1SHA256,
    }
}

/// The X.509 `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7, RFC 8017 A.1.1) of
/// an RSA public key: what aws-lc reads a public key from.
fn spki_der(key: &RsaPublicKey) -> Result<Vec<u8>, Error> {
    let uint = |b| der::asn1::UintRef::new(b).map_err(|_| Error::InvalidKey);
    let pkcs1 = pkcs1::RsaPublicKey {
        modulus: uint(key.n())?,
        public_exponent: uint(key.e())?,
    }
    .to_der()
    .map_err(|_| Error::InvalidKey)?;
    spki::SubjectPublicKeyInfoRef {
        algorithm: pkcs1::ALGORITHM_ID,
        subject_public_key: der::asn1::BitStringRef::from_bytes(&pkcs1)
            .map_err(|_| Error::InvalidKey)?,
    }
    .to_der()
    .map_err(|_| Error::InvalidKey)
}

/// A recipient's RSA public key on aws-lc: encrypts JWE content encryption
/// keys under `RSA-OAEP` and `RSA-OAEP-256`. The OAEP seed comes from
/// aws-lc's own generator (its `SecureRandom` is sealed).
///
/// ```
/// use fapi_awslc::RsaOaepEncryptionKey;
/// use fapi_core::{Error, jwk::RsaPublicKey, jwe::KeyEncrypter};
/// let key = RsaOaepEncryptionKey::new(&RsaPublicKey::new(&[0xc3; 256], &[1, 0, 1])?, Some("enc-1"))?;
/// assert_eq!((key.modulus_len(), key.key_id()), (256, Some("enc-1")));
/// # Ok::<(), Error>(())
/// ```
pub struct RsaOaepEncryptionKey {
    key: OaepPublicEncryptingKey,
    kid: Option<String>,
    modulus_len: usize,
}

impl RsaOaepEncryptionKey {
    /// The key `public` (at least 2048 bits, checked by the core type),
    /// published under `kid`: [`Error::InvalidKey`] when aws-lc refuses it.
    pub fn new(public: &RsaPublicKey, kid: Option<&str>) -> Result<Self, Error> {
        let key =
            PublicEncryptingKey::from_der(&spki_der(public)?).map_err(|_| Error::InvalidKey)?;
        Ok(Self {
            key: OaepPublicEncryptingKey::new(key).map_err(|_| Error::InvalidKey)?,
            kid: kid.map(str::to_owned),
            modulus_len: public.modulus_len(),
        })
    }
}

impl core::fmt::Debug for RsaOaepEncryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaOaepEncryptionKey")
            .field("kid", &self.kid)
            .field("bits", &self.key.key_size_bits())
            .finish()
    }
}

impl KeyEncrypter for RsaOaepEncryptionKey {
    fn algs(&self) -> &[KeyAlg] {
        &KeyAlg::ALL
    }
    fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    fn modulus_len(&self) -> usize {
        self.modulus_len
    }
    fn wrap_key(
        &self,
        alg: KeyAlg,
        cek: &[u8],
        _random: &dyn Random,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let out = out
            .get_mut(..self.key.ciphertext_size())
            .ok_or(Error::BufferTooSmall)?;
        let ek = self
            .key
            .encrypt(oaep(alg), cek, out, None)
            .map_err(|_| Error::RandomFailed)?;
        Ok(ek.len())
    }
}

/// A recipient's RSA private key on aws-lc: unwraps JWE content encryption
/// keys under `RSA-OAEP` and `RSA-OAEP-256`. aws-lc cleanses the key when
/// it frees it; `Debug` prints only the key id.
///
/// ```
/// use fapi_awslc::RsaOaepDecryptionKey;
/// use fapi_core::Error;
/// assert_eq!(RsaOaepDecryptionKey::generate(1024).unwrap_err().error(), Error::WeakKey);
/// let err = RsaOaepDecryptionKey::from_pkcs8_der(b"junk").unwrap_err();
/// assert_eq!(err.error(), Error::InvalidKey);
/// ```
pub struct RsaOaepDecryptionKey {
    key: OaepPrivateDecryptingKey,
    public: RsaPublicKey,
    kid: String,
}

impl RsaOaepDecryptionKey {
    /// A fresh key of `bits` bits (2048, 3072, 4096 or 8192) from aws-lc's
    /// generator: under 2048 is [`Error::WeakKey`].
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
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
        let key = PrivateDecryptingKey::generate(size)
            .map_err(|_| KeyError::new(Error::RandomFailed, "RSA key generation failed"))?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 `PrivateKeyInfo` DER document:
    /// [`Error::InvalidKey`], with aws-lc's reason, when it is not an RSA
    /// key; [`Error::WeakKey`] under 2048 bits.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_key(
            PrivateDecryptingKey::from_pkcs8(der).map_err(|e| crate::rejection::rejected(&e))?,
        )
    }

    fn from_key(key: PrivateDecryptingKey) -> Result<Self, KeyError> {
        if key.key_size_bits() < MIN_RSA_BITS {
            return Err(KeyError::new(
                Error::WeakKey,
                "an RSA key has at least 2048 bits",
            ));
        }
        let public = public_of(&key.public_key())?;
        let kid = PublicKey::Rsa(public.clone())
            .thumbprint()
            .to_b64()
            .as_str()
            .to_owned();
        let key = OaepPrivateDecryptingKey::new(key)
            .map_err(|_| KeyError::new(Error::InvalidKey, "aws-lc refused the key for OAEP"))?;
        Ok(Self { key, public, kid })
    }

    /// The same key with `kid` as its key id instead of its RFC 7638
    /// thumbprint: [`Error::InvalidParameter`] when empty.
    pub fn with_key_id(mut self, kid: &str) -> Result<Self, KeyError> {
        if kid.is_empty() {
            return Err(KeyError::new(Error::InvalidParameter, "an empty key id"));
        }
        kid.clone_into(&mut self.kid);
        Ok(self)
    }

    /// The public half (for the recipient's JWKS, with `"use":"enc"`).
    #[must_use]
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// The public half as an [`RsaOaepEncryptionKey`] under the same key id.
    pub fn encryption_key(&self) -> Result<RsaOaepEncryptionKey, Error> {
        RsaOaepEncryptionKey::new(&self.public, Some(&self.kid))
    }
}

/// The modulus and exponent of an aws-lc public key, read back from its
/// `SubjectPublicKeyInfo`.
fn public_of(key: &PublicEncryptingKey) -> Result<RsaPublicKey, KeyError> {
    let bad = || KeyError::new(Error::InvalidKey, "aws-lc's public key does not parse");
    let der = key
        .as_der()
        .map_err(|_| KeyError::new(Error::InvalidKey, "aws-lc cannot encode the public key"))?;
    let info = spki::SubjectPublicKeyInfoRef::try_from(der.as_ref()).map_err(|_| bad())?;
    let bits = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| KeyError::new(Error::InvalidKey, "the public key is not whole bytes"))?;
    let pk: pkcs1::RsaPublicKey<der::asn1::UintRef<'_>> =
        der::Decode::from_der(bits).map_err(|_| bad())?;
    RsaPublicKey::new(pk.modulus.as_bytes(), pk.public_exponent.as_bytes())
        .map_err(|e| KeyError::new(e, "the RSA public key is out of range"))
}

impl KeyDecrypter for RsaOaepDecryptionKey {
    fn algs(&self) -> &[KeyAlg] {
        &KeyAlg::ALL
    }
    fn key_id(&self) -> Option<&str> {
        Some(&self.kid)
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
        let mut buf = Zeroizing::new([0u8; MAX_ENCRYPTED_KEY]);
        let room = buf
            .get_mut(..self.key.min_output_size())
            .ok_or(Error::DecryptionFailed)?;
        // RFC 7516 §11.5: every OAEP failure is the one error.
        let cek = self
            .key
            .decrypt(oaep(alg), encrypted_key, room, None)
            .map_err(|_| Error::DecryptionFailed)?;
        let dst = out.get_mut(..cek.len()).ok_or(Error::DecryptionFailed)?;
        dst.copy_from_slice(cek);
        Ok(cek.len())
    }
}

impl core::fmt::Debug for RsaOaepDecryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaOaepDecryptionKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
