//! The authorization request rules that are not token cryptography: which
//! flows exist (F2-FLOWS, CDR-CODE-FLOW, BG-CODE-FLOW), `https` redirect
//! URIs (F2-TLS-RESP), `iss` in the authorization response (F2-ISS), the
//! consent screen (F2-AS-INFO) and the client's user-started authorization
//! (F2-CLIENT-INFO).
//!
//! Parameters are copied into fixed-capacity strings ([`AuthorizationParams`])
//! so that a PAR store holds them without allocating.

use heapless::String;

use crate::error::Error;
use crate::json::Writer;
use crate::jwk::Thumbprint;
use crate::profile::Profile;

/// Longest `client_id`.
pub const MAX_CLIENT_ID: usize = 64;
/// Longest `redirect_uri`.
pub const MAX_REDIRECT_URI: usize = 256;
/// Longest `scope`.
pub const MAX_SCOPE: usize = 256;
/// Longest `state`.
pub const MAX_STATE: usize = 128;
/// Longest `code_challenge` (S256 challenges are 43 characters).
pub const MAX_CHALLENGE: usize = 64;
/// Longest consent id (`openbanking_intent_id`, `cdr_arrangement_id`, ...).
pub const MAX_CONSENT_ID: usize = 64;
/// Longest user identifier (`sub`).
pub const MAX_SUBJECT: usize = 64;
/// Longest client display name on the consent screen.
pub const MAX_CLIENT_NAME: usize = 128;

/// Copies `s` into a fixed-capacity string: [`Error::TooLarge`] when it does
/// not fit.
pub(crate) fn bounded<const N: usize>(s: &str) -> Result<String<N>, Error> {
    let mut out = String::new();
    out.push_str(s).map_err(|_| Error::TooLarge)?;
    Ok(out)
}

/// F2-FLOWS: the authorization endpoint knows only the response types of the
/// profile (`code` in FAPI 2.0): `token` (implicit), `id_token` and the
/// rest are [`Error::ResponseTypeRefused`].
pub fn check_response_type(profile: &Profile, response_type: &str) -> Result<(), Error> {
    if profile.response_types.contains(&response_type) {
        Ok(())
    } else {
        Err(Error::ResponseTypeRefused)
    }
}

/// A grant type the token endpoint accepts (F2-FLOWS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    /// `authorization_code`.
    AuthorizationCode,
    /// `client_credentials`.
    ClientCredentials,
    /// `refresh_token`.
    RefreshToken,
}

/// What a token request is for: decides whether the client credentials
/// grant may serve it (CDR-CODE-FLOW, BG-CODE-FLOW).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Access to a user's resources, which the user consented to.
    UserConsented,
    /// The client's own business (creating a consent, registration).
    ClientOnly,
}

impl GrantType {
    /// Parses a `grant_type`. F2-FLOWS: `implicit`, `password` and every
    /// grant type not in the profile are [`Error::GrantTypeRefused`].
    pub fn parse(profile: &Profile, name: &str) -> Result<Self, Error> {
        if !profile.grant_types.contains(&name) {
            return Err(Error::GrantTypeRefused);
        }
        match name {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "client_credentials" => Ok(Self::ClientCredentials),
            "refresh_token" => Ok(Self::RefreshToken),
            _ => Err(Error::GrantTypeRefused),
        }
    }

    /// The wire name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
        }
    }

    /// CDR-CODE-FLOW, BG-CODE-FLOW: when the profile is code-flow-only,
    /// user-consented access is reached only through the authorization code
    /// flow (and its refresh tokens): the client credentials grant for it is
    /// [`Error::GrantTypeRefused`].
    pub fn check_access(self, profile: &Profile, access: Access) -> Result<(), Error> {
        if profile.code_flow_only && self == Self::ClientCredentials && access == Access::UserConsented
        {
            Err(Error::GrantTypeRefused)
        } else {
            Ok(())
        }
    }
}

