//! Compact JWE (RFC 7516) with exactly the algorithms the profiles demand
//! (RFC 7518): key management `RSA-OAEP` and `RSA-OAEP-256` (§4.3), content
//! encryption `A128GCM`, `A256GCM` (§5.3), `A128CBC-HS256` and
//! `A256CBC-HS512` (§5.2). Decrypted and encrypted into caller buffers, with
//! no allocation.
//!
//! # What is refused, and why
//!
//! Each refusal has its own [`Error`], checked on the protected header
//! before any key is touched:
//!
//! - not five parts, or over [`MAX_COMPACT`]: [`Error::Malformed`],
//!   [`Error::TooLarge`]; bad base64url, malformed JSON and duplicate
//!   header members as in [`jws`](crate::jws);
//! - `RSA1_5` (the Bleichenbacher oracle of RFC 3218), `dir` (no key
//!   management: a shared secret), and every other `alg`:
//!   [`Error::UnsupportedAlg`]; an `alg` outside the caller's allow-list
//!   (the profile's `jwe_algs`, OFB-ALG and CDR-ALG):
//!   [`Error::AlgNotAllowed`]; an `alg` the key does not do:
//!   [`Error::KeyAlgMismatch`];
//! - any other `enc`: [`Error::UnsupportedEnc`]; one outside the profile's
//!   `jwe_encs`: [`Error::EncNotAllowed`];
//! - `zip` (compression leaks the plaintext through its length):
//!   [`Error::Compressed`]; any `crit` (fapi understands no JWE extension,
//!   RFC 7516 §4.1.13): [`Error::UnsupportedCrit`];
//! - a `kid` that is not the key's: [`Error::KeyNotFound`];
//! - an encrypted key that is not exactly the RSA modulus long, an IV or a
//!   tag of the wrong length for `enc`: [`Error::JweLength`];
//! - where a nested JWT is expected ([`Policy::nested_jwt`]), a `cty` that
//!   is not `JWT`: [`Error::NotNestedJwt`].
//!
//! # One decryption error
//!
//! After those checks every failure (OAEP does not unwrap, the content
//! encryption key (CEK) has the wrong length, the tag does not match, the
//! CBC padding is wrong, a CBC ciphertext that is not whole blocks) is
//! [`Error::DecryptionFailed`], with no detail (RFC 7516 §11.5, RFC 3218).
//! When the key does not unwrap, decryption carries on with a random CEK of
//! the right length (drawn before the unwrap, on every call), so that the
//! work done, and the time taken, do not say which step failed; the tag
//! check then fails. The CBC-HMAC tag is compared in constant time before
//! the padding is read (RFC 7518 §5.2.2.2), so the padding is never an
//! oracle.
//!
//! # Keys
//!
//! The recipient's private key is a [`KeyDecrypter`] and the sender's view of
//! the recipient's public key a [`KeyEncrypter`]: software keys
//! (`fapi-rustcrypto`, `fapi-awslc`) and HSM keys (`fapi-pkcs11`,
//! `CKM_RSA_PKCS_OAEP`) implement them alike.

use core::fmt;

use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, KeyInit};
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde::de::IgnoredAny;
use sha2::{Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use crate::b64;
use crate::crypto::Random;
use crate::error::Error;
use crate::json::{self, Writer};
use crate::jws::{MAX_CRIT, MAX_HEADER, typ_matches};
use crate::profile::Profile;
use crate::secret::SecretBytes;

/// The largest compact JWE accepted (bytes).
pub const MAX_COMPACT: usize = 64 * 1024;
/// The longest encrypted key accepted or written: RSA-8192.
pub const MAX_ENCRYPTED_KEY: usize = 1024;
/// The longest content encryption key (`A256CBC-HS512`).
pub const MAX_CEK: usize = 64;
/// The smallest RSA modulus accepted for key management (bytes): 2048 bits.
pub const MIN_MODULUS_LEN: usize = 256;

/// A JWE key management algorithm (RFC 7518 §4.3): RSA-OAEP and nothing
/// else. `RSA1_5` and `dir` are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// `RSA-OAEP`: RSAES-OAEP with SHA-1 and MGF1-SHA-1 (RFC 7518 §4.3).
    RsaOaep,
    /// `RSA-OAEP-256`: RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    RsaOaep256,
}

impl KeyAlg {
    /// Both algorithms.
    pub const ALL: [KeyAlg; 2] = [KeyAlg::RsaOaep, KeyAlg::RsaOaep256];
    /// Both names: the allow-list when a profile restricts nothing.
    pub const ALL_NAMES: &'static [&'static str] = &["RSA-OAEP", "RSA-OAEP-256"];

    /// The `alg` name.
    ///
    /// ```
    /// use fapi_core::jwe::KeyAlg;
    /// assert_eq!(KeyAlg::RsaOaep256.name(), "RSA-OAEP-256");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::RsaOaep => "RSA-OAEP",
            Self::RsaOaep256 => "RSA-OAEP-256",
        }
    }

    /// The algorithm named `name`, or [`Error::UnsupportedAlg`] (`RSA1_5`,
    /// `dir`, `A128KW`, `ECDH-ES`, ...).
    ///
    /// ```
    /// use fapi_core::{Error, jwe::KeyAlg};
    /// assert_eq!(KeyAlg::from_name("RSA-OAEP"), Ok(KeyAlg::RsaOaep));
    /// assert_eq!(KeyAlg::from_name("RSA1_5"), Err(Error::UnsupportedAlg));
    /// ```
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "RSA-OAEP" => Ok(Self::RsaOaep),
            "RSA-OAEP-256" => Ok(Self::RsaOaep256),
            _ => Err(Error::UnsupportedAlg),
        }
    }
}

