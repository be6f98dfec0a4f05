//! The authorization request rules that are not token cryptography: which
//! flows exist (F2-FLOWS, CDR-CODE-FLOW, BG-CODE-FLOW), `https` redirect
//! URIs (F2-TLS-RESP), `iss` in the authorization response (F2-ISS), the
//! consent screen (F2-AS-INFO) and the client's user-started authorization
//! (F2-CLIENT-INFO).
//!
//! Parameters are copied into fixed-capacity strings ([`AuthorizationParams`])
//! so that a PAR store holds them without allocating.

use heapless::String;
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::json::Writer;
use crate::jwk::Thumbprint;
use crate::par::PushedRequest;
use crate::profile::{Profile, ResponseMode};
use crate::request_object;

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
/// Longest `nonce` in bytes: [`request_object::MAX_NONCE_LEN`] (FAPI 2.0:
/// 64 characters). A nonce of 64 characters that takes more than 64 bytes
/// (not ASCII) is [`Error::TooLarge`], so that a stored request or code
/// stays within its slot.
pub const MAX_NONCE: usize = request_object::MAX_NONCE_LEN;

/// Checks a `nonce` (OpenID Connect Core §3.1.2.1): at most
/// [`request_object::MAX_NONCE_LEN`] characters (FAPI 2.0), else
/// [`Error::InvalidParameter`]; empty means absent.
pub(crate) fn check_nonce(nonce: Option<&str>) -> Result<String<MAX_NONCE>, Error> {
    let n = nonce.unwrap_or("");
    if n.chars().count() > request_object::MAX_NONCE_LEN {
        return Err(Error::InvalidParameter);
    }
    bounded(n)
}

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
        if profile.code_flow_only
            && self == Self::ClientCredentials
            && access == Access::UserConsented
        {
            Err(Error::GrantTypeRefused)
        } else {
            Ok(())
        }
    }
}

/// F2-TLS-RESP: the authorization response travels only to an `https`
/// redirect URI ([`Error::InsecureRedirect`] for `http`, custom schemes and
/// anything else); the URI needs a host and no fragment (RFC 6749 §3.1.2),
/// and holds only the characters of RFC 3986 §2 with well-formed `%XX`
/// escapes ([`Error::InvalidParameter`]): a `\`, `{`, `"`, space or
/// control character, which URL parsers read differently (a browser reads
/// `https://a.example\.b.example/` as host `a.example`), never passes.
///
/// ```
/// use fapi_core::authorize::check_redirect_uri;
/// use fapi_core::profile::Profile;
/// use fapi_core::Error;
/// let p = &Profile::FAPI2;
/// assert_eq!(check_redirect_uri(p, "https://client.example.com/cb"), Ok(()));
/// assert_eq!(check_redirect_uri(p, "http://client.example.com/cb"), Err(Error::InsecureRedirect));
/// assert_eq!(
///     check_redirect_uri(p, "https://client.example.com\\.evil.example/cb"),
///     Err(Error::InvalidParameter)
/// );
/// ```
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
    if uri.contains('#') {
        return Err(Error::InvalidParameter);
    }
    // RFC 3986 §2: unreserved and reserved characters, and `%` only as the
    // start of a `%XX` escape.
    let mut bytes = uri.bytes();
    while let Some(b) = bytes.next() {
        let ok = if b == b'%' {
            bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                && bytes.next().is_some_and(|l| l.is_ascii_hexdigit())
        } else {
            is_unreserved(b) || b":/?#[]@!$&'()*+,;=".contains(&b)
        };
        if !ok {
            return Err(Error::InvalidParameter);
        }
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
    /// `nonce` (OpenID Connect Core §3.1.2.1): returned in the ID token.
    pub nonce: Option<&'a str>,
    /// `response_mode` (JARM §2.3): absent means `query`.
    pub response_mode: Option<&'a str>,
}

/// How an authorization request reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RequestSource {
    /// Plain parameters: a PAR form body or an authorization endpoint query.
    Parameters,
    /// A signed request object (JAR, RFC 9101) that
    /// [`request_object::verify_request_object`] verified.
    SignedRequestObject,
}