/// F2-TLS-RESP: the authorization response travels only to an `https`
/// redirect URI ([`Error::InsecureRedirect`] for `http`, custom schemes and
/// anything else); the URI needs a host and no fragment (RFC 6749 §3.1.2,
/// [`Error::InvalidParameter`]).
pub fn check_redirect_uri(profile: &Profile, uri: &str) -> Result<(), Error> {
    if uri.len() > MAX_REDIRECT_URI {
        return Err(Error::TooLarge);
    }
    let (scheme, rest) = uri.split_once("://").ok_or(Error::InvalidParameter)?;
    if profile.https_redirect_required && !scheme.eq_ignore_ascii_case("https") {
        return Err(Error::InsecureRedirect);
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err(Error::InvalidParameter);
    }
    if uri.contains('#') || uri.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return Err(Error::InvalidParameter);
    }
    Ok(())
}

/// An authorization request's parameters as they arrive (the PAR body or,
/// where PAR is optional, the authorization endpoint's query).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationRequest<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// `response_type`.
    pub response_type: &'a str,
    /// `redirect_uri` (required in a PAR request).
    pub redirect_uri: Option<&'a str>,
    /// `scope`.
    pub scope: &'a str,
    /// `state`.
    pub state: Option<&'a str>,
    /// `code_challenge`.
    pub code_challenge: Option<&'a str>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<&'a str>,
    /// `dpop_jkt` (RFC 9449 §10): binds the code to a DPoP key.
    pub dpop_jkt: Option<&'a str>,
    /// The consent the client created before (intent id, arrangement id).
    pub consent_id: Option<&'a str>,
}

/// A checked authorization request, in fixed-capacity storage: what a PAR
/// store keeps and what a consent and a code are made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationParams {
    client_id: String<MAX_CLIENT_ID>,
    redirect_uri: String<MAX_REDIRECT_URI>,
    scope: String<MAX_SCOPE>,
    state: String<MAX_STATE>,
    code_challenge: String<MAX_CHALLENGE>,
    dpop_jkt: Option<Thumbprint>,
    consent_id: String<MAX_CONSENT_ID>,
}

impl AuthorizationParams {
    /// Checks `req` against `profile` and copies it.
    ///
    /// - F2-FLOWS: `response_type` other than the profile's is
    ///   [`Error::ResponseTypeRefused`];
    /// - `redirect_uri` is required ([`Error::InvalidParameter`]) and must be
    ///   `https` (F2-TLS-RESP, [`Error::InsecureRedirect`]);
    /// - PKCE (F2-PKCE): a missing challenge is [`Error::PkceMissing`], a
    ///   method other than `S256` [`Error::PkceMethod`];
    /// - an empty `client_id` or `scope`, or a `dpop_jkt` that is not a
    ///   base64url SHA-256 thumbprint, is [`Error::InvalidParameter`];
    /// - a value longer than its capacity is [`Error::TooLarge`].
    pub fn from_request(profile: &Profile, req: &AuthorizationRequest<'_>) -> Result<Self, Error> {
        check_response_type(profile, req.response_type)?;
        if req.client_id.is_empty() || req.scope.is_empty() {
            return Err(Error::InvalidParameter);
        }
        let redirect_uri = req.redirect_uri.ok_or(Error::InvalidParameter)?;
        check_redirect_uri(profile, redirect_uri)?;
        let code_challenge = match (req.code_challenge, req.code_challenge_method) {
            (None, _) if profile.pkce_required => return Err(Error::PkceMissing),
            (None, _) => "",
            (Some(c), Some("S256")) if c.len() == 43 => c,
            (Some(_), Some("S256")) => return Err(Error::InvalidParameter),
            // An absent method means `plain` (RFC 7636 §4.3).
            (Some(_), _) => return Err(Error::PkceMethod),
        };
        let dpop_jkt = match req.dpop_jkt {
            None => None,
            Some(j) => Some(Thumbprint(
                crate::b64::decode_array::<32>(j.as_bytes()).map_err(|_| Error::InvalidParameter)?,
            )),
        };
        Ok(Self {
            client_id: bounded(req.client_id)?,
            redirect_uri: bounded(redirect_uri)?,
            scope: bounded(req.scope)?,
            state: bounded(req.state.unwrap_or(""))?,
            code_challenge: bounded(code_challenge)?,
            dpop_jkt,
            consent_id: bounded(req.consent_id.unwrap_or(""))?,
        })
    }