/// A JWE content encryption algorithm (RFC 7518 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentEnc {
    /// `A128GCM` (RFC 7518 §5.3).
    A128Gcm,
    /// `A256GCM` (RFC 7518 §5.3).
    A256Gcm,
    /// `A128CBC-HS256` (RFC 7518 §5.2.3).
    A128CbcHs256,
    /// `A256CBC-HS512` (RFC 7518 §5.2.5).
    A256CbcHs512,
}

impl ContentEnc {
    /// All four.
    pub const ALL: [ContentEnc; 4] = [
        ContentEnc::A128Gcm,
        ContentEnc::A256Gcm,
        ContentEnc::A128CbcHs256,
        ContentEnc::A256CbcHs512,
    ];
    /// All four names: the allow-list when a profile restricts nothing.
    pub const ALL_NAMES: &'static [&'static str] =
        &["A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"];

    /// The `enc` name.
    ///
    /// ```
    /// use fapi_core::jwe::ContentEnc;
    /// assert_eq!(ContentEnc::A128CbcHs256.name(), "A128CBC-HS256");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
            Self::A128CbcHs256 => "A128CBC-HS256",
            Self::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// The algorithm named `name`, or [`Error::UnsupportedEnc`].
    ///
    /// ```
    /// use fapi_core::{Error, jwe::ContentEnc};
    /// assert_eq!(ContentEnc::from_name("A256GCM"), Ok(ContentEnc::A256Gcm));
    /// assert_eq!(ContentEnc::from_name("A192GCM"), Err(Error::UnsupportedEnc));
    /// ```
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "A128GCM" => Ok(Self::A128Gcm),
            "A256GCM" => Ok(Self::A256Gcm),
            "A128CBC-HS256" => Ok(Self::A128CbcHs256),
            "A256CBC-HS512" => Ok(Self::A256CbcHs512),
            _ => Err(Error::UnsupportedEnc),
        }
    }

    /// The CEK length in bytes (RFC 7518 §5.2.3, §5.2.5, §5.3).
    #[must_use]
    pub const fn cek_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm | Self::A128CbcHs256 => 32,
            Self::A256CbcHs512 => 64,
        }
    }

    /// The initialization vector length: 96 bits for GCM (§5.3), 128 for
    /// CBC (§5.2.2.1).
    #[must_use]
    pub const fn iv_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm => 12,
            Self::A128CbcHs256 | Self::A256CbcHs512 => 16,
        }
    }

    /// The authentication tag length: 128 bits, 256 for `A256CBC-HS512`.
    #[must_use]
    pub const fn tag_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm | Self::A128CbcHs256 => 16,
            Self::A256CbcHs512 => 32,
        }
    }

    /// The ciphertext length for `plaintext_len` bytes (CBC pads to whole
    /// blocks with PKCS#7, always adding at least one byte).
    #[must_use]
    pub const fn ciphertext_len(self, plaintext_len: usize) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm => plaintext_len,
            Self::A128CbcHs256 | Self::A256CbcHs512 => {
                (plaintext_len / 16).saturating_add(1).saturating_mul(16)
            }
        }
    }
}

/// The recipient's private key: unwraps a JWE's encrypted key. Software
/// keys and HSM keys implement it alike.
pub trait KeyDecrypter {
    /// The key management algorithms this key unwraps.
    fn algs(&self) -> &[KeyAlg];

    /// The key id published in the JWKS, matched against the JWE's `kid`.
    fn key_id(&self) -> Option<&str>;

    /// The RSA modulus length in bytes: every encrypted key for this key is
    /// exactly that long.
    fn modulus_len(&self) -> usize;

    /// Decrypts `encrypted_key` under `alg` into `out`, returning the CEK's
    /// length.
    ///
    /// Every failure that depends on `encrypted_key` must be
    /// [`Error::DecryptionFailed`], with nothing else to tell it apart: the
    /// caller carries on with a random CEK. Other errors (the HSM is gone,
    /// the module does not do this OAEP hash) are returned as they are.
    fn unwrap_key(&self, alg: KeyAlg, encrypted_key: &[u8], out: &mut [u8])
    -> Result<usize, Error>;
}

/// The recipient's public key as the sender sees it: encrypts a CEK.
pub trait KeyEncrypter {
    /// The key management algorithms this key encrypts for.
    fn algs(&self) -> &[KeyAlg];

    /// The recipient's key id, written as the JWE's `kid` when present.
    fn key_id(&self) -> Option<&str>;

    /// The RSA modulus length in bytes: the encrypted key's length.
    fn modulus_len(&self) -> usize;

