//! Refresh tokens: 256 random bits, stored only as their SHA-256, bound to
//! the client and to the sender key (DPoP `jkt` or the certificate's
//! `x5t#S256`), and never rotated (F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE,
//! CDR-RT-NO-ROTATE): using one hands back the same token.
//!
//! CDR: a refresh token lives more than 28 days, up to the sharing
//! duration the user approved, at most one year
//! (`profile.refresh_token_ttl`, `profile.refresh_within_sharing_duration`);
//! a sharing duration of 0, or none, means no refresh token
//! ([`allowed_lifetime`]). A lifetime of 0 is refused everywhere.

use heapless::String;
use subtle::ConstantTimeEq;

use crate::authorize::{MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_SCOPE, MAX_SUBJECT, bounded};
use crate::code::CodeGrant;
use crate::crypto::Random;
use crate::error::Error;
use crate::grant::{self, GrantId, RevokedGrant};
use crate::jwk::Thumbprint;
use crate::profile::{Profile, Seconds, SenderConstraint};
use crate::store::{HANDLE_LEN, Handle, HandleStore, handle_key};

/// A refresh token as handed to the client.
pub type RefreshToken = Handle;

/// The key a token is bound to (F2-SENDER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SenderBinding {
    /// DPoP: the JWK thumbprint of the proof key (`cnf.jkt`).
    Dpop(Thumbprint),
    /// MTLS: SHA-256 of the client certificate (`cnf.x5t#S256`).
    Mtls([u8; 32]),
}

impl SenderBinding {
    /// The sender constraint this binding is.
    #[must_use]
    pub const fn kind(&self) -> SenderConstraint {
        match self {
            Self::Dpop(_) => SenderConstraint::Dpop,
            Self::Mtls(_) => SenderConstraint::Mtls,
        }
    }

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
///
/// With the `serde` feature it is stored outside the process; deserializing
/// checks what [`RefreshGrant::from_code`] and the code grant it comes from
/// guarantee (a client, a user and a scope), see [`crate::authorize`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "stored::RefreshGrantFields")
)]
pub struct RefreshGrant {
    client_id: String<MAX_CLIENT_ID>,
    subject: String<MAX_SUBJECT>,
    scope: String<MAX_SCOPE>,
    consent_id: String<MAX_CONSENT_ID>,
    sharing_duration: Option<u64>,
    binding: SenderBinding,
    expires_at: Option<u64>,
    grant_id: Option<GrantId>,
}

impl RefreshGrant {
    /// The grant of a redeemed code, bound to `binding` (the key the token
    /// request proved), with the code's grant id
    /// ([`CodeGrant::grant_id`]).
    pub fn from_code(code: &CodeGrant, binding: SenderBinding) -> Result<Self, Error> {
        Ok(Self {
            client_id: bounded(code.client_id())?,
            subject: bounded(code.subject())?,
            scope: bounded(code.scope())?,
            consent_id: bounded(code.consent_id())?,
            sharing_duration: code.sharing_duration(),
            binding,
            expires_at: None,
            grant_id: code.grant_id(),
        })
    }

    /// The grant the token belongs to (the redeemed code's): revoking it
    /// ([`crate::grant::revoke`]) revokes the token ([`redeem`]).
    #[must_use]
    pub fn grant_id(&self) -> Option<GrantId> {
        self.grant_id
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
    /// The CDR sharing duration (seconds) of the request the code came
    /// from, if it named one.
    #[must_use]
    pub fn sharing_duration(&self) -> Option<u64> {
        self.sharing_duration
    }
    /// When the token stops being active (seconds since the epoch), set
    /// by [`issue`]; the `exp` of its introspection (RFC 7662 §2.2,
    /// CDR-INTROSPECT). `None` for a grant not yet issued, or stored
    /// before the expiry was recorded.
    #[must_use]
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }
}

