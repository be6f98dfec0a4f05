//! The paper's comparison table, computed for a real server: its RFC 8414
//! metadata document and the lifetimes and facts it declares, checked
//! against each requirement set. Every requirement ID of the set gets a
//! [`Finding`]: pass, fail with a reason, or not applicable (a rule that
//! neither metadata nor configuration shows, which fapi enforces in its
//! types instead).
//!
//! F2-METADATA, OFB-METADATA: the metadata must parse (duplicate members
//! and malformed JSON are refused with the [`json`](crate::json) errors)
//! and carry the members RFC 8414 and the profile require.

use serde::Deserialize;

use crate::alg::Alg;
use crate::error::Error;
use crate::profile::{Profile, ProfileId, SenderConstraint};

/// The most entries read from one metadata list.
pub const MAX_LIST: usize = 24;
/// The most findings for one profile.
pub const MAX_FINDINGS: usize = 32;

/// A metadata list of names.
pub type List<'a> = heapless::Vec<&'a str, MAX_LIST>;

/// The RFC 8414 (and RFC 9126, 9207, 9449, 8705, 9101, OpenID Discovery)
/// members the audit reads. Other members are ignored.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[allow(
    missing_docs,
    reason = "each field is the metadata member of the same name"
)]
pub struct Metadata<'a> {
    #[serde(borrow)]
    pub issuer: Option<&'a str>,
    #[serde(borrow)]
    pub authorization_endpoint: Option<&'a str>,
    #[serde(borrow)]
    pub token_endpoint: Option<&'a str>,
    #[serde(borrow)]
    pub jwks_uri: Option<&'a str>,
    #[serde(borrow)]
    pub pushed_authorization_request_endpoint: Option<&'a str>,
    pub require_pushed_authorization_requests: Option<bool>,
    #[serde(borrow)]
    pub token_endpoint_auth_methods_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub token_endpoint_auth_signing_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub dpop_signing_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub request_object_signing_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub id_token_signing_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub authorization_signing_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub introspection_signing_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub request_object_encryption_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub request_object_encryption_enc_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub id_token_encryption_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub id_token_encryption_enc_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub authorization_encryption_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub authorization_encryption_enc_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub introspection_encryption_alg_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub introspection_encryption_enc_values_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub subject_types_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub scopes_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub code_challenge_methods_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub response_types_supported: Option<List<'a>>,
    #[serde(borrow)]
    pub grant_types_supported: Option<List<'a>>,
    pub tls_client_certificate_bound_access_tokens: Option<bool>,
    pub authorization_response_iss_parameter_supported: Option<bool>,
    #[serde(borrow)]
    pub introspection_endpoint: Option<&'a str>,
    pub require_signed_request_object: Option<bool>,
    #[serde(borrow)]
    pub claims_supported: Option<List<'a>>,
    pub claims_parameter_supported: Option<bool>,
    pub request_parameter_supported: Option<bool>,
    pub request_uri_parameter_supported: Option<bool>,
    #[serde(borrow)]
    pub response_modes_supported: Option<List<'a>>,
}

impl<'a> Metadata<'a> {
    /// Parses a metadata document: [`Error::DuplicateMember`] for a member
    /// named twice, [`Error::Json`] for anything malformed or of the wrong
    /// shape, [`Error::TooLarge`] for an oversized document or a list
    /// longer than [`MAX_LIST`].
    ///
    /// Values borrow from `doc`, so a value written with escapes (PHP
    /// writes `"https:\/\/as.example"`) is [`Error::EscapedValue`] here (a
    /// client error); [`Metadata::parse_in`] reads any document.
    pub fn parse(doc: &'a [u8]) -> Result<Self, Error> {
        crate::json::parse(doc)
    }

    /// [`Metadata::parse`], decoding values written with escapes into
    /// `scratch` (`doc.len()` bytes always suffice).
    ///
    /// ```
    /// use fapi_core::audit::Metadata;
    /// let doc = br#"{"issuer":"https:\/\/as.example"}"#;
    /// let mut scratch = [0u8; 64];
    /// let md = Metadata::parse_in(doc, &mut scratch)?;
    /// assert_eq!(md.issuer, Some("https://as.example"));
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub fn parse_in(doc: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, Error> {
        crate::json::parse_in(doc, scratch)
    }
}

/// The scratch space [`audit`] decodes escaped metadata values into:
/// [`json::MAX_DOCUMENT`](crate::json::MAX_DOCUMENT), so that every
/// document [`json::check`](crate::json::check) accepts is read whatever
/// its escapes (the decoded values are never longer than the document).
pub const METADATA_SCRATCH: usize = crate::json::MAX_DOCUMENT;

/// The TLS versions a server accepts, at the oldest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.1 or older is still accepted.
    Older,
    /// TLS 1.2 and newer.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// What the server declares beyond its metadata: the lifetimes it uses and
/// facts the metadata cannot show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig<'a> {
    /// The RFC 8414 metadata document, as served.
    pub metadata: &'a [u8],
    /// Access token lifetime (s).
    pub access_token_ttl: u64,
    /// Authorization code lifetime (s).
    pub code_ttl: u64,
    /// PAR `request_uri` lifetime (s).
    pub par_ttl: u64,
    /// The longest request object `exp - nbf` accepted (s), if bounded.
    pub request_object_ttl: Option<u64>,
    /// Whether refresh tokens are rotated.
    pub refresh_rotation: bool,
    /// Whether codes are redeemed by an atomic take (fapi's [`crate::code`]).
    pub codes_single_use: bool,
    /// Whether only `https` redirect URIs are registered.
    pub https_redirects_only: bool,
    /// The TLS cipher suites (IANA names) the server supports.
    pub tls_suites: &'a [&'a str],
    /// The oldest TLS version accepted.
    pub tls_min_version: TlsVersion,
    /// The conformance certifications the server holds (e.g.
    /// [`crate::profile::FAPI1_ADVANCED`]).
    pub certified_conformance: &'a [&'a str],
    /// Whether resource request messages are signed by the client.
    pub signed_messages: bool,
}

/// The outcome for one requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Met.
    Pass,
    /// Not met, and why.
    Fail(&'static str),
    /// Not visible in metadata or configuration (enforced by fapi's types).
    NotApplicable,
}

/// One row of the table: a requirement ID and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The requirement ID (`F2-PAR`, `CDR-AT-TTL`, ...).
    pub id: &'static str,
    /// Pass, fail or not applicable.
    pub outcome: Outcome,
}

/// Every finding for one profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The profile audited.
    pub profile: ProfileId,
    findings: heapless::Vec<Finding, MAX_FINDINGS>,
}

