//! Token introspection responses (RFC 7662), written into caller buffers.
//!
//! CDR-INTROSPECT: where the profile makes refresh tokens introspectable
//! (`profile.refresh_introspection`: `cdr`, `fapi2-plus`), only refresh
//! tokens are: an access token query answers `{"active":false}`, and the
//! response never carries `username`. Under the CDR it carries
//! `cdr_arrangement_id` (the profile's consent claim).

use crate::error::Error;
use crate::json::Writer;
use crate::mtls::CertThumbprint;
use crate::profile::Profile;
use crate::token::Confirmation;

/// Which kind of token was looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// What the server knows of the token it looked up.
#[derive(Clone, Copy, Debug)]
pub struct TokenInfo<'a> {
    /// Which kind of token it is.
    pub kind: TokenKind,
    /// Whether it is live (known, not expired, not revoked).
    pub active: bool,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `client_id`.
    pub client_id: Option<&'a str>,
    /// `sub`.
    pub subject: Option<&'a str>,
    /// `username`: never written where `profile.refresh_introspection`.
    pub username: Option<&'a str>,
    /// `exp`.
    pub exp: Option<u64>,
    /// `iat`.
    pub iat: Option<u64>,
    /// `cnf`.
    pub confirmation: Option<Confirmation>,
    /// The consent id, written under the profile's consent claim.
    pub consent_id: Option<&'a str>,
}

/// The inactive answer.
pub const INACTIVE: &[u8] = br#"{"active":false}"#;

/// Writes the introspection response for `info` under `profile` into
/// `out`, returning its length.
pub fn write_response(
    profile: &Profile,
    info: &TokenInfo<'_>,
    out: &mut [u8],
) -> Result<usize, Error> {
    // CDR-INTROSPECT: only refresh tokens are introspectable.
    let refused = profile.refresh_introspection && info.kind == TokenKind::Access;
    if !info.active || refused {
        let mut w = Writer::new(out);
        w.raw(INACTIVE)?;
        return Ok(w.len());
    }
    let mut w = Writer::new(out);
    w.raw(br#"{"active":true"#)?;
    let put = |w: &mut Writer<'_>, name: &str, value: Option<&str>| -> Result<(), Error> {
        if let Some(v) = value {
            w.raw(b",")?;
            w.key(name)?;
            w.string(v)?;
        }
        Ok(())
    };
    put(&mut w, "scope", info.scope)?;
    put(&mut w, "client_id", info.client_id)?;
    put(&mut w, "sub", info.subject)?;
    // CDR-INTROSPECT: never username where refresh tokens are introspected
    // under the CDR rules.
    if !profile.refresh_introspection {
        put(&mut w, "username", info.username)?;
    }
    put(
        &mut w,
        "token_type",
        Some(match info.kind {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        }),
    )?;
    for (name, value) in [("exp", info.exp), ("iat", info.iat)] {
        if let Some(v) = value {
            w.raw(b",")?;
            w.key(name)?;
            w.uint(v)?;
        }
    }
    match info.confirmation {
        Some(Confirmation::Jkt(t)) => {
            w.raw(br#","cnf":{"jkt":"#)?;
            w.b64(t.as_bytes())?;
            w.raw(b"}")?;
        }
        Some(Confirmation::X5tS256(CertThumbprint(t))) => {
            w.raw(br#","cnf":{"x5t#S256":"#)?;
            w.b64(&t)?;
            w.raw(b"}")?;
        }
        None => {}
    }
    if let (Some(name), Some(id)) = (profile.consent_claim, info.consent_id) {
        // CDR-INTROSPECT: the response carries cdr_arrangement_id.
        put(&mut w, name, Some(id))?;
    }
    w.raw(b"}")?;
    Ok(w.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwk::Thumbprint;

    fn info(kind: TokenKind) -> TokenInfo<'static> {
        TokenInfo {
            kind,
            active: true,
            scope: Some("bank:accounts.basic:read"),
            client_id: Some("client-1"),
            subject: Some("user-1"),
            username: Some("alice"),
            exp: Some(1_700_000_600),
            iat: Some(1_700_000_000),
            confirmation: Some(Confirmation::X5tS256(CertThumbprint([0xAB; 32]))),
            consent_id: Some("arr-42"),
        }
    }

    fn write(p: &Profile, i: &TokenInfo<'_>) -> serde_json::Value {
        let mut buf = [0u8; 1024];
        let n = write_response(p, i, &mut buf).unwrap();
        serde_json::from_slice(&buf[..n]).unwrap()
    }

    /// CDR-INTROSPECT: access tokens answer inactive; refresh tokens carry
    /// cdr_arrangement_id and never username.
    #[test]
    fn cdr_introspect_refresh_only() {
        let p = Profile::CDR;
        assert_eq!(
            write(&p, &info(TokenKind::Access)),
            serde_json::json!({"active": false})
        );
        let v = write(&p, &info(TokenKind::Refresh));
        assert_eq!(v["active"], true);
        assert_eq!(v["cdr_arrangement_id"], "arr-42");
        assert_eq!(v["scope"], "bank:accounts.basic:read");
        assert_eq!(v["exp"], 1_700_000_600u64);
        assert!(v.get("username").is_none());
        assert_eq!(v["cnf"]["x5t#S256"].as_str().unwrap().len(), 43);
        // fapi2-plus adopts CDR-INTROSPECT for refresh tokens too.
        let v = write(&Profile::FAPI2_PLUS, &info(TokenKind::Access));
        assert_eq!(v, serde_json::json!({"active": false}));
        let v = write(&Profile::FAPI2_PLUS, &info(TokenKind::Refresh));
        assert_eq!(v["active"], true);
        assert!(v.get("username").is_none());
    }

    #[test]
    fn fapi2_introspects_access_tokens() {
        let mut i = info(TokenKind::Access);
        i.confirmation = Some(Confirmation::Jkt(Thumbprint([1; 32])));
        let v = write(&Profile::FAPI2, &i);
        assert_eq!(v["active"], true);
        assert_eq!(v["username"], "alice");
        assert_eq!(v["token_type"], "access_token");
        assert!(v["cnf"]["jkt"].is_string());
        // no consent claim under fapi2
        assert!(v.get("cdr_arrangement_id").is_none());
        i.active = false;
        assert_eq!(
            write(&Profile::FAPI2, &i),
            serde_json::json!({"active": false})
        );
        let mut small = [0u8; 8];
        assert_eq!(
            write_response(&Profile::FAPI2, &info(TokenKind::Refresh), &mut small),
            Err(Error::BufferTooSmall)
        );
    }
}
