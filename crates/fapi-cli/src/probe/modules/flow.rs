//! The metadata audit, the happy flow and what it shows (`iss`, token
//! binding, refresh, a resource call), and the grants FAPI 2.0 removes.

use serde_json::Value;

use super::{Module, Outcome, needs_happy, refusal_of, run, step};
use crate::probe::ctx::Ctx;
use crate::probe::jwt;

/// F2-METADATA, OFB-METADATA: the metadata passes `fapi audit` for the
/// profile.
pub const METADATA: Module = Module {
    name: "metadata",
    area: "metadata",
    ids: &["F2-METADATA", "OFB-METADATA"],
    clause: "RFC 8414 §2, §3.3; FAPI 2.0 SP §5.3.1",
    expected: "the audit of the profile passes",
    run: run!(metadata),
};

async fn metadata(c: &Ctx) -> Outcome {
    let facts = crate::cli::FactArgs::default();
    match crate::audit_cmd::audit_profile(&c.profile, c.meta.raw.as_bytes(), &facts) {
        Ok(a) => {
            let fails: Vec<String> = a
                .rows
                .iter()
                .filter_map(|(id, v)| match v {
                    crate::audit_cmd::Verdict::Fail(why) => Some(format!("{id}: {why}")),
                    _ => None,
                })
                .collect();
            if fails.is_empty() {
                Outcome::Pass(format!("{} audited at {}", c.profile.name, c.meta.url))
            } else {
                Outcome::Fail(fails.join("; "))
            }
        }
        Err(e) => Outcome::Fail(e.line().unwrap_or_default()),
    }
}

/// The happy flow: PAR, login and consent, `iss` and `state` checked, the
/// code redeemed with client authentication, PKCE and the sender
/// constraint.
pub const CODE_FLOW: Module = Module {
    name: "code-flow",
    area: "happy flow",
    ids: &[
        "F2-PAR",
        "F2-PKCE",
        "F2-ISS",
        "F2-CLIENT-AUTH",
        "F2-SENDER",
        "OB-REQOBJ",
        "OFB-PAR",
        "CDR-PAR",
        "BG-PKCE",
        "BG-MTLS",
    ],
    clause: "FAPI 2.0 SP §5.3.2; RFC 9126 §2; RFC 7636 §4; RFC 6749 §4.1",
    expected: "PAR 201, a code back at the redirect URI, token 200",
    run: run!(code_flow),
};

async fn code_flow(c: &Ctx) -> Outcome {
    if let Some(why) = &c.happy.failed {
        return Outcome::Fail(why.clone());
    }
    match &c.happy.token {
        Some(t) => Outcome::Pass(format!(
            "code redeemed: token_type {}, expires_in {}{}",
            t.token_type,
            t.expires_in,
            if t.refresh_token.is_some() {
                ", a refresh token"
            } else {
                ""
            }
        )),
        None => Outcome::Fail("no token".into()),
    }
}

/// F2-ISS: the authorization response names the issuer (RFC 9207).
pub const ISS: Module = Module {
    name: "iss-in-authorization-response",
    area: "iss",
    ids: &["F2-ISS"],
    clause: "RFC 9207 §2; FAPI 2.0 SP §5.3.2.2",
    expected: "iss in the response, equal to the issuer",
    run: run!(iss),
};

async fn iss(c: &Ctx) -> Outcome {
    // The redirect back is read even when the client refused it: a
    // response without `iss` is what stops the happy flow.
    let Some(location) = &c.happy.location else {
        return match needs_happy(c) {
            Err(o) => o,
            Ok(()) => Outcome::Skip("no authorization".into()),
        };
    };
    if c.response_mode() == Some("jwt") && c.happy.failed.is_none() {
        return Outcome::Pass("in the JARM response, verified by the client".into());
    }
    let u = step!(url::Url::parse(location), "the redirect");
    match u
        .query_pairs()
        .find(|(k, _)| k == "iss")
        .map(|(_, v)| v.into_owned())
    {
        Some(i) if i == c.meta.issuer => Outcome::Pass(format!("iss={i}")),
        Some(i) => Outcome::Fail(format!("iss {i:?} is not the issuer {:?}", c.meta.issuer)),
        None if u.query_pairs().any(|(k, _)| k == "response") => Outcome::Skip(format!(
            "a JARM response the client refused: {}",
            c.happy_failed().unwrap_or_default()
        )),
        None => Outcome::Fail(format!("the authorization response has no iss: {location}")),
    }
}