    /// Encrypts `cek` under `alg` into `out` (OAEP draws its seed from
    /// `random`, or from the backend's own generator), returning the length
    /// written.
    fn wrap_key(
        &self,
        alg: KeyAlg,
        cek: &[u8],
        random: &dyn Random,
        out: &mut [u8],
    ) -> Result<usize, Error>;
}

impl<T: KeyDecrypter + ?Sized> KeyDecrypter for &T {
    fn algs(&self) -> &[KeyAlg] {
        (**self).algs()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn modulus_len(&self) -> usize {
        (**self).modulus_len()
    }
    fn unwrap_key(
        &self,
        alg: KeyAlg,
        encrypted_key: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        (**self).unwrap_key(alg, encrypted_key, out)
    }
}

impl<T: KeyEncrypter + ?Sized> KeyEncrypter for &T {
    fn algs(&self) -> &[KeyAlg] {
        (**self).algs()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn modulus_len(&self) -> usize {
        (**self).modulus_len()
    }
    fn wrap_key(
        &self,
        alg: KeyAlg,
        cek: &[u8],
        random: &dyn Random,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        (**self).wrap_key(alg, cek, random, out)
    }
}

/// What a decryption accepts.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'p> {
    /// The `alg` names allowed (a profile's `jwe_algs`).
    pub algs: &'p [&'p str],
    /// The `enc` names allowed (a profile's `jwe_encs`).
    pub encs: &'p [&'p str],
    /// Whether the plaintext must be a nested JWT: `cty` must then be `JWT`
    /// (RFC 7519 §5.2), else [`Error::NotNestedJwt`].
    pub nested_jwt: bool,
}

impl Policy<'static> {
    /// Every algorithm fapi supports: `RSA-OAEP`, `RSA-OAEP-256`, and the
    /// four `enc` values.
    pub const ALL: Policy<'static> = Policy {
        algs: KeyAlg::ALL_NAMES,
        encs: ContentEnc::ALL_NAMES,
        nested_jwt: false,
    };

    /// The profile's allow-lists (OFB-ALG: `RSA-OAEP` with `A256GCM`;
    /// CDR-ALG: `RSA-OAEP` or `RSA-OAEP-256` with any of the four). A
    /// profile that restricts nothing (`None`) allows the full set.
    ///
    /// ```
    /// use fapi_core::{jwe::Policy, profile::Profile};
    /// let ofb = Policy::from_profile(&Profile::OFB);
    /// assert_eq!(ofb.algs, &["RSA-OAEP"]);
    /// assert_eq!(ofb.encs, &["A256GCM"]);
    /// ```
    #[must_use]
    pub fn from_profile(profile: &Profile) -> Self {
        Self {
            algs: profile.jwe_algs.unwrap_or(KeyAlg::ALL_NAMES),
            encs: profile.jwe_encs.unwrap_or(ContentEnc::ALL_NAMES),
            nested_jwt: false,
        }
    }
}

impl<'p> Policy<'p> {
    /// A policy allowing `algs` and `encs`.
    #[must_use]
    pub const fn new(algs: &'p [&'p str], encs: &'p [&'p str]) -> Self {
        Self {
            algs,
            encs,
            nested_jwt: false,
        }
    }

    /// The same policy, requiring a nested JWT (`cty: JWT`).
    ///
    /// ```
    /// use fapi_core::jwe::Policy;
    /// assert!(Policy::ALL.nested_jwt().nested_jwt);
    /// ```
    #[must_use]
    pub const fn nested_jwt(mut self) -> Self {
        self.nested_jwt = true;
        self
    }

    /// Checks `alg` and `enc` against the allow-lists.
    pub fn check(&self, alg: KeyAlg, enc: ContentEnc) -> Result<(), Error> {
        if !self.algs.contains(&alg.name()) {
            return Err(Error::AlgNotAllowed);
        }
        if !self.encs.contains(&enc.name()) {
            return Err(Error::EncNotAllowed);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct HeaderMembers<'a> {
    #[serde(borrow)]
    alg: Option<&'a str>,
    #[serde(borrow)]
    enc: Option<&'a str>,
    #[serde(borrow)]
    kid: Option<&'a str>,
    #[serde(borrow)]
    typ: Option<&'a str>,
    #[serde(borrow)]
    cty: Option<&'a str>,
    zip: Option<IgnoredAny>,
    #[serde(borrow)]
    crit: Option<heapless::Vec<&'a str, MAX_CRIT>>,
}

/// A JWE's checked protected header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// The key management algorithm.
    pub alg: KeyAlg,
    /// The content encryption algorithm.
    pub enc: ContentEnc,
    /// `kid`, when present.
    pub kid: Option<&'a str>,
    /// `typ`, when present.
    pub typ: Option<&'a str>,
    /// `cty`, when present.
    pub cty: Option<&'a str>,
}

/// A decrypted JWE: its header and plaintext. The plaintext lies in the
/// caller's buffer, which the caller erases when done (the `fapi` crate
/// returns it in a zeroizing type). `Debug` shows its length only.
pub struct Decrypted<'b> {
    /// The protected header.
    pub header: Header<'b>,
    /// The plaintext (a nested JWS when the policy asked for one).
    pub plaintext: &'b mut [u8],
}

