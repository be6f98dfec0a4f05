//! The commands a host sends, one JSON object per line, parsed into typed
//! requests.
//!
//! ```json
//! {"cmd":"jwk","alg":"ES256"}
//! {"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"iss":"https://as.example",
//!   "sub":"alice","aud":"https://rs.example","client_id":"c1","scope":"accounts",
//!   "iat":1900000000,"exp":1900000300,"cnf":{"x5t#S256":"<base64url>"},
//!   "cdr_arrangement_id":"arr-1"}}
//! {"cmd":"dpop","profile":"fapi2","alg":"EdDSA","htm":"POST",
//!   "htu":"https://as.example/token","access_token":"<token>","nonce":"<nonce>"}
//! ```
//!
//! The claims are those of an RFC 9068 access token, less `jti`, which the
//! module draws itself. A DPoP proof's `jti` and `iat` come from the module
//! too: the host names only what the proof is for. Unknown members are
//! refused (a claim the module does not know is a claim it would not
//! sign), and so is a member that does not belong to the command.

use serde::Deserialize;

use fapi_core::{Alg, Error, json};

/// The largest request line accepted (bytes).
pub const MAX_REQUEST_LEN: usize = 2048;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Command<'a> {
    #[serde(borrow)]
    cmd: Option<&'a str>,
    #[serde(borrow)]
    alg: Option<&'a str>,
    #[serde(borrow)]
    profile: Option<&'a str>,
    #[serde(borrow)]
    claims: Option<ClaimMembers<'a>>,
    #[serde(borrow)]
    htm: Option<&'a str>,
    #[serde(borrow)]
    htu: Option<&'a str>,
    #[serde(borrow)]
    access_token: Option<&'a str>,
    #[serde(borrow)]
    nonce: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ClaimMembers<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    #[serde(borrow)]
    sub: Option<&'a str>,
    #[serde(borrow)]
    aud: Option<&'a str>,
    #[serde(borrow)]
    client_id: Option<&'a str>,
    #[serde(borrow)]
    scope: Option<&'a str>,
    iat: Option<u64>,
    exp: Option<u64>,
    #[serde(borrow)]
    cnf: Option<CnfMembers<'a>>,
    #[serde(borrow)]
    openbanking_intent_id: Option<&'a str>,
    #[serde(borrow)]
    cdr_arrangement_id: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct CnfMembers<'a> {
    #[serde(borrow)]
    jkt: Option<&'a str>,
    #[serde(borrow, rename = "x5t#S256")]
    x5t_s256: Option<&'a str>,
}

/// The `cnf` of an access token to issue, as the host sent it (checked by
/// [`crate::policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CnfClaim<'a> {
    /// `cnf.jkt`, base64url.
    Jkt(&'a str),
    /// `cnf.x5t#S256`, base64url.
    X5tS256(&'a str),
}

/// A consent claim, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentClaim<'a> {
    /// `openbanking_intent_id` or `cdr_arrangement_id`.
    pub name: &'static str,
    /// The consent id.
    pub value: &'a str,
}

/// The claims of an access token the host asks for. Absent members are
/// `None` here and refused by [`crate::policy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenClaims<'a> {
    /// `iss`.
    pub iss: Option<&'a str>,
    /// `sub`.
    pub sub: Option<&'a str>,
    /// `aud` (one audience).
    pub aud: Option<&'a str>,
    /// `client_id`.
    pub client_id: Option<&'a str>,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `iat`.
    pub iat: Option<u64>,
    /// `exp`.
    pub exp: Option<u64>,
    /// `cnf`.
    pub cnf: Option<CnfClaim<'a>>,
    /// `openbanking_intent_id` or `cdr_arrangement_id`.
    pub consent: Option<ConsentClaim<'a>>,
}

/// "Issue an access token for these claims under this profile."
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssueRequest<'a> {
    /// The profile name.
    pub profile: &'a str,
    /// The algorithm (the device key) to sign with.
    pub alg: Alg,
    /// The claims.
    pub claims: TokenClaims<'a>,
}

/// "Sign a DPoP proof for this request." Its `Debug` does not print the
/// access token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ProofRequest<'a> {
    /// The profile name.
    pub profile: &'a str,
    /// The algorithm (the device key) to sign with.
    pub alg: Alg,
    /// `htm`.
    pub htm: &'a str,
    /// `htu`.
    pub htu: &'a str,
    /// The access token the proof goes with (for `ath`).
    pub access_token: Option<&'a str>,
    /// The server's DPoP nonce.
    pub nonce: Option<&'a str>,
}