/// F2-SENDER: the access token is bound: `token_type` DPoP with `cnf.jkt`
/// of the client's DPoP key, or `cnf.x5t#S256` of its certificate.
pub const TOKEN_BINDING: Module = Module {
    name: "access-token-binding",
    area: "DPoP / MTLS binding",
    ids: &["F2-SENDER", "OB-SENDER", "CDR-HOK"],
    clause: "RFC 9449 §5, §6; RFC 8705 §3; FAPI 2.0 SP §5.3.2.1",
    expected: "token_type DPoP and cnf.jkt, or cnf.x5t#S256 of the client certificate",
    run: run!(token_binding),
};

/// The `cnf` of an access token: from its JWT payload, else the
/// introspection answer.
pub(super) async fn cnf(c: &Ctx, token: &str) -> Result<Option<Value>, String> {
    if let Some(p) = jwt::payload(token) {
        return Ok(Some(p.get("cnf").cloned().unwrap_or(Value::Null)));
    }
    let Some(endpoint) = c.meta.str("introspection_endpoint") else {
        return Ok(None);
    };
    let endpoint = if c.a.file.identity_pem.is_some() {
        c.meta
            .mtls_endpoint("introspection_endpoint")
            .map_err(|f| crate::probe::ctx::line(&f))?
    } else {
        endpoint.to_owned()
    };
    let a =
        c.a.send(|| {
            let mut form = vec![("token".to_owned(), token.to_owned())];
            form.extend(c.a.auth_pairs(&c.meta.issuer)?);
            crate::probe::party::Party::post(&endpoint, &form, None)
        })
        .await?;
    if a.status != 200 {
        return Err(format!("introspection answered {}", a.summary()));
    }
    let v = a.json();
    if let Some(p) = v.get("token_introspection").cloned().or_else(|| {
        // RFC 9701: a signed introspection response.
        (a.header("content-type").is_some_and(|t| t.contains("jwt")))
            .then(|| jwt::payload(a.body.trim()))
            .flatten()
            .and_then(|p| p.get("token_introspection").cloned())
    }) {
        return Ok(Some(p.get("cnf").cloned().unwrap_or(Value::Null)));
    }
    Ok(Some(v.get("cnf").cloned().unwrap_or(Value::Null)))
}

/// The x5t#S256 of the first certificate of a PEM chain.
pub fn x5t(pem: &str) -> Result<String, String> {
    let begin = pem
        .find("-----BEGIN CERTIFICATE-----")
        .ok_or("no certificate")?;
    let end_marker = "-----END CERTIFICATE-----";
    let end = pem[begin..].find(end_marker).ok_or("no certificate end")? + begin + end_marker.len();
    let (_, der) =
        pem_rfc7468::decode_vec(&pem.as_bytes()[begin..end]).map_err(|e| e.to_string())?;
    Ok(jwt::b64(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der).as_ref(),
    ))
}

async fn token_binding(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let Some(t) = &c.happy.token else {
        return Outcome::Skip("no token".into());
    };
    binding_of(c, &t.token_type, &t.access_token).await
}

/// Whether an access token of `token_type` is bound to the client: DPoP
/// with `cnf.jkt` of its DPoP key, or `cnf.x5t#S256` of its certificate
/// (read from the JWT, else by introspection).
async fn binding_of(c: &Ctx, token_type: &str, access_token: &str) -> Outcome {
    let cnf = step!(cnf(c, access_token).await, "the token's cnf");
    if c.dpop
        && let Some(k) = &c.a.dpop_key
    {
        if !token_type.eq_ignore_ascii_case("dpop") {
            return Outcome::Fail(format!("token_type {token_type:?}, expected DPoP"));
        }
        let want = step!(jwt::jkt(k), "the DPoP key");
        return match cnf {
            None => Outcome::Pass(
                "token_type DPoP (an opaque token, no introspection to read cnf)".into(),
            ),
            Some(v) if v.get("jkt").and_then(Value::as_str) == Some(want.as_str()) => {
                Outcome::Pass(format!("token_type DPoP, cnf.jkt {want}"))
            }
            Some(v) => Outcome::Fail(format!("cnf {v} does not name the DPoP key {want}")),
        };
    }
    let Some(pem) = &c.a.file.identity_pem else {
        return Outcome::Skip("no DPoP and no client certificate".into());
    };
    let want = step!(x5t(pem), "the client certificate");
    match cnf {
        None => {
            Outcome::Skip("an opaque token and no introspection_endpoint: cnf not visible".into())
        }
        Some(v) if v.get("x5t#S256").and_then(Value::as_str) == Some(want.as_str()) => {
            Outcome::Pass(format!("cnf.x5t#S256 {want}"))
        }
        Some(v) => Outcome::Fail(format!(
            "cnf {v} does not name the client certificate (x5t#S256 {want})"
        )),
    }
}