impl fmt::Debug for Decrypted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("header", &self.header)
            .field("plaintext_len", &self.plaintext.len())
            .finish()
    }
}

/// The five base64url parts of a compact JWE (RFC 7516 §7.1). `Debug`
/// shows their lengths only.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
    /// The protected header, encoded: also the AAD (RFC 7516 §5.2 step 14).
    pub header: &'a [u8],
    /// The encrypted key, encoded.
    pub encrypted_key: &'a [u8],
    /// The initialization vector, encoded.
    pub iv: &'a [u8],
    /// The ciphertext, encoded.
    pub ciphertext: &'a [u8],
    /// The authentication tag, encoded.
    pub tag: &'a [u8],
}

impl fmt::Debug for Parts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parts")
            .field("header_len", &self.header.len())
            .field("encrypted_key_len", &self.encrypted_key.len())
            .field("iv_len", &self.iv.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .field("tag_len", &self.tag.len())
            .finish()
    }
}

/// Splits a compact JWE into its five parts, without decoding them:
/// [`Error::TooLarge`] over [`MAX_COMPACT`], [`Error::Malformed`] unless
/// there are exactly five.
///
/// ```
/// use fapi_core::{Error, jwe};
/// assert_eq!(jwe::split(b"a.b.c.d.e")?.iv, b"c");
/// assert_eq!(jwe::split(b"a.b.c").err(), Some(Error::Malformed));
/// # Ok::<(), Error>(())
/// ```
pub fn split(compact: &[u8]) -> Result<Parts<'_>, Error> {
    if compact.len() > MAX_COMPACT {
        return Err(Error::TooLarge);
    }
    let mut it = compact.split(|c| *c == b'.');
    let (Some(header), Some(encrypted_key), Some(iv), Some(ciphertext), Some(tag), None) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err(Error::Malformed);
    };
    Ok(Parts {
        header,
        encrypted_key,
        iv,
        ciphertext,
        tag,
    })
}

/// The buffer size [`decrypt`] needs at most for a compact JWE of
/// `compact_len` bytes: the decoded header, room for its escaped strings,
/// and the decoded ciphertext.
///
/// ```
/// assert_eq!(fapi_core::jwe::decrypt_buf_len(1000), 1500);
/// ```
#[must_use]
pub const fn decrypt_buf_len(compact_len: usize) -> usize {
    compact_len.saturating_mul(3) / 2
}

/// Reads and checks the protected header (everything but the key): the
/// checks [`decrypt`] makes before it touches the key, in the same order.
/// `buf` receives the decoded header and its escaped strings; the rest of it
/// is returned.
pub fn read_header<'b>(
    parts: &Parts<'_>,
    policy: &Policy<'_>,
    buf: &'b mut [u8],
) -> Result<(Header<'b>, &'b mut [u8]), Error> {
    let header_len = b64::decoded_len(parts.header.len()).ok_or(Error::Base64)?;
    if header_len > MAX_HEADER {
        return Err(Error::TooLarge);
    }
    let (head_buf, rest) = buf
        .split_at_mut_checked(header_len)
        .ok_or(Error::BufferTooSmall)?;
    // The header travels in the clear: table-lookup decode.
    let decoded = b64::decode_mut_vartime(parts.header, head_buf)?;
    let len = json::normalize_escapes(decoded);
    let head: &'b [u8] = decoded.get(..len).ok_or(Error::Json)?;
    // RFC 7516 §5.2 step 5 (and RFC 8725 §3.4): one JSON object, duplicate
    // members refused.
    json::check(head)?;
    let need = json::scratch_len(head)?;
    let (scratch, rest) = rest
        .split_at_mut_checked(need)
        .ok_or(Error::BufferTooSmall)?;
    let m: HeaderMembers<'b> = json::parse_checked_in(head, scratch)?;

    // RFC 7518 §4.3 only: RSA1_5 and dir are refused here.
    let alg = KeyAlg::from_name(m.alg.ok_or(Error::UnsupportedAlg)?)?;
    // RFC 7518 §5.2, §5.3 only.
    let enc = ContentEnc::from_name(m.enc.ok_or(Error::UnsupportedEnc)?)?;
    // OFB-ALG, CDR-ALG: the profile's `jwe_algs` and `jwe_encs`.
    policy.check(alg, enc)?;
    // RFC 7516 §4.1.3: no compression.
    if m.zip.is_some() {
        return Err(Error::Compressed);
    }
    // RFC 7516 §4.1.13 (RFC 7515 §4.1.11): no extension is understood.
    if m.crit.is_some() {
        return Err(Error::UnsupportedCrit);
    }
    // RFC 7519 §5.2, RFC 7515 §4.1.10: a nested JWT says `cty: JWT`
    // (case-insensitively, `application/` optional).
    if policy.nested_jwt && !m.cty.is_some_and(|c| typ_matches(c, "JWT")) {
        return Err(Error::NotNestedJwt);
    }
    Ok((
        Header {
            alg,
            enc,
            kid: m.kid,
            typ: m.typ,
            cty: m.cty,
        },
        rest,
    ))
}

