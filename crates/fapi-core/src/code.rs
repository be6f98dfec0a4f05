//! Authorization codes: 256 random bits, stored only as their SHA-256
//! ([`crate::store::HandleKey`]), bound to the client, the `redirect_uri`,
//! the PKCE challenge, the DPoP key (`dpop_jkt`), the consent and the scope,
//! short-lived (F2-CODE-TTL) and redeemed at most once (F2-CODE-ONCE,
//! CDR-CODE-ONCE). [`redeem`] checks every binding itself, the DPoP key
//! included (RFC 9449 §10), against the token request's verified DPoP
//! proof.
//!
//! A redeemed code leaves a tombstone in its place ([`CodeRecord::Redeemed`])
//! naming the grant its redemption produced ([`GrantId`]): RFC 6749 §4.1.2
//! and RFC 9700 §4.5, a code presented again is refused and the tokens of
//! its first redemption are revoked ([`crate::grant::revoke`]).

use heapless::String;
use subtle::ConstantTimeEq;

use crate::authorize::{
    ConsentRecord, MAX_CHALLENGE, MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_NONCE, MAX_REDIRECT_URI,
    MAX_SCOPE, MAX_SUBJECT, bounded,
};
use crate::crypto::Random;
use crate::dpop::DpopProof;
use crate::error::Error;
use crate::grant::{self, GrantId, RevokedGrant};
use crate::jwk::Thumbprint;
use crate::profile::Profile;
use crate::store::{HANDLE_LEN, Handle, HandleStore, ReplayCache, handle_key};

/// An authorization code as handed to the client.
pub type AuthorizationCode = Handle;

/// What a code stands for: the approved request and the user who approved.
///
/// With the `serde` feature it is stored outside the process; deserializing
/// checks what [`issue`] guarantees (see
/// [`crate::authorize::AuthorizationParams`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "stored::CodeGrantFields")
)]
pub struct CodeGrant {
    client_id: String<MAX_CLIENT_ID>,
    redirect_uri: String<MAX_REDIRECT_URI>,
    scope: String<MAX_SCOPE>,
    code_challenge: String<MAX_CHALLENGE>,
    dpop_jkt: Option<Thumbprint>,
    consent_id: String<MAX_CONSENT_ID>,
    subject: String<MAX_SUBJECT>,
    sharing_duration: Option<u64>,
    nonce: String<MAX_NONCE>,
    auth_time: Option<u64>,
    // Set by `redeem`: the grant the redemption produced. Never stored.
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    grant_id: Option<GrantId>,
}

impl CodeGrant {
    /// The client the code was issued to.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The `redirect_uri` the code was sent to.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
    /// The approved scope.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }
    /// The S256 PKCE challenge (empty when the profile does not use PKCE).
    #[must_use]
    pub fn code_challenge(&self) -> &str {
        &self.code_challenge
    }
    /// The DPoP key the code is bound to (RFC 9449 §10), if any: the token
    /// request's DPoP proof must be signed by it.
    #[must_use]
    pub fn dpop_jkt(&self) -> Option<Thumbprint> {
        self.dpop_jkt
    }
    /// The consent id (empty when absent).
    #[must_use]
    pub fn consent_id(&self) -> &str {
        &self.consent_id
    }
    /// The user who approved.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// The CDR sharing duration the request asked for, in seconds: it
    /// bounds the refresh token ([`crate::refresh::issue`]).
    #[must_use]
    pub fn sharing_duration(&self) -> Option<u64> {
        self.sharing_duration
    }
    /// The request's `nonce` (empty when absent): the ID token issued for
    /// the code carries it (OpenID Connect Core §3.1.3.6).
    #[must_use]
    pub fn nonce(&self) -> &str {
        &self.nonce
    }
    /// When the user who approved authenticated (Unix seconds), if known:
    /// the ID token's `auth_time` (OpenID Connect Core §2).
    #[must_use]
    pub fn auth_time(&self) -> Option<u64> {
        self.auth_time
    }
    /// The grant the redemption of the code produced: every token issued
    /// from it names it ([`crate::token::issue_for_grant`],
    /// [`crate::refresh::RefreshGrant::from_code`]). Set by [`redeem`];
    /// `None` on a grant that was not redeemed.
    #[must_use]
    pub fn grant_id(&self) -> Option<GrantId> {
        self.grant_id
    }
}

/// What a code store holds under a code's key: the code until it is
/// presented, then its tombstone.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[allow(
    clippy::large_enum_variant,
    reason = "allocation-free by design: a tombstone takes its code's slot"
)]
pub enum CodeRecord {
    /// Issued, not yet presented: what the code stands for.
    Issued(CodeGrant),
    /// Presented once: the grant that presentation produced (RFC 6749
    /// §4.1.2: the tokens to revoke if the code is presented again).
    Redeemed(GrantId),
}

