//! Public JWKs (RFC 7517, RFC 7518 §6, RFC 8037), RFC 7638 thumbprints and
//! JWK Sets.
//!
//! Only the three key types of the three FAPI algorithms parse: EC P-256
//! (ES256), OKP Ed25519 (EdDSA) and RSA of at least 2048 bits (PS256).
//! A JWK with private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`)
//! is refused where a public key is expected. Values must use the minimum
//! number of octets (RFC 7518 §6.3.1), so that a key has one thumbprint.

use serde::Deserialize;
use serde::de::IgnoredAny;
use sha2::{Digest, Sha256};

use crate::alg::Alg;
use crate::b64;
use crate::error::Error;
use crate::json::{self, Writer};

/// The smallest RSA modulus accepted (F2-ALG).
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted.
pub const MAX_RSA_BITS: usize = 8192;
const MAX_RSA_BYTES: usize = MAX_RSA_BITS / 8;
const MAX_EXPONENT_BYTES: usize = 8;

/// An RSA public key: modulus and exponent, big-endian, minimal.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: [u8; MAX_RSA_BYTES],
    n_len: usize,
    e: [u8; MAX_EXPONENT_BYTES],
    e_len: usize,
}

impl RsaPublicKey {
    /// Builds a key from big-endian `n` and `e`. Refuses a modulus under
    /// 2048 bits ([`Error::WeakKey`], F2-ALG), over [`MAX_RSA_BITS`], and
    /// non-minimal encodings.
    pub fn new(n: &[u8], e: &[u8]) -> Result<Self, Error> {
        if n.first().is_none_or(|b| *b == 0) || e.first().is_none_or(|b| *b == 0) {
            return Err(Error::InvalidKey);
        }
        if n.len() > MAX_RSA_BYTES || e.len() > MAX_EXPONENT_BYTES {
            return Err(Error::TooLarge);
        }
        let mut key = Self {
            n: [0; MAX_RSA_BYTES],
            n_len: n.len(),
            e: [0; 8],
            e_len: e.len(),
        };
        key.n
            .get_mut(..n.len())
            .ok_or(Error::TooLarge)?
            .copy_from_slice(n);
        key.e
            .get_mut(..e.len())
            .ok_or(Error::TooLarge)?
            .copy_from_slice(e);
        // F2-ALG: RSA keys are at least 2048 bits.
        if key.bits() < MIN_RSA_BITS {
            return Err(Error::WeakKey);
        }
        Ok(key)
    }

    /// The modulus, big-endian.
    #[must_use]
    pub fn n(&self) -> &[u8] {
        self.n.get(..self.n_len).unwrap_or(&[])
    }

    /// The public exponent, big-endian.
    #[must_use]
    pub fn e(&self) -> &[u8] {
        self.e.get(..self.e_len).unwrap_or(&[])
    }

    /// The modulus length in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        let lead = self
            .n
            .first()
            .map_or(0, |b| 8usize.saturating_sub(b.leading_zeros() as usize));
        self.n_len
            .saturating_sub(1)
            .saturating_mul(8)
            .saturating_add(lead)
    }

    /// The signature length in bytes.
    #[must_use]
    pub fn modulus_len(&self) -> usize {
        self.n_len
    }
}

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// A public signing key of one of the three FAPI key types.
///
/// Held inline (an RSA key is about 1 KiB): the core never allocates.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant, reason = "allocation-free by design")]
pub enum PublicKey {
    /// EC P-256: the affine coordinates, 32 bytes each (ES256).
    P256 {
        /// x coordinate, big-endian.
        x: [u8; 32],
        /// y coordinate, big-endian.
        y: [u8; 32],
    },
    /// Ed25519: the 32-byte public key (EdDSA).
    Ed25519 {
        /// The encoded point.
        x: [u8; 32],
    },
    /// RSA, at least 2048 bits (PS256).
    Rsa(RsaPublicKey),
}

impl PublicKey {
    /// The one algorithm this key type is used with.
    #[must_use]
    pub fn alg(&self) -> Alg {
        match self {
            Self::P256 { .. } => Alg::Es256,
            Self::Ed25519 { .. } => Alg::EdDsa,
            Self::Rsa(_) => Alg::Ps256,
        }
    }