/// Decrypts `compact` with `key` under `policy`.
///
/// `buf` receives the decoded header and the plaintext, which the result
/// borrows ([`decrypt_buf_len`] always suffices); `random` supplies the
/// CEK that stands in for one that does not unwrap.
///
/// ```
/// use fapi_core::{Error, jwe::{self, KeyAlg, KeyDecrypter, Policy}, Random};
/// # struct Hsm;
/// # impl KeyDecrypter for Hsm {
/// #     fn algs(&self) -> &[KeyAlg] { &KeyAlg::ALL }
/// #     fn key_id(&self) -> Option<&str> { None }
/// #     fn modulus_len(&self) -> usize { 256 }
/// #     fn unwrap_key(&self, _: KeyAlg, _: &[u8], _: &mut [u8]) -> Result<usize, Error> {
/// #         Err(Error::DecryptionFailed)
/// #     }
/// # }
/// # struct Rng;
/// # impl Random for Rng { fn fill(&self, d: &mut [u8]) -> Result<(), Error> { d.fill(7); Ok(()) } }
/// // {"alg":"RSA1_5","enc":"A128GCM"}: refused before the key is used.
/// let compact = b"eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4R0NNIn0.AA.AA.AA.AA";
/// let mut buf = [0u8; 256];
/// let err = jwe::decrypt(compact, &Policy::ALL, &Hsm, &Rng, &mut buf).unwrap_err();
/// assert_eq!(err, Error::UnsupportedAlg);
/// ```
pub fn decrypt<'b, K: KeyDecrypter + ?Sized, R: Random + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    key: &K,
    random: &R,
    buf: &'b mut [u8],
) -> Result<Decrypted<'b>, Error> {
    let parts = split(compact)?;
    let (header, rest) = read_header(&parts, policy, buf)?;
    if !key.algs().contains(&header.alg) {
        return Err(Error::KeyAlgMismatch);
    }
    if let (Some(want), Some(have)) = (header.kid, key.key_id())
        && want != have
    {
        return Err(Error::KeyNotFound);
    }
    let enc = header.enc;

    // RFC 7518 §4.3: the encrypted key is one RSA block, as long as the
    // modulus (and at least 2048 bits). Public values: table-lookup decode.
    let modulus_len = key.modulus_len();
    if modulus_len < MIN_MODULUS_LEN {
        return Err(Error::WeakKey);
    }
    let mut ek_buf = [0u8; MAX_ENCRYPTED_KEY];
    let encrypted_key = match b64::decode_vartime(parts.encrypted_key, &mut ek_buf) {
        Ok(ek) if ek.len() == modulus_len => ek,
        Ok(_) | Err(Error::BufferTooSmall) => return Err(Error::JweLength),
        Err(e) => return Err(e),
    };
    // RFC 7518 §5.2.2.1, §5.3: 128-bit IV for CBC, 96-bit for GCM; the tag
    // is T_LEN (§5.2.3, §5.2.5) or 128 bits.
    let mut iv_buf = [0u8; 16];
    let iv = decode_exact(parts.iv, &mut iv_buf, enc.iv_len())?;
    let mut tag_buf = [0u8; 32];
    let tag = decode_exact(parts.tag, &mut tag_buf, enc.tag_len())?;

    let ct_len = b64::decoded_len(parts.ciphertext.len()).ok_or(Error::Base64)?;
    let (ct_buf, _) = rest
        .split_at_mut_checked(ct_len)
        .ok_or(Error::BufferTooSmall)?;
    let ciphertext = b64::decode_mut_vartime(parts.ciphertext, ct_buf)?;

    // RFC 7516 §11.5 and RFC 3218 §2.3.2: a random CEK is drawn first, on
    // every call; when the key does not unwrap (or unwraps to the wrong
    // length) decryption goes on with it and fails on the tag.
    let cek_len = enc.cek_len();
    let mut fallback = SecretBytes::<MAX_CEK>::zeroed();
    random.fill(
        fallback
            .expose_mut()
            .get_mut(..cek_len)
            .ok_or(Error::JweLength)?,
    )?;
    let mut cek = SecretBytes::<MAX_CEK>::zeroed();
    let unwrapped = match key.unwrap_key(header.alg, encrypted_key, cek.expose_mut()) {
        Ok(n) => n.ct_eq(&cek_len),
        Err(Error::DecryptionFailed) => Choice::from(0),
        Err(e) => return Err(e),
    };
    for (c, f) in cek.expose_mut().iter_mut().zip(fallback.expose()) {
        *c = u8::conditional_select(f, c, unwrapped);
    }
    let cek = cek.expose().get(..cek_len).ok_or(Error::DecryptionFailed)?;

    let opened = open(enc, cek, iv, parts.header, ciphertext, tag);
    match opened {
        Ok(n) if bool::from(unwrapped) => {
            let (plaintext, _) = ciphertext
                .split_at_mut_checked(n)
                .ok_or(Error::DecryptionFailed)?;
            Ok(Decrypted { header, plaintext })
        }
        _ => {
            ciphertext.zeroize();
            Err(Error::DecryptionFailed)
        }
    }
}