/// The refresh token lifetimes `profile` allows for `grant`, or `None`
/// when no refresh token may be issued for it.
///
/// Never 0. CDR: more than 28 days, up to the sharing duration the user
/// approved, at most one year; a sharing duration of 0 or none means no
/// refresh token. A sharing duration of 28 days or less caps the refresh
/// token at exactly that duration: a token must not outlive the
/// arrangement, which takes precedence over the 28-day floor.
///
/// ```
/// use fapi_core::profile::{Profile, Seconds, ONE_YEAR};
/// // 90 days of sharing under the CDR: more than 28 days, up to 90 days.
/// let r = fapi_core::refresh::lifetime_for(&Profile::CDR, Some(90 * 86_400)).unwrap();
/// assert_eq!(r, Seconds::between(28 * 86_400 + 1, 90 * 86_400));
/// // Once-off access: no refresh token.
/// assert_eq!(fapi_core::refresh::lifetime_for(&Profile::CDR, Some(0)), None);
/// // Two years asked for: one year at most.
/// assert_eq!(fapi_core::refresh::lifetime_for(&Profile::CDR, Some(2 * ONE_YEAR)).unwrap().max, ONE_YEAR);
/// ```
#[must_use]
pub fn allowed_lifetime(profile: &Profile, grant: &RefreshGrant) -> Option<Seconds> {
    lifetime_for(profile, grant.sharing_duration)
}

