//! Pushed authorization requests (RFC 9126): the client pushes its request
//! to the AS and gets a one-time `request_uri` to send the user with.
//!
//! F2-PAR, OFB-PAR, CDR-PAR: where the profile requires PAR, an
//! authorization request without a `request_uri` is refused. The
//! `request_uri` carries 256 random bits, lives as long as the profile
//! allows (F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL), is used once, and only by
//! the client that pushed it.
//!
//! OB-REQOBJ: where the profile requires signed requests
//! (`profile.signed_request_required`: `obie`, `ofb`, `cdr`), both entries
//! of authorization parameters, [`push`] (the PAR endpoint) and [`resolve`]
//! (the authorization endpoint), refuse parameters that did not come in a
//! verified signed request object ([`Error::SignedRequestRequired`]).
//!
//! RFC 9449 §10.1: a DPoP proof sent with the pushed request binds the code
//! to its key, as `dpop_jkt` does; [`crate::code::redeem`] checks it.
//!
//! F2-PAR, single use (FAPI 2.0 Security Profile §5.3.2.2, note 3; RFC
//! 9126 §2.2): the `request_uri` is spent where the user's decision is
//! made ([`spend`], which [`crate::code::issue`] calls), not when the
//! browser first reaches the authorization endpoint, so that a reload of
//! the login page or a second tab still shows it; one pushed request gives
//! at most one code.

use crate::authorize::{AuthorizationParams, AuthorizationRequest};
use crate::crypto::Random;
use crate::error::Error;
use crate::jwk::Thumbprint;
use crate::profile::Profile;
use crate::request_object;
use crate::store::{HANDLE_LEN, Handle, HandleKey, HandleStore, ReplayCache, handle_key};

/// How long after its `request_uri` expires a decision on a pushed request
/// is still taken (seconds): the time a user has to sign in and decide
/// after reaching the authorization endpoint just before the expiry. A
/// server's login and consent transaction must not live longer.
pub const DECISION_WINDOW: u64 = 600;

/// The pushed request a set of parameters is stored under: the store key of
/// its `request_uri` (the SHA-256 of the URI, never the URI) and when the
/// URI expires. [`push`] records it in the parameters; [`spend`] spends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PushedRequest {
    key: HandleKey,
    expires_at: u64,
}

impl PushedRequest {
    /// The pushed request stored under `key` until `expires_at`.
    pub(crate) const fn new(key: HandleKey, expires_at: u64) -> Self {
        Self { key, expires_at }
    }

    /// The store key of the `request_uri`.
    #[must_use]
    pub const fn key(&self) -> &HandleKey {
        &self.key
    }

    /// When the `request_uri` expires at the authorization endpoint
    /// (seconds since the epoch).
    #[must_use]
    pub const fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// The last second (exclusive) a decision on it is taken:
    /// [`Self::expires_at`] plus [`DECISION_WINDOW`].
    #[must_use]
    pub const fn decide_before(&self) -> u64 {
        self.expires_at.saturating_add(DECISION_WINDOW)
    }
}

/// The prefix of the one-time identifier [`spend`] records.
const SPENT_PREFIX: &[u8] = b"request_uri\0";

/// The prefix of every `request_uri` (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
const PREFIX_LEN: usize = REQUEST_URI_PREFIX.len();
/// The length of a `request_uri` fapi issues.
pub const REQUEST_URI_LEN: usize = PREFIX_LEN + HANDLE_LEN;

/// Checks the name of one form parameter of a pushed authorization request.
///
/// RFC 9126 §2.1: the `request_uri` authorization request parameter MUST
/// NOT be provided in a pushed request (the AS makes the `request_uri`; a
/// client cannot push a reference to another request): it is
/// [`Error::InvalidParameter`], `invalid_request` at
/// [`Site::ParRequest`](crate::Site::ParRequest), under every profile.
/// Inside a request object [`request_object::verify_request_object`]
/// refuses it (RFC 9101 §4).
///
/// ```
/// use fapi_core::{par, Error, Site};
/// assert_eq!(par::check_pushed_parameter("scope"), Ok(()));
/// let e = par::check_pushed_parameter("request_uri").unwrap_err();
/// assert_eq!(e, Error::InvalidParameter);
/// assert_eq!(e.oauth_error(Site::ParRequest).as_str(), "invalid_request");
/// ```
pub fn check_pushed_parameter(name: &str) -> Result<(), Error> {
    // RFC 9126 §2.1
    if name == "request_uri" {
        return Err(Error::InvalidParameter);
    }
    Ok(())
}