fn decode_exact<'b>(src: &[u8], buf: &'b mut [u8], len: usize) -> Result<&'b [u8], Error> {
    match b64::decode_vartime(src, buf) {
        Ok(v) if v.len() == len => Ok(v),
        Ok(_) | Err(Error::BufferTooSmall) => Err(Error::JweLength),
        Err(e) => Err(e),
    }
}

type HmacSha256 = Hmac<Sha256>;
type HmacSha512 = Hmac<Sha512>;

/// The content decryption of RFC 7518 §5.2.2.2 and §5.3, in place:
/// `buf` holds the ciphertext and receives the plaintext, whose length is
/// returned. `aad` is the JWE's AAD (the encoded protected header).
///
/// Any failure (a CEK of the wrong length, a tag that does not match, bad
/// CBC padding, a CBC ciphertext that is not whole blocks) is
/// [`Error::DecryptionFailed`]; an IV or tag of the wrong length is
/// [`Error::JweLength`].
///
/// ```
/// use fapi_core::{Error, jwe::{self, ContentEnc}};
/// let (cek, iv) = ([1u8; 16], [2u8; 12]);
/// let mut buf = *b"hello";
/// let mut tag = [0u8; 16];
/// jwe::seal(ContentEnc::A128Gcm, &cek, &iv, b"aad", &mut buf, 5, &mut tag)?;
/// let n = jwe::open(ContentEnc::A128Gcm, &cek, &iv, b"aad", &mut buf, &tag)?;
/// assert_eq!(&buf[..n], b"hello");
/// tag[0] ^= 1;
/// assert_eq!(jwe::open(ContentEnc::A128Gcm, &cek, &iv, b"aad", &mut buf, &tag), Err(Error::DecryptionFailed));
/// # Ok::<(), Error>(())
/// ```
pub fn open(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8],
) -> Result<usize, Error> {
    if iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return Err(Error::JweLength);
    }
    if cek.len() != enc.cek_len() {
        return Err(Error::DecryptionFailed);
    }
    match enc {
        ContentEnc::A128Gcm => gcm_open::<Aes128Gcm>(cek, iv, aad, buf, tag),
        ContentEnc::A256Gcm => gcm_open::<Aes256Gcm>(cek, iv, aad, buf, tag),
        ContentEnc::A128CbcHs256 => {
            cbc_open::<HmacSha256, cbc::Decryptor<aes::Aes128>>(cek, iv, aad, buf, tag)
        }
        ContentEnc::A256CbcHs512 => {
            cbc_open::<HmacSha512, cbc::Decryptor<aes::Aes256>>(cek, iv, aad, buf, tag)
        }
    }
}

/// The content encryption of RFC 7518 §5.2.2.1 and §5.3, in place: `buf`
/// holds `len` bytes of plaintext and receives the ciphertext (for CBC,
/// [`ContentEnc::ciphertext_len`] bytes: `buf` must have room for the
/// padding), whose length is returned; the tag goes to the start of `tag`.
/// The caller draws a fresh CEK and IV per message.
///
/// ```
/// use fapi_core::jwe::{self, ContentEnc};
/// let mut buf = [0u8; 16];
/// buf[..2].copy_from_slice(b"hi");
/// let mut tag = [0u8; 16];
/// let n = jwe::seal(ContentEnc::A128CbcHs256, &[3; 32], &[4; 16], b"", &mut buf, 2, &mut tag)?;
/// assert_eq!(n, 16);
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn seal(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    len: usize,
    tag: &mut [u8],
) -> Result<usize, Error> {
    if iv.len() != enc.iv_len() || cek.len() != enc.cek_len() {
        return Err(Error::JweLength);
    }
    let tag = tag.get_mut(..enc.tag_len()).ok_or(Error::BufferTooSmall)?;
    match enc {
        ContentEnc::A128Gcm => gcm_seal::<Aes128Gcm>(cek, iv, aad, buf, len, tag),
        ContentEnc::A256Gcm => gcm_seal::<Aes256Gcm>(cek, iv, aad, buf, len, tag),
        ContentEnc::A128CbcHs256 => {
            cbc_seal::<HmacSha256, cbc::Encryptor<aes::Aes128>>(cek, iv, aad, buf, len, tag)
        }
        ContentEnc::A256CbcHs512 => {
            cbc_seal::<HmacSha512, cbc::Encryptor<aes::Aes256>>(cek, iv, aad, buf, len, tag)
        }
    }
}

fn gcm_open<A: AeadInOut + KeyInit>(
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8],
) -> Result<usize, Error> {
    let cipher = A::new_from_slice(cek).map_err(|_| Error::DecryptionFailed)?;
    let nonce = aes_gcm::aead::Nonce::<A>::try_from(iv).map_err(|_| Error::JweLength)?;
    let tag = aes_gcm::aead::Tag::<A>::try_from(tag).map_err(|_| Error::JweLength)?;
    cipher
        .decrypt_inout_detached(&nonce, aad, (&mut *buf).into(), &tag)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(buf.len())
}

