//! Authorization codes: 256 random bits, stored only as their SHA-256
//! ([`crate::store::HandleKey`]), bound to the client, the `redirect_uri`,
//! the PKCE challenge, the DPoP key (`dpop_jkt`), the consent and the scope,
//! short-lived (F2-CODE-TTL) and redeemed at most once (F2-CODE-ONCE,
//! CDR-CODE-ONCE). [`redeem`] checks every binding itself, the DPoP key
//! included (RFC 9449 §10).

use heapless::String;
use subtle::ConstantTimeEq;

use crate::authorize::{
    ConsentRecord, MAX_CHALLENGE, MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_REDIRECT_URI, MAX_SCOPE,
    MAX_SUBJECT, bounded,
};
use crate::crypto::Random;
use crate::error::Error;
use crate::jwk::Thumbprint;
use crate::profile::Profile;
use crate::store::{HANDLE_LEN, Handle, HandleStore, handle_key};

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
}

/// Issues a code for the user's `consent`, valid for `ttl` seconds.
///
/// OB-REQOBJ: where the profile requires signed requests, a consent to
/// parameters that did not come in a verified signed request object is
/// [`Error::SignedRequestRequired`] (the last gate before a code exists).
/// F2-CODE-TTL: a `ttl` above `profile.code_ttl` (60 s in every set) is
/// [`Error::LifetimeTooLong`], below it [`Error::LifetimeTooShort`]. The code
/// is stored only as its SHA-256; a full store is [`Error::StoreFull`].
pub fn issue<S, R>(
    profile: &Profile,
    store: &S,
    rng: &R,
    consent: &ConsentRecord,
    ttl: u64,
    now: u64,
) -> Result<AuthorizationCode, Error>
where
    S: HandleStore<CodeGrant> + ?Sized,
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
    };
    let code = Handle::generate(rng)?;
    let expires_at = now.checked_add(ttl).ok_or(Error::LifetimeTooLong)?;
    store.insert(code.key(), grant, expires_at, now)?;
    Ok(code)
}

/// Redeems `code` at the token endpoint, once.
///
/// `dpop` is the key thumbprint of the DPoP proof the token request
/// carried, as [`crate::dpop::verify_proof`] verified it for this request
/// (`POST` to the token endpoint); `None` when the request had no `DPoP`
/// header.
///
/// F2-CODE-ONCE, CDR-CODE-ONCE: the code is taken atomically, so a second
/// redemption (or a concurrent one) is [`Error::CodeInvalid`], as is an
/// unknown or expired code (F2-CODE-TTL). The code is spent by any
/// redemption attempt, also a failing one. Then: another client is
/// [`Error::ClientMismatch`], another `redirect_uri`
/// [`Error::RedirectMismatch`]; RFC 9449 §10: a code bound to a DPoP key
/// (`dpop_jkt`, or the PAR request's DPoP proof) redeemed without a proof
/// is [`Error::DpopMissing`] (`invalid_dpop_proof`), with a proof of
/// another key [`Error::DpopKeyMismatch`]; last, `verify_pkce` is called
/// with the bound challenge (the PKCE check itself lives with the
/// verifier; its error is returned as it is). The others answer
/// `invalid_grant`.
pub fn redeem<S, F>(
    store: &S,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    dpop: Option<&Thumbprint>,
    now: u64,
    verify_pkce: F,
) -> Result<CodeGrant, Error>
where
    S: HandleStore<CodeGrant> + ?Sized,
    F: FnOnce(&str) -> Result<(), Error>,
{
    if code.len() != HANDLE_LEN {
        return Err(Error::CodeInvalid);
    }
    // F2-CODE-ONCE, CDR-CODE-ONCE: one atomic take.
    let grant = store.take(&handle_key(code.as_bytes()), now).map_err(|e| {
        if e == Error::TokenInactive {
            Error::CodeInvalid
        } else {
            e
        }
    })?;
    if grant.client_id() != client_id {
        return Err(Error::ClientMismatch);
    }
    if grant.redirect_uri() != redirect_uri {
        return Err(Error::RedirectMismatch);
    }
    // RFC 9449 §10: the proof's key is the key the code is bound to.
    match (grant.dpop_jkt, dpop) {
        (None, _) => {}
        (Some(_), None) => return Err(Error::DpopMissing),
        (Some(bound), Some(presented)) if bool::from(bound.0.ct_eq(&presented.0)) => {}
        (Some(_), Some(_)) => return Err(Error::DpopKeyMismatch),
    }
    verify_pkce(grant.code_challenge())?;
    Ok(grant)
}

