//! Pushed authorization requests (RFC 9126): the client pushes its request
//! to the AS and gets a one-time `request_uri` to send the user with.
//!
//! F2-PAR, OFB-PAR, CDR-PAR: where the profile requires PAR, an
//! authorization request without a `request_uri` is refused. The
//! `request_uri` carries 256 random bits, lives as long as the profile
//! allows (F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL), is used once, and only by
//! the client that pushed it.

use crate::authorize::{AuthorizationParams, AuthorizationRequest};
use crate::crypto::Random;
use crate::error::Error;
use crate::profile::Profile;
use crate::store::{HANDLE_LEN, Handle, HandleStore, handle_key};

/// The prefix of every `request_uri` (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
const PREFIX_LEN: usize = REQUEST_URI_PREFIX.len();
/// The length of a `request_uri` fapi issues.
pub const REQUEST_URI_LEN: usize = PREFIX_LEN + HANDLE_LEN;

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
/// F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL: a `ttl` above `profile.par_ttl` is
/// [`Error::LifetimeTooLong`], below it [`Error::LifetimeTooShort`].
/// The client is authenticated before this (F2-PAR), and `params` were
/// checked by [`AuthorizationParams::from_request`], which requires the
/// `redirect_uri`.
pub fn push<S, R>(
    profile: &Profile,
    store: &S,
    rng: &R,
    params: AuthorizationParams,
    ttl: u64,
    now: u64,
) -> Result<RequestUri, Error>
where
    S: HandleStore<AuthorizationParams> + ?Sized,
    R: Random + ?Sized,
{
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
    store.take(&key, now).map_err(inactive_as_invalid)
}

fn inactive_as_invalid(e: Error) -> Error {
    if e == Error::TokenInactive {
        Error::RequestUriInvalid
    } else {
        e
    }
}

/// The authorization endpoint's entry: the request the user is sent with.
///
/// With a `request_uri`, the pushed request ([`take`]). Without one,
/// F2-PAR, OFB-PAR, CDR-PAR: [`Error::ParRequired`] when the profile
/// requires PAR; otherwise the `query` parameters, checked.
pub fn resolve<S>(
    profile: &Profile,
    store: &S,
    client_id: &str,
    request_uri: Option<&str>,
    query: &AuthorizationRequest<'_>,
    now: u64,
) -> Result<AuthorizationParams, Error>
where
    S: HandleStore<AuthorizationParams> + ?Sized,
{
    match request_uri {
        Some(uri) => take(store, client_id, uri, now),
        // F2-PAR, OFB-PAR, CDR-PAR
        None if profile.par_required => Err(Error::ParRequired),
        None => AuthorizationParams::from_request(profile, query),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FixedHandleStore;
    use crate::testing::{CounterRandom, FailingRandom, params, request};

    type Store = FixedHandleStore<AuthorizationParams, 4>;

    #[test]
    fn request_uri_form_and_single_use() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let uri = push(&Profile::FAPI2, &store, &rng, params(), 60, 1000).unwrap();
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
        let other = push(&Profile::FAPI2, &store, &rng, params(), 60, 1000).unwrap();
        assert_ne!(other.as_str(), uri.as_str());
    }

    #[test]
    fn request_uri_expires_and_unknown_is_invalid() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let uri = push(&Profile::FAPI2, &store, &rng, params(), 60, 1000).unwrap();
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
            push(&Profile::FAPI2, &store, &FailingRandom, params(), 60, 0).map(|_| ()),
            Err(Error::RandomFailed)
        );
    }

    /// A request_uri pushed by one client cannot be used by another (RFC
    /// 9126 §4), and the attempt does not spend it.
    #[test]
    fn bound_to_the_pushing_client() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        let uri = push(&Profile::FAPI2, &store, &rng, params(), 60, 1000).unwrap();
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
            let got = push(&p, &store, &rng, params(), ttl, 0).map(|_| ());
            assert_eq!(got, want, "{} ttl {ttl}", p.name);
        }
    }

    /// F2-PAR, OFB-PAR, CDR-PAR: an authorization request without a PAR
    /// request_uri is refused.
    #[test]
    fn f2_par_ofb_par_cdr_par_required() {
        let (store, rng) = (Store::new(), CounterRandom::new());
        for p in [
            Profile::FAPI2,
            Profile::OFB,
            Profile::CDR,
            Profile::FAPI2_PLUS,
        ] {
            assert_eq!(
                resolve(&p, &store, "client-1", None, &request(), 0),
                Err(Error::ParRequired),
                "{}",
                p.name
            );
        }
        // where PAR is optional, the query is checked instead
        assert_eq!(
            resolve(&Profile::OBIE, &store, "client-1", None, &request(), 0),
            Ok(params())
        );
        let uri = push(&Profile::FAPI2, &store, &rng, params(), 60, 0).unwrap();
        assert_eq!(
            resolve(
                &Profile::FAPI2,
                &store,
                "client-1",
                Some(uri.as_str()),
                &request(),
                1
            ),
            Ok(params())
        );
    }

    #[test]
    fn full_store_refuses_push() {
        let (store, rng) = (
            FixedHandleStore::<AuthorizationParams, 1>::new(),
            CounterRandom::new(),
        );
        let _keep = push(&Profile::FAPI2, &store, &rng, params(), 60, 0).unwrap();
        assert_eq!(
            push(&Profile::FAPI2, &store, &rng, params(), 60, 1).map(|_| ()),
            Err(Error::StoreFull)
        );
    }
}