/// The tombstone a presentation of `code` leaves in the code's place:
/// [`CodeRecord::Redeemed`] with the code's [`GrantId`]. Every
/// presentation writes the same one, so the first redemption's grant is
/// named whichever presentation wrote it last.
#[must_use]
pub fn tombstone(code: &str) -> CodeRecord {
    CodeRecord::Redeemed(GrantId::of_code(code))
}

/// Issues a code for the user's `consent`, valid for `ttl` seconds.
///
/// OB-REQOBJ: where the profile requires signed requests, a consent to
/// parameters that did not come in a verified signed request object is
/// [`Error::SignedRequestRequired`] (the last gate before a code exists).
/// F2-PAR: the pushed request's `request_uri` is spent in `spent` first
/// ([`crate::par::spend`]): a second decision on one pushed request is
/// [`Error::RequestUriInvalid`], so one pushed request gives at most one
/// code. F2-CODE-TTL: a `ttl` above `profile.code_ttl` (60 s in every set)
/// is [`Error::LifetimeTooLong`], below it [`Error::LifetimeTooShort`]. The
/// code is stored only as its SHA-256; a full store is
/// [`Error::StoreFull`].
pub fn issue<S, P, R>(
    profile: &Profile,
    store: &S,
    spent: &P,
    rng: &R,
    consent: &ConsentRecord,
    ttl: u64,
    now: u64,
) -> Result<AuthorizationCode, Error>
where
    S: HandleStore<CodeRecord> + ?Sized,
    P: ReplayCache + ?Sized,
    R: Random + ?Sized,
{
    let p = consent.params();
    // OB-REQOBJ
    p.check_signed(profile)?;
    // F2-PAR, OFB-PAR, CDR-PAR: no code from a request that went around PAR.
    p.check_pushed(profile)?;
    // F2-CODE-TTL
    Profile::check_ttl(profile.code_ttl, ttl)?;
    let grant = CodeGrant {
        client_id: bounded(p.client_id())?,
        redirect_uri: bounded(p.redirect_uri())?,
        scope: bounded(p.scope())?,
        code_challenge: bounded(p.code_challenge())?,
        dpop_jkt: p.dpop_jkt(),
        consent_id: bounded(p.consent_id())?,
        subject: bounded(consent.subject())?,
        sharing_duration: p.sharing_duration(),
        // OpenID Connect Core §3.1.3.6, §2: what the ID token repeats.
        nonce: bounded(p.nonce())?,
        auth_time: consent.auth_time(),
        grant_id: None,
    };
    let code = Handle::generate(rng)?;
    let expires_at = now.checked_add(ttl).ok_or(Error::LifetimeTooLong)?;
    // F2-PAR: the request_uri gives one decision, so one code at most.
    crate::par::spend(spent, p, now)?;
    store.insert(code.key(), CodeRecord::Issued(grant), expires_at, now)?;
    Ok(code)
}

/// A token request that presents a code (RFC 6749 §4.1.3): the code, the
/// authenticated client, the `redirect_uri`, and the request's DPoP proof
/// as [`crate::dpop::verify_proof`] verified it for this request (`POST`
/// to the token endpoint), `None` without a `DPoP` header.
///
/// The proof is a [`DpopProof`], which only a verification makes: a bare
/// key thumbprint cannot be presented.
///
/// ```compile_fail,E0308
/// use fapi_core::code::Presented;
/// use fapi_core::Thumbprint;
///
/// fn unverified(jkt: &Thumbprint) -> Presented<'_> {
///     Presented { code: "c", client_id: "c1", redirect_uri: "https://c.example/cb", dpop: Some(jkt) }
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Presented<'a> {
    /// `code`.
    pub code: &'a str,
    /// The authenticated client.
    pub client_id: &'a str,
    /// `redirect_uri`.
    pub redirect_uri: &'a str,
    /// The verified DPoP proof of the token request, if it had one.
    pub dpop: Option<&'a DpopProof>,
}

/// How long [`redeem`] keeps what it learns (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// How long a presented code's tombstone is kept: at least the code's
    /// lifetime plus the access token lifetime, so that a code presented
    /// again while the first redemption's access token lives revokes it.
    pub tombstone: u64,
    /// How long a grant stays revoked once its code is presented again: at
    /// least the longest lifetime of a token issued from it (its refresh
    /// token's, where it has one).
    pub revocation: u64,
}