/// A checked authorization request, in fixed-capacity storage: what a PAR
/// store keeps and what a consent and a code are made from.
///
/// It remembers whether it came from a verified signed request object
/// ([`RequestSource`]): where the profile requires signed requests
/// (OB-REQOBJ; `profile.signed_request_required`), [`crate::par::push`],
/// [`crate::par::resolve`] and [`crate::code::issue`] refuse one made from
/// plain parameters ([`Error::SignedRequestRequired`]).
///
/// # Stored outside the process (`serde` feature)
///
/// A network store (Redis) keeps it as bytes. Deserializing checks every
/// rule [`Self::from_request`] enforces whatever the profile
/// (`check_stored`): a value that breaks one is refused, so a corrupted
/// or hand-edited entry never becomes a request. Where it came from
/// ([`Self::source`], [`Self::pushed`]) cannot be re-checked from the
/// bytes: the store is inside the server's trust boundary as its memory
/// is (whoever can write to it can also write a code grant), and is to be
/// protected as such (authentication, TLS, no shared tenants).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "stored::AuthorizationParamsFields")
)]
pub struct AuthorizationParams {
    client_id: String<MAX_CLIENT_ID>,
    redirect_uri: String<MAX_REDIRECT_URI>,
    scope: String<MAX_SCOPE>,
    state: String<MAX_STATE>,
    code_challenge: String<MAX_CHALLENGE>,
    dpop_jkt: Option<Thumbprint>,
    consent_id: String<MAX_CONSENT_ID>,
    sharing_duration: Option<u64>,
    nonce: String<MAX_NONCE>,
    // JARM §2.3: the response goes as one signed JWT (`response_mode=jwt`).
    jarm: bool,
    source: RequestSource,
    // F2-PAR: set only by `par::take`, when the request came through a PAR
    // `request_uri`.
    pushed: bool,
    // F2-PAR: the `request_uri` it was pushed under, set by `par::push`;
    // spent once, when the user's decision is made (`par::spend`).
    request_uri: Option<PushedRequest>,
}

/// The consent id carried in the scope as `consent:<id>` (Open Finance
/// Brasil; the sets without a consent claim use the same form).
///
/// ```
/// use fapi_core::authorize::consent_in_scope;
/// assert_eq!(consent_in_scope("accounts consent:urn:bank:1"), Some("urn:bank:1"));
/// assert_eq!(consent_in_scope("accounts"), None);
/// ```
#[must_use]
pub fn consent_in_scope(scope: &str) -> Option<&str> {
    scope.split(' ').find_map(|s| s.strip_prefix("consent:"))
}