    /// Builds a P-256 key from a SEC1 uncompressed point (`04 || x || y`).
    pub fn p256_from_sec1(point: &[u8]) -> Result<Self, Error> {
        match point {
            [0x04, rest @ ..] => {
                let (x, y) = rest.split_first_chunk::<32>().ok_or(Error::InvalidKey)?;
                let y: &[u8; 32] = y.try_into().map_err(|_| Error::InvalidKey)?;
                Ok(Self::P256 { x: *x, y: *y })
            }
            _ => Err(Error::InvalidKey),
        }
    }

    /// Writes the SEC1 uncompressed point of a P-256 key.
    pub fn sec1_point(&self) -> Result<[u8; 65], Error> {
        match self {
            Self::P256 { x, y } => {
                let mut out = [0x04u8; 65];
                let (_, rest) = out.split_first_mut().ok_or(Error::InvalidKey)?;
                let (ox, oy) = rest.split_at_mut(32);
                ox.copy_from_slice(x);
                oy.copy_from_slice(y);
                Ok(out)
            }
            _ => Err(Error::KeyAlgMismatch),
        }
    }

    /// Checks that this key is the right type for `alg`.
    pub fn check_alg(&self, alg: Alg) -> Result<(), Error> {
        if self.alg() == alg {
            Ok(())
        } else {
            Err(Error::KeyAlgMismatch)
        }
    }

