//! Refresh tokens: 256 random bits, stored only as their SHA-256, bound to
//! the client and to the sender key (DPoP `jkt` or the certificate's
//! `x5t#S256`), and never rotated (F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE,
//! CDR-RT-NO-ROTATE): using one hands back the same token.
//!
//! CDR: a refresh token lives as long as the sharing arrangement, at most
//! one year (`profile.refresh_token_max_ttl`); a sharing duration of 0
//! means no refresh token, so a lifetime of 0 is refused.

use heapless::String;
use subtle::ConstantTimeEq;

use crate::authorize::{MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_SCOPE, MAX_SUBJECT, bounded};
use crate::code::CodeGrant;
use crate::crypto::Random;
use crate::error::Error;
use crate::jwk::Thumbprint;
use crate::profile::Profile;
use crate::store::{HANDLE_LEN, Handle, HandleStore, handle_key};

/// A refresh token as handed to the client.
pub type RefreshToken = Handle;

/// The key a token is bound to (F2-SENDER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderBinding {
    /// DPoP: the JWK thumbprint of the proof key (`cnf.jkt`).
    Dpop(Thumbprint),
    /// MTLS: SHA-256 of the client certificate (`cnf.x5t#S256`).
    Mtls([u8; 32]),
}

impl SenderBinding {
    /// Checks that `presented` is this binding: another DPoP key is
    /// [`Error::DpopKeyMismatch`], another certificate (or no certificate
    /// for a certificate-bound token) [`Error::CertificateMismatch`].
    pub fn check(&self, presented: &SenderBinding) -> Result<(), Error> {
        match (self, presented) {
            (Self::Dpop(a), Self::Dpop(b)) if bool::from(a.0.ct_eq(&b.0)) => Ok(()),
            (Self::Mtls(a), Self::Mtls(b)) if bool::from(a.ct_eq(b)) => Ok(()),
            (Self::Dpop(_), _) => Err(Error::DpopKeyMismatch),
            (Self::Mtls(_), _) => Err(Error::CertificateMismatch),
        }
    }
}

/// What a refresh token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshGrant {
    client_id: String<MAX_CLIENT_ID>,
    subject: String<MAX_SUBJECT>,
    scope: String<MAX_SCOPE>,
    consent_id: String<MAX_CONSENT_ID>,
    binding: SenderBinding,
}

impl RefreshGrant {
    /// The grant of a redeemed code, bound to `binding` (the key the token
    /// request proved).
    pub fn from_code(code: &CodeGrant, binding: SenderBinding) -> Result<Self, Error> {
        Ok(Self {
            client_id: bounded(code.client_id())?,
            subject: bounded(code.subject())?,
            scope: bounded(code.scope())?,
            consent_id: bounded(code.consent_id())?,
            binding,
        })
    }

    /// The client the token was issued to.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The user.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// The scope.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }
    /// The consent id (empty when absent).
    #[must_use]
    pub fn consent_id(&self) -> &str {
        &self.consent_id
    }
    /// The sender key.
    #[must_use]
    pub fn binding(&self) -> SenderBinding {
        self.binding
    }
}

/// F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE: a server
/// configuration that rotates refresh tokens is [`Error::ProfileViolation`].
pub fn check_rotation(profile: &Profile, rotate: bool) -> Result<(), Error> {
    if rotate && !profile.refresh_rotation {
        Err(Error::ProfileViolation)
    } else {
        Ok(())
    }
}

/// Issues a refresh token for `grant`, valid for `ttl` seconds: 0 is
/// [`Error::LifetimeTooShort`], more than `profile.refresh_token_max_ttl`
/// (one year in the CDR) [`Error::LifetimeTooLong`].
pub fn issue<S, R>(
    profile: &Profile,
    store: &S,
    rng: &R,
    grant: RefreshGrant,
    ttl: u64,
    now: u64,
) -> Result<RefreshToken, Error>
where
    S: HandleStore<RefreshGrant> + ?Sized,
    R: Random + ?Sized,
{
    if ttl == 0 {
        return Err(Error::LifetimeTooShort);
    }
    if profile.refresh_token_max_ttl.is_some_and(|max| ttl > max) {
        return Err(Error::LifetimeTooLong);
    }
    let token = Handle::generate(rng)?;
    let expires_at = now.checked_add(ttl).ok_or(Error::LifetimeTooLong)?;
    store.insert(token.key(), grant, expires_at, now)?;
    Ok(token)
}