impl core::fmt::Debug for ProofRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProofRequest")
            .field("profile", &self.profile)
            .field("alg", &self.alg)
            .field("htm", &self.htm)
            .field("htu", &self.htu)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// A request to the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// "Export the public JWK of this key."
    Jwk(Alg),
    /// Issue an access token.
    Issue(IssueRequest<'a>),
    /// Sign a DPoP proof.
    Proof(ProofRequest<'a>),
}

impl<'a> Request<'a> {
    /// Parses one request line.
    ///
    /// Refusals: over [`MAX_REQUEST_LEN`] [`Error::TooLarge`]; not JSON, not
    /// an object, a member of the wrong type, an unknown member
    /// [`Error::Json`]; a duplicate member [`Error::DuplicateMember`]; no
    /// `cmd`, an unknown `cmd`, a member missing or one that does not
    /// belong to the command, two `cnf` kinds or two consent claims
    /// [`Error::InvalidParameter`]; an `alg` other than PS256, ES256 and
    /// EdDSA [`Error::UnsupportedAlg`] (F2-ALG).
    ///
    /// ```
    /// use fapi_core::{Alg, Error};
    /// use fapi_firmware::request::Request;
    ///
    /// assert_eq!(Request::parse(br#"{"cmd":"jwk","alg":"ES256"}"#), Ok(Request::Jwk(Alg::Es256)));
    /// assert_eq!(Request::parse(br#"{"cmd":"jwk","alg":"HS256"}"#), Err(Error::UnsupportedAlg));
    /// assert_eq!(Request::parse(br#"{"cmd":"reboot"}"#), Err(Error::InvalidParameter));
    /// ```
    #[inline(never)]
    pub fn parse(line: &'a [u8]) -> Result<Self, Error> {
        if line.len() > MAX_REQUEST_LEN {
            return Err(Error::TooLarge);
        }
        // The command format has no escaped strings: values are borrowed
        // from the line, and the module keeps no scratch to decode into. An
        // escaped value is a malformed command, not a sizing fault.
        let c: Command<'a> = json::parse(line).map_err(|e| match e {
            Error::BufferTooSmall | Error::EscapedValue => Error::Json,
            e => e,
        })?;
        // F2-ALG: only the three algorithms have a name here.
        let alg = c.alg.map(Alg::from_name).transpose()?;
        match c.cmd.ok_or(Error::InvalidParameter)? {
            "jwk" => {
                only(c.profile.is_none() && c.claims.is_none() && c.htm.is_none())?;
                only(c.htu.is_none() && c.access_token.is_none() && c.nonce.is_none())?;
                Ok(Self::Jwk(alg.ok_or(Error::InvalidParameter)?))
            }
            "issue" => {
                only(c.htm.is_none() && c.htu.is_none())?;
                only(c.access_token.is_none() && c.nonce.is_none())?;
                Ok(Self::Issue(IssueRequest {
                    profile: c.profile.ok_or(Error::InvalidParameter)?,
                    alg: alg.ok_or(Error::InvalidParameter)?,
                    claims: token_claims(c.claims.ok_or(Error::InvalidParameter)?)?,
                }))
            }
            "dpop" => {
                only(c.claims.is_none())?;
                Ok(Self::Proof(ProofRequest {
                    profile: c.profile.ok_or(Error::InvalidParameter)?,
                    alg: alg.ok_or(Error::InvalidParameter)?,
                    htm: c.htm.ok_or(Error::InvalidParameter)?,
                    htu: c.htu.ok_or(Error::InvalidParameter)?,
                    access_token: c.access_token,
                    nonce: c.nonce,
                }))
            }
            _ => Err(Error::InvalidParameter),
        }
    }
}

/// A member that does not belong to the command is refused.
fn only(ok: bool) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter)
    }
}