/// Redeems the code `req` presents, once.
///
/// F2-CODE-ONCE, CDR-CODE-ONCE: the code is swapped atomically for its
/// tombstone ([`tombstone`], kept `retention.tombstone` seconds), so of two
/// concurrent redemptions one gets the grant. An unknown or expired code
/// (F2-CODE-TTL) is [`Error::CodeInvalid`]; so is a code presented again,
/// and then (RFC 6749 §4.1.2, RFC 9700 §4.5) the grant its first
/// presentation produced is revoked in `revocations` for
/// `retention.revocation` seconds ([`crate::grant::revoke`]): its access
/// and refresh tokens stop working. The code is spent by any redemption
/// attempt, also a failing one. Then: another client is
/// [`Error::ClientMismatch`], another `redirect_uri`
/// [`Error::RedirectMismatch`]; RFC 9449 §10: a code bound to a DPoP key
/// (`dpop_jkt`, or the PAR request's DPoP proof) redeemed without a proof
/// is [`Error::DpopMissing`] (`invalid_dpop_proof`), with a proof of
/// another key [`Error::DpopKeyMismatch`]; a proof verified for another
/// method than `POST` is [`Error::DpopMethod`]; last, `verify_pkce` is
/// called with the bound challenge (the PKCE check itself lives with the
/// verifier; its error is returned as it is). The others answer
/// `invalid_grant`.
///
/// The grant returned names the grant id its tokens are to carry
/// ([`CodeGrant::grant_id`]).
pub fn redeem<S, V, F>(
    store: &S,
    revocations: &V,
    req: &Presented<'_>,
    retention: Retention,
    now: u64,
    verify_pkce: F,
) -> Result<CodeGrant, Error>
where
    S: HandleStore<CodeRecord> + ?Sized,
    V: HandleStore<RevokedGrant> + ?Sized,
    F: FnOnce(&str) -> Result<(), Error>,
{
    let code = req.code;
    if code.len() != HANDLE_LEN {
        return Err(Error::CodeInvalid);
    }
    let tombstone_until = now
        .checked_add(retention.tombstone)
        .ok_or(Error::LifetimeTooLong)?;
    // F2-CODE-ONCE, CDR-CODE-ONCE: one atomic swap for the tombstone.
    let taken = store.replace(
        &handle_key(code.as_bytes()),
        tombstone(code),
        tombstone_until,
        now,
    );
    let mut grant = match taken {
        Ok(CodeRecord::Issued(grant)) => grant,
        Ok(CodeRecord::Redeemed(first)) => {
            // RFC 6749 §4.1.2, RFC 9700 §4.5: the code again; the tokens
            // of its first redemption are revoked.
            let until = now
                .checked_add(retention.revocation)
                .ok_or(Error::LifetimeTooLong)?;
            grant::revoke(revocations, &first, until, now)?;
            return Err(Error::CodeInvalid);
        }
        Err(Error::TokenInactive) => return Err(Error::CodeInvalid),
        Err(e) => return Err(e),
    };
    if grant.client_id() != req.client_id {
        return Err(Error::ClientMismatch);
    }
    if grant.redirect_uri() != req.redirect_uri {
        return Err(Error::RedirectMismatch);
    }
    // RFC 9449 §4.3 step 8: a proof verified for the token request, a POST.
    if req.dpop.is_some_and(|p| p.htm() != "POST") {
        return Err(Error::DpopMethod);
    }
    // RFC 9449 §10: the proof's key is the key the code is bound to.
    match (grant.dpop_jkt, req.dpop) {
        (None, _) => {}
        (Some(_), None) => return Err(Error::DpopMissing),
        (Some(bound), Some(proof)) if bool::from(bound.0.ct_eq(&proof.jkt.0)) => {}
        (Some(_), Some(_)) => return Err(Error::DpopKeyMismatch),
    }
    verify_pkce(grant.code_challenge())?;
    grant.grant_id = Some(GrantId::of_code(code));
    Ok(grant)
}

#[cfg(feature = "serde")]
mod stored {
    //! The stored form of [`CodeGrant`]: the same fields, checked on the
    //! way in with the rules [`super::issue`] relies on
    //! ([`crate::authorize::check_stored`]) and a user who approved.
    use super::{
        CodeGrant, Error, MAX_CHALLENGE, MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_NONCE,
        MAX_REDIRECT_URI, MAX_SCOPE, MAX_SUBJECT, String, Thumbprint,
    };
    use crate::authorize::check_stored;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct CodeGrantFields {
        client_id: String<MAX_CLIENT_ID>,
        redirect_uri: String<MAX_REDIRECT_URI>,
        scope: String<MAX_SCOPE>,
        code_challenge: String<MAX_CHALLENGE>,
        dpop_jkt: Option<Thumbprint>,
        consent_id: String<MAX_CONSENT_ID>,
        subject: String<MAX_SUBJECT>,
        sharing_duration: Option<u64>,
        // Absent in codes stored before OpenID Connect.
        #[serde(default)]
        nonce: String<MAX_NONCE>,
        #[serde(default)]
        auth_time: Option<u64>,
    }

