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
pub fn take<S>(store: &S, client_id: &str, request_uri: &str, now: u64) -> Result<AuthorizationParams, Error>
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
    if e == Error::TokenInactive { Error::RequestUriInvalid } else { e }
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