/// A successful refresh: the grant, and the refresh token to return, which
/// is the one presented (no rotation). Its `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Refreshed<'t> {
    /// The refresh token to hand back: the same one.
    pub refresh_token: &'t str,
    /// What it stands for.
    pub grant: RefreshGrant,
}

impl core::fmt::Debug for Refreshed<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Refreshed")
            .field("refresh_token", &crate::secret::Redacted)
            .field("grant", &self.grant)
            .finish()
    }
}

/// Uses `token` at the token endpoint.
///
/// An unknown, expired or revoked token is [`Error::TokenInactive`];
/// another client [`Error::ClientMismatch`] (both answer `invalid_grant`);
/// another sender key [`Error::DpopKeyMismatch`] or
/// [`Error::CertificateMismatch`]. F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE,
/// CDR-RT-NO-ROTATE: the token stays as it is and is handed back unchanged.
pub fn redeem<'t, S>(
    store: &S,
    token: &'t str,
    client_id: &str,
    presented: &SenderBinding,
    now: u64,
) -> Result<Refreshed<'t>, Error>
where
    S: HandleStore<RefreshGrant> + ?Sized,
{
    if token.len() != HANDLE_LEN {
        return Err(Error::TokenInactive);
    }
    let grant = store.get(&handle_key(token.as_bytes()), now)?;
    if grant.client_id() != client_id {
        return Err(Error::ClientMismatch);
    }
    grant.binding.check(presented)?;
    // F2-RT-NO-ROTATE: the same handle, nothing re-issued.
    Ok(Refreshed {
        refresh_token: token,
        grant,
    })
}