#[cfg(feature = "serde")]
mod stored {
    //! The stored form of [`CodeGrant`]: the same fields, checked on the
    //! way in with the rules [`super::issue`] relies on
    //! ([`crate::authorize::check_stored`]) and a user who approved.
    use super::{
        CodeGrant, Error, MAX_CHALLENGE, MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_REDIRECT_URI,
        MAX_SCOPE, MAX_SUBJECT, String, Thumbprint,
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
            })
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod stored_tests {
    use super::*;
    use crate::store::FixedHandleStore;
    use crate::testing::{CounterRandom, consent};

    #[test]
    fn stored_code_grant_round_trips_and_refuses_broken_values() {
        let (store, rng) = (
            FixedHandleStore::<CodeGrant, 2>::new(),
            CounterRandom::new(),
        );
        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        let grant = store.take(&code.key(), 101).unwrap();
        let json = serde_json::to_string(&grant).unwrap();
        assert_eq!(serde_json::from_str::<CodeGrant>(&json).unwrap(), grant);
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::{AuthorizationParams, AuthorizationRequest, ConsentPrompt};
    use crate::store::FixedHandleStore;
    use crate::testing::{
        CHALLENGE, CounterRandom, FailingRandom, SHARING_DURATION, consent, request, signed_consent,
    };

    type Store = FixedHandleStore<CodeGrant, 4>;
    const REDIRECT: &str = "https://client.example/cb";

    fn ok_pkce(c: &str) -> Result<(), Error> {
        assert_eq!(c, CHALLENGE);
        Ok(())
    }

    #[test]
    fn code_has_256_random_bits_and_is_stored_hashed() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(code.as_str().len(), 43);
        assert_eq!(
            crate::b64::decode_array::<32>(code.as_str().as_bytes()).map(|_| ()),
            Ok(())
        );
        // the store holds only the SHA-256 of the code
        assert_eq!(
            store
                .get(&handle_key(code.as_str().as_bytes()), 101)
                .map(|g| g.subject().len()),
            Ok(7)
        );
        assert_eq!(std::format!("{code:?}"), "Handle { .. }");
        assert_eq!(
            issue(&Profile::FAPI2, &store, &FailingRandom, &consent(), 60, 0).map(|_| ()),
            Err(Error::RandomFailed)
        );
    }

    #[test]
    fn redeem_returns_the_bound_grant() {
        let (store, rng) = (Store::new(), CounterRandom::new());
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
        let code = issue(&Profile::FAPI2, &store, &rng, &record, 60, 100).unwrap();
        let jkt_key = params.dpop_jkt().unwrap();
        let g = redeem(
            &store,
            code.as_str(),
            "client-1",
            REDIRECT,
            Some(&jkt_key),
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
    }

    /// F2-CODE-ONCE, CDR-CODE-ONCE: a second redemption is refused with
    /// CodeInvalid (invalid_grant).
    #[test]
    fn f2_code_once_cdr_code_once_second_redemption_refused() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let code = issue(
            &Profile::CDR,
            &store,
            &rng,
            &signed_consent(&Profile::CDR),
            60,
            100,
        )
        .unwrap();
        assert!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                REDIRECT,
                None,
                101,
                ok_pkce
            )
            .is_ok()
        );
        let again = redeem(
            &store,
            code.as_str(),
            "client-1",
            REDIRECT,
            None,
            102,
            ok_pkce,
        );
        assert_eq!(again, Err(Error::CodeInvalid));
        assert_eq!(
            Error::CodeInvalid
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
    }

    /// F2-CODE-TTL: issuing with a lifetime over 60 s is refused, and a code
    /// redeemed after it expired is invalid.
    #[test]
    fn f2_code_ttl() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        for p in Profile::ALL {
            assert_eq!(
                issue(p, &store, &rng, &signed_consent(p), 61, 0).map(|_| ()),
                Err(Error::LifetimeTooLong),
                "{}",
                p.name
            );
            assert_eq!(
                issue(p, &store, &rng, &signed_consent(p), 0, 0).map(|_| ()),
                Err(Error::LifetimeTooShort)
            );
        }
        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                REDIRECT,
                None,
                160,
                ok_pkce
            ),
            Err(Error::CodeInvalid)
        );
    }

    #[test]
    fn redemption_checks_client_redirect_and_pkce() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(
            redeem(
                &store,
                code.as_str(),
                "client-2",
                REDIRECT,
                None,
                101,
                ok_pkce
            ),
            Err(Error::ClientMismatch)
        );
        assert_eq!(
            Error::ClientMismatch
                .oauth_error(crate::Site::TokenRequest)
                .as_str(),
            "invalid_grant"
        );
        // a failed attempt spends the code
        assert_eq!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                REDIRECT,
                None,
                102,
                ok_pkce
            ),
            Err(Error::CodeInvalid)
        );

        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                "https://client.example/other",
                None,
                101,
                ok_pkce
            ),
            Err(Error::RedirectMismatch)
        );
        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                REDIRECT,
                None,
                101,
                |_| Err(Error::PkceMismatch)
            ),
            Err(Error::PkceMismatch)
        );
        assert_eq!(
            redeem(&store, "short", "client-1", REDIRECT, None, 101, ok_pkce),
            Err(Error::CodeInvalid)
        );
    }

    /// RFC 9449 §10: a code bound to a DPoP key (`dpop_jkt`) is redeemed
    /// only with a proof of that key; redeem checks it itself.
    #[test]
    fn rfc9449_s10_redeem_checks_the_dpop_key_of_the_code() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        // RFC 7638 §3.1 thumbprint
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let req = AuthorizationRequest {
            dpop_jkt: Some(jkt),
            ..request()
        };
        let mut params = AuthorizationParams::from_request(&Profile::FAPI2, &req).unwrap();
        params.mark_pushed();
        let bound = params.dpop_jkt().unwrap();
        let record = ConsentPrompt::new("Example Money", params)
            .unwrap()
            .approve("user-42")
            .unwrap();
        let other = Thumbprint([9; 32]);
        let site = crate::Site::TokenRequest;

        let code = issue(&Profile::FAPI2, &store, &rng, &record, 60, 100).unwrap();
        let err = redeem(
            &store,
            code.as_str(),
            "client-1",
            REDIRECT,
            None,
            101,
            ok_pkce,
        );
        assert_eq!(err, Err(Error::DpopMissing));
        assert_eq!(
            Error::DpopMissing.oauth_error(site).as_str(),
            "invalid_dpop_proof"
        );
        // the failed attempt spent the code
        assert_eq!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                REDIRECT,
                Some(&bound),
                102,
                ok_pkce
            ),
            Err(Error::CodeInvalid)
        );

        let code = issue(&Profile::FAPI2, &store, &rng, &record, 60, 100).unwrap();
        let err = redeem(
            &store,
            code.as_str(),
            "client-1",
            REDIRECT,
            Some(&other),
            101,
            ok_pkce,
        );
        assert_eq!(err, Err(Error::DpopKeyMismatch));
        assert_eq!(
            Error::DpopKeyMismatch.oauth_error(site).as_str(),
            "invalid_grant"
        );

        let code = issue(&Profile::FAPI2, &store, &rng, &record, 60, 100).unwrap();
        let g = redeem(
            &store,
            code.as_str(),
            "client-1",
            REDIRECT,
            Some(&bound),
            101,
            ok_pkce,
        );
        assert!(g.unwrap().dpop_jkt().unwrap().matches_b64(jkt));

        // an unbound code takes any proof, or none
        let code = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert!(
            redeem(
                &store,
                code.as_str(),
                "client-1",
                REDIRECT,
                Some(&other),
                101,
                ok_pkce
            )
            .is_ok()
        );
    }

    /// OB-REQOBJ: no code for a consent to unsigned parameters where the
    /// profile requires signed requests; the sharing duration of the
    /// request object travels with the code.
    #[test]
    fn f2_par_ofb_par_cdr_par_no_code_from_a_request_around_par() {
        use crate::authorize::{AuthorizationParams, ConsentPrompt};
        let (store, rng) = (Store::new(), CounterRandom::new());
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
                issue(&p, &store, &rng, &record, 60, 100).map(|_| ()),
                Err(Error::ParRequired),
                "{}",
                p.name
            );
        }
        // Berlin Group needs no PAR: the same request makes a code.
        assert!(issue(&Profile::BERLIN, &store, &rng, &record, 60, 100).is_ok());
        // Through PAR (push, then take at the authorization endpoint) it is
        // accepted.
        let par_store = FixedHandleStore::<AuthorizationParams, 4>::new();
        let direct =
            AuthorizationParams::from_request(&Profile::FAPI2, &crate::testing::request()).unwrap();
        let uri =
            crate::par::push(&Profile::FAPI2, &par_store, &rng, direct, None, 60, 100).unwrap();
        let taken = crate::par::take(&par_store, "client-1", uri.as_str(), 100).unwrap();
        assert!(taken.pushed());
        let record = ConsentPrompt::new("Example Money", taken)
            .unwrap()
            .approve("user-42")
            .unwrap();
        assert!(issue(&Profile::FAPI2, &store, &rng, &record, 60, 100).is_ok());
    }

    #[test]
    fn ob_reqobj_no_code_from_unsigned_parameters() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        for p in [Profile::OBIE, Profile::OFB, Profile::CDR] {
            assert_eq!(
                issue(&p, &store, &rng, &consent(), 60, 100).map(|_| ()),
                Err(Error::SignedRequestRequired),
                "{}",
                p.name
            );
        }
        let code = issue(
            &Profile::CDR,
            &store,
            &rng,
            &signed_consent(&Profile::CDR),
            60,
            100,
        )
        .unwrap();
        let g = redeem(
            &store,
            code.as_str(),
            "client-1",
            REDIRECT,
            None,
            101,
            ok_pkce,
        )
        .unwrap();
        assert_eq!(g.sharing_duration(), Some(SHARING_DURATION));
        assert_eq!(g.consent_id(), "urn:bank:aac:1");
    }

    #[test]
    fn full_store_refuses_new_codes() {
        let (store, rng) = (
            FixedHandleStore::<CodeGrant, 2>::new(),
            CounterRandom::new(),
        );
        let a = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        let _b = issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 100).unwrap();
        assert_eq!(
            issue(&Profile::FAPI2, &store, &rng, &consent(), 60, 101).map(|_| ()),
            Err(Error::StoreFull)
        );
        // the live codes were not forgotten
        assert!(redeem(&store, a.as_str(), "client-1", REDIRECT, None, 102, ok_pkce).is_ok());
    }

    /// F2-CODE-ONCE, CDR-CODE-ONCE: two threads redeem the same code at the
    /// same moment; exactly one gets the grant, the other CodeInvalid.
    #[test]
    fn f2_code_once_concurrent_redemption() {
        use std::sync::{Arc, Barrier};
        let store = Arc::new(Store::new());
        let rng = CounterRandom::new();
        // A few rounds under Miri (an interpreter); the full count natively.
        let rounds = if cfg!(miri) { 4 } else { 300 };
        for _ in 0..rounds {
            let code = issue(&Profile::FAPI2, &*store, &rng, &consent(), 60, 100).unwrap();
            let barrier = Arc::new(Barrier::new(2));
            let racers: std::vec::Vec<_> = (0..2)
                .map(|_| {
                    let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                    let code = std::string::String::from(code.as_str());
                    std::thread::spawn(move || {
                        let _ = barrier.wait();
                        redeem(&*store, &code, "client-1", REDIRECT, None, 101, |_| Ok(()))
                            .map(|_| ())
                    })
                })
                .collect();
            let mut results: std::vec::Vec<_> =
                racers.into_iter().map(|t| t.join().unwrap()).collect();
            results.sort_by_key(|r| r.is_err());
            assert_eq!(results, [Ok(()), Err(Error::CodeInvalid)]);
        }
    }

    /// A store slot stays under 1 KiB, so a store of 64 codes is 64 KiB.
    #[test]
    fn slots_are_small() {
        assert!(core::mem::size_of::<CodeGrant>() <= 1024);
        assert!(core::mem::size_of::<AuthorizationParams>() <= 1024);
        assert!(core::mem::size_of::<crate::refresh::RefreshGrant>() <= 1024);
    }
}
