//! Rows are namespaced by issuer and kind: `issuer` holds the first 8
//! bytes of the SHA-256 of the issuer URL (one database serves several
//! issuers without their entries meeting), `kind` what the store holds, and
//! `key` the [`fapi_core::store::HandleKey`] (the SHA-256 of the handle or
//! identifier: PostgreSQL never holds a usable code, request URI or token).

use sha2::{Digest, Sha256};

/// What a store holds; the `kind` column of its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The value of the `kind` column (the same names as the Redis
    /// store's key parts).
    ///
    /// ```
    /// assert_eq!(fapi_store_postgres::Kind::Transaction.name(), "txn");
    /// ```
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

/// The namespace of one issuer and kind: the `issuer` and `kind` columns.
///
/// ```
/// use fapi_store_postgres::{Kind, Namespace};
/// let n = Namespace::new("https://as.example", Kind::Code);
/// assert_eq!(n.issuer().len(), 8);
/// assert_eq!(n.kind(), "code");
/// assert_ne!(n.issuer(), Namespace::new("https://other.example", Kind::Code).issuer());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    issuer: [u8; 8],
    kind: Kind,
}

impl Namespace {
    /// The namespace of `kind` for `issuer`.
    #[must_use]
    pub fn new(issuer: &str, kind: Kind) -> Self {
        let digest = Sha256::digest(issuer.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Self { issuer: id, kind }
    }

    /// The `issuer` column: the first 8 bytes of the SHA-256 of the
    /// issuer URL.
    #[must_use]
    pub fn issuer(&self) -> &[u8] {
        &self.issuer
    }

    /// The `kind` column.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        self.kind.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind has rows of its own: a login transaction is never read as
    /// a code, a request or a consent.
    #[test]
    fn each_kind_has_a_name_of_its_own() {
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
            }
        }
    }
}