    impl TryFrom<CodeGrantFields> for CodeGrant {
        type Error = Error;
        fn try_from(f: CodeGrantFields) -> Result<Self, Error> {
            check_stored(
                &f.client_id,
                Some(&f.redirect_uri),
                &f.scope,
                &f.code_challenge,
            )?;
            // F2-AS-INFO: a code exists only for a user's approval.
            if f.subject.is_empty() {
                return Err(Error::InvalidParameter);
            }
            Ok(Self {
                client_id: f.client_id,
                redirect_uri: f.redirect_uri,
                scope: f.scope,
                code_challenge: f.code_challenge,
                dpop_jkt: f.dpop_jkt,
                consent_id: f.consent_id,
                subject: f.subject,
                sharing_duration: f.sharing_duration,
                // OpenID Connect Core §3.1.2.1: the nonce's length, again.
                nonce: crate::authorize::check_nonce(Some(&f.nonce))?,
                auth_time: f.auth_time,
                grant_id: None,
            })
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod stored_tests {
    use super::*;
    use crate::store::{FixedHandleStore, FixedReplayCache};
    use crate::testing::{CounterRandom, consent};

    /// OpenID Connect Core §3.1.3.6 and §2: the request's `nonce` and the
    /// user's `auth_time` go with the code to the token endpoint, through
    /// a network store too.
    #[test]
    fn oidc_core_3_1_3_6_code_carries_nonce_and_auth_time() {
        use crate::authorize::{AuthorizationParams, AuthorizationRequest, ConsentPrompt};
        let (store, spent, rng) = (
            FixedHandleStore::<CodeRecord, 2>::new(),
            FixedReplayCache::<2>::new(),
            CounterRandom::new(),
        );
        let r = AuthorizationRequest {
            nonce: Some("n-42"),
            ..crate::testing::request()
        };
        let mut p = AuthorizationParams::from_request(&Profile::FAPI2, &r).unwrap();
        p.set_pushed_request(crate::testing::pushed_request());
        p.mark_pushed();
        let consent = ConsentPrompt::new("Example Money", p)
            .unwrap()
            .approve_at("user-42", 1_700_000_000)
            .unwrap();
        let code = issue(&Profile::FAPI2, &store, &spent, &rng, &consent, 60, 100).unwrap();
        let CodeRecord::Issued(grant) = store.take(&code.key(), 101).unwrap() else {
            panic!("not issued")
        };
        assert_eq!(grant.nonce(), "n-42");
        assert_eq!(grant.auth_time(), Some(1_700_000_000));
        let json = serde_json::to_string(&grant).unwrap();
        let back: CodeGrant = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (back.nonce(), back.auth_time()),
            ("n-42", Some(1_700_000_000))
        );
        // A code stored before: no nonce, no auth_time.
        let old = json.replacen(",\"nonce\":\"n-42\"", "", 1).replacen(
            ",\"auth_time\":1700000000",
            "",
            1,
        );
        assert!(
            !old.contains("nonce") && !old.contains("auth_time"),
            "{old}"
        );
        let old: CodeGrant = serde_json::from_str(&old).unwrap();
        assert_eq!((old.nonce(), old.auth_time()), ("", None));
    }

    #[test]
    fn stored_code_grant_round_trips_and_refuses_broken_values() {
        let (store, spent, rng) = (
            FixedHandleStore::<CodeRecord, 2>::new(),
            FixedReplayCache::<2>::new(),
            CounterRandom::new(),
        );
        let code = issue(&Profile::FAPI2, &store, &spent, &rng, &consent(), 60, 100).unwrap();
        let record = store.take(&code.key(), 101).unwrap();
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<CodeRecord>(&json).unwrap(), record);
        let CodeRecord::Issued(grant) = &record else {
            panic!("{record:?}")
        };
        let json = serde_json::to_string(grant).unwrap();
        assert_eq!(&serde_json::from_str::<CodeGrant>(&json).unwrap(), grant);
        for (from, to) in [
            ("\"user-42\"", "\"\""),
            ("https://", "http://"),
            ("\"client-1\"", "\"\""),
            ("\"subject\"", "\"subjekt\""),
        ] {
            let bad = json.replacen(from, to, 1);
            assert_ne!(bad, json, "{from}");
            assert!(serde_json::from_str::<CodeGrant>(&bad).is_err(), "{bad}");
        }
        // the tombstone names the grant
        let t = tombstone(code.as_str());
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.contains(GrantId::of_code(code.as_str()).as_str()),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<CodeRecord>(&json).unwrap(), t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::{AuthorizationParams, AuthorizationRequest, ConsentPrompt};
    use crate::store::{FixedHandleStore, FixedReplayCache};
    use crate::testing::{
        CHALLENGE, CounterRandom, FailingRandom, SHARING_DURATION, consent, request, signed_consent,
    };

    const REDIRECT: &str = "https://client.example/cb";
    const TOKEN: &str = "https://as.example/token";
    const RETAIN: Retention = Retention {
        tombstone: 360,
        revocation: 3600,
    };

    /// A code store, its revocations, the spent request URIs and a source.
    struct Env {
        codes: FixedHandleStore<CodeRecord, 8>,
        revoked: FixedHandleStore<RevokedGrant, 4>,
        spent: FixedReplayCache<64>,
        rng: CounterRandom,
    }

    impl Env {
        fn new() -> Self {
            Self {
                codes: FixedHandleStore::new(),
                revoked: FixedHandleStore::new(),
                spent: FixedReplayCache::new(),
                rng: CounterRandom::new(),
            }
        }

        fn issue(
            &self,
            p: &Profile,
            record: &ConsentRecord,
            ttl: u64,
            now: u64,
        ) -> Result<AuthorizationCode, Error> {
            issue(p, &self.codes, &self.spent, &self.rng, record, ttl, now)
        }

        fn redeem(
            &self,
            req: &Presented<'_>,
            now: u64,
            pkce: impl FnOnce(&str) -> Result<(), Error>,
        ) -> Result<CodeGrant, Error> {
            redeem(&self.codes, &self.revoked, req, RETAIN, now, pkce)
        }
    }

    fn presented(code: &str) -> Presented<'_> {
        Presented {
            code,
            client_id: "client-1",
            redirect_uri: REDIRECT,
            dpop: None,
        }
    }