/// A PAR `request_uri`: the prefix and a fresh [`Handle`]. Zeroized on drop.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct RequestUri([u8; REQUEST_URI_LEN]);

impl RequestUri {
    /// The URI, to return as `request_uri`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // The prefix and base64url characters only.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl core::fmt::Debug for RequestUri {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RequestUri").finish_non_exhaustive()
    }
}

/// Stores the checked request `params` pushed by its client and returns the
/// `request_uri` for it, valid for `ttl` seconds.
///
/// - OB-REQOBJ: where the profile requires signed requests, `params` made
///   from plain form parameters are [`Error::SignedRequestRequired`]
///   (make them with [`AuthorizationParams::from_request_object`]);
/// - RFC 9449 §10.1: `dpop` is the key thumbprint of the DPoP proof the
///   PAR request carried, verified by [`crate::dpop::verify_proof`] for
///   this endpoint (`None` without a `DPoP` header). It binds the code to
///   that key as `dpop_jkt` does; a `dpop_jkt` naming another key is
///   [`Error::DpopKeyMismatch`];
/// - F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL: a `ttl` above `profile.par_ttl`
///   is [`Error::LifetimeTooLong`], below it [`Error::LifetimeTooShort`].
///
/// The client is authenticated before this (F2-PAR), and `params` were
/// checked by [`AuthorizationParams::from_request`] or
/// [`AuthorizationParams::from_request_object`], which require the
/// `redirect_uri`.
pub fn push<S, R>(
    profile: &Profile,
    store: &S,
    rng: &R,
    mut params: AuthorizationParams,
    dpop: Option<&Thumbprint>,
    ttl: u64,
    now: u64,
) -> Result<RequestUri, Error>
where
    S: HandleStore<AuthorizationParams> + ?Sized,
    R: Random + ?Sized,
{
    // OB-REQOBJ: signed request objects only, where the profile says so.
    params.check_signed(profile)?;
    // RFC 9449 §10.1: the PAR request's DPoP key binds the code.
    if let Some(jkt) = dpop {
        params.bind_dpop_key(jkt)?;
    }
    // F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL
    Profile::check_ttl(profile.par_ttl, ttl)?;
    let handle = Handle::generate(rng)?;
    let mut uri = [0u8; REQUEST_URI_LEN];
    let (prefix, rest) = uri.split_at_mut(PREFIX_LEN);
    prefix.copy_from_slice(REQUEST_URI_PREFIX.as_bytes());
    rest.copy_from_slice(handle.as_str().as_bytes());
    let uri = RequestUri(uri);
    let expires_at = now.checked_add(ttl).ok_or(Error::LifetimeTooLong)?;
    let key = handle_key(&uri.0);
    params.set_pushed_request(PushedRequest::new(key, expires_at));
    store.insert(key, params, expires_at, now)?;
    Ok(uri)
}

