//! EdDSA on aws-lc (Ed25519).

use aws_lc_rs::signature::{ED25519, KeyPair as _, ParsedPublicKey};

use zeroize::Zeroizing;

use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier};

use fapi_core::KeyError;

/// An Ed25519 key pair on aws-lc that signs EdDSA. aws-lc cleanses the key
/// when it frees it; its `Debug` prints only the key id.
///
/// The same constructors as `fapi_rustcrypto::Ed25519SigningKey`:
/// [`generate`], [`from_bytes`], [`from_pkcs8_der`], then [`with_key_id`].
///
/// ```
/// use fapi_awslc::Ed25519SigningKey;
/// use fapi_core::{Alg, Signer, Verifier};
///
/// // RFC 8037 A.1's `d`.
/// let d = fapi_core::b64::decode_array::<32>(b"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")?;
/// let key = Ed25519SigningKey::from_bytes(&d)?;
/// // The default key id is the RFC 7638 thumbprint (RFC 8037 A.3).
/// assert_eq!(key.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
/// let mut sig = [0u8; 64];
/// let n = key.sign(b"message", &mut sig)?;
/// key.verifying_key().verify(b"message", &sig[..n])?;
/// assert_eq!(key.alg(), Alg::EdDsa);
/// # Ok::<(), fapi_core::Error>(())
/// ```
///
/// [`generate`]: Self::generate
/// [`from_bytes`]: Self::from_bytes
/// [`from_pkcs8_der`]: Self::from_pkcs8_der
/// [`with_key_id`]: Self::with_key_id
pub struct Ed25519SigningKey {
    key: aws_lc_rs::signature::Ed25519KeyPair,
    public: PublicKey,
    verifying: Ed25519VerifyingKey,
    kid: String,
}

