//! Attacks on the JARM authorization response (`response_mode=jwt`,
//! required under fapi2-ms: FAPI 2.0 Message Signing §5.4), wherever the
//! client asked for it. Each is the bank's real response, changed on its
//! way back through the browser; the client
//! (`fapi::Client::authorization_response`) must refuse it:
//!
//! - a response of another issuer: the claims with the attacker's `iss`,
//!   signed by the attacker's own key (mix-up: JARM §2.4, RFC 9207): its
//!   key is none of the bank's, `key_not_found`;
//! - the response with one byte of its payload changed (the code):
//!   `bad_signature` (JARM §2.4, RFC 7515 §5.2);
//! - the response stripped to a plain query (`code`, `state`, `iss`)
//!   where `jwt` was asked for: `plain_response_refused` (JARM §2.3).

use fapi::client::AuthSession;
use fapi_core::profile::ResponseMode;
use serde_json::Value;

use super::forge::{
    ATTACKER_ISSUER, alg_and_kid, client_verdict, decode, encode, json_part, sign_as_attacker,
    with_part,
};
use super::party::{Party, REDIRECT};
use super::report::{Refusal, Report};

/// The `response` parameter of the redirect `location`.
fn response_param(location: &str) -> Result<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "response")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| "no response parameter".to_owned())
}

/// The redirect back to the client carrying `pairs`.
fn redirect(pairs: &[(&str, &str)]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        let _ = f.append_pair(k, v);
    }
    format!("{REDIRECT}?{}", f.finish())
}

/// The response with the first character of its `code` changed: one byte
/// of the payload, the JSON still well-formed.
pub fn tampered(jwt: &str) -> Result<String, String> {
    let payload = jwt.split('.').nth(1).ok_or("no payload")?;
    let mut raw = decode(payload)?;
    let claims: Value = serde_json::from_slice(&raw).map_err(|e| e.to_string())?;
    let code = claims["code"].as_str().ok_or("no code in the response")?;
    let needle = format!("\"code\":\"{code}\"");
    let at = raw
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .ok_or("the code is not written plainly")?
        + "\"code\":\"".len();
    raw[at] = if raw[at] == b'A' { b'B' } else { b'A' };
    Ok(with_part(jwt, 1, &encode(&raw)))
}

/// The attack of a mixed-up or malicious authorization server: the
/// response's claims with its own `iss`, signed with its own key.
pub fn of_another_issuer(jwt: &str) -> Result<String, String> {
    let (alg, _) = alg_and_kid(jwt)?;
    let mut claims = json_part(jwt, 1)?;
    claims["iss"] = Value::from(ATTACKER_ISSUER);
    let header = json_part(jwt, 0)?;
    sign_as_attacker(alg, None, header["typ"].as_str(), &claims)
}

/// The attacks on the JARM response at `location` that the session
/// `session` of `p` received; none where the session did not ask for one.
pub async fn attacks(r: &mut Report, flow: &str, p: &Party, session: &AuthSession, location: &str) {
    if session.response_mode() != ResponseMode::Jwt {
        return;
    }
    let keys = match p.issuer_keys().await {
        Ok(k) => k,
        Err(e) => return r.fail(flow, "the bank's keys for the JARM attacks", &e),
    };
    let read = |location: &str| {
        client_verdict(
            p.client.authorization_response(session, &keys, location),
            |code| format!("code {} taken", code.len()),
        )
    };
    let setup = |e: String| -> Result<String, Refusal> { Ok(format!("setup failed: {e}")) };
    let jwt = match response_param(location) {
        Ok(j) => j,
        Err(e) => return r.fail(flow, "the JARM response for the attacks", &e),
    };

    let seen = match of_another_issuer(&jwt) {
        Ok(forged) => read(&redirect(&[("response", &forged)])),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "jarm-response-of-another-issuer",
        "A1",
        &["F2-ISS", "JARM §2.4", "RFC 9207 §2.4", "F2-ALG"],
        "key_not_found",
        seen,
    );

    let seen = match tampered(&jwt) {
        Ok(changed) => read(&redirect(&[("response", &changed)])),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "jarm-response-with-one-payload-byte-changed",
        "A2",
        &["F2-ALG", "JARM §2.4", "RFC 7515 §5.2"],
        "bad_signature",
        seen,
    );

    let plain = json_part(&jwt, 1).and_then(|c| {
        let field = |n: &str| {
            c[n].as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("no {n} in the response"))
        };
        Ok(redirect(&[
            ("code", &field("code")?),
            ("state", &field("state")?),
            ("iss", &field("iss")?),
        ]))
    });
    let seen = match plain {
        Ok(stripped) => read(&stripped),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "jarm-response-stripped-to-a-plain-query",
        "A2",
        &["F2-ISS", "JARM §2.3", "FAPI 2.0 Message Signing §5.4"],
        "plain_response_refused",
        seen,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &Value) -> String {
        sign_as_attacker(fapi_core::Alg::Es256, Some("as-1"), Some("JWT"), claims).unwrap()
    }

    #[test]
    fn one_byte_of_the_code_changes_the_json_stays_whole() {
        let j = jwt(&serde_json::json!({"iss": "https://as", "code": "Abc123", "state": "s"}));
        let t = tampered(&j).unwrap();
        assert_eq!(json_part(&t, 1).unwrap()["code"], "Bbc123");
        assert_eq!(t.split('.').nth(2), j.split('.').nth(2));
        assert_eq!(t.split('.').next(), j.split('.').next());
    }

    #[test]
    fn the_other_issuer_signs_with_a_key_of_its_own() {
        let j = jwt(&serde_json::json!({"iss": "https://as", "code": "c", "state": "s"}));
        let f = of_another_issuer(&j).unwrap();
        assert_eq!(json_part(&f, 1).unwrap()["iss"], ATTACKER_ISSUER);
        assert_eq!(json_part(&f, 1).unwrap()["code"], "c");
        assert_ne!(alg_and_kid(&f).unwrap().1.as_deref(), Some("as-1"));
    }

    #[test]
    fn the_response_parameter_is_read_from_the_redirect() {
        let l = redirect(&[("response", "a.b.c")]);
        assert_eq!(response_param(&l).unwrap(), "a.b.c");
        assert!(response_param(&redirect(&[("code", "x")])).is_err());
    }
}