    fn ok_pkce(c: &str) -> Result<(), Error> {
        assert_eq!(c, CHALLENGE);
        Ok(())
    }

    fn proof(jkt: Thumbprint) -> DpopProof {
        DpopProof::verified_for_tests(jkt, "POST", TOKEN)
    }

    #[test]
    fn code_has_256_random_bits_and_is_stored_hashed() {
        let env = Env::new();
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        assert_eq!(code.as_str().len(), 43);
        assert_eq!(
            crate::b64::decode_array::<32>(code.as_str().as_bytes()).map(|_| ()),
            Ok(())
        );
        // the store holds only the SHA-256 of the code
        let stored = env
            .codes
            .get(&handle_key(code.as_str().as_bytes()), 101)
            .unwrap();
        assert!(matches!(stored, CodeRecord::Issued(g) if g.subject() == "user-42"));
        assert_eq!(std::format!("{code:?}"), "Handle { .. }");
        assert_eq!(
            issue(
                &Profile::FAPI2,
                &env.codes,
                &env.spent,
                &FailingRandom,
                &consent(),
                60,
                0
            )
            .map(|_| ()),
            Err(Error::RandomFailed)
        );
    }

    #[test]
    fn redeem_returns_the_bound_grant() {
        let env = Env::new();
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let req = AuthorizationRequest {
            dpop_jkt: Some(jkt),
            ..request()
        };
        let mut params = AuthorizationParams::from_request(&Profile::FAPI2, &req).unwrap();
        params.mark_pushed();
        let record = ConsentPrompt::new("Example Money", params.clone())
            .unwrap()
            .approve("user-42")
            .unwrap();
        // pushed, but not stored under a request_uri: it cannot be spent
        assert_eq!(
            env.issue(&Profile::FAPI2, &record, 60, 100).map(|_| ()),
            Err(Error::RequestUriInvalid)
        );
        let record = ConsentPrompt::new("Example Money", {
            let mut p = params.clone();
            p.set_pushed_request(crate::par::PushedRequest::new([3; 32], 160));
            p
        })
        .unwrap()
        .approve("user-42")
        .unwrap();
        let code = env.issue(&Profile::FAPI2, &record, 60, 100).unwrap();
        let bound = proof(params.dpop_jkt().unwrap());
        let g = env
            .redeem(
                &Presented {
                    dpop: Some(&bound),
                    ..presented(code.as_str())
                },
                110,
                ok_pkce,
            )
            .unwrap();
        assert_eq!(g.client_id(), "client-1");
        assert_eq!(g.redirect_uri(), REDIRECT);
        assert_eq!(g.scope(), "accounts");
        assert_eq!(g.consent_id(), "urn:bank:aac:1");
        assert_eq!(g.subject(), "user-42");
        assert!(g.dpop_jkt().unwrap().matches_b64(jkt));
        assert_eq!(g.grant_id(), Some(GrantId::of_code(code.as_str())));
    }