/// Revokes `token` (RFC 7009). Revoking an unknown token is not an error.
pub fn revoke<S>(store: &S, token: &str) -> Result<(), Error>
where
    S: HandleStore<RefreshGrant> + ?Sized,
{
    store.remove(&handle_key(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code;
    use crate::store::FixedHandleStore;
    use crate::testing::{CounterRandom, consent};

    type Store = FixedHandleStore<RefreshGrant, 4>;
    const JKT_A: Thumbprint = Thumbprint([1; 32]);
    const JKT_B: Thumbprint = Thumbprint([2; 32]);

    fn grant(binding: SenderBinding) -> RefreshGrant {
        let codes = FixedHandleStore::<CodeGrant, 1>::new();
        let c = code::issue(
            &Profile::FAPI2,
            &codes,
            &CounterRandom::new(),
            &consent(),
            60,
            0,
        )
        .unwrap();
        let g = code::redeem(
            &codes,
            c.as_str(),
            "client-1",
            "https://client.example/cb",
            1,
            |_| Ok(()),
        )
        .unwrap();
        RefreshGrant::from_code(&g, binding).unwrap()
    }

    /// F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE: using a refresh
    /// token hands back the same token, again and again; a rotating
    /// configuration is refused.
    #[test]
    fn f2_rt_no_rotate_ofb_rt_no_rotate_cdr_rt_no_rotate() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let rt = issue(
            &Profile::CDR,
            &store,
            &rng,
            grant(SenderBinding::Dpop(JKT_A)),
            86_400,
            0,
        )
        .unwrap();
        for now in [1, 2, 3] {
            let r = redeem(
                &store,
                rt.as_str(),
                "client-1",
                &SenderBinding::Dpop(JKT_A),
                now,
            )
            .unwrap();
            assert_eq!(r.refresh_token, rt.as_str());
            assert_eq!(r.grant.subject(), "user-42");
            assert_eq!(r.grant.scope(), "accounts");
            assert_eq!(r.grant.consent_id(), "urn:bank:aac:1");
        }
        for p in [Profile::FAPI2, Profile::OFB, Profile::CDR] {
            assert_eq!(
                check_rotation(&p, true),
                Err(Error::ProfileViolation),
                "{}",
                p.name
            );
            assert_eq!(check_rotation(&p, false), Ok(()));
        }
    }

    /// Bound to the client (another client: invalid_grant) and the sender
    /// key (DpopKeyMismatch, CertificateMismatch).
    #[test]
    fn bound_to_client_and_sender_key() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let rt = issue(
            &Profile::FAPI2,
            &store,
            &rng,
            grant(SenderBinding::Dpop(JKT_A)),
            3600,
            0,
        )
        .unwrap();
        let other = redeem(
            &store,
            rt.as_str(),
            "client-2",
            &SenderBinding::Dpop(JKT_A),
            1,
        );
        assert_eq!(other, Err(Error::ClientMismatch));
        assert_eq!(
            Error::ClientMismatch
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
        assert_eq!(
            redeem(
                &store,
                rt.as_str(),
                "client-1",
                &SenderBinding::Dpop(JKT_B),
                1
            ),
            Err(Error::DpopKeyMismatch)
        );
        assert_eq!(
            redeem(
                &store,
                rt.as_str(),
                "client-1",
                &SenderBinding::Mtls([1; 32]),
                1
            ),
            Err(Error::DpopKeyMismatch)
        );

        let rt = issue(
            &Profile::CDR,
            &store,
            &rng,
            grant(SenderBinding::Mtls([7; 32])),
            3600,
            0,
        )
        .unwrap();
        assert_eq!(
            redeem(
                &store,
                rt.as_str(),
                "client-1",
                &SenderBinding::Mtls([8; 32]),
                1
            ),
            Err(Error::CertificateMismatch)
        );
        assert_eq!(
            redeem(
                &store,
                rt.as_str(),
                "client-1",
                &SenderBinding::Dpop(JKT_A),
                1
            ),
            Err(Error::CertificateMismatch)
        );
        assert!(
            redeem(
                &store,
                rt.as_str(),
                "client-1",
                &SenderBinding::Mtls([7; 32]),
                1
            )
            .is_ok()
        );
    }

    /// CDR: refresh tokens live at most one year; 0 means none.
    #[test]
    fn lifetimes_expiry_and_revocation() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let g = grant(SenderBinding::Dpop(JKT_A));
        assert_eq!(
            issue(
                &Profile::CDR,
                &store,
                &rng,
                g.clone(),
                crate::profile::ONE_YEAR + 1,
                0
            )
            .map(|_| ()),
            Err(Error::LifetimeTooLong)
        );
        assert_eq!(
            issue(&Profile::CDR, &store, &rng, g.clone(), 0, 0).map(|_| ()),
            Err(Error::LifetimeTooShort)
        );
        let rt = issue(&Profile::CDR, &store, &rng, g, crate::profile::ONE_YEAR, 0).unwrap();
        let b = SenderBinding::Dpop(JKT_A);
        assert_eq!(
            redeem(
                &store,
                rt.as_str(),
                "client-1",
                &b,
                crate::profile::ONE_YEAR
            )
            .map(|_| ()),
            Err(Error::TokenInactive)
        );
        let rt = issue(&Profile::FAPI2, &store, &rng, grant(b), 100, 0).unwrap();
        revoke(&store, rt.as_str()).unwrap();
        assert_eq!(
            redeem(&store, rt.as_str(), "client-1", &b, 1).map(|_| ()),
            Err(Error::TokenInactive)
        );
        assert_eq!(
            redeem(&store, "x", "client-1", &b, 1).map(|_| ()),
            Err(Error::TokenInactive)
        );
    }

    /// The refresh token handed back is a live credential: `Refreshed`
    /// prints the grant, never the token (nor any 8-character piece of it).
    #[test]
    fn debug_never_shows_the_refresh_token() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let rt = issue(
            &Profile::FAPI2,
            &store,
            &rng,
            grant(SenderBinding::Dpop(JKT_A)),
            3600,
            0,
        )
        .unwrap();
        let r = redeem(
            &store,
            rt.as_str(),
            "client-1",
            &SenderBinding::Dpop(JKT_A),
            1,
        )
        .unwrap();
        let token = rt.as_str();
        for text in [
            std::format!("{r:?}"),
            std::format!("{r:#?}"),
            std::format!("{:?}", Some(&r)),
        ] {
            for start in 0..=token.len() - 8 {
                let piece = token.get(start..start + 8).unwrap();
                assert!(!text.contains(piece), "{text} shows {piece}");
            }
            assert!(text.contains("[redacted]"), "{text}");
            assert!(text.contains("user-42"), "the grant still shows: {text}");
        }
    }
}