fn token_claims(m: ClaimMembers<'_>) -> Result<TokenClaims<'_>, Error> {
    let cnf = match m.cnf {
        None => None,
        Some(CnfMembers {
            jkt: Some(j),
            x5t_s256: None,
        }) => Some(CnfClaim::Jkt(j)),
        Some(CnfMembers {
            jkt: None,
            x5t_s256: Some(x),
        }) => Some(CnfClaim::X5tS256(x)),
        // Two bindings, or an empty `cnf`: fapi issues exactly one.
        Some(_) => return Err(Error::InvalidParameter),
    };
    let consent = match (m.openbanking_intent_id, m.cdr_arrangement_id) {
        (None, None) => None,
        (Some(value), None) => Some(ConsentClaim {
            name: "openbanking_intent_id",
            value,
        }),
        (None, Some(value)) => Some(ConsentClaim {
            name: "cdr_arrangement_id",
            value,
        }),
        (Some(_), Some(_)) => return Err(Error::InvalidParameter),
    };
    Ok(TokenClaims {
        iss: m.iss,
        sub: m.sub,
        aud: m.aud,
        client_id: m.client_id,
        scope: m.scope,
        iat: m.iat,
        exp: m.exp,
        cnf,
        consent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Request<'_>, Error> {
        Request::parse(s.as_bytes())
    }

    #[test]
    fn parses_the_three_commands() {
        assert_eq!(
            parse(r#"{"cmd":"jwk","alg":"EdDSA"}"#),
            Ok(Request::Jwk(Alg::EdDsa))
        );
        let Ok(Request::Issue(i)) = parse(
            r#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"iss":"i","sub":"s","aud":"a","client_id":"c","iat":1,"exp":2,"cnf":{"x5t#S256":"x"},"cdr_arrangement_id":"arr"}}"#,
        ) else {
            panic!("issue")
        };
        assert_eq!(i.profile, "cdr");
        assert_eq!(i.claims.cnf, Some(CnfClaim::X5tS256("x")));
        assert_eq!(i.claims.consent.map(|c| c.name), Some("cdr_arrangement_id"));
        assert_eq!(i.claims.scope, None);
        let Ok(Request::Proof(p)) = parse(
            r#"{"cmd":"dpop","profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t","access_token":"t"}"#,
        ) else {
            panic!("dpop")
        };
        assert_eq!((p.htm, p.access_token, p.nonce), ("POST", Some("t"), None));
        let shown = format!("{p:?}");
        assert!(
            shown.contains("[redacted]") && !shown.contains("\"t\""),
            "{shown}"
        );
    }

    /// Malformed commands: each a typed error, never a panic.
    #[test]
    fn malformed_commands_are_typed_errors() {
        for (line, want) in [
            ("", Error::Json),
            ("{", Error::Json),
            ("[1]", Error::Json),
            ("\"jwk\"", Error::Json),
            (r#"{"cmd":"jwk","alg":"ES256"} x"#, Error::Json),
            (r#"{"cmd":5}"#, Error::Json),
            (r#"{"cmd":"jwk","alg":"ES256","x":1}"#, Error::Json),
            (
                r#"{"cmd":"jwk","cmd":"issue","alg":"ES256"}"#,
                Error::DuplicateMember,
            ),
            (r#"{"alg":"ES256"}"#, Error::InvalidParameter),
            (r#"{"cmd":"sign","alg":"ES256"}"#, Error::InvalidParameter),
            (r#"{"cmd":"jwk"}"#, Error::InvalidParameter),
            (
                r#"{"cmd":"jwk","alg":"ES256","profile":"cdr"}"#,
                Error::InvalidParameter,
            ),
            (r#"{"cmd":"jwk","alg":"none"}"#, Error::UnsupportedAlg),
            (r#"{"cmd":"jwk","alg":"HS256"}"#, Error::UnsupportedAlg),
            (
                r#"{"cmd":"issue","profile":"cdr","alg":"ES256"}"#,
                Error::InvalidParameter,
            ),
            (
                r#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"jti":"mine"}}"#,
                Error::Json,
            ),
            (
                r#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"cnf":{"jkt":"a","x5t#S256":"b"}}}"#,
                Error::InvalidParameter,
            ),
            (
                r#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"cnf":{}}}"#,
                Error::InvalidParameter,
            ),
            (
                r#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"openbanking_intent_id":"a","cdr_arrangement_id":"b"}}"#,
                Error::InvalidParameter,
            ),
            (
                r#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"exp":"soon"}}"#,
                Error::Json,
            ),
            (
                r#"{"cmd":"dpop","profile":"cdr","alg":"ES256","htm":"POST"}"#,
                Error::InvalidParameter,
            ),
            (r#"{"cmd":"jwk","alg":"ES\u0032\u0035\u0036"}"#, Error::Json),
        ] {
            assert_eq!(parse(line), Err(want), "{line}");
        }
        assert_eq!(
            Request::parse(&[b'{'; MAX_REQUEST_LEN + 1]),
            Err(Error::TooLarge)
        );
        assert_eq!(Request::parse(&[0xff, 0xfe]), Err(Error::Json));
        let deep = "[".repeat(64);
        assert!(parse(&format!(r#"{{"cmd":{deep}}}"#)).is_err());
    }
}