impl Report {
    /// The findings, in the profile's order.
    #[must_use]
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The outcome for `id`, if the profile has it.
    #[must_use]
    pub fn outcome(&self, id: &str) -> Option<Outcome> {
        self.findings.iter().find(|f| f.id == id).map(|f| f.outcome)
    }

    /// Whether nothing failed.
    #[must_use]
    pub fn passed(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|f| matches!(f.outcome, Outcome::Fail(_)))
    }

    /// The failed findings.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Fail(_)))
    }
}

/// Audits `config` against `profile`. The metadata must parse (F2-METADATA,
/// OFB-METADATA): a malformed document or one with a duplicate member is
/// refused with its typed error rather than reported.
pub fn audit(profile: &Profile, config: &ServerConfig<'_>) -> Result<Report, Error> {
    let mut scratch = [0u8; METADATA_SCRATCH];
    let md = Metadata::parse_in(config.metadata, &mut scratch)?;
    let mut findings = heapless::Vec::new();
    for &id in profile.requirements {
        let outcome = evaluate(id, profile, &md, config);
        findings
            .push(Finding { id, outcome })
            .map_err(|_| Error::TooLarge)?;
    }
    Ok(Report {
        profile: profile.id,
        findings,
    })
}

/// Audits `config` against all seven profiles, in [`Profile::ALL`] order.
pub fn audit_all(config: &ServerConfig<'_>) -> Result<[Report; 7], Error> {
    let [a, b, c, d, e, f, g] = Profile::ALL else {
        return Err(Error::ProfileViolation);
    };
    Ok([
        audit(a, config)?,
        audit(b, config)?,
        audit(c, config)?,
        audit(d, config)?,
        audit(e, config)?,
        audit(f, config)?,
        audit(g, config)?,
    ])
}

fn pass_if(ok: bool, reason: &'static str) -> Outcome {
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail(reason)
    }
}

fn first_fail(outcomes: &[Outcome]) -> Outcome {
    outcomes
        .iter()
        .copied()
        .find(|o| matches!(o, Outcome::Fail(_)))
        .unwrap_or(Outcome::Pass)
}