    /// The RFC 7638 thumbprint: SHA-256 of the canonical JSON of the
    /// required members.
    #[must_use]
    pub fn thumbprint(&self) -> Thumbprint {
        let mut h = Sha256::new();
        let mut enc = [0u8; b64::encoded_len(MAX_RSA_BYTES)];
        // Each buffer is large enough for its value, so encoding cannot fail.
        let mut put_b64 = |h: &mut Sha256, bytes: &[u8]| {
            h.update(b"\"");
            if let Ok(s) = b64::encode(bytes, &mut enc) {
                h.update(s.as_bytes());
            }
            h.update(b"\"");
        };
        match self {
            Self::P256 { x, y } => {
                h.update(br#"{"crv":"P-256","kty":"EC","x":"#);
                put_b64(&mut h, x);
                h.update(br#","y":"#);
                put_b64(&mut h, y);
            }
            Self::Ed25519 { x } => {
                h.update(br#"{"crv":"Ed25519","kty":"OKP","x":"#);
                put_b64(&mut h, x);
            }
            Self::Rsa(k) => {
                h.update(br#"{"e":"#);
                put_b64(&mut h, k.e());
                h.update(br#","kty":"RSA","n":"#);
                put_b64(&mut h, k.n());
            }
        }
        h.update(b"}");
        Thumbprint(h.finalize().into())
    }

    /// Writes the key's members (without braces) into `w`.
    pub(crate) fn write_members(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        match self {
            Self::P256 { x, y } => {
                w.raw(br#""kty":"EC","crv":"P-256","x":"#)?;
                w.b64(x)?;
                w.raw(br#","y":"#)?;
                w.b64(y)?;
            }
            Self::Ed25519 { x } => {
                w.raw(br#""kty":"OKP","crv":"Ed25519","x":"#)?;
                w.b64(x)?;
            }
            Self::Rsa(k) => {
                w.raw(br#""kty":"RSA","n":"#)?;
                w.b64(k.n())?;
                w.raw(br#","e":"#)?;
                w.b64(k.e())?;
            }
        }
        Ok(())
    }
}

/// An RFC 7638 JWK thumbprint (SHA-256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Thumbprint(pub [u8; 32]);

/// A base64url thumbprint is 43 characters.
pub const THUMBPRINT_B64_LEN: usize = 43;

impl Thumbprint {
    /// The raw digest.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The base64url form, as used in `cnf.jkt`, `dpop_jkt` and `kid`s.
    #[must_use]
    pub fn to_b64(&self) -> ThumbprintB64 {
        let mut out = [0u8; THUMBPRINT_B64_LEN];
        // 32 bytes always encode to 43 characters.
        let _ = b64::encode(&self.0, &mut out);
        ThumbprintB64(out)
    }

    /// Compares with a base64url thumbprint in constant time.
    #[must_use]
    pub fn matches_b64(&self, b64_value: &str) -> bool {
        use subtle::ConstantTimeEq;
        let mine = self.to_b64();
        b64_value.len() == THUMBPRINT_B64_LEN && bool::from(mine.0.ct_eq(b64_value.as_bytes()))
    }
}

/// A thumbprint in base64url (43 ASCII characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThumbprintB64([u8; THUMBPRINT_B64_LEN]);

impl ThumbprintB64 {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only base64url characters are ever stored.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl core::fmt::Display for ThumbprintB64 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `use` of a JWK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    /// `sig`: the only use fapi accepts for a verification key.
    Sig,
}

/// A public JWK: a key and the optional members fapi reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicJwk<'a> {
    /// The key.
    pub key: PublicKey,
    /// `kid`, when present.
    pub kid: Option<&'a str>,
    /// `alg`, when present; it always agrees with the key type.
    pub alg: Option<Alg>,
    /// `use`, when present.
    pub key_use: Option<KeyUse>,
}

/// Every member a JWK may carry that fapi looks at, private ones included
/// so that their presence is detected.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct JwkMembers<'a> {
    #[serde(borrow)]
    kty: Option<&'a str>,
    #[serde(borrow)]
    crv: Option<&'a str>,
    #[serde(borrow)]
    x: Option<&'a str>,
    #[serde(borrow)]
    y: Option<&'a str>,
    #[serde(borrow)]
    n: Option<&'a str>,
    #[serde(borrow)]
    e: Option<&'a str>,
    #[serde(borrow)]
    alg: Option<&'a str>,
    #[serde(borrow)]
    kid: Option<&'a str>,
    #[serde(borrow, rename = "use")]
    key_use: Option<&'a str>,
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

impl JwkMembers<'_> {
    /// Whether any private (or symmetric) key member is present.
    fn has_private_member(&self) -> bool {
        self.d.is_some()
            || self.p.is_some()
            || self.q.is_some()
            || self.dp.is_some()
            || self.dq.is_some()
            || self.qi.is_some()
            || self.oth.is_some()
            || self.k.is_some()
    }
}

impl<'a> PublicJwk<'a> {
    /// Parses one public JWK from JSON.
    pub fn from_json(json: &'a [u8]) -> Result<Self, Error> {
        let members: JwkMembers<'a> = json::parse(json)?;
        Self::from_members(&members)
    }

    /// A JWK for `key` with an optional `kid`, carrying `alg` and `use`.
    #[must_use]
    pub fn new(key: PublicKey, kid: Option<&'a str>) -> Self {
        let alg = Some(key.alg());
        Self {
            key,
            kid,
            alg,
            key_use: Some(KeyUse::Sig),
        }
    }

    pub(crate) fn from_members(m: &JwkMembers<'a>) -> Result<Self, Error> {
        // A private key where a public key is expected.
        if m.has_private_member() {
            return Err(Error::PrivateKeyMember);
        }
        let key = match (m.kty.ok_or(Error::InvalidKey)?, m.crv) {
            ("EC", Some("P-256")) => {
                if m.n.is_some() || m.e.is_some() {
                    return Err(Error::InvalidKey);
                }
                let x = b64::decode_array::<32>(m.x.ok_or(Error::InvalidKey)?.as_bytes())
                    .map_err(key_error)?;
                let y = b64::decode_array::<32>(m.y.ok_or(Error::InvalidKey)?.as_bytes())
                    .map_err(key_error)?;
                PublicKey::P256 { x, y }
            }
            ("OKP", Some("Ed25519")) => {
                if m.y.is_some() || m.n.is_some() || m.e.is_some() {
                    return Err(Error::InvalidKey);
                }
                let x = b64::decode_array::<32>(m.x.ok_or(Error::InvalidKey)?.as_bytes())
                    .map_err(key_error)?;
                PublicKey::Ed25519 { x }
            }
            ("RSA", None) => {
                if m.x.is_some() || m.y.is_some() {
                    return Err(Error::InvalidKey);
                }
                let n_b64 = m.n.ok_or(Error::InvalidKey)?.as_bytes();
                let e_b64 = m.e.ok_or(Error::InvalidKey)?.as_bytes();
                let mut n = [0u8; MAX_RSA_BYTES];
                let mut e = [0u8; MAX_EXPONENT_BYTES];
                let n = b64::decode(n_b64, &mut n)?;
                let e = b64::decode(e_b64, &mut e)?;
                PublicKey::Rsa(RsaPublicKey::new(n, e)?)
            }
            ("EC" | "OKP", _) | ("RSA", Some(_)) | ("oct", _) => {
                return Err(Error::UnsupportedKeyType);
            }
            _ => return Err(Error::UnsupportedKeyType),
        };
        let alg = match m.alg {
            Some(name) => {
                let alg = Alg::from_name(name)?;
                key.check_alg(alg)?;
                Some(alg)
            }
            None => None,
        };
        let key_use = match m.key_use {
            Some("sig") => Some(KeyUse::Sig),
            Some(_) => return Err(Error::InvalidKey),
            None => None,
        };
        Ok(Self {
            key,
            kid: m.kid,
            alg,
            key_use,
        })
    }

    /// The RFC 7638 thumbprint of the key.
    #[must_use]
    pub fn thumbprint(&self) -> Thumbprint {
        self.key.thumbprint()
    }

    /// Writes this JWK as JSON into `out`, returning the length.
    pub fn write_json(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(out);
        self.write(&mut w)?;
        Ok(w.len())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.raw(b"{")?;
        self.key.write_members(w)?;
        if let Some(kid) = self.kid {
            w.raw(b",")?;
            w.key("kid")?;
            w.string(kid)?;
        }
        if let Some(alg) = self.alg {
            w.raw(b",")?;
            w.key("alg")?;
            w.string(alg.name())?;
        }
        if self.key_use.is_some() {
            w.raw(br#","use":"sig""#)?;
        }
        w.raw(b"}")?;
        Ok(())
    }
}

fn key_error(e: Error) -> Error {
    match e {
        Error::TooLarge => Error::InvalidKey,
        e => e,
    }
}

/// Writes a JWK Set (`{"keys":[...]}`) of public keys into `out`.
pub fn write_jwks(keys: &[PublicJwk<'_>], out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    w.raw(br#"{"keys":["#)?;
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            w.raw(b",")?;
        }
        k.write(&mut w)?;
    }
    w.raw(b"]}")?;
    Ok(w.len())
}

/// The most keys a JWK Set may hold.
pub const MAX_JWKS_KEYS: usize = 16;

#[derive(Deserialize)]
struct JwksMembers<'a> {
    #[serde(borrow)]
    keys: heapless::Vec<JwkMembers<'a>, MAX_JWKS_KEYS>,
}

/// A parsed JWK Set (RFC 7517 §5), borrowed from its JSON.
#[derive(Debug)]
pub struct Jwks<'a> {
    keys: heapless::Vec<JwkMembers<'a>, MAX_JWKS_KEYS>,
}

impl<'a> Jwks<'a> {
    /// Parses a JWK Set. Each key is validated when it is selected, so one
    /// key of an unsupported type does not make the whole set unusable; a
    /// key with private members is refused at once.
    pub fn from_json(json: &'a [u8]) -> Result<Self, Error> {
        let set: JwksMembers<'a> = json::parse(json)?;
        for k in &set.keys {
            // Every private member, not only `d`: a set that carries any
            // part of a private key is refused whole.
            if k.has_private_member() {
                return Err(Error::PrivateKeyMember);
            }
        }
        Ok(Self { keys: set.keys })
    }

    /// The number of keys in the set.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Selects the key for a JWS header: by `kid` when the header has one,
    /// and always of the header's `alg`. Without a `kid`, exactly one key of
    /// that type must be present. [`Error::KeyNotFound`] otherwise.
    pub fn find(&self, kid: Option<&str>, alg: Alg) -> Result<PublicJwk<'a>, Error> {
        let mut found: Option<PublicJwk<'a>> = None;
        for m in &self.keys {
            if kid.is_some_and(|kid| m.kid != Some(kid)) {
                continue;
            }
            let Ok(jwk) = PublicJwk::from_members(m) else {
                continue;
            };
            if jwk.key.alg() != alg || jwk.alg.is_some_and(|a| a != alg) {
                continue;
            }
            if found.is_some() {
                // Ambiguous: two keys answer to the same kid and alg.
                return Err(Error::KeyNotFound);
            }
            found = Some(jwk);
        }
        found.ok_or(Error::KeyNotFound)
    }
}
