//! Public JWKs (RFC 7517, RFC 7518 §6, RFC 8037), RFC 7638 thumbprints and
//! JWK Sets.
//!
//! Only the three key types of the three FAPI algorithms parse: EC P-256
//! (ES256), OKP Ed25519 (EdDSA) and RSA of at least 2048 bits (PS256).
//! A JWK with private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`)
//! is refused where a public key is expected. Values must use the minimum
//! number of octets (RFC 7518 §6.3.1), so that a key has one thumbprint.
//! A key must be meant for verifying signatures: `use` other than `sig`,
//! `key_ops` without `verify`, and a `use` and `key_ops` that contradict
//! each other are [`Error::KeyUse`] (RFC 7517 §4.2, §4.3).
//!
//! That strict parser is for keys that verify. [`Thumbprint::of_jwk`]
//! computes the RFC 7638 thumbprint of any EC P-256, OKP Ed25519 or RSA JWK
//! from its required members alone, public or private, whatever `alg` or
//! other members it carries.
//!
//! Member names and values may be written with any JSON escape (RFC 8259
//! §7): they are read as the text they stand for. The calls that take no
//! scratch space ([`PublicJwk::from_json`], [`Jwks::from_json`]) cannot
//! hand back a borrowed value written with escapes (a `kid`; any member of
//! a set), and refuse it as [`Error::EscapedValue`], a client error; their
//! `_in` variants read it. Client input is never [`Error::BufferTooSmall`]
//! (`server_error`).

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
        match self {
            Self::P256 { x, y } => canonical_thumbprint(KeyMembers::P256 { x, y }),
            Self::Ed25519 { x } => canonical_thumbprint(KeyMembers::Ed25519 { x }),
            Self::Rsa(k) => canonical_thumbprint(KeyMembers::Rsa { n: k.n(), e: k.e() }),
        }
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

/// The required members of a key (RFC 7638 §3.2), decoded.
enum KeyMembers<'k> {
    P256 { x: &'k [u8; 32], y: &'k [u8; 32] },
    Ed25519 { x: &'k [u8; 32] },
    Rsa { n: &'k [u8], e: &'k [u8] },
}

