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

use crate::authorize::{AuthorizationParams, AuthorizationRequest};
use crate::crypto::Random;
use crate::error::Error;
use crate::jwk::Thumbprint;
use crate::profile::Profile;
use crate::request_object;
use crate::store::{HANDLE_LEN, Handle, HandleStore, handle_key};

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
    store.insert(handle_key(&uri.0), params, expires_at, now)?;
    Ok(uri)
}

/// Takes the pushed request behind `request_uri` for `client_id`, once.
///
/// An unknown, expired or used `request_uri` is
/// [`Error::RequestUriInvalid`]; one pushed by another client is
/// [`Error::ClientMismatch`] (and stays usable by its own client).
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
        assert_eq!(take(&store, "client-1", uri.as_str(), 1010), Ok(params()));
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
        assert_eq!(take(&store, "client-1", uri.as_str(), 1002), Ok(params()));
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
            ),
            Ok(params())
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
            assert_eq!(got, signed_params(&p));
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
