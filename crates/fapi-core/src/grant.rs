//! Grants: what one redeemed authorization code produced (its access
//! tokens, its refresh token and the access tokens refreshed from it), and
//! their revocation.
//!
//! A grant is named by a [`GrantId`]: 128 bits derived from the code
//! ([`GrantId::of_code`]), so whoever holds the code computes it, and the
//! tombstone a redeemed code leaves ([`crate::code::CodeRecord`]) names it
//! whichever presentation wrote it. Access tokens of the grant carry it in
//! their `grant_id` claim ([`crate::token::issue_for_grant`]); its refresh
//! token record holds it ([`crate::refresh::RefreshGrant::grant_id`]).
//!
//! Revoking a grant ([`revoke`]) records its id in a store of revocations
//! until the last token it may have produced has expired; then its
//! refresh token is refused ([`crate::refresh::redeem`]) and so are its
//! access tokens wherever the resource server consults the store
//! ([`check_active`]). RFC 6749 §4.1.2 and RFC 9700 §4.5: a code presented
//! again revokes the tokens issued from its first redemption
//! ([`crate::code::redeem`]).

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::store::{HandleKey, HandleStore, handle_key};

/// Bytes in a grant id (128 bits).
pub const GRANT_ID_BYTES: usize = 16;
/// A grant id in base64url: 22 characters.
pub const GRANT_ID_LEN: usize = 22;

/// Domain of the derivation of a grant id from its code.
const DOMAIN: &[u8] = b"fapi grant id\0";

/// The id of a grant: 128 bits, written as 22 base64url characters (the
/// `grant_id` claim of its access tokens).
///
/// ```
/// use fapi_core::grant::GrantId;
/// let g = GrantId::of_code("SplxlOBeZQQYbYS6WxSbIA");
/// assert_eq!(g.as_str().len(), 22);
/// assert_eq!(GrantId::parse(g.as_str()), Ok(g));
/// // another code, another grant
/// assert_ne!(GrantId::of_code("SplxlOBeZQQYbYS6WxSbIB"), g);
/// assert!(GrantId::parse("not a grant id").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantId([u8; GRANT_ID_LEN]);

impl GrantId {
    /// The grant a redemption of `code` produces: the first 128 bits of
    /// SHA-256 over a domain string and the code. It tells nothing of the
    /// code, and is not the code's store key ([`handle_key`]).
    #[must_use]
    pub fn of_code(code: &str) -> Self {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(code.as_bytes());
        let digest: [u8; 32] = h.finalize().into();
        let mut raw = [0u8; GRANT_ID_BYTES];
        raw.copy_from_slice(digest.get(..GRANT_ID_BYTES).unwrap_or(&[0; GRANT_ID_BYTES]));
        Self::from_bytes(&raw)
    }

    fn from_bytes(raw: &[u8; GRANT_ID_BYTES]) -> Self {
        let mut out = [0u8; GRANT_ID_LEN];
        // 16 bytes are exactly 22 base64url characters.
        let _ = crate::b64::encode(raw, &mut out);
        Self(out)
    }

    /// Reads a grant id (22 base64url characters, 128 bits):
    /// [`Error::InvalidParameter`] otherwise.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let raw = crate::b64::decode_array::<GRANT_ID_BYTES>(s.as_bytes())
            .map_err(|_| Error::InvalidParameter)?;
        Ok(Self::from_bytes(&raw))
    }

    /// The id as written in tokens and logs.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only base64url characters are ever stored.
        core::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The key its revocation is stored under.
    #[must_use]
    pub fn key(&self) -> HandleKey {
        handle_key(&self.0)
    }
}

impl core::fmt::Debug for GrantId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("GrantId").field(&self.as_str()).finish()
    }
}

impl core::fmt::Display for GrantId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for GrantId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for GrantId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <heapless::String<GRANT_ID_LEN> as serde::Deserialize>::deserialize(d)?;
        Self::parse(&s).map_err(|_| serde::de::Error::custom("not a grant id"))
    }
}