/// SHA-256 of the canonical JSON of the required members (RFC 7638 §3.2:
/// lexicographic order, no whitespace; base64url values need no escaping),
/// written straight into the hasher. The members are public: they are
/// encoded with the table-lookup [`b64::encode_vartime`], a 32-byte
/// coordinate into 43 bytes on the stack; only an RSA modulus needs the
/// larger buffer (`perf` on `Thumbprint::of_jwk`: the constant-time encode
/// and the zeroing of an RSA-sized buffer for every EC key were most of
/// what it spent beyond the JSON).
fn canonical_thumbprint(key: KeyMembers<'_>) -> Thumbprint {
    /// `"` + base64url(`bytes`) + `"` into `h`, encoded in `enc`. Each value
    /// fits its buffer (the callers size it), so encoding cannot fail.
    fn put_b64(h: &mut Sha256, enc: &mut [u8], bytes: &[u8]) {
        h.update(b"\"");
        // Flash-constrained builds keep the one (constant-time) encoder.
        #[cfg(feature = "compact")]
        let encoded = b64::encode(bytes, enc).map(str::as_bytes);
        #[cfg(not(feature = "compact"))]
        let encoded = b64::encode_vartime(bytes, enc).map(|n| enc.get(..n).unwrap_or(&[]));
        if let Ok(s) = encoded {
            h.update(s);
        }
        h.update(b"\"");
    }
    let mut h = Sha256::new();
    let mut coord = [0u8; b64::encoded_len(32)];
    match key {
        KeyMembers::P256 { x, y } => {
            h.update(br#"{"crv":"P-256","kty":"EC","x":"#);
            put_b64(&mut h, &mut coord, x);
            h.update(br#","y":"#);
            put_b64(&mut h, &mut coord, y);
        }
        KeyMembers::Ed25519 { x } => {
            h.update(br#"{"crv":"Ed25519","kty":"OKP","x":"#);
            put_b64(&mut h, &mut coord, x);
        }
        KeyMembers::Rsa { n, e } => {
            let mut enc = [0u8; b64::encoded_len(MAX_RSA_BYTES)];
            h.update(br#"{"e":"#);
            put_b64(&mut h, &mut enc, e);
            h.update(br#","kty":"RSA","n":"#);
            put_b64(&mut h, &mut enc, n);
        }
    }
    h.update(b"}");
    Thumbprint(h.finalize().into())
}

/// An RFC 7638 JWK thumbprint (SHA-256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Thumbprint(pub [u8; 32]);

/// A base64url thumbprint is 43 characters.
pub const THUMBPRINT_B64_LEN: usize = 43;

/// Room on the stack for the escaped members of one JWK that fapi decodes
/// to build its key (an RSA-8192 modulus is 1366 characters; `kty`, `crv`,
/// `e`, `alg`, `use`, `key_ops` fit in the rest). Escaped values that
/// decode to more are over what any key of fapi's sizes holds:
/// [`Error::TooLarge`].
const KEY_SCRATCH: usize = 2048;

/// The members RFC 7638 §3.2 hashes, for every key type fapi knows.
#[derive(Deserialize)]
struct RequiredMembers<'a> {
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
}

impl Thumbprint {
    /// The RFC 7638 thumbprint of the JWK `json`: any EC P-256, OKP
    /// Ed25519 or RSA key, public or private, computed from its required
    /// members (`crv`, `kty`, `x`, `y`; `crv`, `kty`, `x`; `e`, `kty`,
    /// `n`) and nothing else, so an `alg` of any algorithm, `kid`, `use`,
    /// `key_ops` and private members do not change it. Unlike
    /// [`PublicJwk::from_json`], it does not judge whether the key may
    /// verify (an RSA key of any size has a thumbprint).
    ///
    /// Refused: JSON that [`json::check`] refuses; a missing `kty` or
    /// required member ([`Error::InvalidKey`]); another key type or curve
    /// ([`Error::UnsupportedKeyType`]); values that are not strict
    /// base64url ([`Error::Base64`]: padding, whitespace, a character
    /// outside the alphabet, whatever length the value has), coordinates of
    /// strict base64url that are not 32 bytes, and RSA values with leading
    /// zero octets ([`Error::InvalidKey`]), which would give the same key a
    /// second thumbprint; RSA values over [`MAX_RSA_BITS`], and required
    /// members whose escapes decode to more than any key of fapi's sizes
    /// holds ([`Error::TooLarge`]). Members written with escapes are read
    /// (no scratch is needed).
    ///
    /// ```
    /// use fapi_core::Thumbprint;
    /// // RFC 7638 §3.1, `alg` RS256 and `kid` included.
    /// let jwk = br#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
    /// let t = Thumbprint::of_jwk(jwk)?;
    /// assert_eq!(t.to_b64().as_str(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub fn of_jwk(json: &[u8]) -> Result<Self, Error> {
        // Most keys hold no escape: they are read with no scratch, and only
        // a key whose members need decoding is read again with room on the
        // stack (zeroing those 2 KiB on every call was a tenth of the time
        // of this function). The second read meets the same document, so
        // it gives what one read with scratch would have given.
        let mut scratch = [0u8; 0];
        let mut room;
        let m: RequiredMembers<'_> = match json::parse_in(json, &mut scratch) {
            Err(Error::BufferTooSmall) => {
                room = [0u8; KEY_SCRATCH];
                json::parse_in(json, &mut room).map_err(|e| match e {
                    // The stack room holds any value a key of fapi's sizes
                    // has.
                    Error::BufferTooSmall => Error::TooLarge,
                    e => e,
                })?
            }
            other => other?,
        };
        fn member(v: Option<&str>) -> Result<&[u8], Error> {
            v.map(str::as_bytes).ok_or(Error::InvalidKey)
        }
        // Only public members are read (a private JWK's `d` never is): the
        // table-lookup decode, as for the parts of a JWS.
        match (m.kty.ok_or(Error::InvalidKey)?, m.crv) {
            ("EC", Some("P-256")) => {
                let x = b64::decode_array_vartime::<32>(member(m.x)?)?;
                let y = b64::decode_array_vartime::<32>(member(m.y)?)?;
                Ok(canonical_thumbprint(KeyMembers::P256 { x: &x, y: &y }))
            }
            ("OKP", Some("Ed25519")) => {
                let x = b64::decode_array_vartime::<32>(member(m.x)?)?;
                Ok(canonical_thumbprint(KeyMembers::Ed25519 { x: &x }))
            }
            ("RSA", _) => {
                let mut n = [0u8; MAX_RSA_BYTES];
                let mut e = [0u8; MAX_EXPONENT_BYTES];
                let n = b64::decode_vartime(member(m.n)?, &mut n).map_err(limit_error)?;
                let e = b64::decode_vartime(member(m.e)?, &mut e).map_err(limit_error)?;
                if n.first().is_none_or(|b| *b == 0) || e.first().is_none_or(|b| *b == 0) {
                    return Err(Error::InvalidKey);
                }
                Ok(canonical_thumbprint(KeyMembers::Rsa { n, e }))
            }
            ("EC" | "OKP", None) => Err(Error::InvalidKey),
            _ => Err(Error::UnsupportedKeyType),
        }
    }

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

/// The most `key_ops` values read (RFC 7517 §4.3 registers eight).
pub const MAX_KEY_OPS: usize = 16;

/// The `key_ops` values of encryption keys (RFC 7517 §4.3), which
/// contradict `"use":"sig"`.
const ENCRYPTION_OPS: &[&str] = &[
    "encrypt",
    "decrypt",
    "wrapKey",
    "unwrapKey",
    "deriveKey",
    "deriveBits",
];

/// Checks `use` and `key_ops` for a key that verifies signatures
/// (RFC 7517 §4.2, §4.3): `use`, when present, is `sig`; `key_ops`, when
/// present, holds `verify`, no value twice, and no encryption operation
/// when `use` says `sig` (the two "MUST be consistent").
fn check_use(key_use: Option<&str>, key_ops: Option<&[&str]>) -> Result<Option<KeyUse>, Error> {
    let key_use = match key_use {
        Some("sig") => Some(KeyUse::Sig),
        // `enc` or anything else: not a key for verifying signatures.
        Some(_) => return Err(Error::KeyUse),
        None => None,
    };
    if let Some(ops) = key_ops {
        // RFC 7517 §4.3: "Duplicate key operation values MUST NOT be present".
        for (i, op) in ops.iter().enumerate() {
            if ops.get(..i).is_some_and(|seen| seen.contains(op)) {
                return Err(Error::InvalidKey);
            }
        }
        // RFC 7517 §4.3: a key whose operations do not include `verify` is
        // not used to verify.
        if !ops.contains(&"verify") {
            return Err(Error::KeyUse);
        }
        // RFC 7517 §4.3: `use` and `key_ops` must not contradict.
        if key_use.is_some() && ops.iter().any(|op| ENCRYPTION_OPS.contains(op)) {
            return Err(Error::KeyUse);
        }
    }
    Ok(key_use)
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
    #[serde(borrow)]
    key_ops: Option<heapless::Vec<&'a str, MAX_KEY_OPS>>,
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

#[derive(Deserialize)]
struct KidMember<'a> {
    #[serde(borrow)]
    kid: Option<&'a str>,
}

impl<'a> PublicJwk<'a> {
    /// Parses one public JWK from JSON, borrowing its `kid` from `json`.
    ///
    /// Members written with escapes are decoded (RFC 8259 §7), except that
    /// a `kid` with an escape cannot be borrowed from `json` as the text it
    /// stands for: that is [`Error::EscapedValue`] (a client error), and
    /// [`PublicJwk::from_json_in`] reads it. Key members whose escapes
    /// decode to more than any key of fapi's sizes holds are
    /// [`Error::TooLarge`]. Never [`Error::BufferTooSmall`].
    ///
    /// ```
    /// use fapi_core::PublicJwk;
    /// let jwk = PublicJwk::from_json(br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"sig","kid":"k1"}"#)?;
    /// assert_eq!(jwk.kid, Some("k1"));
    /// assert_eq!(jwk.thumbprint().to_b64().as_str(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub fn from_json(json: &'a [u8]) -> Result<Self, Error> {
        match json::parse::<JwkMembers<'a>>(json) {
            Ok(members) => Self::from_members(&members),
            Err(Error::EscapedValue) => {
                // Escaped members: decoded on the stack to build the key
                // (so a refused key says why); only the kid is kept, so
                // only the kid must borrow from `json` (EscapedValue when
                // it cannot).
                let (key, alg, key_use) = {
                    let mut scratch = [0u8; KEY_SCRATCH];
                    match json::parse_in::<JwkMembers<'_>>(json, &mut scratch) {
                        Ok(members) => {
                            let jwk = PublicJwk::from_members(&members)?;
                            (jwk.key, jwk.alg, jwk.key_use)
                        }
                        // More than the stack holds: an escaped kid, which
                        // only the `_in` variant returns, or key members
                        // over the sizes of fapi's keys.
                        Err(Error::BufferTooSmall) => {
                            let _ = json::parse::<KidMember<'a>>(json)?;
                            return Err(Error::TooLarge);
                        }
                        Err(e) => return Err(e),
                    }
                };
                let kid = json::parse::<KidMember<'a>>(json)?.kid;
                Ok(Self {
                    key,
                    kid,
                    alg,
                    key_use,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Parses one public JWK from JSON, decoding members written with
    /// escapes into `scratch` (`json.len()` bytes always suffice;
    /// [`json::scratch_len`] says exactly), from which the `kid` may then
    /// borrow. Too little scratch is [`Error::BufferTooSmall`]: the
    /// caller's sizing, so size it from the input.
    ///
    /// ```
    /// use fapi_core::PublicJwk;
    /// // PHP's json_encode escapes every slash.
    /// let json = br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"keys\/2024\/caf\u00e9"}"#;
    /// let mut scratch = [0u8; 256];
    /// let jwk = PublicJwk::from_json_in(json, &mut scratch)?;
    /// assert_eq!(jwk.kid, Some("keys/2024/café"));
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub fn from_json_in(json: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, Error> {
        let members: JwkMembers<'a> = json::parse_in(json, scratch)?;
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
        // A public key (private members were refused above): its members
        // are decoded by table lookup, as the JWS that carries it.
        let key = match (m.kty.ok_or(Error::InvalidKey)?, m.crv) {
            ("EC", Some("P-256")) => {
                if m.n.is_some() || m.e.is_some() {
                    return Err(Error::InvalidKey);
                }
                let x = b64::decode_array_vartime::<32>(m.x.ok_or(Error::InvalidKey)?.as_bytes())
                    .map_err(key_error)?;
                let y = b64::decode_array_vartime::<32>(m.y.ok_or(Error::InvalidKey)?.as_bytes())
                    .map_err(key_error)?;
                PublicKey::P256 { x, y }
            }
            ("OKP", Some("Ed25519")) => {
                if m.y.is_some() || m.n.is_some() || m.e.is_some() {
                    return Err(Error::InvalidKey);
                }
                let x = b64::decode_array_vartime::<32>(m.x.ok_or(Error::InvalidKey)?.as_bytes())
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
                let n = b64::decode_vartime(n_b64, &mut n).map_err(limit_error)?;
                let e = b64::decode_vartime(e_b64, &mut e).map_err(limit_error)?;
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
        // RFC 7517 §4.2, §4.3: a key for verifying signatures.
        let key_use = check_use(m.key_use, m.key_ops.as_deref())?;
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
        Error::TooLarge | Error::BufferTooSmall => Error::InvalidKey,
        e => e,
    }
}

/// A value decoded into a buffer of the largest size fapi accepts: a value
/// that does not fit is over the limit ([`Error::TooLarge`]).
fn limit_error(e: Error) -> Error {
    match e {
        Error::BufferTooSmall => Error::TooLarge,
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
    /// key with private members is refused at once. More than
    /// [`MAX_JWKS_KEYS`] keys is [`Error::TooLarge`].
    ///
    /// Members borrow from `json`, so a set whose members are written with
    /// escapes is [`Error::EscapedValue`] here (a client error, never
    /// [`Error::BufferTooSmall`]); [`Jwks::from_json_in`] reads any set.
    pub fn from_json(json: &'a [u8]) -> Result<Self, Error> {
        Self::from_members(json::parse(json)?)
    }

    /// Parses a JWK Set, decoding members written with escapes (RFC 8259
    /// §7: `"kid":"a\/b"`, `"caf\u00e9"`) into `scratch`, from which the set
    /// then borrows them. `json.len()` bytes of scratch always suffice
    /// ([`json::scratch_len`] says exactly); too little is
    /// [`Error::BufferTooSmall`], the caller's sizing. More than
    /// [`MAX_JWKS_KEYS`] keys is [`Error::TooLarge`].
    ///
    /// ```
    /// use fapi_core::{Alg, jwk::Jwks};
    /// let set = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a\/b"}]}"#;
    /// let mut scratch = [0u8; 64];
    /// let jwks = Jwks::from_json_in(set, &mut scratch)?;
    /// let key = jwks.find(Some("a/b"), Alg::EdDsa)?;
    /// assert_eq!(key.kid, Some("a/b"));
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub fn from_json_in(json: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, Error> {
        Self::from_members(json::parse_in(json, scratch)?)
    }

    fn from_members(set: JwksMembers<'a>) -> Result<Self, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    use std::format;
    use std::string::String;
    use std::vec::Vec;

    /// RFC 7515 A.3's P-256 key: public members, and the private `d`.
    const EC: &str = r#""kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#;
    const EC_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    /// RFC 8037 A.1's Ed25519 key and its A.3 thumbprint.
    const OKP_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const OKP_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const OKP_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    /// RFC 7638 §3.1's RSA key and thumbprint.
    const RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    const RSA_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    fn ec(extra: &str) -> String {
        format!("{{{EC}{extra}}}")
    }

    /// RFC 7517 §4.3: a key whose `key_ops` do not include `verify` does
    /// not verify; `use` and `key_ops` that contradict are refused; and
    /// `use` other than `sig` (RFC 7517 §4.2) as before.
    #[test]
    fn rfc7517_4_3_key_ops_must_allow_verification() {
        for refused in [
            r#","key_ops":["encrypt"]"#,
            r#","key_ops":["sign"]"#,
            r#","key_ops":["wrapKey","unwrapKey"]"#,
            r#","key_ops":[]"#,
            r#","use":"sig","key_ops":["encrypt"]"#,
            r#","use":"sig","key_ops":["verify","encrypt"]"#,
            r#","use":"sig","key_ops":["verify","deriveBits"]"#,
            r#","use":"enc""#,
            r#","use":"enc","key_ops":["verify"]"#,
            r#","use":"other""#,
        ] {
            let json = ec(refused);
            assert_eq!(
                PublicJwk::from_json(json.as_bytes()).err(),
                Some(Error::KeyUse),
                "{json}"
            );
            // A JWK Set does not offer such a key for verification.
            let set = format!(r#"{{"keys":[{json}]}}"#);
            let jwks = Jwks::from_json(set.as_bytes()).unwrap();
            assert_eq!(jwks.find(None, Alg::Es256).err(), Some(Error::KeyNotFound));
        }
        for accepted in [
            r#","key_ops":["verify"]"#,
            r#","key_ops":["sign","verify"]"#,
            r#","use":"sig","key_ops":["verify"]"#,
            r#","use":"sig""#,
            "",
        ] {
            let json = ec(accepted);
            let jwk = PublicJwk::from_json(json.as_bytes()).unwrap();
            assert_eq!(jwk.key.alg(), Alg::Es256, "{json}");
        }
        // Duplicate values "MUST NOT be present"; key_ops is an array.
        assert_eq!(
            PublicJwk::from_json(ec(r#","key_ops":["verify","verify"]"#).as_bytes()).err(),
            Some(Error::InvalidKey)
        );
        assert_eq!(
            PublicJwk::from_json(ec(r#","key_ops":"verify""#).as_bytes()).err(),
            Some(Error::Json)
        );
    }

    /// RFC 8259 §7: member names and values of a JWK or JWK Set written
    /// with escapes (PHP's `\/`, `\u00e9`, escaped ASCII such as `\u0078`)
    /// are read as the text they stand for; an escaped duplicate is still a
    /// duplicate.
    #[test]
    fn rfc8259_7_escaped_jwk_members_are_read() {
        let plain_json = ec("");
        let plain = PublicJwk::from_json(plain_json.as_bytes()).unwrap();
        let escaped = r#"{"kty":"E\u0043","\u0063rv":"P-256","\u0078":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","u\u0073e":"\u0073ig","key_ops":["v\u0065rify"],"alg":"ES\u0032\u00356"}"#;
        let jwk = PublicJwk::from_json(escaped.as_bytes()).unwrap();
        assert_eq!(jwk.key, plain.key);
        assert_eq!(
            (jwk.alg, jwk.key_use),
            (Some(Alg::Es256), Some(KeyUse::Sig))
        );
        assert_eq!(
            Thumbprint::of_jwk(escaped.as_bytes()),
            Ok(plain.thumbprint())
        );

        // A kid with escapes: read with scratch, whose size json::scratch_len says.
        for (kid, want) in [
            (r#"a\/b"#, "a/b"),
            (r#"caf\u00e9"#, "café"),
            (r#"\u0078"#, "x"),
            (r#"\ud83d\ude00"#, "😀"),
            (r#"q\"\\"#, "q\"\\"),
        ] {
            let json = ec(&format!(r#","kid":"{kid}""#));
            assert_eq!(
                PublicJwk::from_json(json.as_bytes()).err(),
                Some(Error::EscapedValue),
                "{json}"
            );
            let mut scratch = std::vec![0u8; json::scratch_len(json.as_bytes()).unwrap()];
            let jwk = PublicJwk::from_json_in(json.as_bytes(), &mut scratch).unwrap();
            assert_eq!(jwk.kid, Some(want), "{json}");
            let set = format!(r#"{{"k\u0065ys":[{json}]}}"#);
            let mut scratch = std::vec![0u8; set.len()];
            let jwks = Jwks::from_json_in(set.as_bytes(), &mut scratch).unwrap();
            assert_eq!(jwks.find(Some(want), Alg::Es256).unwrap().kid, Some(want));
            assert_eq!(
                Jwks::from_json(set.as_bytes()).err(),
                Some(Error::EscapedValue)
            );
        }
        // An escaped copy of a member is a duplicate.
        assert_eq!(
            PublicJwk::from_json(ec(r#","\u0078":"AAAA""#).as_bytes()).err(),
            Some(Error::DuplicateMember)
        );
        // Private members hide behind escapes no more than in plain text.
        assert_eq!(
            PublicJwk::from_json(ec(&format!(r#","\u0064":"{EC_D}""#)).as_bytes()).err(),
            Some(Error::PrivateKeyMember)
        );
    }

    /// An RFC 7638 thumbprint computed independently: the required members
    /// in lexicographic order, as `serde_json` writes them, hashed.
    fn independent_thumbprint(json: &str) -> [u8; 32] {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let names: &[&str] = match v["kty"].as_str().unwrap() {
            "EC" => &["crv", "kty", "x", "y"],
            "OKP" => &["crv", "kty", "x"],
            _ => &["e", "kty", "n"],
        };
        let members: Vec<String> = names
            .iter()
            .map(|n| format!("\"{n}\":{}", serde_json::to_string(&v[*n]).unwrap()))
            .collect();
        Sha256::digest(format!("{{{}}}", members.join(",")).as_bytes()).into()
    }

    /// RFC 7638 §3.1: the thumbprint of any EC P-256, OKP Ed25519 or RSA
    /// JWK, from its required members alone: the §3.1 example with its
    /// `"alg":"RS256"` and `kid`, private keys, keys with other members.
    /// The strict parser for verification keys stays strict.
    #[test]
    fn rfc7638_3_1_thumbprint_of_any_jwk() {
        let rfc =
            format!(r#"{{"kty":"RSA","n":"{RSA_N}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}"#);
        let t = Thumbprint::of_jwk(rfc.as_bytes()).unwrap();
        assert_eq!(t.to_b64().as_str(), RSA_THUMBPRINT);
        assert_eq!(t.0, independent_thumbprint(&rfc));
        // The strict parser refuses the same JWK: RS256 is no FAPI algorithm.
        assert_eq!(
            PublicJwk::from_json(rfc.as_bytes()).err(),
            Some(Error::UnsupportedAlg)
        );

        // RFC 8037 A.3: the Ed25519 key, public and private (A.1).
        for json in [
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{OKP_X}"}}"#),
            format!(r#"{{"kty":"OKP","crv":"Ed25519","d":"{OKP_D}","x":"{OKP_X}"}}"#),
        ] {
            let t = Thumbprint::of_jwk(json.as_bytes()).unwrap();
            assert_eq!(t.to_b64().as_str(), OKP_THUMBPRINT, "{json}");
        }
        assert_eq!(
            PublicJwk::from_json(
                format!(r#"{{"kty":"OKP","crv":"Ed25519","d":"{OKP_D}","x":"{OKP_X}"}}"#)
                    .as_bytes()
            )
            .err(),
            Some(Error::PrivateKeyMember)
        );

        // RFC 7515 A.3's P-256 key, private, with an `alg` of another
        // algorithm, `use`, `key_ops` and a kid: the public key's thumbprint.
        let public = Thumbprint::of_jwk(ec("").as_bytes()).unwrap();
        assert_eq!(
            PublicJwk::from_json(ec("").as_bytes())
                .unwrap()
                .thumbprint(),
            public
        );
        let private = ec(&format!(
            r#","d":"{EC_D}","alg":"ES384","use":"enc","key_ops":["decrypt"],"kid":"k\/1","x5c":["AAAA"]"#
        ));
        assert_eq!(Thumbprint::of_jwk(private.as_bytes()), Ok(public));
        assert_eq!(public.0, independent_thumbprint(&private));

        // RSA of any size has a thumbprint (the strict parser refuses it as weak).
        let small = r#"{"kty":"RSA","n":"xQ","e":"AQAB","d":"AQ","p":"AQ"}"#;
        assert_eq!(
            Thumbprint::of_jwk(small.as_bytes()).unwrap().0,
            independent_thumbprint(small)
        );

        // What has no RFC 7638 thumbprint here.
        for (json, err) in [
            (r#"{"kty":"oct","k":"AAAA"}"#, Error::UnsupportedKeyType),
            (
                r#"{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}"#,
                Error::UnsupportedKeyType,
            ),
            (
                r#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#,
                Error::UnsupportedKeyType,
            ),
            (r#"{"kty":"EC","x":"AAAA","y":"AAAA"}"#, Error::InvalidKey),
            (r#"{"crv":"P-256"}"#, Error::InvalidKey),
            (r#"{"kty":"RSA","e":"AQAB"}"#, Error::InvalidKey),
            (r#"{"kty":"RSA","n":"AMU","e":"AQAB"}"#, Error::InvalidKey),
            (r#"{"kty":"RSA","n":"xQ==","e":"AQAB"}"#, Error::Base64),
            (
                r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#,
                Error::InvalidKey,
            ),
            (
                r#"{"kty":"RSA","n":"xQ","e":"AQAB","kty":"EC"}"#,
                Error::DuplicateMember,
            ),
            ("[]", Error::Json),
        ] {
            assert_eq!(
                Thumbprint::of_jwk(json.as_bytes()).err(),
                Some(err),
                "{json}"
            );
        }
        let huge = format!(
            r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#,
            "x".repeat(b64::encoded_len(MAX_RSA_BYTES + 1))
        );
        assert_eq!(
            Thumbprint::of_jwk(huge.as_bytes()).err(),
            Some(Error::TooLarge)
        );
    }
}