/// The refresh of the happy flow's grant, the new token still bound.
pub const REFRESH: Module = Module {
    name: "refresh-token",
    area: "refresh",
    ids: &[
        "F2-RT-NO-ROTATE",
        "CDR-RT-NO-ROTATE",
        "OFB-RT-NO-ROTATE",
        "F2-SENDER",
        "OB-SENDER",
        "CDR-HOK",
    ],
    clause: "RFC 6749 §6; RFC 9449 §5; RFC 8705 §3; FAPI 2.0 SP §5.3.2.1",
    expected: "200 with an access token bound as the first (cnf.jkt of the DPoP key, or cnf.x5t#S256 of the client certificate)",
    run: run!(refresh),
};

async fn refresh(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    match &c.happy.refreshed {
        None => Outcome::Skip("no refresh token was issued".into()),
        Some(Err(e)) => Outcome::Fail(format!("refused: {e}")),
        Some(Ok(t)) => {
            // The new access token is bound as the first one was (RFC 8705
            // §3: cnf.x5t#S256 of the client's certificate; RFC 9449 §5).
            let bound = match binding_of(c, &t.token_type, &t.access_token).await {
                Outcome::Pass(d) => d,
                Outcome::Fail(d) => return Outcome::Fail(format!("after refresh: {d}")),
                Outcome::Skip(d) => format!("binding not visible: {d}"),
            };
            let first = c.happy.token.as_ref().and_then(|x| x.refresh_token.clone());
            let rotated = t.refresh_token.is_some() && t.refresh_token != first;
            Outcome::Pass(format!(
                "refreshed: {bound}{}",
                if rotated {
                    " (the refresh token was rotated)"
                } else {
                    ""
                }
            ))
        }
    }
}

/// The happy flow's token at the resource.
pub const RESOURCE: Module = Module {
    name: "resource-call",
    area: "resource server",
    ids: &["F2-SENDER", "OB-SENDER", "CDR-HOK", "BG-SIGNED-REQ"],
    clause: "RFC 9449 §7; RFC 8705 §3",
    expected: "200",
    run: run!(resource),
};

async fn resource(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    match &c.happy.resource {
        None => Outcome::Skip("no --resource".into()),
        Some(Ok(a)) if a.status == 200 => Outcome::Pass("200".into()),
        Some(Ok(a)) => Outcome::Fail(format!("refused what must be accepted: {}", a.summary())),
        Some(Err(e)) => Outcome::Fail(e.clone()),
    }
}

/// F2-FLOWS: the implicit grant (`response_type=token`) is refused at
/// PAR.
pub const IMPLICIT: Module = Module {
    name: "par-implicit-grant",
    area: "flows",
    ids: &["F2-FLOWS", "CDR-CODE-FLOW", "BG-CODE-FLOW"],
    clause: "FAPI 2.0 SP §5.3.2.2 (response_type code only); RFC 9126 §2.3",
    expected: "400 unsupported_response_type or invalid_request",
    run: run!(implicit),
};

async fn implicit(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let (mut pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    for (k, v) in &mut pairs {
        if k == "response_type" {
            *v = "token".into();
        }
    }
    let a = c
        .push(
            &c.a,
            || c.par_form(&c.a, &pairs, None, &c.a.auth_pairs(&c.meta.issuer)?),
            || c.a.proof("POST", &c.a.par_endpoint, None),
            false,
        )
        .await;
    refusal_of(
        a,
        &[400],
        &[
            "unsupported_response_type",
            "invalid_request",
            "unauthorized_client",
        ],
    )
}

/// F2-FLOWS: the resource owner password grant is refused.
pub const PASSWORD: Module = Module {
    name: "token-password-grant",
    area: "flows",
    ids: &["F2-FLOWS"],
    clause: "FAPI 2.0 SP §5.3.2.1 (no resource owner password credentials grant)",
    expected: "400 unsupported_grant_type or unauthorized_client",
    run: run!(password),
};

async fn password(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let pairs = vec![
        ("grant_type".to_owned(), "password".to_owned()),
        ("username".to_owned(), "alice".to_owned()),
        ("password".to_owned(), "alice-password".to_owned()),
        ("scope".to_owned(), c.a.file.scope.clone()),
    ];
    let a = c
        .token_request(
            &c.a,
            &pairs,
            || c.a.proof("POST", &c.a.token_endpoint, None),
            false,
        )
        .await;
    refusal_of(
        a,
        &[400, 401],
        &[
            "unsupported_grant_type",
            "unauthorized_client",
            "invalid_grant",
        ],
    )
}