impl AuthorizationParams {
    /// Checks the plain parameters `req` against `profile` and copies them;
    /// the result's source is [`RequestSource::Parameters`].
    ///
    /// - F2-FLOWS: `response_type` other than the profile's is
    ///   [`Error::ResponseTypeRefused`];
    /// - `redirect_uri` is required ([`Error::InvalidParameter`]) and must be
    ///   `https` (F2-TLS-RESP, [`Error::InsecureRedirect`]);
    /// - PKCE (F2-PKCE): a missing challenge is [`Error::PkceMissing`], a
    ///   method other than `S256` [`Error::PkceMethod`];
    /// - an empty `client_id` or `scope`, or a `dpop_jkt` that is not a
    ///   base64url SHA-256 thumbprint, is [`Error::InvalidParameter`];
    /// - a value longer than its capacity is [`Error::TooLarge`];
    /// - a `nonce` over 64 characters is [`Error::InvalidParameter`]
    ///   (OpenID Connect Core §3.1.2.1, FAPI 2.0);
    /// - `response_mode` is checked by [`Profile::check_response_mode`]
    ///   (JARM §2.3; FAPI 2.0 Message Signing §5.4 where the profile
    ///   requires JARM: [`Error::ResponseModeRequired`]).
    ///
    /// Plain parameters are refused later, where they enter the server
    /// ([`crate::par::push`], [`crate::par::resolve`]), when the profile
    /// requires a signed request object (OB-REQOBJ).
    ///
    /// ```
    /// use fapi_core::authorize::{AuthorizationParams, AuthorizationRequest, RequestSource};
    /// use fapi_core::profile::Profile;
    /// let req = AuthorizationRequest {
    ///     client_id: "client-1",
    ///     response_type: "code",
    ///     redirect_uri: Some("https://client.example/cb"),
    ///     scope: "accounts",
    ///     code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ///     code_challenge_method: Some("S256"),
    ///     ..AuthorizationRequest::default()
    /// };
    /// let p = AuthorizationParams::from_request(&Profile::FAPI2, &req)?;
    /// assert_eq!(p.source(), RequestSource::Parameters);
    /// // OB-REQOBJ: UK Open Banking takes only signed request objects.
    /// assert_eq!(
    ///     p.check_signed(&Profile::OBIE),
    ///     Err(fapi_core::Error::SignedRequestRequired)
    /// );
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
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
                crate::b64::decode_array::<32>(j.as_bytes())
                    .map_err(|_| Error::InvalidParameter)?,
            )),
        };
        // JARM §2.3; FAPI 2.0 Message Signing §5.4 (fapi2-ms: jwt only).
        let mode = profile.check_response_mode(req.response_mode)?;
        Ok(Self {
            client_id: bounded(req.client_id)?,
            redirect_uri: bounded(redirect_uri)?,
            scope: bounded(req.scope)?,
            state: bounded(req.state.unwrap_or(""))?,
            code_challenge: bounded(code_challenge)?,
            dpop_jkt,
            consent_id: bounded(req.consent_id.unwrap_or(""))?,
            sharing_duration: None,
            // OpenID Connect Core §3.1.2.1
            nonce: check_nonce(req.nonce)?,
            jarm: mode == ResponseMode::Jwt,
            source: RequestSource::Parameters,
            pushed: false,
            request_uri: None,
        })
    }

    /// Checks the parameters of a verified signed request object `ro`
    /// against `profile`, with the same rules as [`Self::from_request`],
    /// and copies them; the result's source is
    /// [`RequestSource::SignedRequestObject`].
    ///
    /// The consent id is the profile's: OB-INTENT, the
    /// `openbanking_intent_id` requested as an essential claim (one not
    /// marked essential is ignored); CDR, `claims.cdr_arrangement_id`;
    /// elsewhere a `consent:<id>` scope ([`consent_in_scope`]). The CDR
    /// `claims.sharing_duration` is kept: it bounds the refresh token
    /// ([`crate::refresh::issue`]).
    pub fn from_request_object(
        profile: &Profile,
        ro: &request_object::AuthorizationParams<'_>,
    ) -> Result<Self, Error> {
        let scope = ro.scope.unwrap_or("");
        let consent_id = match profile.consent_claim {
            // OB-INTENT: the intent id travels as an essential claim.
            Some("openbanking_intent_id") => {
                ro.openbanking_intent_id.filter(|_| ro.intent_essential)
            }
            Some("cdr_arrangement_id") => ro.cdr_arrangement_id,
            _ => consent_in_scope(scope),
        };
        let req = AuthorizationRequest {
            client_id: ro.client_id,
            response_type: ro.response_type.unwrap_or(""),
            redirect_uri: ro.redirect_uri,
            scope,
            state: ro.state,
            code_challenge: ro.code_challenge,
            code_challenge_method: ro.code_challenge_method,
            dpop_jkt: ro.dpop_jkt,
            consent_id,
            nonce: ro.nonce,
            // Checked already by `verify_request_object`.
            response_mode: Some(ro.response_mode.name()),
        };
        let mut params = Self::from_request(profile, &req)?;
        params.sharing_duration = ro.sharing_duration;
        // OB-REQOBJ: only a verified request object makes this source.
        params.source = RequestSource::SignedRequestObject;
        Ok(params)
    }

    /// OB-REQOBJ (and the signed requests of `ofb` and `cdr`): where
    /// `profile.signed_request_required`, parameters that did not come in
    /// a verified signed request object are
    /// [`Error::SignedRequestRequired`].
    pub fn check_signed(&self, profile: &Profile) -> Result<(), Error> {
        if profile.signed_request_required && self.source != RequestSource::SignedRequestObject {
            Err(Error::SignedRequestRequired)
        } else {
            Ok(())
        }
    }

    /// F2-PAR, OFB-PAR, CDR-PAR: where `profile.par_required`, parameters
    /// that did not come through a pushed authorization request (a
    /// `request_uri` taken by [`crate::par::take`]) are
    /// [`Error::ParRequired`]. [`crate::code::issue`] calls it, so no code
    /// is made from a request that went around PAR.
    pub fn check_pushed(&self, profile: &Profile) -> Result<(), Error> {
        if profile.par_required && !self.pushed {
            Err(Error::ParRequired)
        } else {
            Ok(())
        }
    }

    /// Marks the parameters as taken from a pushed request (F2-PAR).
    pub(crate) fn mark_pushed(&mut self) {
        self.pushed = true;
    }

    /// Whether the parameters came through a PAR `request_uri`.
    #[must_use]
    pub fn pushed(&self) -> bool {
        self.pushed
    }

    /// The pushed request these parameters were stored under by
    /// [`crate::par::push`] (its `request_uri`'s key and expiry), if they
    /// were: what [`crate::par::spend`] spends once.
    #[must_use]
    pub fn pushed_request(&self) -> Option<&PushedRequest> {
        self.request_uri.as_ref()
    }

    /// Records the pushed request these parameters are stored under.
    pub(crate) fn set_pushed_request(&mut self, pushed: PushedRequest) {
        self.request_uri = Some(pushed);
    }

    /// The same parameters without the record of their pushed request, for
    /// tests that compare what was pushed with what was read back.
    #[cfg(test)]
    pub(crate) fn without_pushed_request(mut self) -> Self {
        self.request_uri = None;
        self
    }

    /// RFC 9449 §10.1: a DPoP proof sent to the PAR endpoint binds the code
    /// to its key, as `dpop_jkt` would. With both, they must name the same
    /// key: [`Error::DpopKeyMismatch`] otherwise.
    pub(crate) fn bind_dpop_key(&mut self, jkt: &Thumbprint) -> Result<(), Error> {
        match self.dpop_jkt {
            None => {
                self.dpop_jkt = Some(*jkt);
                Ok(())
            }
            Some(bound) if bool::from(bound.0.ct_eq(&jkt.0)) => Ok(()),
            Some(_) => Err(Error::DpopKeyMismatch),
        }
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
    /// The CDR sharing duration in seconds (`claims.sharing_duration` of a
    /// signed request object), when one was requested.
    #[must_use]
    pub fn sharing_duration(&self) -> Option<u64> {
        self.sharing_duration
    }
    /// Whether the request came as plain parameters or a verified signed
    /// request object.
    #[must_use]
    pub fn source(&self) -> RequestSource {
        self.source
    }
    /// `nonce` (empty when absent): the ID token carries it (OpenID
    /// Connect Core §3.1.3.6).
    #[must_use]
    pub fn nonce(&self) -> &str {
        &self.nonce
    }
    /// How the authorization response is to be returned: in the query,
    /// or as one signed JWT (JARM §2.3).
    #[must_use]
    pub fn response_mode(&self) -> ResponseMode {
        if self.jarm {
            ResponseMode::Jwt
        } else {
            ResponseMode::Query
        }
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
        Ok(Self {
            client_name: bounded(client_name)?,
            params,
        })
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
    /// The request this prompt asks about (its redirect URI for the page's
    /// form target, the parameters to store while the user decides).
    /// Reading it issues nothing: a code still needs the [`ConsentRecord`]
    /// of [`ConsentPrompt::approve`].
    ///
    /// ```
    /// # use fapi_core::authorize::ConsentPrompt;
    /// # fn show(prompt: &ConsentPrompt) {
    /// let where_to = prompt.params().redirect_uri();
    /// # let _ = where_to; }
    /// ```
    #[must_use]
    pub fn params(&self) -> &AuthorizationParams {
        &self.params
    }

    /// The user `subject` approved what this prompt showed. An empty subject
    /// is [`Error::InvalidParameter`].
    pub fn approve(self, subject: &str) -> Result<ConsentRecord, Error> {
        if subject.is_empty() {
            return Err(Error::InvalidParameter);
        }
        Ok(ConsentRecord {
            subject: bounded(subject)?,
            auth_time: None,
            prompt: self,
        })
    }

    /// [`Self::approve`] by a user who authenticated at `auth_time` (Unix
    /// seconds): the ID token of the code carries it (OpenID Connect Core
    /// §2, `auth_time`).
    pub fn approve_at(self, subject: &str, auth_time: u64) -> Result<ConsentRecord, Error> {
        let mut r = self.approve(subject)?;
        r.auth_time = Some(auth_time);
        Ok(r)
    }
}

/// A user's approval of a [`ConsentPrompt`]: the only input from which an
/// authorization code is issued (F2-AS-INFO).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    subject: String<MAX_SUBJECT>,
    auth_time: Option<u64>,
    prompt: ConsentPrompt,
}