/// F2-PAR, single use: spends the `request_uri` that `params` were pushed
/// under, at the user's decision (an approval that issues a code, or a
/// denial), in `spent`, a replay cache shared by every node of the server.
///
/// Of any number of decisions on one pushed request (reloads, a second tab,
/// concurrent posts on several nodes), one is taken; the others, and a
/// decision after [`PushedRequest::decide_before`], are
/// [`Error::RequestUriInvalid`]. A `request_uri` is only read at the
/// authorization endpoint ([`resolve`] with a store it is not taken from),
/// so it survives a reload until the decision (FAPI 2.0 Security Profile
/// §5.3.2.2, note 3). Parameters that did not come through PAR have
/// nothing to spend; pushed ones that do not name their pushed request
/// are [`Error::RequestUriInvalid`] (they cannot be spent once).
///
/// ```
/// use fapi_core::par;
/// # use fapi_core::authorize::{AuthorizationParams, AuthorizationRequest};
/// # use fapi_core::profile::Profile;
/// use fapi_core::store::{FixedHandleStore, FixedReplayCache};
/// # struct Rng;
/// # impl fapi_core::Random for Rng {
/// #     fn fill(&self, d: &mut [u8]) -> Result<(), fapi_core::Error> { d.fill(7); Ok(()) }
/// # }
/// # let req = AuthorizationRequest { client_id: "c1", response_type: "code",
/// #     redirect_uri: Some("https://c.example/cb"), scope: "accounts",
/// #     code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
/// #     code_challenge_method: Some("S256"), ..AuthorizationRequest::default() };
/// # let params = AuthorizationParams::from_request(&Profile::FAPI2, &req)?;
/// let (requests, spent) = (FixedHandleStore::<_, 4>::new(), FixedReplayCache::<4>::new());
/// let uri = par::push(&Profile::FAPI2, &requests, &Rng, params, None, 60, 100)?;
/// // Two visits of the authorization endpoint (a reload): both read it.
/// let first = par::take(&requests, "c1", uri.as_str(), 101)?;
/// # let _ = first;
/// // One decision is taken; the next is refused.
/// par::spend(&spent, &first, 130)?;
/// assert_eq!(par::spend(&spent, &first, 131), Err(fapi_core::Error::RequestUriInvalid));
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn spend<R>(spent: &R, params: &AuthorizationParams, now: u64) -> Result<(), Error>
where
    R: ReplayCache + ?Sized,
{
    if !params.pushed() {
        return Ok(());
    }
    let pushed = params.pushed_request().ok_or(Error::RequestUriInvalid)?;
    let until = pushed.decide_before();
    if now >= until {
        return Err(Error::RequestUriInvalid);
    }
    let mut id = [0u8; SPENT_PREFIX.len() + 32];
    let (head, tail) = id.split_at_mut(SPENT_PREFIX.len());
    head.copy_from_slice(SPENT_PREFIX);
    tail.copy_from_slice(pushed.key());
    // One atomic record: of concurrent decisions exactly one is taken.
    spent.record_once(&id, until, now).map_err(|e| {
        if e == Error::Replay {
            Error::RequestUriInvalid
        } else {
            e
        }
    })
}

/// Takes the pushed request behind `request_uri` for `client_id` from
/// `store`.
///
/// An unknown, expired or used `request_uri` is
/// [`Error::RequestUriInvalid`]; one pushed by another client is
/// [`Error::ClientMismatch`] (and stays usable by its own client). The
/// `request_uri` is spent once, at the decision ([`spend`]); a server that
/// shows the request again on a reload hands this function a store that
/// reads the pushed request rather than removing it.
pub fn take<S>(
    store: &S,
    client_id: &str,
    request_uri: &str,
    now: u64,
) -> Result<AuthorizationParams, Error>
where
    S: HandleStore<AuthorizationParams> + ?Sized,
{
    if request_uri.len() != REQUEST_URI_LEN || !request_uri.starts_with(REQUEST_URI_PREFIX) {
        return Err(Error::RequestUriInvalid);
    }
    let key = handle_key(request_uri.as_bytes());
    let pushed = store.get(&key, now).map_err(inactive_as_invalid)?;
    if pushed.client_id() != client_id {
        return Err(Error::ClientMismatch);
    }
    // Single use: of two concurrent takes, one wins; the other sees an
    // invalid request_uri.
    let mut params = store.take(&key, now).map_err(inactive_as_invalid)?;
    // F2-PAR: only what was taken here counts as pushed.
    params.mark_pushed();
    Ok(params)
}

fn inactive_as_invalid(e: Error) -> Error {
    if e == Error::TokenInactive {
        Error::RequestUriInvalid
    } else {
        e
    }
}

/// What the authorization endpoint received besides `client_id`.
#[derive(Clone, Copy, Debug)]
pub enum AuthorizationEndpointRequest<'r> {
    /// `request_uri`: a pushed request (RFC 9126).
    RequestUri(&'r str),
    /// `request`: a request object passed by value (RFC 9101 §5.1), as
    /// [`request_object::verify_request_object`] verified it.
    RequestObject(&'r request_object::AuthorizationParams<'r>),
    /// Plain query parameters.
    Query(&'r AuthorizationRequest<'r>),
}