fn is_https(url: Option<&str>) -> bool {
    url.and_then(|u| u.get(..8))
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

fn list<'l>(l: &'l Option<List<'_>>) -> &'l [&'l str] {
    l.as_ref().map(|v| v.as_slice()).unwrap_or(&[])
}

fn evaluate(id: &str, p: &Profile, md: &Metadata<'_>, c: &ServerConfig<'_>) -> Outcome {
    match id {
        // F2-METADATA, OFB-METADATA
        "F2-METADATA" | "OFB-METADATA" => metadata(p, md),
        "F2-CONF-CLIENT" | "OFB-CONF-CLIENT" | "CDR-CONF-CLIENT" => confidential(md),
        // F2-FLOWS, CDR-CODE-FLOW, BG-CODE-FLOW
        "F2-FLOWS" | "CDR-CODE-FLOW" | "BG-CODE-FLOW" => flows(p, md),
        "F2-CLIENT-AUTH" | "OFB-CLIENT-AUTH" | "CDR-CLIENT-AUTH" => client_auth(p, md),
        "BG-MTLS" => first_fail(&[
            client_auth(p, md),
            pass_if(
                !p.tls12_required || c.tls_min_version >= TlsVersion::Tls12,
                "TLS older than 1.2 accepted",
            ),
        ]),
        // F2-PAR, OFB-PAR, CDR-PAR
        "F2-PAR" | "OFB-PAR" | "CDR-PAR" => first_fail(&[
            pass_if(
                md.pushed_authorization_request_endpoint.is_some(),
                "no pushed_authorization_request_endpoint",
            ),
            pass_if(
                md.require_pushed_authorization_requests == Some(true),
                "require_pushed_authorization_requests is not true",
            ),
            // RFC 9126 §5: with PAR required the authorization endpoint
            // takes request data only pushed; a request object by value
            // there is what the profile's server refuses.
            pass_if(
                md.request_parameter_supported != Some(true),
                "request_parameter_supported is true: request objects by value at the authorization endpoint, where the profile takes only pushed requests",
            ),
        ]),
        // F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL
        "F2-PAR-TTL" | "OFB-PAR-TTL" | "CDR-PAR-TTL" => ttl(
            p.par_ttl,
            c.par_ttl,
            "PAR request_uri lifetime longer than the profile allows",
            "PAR request_uri lifetime shorter than the profile requires",
        ),
        // F2-ISS
        "F2-ISS" => pass_if(
            !p.iss_required || md.authorization_response_iss_parameter_supported == Some(true),
            "authorization_response_iss_parameter_supported is not true",
        ),
        // F2-CODE-ONCE, CDR-CODE-ONCE
        "F2-CODE-ONCE" | "CDR-CODE-ONCE" => pass_if(
            c.codes_single_use,
            "authorization codes can be redeemed more than once",
        ),
        // F2-CODE-TTL
        "F2-CODE-TTL" => ttl(
            p.code_ttl,
            c.code_ttl,
            "authorization code lifetime over 60 s",
            "authorization code lifetime zero",
        ),
        "F2-ALG" | "OB-ALG" | "OFB-ALG" | "CDR-ALG" => algs(p, md),
        "F2-PKCE" | "OFB-PKCE" | "CDR-PKCE" | "BG-PKCE" => pkce(md),
        // F2-TLS-RESP
        "F2-TLS-RESP" => first_fail(&[
            pass_if(
                is_https(md.authorization_endpoint),
                "authorization_endpoint is not https",
            ),
            pass_if(
                c.https_redirects_only,
                "redirect URIs are not restricted to https",
            ),
        ]),
        "F2-SENDER" | "OB-SENDER" | "CDR-HOK" => sender(p, md),
        // F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE
        "F2-RT-NO-ROTATE" | "OFB-RT-NO-ROTATE" | "CDR-RT-NO-ROTATE" => pass_if(
            !c.refresh_rotation || p.refresh_rotation,
            "refresh tokens are rotated",
        ),
        // F2-AS-INFO, F2-CLIENT-INFO: properties of the consent screen and
        // the client's UI, enforced by `authorize::ConsentPrompt` and
        // `authorize::UserAction`, not visible to an audit.
        "F2-AS-INFO" | "F2-CLIENT-INFO" => Outcome::NotApplicable,
        // OB-FAPI1: the server declares its FAPI 1.0 Advanced certification.
        "OB-FAPI1" => pass_if(
            p.required_conformance
                .is_none_or(|r| c.certified_conformance.contains(&r)),
            "no FAPI 1.0 Advanced conformance certification declared",
        ),
        // OB-REQOBJ, CDR-REQ-TTL: signed request objects, required where
        // the profile requires them (RFC 9101), and their lifetime.
        "OB-REQOBJ" | "CDR-REQ-TTL" => first_fail(&[
            pass_if(
                !list(&md.request_object_signing_alg_values_supported).is_empty(),
                "request_object_signing_alg_values_supported missing",
            ),
            pass_if(
                !p.signed_request_required || md.require_signed_request_object == Some(true),
                "require_signed_request_object is not true",
            ),
            signed_request_way_in(p, md),
            match (p.request_object_max_ttl, c.request_object_ttl) {
                (None, _) => Outcome::Pass,
                (Some(_), None) => Outcome::Fail("request object lifetime not bounded"),
                (Some(max), Some(t)) => pass_if(t <= max, "request object lifetime over 60 min"),
            },
        ]),
        "OB-INTENT" => first_fail(&[
            pass_if(
                p.consent_claim
                    .is_none_or(|claim| list(&md.claims_supported).contains(&claim)),
                "the consent claim is not in claims_supported",
            ),
            pass_if(
                md.claims_parameter_supported == Some(true),
                "claims_parameter_supported is not true",
            ),
        ]),
        "OFB-AT-TTL" | "CDR-AT-TTL" => ttl(
            p.access_token_ttl,
            c.access_token_ttl,
            "access token lifetime longer than the profile allows",
            "access token lifetime shorter than the profile requires",
        ),
        // OFB-TLS: every suite the profile names is supported.
        "OFB-TLS" => pass_if(
            p.tls_suites.iter().all(|s| c.tls_suites.contains(s)),
            "a required TLS cipher suite is not supported",
        ),
        "BG-SIGNED-REQ" => pass_if(
            !p.signed_messages_required || c.signed_messages,
            "request messages are not signed",
        ),
        "CDR-INTROSPECT" => pass_if(
            !p.refresh_introspection || md.introspection_endpoint.is_some(),
            "no introspection_endpoint",
        ),
        _ => Outcome::Fail("requirement unknown to the audit"),
    }
}

/// OB-REQOBJ: where the profile takes only signed requests, a document
/// that neither requires pushed requests nor accepts a request object at
/// the authorization endpoint (by value, `request_parameter_supported`,
/// or by reference, `request_uri_parameter_supported`, which defaults to
/// true) leaves a signed request no way in but PAR, which it then claims
/// is optional.
fn signed_request_way_in(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let by_value = md.request_parameter_supported == Some(true);
    let by_reference = md.request_uri_parameter_supported != Some(false);
    pass_if(
        !p.signed_request_required
            || md.require_pushed_authorization_requests == Some(true)
            || by_value
            || by_reference,
        "require_pushed_authorization_requests is not true, yet the authorization endpoint takes no request object (request_parameter_supported, request_uri_parameter_supported): signed requests can only be pushed",
    )
}

fn ttl(range: crate::profile::Seconds, t: u64, long: &'static str, short: &'static str) -> Outcome {
    match Profile::check_ttl(range, t) {
        Ok(()) => Outcome::Pass,
        Err(Error::LifetimeTooLong) => Outcome::Fail(long),
        Err(_) => Outcome::Fail(short),
    }
}

fn metadata(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let issuer_ok = md.issuer.is_some_and(|i| !i.contains(['?', '#']));
    first_fail(&[
        pass_if(md.issuer.is_some(), "issuer missing"),
        pass_if(
            is_https(md.issuer) && issuer_ok,
            "issuer is not an https URL without query or fragment",
        ),
        pass_if(
            md.authorization_endpoint.is_some(),
            "authorization_endpoint missing",
        ),
        pass_if(md.token_endpoint.is_some(), "token_endpoint missing"),
        pass_if(md.jwks_uri.is_some(), "jwks_uri missing"),
        pass_if(
            md.response_types_supported.is_some(),
            "response_types_supported missing",
        ),
        pass_if(
            !p.par_required || md.pushed_authorization_request_endpoint.is_some(),
            "pushed_authorization_request_endpoint missing",
        ),
        // OpenID Connect Discovery 1.0 §3: an OpenID Provider (one that
        // grants `openid`) names its subject types and ID token algorithms.
        pass_if(
            !is_openid_provider(md) || md.subject_types_supported.is_some(),
            "subject_types_supported missing (OpenID Connect Discovery §3)",
        ),
        pass_if(
            !is_openid_provider(md) || md.id_token_signing_alg_values_supported.is_some(),
            "id_token_signing_alg_values_supported missing (OpenID Connect Discovery §3)",
        ),
        message_signing(p, md),
    ])
}

/// FAPI 2.0 Message Signing §5.3, §5.4, §5.6 (`fapi2-ms`): the metadata
/// advertises what the profile requires: signed requests
/// (`require_signed_request_object`, `request_object_signing_alg_values_supported`),
/// JARM (`response_modes_supported` with `jwt`,
/// `authorization_signing_alg_values_supported`) and signed introspection
/// (`introspection_signing_alg_values_supported`, RFC 9701 §7).
fn message_signing(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let has = |l: &Option<List<'_>>| !list(l).is_empty();
    let jarm = p.jarm_required;
    first_fail(&[
        pass_if(
            !(jarm && p.signed_request_required) || md.require_signed_request_object == Some(true),
            "require_signed_request_object is not true (FAPI 2.0 Message Signing §5.3)",
        ),
        pass_if(
            !(jarm && p.signed_request_required)
                || has(&md.request_object_signing_alg_values_supported),
            "request_object_signing_alg_values_supported missing (FAPI 2.0 Message Signing §5.3)",
        ),
        pass_if(
            !jarm || list(&md.response_modes_supported).contains(&"jwt"),
            "response_modes_supported lacks jwt (FAPI 2.0 Message Signing §5.4, JARM)",
        ),
        pass_if(
            !jarm || has(&md.authorization_signing_alg_values_supported),
            "authorization_signing_alg_values_supported missing (FAPI 2.0 Message Signing §5.4, JARM)",
        ),
        pass_if(
            !p.signed_introspection_required || has(&md.introspection_signing_alg_values_supported),
            "introspection_signing_alg_values_supported missing (FAPI 2.0 Message Signing §5.6, RFC 9701)",
        ),
    ])
}

/// Whether the document is an OpenID Provider's: it grants `openid`, or
/// advertises ID token algorithms.
fn is_openid_provider(md: &Metadata<'_>) -> bool {
    list(&md.scopes_supported).contains(&"openid")
        || md.id_token_signing_alg_values_supported.is_some()
}

fn confidential(md: &Metadata<'_>) -> Outcome {
    match &md.token_endpoint_auth_methods_supported {
        None => Outcome::Fail(
            "token_endpoint_auth_methods_supported missing (defaults to client_secret_basic)",
        ),
        Some(m) => pass_if(
            !m.contains(&"none"),
            "public clients (auth method none) accepted",
        ),
    }
}

fn flows(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let response_types = list(&md.response_types_supported);
    first_fail(&[
        pass_if(
            !response_types.is_empty(),
            "response_types_supported missing",
        ),
        pass_if(
            response_types.iter().all(|r| p.response_types.contains(r)),
            "a response type other than code is supported (implicit or hybrid)",
        ),
        match &md.grant_types_supported {
            None => Outcome::Fail("grant_types_supported missing (the default includes implicit)"),
            Some(g) => pass_if(
                g.iter().all(|g| p.grant_types.contains(g)),
                "a grant type outside the profile is supported (implicit, password, ...)",
            ),
        },
    ])
}

fn client_auth(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let Some(methods) = &md.token_endpoint_auth_methods_supported else {
        return Outcome::Fail(
            "token_endpoint_auth_methods_supported missing (defaults to client_secret_basic)",
        );
    };
    if methods.is_empty() {
        return Outcome::Fail("token_endpoint_auth_methods_supported is empty");
    }
    for m in methods {
        if p.client_auth.iter().any(|a| a.name() == *m) {
            continue;
        }
        return Outcome::Fail(match *m {
            "client_secret_basic" | "client_secret_post" | "client_secret_jwt" => {
                "client secret authentication accepted"
            }
            "none" => "public clients (auth method none) accepted",
            "tls_client_auth" | "self_signed_tls_client_auth" => {
                "MTLS client authentication accepted where the profile forbids it"
            }
            "private_key_jwt" => "private_key_jwt accepted where the profile requires MTLS",
            _ => "an unknown client authentication method accepted",
        });
    }
    Outcome::Pass
}

fn algs(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let signing = [
        &md.token_endpoint_auth_signing_alg_values_supported,
        &md.dpop_signing_alg_values_supported,
        &md.request_object_signing_alg_values_supported,
        &md.id_token_signing_alg_values_supported,
        &md.authorization_signing_alg_values_supported,
        &md.introspection_signing_alg_values_supported,
    ];
    for l in signing {
        for name in list(l) {
            match Alg::from_name(name) {
                Err(_) => {
                    return Outcome::Fail(
                        "a signature algorithm fapi never accepts (none, HS*, RS*, ...)",
                    );
                }
                Ok(a) if !p.algs.contains(&a) => {
                    return Outcome::Fail("a signature algorithm outside the profile");
                }
                Ok(_) => {}
            }
        }
    }
    // OFB-ALG, CDR-ALG: every advertised encryption algorithm, of ID
    // tokens, JARM responses (JARM §3) and introspection responses (RFC
    // 9701 §7), sits inside the profile's list.
    if let Some(allowed) = p.jwe_algs {
        for l in [
            &md.request_object_encryption_alg_values_supported,
            &md.id_token_encryption_alg_values_supported,
            &md.authorization_encryption_alg_values_supported,
            &md.introspection_encryption_alg_values_supported,
        ] {
            if list(l).iter().any(|a| !allowed.contains(a)) {
                return Outcome::Fail("an encryption algorithm outside the profile");
            }
        }
    }
    if let Some(allowed) = p.jwe_encs {
        for l in [
            &md.request_object_encryption_enc_values_supported,
            &md.id_token_encryption_enc_values_supported,
            &md.authorization_encryption_enc_values_supported,
            &md.introspection_encryption_enc_values_supported,
        ] {
            if list(l).iter().any(|e| !allowed.contains(e)) {
                return Outcome::Fail("a content encryption algorithm outside the profile");
            }
        }
    }
    Outcome::Pass
}

fn pkce(md: &Metadata<'_>) -> Outcome {
    let methods = list(&md.code_challenge_methods_supported);
    first_fail(&[
        pass_if(methods.contains(&"S256"), "PKCE S256 not supported"),
        pass_if(
            methods.iter().all(|m| *m == "S256"),
            "a PKCE method other than S256 (plain) supported",
        ),
    ])
}

fn sender(p: &Profile, md: &Metadata<'_>) -> Outcome {
    let dpop = p.sender.contains(&SenderConstraint::Dpop)
        && !list(&md.dpop_signing_alg_values_supported).is_empty();
    let mtls = p.sender.contains(&SenderConstraint::Mtls)
        && md.tls_client_certificate_bound_access_tokens == Some(true);
    if dpop || mtls {
        Outcome::Pass
    } else if p.sender.contains(&SenderConstraint::Dpop) {
        Outcome::Fail("neither DPoP nor certificate-bound access tokens supported")
    } else {
        Outcome::Fail("tls_client_certificate_bound_access_tokens is not true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    /// A FAPI 2.0 server's metadata (members as in RFC 8414, RFC 9126,
    /// RFC 9207, RFC 9449 and RFC 8705), with members the audit ignores.
    const FAPI2_METADATA: &str = r#"{
        "issuer": "https://as.example",
        "authorization_endpoint": "https://as.example/authorize",
        "token_endpoint": "https://as.example/token",
        "jwks_uri": "https://as.example/jwks",
        "pushed_authorization_request_endpoint": "https://as.example/par",
        "require_pushed_authorization_requests": true,
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "tls_client_auth"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS256", "ES256", "EdDSA"],
        "dpop_signing_alg_values_supported": ["ES256", "PS256"],
        "request_object_signing_alg_values_supported": ["PS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "tls_client_certificate_bound_access_tokens": true,
        "authorization_response_iss_parameter_supported": true,
        "introspection_endpoint": "https://as.example/introspect",
        "scopes_supported": ["accounts", "payments"],
        "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.as.example/token"}
    }"#;

    fn config(metadata: &str) -> ServerConfig<'_> {
        ServerConfig {
            metadata: metadata.as_bytes(),
            access_token_ttl: 3600,
            code_ttl: 60,
            par_ttl: 90,
            request_object_ttl: Some(3600),
            refresh_rotation: false,
            codes_single_use: true,
            https_redirects_only: true,
            tls_suites: &["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
            tls_min_version: TlsVersion::Tls12,
            certified_conformance: &[],
            signed_messages: false,
        }
    }

    fn with(replace: &str, by: &str) -> String {
        assert!(FAPI2_METADATA.contains(replace), "{replace}");
        FAPI2_METADATA.replace(replace, by)
    }

    fn fail(report: &Report, id: &str) -> &'static str {
        match report.outcome(id) {
            Some(Outcome::Fail(r)) => r,
            other => panic!("{id}: expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn parses_metadata_ignoring_unknown_members() {
        let md = Metadata::parse(FAPI2_METADATA.as_bytes()).unwrap();
        assert_eq!(md.issuer, Some("https://as.example"));
        assert_eq!(
            md.code_challenge_methods_supported.unwrap().as_slice(),
            ["S256"]
        );
        assert_eq!(md.require_pushed_authorization_requests, Some(true));
    }

    #[test]
    fn compliant_fapi2_server_passes_every_fapi2_id() {
        let report = audit(&Profile::FAPI2, &config(FAPI2_METADATA)).unwrap();
        assert_eq!(report.findings().len(), Profile::FAPI2.requirements.len());
        for f in report.findings() {
            match f.id {
                "F2-AS-INFO" | "F2-CLIENT-INFO" => assert_eq!(f.outcome, Outcome::NotApplicable),
                _ => assert_eq!(f.outcome, Outcome::Pass, "{}", f.id),
            }
        }
        assert!(report.passed());
    }

    /// CDR-AT-TTL: the same server fails the CDR on a one-hour access token
    /// (and on MTLS client authentication, CDR-CLIENT-AUTH).
    #[test]
    fn cdr_at_ttl_fails_on_an_hour() {
        let report = audit(&Profile::CDR, &config(FAPI2_METADATA)).unwrap();
        assert_eq!(
            fail(&report, "CDR-AT-TTL"),
            "access token lifetime longer than the profile allows"
        );
        assert_eq!(
            fail(&report, "CDR-CLIENT-AUTH"),
            "MTLS client authentication accepted where the profile forbids it"
        );
        assert_eq!(report.outcome("CDR-PAR-TTL"), Some(Outcome::Pass));
        assert_eq!(report.outcome("CDR-HOK"), Some(Outcome::Pass));
        let short = ServerConfig {
            access_token_ttl: 60,
            ..config(FAPI2_METADATA)
        };
        let report = audit(&Profile::CDR, &short).unwrap();
        assert_eq!(
            fail(&report, "CDR-AT-TTL"),
            "access token lifetime shorter than the profile requires"
        );
        // fapi2-plus adopts CDR-AT-TTL too
        let report = audit(&Profile::FAPI2_PLUS, &config(FAPI2_METADATA)).unwrap();
        assert!(matches!(
            report.outcome("CDR-AT-TTL"),
            Some(Outcome::Fail(_))
        ));
        // OFB-AT-TTL: 300-900 s
        let report = audit(&Profile::OFB, &config(FAPI2_METADATA)).unwrap();
        assert_eq!(
            fail(&report, "OFB-AT-TTL"),
            "access token lifetime longer than the profile allows"
        );
    }

    /// F2-CLIENT-AUTH, F2-ALG, F2-PKCE, F2-FLOWS: client secrets, RS256,
    /// plain PKCE and the implicit `token` response type each fail.
    #[test]
    fn weak_server_fails_each_corresponding_id() {
        let md = with(
            r#"["private_key_jwt", "tls_client_auth"]"#,
            r#"["private_key_jwt", "client_secret_basic"]"#,
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-CLIENT-AUTH"),
            "client secret authentication accepted"
        );
        assert_eq!(r.failures().count(), 1);

        let md = with(r#"["PS256", "ES256", "EdDSA"]"#, r#"["PS256", "RS256"]"#);
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-ALG"),
            "a signature algorithm fapi never accepts (none, HS*, RS*, ...)"
        );

        let md = with(
            r#""code_challenge_methods_supported": ["S256"]"#,
            r#""code_challenge_methods_supported": ["S256", "plain"]"#,
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-PKCE"),
            "a PKCE method other than S256 (plain) supported"
        );

        let md = with(
            r#""response_types_supported": ["code"]"#,
            r#""response_types_supported": ["code", "token"]"#,
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-FLOWS"),
            "a response type other than code is supported (implicit or hybrid)"
        );
        // CDR-CODE-FLOW and BG-CODE-FLOW read the same data
        let r = audit(&Profile::CDR, &config(&md)).unwrap();
        assert!(matches!(r.outcome("CDR-CODE-FLOW"), Some(Outcome::Fail(_))));
        let r = audit(&Profile::BERLIN, &config(&md)).unwrap();
        assert!(matches!(r.outcome("BG-CODE-FLOW"), Some(Outcome::Fail(_))));

        let md = with(
            r#""authorization_code", "client_credentials""#,
            r#""authorization_code", "password""#,
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-FLOWS"),
            "a grant type outside the profile is supported (implicit, password, ...)"
        );
        let md = with(
            r#""grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],"#,
            "",
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-FLOWS"),
            "grant_types_supported missing (the default includes implicit)"
        );
    }

    /// OpenID Connect Discovery 1.0 §3 (F2-METADATA, OFB-METADATA): a
    /// server that grants `openid` names `subject_types_supported` and
    /// `id_token_signing_alg_values_supported`; without them it fails.
    #[test]
    fn oidc_discovery_3_openid_provider_requires_subject_types_and_id_token_algs() {
        let oidc = with(
            r#""scopes_supported": ["accounts", "payments"],"#,
            r#""scopes_supported": ["openid", "accounts"],
               "subject_types_supported": ["public"],
               "id_token_signing_alg_values_supported": ["PS256"],"#,
        );
        assert!(audit(&Profile::FAPI2, &config(&oidc)).unwrap().passed());
        let no_subjects = oidc.replace(r#""subject_types_supported": ["public"],"#, "");
        assert_eq!(
            fail(
                &audit(&Profile::FAPI2, &config(&no_subjects)).unwrap(),
                "F2-METADATA"
            ),
            "subject_types_supported missing (OpenID Connect Discovery §3)"
        );
        let no_algs = oidc.replace(r#""id_token_signing_alg_values_supported": ["PS256"],"#, "");
        assert_eq!(
            fail(
                &audit(&Profile::OFB, &config(&no_algs)).unwrap(),
                "OFB-METADATA"
            ),
            "id_token_signing_alg_values_supported missing (OpenID Connect Discovery §3)"
        );
        // A plain OAuth server (no `openid`) needs neither.
        assert!(
            audit(&Profile::FAPI2, &config(FAPI2_METADATA))
                .unwrap()
                .passed()
        );
    }

    /// OFB-ALG, CDR-ALG: an advertised encryption algorithm of JARM (JARM
    /// §3) or introspection responses (RFC 9701 §7) outside the profile's
    /// list fails, as one of ID tokens does.
    #[test]
    fn ofb_alg_cdr_alg_response_encryption_outside_the_set_fails() {
        for (member, value, reason) in [
            (
                "authorization_encryption_alg_values_supported",
                "RSA1_5",
                "an encryption algorithm outside the profile",
            ),
            (
                "introspection_encryption_alg_values_supported",
                "RSA-OAEP-256",
                "an encryption algorithm outside the profile",
            ),
            (
                "authorization_encryption_enc_values_supported",
                "A128GCM",
                "a content encryption algorithm outside the profile",
            ),
            (
                "id_token_encryption_enc_values_supported",
                "A128CBC-HS256",
                "a content encryption algorithm outside the profile",
            ),
        ] {
            let md = with(
                r#""scopes_supported""#,
                &std::format!(r#""{member}": ["{value}"], "scopes_supported""#),
            );
            let md = md
                .replace(r#", "ES256", "EdDSA""#, "")
                .replace(r#"["ES256", "PS256"]"#, r#"["PS256"]"#)
                .replace(r#"["PS256", "ES256"]"#, r#"["PS256"]"#);
            assert_eq!(
                fail(&audit(&Profile::OFB, &config(&md)).unwrap(), "OFB-ALG"),
                reason,
                "{member}"
            );
        }
        // Inside the sets: RSA-OAEP with A256GCM under both.
        let md = with(
            r#""scopes_supported""#,
            r#""authorization_encryption_alg_values_supported": ["RSA-OAEP"],
               "authorization_encryption_enc_values_supported": ["A256GCM"],
               "introspection_encryption_alg_values_supported": ["RSA-OAEP"],
               "introspection_encryption_enc_values_supported": ["A256GCM"], "scopes_supported""#,
        );
        for (p, id) in [(&Profile::OFB, "OFB-ALG"), (&Profile::CDR, "CDR-ALG")] {
            let md = md
                .replace(r#", "ES256", "EdDSA""#, "")
                .replace(r#"["ES256", "PS256"]"#, r#"["PS256"]"#)
                .replace(r#"["PS256", "ES256"]"#, r#"["PS256"]"#);
            assert_eq!(
                audit(p, &config(&md)).unwrap().outcome(id),
                Some(Outcome::Pass),
                "{id}"
            );
        }
    }

    /// F2-METADATA, OFB-METADATA: a document with a duplicate member is
    /// refused; one missing required members fails.
    #[test]
    fn f2_metadata_ofb_metadata() {
        let dup = with(
            r#""issuer": "https://as.example","#,
            r#""issuer": "https://as.example", "issuer": "https://evil.example","#,
        );
        assert_eq!(
            audit(&Profile::FAPI2, &config(&dup)),
            Err(Error::DuplicateMember)
        );
        assert_eq!(
            audit(&Profile::OFB, &config("{\"issuer\":")),
            Err(Error::Json)
        );
        assert_eq!(audit(&Profile::FAPI2, &config("[]")), Err(Error::Json));

        let md = with(r#""issuer": "https://as.example","#, "");
        assert_eq!(
            fail(
                &audit(&Profile::FAPI2, &config(&md)).unwrap(),
                "F2-METADATA"
            ),
            "issuer missing"
        );
        assert_eq!(
            fail(&audit(&Profile::OFB, &config(&md)).unwrap(), "OFB-METADATA"),
            "issuer missing"
        );
        let md = with(
            r#""issuer": "https://as.example","#,
            r#""issuer": "http://as.example","#,
        );
        assert_eq!(
            fail(
                &audit(&Profile::FAPI2, &config(&md)).unwrap(),
                "F2-METADATA"
            ),
            "issuer is not an https URL without query or fragment"
        );
        let md = with(r#""jwks_uri": "https://as.example/jwks","#, "");
        assert_eq!(
            fail(
                &audit(&Profile::FAPI2, &config(&md)).unwrap(),
                "F2-METADATA"
            ),
            "jwks_uri missing"
        );
        // a list of the wrong type, or too long, is malformed
        let md = with(
            r#""code_challenge_methods_supported": ["S256"]"#,
            r#""code_challenge_methods_supported": "S256""#,
        );
        assert_eq!(audit(&Profile::FAPI2, &config(&md)), Err(Error::Json));
    }

    /// F2-PAR, OFB-PAR, CDR-PAR, and the three PAR lifetimes.
    #[test]
    fn f2_par_ofb_par_cdr_par_and_ttls() {
        let md = with(
            r#""require_pushed_authorization_requests": true"#,
            r#""require_pushed_authorization_requests": false"#,
        );
        for (p, id) in [
            (Profile::FAPI2, "F2-PAR"),
            (Profile::OFB, "OFB-PAR"),
            (Profile::CDR, "CDR-PAR"),
        ] {
            let r = audit(&p, &config(&md)).unwrap();
            assert_eq!(
                fail(&r, id),
                "require_pushed_authorization_requests is not true"
            );
        }
        let md = with(
            r#""pushed_authorization_request_endpoint": "https://as.example/par","#,
            "",
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-PAR"),
            "no pushed_authorization_request_endpoint"
        );

        let long = ServerConfig {
            par_ttl: 600,
            ..config(FAPI2_METADATA)
        };
        let r = audit(&Profile::FAPI2, &long).unwrap();
        assert_eq!(
            fail(&r, "F2-PAR-TTL"),
            "PAR request_uri lifetime longer than the profile allows"
        );
        let short = ServerConfig {
            par_ttl: 30,
            ..config(FAPI2_METADATA)
        };
        let r = audit(&Profile::OFB, &short).unwrap();
        assert_eq!(
            fail(&r, "OFB-PAR-TTL"),
            "PAR request_uri lifetime shorter than the profile requires"
        );
        let r = audit(&Profile::CDR, &long).unwrap();
        assert_eq!(
            fail(&r, "CDR-PAR-TTL"),
            "PAR request_uri lifetime longer than the profile allows"
        );
        let r = audit(
            &Profile::CDR,
            &ServerConfig {
                par_ttl: 5,
                ..config(FAPI2_METADATA)
            },
        )
        .unwrap();
        assert_eq!(
            fail(&r, "CDR-PAR-TTL"),
            "PAR request_uri lifetime shorter than the profile requires"
        );
    }

    /// F2-PAR, OFB-PAR, CDR-PAR (RFC 9126 §5): a document that requires
    /// pushed requests yet says the authorization endpoint takes request
    /// objects by value claims what the profile's server refuses; false
    /// or absent passes.
    #[test]
    fn f2_par_request_parameter_supported_contradicts_par_only() {
        let by_value = with(
            r#""scopes_supported""#,
            r#""request_parameter_supported": true, "scopes_supported""#,
        );
        for (p, id) in [
            (Profile::FAPI2, "F2-PAR"),
            (Profile::FAPI2_PLUS, "F2-PAR"),
            (Profile::OFB, "OFB-PAR"),
            (Profile::CDR, "CDR-PAR"),
        ] {
            let r = audit(&p, &config(&by_value)).unwrap();
            assert_eq!(
                fail(&r, id),
                "request_parameter_supported is true: request objects by value at the authorization endpoint, where the profile takes only pushed requests",
                "{}",
                p.name
            );
        }
        let not_by_value = with(
            r#""scopes_supported""#,
            r#""request_parameter_supported": false, "scopes_supported""#,
        );
        for doc in [FAPI2_METADATA, not_by_value.as_str()] {
            let r = audit(&Profile::FAPI2, &config(doc)).unwrap();
            assert_eq!(r.outcome("F2-PAR"), Some(Outcome::Pass));
        }
    }

    /// OB-REQOBJ: where only signed requests are taken, a document that
    /// does not require PAR must accept a request object at the
    /// authorization endpoint, or it contradicts itself; requiring PAR,
    /// or taking request objects by value or by reference, passes.
    #[test]
    fn ob_reqobj_signed_requests_need_a_way_in() {
        let reqobj = |md: &str| {
            let r = audit(&Profile::OBIE, &config(md)).unwrap();
            r.outcome("OB-REQOBJ")
        };
        let base = with(
            r#""require_pushed_authorization_requests": true"#,
            r#""require_pushed_authorization_requests": false, "require_signed_request_object": true"#,
        );
        let nowhere = base.replace(
            r#""scopes_supported""#,
            r#""request_parameter_supported": false, "request_uri_parameter_supported": false, "scopes_supported""#,
        );
        assert_eq!(
            reqobj(&nowhere),
            Some(Outcome::Fail(
                "require_pushed_authorization_requests is not true, yet the authorization endpoint takes no request object (request_parameter_supported, request_uri_parameter_supported): signed requests can only be pushed"
            ))
        );
        let by_value = nowhere.replace(
            r#""request_parameter_supported": false"#,
            r#""request_parameter_supported": true"#,
        );
        let by_reference_default = base.clone();
        let pushed = nowhere.replace(
            r#""require_pushed_authorization_requests": false"#,
            r#""require_pushed_authorization_requests": true"#,
        );
        for md in [&by_value, &by_reference_default, &pushed] {
            assert_eq!(reqobj(md), Some(Outcome::Pass), "{md}");
        }
        // berlin takes plain parameters: nothing to contradict.
        let r = audit(&Profile::BERLIN, &config(&nowhere)).unwrap();
        assert_eq!(r.outcome("BG-CODE-FLOW"), Some(Outcome::Pass));
    }

    /// F2-ISS, F2-CODE-TTL, F2-CODE-ONCE, CDR-CODE-ONCE, F2-TLS-RESP,
    /// F2-SENDER, CDR-INTROSPECT in the audit.
    #[test]
    fn f2_iss_code_tls_resp_sender_in_audit() {
        let md = with(
            r#""authorization_response_iss_parameter_supported": true"#,
            r#""authorization_response_iss_parameter_supported": false"#,
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-ISS"),
            "authorization_response_iss_parameter_supported is not true"
        );

        let c = ServerConfig {
            code_ttl: 600,
            codes_single_use: false,
            https_redirects_only: false,
            ..config(FAPI2_METADATA)
        };
        let r = audit(&Profile::FAPI2, &c).unwrap();
        assert_eq!(
            fail(&r, "F2-CODE-TTL"),
            "authorization code lifetime over 60 s"
        );
        assert_eq!(
            fail(&r, "F2-CODE-ONCE"),
            "authorization codes can be redeemed more than once"
        );
        assert_eq!(
            fail(&r, "F2-TLS-RESP"),
            "redirect URIs are not restricted to https"
        );
        let r = audit(&Profile::CDR, &c).unwrap();
        assert_eq!(
            fail(&r, "CDR-CODE-ONCE"),
            "authorization codes can be redeemed more than once"
        );

        let md = with(
            r#""tls_client_certificate_bound_access_tokens": true"#,
            r#""tls_client_certificate_bound_access_tokens": false"#,
        );
        assert_eq!(
            audit(&Profile::FAPI2, &config(&md))
                .unwrap()
                .outcome("F2-SENDER"),
            Some(Outcome::Pass)
        );
        let r = audit(&Profile::CDR, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "CDR-HOK"),
            "tls_client_certificate_bound_access_tokens is not true"
        );
        let md = md.replace(
            r#""dpop_signing_alg_values_supported": ["ES256", "PS256"],"#,
            "",
        );
        let r = audit(&Profile::FAPI2, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "F2-SENDER"),
            "neither DPoP nor certificate-bound access tokens supported"
        );

        let md = with(
            r#""introspection_endpoint": "https://as.example/introspect","#,
            "",
        );
        let r = audit(&Profile::CDR, &config(&md)).unwrap();
        assert_eq!(fail(&r, "CDR-INTROSPECT"), "no introspection_endpoint");
    }

    /// F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE: a configuration
    /// that rotates refresh tokens fails in every set.
    #[test]
    fn rt_rotation_fails_the_audit() {
        let c = ServerConfig {
            refresh_rotation: true,
            ..config(FAPI2_METADATA)
        };
        for (p, id) in [
            (Profile::FAPI2, "F2-RT-NO-ROTATE"),
            (Profile::OFB, "OFB-RT-NO-ROTATE"),
            (Profile::CDR, "CDR-RT-NO-ROTATE"),
        ] {
            assert_eq!(
                fail(&audit(&p, &c).unwrap(), id),
                "refresh tokens are rotated"
            );
        }
    }

    /// OB-FAPI1: UK Open Banking needs a declared FAPI 1.0 Advanced
    /// certification; OB-INTENT, OB-REQOBJ read the metadata.
    #[test]
    fn ob_fapi1_certification_declared() {
        let r = audit(&Profile::OBIE, &config(FAPI2_METADATA)).unwrap();
        assert_eq!(
            fail(&r, "OB-FAPI1"),
            "no FAPI 1.0 Advanced conformance certification declared"
        );
        assert_eq!(
            fail(&r, "OB-INTENT"),
            "the consent claim is not in claims_supported"
        );
        let certified = ServerConfig {
            certified_conformance: &[crate::profile::FAPI1_ADVANCED],
            ..config(FAPI2_METADATA)
        };
        let r = audit(&Profile::OBIE, &certified).unwrap();
        assert_eq!(r.outcome("OB-FAPI1"), Some(Outcome::Pass));
        let md = with(
            r#""scopes_supported""#,
            r#""claims_supported": ["sub", "openbanking_intent_id"], "claims_parameter_supported": true, "scopes_supported""#,
        );
        let r = audit(
            &Profile::OBIE,
            &ServerConfig {
                metadata: md.as_bytes(),
                ..certified
            },
        )
        .unwrap();
        assert_eq!(r.outcome("OB-INTENT"), Some(Outcome::Pass));
        // OB-ALG: PS256 only; the server also offers ES256 and EdDSA.
        assert_eq!(
            fail(&r, "OB-ALG"),
            "a signature algorithm outside the profile"
        );
        let signed = with(
            r#""scopes_supported""#,
            r#""require_signed_request_object": true, "scopes_supported""#,
        );
        let r = audit(
            &Profile::OBIE,
            &ServerConfig {
                metadata: signed.as_bytes(),
                request_object_ttl: Some(7200),
                ..certified
            },
        )
        .unwrap();
        assert_eq!(fail(&r, "OB-REQOBJ"), "request object lifetime over 60 min");
        let r = audit(
            &Profile::CDR,
            &ServerConfig {
                metadata: signed.as_bytes(),
                request_object_ttl: None,
                ..certified
            },
        )
        .unwrap();
        assert_eq!(
            fail(&r, "CDR-REQ-TTL"),
            "request object lifetime not bounded"
        );
    }

    /// OB-REQOBJ, CDR-REQ-TTL: where the profile requires signed request
    /// objects, the metadata must say so (`require_signed_request_object`
    /// true, RFC 9101); false or absent fails. Where the profile
    /// does not (fapi2-plus also has CDR-REQ-TTL), it is not required.
    #[test]
    fn ob_reqobj_cdr_req_ttl_require_signed_request_object() {
        let absent = String::from(FAPI2_METADATA);
        let off = with(
            r#""scopes_supported""#,
            r#""require_signed_request_object": false, "scopes_supported""#,
        );
        let on = with(
            r#""scopes_supported""#,
            r#""require_signed_request_object": true, "scopes_supported""#,
        );
        for (p, id) in [(Profile::OBIE, "OB-REQOBJ"), (Profile::CDR, "CDR-REQ-TTL")] {
            for md in [&absent, &off] {
                let r = audit(&p, &config(md)).unwrap();
                assert_eq!(
                    fail(&r, id),
                    "require_signed_request_object is not true",
                    "{}",
                    p.name
                );
            }
            let r = audit(&p, &config(&on)).unwrap();
            assert_eq!(r.outcome(id), Some(Outcome::Pass), "{}", p.name);
        }
        let r = audit(&Profile::FAPI2_PLUS, &config(&absent)).unwrap();
        assert_eq!(r.outcome("CDR-REQ-TTL"), Some(Outcome::Pass));
    }

    /// OFB-TLS: both ECDHE-RSA AES-GCM suites must be supported.
    #[test]
    fn ofb_tls_suites() {
        let r = audit(&Profile::OFB, &config(FAPI2_METADATA)).unwrap();
        assert_eq!(
            fail(&r, "OFB-TLS"),
            "a required TLS cipher suite is not supported"
        );
        let both = ServerConfig {
            tls_suites: &[
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            ],
            ..config(FAPI2_METADATA)
        };
        assert_eq!(
            audit(&Profile::OFB, &both).unwrap().outcome("OFB-TLS"),
            Some(Outcome::Pass)
        );
    }

    /// The paper's table for one server: a compliant FAPI 2.0 server passes
    /// fapi2 but not the stricter or different sets.
    /// FAPI 2.0 Message Signing §5.3, §5.4, §5.6: a FAPI 2.0 server fails
    /// fapi2-ms until its metadata advertises signed requests, JARM and
    /// signed introspection; the other sets do not ask for them.
    #[test]
    fn fapi2_ms_metadata_advertises_jar_jarm_signed_introspection() {
        let base = config(FAPI2_METADATA);
        let r = audit(&Profile::FAPI2_MS, &base).unwrap();
        assert_eq!(
            fail(&r, "F2-METADATA"),
            "require_signed_request_object is not true (FAPI 2.0 Message Signing §5.3)"
        );
        let full = with(
            r#""introspection_endpoint""#,
            r#""require_signed_request_object": true,
        "response_modes_supported": ["query", "jwt"],
        "authorization_signing_alg_values_supported": ["PS256", "ES256"],
        "introspection_signing_alg_values_supported": ["PS256", "ES256"],
        "introspection_endpoint""#,
        );
        let r = audit(&Profile::FAPI2_MS, &config(&full)).unwrap();
        assert_eq!(r.outcome("F2-METADATA"), Some(Outcome::Pass));
        assert!(
            r.passed(),
            "{:?}",
            r.failures().collect::<std::vec::Vec<_>>()
        );
        for (drop, reason) in [
            (
                r#""response_modes_supported": ["query", "jwt"],"#,
                "response_modes_supported lacks jwt (FAPI 2.0 Message Signing §5.4, JARM)",
            ),
            (
                r#""authorization_signing_alg_values_supported": ["PS256", "ES256"],"#,
                "authorization_signing_alg_values_supported missing (FAPI 2.0 Message Signing §5.4, JARM)",
            ),
            (
                r#""introspection_signing_alg_values_supported": ["PS256", "ES256"],"#,
                "introspection_signing_alg_values_supported missing (FAPI 2.0 Message Signing §5.6, RFC 9701)",
            ),
        ] {
            let md = full.replace(drop, "");
            let r = audit(&Profile::FAPI2_MS, &config(&md)).unwrap();
            assert_eq!(fail(&r, "F2-METADATA"), reason);
        }
        // fapi2 itself does not require them.
        assert_eq!(
            audit(&Profile::FAPI2, &base)
                .unwrap()
                .outcome("F2-METADATA"),
            Some(Outcome::Pass)
        );
    }

    #[test]
    fn comparison_table_for_one_server() {
        let reports = audit_all(&config(FAPI2_METADATA)).unwrap();
        let passed: [bool; 7] = core::array::from_fn(|i| reports[i].passed());
        assert_eq!(passed, [true, false, false, false, false, false, false]);
        for (r, p) in reports.iter().zip(Profile::ALL) {
            assert_eq!(r.profile, p.id);
            assert_eq!(r.findings().len(), p.requirements.len());
            assert!(
                r.findings()
                    .iter()
                    .all(|f| f.outcome != Outcome::Fail("requirement unknown to the audit")),
                "{}",
                p.name
            );
        }
        // BG-MTLS: MTLS client authentication only, TLS 1.2 or newer
        let berlin = &reports[5];
        assert_eq!(
            fail(berlin, "BG-MTLS"),
            "private_key_jwt accepted where the profile requires MTLS"
        );
        assert_eq!(
            fail(berlin, "BG-SIGNED-REQ"),
            "request messages are not signed"
        );
        // OFB-ALG: encryption restricted to RSA-OAEP with A256GCM
        let md = with(
            r#""scopes_supported""#,
            r#""id_token_encryption_enc_values_supported": ["A128GCM"], "scopes_supported""#,
        );
        let r = audit(&Profile::OFB, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "OFB-ALG"),
            "a signature algorithm outside the profile"
        );
        let md = md
            .replace(r#"["PS256", "ES256", "EdDSA"]"#, r#"["PS256"]"#)
            .replace(r#"["ES256", "PS256"]"#, r#"["PS256"]"#)
            .replace(r#"["PS256", "ES256"]"#, r#"["PS256"]"#);
        let r = audit(&Profile::OFB, &config(&md)).unwrap();
        assert_eq!(
            fail(&r, "OFB-ALG"),
            "a content encryption algorithm outside the profile"
        );
        assert_eq!(
            audit(&Profile::CDR, &config(&md))
                .unwrap()
                .outcome("CDR-ALG"),
            Some(Outcome::Pass)
        );
    }
}