impl Ed25519SigningKey {
    /// A fresh key: a 32-byte seed from `rng`, as the RustCrypto backend
    /// draws it (the same bytes make the same key on both).
    /// [`Error::RandomFailed`] when `rng` fails.
    pub fn generate(rng: &dyn Random) -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill(seed.as_mut())
            .map_err(|e| KeyError::new(e, "the random source failed"))?;
        Self::from_bytes(seed.as_ref())
    }

    /// A key from its 32-byte seed (RFC 8032 §5.1.5, the JWK's `d`):
    /// [`Error::InvalidKey`] for another length.
    pub fn from_bytes(seed: &[u8]) -> Result<Self, KeyError> {
        if seed.len() != 32 {
            return Err(KeyError::new(
                Error::InvalidKey,
                "an Ed25519 private key is 32 bytes",
            ));
        }
        // "Unchecked": there is no public key beside the seed to check.
        let key = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    /// A key from a PKCS#8 `OneAsymmetricKey` DER document (RFC 8410, v1
    /// or v2): [`Error::InvalidKey`], with aws-lc's reason, for malformed
    /// DER, another algorithm, or a v2 public key that is not the private
    /// key's.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(der)
            .map_err(|e| crate::rejection::rejected(&e))?;
        Self::from_key(key)
    }

    fn from_key(key: aws_lc_rs::signature::Ed25519KeyPair) -> Result<Self, KeyError> {
        let x: [u8; 32] =
            key.public_key().as_ref().try_into().map_err(|_| {
                KeyError::new(Error::InvalidKey, "aws-lc gave no 32-byte public key")
            })?;
        let public = PublicKey::Ed25519 { x };
        let verifying = Ed25519VerifyingKey::from_public_key(&public)
            .map_err(|e| KeyError::new(e, "the public key is of small order"))?;
        let kid = crate::thumbprint_kid(&public);
        Ok(Self {
            key,
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
    pub fn verifying_key(&self) -> Ed25519VerifyingKey {
        self.verifying.clone()
    }

    /// The aws-lc key pair.
    #[must_use]
    pub fn as_aws_lc(&self) -> &aws_lc_rs::signature::Ed25519KeyPair {
        &self.key
    }
}

impl Signer for Ed25519SigningKey {
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

impl core::fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ed25519SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key, parsed once by aws-lc, that verifies EdDSA.
#[derive(Clone, Debug)]
pub struct Ed25519VerifyingKey {
    key: ParsedPublicKey,
}

impl Ed25519VerifyingKey {
    /// Parses an Ed25519 [`PublicKey`]: [`Error::KeyAlgMismatch`] for another
    /// key type, [`Error::InvalidKey`] when it is not a point, is of small
    /// order, or aws-lc refuses it.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, Error> {
        let PublicKey::Ed25519 { x } = key else {
            return Err(Error::KeyAlgMismatch);
        };
        // A small-order key (the identity, say) lets `R = identity, S = 0`
        // verify for every message, and aws-lc's verification accepts it:
        // such keys are refused here, as `verify_strict` does in the
        // RustCrypto backend.
        let point = ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| Error::InvalidKey)?;
        if point.is_weak() {
            return Err(Error::InvalidKey);
        }
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

/// The encodings of the eight Ed25519 points of small order, with the sign
/// bit (bit 255) cleared: canonical `y` of the points of order 4 (`y = 0`),
/// 1 (`y = 1`), 8 (two values of `y`) and 2 (`y = p - 1`), and the two
/// non-canonical `y = p` and `y = p + 1` that decode to `y = 0` and `y = 1`
/// (no other small-order `y` is below 19, so none has another encoding).
/// The list libsodium checks (`ge25519_has_small_order`); the tests check
/// it against `ed25519-dalek`'s `is_weak` on every encoding of the eight
/// torsion points.
const SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether `x` encodes a point of small order, compared byte for byte
/// against [`SMALL_ORDER`] (the sign bit ignored): no point decompression.
fn is_small_order_encoding(x: &[u8; 32]) -> bool {
    let mut key = *x;
    key[31] &= 0x7f;
    SMALL_ORDER.contains(&key)
}

/// Verifies EdDSA with a key that arrived with the message (a DPoP
/// proof's `jwk`, a client's JWKS), under the same rules and with the same
/// errors as [`Ed25519VerifyingKey::from_public_key`] then
/// [`Verifier::verify`]: a key of small order or one that is not a point
/// is [`Error::InvalidKey`], a signature that does not verify
/// [`Error::BadSignature`].
///
/// One point decompression, aws-lc's inside its verify, instead of two:
/// F2-ALG's small-order check compares the encoding against the seven
/// small-order encodings, and only when aws-lc refuses the signature does
/// `ed25519-dalek` decode the key, to tell a key that is not a point
/// (which aws-lc's verify refuses too) from a bad signature. (`perf` on
/// the EdDSA DPoP verify: the decompression for the small-order check was
/// the largest cost after aws-lc's verify.)
pub(crate) fn verify_with_key(x: &[u8; 32], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    // F2-ALG: a small-order key (the identity, say) lets `R = identity,
    // S = 0` verify for every message, and aws-lc's verification accepts
    // it: refused before any verify.
    if is_small_order_encoding(x) {
        return Err(Error::InvalidKey);
    }
    let verified =
        aws_lc_rs::signature::UnparsedPublicKey::new(&ED25519, x).verify(message, signature);
    match verified {
        Ok(()) => Ok(()),
        // aws-lc refuses keys that are not points inside its verify; at
        // load they are `InvalidKey`, and so they are here.
        Err(_) if ed25519_dalek::VerifyingKey::from_bytes(x).is_err() => Err(Error::InvalidKey),
        Err(_) => Err(Error::BadSignature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encodings of a point: both sign bits, and `y + p` when that is
    /// still below 2^255 (a non-canonical `y`).
    fn encodings(canonical: [u8; 32]) -> Vec<[u8; 32]> {
        let mut out = vec![canonical];
        let mut neg = canonical;
        neg[31] ^= 0x80;
        out.push(neg);
        // y + p, p = 2^255 - 19: only for y < 19.
        let mut y = canonical;
        y[31] &= 0x7f;
        if y[1..].iter().all(|b| *b == 0) && y[0] < 19 {
            let mut alt = [0xffu8; 32];
            alt[0] = 0xed + y[0];
            alt[31] = 0x7f;
            out.push(alt);
            let mut alt_neg = alt;
            alt_neg[31] |= 0x80;
            out.push(alt_neg);
        }
        out
    }

    /// F2-ALG: the list agrees with `ed25519-dalek`'s `is_weak` on every
    /// encoding of the eight torsion points (each is refused), and every
    /// entry of the list, with either sign bit, is a small-order point for
    /// `ed25519-dalek` too.
    #[test]
    fn f2_alg_small_order_list_is_the_torsion_subgroup() {
        let mut seen = 0usize;
        for t in curve25519_dalek::constants::EIGHT_TORSION {
            for enc in encodings(t.compress().to_bytes()) {
                let weak = ed25519_dalek::VerifyingKey::from_bytes(&enc).is_ok_and(|k| k.is_weak());
                assert!(weak, "{enc:02x?}");
                assert!(is_small_order_encoding(&enc), "{enc:02x?}");
                seen += 1;
            }
        }
        assert!(seen >= 16);
        for entry in SMALL_ORDER {
            for enc in [entry, {
                let mut e = entry;
                e[31] |= 0x80;
                e
            }] {
                let k = ed25519_dalek::VerifyingKey::from_bytes(&enc).expect("a point");
                assert!(k.is_weak(), "{enc:02x?}");
            }
        }
    }

    /// Ordinary keys (of many seeds) are not on the list, and verify; the
    /// same key with a flipped signature bit is `BadSignature`.
    #[test]
    fn ordinary_keys_verify_once() {
        for seed in 0u8..64 {
            let key = crate::Ed25519SigningKey::from_bytes(&[seed; 32]).unwrap();
            let PublicKey::Ed25519 { x } = key.public else {
                unreachable!()
            };
            assert!(!is_small_order_encoding(&x));
            let mut sig = [0u8; 64];
            let n = key.sign(b"msg", &mut sig).unwrap();
            assert_eq!(verify_with_key(&x, b"msg", &sig[..n]), Ok(()));
            sig[5] ^= 1;
            assert_eq!(
                verify_with_key(&x, b"msg", &sig[..n]),
                Err(Error::BadSignature)
            );
        }
    }

    /// F2-ALG: a small-order key is `InvalidKey` with any signature, the
    /// forgery `R = identity, S = 0` included; a key that is not a point is
    /// `InvalidKey` too, as when it is loaded; both as the key parsed once
    /// says.
    #[test]
    fn f2_alg_small_order_and_non_point_keys_are_invalid_key() {
        let mut forgery = [0u8; 64];
        forgery[0] = 1;
        for t in curve25519_dalek::constants::EIGHT_TORSION {
            for enc in encodings(t.compress().to_bytes()) {
                assert_eq!(
                    verify_with_key(&enc, b"any message", &forgery),
                    Err(Error::InvalidKey)
                );
                let pk = PublicKey::Ed25519 { x: enc };
                assert_eq!(
                    Ed25519VerifyingKey::from_public_key(&pk).err(),
                    Some(Error::InvalidKey)
                );
            }
        }
        // Small `y` values: about half are not on the curve (no square
        // root for x), the others are points with a bad signature.
        let mut off = [0u8; 32];
        let mut found = 0;
        for y in 2u8..=255 {
            off[0] = y;
            if ed25519_dalek::VerifyingKey::from_bytes(&off).is_err() {
                found += 1;
                assert_eq!(
                    verify_with_key(&off, b"m", &forgery),
                    Err(Error::InvalidKey),
                    "{y}"
                );
                let pk = PublicKey::Ed25519 { x: off };
                assert_eq!(
                    Ed25519VerifyingKey::from_public_key(&pk).err(),
                    Some(Error::InvalidKey)
                );
            } else {
                assert_eq!(
                    verify_with_key(&off, b"m", &forgery),
                    Err(Error::BadSignature)
                );
            }
        }
        assert!(found > 50, "{found}");
    }
}
