//! `Content-Digest` (RFC 9530): the digest of a message's content, which an
//! RFC 9421 signature covers in place of the content itself.
//!
//! [`write()`] computes the field value for a body; [`verify`] recomputes each
//! digest a received field carries and compares in constant time. Per
//! RFC 9530 §2, algorithms fapi does not implement are ignored, but at
//! least one of `sha-256` and `sha-512` must be present
//! ([`Error::UnsupportedDigest`]); every one present must match
//! ([`Error::DigestMismatch`]).

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::sfv::{BareItem, Dictionary, Member};

/// A `Content-Digest` algorithm fapi computes (RFC 9530 §5, both
/// "standard").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// `sha-256`, the one FAPI 2.0 HTTP Signatures suggests.
    Sha256,
    /// `sha-512`.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's key in the field.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha512 => "sha-512",
        }
    }

    /// The algorithm named `key`, if fapi implements it.
    #[must_use]
    pub fn from_name(key: &str) -> Option<Self> {
        match key {
            "sha-256" => Some(Self::Sha256),
            "sha-512" => Some(Self::Sha512),
            _ => None,
        }
    }

    const fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    fn digest(self, body: &[u8], out: &mut [u8; 64]) {
        match self {
            Self::Sha256 => {
                if let Some(d) = out.get_mut(..32) {
                    d.copy_from_slice(&Sha256::digest(body));
                }
            }
            Self::Sha512 => out.copy_from_slice(&Sha512::digest(body)),
        }
    }
}

/// The longest field value [`write()`] produces: `sha-512=:` + 88 + `:`.
pub const MAX_FIELD_LEN: usize = 98;

/// Writes the `Content-Digest` field value for `body` (`sha-256=:…:`) into
/// `out`, returning its length; [`Error::BufferTooSmall`] if it does not
/// fit ([`MAX_FIELD_LEN`] always does).
///
/// ```
/// use fapi_core::content_digest::{write, DigestAlgorithm};
/// let mut out = [0u8; 98];
/// let n = write(DigestAlgorithm::Sha256, br#"{"hello": "world"}"#, &mut out)?;
/// assert_eq!(&out[..n], b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn write(alg: DigestAlgorithm, body: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let mut digest = [0u8; 64];
    alg.digest(body, &mut digest);
    let digest = digest
        .get(..alg.digest_len())
        .ok_or(Error::BufferTooSmall)?;
    let mut w = crate::sfv::Writer::new(out);
    w.push(alg.name().as_bytes())?;
    w.push(b"=:")?;
    let mut b64 = [0u8; 88];
    let text = Base64::encode(digest, &mut b64).map_err(|_| Error::BufferTooSmall)?;
    w.push(text.as_bytes())?;
    w.push(b":")?;
    Ok(w.len())
}

/// Verifies a received `Content-Digest` field value against `body`.
///
/// The field must parse strictly (RFC 8941; a key named twice is
/// [`Error::DuplicateLabel`]). Each `sha-256` or `sha-512` member must be a
/// byte sequence of the right length equal to the digest of `body`
/// (compared in constant time), else [`Error::DigestMismatch`]; other
/// algorithms are ignored, and a field with neither is
/// [`Error::UnsupportedDigest`].
pub fn verify(field: &str, body: &[u8]) -> Result<(), Error> {
    let dict = Dictionary::parse(field)?;
    let mut checked = 0usize;
    for (key, member) in dict.iter() {
        let Some(alg) = DigestAlgorithm::from_name(key) else {
            continue;
        };
        let Member::Item(BareItem::ByteSeq(b64), _) = member else {
            return Err(Error::StructuredField);
        };
        let mut received = [0u8; 64];
        let received = Base64::decode(b64, &mut received).map_err(|_| Error::DigestMismatch)?;
        let mut computed = [0u8; 64];
        alg.digest(body, &mut computed);
        let computed = computed
            .get(..alg.digest_len())
            .ok_or(Error::DigestMismatch)?;
        if received.len() != computed.len() || !bool::from(received.ct_eq(computed)) {
            return Err(Error::DigestMismatch);
        }
        checked = checked.saturating_add(1);
    }
    if checked == 0 {
        return Err(Error::UnsupportedDigest);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9530_2_unknown_only_refused() {
        assert_eq!(verify("md5=:AAAA:", b""), Err(Error::UnsupportedDigest));
    }
}