    /// F2-CODE-ONCE, CDR-CODE-ONCE: a second redemption is refused with
    /// CodeInvalid (invalid_grant).
    #[test]
    fn f2_code_once_cdr_code_once_second_redemption_refused() {
        let env = Env::new();
        let code = env
            .issue(&Profile::CDR, &signed_consent(&Profile::CDR), 60, 100)
            .unwrap();
        assert!(env.redeem(&presented(code.as_str()), 101, ok_pkce).is_ok());
        let again = env.redeem(&presented(code.as_str()), 102, ok_pkce);
        assert_eq!(again, Err(Error::CodeInvalid));
        assert_eq!(
            Error::CodeInvalid
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
    }

    /// RFC 6749 §4.1.2, RFC 9700 §4.5: a code presented again revokes the
    /// grant its first redemption produced, which the tombstone names; an
    /// unknown code revokes nothing.
    #[test]
    fn rfc6749_4_1_2_a_replayed_code_revokes_the_grant_of_its_first_redemption() {
        let env = Env::new();
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        let first = env
            .redeem(&presented(code.as_str()), 101, ok_pkce)
            .unwrap()
            .grant_id()
            .unwrap();
        assert_eq!(grant::check_active(&env.revoked, &first, 102), Ok(()));
        // the tombstone, kept for RETAIN.tombstone
        assert_eq!(
            env.codes.get(&handle_key(code.as_str().as_bytes()), 460),
            Ok(CodeRecord::Redeemed(first))
        );
        assert_eq!(
            env.redeem(&presented(code.as_str()), 200, ok_pkce),
            Err(Error::CodeInvalid)
        );
        assert_eq!(
            grant::check_active(&env.revoked, &first, 201),
            Err(Error::TokenInactive)
        );
        // revoked for RETAIN.revocation from the replay
        assert_eq!(
            grant::check_active(&env.revoked, &first, 200 + 3599),
            Err(Error::TokenInactive)
        );
        assert_eq!(
            grant::check_active(&env.revoked, &first, 200 + 3600),
            Ok(())
        );
        // a code never issued: refused, nothing revoked, nothing stored
        let unknown = "A".repeat(43);
        assert_eq!(
            env.redeem(&presented(&unknown), 201, ok_pkce),
            Err(Error::CodeInvalid)
        );
        assert_eq!(env.revoked.len(), 1);
        // a first presentation that failed (another client) still leaves
        // the tombstone: a later one revokes that (empty) grant
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 300).unwrap();
        let other = Presented {
            client_id: "client-2",
            ..presented(code.as_str())
        };
        assert_eq!(env.redeem(&other, 301, ok_pkce), Err(Error::ClientMismatch));
        assert_eq!(
            env.redeem(&presented(code.as_str()), 302, ok_pkce),
            Err(Error::CodeInvalid)
        );
        assert_eq!(
            grant::check_active(&env.revoked, &GrantId::of_code(code.as_str()), 303),
            Err(Error::TokenInactive)
        );
    }

    /// F2-CODE-TTL: issuing with a lifetime over 60 s is refused, and a code
    /// redeemed after it expired is invalid.
    #[test]
    fn f2_code_ttl() {
        let env = Env::new();
        for p in Profile::ALL {
            assert_eq!(
                env.issue(p, &signed_consent(p), 61, 0).map(|_| ()),
                Err(Error::LifetimeTooLong),
                "{}",
                p.name
            );
            assert_eq!(
                env.issue(p, &signed_consent(p), 0, 0).map(|_| ()),
                Err(Error::LifetimeTooShort)
            );
        }
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        assert_eq!(
            env.redeem(&presented(code.as_str()), 160, ok_pkce),
            Err(Error::CodeInvalid)
        );
    }

    /// F2-PAR: one pushed request gives one code; a second decision on it
    /// (another tab) is RequestUriInvalid, as is a decision after its
    /// window.
    #[test]
    fn f2_par_one_code_per_pushed_request() {
        let env = Env::new();
        let record = consent();
        assert!(env.issue(&Profile::FAPI2, &record, 60, 100).is_ok());
        assert_eq!(
            env.issue(&Profile::FAPI2, &record, 60, 101).map(|_| ()),
            Err(Error::RequestUriInvalid)
        );
        assert_eq!(
            Error::RequestUriInvalid
                .oauth_error(crate::Site::AuthorizationRequest)
                .as_str(),
            "invalid_request_uri"
        );
        let late = consent();
        let until = late.params().pushed_request().unwrap().decide_before();
        assert_eq!(
            env.issue(&Profile::FAPI2, &late, 60, until).map(|_| ()),
            Err(Error::RequestUriInvalid)
        );
        assert!(env.issue(&Profile::FAPI2, &late, 60, until - 1).is_ok());
    }