/// [`allowed_lifetime`] for a sharing duration (seconds) rather than a
/// grant.
///
/// ```
/// use fapi_core::profile::{Profile, Seconds};
/// // FAPI 2.0 bounds no refresh lifetime, except that 0 is none.
/// assert_eq!(
///     fapi_core::refresh::lifetime_for(&Profile::FAPI2, None),
///     Some(Seconds::between(1, u64::MAX))
/// );
/// ```
#[must_use]
pub fn lifetime_for(profile: &Profile, sharing_duration: Option<u64>) -> Option<Seconds> {
    let range = profile.refresh_token_ttl;
    let min = range.min.max(1);
    if !profile.refresh_within_sharing_duration {
        return (min <= range.max).then_some(Seconds::between(min, range.max));
    }
    // CDR: 0 or absent means no refresh token.
    let sharing = sharing_duration.filter(|d| *d > 0)?;
    let max = range.max.min(sharing);
    Some(Seconds::between(min.min(max), max))
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

/// Issues a refresh token for `grant`, valid for `ttl` seconds.
///
/// - F2-SENDER, OB-SENDER, CDR-HOK: a grant bound by a kind of sender
///   constraint the profile does not allow (DPoP under an MTLS-only set) is
///   [`Error::SenderConstraintMissing`];
/// - the lifetime must lie in [`allowed_lifetime`]: 0, or under the CDR 28
///   days or less (while the sharing duration is longer), is
///   [`Error::LifetimeTooShort`]; more than the sharing duration or one
///   year, or any lifetime where no refresh token may be issued (a CDR
///   sharing duration of 0 or none), is [`Error::LifetimeTooLong`].
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
    // F2-SENDER, OB-SENDER, CDR-HOK: bound by a kind the profile allows.
    if !profile.sender.contains(&grant.binding.kind()) {
        return Err(Error::SenderConstraintMissing);
    }
    if ttl == 0 {
        return Err(Error::LifetimeTooShort);
    }
    // CDR: more than 28 days, up to the sharing duration, at most a year.
    let range = allowed_lifetime(profile, &grant).ok_or(Error::LifetimeTooLong)?;
    Profile::check_ttl(range, ttl)?;
    let token = Handle::generate(rng)?;
    let expires_at = now.checked_add(ttl).ok_or(Error::LifetimeTooLong)?;
    // CDR-INTROSPECT: the record knows its own expiry, for `exp`.
    let grant = RefreshGrant {
        expires_at: Some(expires_at),
        ..grant
    };
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
/// An unknown, expired or revoked token is [`Error::TokenInactive`], as is
/// a token of a revoked grant (RFC 6749 §4.1.2, RFC 9700 §4.5: its code
/// was presented again; or a revocation of the grant as a whole), read in
/// `revocations` ([`crate::grant::check_active`]); another client
/// [`Error::ClientMismatch`] (both answer `invalid_grant`); another sender
/// key [`Error::DpopKeyMismatch`] or [`Error::CertificateMismatch`].
/// F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE: the token stays as
/// it is and is handed back unchanged.
pub fn redeem<'t, S, V>(
    store: &S,
    revocations: &V,
    token: &'t str,
    client_id: &str,
    presented: &SenderBinding,
    now: u64,
) -> Result<Refreshed<'t>, Error>
where
    S: HandleStore<RefreshGrant> + ?Sized,
    V: HandleStore<RevokedGrant> + ?Sized,
{
    if token.len() != HANDLE_LEN {
        return Err(Error::TokenInactive);
    }
    let grant = store.get(&handle_key(token.as_bytes()), now)?;
    // RFC 6749 §4.1.2, RFC 9700 §4.5: nothing more from a revoked grant.
    if let Some(g) = grant.grant_id {
        grant::check_active(revocations, &g, now)?;
    }
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

#[cfg(feature = "serde")]
mod stored {
    //! The stored form of [`RefreshGrant`]: the same fields, checked on the
    //! way in ([`crate::authorize::check_stored`], a user).
    use super::{
        Error, GrantId, MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_SCOPE, MAX_SUBJECT, RefreshGrant,
        SenderBinding, String,
    };
    use crate::authorize::check_stored;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct RefreshGrantFields {
        client_id: String<MAX_CLIENT_ID>,
        subject: String<MAX_SUBJECT>,
        scope: String<MAX_SCOPE>,
        consent_id: String<MAX_CONSENT_ID>,
        sharing_duration: Option<u64>,
        binding: SenderBinding,
        // Absent in records stored before the expiry was recorded.
        #[serde(default)]
        expires_at: Option<u64>,
        #[serde(default)]
        grant_id: Option<GrantId>,
    }

    impl TryFrom<RefreshGrantFields> for RefreshGrant {
        type Error = Error;
        fn try_from(f: RefreshGrantFields) -> Result<Self, Error> {
            check_stored(&f.client_id, None, &f.scope, "")?;
            if f.subject.is_empty() {
                return Err(Error::InvalidParameter);
            }
            Ok(Self {
                client_id: f.client_id,
                subject: f.subject,
                scope: f.scope,
                consent_id: f.consent_id,
                sharing_duration: f.sharing_duration,
                binding: f.binding,
                expires_at: f.expires_at,
                grant_id: f.grant_id,
            })
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod stored_tests {
    use super::*;
    use crate::store::FixedHandleStore;
    use crate::testing::{CounterRandom, consent};

    const RETAIN: crate::code::Retention = crate::code::Retention {
        tombstone: 360,
        revocation: 3600,
    };

    #[test]
    fn stored_refresh_grant_round_trips_and_refuses_broken_values() {
        let (store, revoked, spent, rng) = (
            FixedHandleStore::<crate::code::CodeRecord, 2>::new(),
            FixedHandleStore::<RevokedGrant, 1>::new(),
            crate::store::FixedReplayCache::<1>::new(),
            CounterRandom::new(),
        );
        let code =
            crate::code::issue(&Profile::FAPI2, &store, &spent, &rng, &consent(), 60, 100).unwrap();
        let req = crate::code::Presented {
            code: code.as_str(),
            client_id: "client-1",
            redirect_uri: "https://client.example/cb",
            dpop: None,
        };
        let code = crate::code::redeem(&store, &revoked, &req, RETAIN, 101, |_| Ok(())).unwrap();
        for binding in [
            SenderBinding::Dpop(Thumbprint([3; 32])),
            SenderBinding::Mtls([4; 32]),
        ] {
            let grant = RefreshGrant::from_code(&code, binding).unwrap();
            assert!(grant.grant_id().is_some());
            let json = serde_json::to_string(&grant).unwrap();
            assert_eq!(serde_json::from_str::<RefreshGrant>(&json).unwrap(), grant);
            // A record stored before the expiry was recorded still reads.
            let old = json.replace(",\"expires_at\":null", "");
            assert_ne!(old, json);
            assert_eq!(serde_json::from_str::<RefreshGrant>(&old).unwrap(), grant);
            for (from, to) in [
                ("\"user-42\"", "\"\""),
                ("\"accounts\"", "\"\""),
                ("\"binding\"", "\"bindings\""),
            ] {
                let bad = json.replacen(from, to, 1);
                assert_ne!(bad, json, "{from}");
                assert!(serde_json::from_str::<RefreshGrant>(&bad).is_err(), "{bad}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::ConsentRecord;
    use crate::code;
    use crate::profile::{CDR_REFRESH_MIN_TTL, ONE_YEAR};
    use crate::store::FixedHandleStore;
    use crate::testing::{CounterRandom, SHARING_DURATION, consent, signed_consent};

    type Store = FixedHandleStore<RefreshGrant, 4>;
    const JKT_A: Thumbprint = Thumbprint([1; 32]);
    const JKT_B: Thumbprint = Thumbprint([2; 32]);
    const DAY: u64 = 24 * 3600;

    /// No grant revoked.
    static NONE: FixedHandleStore<RevokedGrant, 1> = FixedHandleStore::new();

    fn grant_of(profile: &Profile, record: &ConsentRecord, binding: SenderBinding) -> RefreshGrant {
        let codes = FixedHandleStore::<code::CodeRecord, 1>::new();
        let spent = crate::store::FixedReplayCache::<1>::new();
        let c = code::issue(
            profile,
            &codes,
            &spent,
            &CounterRandom::new(),
            record,
            60,
            0,
        )
        .unwrap();
        let req = code::Presented {
            code: c.as_str(),
            client_id: "client-1",
            redirect_uri: "https://client.example/cb",
            dpop: None,
        };
        let retain = code::Retention {
            tombstone: 360,
            revocation: 3600,
        };
        let g = code::redeem(&codes, &NONE, &req, retain, 1, |_| Ok(())).unwrap();
        RefreshGrant::from_code(&g, binding).unwrap()
    }

    /// A FAPI 2.0 grant (no sharing duration).
    fn grant(binding: SenderBinding) -> RefreshGrant {
        grant_of(&Profile::FAPI2, &consent(), binding)
    }

    /// A CDR grant from a signed request object with a 90-day sharing
    /// duration.
    fn cdr_grant(binding: SenderBinding) -> RefreshGrant {
        grant_of(&Profile::CDR, &signed_consent(&Profile::CDR), binding)
    }

    /// RFC 6749 §4.1.2, RFC 9700 §4.5: the refresh token of a revoked
    /// grant is refused (invalid_grant) until the revocation expires.
    #[test]
    fn rfc6749_4_1_2_refresh_token_of_a_revoked_grant_is_refused() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let revoked = FixedHandleStore::<RevokedGrant, 1>::new();
        let b = SenderBinding::Dpop(JKT_A);
        let g = grant(b);
        let id = g.grant_id().unwrap();
        let rt = issue(&Profile::FAPI2, &store, &rng, g, DAY, 0).unwrap();
        assert!(redeem(&store, &revoked, rt.as_str(), "client-1", &b, 1).is_ok());
        grant::revoke(&revoked, &id, DAY, 2).unwrap();
        let r = redeem(&store, &revoked, rt.as_str(), "client-1", &b, 3);
        assert_eq!(r.map(|_| ()), Err(Error::TokenInactive));
        assert_eq!(
            Error::TokenInactive
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
    }

    /// F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE: using a refresh
    /// token hands back the same token, again and again; a rotating
    /// configuration is refused.
    #[test]
    fn f2_rt_no_rotate_ofb_rt_no_rotate_cdr_rt_no_rotate() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let b = SenderBinding::Mtls([7; 32]);
        let rt = issue(&Profile::CDR, &store, &rng, cdr_grant(b), 60 * DAY, 0).unwrap();
        for now in [1, 2, 3] {
            let r = redeem(&store, &NONE, rt.as_str(), "client-1", &b, now).unwrap();
            assert_eq!(r.refresh_token, rt.as_str());
            assert_eq!(r.grant.subject(), "user-42");
            assert_eq!(r.grant.scope(), "accounts consent:urn:bank:aac:1");
            assert_eq!(r.grant.consent_id(), "urn:bank:aac:1");
        }
        let rt = issue(
            &Profile::FAPI2,
            &store,
            &rng,
            grant(SenderBinding::Dpop(JKT_A)),
            DAY,
            0,
        )
        .unwrap();
        let r = redeem(
            &store,
            &NONE,
            rt.as_str(),
            "client-1",
            &SenderBinding::Dpop(JKT_A),
            1,
        )
        .unwrap();
        assert_eq!(r.refresh_token, rt.as_str());
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

    /// CDR-INTROSPECT: an issued refresh token's record carries its expiry
    /// (the `exp` of its introspection), the issue time plus its lifetime;
    /// a grant not yet issued has none.
    #[test]
    fn cdr_introspect_issued_grant_records_its_expiry() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let b = SenderBinding::Mtls([7; 32]);
        assert_eq!(cdr_grant(b).expires_at(), None);
        let rt = issue(&Profile::CDR, &store, &rng, cdr_grant(b), 60 * DAY, 1_000).unwrap();
        let r = redeem(&store, &NONE, rt.as_str(), "client-1", &b, 1_001).unwrap();
        assert_eq!(r.grant.expires_at(), Some(1_000 + 60 * DAY));
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
            &NONE,
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
                &NONE,
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
                &NONE,
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
            cdr_grant(SenderBinding::Mtls([7; 32])),
            30 * DAY,
            0,
        )
        .unwrap();
        assert_eq!(
            redeem(
                &store,
                &NONE,
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
                &NONE,
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
                &NONE,
                rt.as_str(),
                "client-1",
                &SenderBinding::Mtls([7; 32]),
                1
            )
            .is_ok()
        );
    }

    /// CDR-HOK, OB-SENDER (F2-SENDER): a refresh token is bound by a kind
    /// of sender constraint the profile allows: no DPoP-bound refresh token
    /// where tokens are certificate-bound only.
    #[test]
    fn cdr_hok_refresh_token_bound_by_an_allowed_kind() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        assert_eq!(
            issue(
                &Profile::CDR,
                &store,
                &rng,
                cdr_grant(SenderBinding::Dpop(JKT_A)),
                30 * DAY,
                0
            )
            .map(|_| ()),
            Err(Error::SenderConstraintMissing)
        );
        assert_eq!(
            issue(
                &Profile::OBIE,
                &store,
                &rng,
                grant(SenderBinding::Dpop(JKT_A)),
                DAY,
                0
            )
            .map(|_| ()),
            Err(Error::SenderConstraintMissing)
        );
        assert!(
            issue(
                &Profile::FAPI2,
                &store,
                &rng,
                grant(SenderBinding::Mtls([3; 32])),
                DAY,
                0
            )
            .is_ok()
        );
    }

    /// CDR (requirements.md, specification details; sharpens
    /// CDR-RT-NO-ROTATE): a refresh token lives more than 28 days, up to the
    /// sharing duration, at most one year; a sharing duration of 0 or none
    /// means no refresh token. The minimum was not checked before.
    #[test]
    fn cdr_refresh_token_lifetime_over_28_days_up_to_sharing_duration() {
        let (store, rng) = (
            FixedHandleStore::<RefreshGrant, 16>::new(),
            CounterRandom::new(),
        );
        let b = SenderBinding::Mtls([7; 32]);
        let cdr = Profile::CDR;
        let cases = [
            (0, Err(Error::LifetimeTooShort)),
            (3600, Err(Error::LifetimeTooShort)),
            (28 * DAY, Err(Error::LifetimeTooShort)),
            (CDR_REFRESH_MIN_TTL, Ok(())),
            (60 * DAY, Ok(())),
            (SHARING_DURATION, Ok(())),
            (SHARING_DURATION + 1, Err(Error::LifetimeTooLong)),
            (ONE_YEAR + 1, Err(Error::LifetimeTooLong)),
        ];
        for (ttl, want) in cases {
            let got = issue(&cdr, &store, &rng, cdr_grant(b), ttl, 0).map(|_| ());
            assert_eq!(got, want, "ttl {ttl}");
        }
        let with = |d: Option<u64>| RefreshGrant {
            sharing_duration: d,
            ..cdr_grant(b)
        };
        // A sharing duration beyond a year: one year at most.
        assert!(issue(&cdr, &store, &rng, with(Some(2 * ONE_YEAR)), ONE_YEAR, 0).is_ok());
        assert_eq!(
            issue(
                &cdr,
                &store,
                &rng,
                with(Some(2 * ONE_YEAR)),
                ONE_YEAR + 1,
                0
            )
            .map(|_| ()),
            Err(Error::LifetimeTooLong)
        );
        // 0 or absent: once-off access, no refresh token at all.
        for d in [Some(0), None] {
            assert_eq!(allowed_lifetime(&cdr, &with(d)), None);
            assert_eq!(
                issue(&cdr, &store, &rng, with(d), CDR_REFRESH_MIN_TTL, 0).map(|_| ()),
                Err(Error::LifetimeTooLong),
                "{d:?}"
            );
        }
        // A 7-day arrangement: the token lives exactly the arrangement.
        let week = with(Some(7 * DAY));
        assert_eq!(
            allowed_lifetime(&cdr, &week),
            Some(Seconds::between(7 * DAY, 7 * DAY))
        );
        assert!(issue(&cdr, &store, &rng, week.clone(), 7 * DAY, 0).is_ok());
        assert_eq!(
            issue(&cdr, &store, &rng, week, 7 * DAY + 1, 0).map(|_| ()),
            Err(Error::LifetimeTooLong)
        );
        // Other sets: any positive lifetime, no sharing duration needed.
        assert_eq!(
            allowed_lifetime(&Profile::FAPI2, &grant(b)),
            Some(Seconds::between(1, u64::MAX))
        );
        assert_eq!(
            issue(&Profile::FAPI2, &store, &rng, grant(b), 0, 0).map(|_| ()),
            Err(Error::LifetimeTooShort)
        );
    }

    #[test]
    fn expiry_and_revocation() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let b = SenderBinding::Mtls([7; 32]);
        let rt = issue(
            &Profile::CDR,
            &store,
            &rng,
            cdr_grant(b),
            SHARING_DURATION,
            0,
        )
        .unwrap();
        assert_eq!(
            redeem(&store, &NONE, rt.as_str(), "client-1", &b, SHARING_DURATION).map(|_| ()),
            Err(Error::TokenInactive)
        );
        let rt = issue(&Profile::FAPI2, &store, &rng, grant(b), 100, 0).unwrap();
        revoke(&store, rt.as_str()).unwrap();
        assert_eq!(
            redeem(&store, &NONE, rt.as_str(), "client-1", &b, 1).map(|_| ()),
            Err(Error::TokenInactive)
        );
        assert_eq!(
            redeem(&store, &NONE, "x", "client-1", &b, 1).map(|_| ()),
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
            &NONE,
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