fn gcm_seal<A: AeadInOut + KeyInit>(
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    len: usize,
    tag_out: &mut [u8],
) -> Result<usize, Error> {
    let cipher = A::new_from_slice(cek).map_err(|_| Error::JweLength)?;
    let nonce = aes_gcm::aead::Nonce::<A>::try_from(iv).map_err(|_| Error::JweLength)?;
    let msg = buf.get_mut(..len).ok_or(Error::BufferTooSmall)?;
    let tag = cipher
        .encrypt_inout_detached(&nonce, aad, msg.into())
        .map_err(|_| Error::TooLarge)?;
    if tag_out.len() != tag.len() {
        return Err(Error::JweLength);
    }
    tag_out.copy_from_slice(&tag);
    Ok(len)
}

/// RFC 7518 §5.2.2.1 steps 4–6: M = MAC(MAC_KEY, A || IV || E || AL), the
/// full MAC (the caller keeps its first T_LEN bytes).
fn cbc_mac<M: Mac + KeyInit>(
    mac_key: &[u8],
    aad: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<hmac::digest::Output<M>, Error> {
    let mut mac = <M as KeyInit>::new_from_slice(mac_key).map_err(|_| Error::DecryptionFailed)?;
    // AL: the number of bits in A, as a 64-bit big-endian integer.
    let al = u64::try_from(aad.len())
        .ok()
        .and_then(|n| n.checked_mul(8))
        .ok_or(Error::TooLarge)?;
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    mac.update(&al.to_be_bytes());
    Ok(mac.finalize().into_bytes())
}

fn cbc_open<M: Mac + KeyInit, D: KeyIvInit + BlockModeDecrypt>(
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8],
) -> Result<usize, Error> {
    // RFC 7518 §5.2.2.1 step 1: MAC_KEY is the first half of the key,
    // ENC_KEY the second.
    let (mac_key, enc_key) = cek
        .split_at_checked(cek.len() / 2)
        .ok_or(Error::DecryptionFailed)?;
    // §5.2.2.2: the tag is checked first, in constant time; the padding
    // is read only for an authentic ciphertext.
    let mut full = cbc_mac::<M>(mac_key, aad, iv, buf)?;
    let ok = full
        .get(..tag.len())
        .is_some_and(|t| bool::from(t.ct_eq(tag)));
    full.as_mut_slice().zeroize();
    if !ok || buf.is_empty() || !buf.len().is_multiple_of(16) {
        return Err(Error::DecryptionFailed);
    }
    let dec = D::new_from_slices(enc_key, iv).map_err(|_| Error::DecryptionFailed)?;
    let plaintext = dec
        .decrypt_padded::<Pkcs7>(buf)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(plaintext.len())
}

fn cbc_seal<M: Mac + KeyInit, E: KeyIvInit + BlockModeEncrypt>(
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    len: usize,
    tag_out: &mut [u8],
) -> Result<usize, Error> {
    let (mac_key, enc_key) = cek
        .split_at_checked(cek.len() / 2)
        .ok_or(Error::JweLength)?;
    let enc = E::new_from_slices(enc_key, iv).map_err(|_| Error::JweLength)?;
    let ct_len = enc
        .encrypt_padded::<Pkcs7>(buf, len)
        .map_err(|_| Error::BufferTooSmall)?
        .len();
    let ciphertext = buf.get(..ct_len).ok_or(Error::BufferTooSmall)?;
    let full = cbc_mac::<M>(mac_key, aad, iv, ciphertext)?;
    // §5.2.2.1 step 7: T is the first T_LEN octets of M.
    let t = full.get(..tag_out.len()).ok_or(Error::JweLength)?;
    tag_out.copy_from_slice(t);
    Ok(ct_len)
}

/// What a JWE's protected header says besides `kid` (which is the
/// recipient key's [`KeyEncrypter::key_id`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptParams<'a> {
    /// The key management algorithm.
    pub alg: KeyAlg,
    /// The content encryption algorithm.
    pub enc: ContentEnc,
    /// `cty`: `Some("JWT")` for a nested JWT (RFC 7519 §5.2).
    pub cty: Option<&'a str>,
    /// `typ`, when wanted.
    pub typ: Option<&'a str>,
}

impl EncryptParams<'static> {
    /// `alg` and `enc`, with no `cty` or `typ`.
    ///
    /// ```
    /// use fapi_core::jwe::{ContentEnc, EncryptParams, KeyAlg};
    /// let p = EncryptParams::new(KeyAlg::RsaOaep, ContentEnc::A256Gcm).nested_jwt();
    /// assert_eq!(p.cty, Some("JWT"));
    /// ```
    #[must_use]
    pub const fn new(alg: KeyAlg, enc: ContentEnc) -> Self {
        Self {
            alg,
            enc,
            cty: None,
            typ: None,
        }
    }

    /// The same, with `cty: "JWT"`: a nested JWT (signed, then encrypted).
    #[must_use]
    pub const fn nested_jwt(mut self) -> Self {
        self.cty = Some("JWT");
        self
    }
}