/// What the store of revocations holds under a revoked grant's key: the
/// grant, and when it was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RevokedGrant {
    /// The grant.
    pub grant: GrantId,
    /// When it was revoked (seconds since the epoch).
    pub revoked_at: u64,
}

/// Revokes `grant` until `until` (the last second a token it produced may
/// be used: its longest token lifetime from now). Revoking a revoked grant
/// is not an error; a full store is [`Error::StoreFull`].
///
/// ```
/// use fapi_core::grant::{self, GrantId, RevokedGrant};
/// use fapi_core::store::FixedHandleStore;
/// let revoked = FixedHandleStore::<RevokedGrant, 4>::new();
/// let g = GrantId::of_code("the code");
/// assert_eq!(grant::check_active(&revoked, &g, 100), Ok(()));
/// grant::revoke(&revoked, &g, 400, 100)?;
/// grant::revoke(&revoked, &g, 400, 101)?;
/// assert_eq!(grant::check_active(&revoked, &g, 399), Err(fapi_core::Error::TokenInactive));
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn revoke<S>(store: &S, grant: &GrantId, until: u64, now: u64) -> Result<(), Error>
where
    S: HandleStore<RevokedGrant> + ?Sized,
{
    let value = RevokedGrant {
        grant: *grant,
        revoked_at: now,
    };
    match store.insert(grant.key(), value, until, now) {
        // Already revoked: it stays so.
        Ok(()) | Err(Error::Replay) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses a token of a revoked grant: [`Error::TokenInactive`] when
/// `grant` is revoked, the store's error when the store fails (never an
/// acceptance then).
pub fn check_active<S>(store: &S, grant: &GrantId, now: u64) -> Result<(), Error>
where
    S: HandleStore<RevokedGrant> + ?Sized,
{
    match store.get(&grant.key(), now) {
        Ok(_) => Err(Error::TokenInactive),
        Err(Error::TokenInactive) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FixedHandleStore;

    #[test]
    fn grant_ids_are_derived_from_the_code_and_not_its_key() {
        let g = GrantId::of_code("code-1");
        assert_eq!(g, GrantId::of_code("code-1"));
        assert_ne!(g, GrantId::of_code("code-2"));
        assert_eq!(g.as_str().len(), GRANT_ID_LEN);
        assert_ne!(g.key(), handle_key(b"code-1"));
        assert_eq!(GrantId::parse(g.as_str()), Ok(g));
        for bad in [
            "",
            "short",
            "AAAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA+A",
        ] {
            assert_eq!(GrantId::parse(bad), Err(Error::InvalidParameter), "{bad}");
        }
        assert_eq!(std::format!("{g}"), g.as_str());
    }

    /// RFC 6749 §4.1.2, RFC 9700 §4.5: a revoked grant is refused until
    /// its revocation expires; a store failure is never an acceptance.
    #[test]
    fn rfc6749_4_1_2_revoked_grants_are_inactive_until_the_revocation_expires() {
        let s = FixedHandleStore::<RevokedGrant, 2>::new();
        let g = GrantId::of_code("code-1");
        assert_eq!(check_active(&s, &g, 100), Ok(()));
        revoke(&s, &g, 200, 100).unwrap();
        assert_eq!(check_active(&s, &g, 150), Err(Error::TokenInactive));
        assert_eq!(
            Error::TokenInactive
                .oauth_error(crate::Site::ResourceRequest)
                .as_str(),
            "invalid_token"
        );
        assert_eq!(
            Error::TokenInactive
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
        // twice is fine
        assert_eq!(revoke(&s, &g, 300, 150), Ok(()));
        assert_eq!(check_active(&s, &g, 200), Ok(()));
        assert_eq!(revoke(&s, &g, 100, 100), Err(Error::Expired));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn stored_revocations_round_trip() {
        let r = RevokedGrant {
            grant: GrantId::of_code("c"),
            revoked_at: 7,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r.grant.as_str()));
        assert_eq!(serde_json::from_str::<RevokedGrant>(&json).unwrap(), r);
        let bad = json.replace(r.grant.as_str(), "x");
        assert!(serde_json::from_str::<RevokedGrant>(&bad).is_err());
    }
}
