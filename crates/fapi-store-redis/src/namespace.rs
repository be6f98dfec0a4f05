//! Redis keys: `fapi:<issuer>:<kind>:<key>`, where `<issuer>` is the first
//! 16 hex digits of the SHA-256 of the issuer URL (one Redis serves several
//! issuers without their entries meeting) and `<key>` the 64 hex digits of
//! the [`HandleKey`] (the SHA-256 of the handle or identifier: Redis never
//! holds a usable code, request URI or token).

use fapi_core::store::HandleKey;
use sha2::{Digest, Sha256};

/// What a store holds; names the third part of its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One-time identifiers (DPoP and client assertion `jti`s).
    Replay,
    /// Authorization codes.
    Code,
    /// Pushed authorization requests.
    Request,
    /// Refresh token records.
    Refresh,
    /// Consents (account access, payment).
    Consent,
    /// Login and consent transactions of the user's pages.
    Transaction,
    /// Revoked grants (the tokens of a redeemed code).
    Revocation,
}

impl Kind {
    /// The name in the key.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Replay => "replay",
            Self::Code => "code",
            Self::Request => "request",
            Self::Refresh => "refresh",
            Self::Consent => "consent",
            Self::Transaction => "txn",
            Self::Revocation => "revoked",
        }
    }
}

/// The key prefix of one issuer and kind: `fapi:<issuer>:<kind>:`.
///
/// ```
/// use fapi_store_redis::namespace::{Kind, Namespace};
/// let n = Namespace::new("https://as.example", Kind::Code);
/// let key = n.key(&[0xab; 32]);
/// assert!(key.starts_with("fapi:"));
/// assert!(key.ends_with(&format!(":code:{}", "ab".repeat(32))));
/// assert_eq!(key.len(), "fapi:".len() + 16 + ":code:".len() + 64);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    prefix: String,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

impl Namespace {
    /// The namespace of `kind` for `issuer`.
    #[must_use]
    pub fn new(issuer: &str, kind: Kind) -> Self {
        let digest = Sha256::digest(issuer.as_bytes());
        let mut prefix = String::from("fapi:");
        push_hex(&mut prefix, &digest[..8]);
        prefix.push(':');
        prefix.push_str(kind.name());
        prefix.push(':');
        Self { prefix }
    }

    /// The Redis key of `key`.
    #[must_use]
    pub fn key(&self, key: &HandleKey) -> String {
        let mut out = String::with_capacity(self.prefix.len() + 64);
        out.push_str(&self.prefix);
        push_hex(&mut out, key);
        out
    }

    /// The prefix, `fapi:<issuer>:<kind>:`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind has keys of its own: a login transaction is never read as
    /// a code, a request or a consent.
    #[test]
    fn each_kind_has_a_key_space_of_its_own() {
        let kinds = [
            Kind::Replay,
            Kind::Code,
            Kind::Request,
            Kind::Refresh,
            Kind::Consent,
            Kind::Transaction,
            Kind::Revocation,
        ];
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(
                    Namespace::new("https://as.example", *a).key(&[1; 32]),
                    Namespace::new("https://as.example", *b).key(&[1; 32])
                );
            }
        }
        assert_eq!(Kind::Transaction.name(), "txn");
    }
}