/// The output size [`encrypt`] needs at most for `plaintext_len` bytes to
/// an RSA key of `modulus_len` bytes: the compact JWE (with a header of up
/// to [`MAX_HEADER`] bytes), and room to encrypt the plaintext in before it
/// is encoded.
///
/// ```
/// assert!(fapi_core::jwe::encrypt_buf_len(100, 256) > 100 + 256);
/// ```
#[must_use]
pub const fn encrypt_buf_len(plaintext_len: usize, modulus_len: usize) -> usize {
    let ct = plaintext_len.saturating_add(16);
    b64::encoded_len(MAX_HEADER)
        .saturating_add(b64::encoded_len(modulus_len))
        .saturating_add(b64::encoded_len(16))
        .saturating_add(b64::encoded_len(ct))
        .saturating_add(b64::encoded_len(32))
        .saturating_add(4)
        .saturating_add(ct)
}

/// Encrypts `plaintext` to `key` (RFC 7516 §5.1) into `out`, returning the
/// compact JWE's length. A fresh CEK and IV are drawn from `random` for
/// each message; the `kid` is the key's.
///
/// `out` must hold the JWE and, past it, the ciphertext once more (the
/// working space it is encrypted in): [`encrypt_buf_len`] suffices.
/// The key must do `params.alg` ([`Error::KeyAlgMismatch`]) and be at least
/// 2048 bits ([`Error::WeakKey`]).
pub fn encrypt<K: KeyEncrypter + ?Sized, R: Random>(
    params: &EncryptParams<'_>,
    plaintext: &[u8],
    key: &K,
    random: &R,
    out: &mut [u8],
) -> Result<usize, Error> {
    let (alg, enc) = (params.alg, params.enc);
    if !key.algs().contains(&alg) {
        return Err(Error::KeyAlgMismatch);
    }
    if key.modulus_len() < MIN_MODULUS_LEN {
        return Err(Error::WeakKey);
    }
    let mut json_buf = [0u8; MAX_HEADER];
    let json_len = write_header(params, key.key_id(), &mut json_buf).map_err(|e| match e {
        Error::BufferTooSmall => Error::TooLarge,
        e => e,
    })?;
    let header_json = json_buf.get(..json_len).ok_or(Error::TooLarge)?;

    let ct_len = enc.ciphertext_len(plaintext.len());
    let work_at = out.len().checked_sub(ct_len).ok_or(Error::BufferTooSmall)?;
    let (front, work) = out
        .split_at_mut_checked(work_at)
        .ok_or(Error::BufferTooSmall)?;
    work.get_mut(..plaintext.len())
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(plaintext);

    let mut pos = b64::encode_vartime(header_json, front)?;
    let aad_len = pos;

    // RFC 7516 §5.1 steps 2 and 9: a fresh random CEK and IV.
    let cek_len = enc.cek_len();
    let mut cek = SecretBytes::<MAX_CEK>::zeroed();
    let cek_bytes = cek
        .expose_mut()
        .get_mut(..cek_len)
        .ok_or(Error::JweLength)?;
    random.fill(cek_bytes)?;
    let mut iv_buf = [0u8; 16];
    let iv = iv_buf.get_mut(..enc.iv_len()).ok_or(Error::JweLength)?;
    random.fill(iv)?;
    let cek_bytes = cek.expose().get(..cek_len).ok_or(Error::JweLength)?;

    let mut tag_buf = [0u8; 32];
    let tag = tag_buf.get_mut(..enc.tag_len()).ok_or(Error::JweLength)?;
    let aad = front.get(..aad_len).ok_or(Error::BufferTooSmall)?;
    let n = seal(enc, cek_bytes, iv, aad, work, plaintext.len(), tag)?;

    let mut ek_buf = [0u8; MAX_ENCRYPTED_KEY];
    let ek_len = key.wrap_key(alg, cek_bytes, random, &mut ek_buf)?;
    let ek = ek_buf.get(..ek_len).ok_or(Error::BufferTooSmall)?;

    let ciphertext = work.get(..n).ok_or(Error::BufferTooSmall)?;
    for part in [ek, &*iv, ciphertext, &*tag] {
        let dot = front.get_mut(pos).ok_or(Error::BufferTooSmall)?;
        *dot = b'.';
        pos = pos.checked_add(1).ok_or(Error::BufferTooSmall)?;
        let dst = front.get_mut(pos..).ok_or(Error::BufferTooSmall)?;
        let w = b64::encode_vartime(part, dst)?;
        pos = pos.checked_add(w).ok_or(Error::BufferTooSmall)?;
    }
    work.zeroize();
    Ok(pos)
}

fn write_header(
    params: &EncryptParams<'_>,
    kid: Option<&str>,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let mut w = Writer::new(buf);
    w.raw(b"{")?;
    w.key("alg")?;
    w.string(params.alg.name())?;
    w.raw(b",")?;
    w.key("enc")?;
    w.string(params.enc.name())?;
    for (name, value) in [("kid", kid), ("typ", params.typ), ("cty", params.cty)] {
        if let Some(v) = value {
            w.raw(b",")?;
            w.key(name)?;
            w.string(v)?;
        }
    }
    w.raw(b"}")?;
    Ok(w.len())
}