/// The authorization endpoint's entry: the request the user is sent with,
/// for the client `client_id` named in the query.
///
/// - a `request_uri`: the pushed request ([`take`]);
/// - F2-PAR, OFB-PAR, CDR-PAR: anything else is [`Error::ParRequired`]
///   when the profile requires PAR;
/// - a verified request object: its parameters, checked; one of another
///   client is [`Error::ClientMismatch`];
/// - OB-REQOBJ: plain query parameters are [`Error::SignedRequestRequired`]
///   when the profile requires signed requests; otherwise they are checked.
///
/// ```
/// use fapi_core::authorize::AuthorizationRequest;
/// use fapi_core::par::{self, AuthorizationEndpointRequest};
/// use fapi_core::profile::Profile;
/// use fapi_core::store::FixedHandleStore;
/// use fapi_core::Error;
/// let store = FixedHandleStore::<fapi_core::authorize::AuthorizationParams, 4>::new();
/// let query = AuthorizationRequest { client_id: "c", ..AuthorizationRequest::default() };
/// let q = AuthorizationEndpointRequest::Query(&query);
/// // F2-PAR: FAPI 2.0 takes pushed requests only.
/// assert_eq!(par::resolve(&Profile::FAPI2, &store, "c", q, 0), Err(Error::ParRequired));
/// // OB-REQOBJ: UK Open Banking takes signed request objects only.
/// assert_eq!(par::resolve(&Profile::OBIE, &store, "c", q, 0), Err(Error::SignedRequestRequired));
/// ```
pub fn resolve<S>(
    profile: &Profile,
    store: &S,
    client_id: &str,
    request: AuthorizationEndpointRequest<'_>,
    now: u64,
) -> Result<AuthorizationParams, Error>
where
    S: HandleStore<AuthorizationParams> + ?Sized,
{
    let params = match request {
        AuthorizationEndpointRequest::RequestUri(uri) => take(store, client_id, uri, now)?,
        // F2-PAR, OFB-PAR, CDR-PAR
        _ if profile.par_required => return Err(Error::ParRequired),
        AuthorizationEndpointRequest::RequestObject(ro) => {
            if ro.client_id != client_id {
                return Err(Error::ClientMismatch);
            }
            AuthorizationParams::from_request_object(profile, ro)?
        }
        // OB-REQOBJ: unsigned parameters are not even read.
        AuthorizationEndpointRequest::Query(_) if profile.signed_request_required => {
            return Err(Error::SignedRequestRequired);
        }
        AuthorizationEndpointRequest::Query(query) => {
            if query.client_id != client_id {
                return Err(Error::ClientMismatch);
            }
            AuthorizationParams::from_request(profile, query)?
        }
    };
    // OB-REQOBJ: also a pushed request, whichever way it was stored.
    params.check_signed(profile)?;
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FixedHandleStore;
    use crate::testing::{CounterRandom, FailingRandom, params, request, signed_params};

    type Store = FixedHandleStore<AuthorizationParams, 4>;

    #[test]
    fn request_uri_form_and_single_use() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let uri = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1000).unwrap();
        assert!(
            uri.as_str()
                .starts_with("urn:ietf:params:oauth:request_uri:")
        );
        assert_eq!(uri.as_str().len(), REQUEST_URI_LEN);
        // 43 base64url characters: 256 random bits (at least 128).
        let tail = &uri.as_str()[REQUEST_URI_PREFIX.len()..];
        assert_eq!(
            crate::b64::decode_array::<32>(tail.as_bytes()).map(|_| ()),
            Ok(())
        );
        assert_eq!(
            take(&store, "client-1", uri.as_str(), 1010)
                .map(AuthorizationParams::without_pushed_request),
            Ok(params().without_pushed_request())
        );
        // single use (CDR: request_uri is single use)
        assert_eq!(
            take(&store, "client-1", uri.as_str(), 1011),
            Err(Error::RequestUriInvalid)
        );
        assert_eq!(std::format!("{uri:?}"), "RequestUri { .. }");
        let other = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1000).unwrap();
        assert_ne!(other.as_str(), uri.as_str());
    }

    #[test]
    fn request_uri_expires_and_unknown_is_invalid() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let uri = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1000).unwrap();
        assert_eq!(
            take(&store, "client-1", uri.as_str(), 1060),
            Err(Error::RequestUriInvalid)
        );
        let forged =
            "urn:ietf:params:oauth:request_uri:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(
            take(&store, "client-1", forged, 1000),
            Err(Error::RequestUriInvalid)
        );
        assert_eq!(
            take(&store, "client-1", "https://x/", 1000),
            Err(Error::RequestUriInvalid)
        );
        assert_eq!(
            push(
                &Profile::FAPI2,
                &store,
                &FailingRandom,
                params(),
                None,
                60,
                0
            )
            .map(|_| ()),
            Err(Error::RandomFailed)
        );
    }

    /// A request_uri pushed by one client cannot be used by another (RFC
    /// 9126 §4), and the attempt does not spend it.
    #[test]
    fn bound_to_the_pushing_client() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let uri = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1000).unwrap();
        assert_eq!(
            take(&store, "client-2", uri.as_str(), 1001),
            Err(Error::ClientMismatch)
        );
        assert_eq!(
            take(&store, "client-1", uri.as_str(), 1002)
                .map(AuthorizationParams::without_pushed_request),
            Ok(params().without_pushed_request())
        );
    }

    /// F2-PAR-TTL (< 600 s), OFB-PAR-TTL (>= 60 s), CDR-PAR-TTL (10-90 s).
    #[test]
    fn f2_par_ttl_ofb_par_ttl_cdr_par_ttl() {
        let (store, rng) = (
            FixedHandleStore::<AuthorizationParams, 16>::new(),
            CounterRandom::new(),
        );
        let cases = [
            (Profile::FAPI2, 600, Err(Error::LifetimeTooLong)),
            (Profile::FAPI2, 599, Ok(())),
            (Profile::OFB, 59, Err(Error::LifetimeTooShort)),
            (Profile::OFB, 60, Ok(())),
            (Profile::OFB, 600, Err(Error::LifetimeTooLong)),
            (Profile::CDR, 9, Err(Error::LifetimeTooShort)),
            (Profile::CDR, 10, Ok(())),
            (Profile::CDR, 90, Ok(())),
            (Profile::CDR, 91, Err(Error::LifetimeTooLong)),
            (Profile::FAPI2_PLUS, 120, Err(Error::LifetimeTooLong)),
        ];
        for (p, ttl, want) in cases {
            let got = push(&p, &store, &rng, signed_params(&p), None, ttl, 0).map(|_| ());
            assert_eq!(got, want, "{} ttl {ttl}", p.name);
        }
    }

    /// F2-PAR, OFB-PAR, CDR-PAR: an authorization request without a PAR
    /// request_uri is refused, as plain parameters or as a request object.
    #[test]
    fn f2_par_ofb_par_cdr_par_required() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let mut ro = crate::request_object::AuthorizationParams::verified_for_tests("client-1");
        ro.response_type = Some("code");
        for p in [
            Profile::FAPI2,
            Profile::OFB,
            Profile::CDR,
            Profile::FAPI2_PLUS,
        ] {
            for entry in [
                AuthorizationEndpointRequest::Query(&request()),
                AuthorizationEndpointRequest::RequestObject(&ro),
            ] {
                assert_eq!(
                    resolve(&p, &store, "client-1", entry, 0),
                    Err(Error::ParRequired),
                    "{}",
                    p.name
                );
            }
        }
        // Where PAR is optional and requests need not be signed (berlin),
        // the query is checked instead.
        let query = request();
        assert_eq!(
            resolve(
                &Profile::BERLIN,
                &store,
                "client-1",
                AuthorizationEndpointRequest::Query(&query),
                0
            ),
            Ok(AuthorizationParams::from_request(&Profile::FAPI2, &query).unwrap())
        );
        assert_eq!(
            resolve(
                &Profile::BERLIN,
                &store,
                "client-2",
                AuthorizationEndpointRequest::Query(&query),
                0
            ),
            Err(Error::ClientMismatch)
        );
        let uri = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 0).unwrap();
        assert_eq!(
            resolve(
                &Profile::FAPI2,
                &store,
                "client-1",
                AuthorizationEndpointRequest::RequestUri(uri.as_str()),
                1
            )
            .map(AuthorizationParams::without_pushed_request),
            Ok(params().without_pushed_request())
        );
    }

    /// OB-REQOBJ (and the signed requests of ofb and cdr): unsigned
    /// authorization parameters are refused where they enter, at the PAR
    /// endpoint (`push`) and at the authorization endpoint (`resolve`);
    /// parameters of a verified request object pass both.
    #[test]
    fn ob_reqobj_signed_request_required_at_par_and_authorization_endpoint() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        for p in [Profile::OBIE, Profile::OFB, Profile::CDR] {
            assert!(p.signed_request_required);
            let plain = AuthorizationParams::from_request(&p, &request()).unwrap();
            let err = push(&p, &store, &rng, plain, None, 60, 0).unwrap_err();
            assert_eq!(err, Error::SignedRequestRequired, "{}", p.name);
            assert_eq!(
                err.oauth_error(crate::Site::ParRequest).as_str(),
                "invalid_request"
            );
            let uri = push(&p, &store, &rng, signed_params(&p), None, 60, 0).unwrap();
            let got = resolve(
                &p,
                &store,
                "client-1",
                AuthorizationEndpointRequest::RequestUri(uri.as_str()),
                1,
            )
            .unwrap();
            assert_eq!(
                got.without_pushed_request(),
                signed_params(&p).without_pushed_request()
            );
        }
        // obie has no PAR requirement: the authorization endpoint refuses
        // the plain query and takes a request object by value.
        let query = request();
        let err = resolve(
            &Profile::OBIE,
            &store,
            "client-1",
            AuthorizationEndpointRequest::Query(&query),
            0,
        )
        .unwrap_err();
        assert_eq!(err, Error::SignedRequestRequired);
        assert_eq!(
            err.oauth_error(crate::Site::AuthorizationRequest).as_str(),
            "invalid_request"
        );
        let ro = crate::testing::request_object("client-1");
        let got = resolve(
            &Profile::OBIE,
            &store,
            "client-1",
            AuthorizationEndpointRequest::RequestObject(&ro),
            0,
        )
        .unwrap();
        assert_eq!(
            got.source(),
            crate::authorize::RequestSource::SignedRequestObject
        );
        assert_eq!(got.consent_id(), "urn:bank:aac:1");
        // a request object of another client
        assert_eq!(
            resolve(
                &Profile::OBIE,
                &store,
                "client-2",
                AuthorizationEndpointRequest::RequestObject(&ro),
                0
            ),
            Err(Error::ClientMismatch)
        );
        // a pushed plain request stored before the profile changed is still
        // refused when it is used
        let uri = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 0).unwrap();
        assert_eq!(
            resolve(
                &Profile::OBIE,
                &store,
                "client-1",
                AuthorizationEndpointRequest::RequestUri(uri.as_str()),
                1
            ),
            Err(Error::SignedRequestRequired)
        );
    }

    /// RFC 9449 §10.1: a DPoP proof at the PAR endpoint binds the code to
    /// its key; with `dpop_jkt` as well, both must name the same key.
    #[test]
    fn rfc9449_s10_1_par_dpop_header_binds_the_code() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let key = Thumbprint([7; 32]);
        let uri = push(&Profile::FAPI2, &store, &rng, params(), Some(&key), 60, 0).unwrap();
        let got = take(&store, "client-1", uri.as_str(), 1).unwrap();
        assert_eq!(got.dpop_jkt(), Some(key));

        // RFC 7638 §3.1 thumbprint as dpop_jkt, and a proof of that key
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let req = AuthorizationRequest {
            dpop_jkt: Some(jkt),
            ..request()
        };
        let bound = AuthorizationParams::from_request(&Profile::FAPI2, &req).unwrap();
        let same = bound.dpop_jkt().unwrap();
        let uri = push(
            &Profile::FAPI2,
            &store,
            &rng,
            bound.clone(),
            Some(&same),
            60,
            0,
        )
        .unwrap();
        assert!(
            take(&store, "client-1", uri.as_str(), 1)
                .unwrap()
                .dpop_jkt()
                .unwrap()
                .matches_b64(jkt)
        );
        // both mechanisms, two keys: refused
        let err = push(&Profile::FAPI2, &store, &rng, bound, Some(&key), 60, 0).unwrap_err();
        assert_eq!(err, Error::DpopKeyMismatch);
        assert_eq!(
            err.oauth_error(crate::Site::ParRequest).as_str(),
            "invalid_request"
        );
    }

    /// RFC 9126 §2.1: `request_uri` is refused in a pushed request, the
    /// other parameters pass this check (under every profile: the rule is
    /// the RFC's).
    #[test]
    fn rfc9126_s2_1_request_uri_not_in_a_pushed_request() {
        assert_eq!(
            check_pushed_parameter("request_uri"),
            Err(Error::InvalidParameter)
        );
        for name in ["request", "scope", "redirect_uri", "client_id", "state"] {
            assert_eq!(check_pushed_parameter(name), Ok(()), "{name}");
        }
        assert_eq!(
            Error::InvalidParameter
                .oauth_error(crate::Site::ParRequest)
                .as_str(),
            "invalid_request"
        );
    }

    /// F2-PAR (FAPI 2.0 Security Profile §5.3.2.2, note 3): the
    /// request_uri is read at each visit of the authorization endpoint
    /// (reloads, a second tab) and spent once, at the decision, atomically;
    /// a decision after its window, or on a pushed request that names no
    /// request_uri, is refused; an expired request_uri is refused at the
    /// visit.
    #[test]
    fn f2_par_request_uri_read_at_each_visit_spent_at_the_decision() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let spent = crate::store::FixedReplayCache::<4>::new();
        let uri = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1000).unwrap();
        let visit = |now| {
            let key = handle_key(uri.as_str().as_bytes());
            let kept = FixedHandleStore::<AuthorizationParams, 1>::new();
            if let Ok(p) = store.get(&key, now) {
                kept.insert(key, p, now + 1, now).unwrap();
            }
            resolve(
                &Profile::FAPI2,
                &kept,
                "client-1",
                AuthorizationEndpointRequest::RequestUri(uri.as_str()),
                now,
            )
        };
        let first = visit(1001).unwrap();
        let reload = visit(1002).unwrap();
        assert_eq!(first, reload);
        let pushed = first.pushed_request().unwrap();
        assert_eq!(pushed.key(), &handle_key(uri.as_str().as_bytes()));
        assert_eq!(pushed.expires_at(), 1060);
        assert_eq!(pushed.decide_before(), 1060 + DECISION_WINDOW);
        // F2-PAR-TTL: an expired request_uri is refused at the visit
        assert_eq!(visit(1060), Err(Error::RequestUriInvalid));
        // one decision, whichever tab makes it
        assert_eq!(spend(&spent, &reload, 1300), Ok(()));
        assert_eq!(spend(&spent, &first, 1301), Err(Error::RequestUriInvalid));
        // a decision after the window
        let late = visit(1003).unwrap();
        let other = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1000).unwrap();
        let other = take(&store, "client-1", other.as_str(), 1001).unwrap();
        assert_eq!(
            spend(&spent, &other, 1060 + DECISION_WINDOW),
            Err(Error::RequestUriInvalid)
        );
        let _ = late;
        // pushed, without its request_uri: refused; not pushed: nothing
        let mut bare = AuthorizationParams::from_request(&Profile::FAPI2, &request()).unwrap();
        assert_eq!(spend(&spent, &bare, 1001), Ok(()));
        bare.mark_pushed();
        assert_eq!(spend(&spent, &bare, 1001), Err(Error::RequestUriInvalid));
    }

    #[test]
    fn full_store_refuses_push() {
        let (store, rng) = (
            FixedHandleStore::<AuthorizationParams, 1>::new(),
            CounterRandom::new(),
        );
        let _keep = push(&Profile::FAPI2, &store, &rng, params(), None, 60, 0).unwrap();
        assert_eq!(
            push(&Profile::FAPI2, &store, &rng, params(), None, 60, 1).map(|_| ()),
            Err(Error::StoreFull)
        );
    }
}
