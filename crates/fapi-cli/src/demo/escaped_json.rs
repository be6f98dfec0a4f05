//! Client JSON written with escapes (RFC 8259 §7: any character may be
//! escaped), as real encoders write it: a client (`fintech-2`) whose
//! registered JWK Set writes every member name and value with `\u`
//! escapes, and client assertions and DPoP proofs re-signed with every
//! string of their header and claims escaped, including the escapes JSON
//! requires (`\"`, `\\`) in the `jti`. The bank must read them: each is a
//! step that must be accepted, never a 500.

use fapi::SigningKey;
use fapi_core::crypto::MAX_SIGNATURE_LEN;
use fapi_core::profile::Profile;
use fapi_core::{Signer, b64};
use fapi_server::config::ClientConfig;
use fapi_server::dev_ca::DevCa;
use http::{Request, header};
use serde_json::Value;

use super::party::{Party, Prepared};
use super::report::Report;
use crate::failure::Failure;
use crate::https::Answer;

const FLOW: &str = "escaped JSON (RFC 8259 §7)";

/// `fintech-2` before the bank runs: a party whose registered JWK Set is
/// written with escapes, and the keys its requests are re-signed with.
pub struct EscapedClient {
    prepared: Prepared,
    signing: SigningKey,
    dpop: Option<SigningKey>,
}

/// `fintech-2` talking to the bank.
pub struct EscapedParty {
    party: Party,
    signing: SigningKey,
    dpop: Option<SigningKey>,
}

impl EscapedClient {
    /// Its registration at the bank (the JWK Set escaped).
    pub fn registration(&self) -> ClientConfig {
        self.prepared.registration.clone()
    }

    /// The party, talking to the bank at `issuer` whose CA is `ca_pem`.
    pub fn connect(self, issuer: &str, ca_pem: &str) -> Result<EscapedParty, Failure> {
        Ok(EscapedParty {
            party: self.prepared.connect(issuer, ca_pem)?,
            signing: self.signing,
            dpop: self.dpop,
        })
    }

    /// Fresh keys and a registration for `profile`, the JWK Set escaped.
    pub fn new(profile: &Profile, ca: &DevCa) -> Result<Self, Failure> {
        let mut prepared = Prepared::new(profile, "fintech-2", "Fintech Two Ltd", ca)?;
        if let Some(jwks) = prepared.registration.jwks.as_deref() {
            let v: Value =
                serde_json::from_str(jwks).map_err(|e| Failure::environment("the JWKS", e))?;
            prepared.registration.jwks = Some(escaped(&v, Escape::Every));
        }
        let (signing, dpop) = prepared.keys();
        Ok(Self {
            signing,
            dpop,
            prepared,
        })
    }
}

/// How much of each string is escaped.
#[derive(Clone, Copy)]
enum Escape {
    /// Every character as a `\u` escape.
    Every,
    /// The first character as a `\u` escape and every `/` as `\/` (values
    /// as long as an RSA modulus stay within the header limit).
    First,
}