    #[test]
    fn redemption_checks_client_redirect_and_pkce() {
        let env = Env::new();
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        let other = Presented {
            client_id: "client-2",
            ..presented(code.as_str())
        };
        assert_eq!(env.redeem(&other, 101, ok_pkce), Err(Error::ClientMismatch));
        assert_eq!(
            Error::ClientMismatch
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
        // a failed attempt spends the code
        assert_eq!(
            env.redeem(&presented(code.as_str()), 102, ok_pkce),
            Err(Error::CodeInvalid)
        );

        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        let elsewhere = Presented {
            redirect_uri: "https://client.example/other",
            ..presented(code.as_str())
        };
        assert_eq!(
            env.redeem(&elsewhere, 101, ok_pkce),
            Err(Error::RedirectMismatch)
        );
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        assert_eq!(
            env.redeem(&presented(code.as_str()), 101, |_| Err(Error::PkceMismatch)),
            Err(Error::PkceMismatch)
        );
        assert_eq!(
            env.redeem(&presented("short"), 101, ok_pkce),
            Err(Error::CodeInvalid)
        );
    }

    /// RFC 9449 §10: a code bound to a DPoP key (`dpop_jkt`) is redeemed
    /// only with a verified proof of that key; redeem checks it itself.
    #[test]
    fn rfc9449_s10_redeem_checks_the_dpop_key_of_the_code() {
        let env = Env::new();
        // RFC 7638 §3.1 thumbprint
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let req = AuthorizationRequest {
            dpop_jkt: Some(jkt),
            ..request()
        };
        let next = core::cell::Cell::new(0u64);
        let params = || {
            let mut p = AuthorizationParams::from_request(&Profile::FAPI2, &req).unwrap();
            next.set(next.get() + 1);
            p.set_pushed_request(crate::par::PushedRequest::new(
                handle_key(&next.get().to_be_bytes()),
                1_000,
            ));
            p.mark_pushed();
            p
        };
        let record = || {
            ConsentPrompt::new("Example Money", params())
                .unwrap()
                .approve("user-42")
                .unwrap()
        };
        let bound = proof(params().dpop_jkt().unwrap());
        let other = proof(Thumbprint([9; 32]));
        let site = crate::Site::TokenRequest;

        let code = env.issue(&Profile::FAPI2, &record(), 60, 100).unwrap();
        let err = env.redeem(&presented(code.as_str()), 101, ok_pkce);
        assert_eq!(err, Err(Error::DpopMissing));
        assert_eq!(
            Error::DpopMissing.oauth_error(site).as_str(),
            "invalid_dpop_proof"
        );
        // the failed attempt spent the code
        let with_bound = |code| Presented {
            dpop: Some(&bound),
            ..presented(code)
        };
        assert_eq!(
            env.redeem(&with_bound(code.as_str()), 102, ok_pkce),
            Err(Error::CodeInvalid)
        );

        let code = env.issue(&Profile::FAPI2, &record(), 60, 100).unwrap();
        let err = env.redeem(
            &Presented {
                dpop: Some(&other),
                ..presented(code.as_str())
            },
            101,
            ok_pkce,
        );
        assert_eq!(err, Err(Error::DpopKeyMismatch));
        assert_eq!(
            Error::DpopKeyMismatch.oauth_error(site).as_str(),
            "invalid_grant"
        );

        // a proof of the key, verified for another method
        let code = env.issue(&Profile::FAPI2, &record(), 60, 100).unwrap();
        let get = DpopProof::verified_for_tests(bound.jkt, "GET", TOKEN);
        let err = env.redeem(
            &Presented {
                dpop: Some(&get),
                ..presented(code.as_str())
            },
            101,
            ok_pkce,
        );
        assert_eq!(err, Err(Error::DpopMethod));

        let code = env.issue(&Profile::FAPI2, &record(), 60, 100).unwrap();
        let g = env.redeem(&with_bound(code.as_str()), 101, ok_pkce);
        assert!(g.unwrap().dpop_jkt().unwrap().matches_b64(jkt));

        // an unbound code takes any proof, or none
        let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
        let any = Presented {
            dpop: Some(&other),
            ..presented(code.as_str())
        };
        assert!(env.redeem(&any, 101, ok_pkce).is_ok());
    }

    /// OB-REQOBJ: no code for a consent to unsigned parameters where the
    /// profile requires signed requests; the sharing duration of the
    /// request object travels with the code.
    #[test]
    fn f2_par_ofb_par_cdr_par_no_code_from_a_request_around_par() {
        use crate::authorize::{AuthorizationParams, ConsentPrompt};
        let env = Env::new();
        // The same parameters, read from a query instead of taken from a
        // PAR request_uri: no code where the profile requires PAR.
        let direct =
            AuthorizationParams::from_request(&Profile::FAPI2, &crate::testing::request()).unwrap();
        assert!(!direct.pushed());
        let record = ConsentPrompt::new("Example Money", direct)
            .unwrap()
            .approve("user-42")
            .unwrap();
        for p in [Profile::FAPI2, Profile::FAPI2_PLUS] {
            assert_eq!(
                env.issue(&p, &record, 60, 100).map(|_| ()),
                Err(Error::ParRequired),
                "{}",
                p.name
            );
        }
        // Berlin Group needs no PAR: the same request makes a code.
        assert!(env.issue(&Profile::BERLIN, &record, 60, 100).is_ok());
        // Through PAR (push, then take at the authorization endpoint) it is
        // accepted.
        let par_store = FixedHandleStore::<AuthorizationParams, 4>::new();
        let direct =
            AuthorizationParams::from_request(&Profile::FAPI2, &crate::testing::request()).unwrap();
        let uri =
            crate::par::push(&Profile::FAPI2, &par_store, &env.rng, direct, None, 60, 100).unwrap();
        let taken = crate::par::take(&par_store, "client-1", uri.as_str(), 100).unwrap();
        assert!(taken.pushed());
        let record = ConsentPrompt::new("Example Money", taken)
            .unwrap()
            .approve("user-42")
            .unwrap();
        assert!(env.issue(&Profile::FAPI2, &record, 60, 100).is_ok());
    }

    #[test]
    fn ob_reqobj_no_code_from_unsigned_parameters() {
        let env = Env::new();
        for p in [Profile::OBIE, Profile::OFB, Profile::CDR] {
            assert_eq!(
                env.issue(&p, &consent(), 60, 100).map(|_| ()),
                Err(Error::SignedRequestRequired),
                "{}",
                p.name
            );
        }
        let code = env
            .issue(&Profile::CDR, &signed_consent(&Profile::CDR), 60, 100)
            .unwrap();
        let g = env.redeem(&presented(code.as_str()), 101, ok_pkce).unwrap();
        assert_eq!(g.sharing_duration(), Some(SHARING_DURATION));
        assert_eq!(g.consent_id(), "urn:bank:aac:1");
    }

    #[test]
    fn full_store_refuses_new_codes() {
        let (store, spent, rng) = (
            FixedHandleStore::<CodeRecord, 2>::new(),
            FixedReplayCache::<8>::new(),
            CounterRandom::new(),
        );
        let revoked = FixedHandleStore::<RevokedGrant, 1>::new();
        let a = issue(&Profile::FAPI2, &store, &spent, &rng, &consent(), 60, 100).unwrap();
        let _b = issue(&Profile::FAPI2, &store, &spent, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(
            issue(&Profile::FAPI2, &store, &spent, &rng, &consent(), 60, 101).map(|_| ()),
            Err(Error::StoreFull)
        );
        // the live codes were not forgotten
        assert!(
            redeem(
                &store,
                &revoked,
                &presented(a.as_str()),
                RETAIN,
                102,
                ok_pkce
            )
            .is_ok()
        );
    }

    /// F2-CODE-ONCE, CDR-CODE-ONCE: two threads redeem the same code at the
    /// same moment; exactly one gets the grant, the other CodeInvalid, and
    /// the loser's presentation revokes the winner's grant (RFC 6749
    /// §4.1.2).
    #[test]
    fn f2_code_once_concurrent_redemption() {
        use std::sync::{Arc, Barrier};
        // A few rounds under Miri (an interpreter); the full count natively.
        let rounds = if cfg!(miri) { 4 } else { 300 };
        for _ in 0..rounds {
            let env = Arc::new(Env::new());
            let code = env.issue(&Profile::FAPI2, &consent(), 60, 100).unwrap();
            let barrier = Arc::new(Barrier::new(2));
            let racers: std::vec::Vec<_> = (0..2)
                .map(|_| {
                    let (env, barrier) = (Arc::clone(&env), Arc::clone(&barrier));
                    let code = std::string::String::from(code.as_str());
                    std::thread::spawn(move || {
                        let _ = barrier.wait();
                        env.redeem(&presented(&code), 101, |_| Ok(())).map(|_| ())
                    })
                })
                .collect();
            let mut results: std::vec::Vec<_> =
                racers.into_iter().map(|t| t.join().unwrap()).collect();
            results.sort_by_key(|r| r.is_err());
            assert_eq!(results, [Ok(()), Err(Error::CodeInvalid)]);
            assert_eq!(
                grant::check_active(&env.revoked, &GrantId::of_code(code.as_str()), 102),
                Err(Error::TokenInactive)
            );
        }
    }

    /// A store slot stays under 1 KiB, so a store of 64 codes is 64 KiB; a
    /// pushed request, which also keeps its `nonce`
    /// (OpenID Connect Core §3.1.2.1) and its `request_uri`,
    /// under 1088 bytes (68 KiB for 64).
    #[test]
    fn slots_are_small() {
        assert!(core::mem::size_of::<CodeRecord>() <= 1024);
        assert!(core::mem::size_of::<AuthorizationParams>() <= 1088);
        assert!(core::mem::size_of::<crate::refresh::RefreshGrant>() <= 1024);
    }
}