    /// `client_id`.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// `redirect_uri`.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
    /// `scope`.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }
    /// `state` (empty when absent).
    #[must_use]
    pub fn state(&self) -> &str {
        &self.state
    }
    /// The S256 `code_challenge` (empty when PKCE was not used).
    #[must_use]
    pub fn code_challenge(&self) -> &str {
        &self.code_challenge
    }
    /// The DPoP key the code is to be bound to.
    #[must_use]
    pub fn dpop_jkt(&self) -> Option<Thumbprint> {
        self.dpop_jkt
    }
    /// The consent id (empty when absent).
    #[must_use]
    pub fn consent_id(&self) -> &str {
        &self.consent_id
    }
}

/// What the consent screen shows (F2-AS-INFO): the client's identity (name
/// and id) and the scope. It cannot be built without them, and a code can
/// only be issued from the [`ConsentRecord`] that approving it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentPrompt {
    client_name: String<MAX_CLIENT_NAME>,
    params: AuthorizationParams,
}

impl ConsentPrompt {
    /// The prompt for `params`, naming the client `client_name` (from its
    /// registration). F2-AS-INFO: an empty client name, client id or scope
    /// is [`Error::InvalidParameter`].
    pub fn new(client_name: &str, params: AuthorizationParams) -> Result<Self, Error> {
        if client_name.trim().is_empty()
            || params.client_id.is_empty()
            || params.scope.trim().is_empty()
        {
            return Err(Error::InvalidParameter);
        }
        Ok(Self { client_name: bounded(client_name)?, params })
    }

    /// The client's display name, to show.
    #[must_use]
    pub fn client_name(&self) -> &str {
        &self.client_name
    }
    /// The client's id, to show.
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.params.client_id()
    }
    /// The scope, to show.
    #[must_use]
    pub fn scope(&self) -> &str {
        self.params.scope()
    }
    /// The consent id (intent, arrangement), to show its details.
    #[must_use]
    pub fn consent_id(&self) -> &str {
        self.params.consent_id()
    }

    /// The user `subject` approved what this prompt showed. An empty subject
    /// is [`Error::InvalidParameter`].
    pub fn approve(self, subject: &str) -> Result<ConsentRecord, Error> {
        if subject.is_empty() {
            return Err(Error::InvalidParameter);
        }
        Ok(ConsentRecord { subject: bounded(subject)?, prompt: self })
    }
}

/// A user's approval of a [`ConsentPrompt`]: the only input from which an
/// authorization code is issued (F2-AS-INFO).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    subject: String<MAX_SUBJECT>,
    prompt: ConsentPrompt,
}

impl ConsentRecord {
    /// The user who approved.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// What the user was shown.
    #[must_use]
    pub fn prompt(&self) -> &ConsentPrompt {
        &self.prompt
    }
    /// The approved request.
    #[must_use]
    pub fn params(&self) -> &AuthorizationParams {
        &self.prompt.params
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn pct_encode(w: &mut Writer<'_>, value: &str) -> Result<(), Error> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if is_unreserved(b) {
            w.raw(&[b])?;
        } else {
            let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
            w.raw(&[b'%', hi, lo])?;
        }
    }
    Ok(())
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => b.checked_sub(b'0'),
        b'a'..=b'f' => b.checked_sub(b'a' - 10),
        b'A'..=b'F' => b.checked_sub(b'A' - 10),
        _ => None,
    }
}

/// Whether the form-encoded `encoded` decodes to exactly `plain`, without a
/// buffer.
fn pct_eq(encoded: &str, plain: &str) -> bool {
    let mut src = encoded.bytes();
    let mut want = plain.bytes();
    loop {
        let got = match src.next() {
            None => return want.next().is_none(),
            Some(b'%') => {
                match (src.next().and_then(hex_val), src.next().and_then(hex_val)) {
                    (Some(h), Some(l)) => (h << 4) | l,
                    _ => return false,
                }
            }
            Some(b'+') => b' ',
            Some(b) => b,
        };
        if want.next() != Some(got) {
            return false;
        }
    }
}