fn string(s: &str, how: Escape, out: &mut String) {
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        if matches!(how, Escape::Every) || i == 0 || u32::from(c) < 0x20 {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
            continue;
        }
        match c {
            '/' => out.push_str("\\/"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `v` as JSON text with every member name escaped whole and every string
/// value escaped as `how` says.
fn escaped(v: &Value, how: Escape) -> String {
    fn go(v: &Value, how: Escape, out: &mut String) {
        match v {
            Value::String(s) => string(s, how, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go(item, how, out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (name, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    string(name, Escape::Every, out);
                    out.push(':');
                    go(item, how, out);
                }
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    go(v, how, &mut out);
    out
}

fn part(text: &str) -> Result<Value, Failure> {
    let mut buf = vec![0u8; text.len()];
    let bytes = b64::decode_vartime(text.as_bytes(), &mut buf)
        .map_err(|e| Failure::refused("a JWS part", e))?;
    serde_json::from_slice(bytes).map_err(|e| Failure::environment("a JWS part", e))
}

fn b64s(bytes: &[u8]) -> Result<String, Failure> {
    let mut out = vec![0u8; b64::encoded_len(bytes.len())];
    b64::encode(bytes, &mut out)
        .map(str::to_owned)
        .map_err(|e| Failure::refused("base64url", e))
}

/// The compact JWS `jws` made by the client, re-signed by `key` with its
/// header and claims written with escapes and `"/\` added to its `jti`
/// (escapes JSON requires: the bank decodes them into scratch).
fn re_signed(jws: &str, key: &SigningKey) -> Result<String, Failure> {
    let mut parts = jws.split('.');
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else {
        return Err(Failure::environment("a JWS", "not three parts"));
    };
    let mut claims = part(p)?;
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        claims["jti"] = Value::from(format!("{jti}\"/\\"));
    }
    let input = format!(
        "{}.{}",
        b64s(escaped(&part(h)?, Escape::First).as_bytes())?,
        b64s(escaped(&claims, Escape::First).as_bytes())?
    );
    let mut sig = vec![0u8; MAX_SIGNATURE_LEN];
    let n = key
        .sign(input.as_bytes(), &mut sig)
        .map_err(|e| Failure::refused("signing", e))?;
    Ok(format!("{input}.{}", b64s(sig.get(..n).unwrap_or(&[]))?))
}

/// The client credentials request of `p`, its assertion and DPoP proof
/// re-signed with escapes.
fn escaped_request(p: &Party, keys: &EscapedParty) -> Result<Request<String>, Failure> {
    let plain = p.client_credentials("accounts")?;
    let (mut parts, body) = plain.into_parts();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        let v = if k == "client_assertion" {
            re_signed(&v, &keys.signing)?
        } else {
            v.into_owned()
        };
        let _ = form.append_pair(&k, &v);
    }
    if let (Some(proof), Some(key)) = (parts.headers.get("dpop"), keys.dpop.as_ref()) {
        let proof = proof
            .to_str()
            .map_err(|e| Failure::environment("a DPoP proof", e))?;
        let again = re_signed(proof, key)?;
        let value = http::HeaderValue::from_str(&again)
            .map_err(|e| Failure::environment("a DPoP proof", e))?;
        let _ = parts.headers.insert("dpop", value);
    }
    let _ = parts.headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    Ok(Request::from_parts(parts, form.finish()))
}

fn issued(a: Result<Answer, Failure>) -> Result<(), String> {
    let a = a.map_err(|f| f.line().unwrap_or_default())?;
    if a.status == 200 && a.json()["access_token"].is_string() {
        Ok(())
    } else {
        Err(format!(
            "expected 200 and a token, got {}: {}",
            a.summary(),
            a.body.chars().take(200).collect::<String>()
        ))
    }
}

/// The steps: `fintech-2` gets a token with its escaped JWK Set (where it
/// authenticates with `private_key_jwt`), then with its assertion and DPoP
/// proof escaped too (where it sends either).
pub async fn steps(r: &mut Report, escaped: &EscapedParty) {
    let p = &escaped.party;
    if p.jwt_auth {
        let a = p.send(|| p.client_credentials("accounts")).await;
        let _ = r.step(
            FLOW,
            "a client whose registered JWK Set writes every character as a \\u escape authenticates",
            &["F2-CLIENT-AUTH", "OFB-CLIENT-AUTH", "CDR-CLIENT-AUTH"],
            issued(a),
        );
    }
    let (what, ids): (&str, &[&str]) = match (p.jwt_auth, p.dpop) {
        (true, true) => (
            "client assertion and DPoP proof write",
            &["F2-CLIENT-AUTH", "F2-SENDER"],
        ),
        (true, false) => ("client assertion writes", &["F2-CLIENT-AUTH"]),
        (false, true) => ("DPoP proof writes", &["F2-SENDER"]),
        (false, false) => return,
    };
    let a = p.send(|| escaped_request(p, escaped)).await;
    let name = format!("a token request whose {what} every string with escapes is accepted");
    let _ = r.step(FLOW, &name, ids, issued(a));
}