impl ConsentRecord {
    /// The user who approved.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// When the user authenticated (Unix seconds), if known.
    #[must_use]
    pub fn auth_time(&self) -> Option<u64> {
        self.auth_time
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

/// The rules of [`AuthorizationParams::from_request`] that hold under every
/// profile, checked again when a stored value is read back (`serde`
/// feature): a `client_id` and a `scope` ([`Error::InvalidParameter`]
/// when empty); F2-TLS-RESP, an `https` redirect URI of RFC 3986
/// characters (every profile requires `https`), or none for a refresh
/// grant; F2-PKCE, an S256 challenge of 43 characters or none.
#[cfg(feature = "serde")]
pub(crate) fn check_stored(
    client_id: &str,
    redirect_uri: Option<&str>,
    scope: &str,
    code_challenge: &str,
) -> Result<(), Error> {
    if client_id.is_empty() || scope.is_empty() {
        return Err(Error::InvalidParameter);
    }
    if let Some(uri) = redirect_uri {
        // F2-TLS-RESP
        check_redirect_uri(&Profile::FAPI2, uri)?;
    }
    // F2-PKCE
    if !code_challenge.is_empty() && code_challenge.len() != 43 {
        return Err(Error::InvalidParameter);
    }
    Ok(())
}

#[cfg(feature = "serde")]
mod stored {
    //! The stored form of [`AuthorizationParams`]: the same fields, checked
    //! on the way in.
    use super::{
        AuthorizationParams, Error, MAX_CHALLENGE, MAX_CLIENT_ID, MAX_CONSENT_ID, MAX_NONCE,
        MAX_REDIRECT_URI, MAX_SCOPE, MAX_STATE, PushedRequest, RequestSource, String, Thumbprint,
        check_nonce, check_stored,
    };

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct AuthorizationParamsFields {
        client_id: String<MAX_CLIENT_ID>,
        redirect_uri: String<MAX_REDIRECT_URI>,
        scope: String<MAX_SCOPE>,
        state: String<MAX_STATE>,
        code_challenge: String<MAX_CHALLENGE>,
        dpop_jkt: Option<Thumbprint>,
        consent_id: String<MAX_CONSENT_ID>,
        sharing_duration: Option<u64>,
        // Absent in entries stored before OpenID Connect: no nonce, query.
        #[serde(default)]
        nonce: String<MAX_NONCE>,
        #[serde(default)]
        jarm: bool,
        source: RequestSource,
        pushed: bool,
        #[serde(default)]
        request_uri: Option<PushedRequest>,
    }

    impl TryFrom<AuthorizationParamsFields> for AuthorizationParams {
        type Error = Error;
        fn try_from(f: AuthorizationParamsFields) -> Result<Self, Error> {
            check_stored(
                &f.client_id,
                Some(&f.redirect_uri),
                &f.scope,
                &f.code_challenge,
            )?;
            // OpenID Connect Core §3.1.2.1: the nonce's length, again.
            let nonce = check_nonce(Some(&f.nonce))?;
            Ok(Self {
                client_id: f.client_id,
                redirect_uri: f.redirect_uri,
                scope: f.scope,
                state: f.state,
                code_challenge: f.code_challenge,
                dpop_jkt: f.dpop_jkt,
                consent_id: f.consent_id,
                sharing_duration: f.sharing_duration,
                nonce,
                jarm: f.jarm,
                source: f.source,
                pushed: f.pushed,
                request_uri: f.request_uri,
            })
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod stored_tests {
    use super::*;
    use crate::testing::params;

    fn json(p: &AuthorizationParams) -> std::string::String {
        serde_json::to_string(p).unwrap()
    }
    fn back(s: &str) -> Result<AuthorizationParams, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// OpenID Connect Core §3.1.2.1, JARM §2.3: the nonce and response
    /// mode survive a network store; an entry stored before them reads as
    /// no nonce and `query`; a stored nonce over 64 characters is refused.
    #[test]
    fn oidc_core_3_1_2_1_stored_nonce_and_response_mode() {
        let r = AuthorizationRequest {
            nonce: Some("n-1"),
            response_mode: Some("jwt"),
            ..crate::testing::request()
        };
        let p = AuthorizationParams::from_request(&Profile::FAPI2, &r).unwrap();
        let b = back(&json(&p)).unwrap();
        assert_eq!((b.nonce(), b.response_mode()), ("n-1", ResponseMode::Jwt));
        let old = json(&p)
            .replacen(",\"nonce\":\"n-1\"", "", 1)
            .replacen(",\"jarm\":true", "", 1);
        assert!(!old.contains("nonce") && !old.contains("jarm"), "{old}");
        let b = back(&old).unwrap();
        assert_eq!((b.nonce(), b.response_mode()), ("", ResponseMode::Query));
        let long = json(&p).replacen("\"n-1\"", &std::format!("\"{}\"", "n".repeat(65)), 1);
        assert!(back(&long).is_err());
    }

    #[test]
    fn stored_params_round_trip() {
        let mut p = params();
        p.bind_dpop_key(&Thumbprint([9; 32])).unwrap();
        p.sharing_duration = Some(7_776_000);
        p.source = RequestSource::SignedRequestObject;
        assert_eq!(back(&json(&p)).unwrap(), p);
        let plain =
            AuthorizationParams::from_request(&Profile::FAPI2, &crate::testing::request()).unwrap();
        assert!(!back(&json(&plain)).unwrap().pushed());
    }

    /// F2-TLS-RESP, F2-PKCE: a stored value that breaks a rule
    /// `from_request` enforces is refused when it is read back.
    #[test]
    fn f2_tls_resp_f2_pkce_stored_params_breaking_an_invariant_are_refused() {
        let good = json(&params());
        assert!(back(&good).is_ok());
        for (from, to) in [
            (
                "\"https://client.example/cb\"",
                "\"http://client.example/cb\"",
            ),
            (
                "\"https://client.example/cb\"",
                "\"https://client.example/c b\"",
            ),
            ("\"client-1\"", "\"\""),
            ("\"accounts\"", "\"\""),
            (crate::testing::CHALLENGE, "short"),
            ("\"pushed\":true", "\"pushed\":true,\"extra\":1"),
            ("\"Parameters\"", "\"Forged\""),
        ] {
            let bad = good.replacen(from, to, 1);
            assert_ne!(bad, good, "{from}");
            assert!(back(&bad).is_err(), "{bad}");
        }
        // longer than its capacity
        let long = "x".repeat(MAX_SCOPE + 1);
        assert!(back(&good.replacen("\"accounts\"", &std::format!("\"{long}\""), 1)).is_err());
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
            Some(b'%') => match (src.next().and_then(hex_val), src.next().and_then(hex_val)) {
                (Some(h), Some(l)) => (h << 4) | l,
                _ => return false,
            },
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
    w.raw(if redirect_uri.contains('?') {
        b"&code="
    } else {
        b"?code="
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CHALLENGE, params, request};

    /// OpenID Connect Core §3.1.2.1: the `nonce` of a plain request is
    /// kept with it; one over 64 characters (FAPI 2.0) is refused.
    #[test]
    fn oidc_core_3_1_2_1_nonce_is_kept_and_bounded() {
        let r = AuthorizationRequest {
            nonce: Some("n-0S6_WzA2Mj"),
            ..request()
        };
        let p = AuthorizationParams::from_request(&Profile::FAPI2, &r).unwrap();
        assert_eq!(p.nonce(), "n-0S6_WzA2Mj");
        assert_eq!(
            AuthorizationParams::from_request(&Profile::FAPI2, &request())
                .unwrap()
                .nonce(),
            ""
        );
        let long = "n".repeat(65);
        let r = AuthorizationRequest {
            nonce: Some(&long),
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&Profile::FAPI2, &r),
            Err(Error::InvalidParameter)
        );
        // 64 ASCII characters fit; 64 characters over 64 bytes do not.
        let max = "n".repeat(64);
        let r = AuthorizationRequest {
            nonce: Some(&max),
            ..request()
        };
        assert!(AuthorizationParams::from_request(&Profile::FAPI2, &r).is_ok());
        let wide = "\u{e9}".repeat(64);
        let r = AuthorizationRequest {
            nonce: Some(&wide),
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&Profile::FAPI2, &r),
            Err(Error::TooLarge)
        );
    }

    /// JARM §2.3: `query`, `jwt` and `query.jwt` are taken and kept;
    /// `fragment`, `form_post` and unknown modes are refused
    /// (`invalid_request` at the PAR endpoint); FAPI 2.0 Message Signing
    /// §5.4: under fapi2-ms only the JWT modes pass.
    #[test]
    fn jarm_2_3_response_mode_is_kept_and_checked_against_the_profile() {
        for (name, mode) in [
            (None, ResponseMode::Query),
            (Some("query"), ResponseMode::Query),
            (Some("jwt"), ResponseMode::Jwt),
            (Some("query.jwt"), ResponseMode::Jwt),
        ] {
            let r = AuthorizationRequest {
                response_mode: name,
                ..request()
            };
            let p = AuthorizationParams::from_request(&Profile::FAPI2, &r).unwrap();
            assert_eq!(p.response_mode(), mode, "{name:?}");
        }
        for bad in ["fragment", "form_post", "fragment.jwt", "JWT", ""] {
            let r = AuthorizationRequest {
                response_mode: Some(bad),
                ..request()
            };
            let e = AuthorizationParams::from_request(&Profile::FAPI2, &r).unwrap_err();
            assert_eq!(e, Error::InvalidParameter, "{bad}");
            assert_eq!(
                e.oauth_error(crate::Site::ParRequest).as_str(),
                "invalid_request"
            );
        }
        for plain in [None, Some("query")] {
            let r = AuthorizationRequest {
                response_mode: plain,
                ..request()
            };
            let e = AuthorizationParams::from_request(&Profile::FAPI2_MS, &r).unwrap_err();
            assert_eq!(e, Error::ResponseModeRequired, "{plain:?}");
            assert_eq!(
                e.oauth_error(crate::Site::ParRequest).as_str(),
                "invalid_request"
            );
        }
    }

    /// The nonce of a signed request object is kept as that of plain
    /// parameters is.
    #[test]
    fn oidc_core_3_1_2_1_request_object_nonce_is_kept() {
        let mut ro = crate::testing::request_object("client-1");
        ro.nonce = Some("ro-nonce");
        let p = AuthorizationParams::from_request_object(&Profile::FAPI2, &ro).unwrap();
        assert_eq!(p.nonce(), "ro-nonce");
    }

    /// F2-FLOWS: only `response_type=code`; implicit (`token`), `id_token`
    /// and hybrid responses are refused.
    #[test]
    fn f2_flows_response_type_code_only() {
        assert_eq!(check_response_type(&Profile::FAPI2, "code"), Ok(()));
        for bad in [
            "token",
            "id_token",
            "code id_token",
            "code token",
            "none",
            "",
            "CODE",
        ] {
            assert_eq!(
                check_response_type(&Profile::FAPI2, bad),
                Err(Error::ResponseTypeRefused)
            );
            let req = AuthorizationRequest {
                response_type: bad,
                ..request()
            };
            assert_eq!(
                AuthorizationParams::from_request(&Profile::FAPI2, &req),
                Err(Error::ResponseTypeRefused)
            );
        }
        // FAPI 1.0 Advanced (obie) still knows the hybrid flow.
        assert_eq!(check_response_type(&Profile::OBIE, "code id_token"), Ok(()));
    }

    /// F2-FLOWS: implicit and password grants are refused.
    #[test]
    fn f2_flows_grant_types() {
        for p in Profile::ALL {
            assert_eq!(
                GrantType::parse(p, "authorization_code"),
                Ok(GrantType::AuthorizationCode)
            );
            assert_eq!(
                GrantType::parse(p, "client_credentials"),
                Ok(GrantType::ClientCredentials)
            );
            assert_eq!(
                GrantType::parse(p, "refresh_token"),
                Ok(GrantType::RefreshToken)
            );
            for bad in [
                "implicit",
                "password",
                "urn:ietf:params:oauth:grant-type:device_code",
                "",
            ] {
                assert_eq!(
                    GrantType::parse(p, bad),
                    Err(Error::GrantTypeRefused),
                    "{bad}"
                );
            }
        }
        assert_eq!(GrantType::RefreshToken.name(), "refresh_token");
    }

    /// CDR-CODE-FLOW, BG-CODE-FLOW: user-consented access only through the
    /// authorization code flow.
    #[test]
    fn cdr_code_flow_bg_code_flow_refuse_client_credentials_for_user_data() {
        for p in [Profile::CDR, Profile::BERLIN, Profile::FAPI2_PLUS] {
            assert_eq!(
                GrantType::ClientCredentials.check_access(&p, Access::UserConsented),
                Err(Error::GrantTypeRefused),
                "{}",
                p.name
            );
            assert_eq!(
                GrantType::ClientCredentials.check_access(&p, Access::ClientOnly),
                Ok(())
            );
            assert_eq!(
                GrantType::AuthorizationCode.check_access(&p, Access::UserConsented),
                Ok(())
            );
        }
        assert_eq!(
            GrantType::ClientCredentials.check_access(&Profile::FAPI2, Access::UserConsented),
            Ok(())
        );
    }

    /// F2-TLS-RESP: redirect URIs must be https.
    #[test]
    fn f2_tls_resp_https_redirects_only() {
        let p = Profile::FAPI2;
        assert_eq!(
            check_redirect_uri(&p, "https://client.example/cb?x=1"),
            Ok(())
        );
        assert_eq!(
            check_redirect_uri(&p, "HTTPS://client.example:8443/cb"),
            Ok(())
        );
        for bad in [
            "http://client.example/cb",
            "com.example.app://cb",
            "ftp://x/",
            "wss://x/",
        ] {
            assert_eq!(
                check_redirect_uri(&p, bad),
                Err(Error::InsecureRedirect),
                "{bad}"
            );
        }
        for bad in [
            "https://",
            "https:///cb",
            "https://c.example/cb#frag",
            "client.example/cb",
            "https://a b/",
        ] {
            assert_eq!(
                check_redirect_uri(&p, bad),
                Err(Error::InvalidParameter),
                "{bad}"
            );
        }
        let req = AuthorizationRequest {
            redirect_uri: Some("http://client.example/cb"),
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &req),
            Err(Error::InsecureRedirect)
        );
    }

    /// FAPI 2.0: `redirect_uri` is required in the PAR request.
    #[test]
    fn redirect_uri_required() {
        let req = AuthorizationRequest {
            redirect_uri: None,
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&Profile::FAPI2, &req),
            Err(Error::InvalidParameter)
        );
    }

    /// F2-PKCE at the authorization request: challenge required, S256 only.
    #[test]
    fn pkce_parameters() {
        let p = Profile::FAPI2;
        let missing = AuthorizationRequest {
            code_challenge: None,
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &missing),
            Err(Error::PkceMissing)
        );
        let plain = AuthorizationRequest {
            code_challenge_method: Some("plain"),
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &plain),
            Err(Error::PkceMethod)
        );
        let absent = AuthorizationRequest {
            code_challenge_method: None,
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &absent),
            Err(Error::PkceMethod)
        );
        let short = AuthorizationRequest {
            code_challenge: Some("abc"),
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &short),
            Err(Error::InvalidParameter)
        );
        assert_eq!(params().code_challenge(), CHALLENGE);
    }

    #[test]
    fn params_limits_and_dpop_jkt() {
        let p = Profile::FAPI2;
        let long = [b'a'; MAX_SCOPE + 1];
        let long = core::str::from_utf8(&long).unwrap();
        let req = AuthorizationRequest {
            scope: long,
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &req),
            Err(Error::TooLarge)
        );
        let req = AuthorizationRequest {
            client_id: "",
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &req),
            Err(Error::InvalidParameter)
        );
        let req = AuthorizationRequest {
            dpop_jkt: Some("not a thumbprint"),
            ..request()
        };
        assert_eq!(
            AuthorizationParams::from_request(&p, &req),
            Err(Error::InvalidParameter)
        );
        // RFC 7638 §3.1 thumbprint
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let req = AuthorizationRequest {
            dpop_jkt: Some(jkt),
            ..request()
        };
        let got = AuthorizationParams::from_request(&p, &req).unwrap();
        assert!(got.dpop_jkt().unwrap().matches_b64(jkt));
        assert_eq!(got.state(), "af0ifjsldkj");
        assert_eq!(got.consent_id(), "urn:bank:aac:1");
    }

    /// F2-AS-INFO: the consent screen needs the client identity and the
    /// scope; without them there is no prompt, hence no consent, hence no code.
    #[test]
    fn f2_as_info_prompt_needs_client_identity_and_scope() {
        assert_eq!(
            ConsentPrompt::new("", params()),
            Err(Error::InvalidParameter)
        );
        assert_eq!(
            ConsentPrompt::new("   ", params()),
            Err(Error::InvalidParameter)
        );
        let pushed = params();
        let prompt = ConsentPrompt::new("Example Money", pushed.clone()).unwrap();
        assert_eq!(prompt.client_name(), "Example Money");
        assert_eq!(prompt.client_id(), "client-1");
        assert_eq!(prompt.scope(), "accounts");
        assert_eq!(prompt.consent_id(), "urn:bank:aac:1");
        assert_eq!(prompt.clone().approve(""), Err(Error::InvalidParameter));
        let record = prompt.approve("user-42").unwrap();
        assert_eq!(record.subject(), "user-42");
        assert_eq!(record.prompt().client_name(), "Example Money");
        assert_eq!(record.params(), &pushed);
    }

    /// F2-ISS: the response carries `iss`, and the client refuses a
    /// response whose `iss` is missing or another issuer's (mix-up).
    #[test]
    fn f2_iss_written_and_checked() {
        let mut out = [0u8; 256];
        let n = write_response(
            "https://client.example/cb",
            "SplxlOBeZQQYbYS6WxSbIA",
            "xyz",
            "https://as.example/",
            &mut out,
        )
        .unwrap();
        let uri = core::str::from_utf8(&out[..n]).unwrap();
        // RFC 9207 §2 example form
        assert_eq!(
            uri,
            "https://client.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fas.example%2F"
        );
        let query = uri.split_once('?').unwrap().1;
        assert_eq!(
            check_response(query, "https://as.example/", "xyz"),
            Ok("SplxlOBeZQQYbYS6WxSbIA")
        );
        assert_eq!(
            check_response(query, "https://attacker.example/", "xyz"),
            Err(Error::WrongIssuer)
        );
        assert_eq!(
            check_response(query, "https://as.example", "xyz"),
            Err(Error::WrongIssuer)
        );
        assert_eq!(
            check_response("code=abc&state=xyz", "https://as.example/", "xyz"),
            Err(Error::WrongIssuer)
        );
        assert_eq!(
            check_response(query, "https://as.example/", "other"),
            Err(Error::InvalidParameter)
        );
        assert_eq!(
            check_response(
                "code=a&code=b&state=xyz&iss=https%3A%2F%2Fas.example%2F",
                "https://as.example/",
                "xyz"
            ),
            Err(Error::InvalidParameter)
        );
        assert_eq!(
            check_response(
                "error=access_denied&state=xyz&iss=https://as.example/",
                "https://as.example/",
                "xyz"
            ),
            Err(Error::InvalidParameter)
        );
        assert_eq!(
            check_response(
                "code=abc&state=xyz&iss=https://as.example/",
                "https://as.example/",
                "xyz"
            ),
            Ok("abc")
        );
        // an existing query is kept
        let n =
            write_response("https://c.example/cb?a=1", "c", "", "https://as", &mut out).unwrap();
        assert_eq!(
            &out[..n],
            b"https://c.example/cb?a=1&code=c&iss=https%3A%2F%2Fas"
        );
        assert_eq!(
            write_response(
                "https://c.example/cb",
                "c",
                "s",
                "https://as",
                &mut [0u8; 10]
            ),
            Err(Error::BufferTooSmall)
        );
    }

    /// F2-CLIENT-INFO: starting authorization needs the user's action, made
    /// after the client said what will happen.
    #[test]
    fn f2_client_info_start_needs_user_action() {
        assert_eq!(UserAction::new(""), Err(Error::InvalidParameter));
        assert_eq!(UserAction::new("  "), Err(Error::InvalidParameter));
        let action =
            UserAction::new("You will be sent to Example Bank to approve access.").unwrap();
        let mut out = [0u8; 512];
        let n = start_authorization(action, &Profile::FAPI2, &request(), &mut out).unwrap();
        assert_eq!(
            core::str::from_utf8(&out[..n]).unwrap(),
            "response_type=code&client_id=client-1&redirect_uri=https%3A%2F%2Fclient.example%2Fcb\
             &scope=accounts&state=af0ifjsldkj&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256"
        );
        let action = UserAction::new("Continue to your bank").unwrap();
        let insecure = AuthorizationRequest {
            redirect_uri: Some("http://c.example/cb"),
            ..request()
        };
        assert_eq!(
            start_authorization(action, &Profile::FAPI2, &insecure, &mut out),
            Err(Error::InsecureRedirect)
        );
    }
}