/// Writes the redirect of a successful authorization response into `out`:
/// `redirect_uri` with `code`, `state` (when not empty) and, F2-ISS, `iss`
/// (RFC 9207) added to its query. Returns the length.
pub fn write_response(
    redirect_uri: &str,
    code: &str,
    state: &str,
    issuer: &str,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    w.raw(redirect_uri.as_bytes())?;
    w.raw(if redirect_uri.contains('?') { b"&code=" } else { b"?code=" })?;
    pct_encode(&mut w, code)?;
    if !state.is_empty() {
        w.raw(b"&state=")?;
        pct_encode(&mut w, state)?;
    }
    // F2-ISS: the issuer travels in every authorization response.
    w.raw(b"&iss=")?;
    pct_encode(&mut w, issuer)?;
    Ok(w.len())
}

/// Client side: checks the query of the authorization response it received
/// and returns the code.
///
/// - F2-ISS: an absent `iss`, or one that is not `expected_issuer`, is
///   [`Error::WrongIssuer`] (checked first, as RFC 9207 §2.4 asks);
/// - a `state` that is not `expected_state` is [`Error::InvalidParameter`]
///   (CSRF, session swapping);
/// - an error response, a missing or encoded code, or a repeated parameter is
///   [`Error::InvalidParameter`].
pub fn check_response<'q>(
    query: &'q str,
    expected_issuer: &str,
    expected_state: &str,
) -> Result<&'q str, Error> {
    let (mut code, mut state, mut iss, mut error) = (None, None, None, false);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "code" => &mut code,
            "state" => &mut state,
            "iss" => &mut iss,
            "error" => {
                error = true;
                continue;
            }
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Error::InvalidParameter);
        }
    }
    match iss {
        Some(i) if pct_eq(i, expected_issuer) => {}
        _ => return Err(Error::WrongIssuer),
    }
    if !pct_eq(state.unwrap_or(""), expected_state) || error {
        return Err(Error::InvalidParameter);
    }
    match code {
        Some(c) if !c.is_empty() && c.bytes().all(is_unreserved) => Ok(c),
        _ => Err(Error::InvalidParameter),
    }
}

/// Proof, at the call site, that the user asked to start authorization
/// (F2-CLIENT-INFO): the client made it in the handler of the user's own
/// action, after showing `notice` (the text that tells the user they will
/// be sent to their bank). It is neither `Clone` nor `Copy`, so one action
/// starts one authorization.
///
/// The type cannot prove that a human pressed a button; it makes a client
/// built on fapi name the user's action where it starts authorization, and
/// makes starting without one a visible choice rather than a default.
#[derive(Debug, PartialEq, Eq)]
pub struct UserAction {
    _private: (),
}

impl UserAction {
    /// The user acted after the client showed `notice`. An empty notice is
    /// [`Error::InvalidParameter`]: the client says what will happen.
    pub fn new(notice: &str) -> Result<Self, Error> {
        if notice.trim().is_empty() {
            return Err(Error::InvalidParameter);
        }
        Ok(Self { _private: () })
    }
}

/// Client side (F2-CLIENT-INFO): starts authorization on the user's
/// `action` by writing the form body of the pushed authorization request
/// into `out` (the request is checked as the server will check it, so an
/// `http` redirect or a missing PKCE challenge fails here first). Returns
/// the length.
pub fn start_authorization(
    action: UserAction,
    profile: &Profile,
    req: &AuthorizationRequest<'_>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let UserAction { _private: () } = action;
    let p = AuthorizationParams::from_request(profile, req)?;
    let mut w = Writer::new(out);
    w.raw(b"response_type=")?;
    pct_encode(&mut w, req.response_type)?;
    w.raw(b"&client_id=")?;
    pct_encode(&mut w, p.client_id())?;
    w.raw(b"&redirect_uri=")?;
    pct_encode(&mut w, p.redirect_uri())?;
    w.raw(b"&scope=")?;
    pct_encode(&mut w, p.scope())?;
    if !p.state().is_empty() {
        w.raw(b"&state=")?;
        pct_encode(&mut w, p.state())?;
    }
    if !p.code_challenge().is_empty() {
        w.raw(b"&code_challenge=")?;
        pct_encode(&mut w, p.code_challenge())?;
        w.raw(b"&code_challenge_method=S256")?;
    }
    if let Some(j) = p.dpop_jkt() {
        w.raw(b"&dpop_jkt=")?;
        w.raw(j.to_b64().as_str().as_bytes())?;
    }
    Ok(w.len())
}
