//! Attacks on client authentication and on the parameters of a pushed
//! request, under every profile:
//!
//! - a client assertion whose `aud` is an endpoint URL or an array holding
//!   another server (the audience-injection attack on `private_key_jwt`):
//!   refused under FAPI 2.0 final §5.3.2.1; where the profile follows RFC
//!   7523 §3 and RFC 9126 §2 the token endpoint URL is a step that must be
//!   accepted;
//! - a token request naming the client without any of its credentials
//!   (RFC 6749 §5.2, RFC 8705 §2);
//! - a pushed request naming a `request_uri` (RFC 9126 §2.1);
//! - a code redeemed without its PKCE verifier (RFC 7636 §4.6);
//! - under Open Finance Brasil, a request object with `id_token_hint`.

use fapi::client::AuthSession;
use fapi_core::Signer;
use fapi_core::authorize::UserAction;
use fapi_core::jws::HeaderParams;
use fapi_core::profile::{AssertionAudience, Profile};
use http::{Request, header};
use serde_json::{Value, json};

use super::party::Party;
use super::report::{Refusal, Report};
use crate::failure::Failure;
use crate::https::{Answer, Http, hidden_field};

const NOTICE: &str = "You will now be taken to your bank to approve access.";
const OTHER_SERVER: &str = "https://as.attacker.example";

/// What the bank answered: `Ok` when it accepted (2xx), else the refusal.
fn seen(a: &Answer) -> Result<String, Refusal> {
    if (200..300).contains(&a.status) {
        return Ok(format!("HTTP {}", a.status));
    }
    Err(Refusal {
        oauth: a
            .oauth_error()
            .unwrap_or_else(|| format!("HTTP {}", a.status)),
        status: Some(a.status),
    })
}

fn why(f: &Failure) -> String {
    f.line().unwrap_or_default()
}

/// An attack's outcome from a request that may not have been sent.
fn outcome(a: Result<Answer, Failure>) -> Result<String, Refusal> {
    match a {
        Ok(a) => seen(&a),
        Err(e) => Ok(format!("not sent: {}", why(&e))),
    }
}

/// `body` with `name` set to `value` (appended when absent), or removed.
fn set_param(body: &str, name: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    if let Some(v) = value {
        pairs.push((name.into(), v.into()));
    }
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn edited(req: Request<String>, edit: impl Fn(&str) -> String) -> Request<String> {
    let (parts, body) = req.into_parts();
    let body = edit(&body);
    Request::from_parts(parts, body)
}

fn sign(p: &Party, typ: Option<&str>, claims: &Value) -> Result<String, Failure> {
    let header = HeaderParams {
        typ,
        kid: Some(p.signing_key.key_id()),
        jwk: None,
    };
    let mut out = vec![0u8; 16 * 1024];
    let n = fapi_core::jws::sign(
        &p.signing_key,
        &header,
        claims.to_string().as_bytes(),
        &mut out,
    )
    .map_err(|e| Failure::refused("a signature", e))?;
    out.truncate(n);
    String::from_utf8(out).map_err(|e| Failure::environment("a signature", e))
}

/// A client assertion of `p` whose `aud` is `aud`, otherwise valid.
fn assertion(p: &Party, aud: &Value) -> Result<String, Failure> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| Failure::environment("the clock", e))?
        .as_secs();
    let mut jti = [0u8; 16];
    aws_lc_rs::rand::fill(&mut jti).map_err(|_| Failure::environment("a jti", "no randomness"))?;
    let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
    let claims = json!({
        "iss": p.client_id, "sub": p.client_id, "aud": aud, "jti": jti,
        "iat": now, "exp": now + fapi_core::assertion::DEFAULT_MAX_LIFETIME,
    });
    sign(p, None, &claims)
}

/// A pushed request for `openid` (no consent) with its body passed through
/// `edit`.
fn par(
    p: &Party,
    edit: impl Fn(&str) -> Result<String, Failure>,
) -> Result<Request<String>, Failure> {
    par_for(p, None, edit)
}

/// [`par`] naming `intent`: `openid accounts` and that consent (OB-INTENT:
/// under obie an `openid` request names the intent it authorises).
fn par_for(
    p: &Party,
    intent: Option<&str>,
    edit: impl Fn(&str) -> Result<String, Failure>,
) -> Result<Request<String>, Failure> {
    let action = UserAction::new(NOTICE).map_err(|e| Failure::refused("a user action", e))?;
    let scope = if intent.is_some() {
        "openid accounts"
    } else {
        "openid"
    };
    let (req, _) = p
        .client
        .par_request(action, scope, intent)
        .map_err(|e| Failure::fapi("the pushed request", &e))?;
    let (parts, body) = req.into_parts();
    Ok(Request::from_parts(parts, edit(&body)?))
}

/// Runs the attacks (and, where the profile accepts what FAPI 2.0 refuses,
/// the steps) of this module for the party `p`; `consent` is the path and
/// body that create a consent of `scope` for a fresh code.
pub async fn attacks(
    r: &mut Report,
    flow: &str,
    profile: &Profile,
    p: &Party,
    consent: (&str, &Value),
    scope: &str,
) {
    if p.jwt_auth {
        // OB-INTENT: under obie the pushed requests name an intent.
        let intent = if profile.intent_in_id_token {
            match new_consent(p, consent, scope).await {
                Ok(c) => Some(c),
                Err(e) => {
                    return r.fail(
                        flow,
                        "an account-access consent for the pushed requests",
                        &e,
                    );
                }
            }
        } else {
            None
        };
        assertion_audiences(r, flow, profile, p, scope, intent.as_deref()).await;
    }
    no_credentials(r, flow, p, scope).await;
    request_uri_in_pushed_request(r, flow, p).await;
    if profile.id_token_hint_refused {
        id_token_hint(r, flow, p).await;
    }
    missing_code_verifier(r, flow, p, consent, scope).await;
}

/// FAPI 2.0 final §5.3.2.1 (F2-CLIENT-AUTH): the issuer as a plain string
/// only; RFC 7523 §3, RFC 9126 §2 (obie, ofb, cdr): the token endpoint URL
/// and the URL the assertion was sent to as well.
async fn assertion_audiences(
    r: &mut Report,
    flow: &str,
    profile: &Profile,
    p: &Party,
    scope: &str,
    intent: Option<&str>,
) {
    let ids = ["F2-CLIENT-AUTH", "OFB-CLIENT-AUTH", "CDR-CLIENT-AUTH"];
    let token_endpoint = p.url("/token");
    let par_endpoint = p.url("/par");
    let with = |aud: Value| {
        move |body: &str| {
            let a = assertion(p, &aud)?;
            Ok(set_param(body, "client_assertion", Some(&a)))
        }
    };
    match profile.client_assertion_audience {
        AssertionAudience::IssuerString => {
            let cases = [
                (
                    "client-assertion-for-the-par-endpoint-at-par",
                    json!(par_endpoint),
                ),
                (
                    "client-assertion-for-the-token-endpoint-at-par",
                    json!(token_endpoint),
                ),
                (
                    "client-assertion-with-an-injected-second-audience",
                    json!([p.issuer, OTHER_SERVER]),
                ),
            ];
            for (name, aud) in cases {
                let sent = match par_for(p, intent, with(aud)) {
                    Ok(req) => p.http.send(req).await,
                    Err(e) => Err(e),
                };
                r.attack(flow, name, "A1", &ids, "invalid_client", outcome(sent));
            }
            let sent = p
                .send(|| p.client_credentials_for(scope, &token_endpoint))
                .await;
            r.attack(
                flow,
                "client-assertion-for-the-token-endpoint-at-token",
                "A1",
                &ids,
                "invalid_client",
                outcome(sent),
            );
        }
        AssertionAudience::IssuerOrEndpoint => {
            let sent = match par_for(p, intent, with(json!(token_endpoint))) {
                Ok(req) => p.http.send(req).await,
                Err(e) => Err(e),
            };
            let _ = r.step(
                flow,
                "pushed request with the token endpoint URL as the assertion's aud (RFC 7523 §3, RFC 9126 §2)",
                &ids,
                sent.map_err(|e| why(&e)).and_then(|a| match a.status {
                    201 => Ok(()),
                    _ => Err(format!("expected 201, got {}: {}", a.summary(), a.body)),
                }),
            );
            let sent = p
                .send(|| p.client_credentials_for(scope, &token_endpoint))
                .await;
            let _ = r.step(
                flow,
                "token request with the token endpoint URL as the assertion's aud (RFC 7523 §3)",
                &ids,
                sent.map_err(|e| why(&e)).and_then(|a| match a.status {
                    200 => Ok(()),
                    _ => Err(format!("expected 200, got {}: {}", a.summary(), a.body)),
                }),
            );
        }
    }
}

/// RFC 6749 §5.2, RFC 8705 §2: the client named, none of its credentials
/// sent (no assertion, a connection without a certificate).
async fn no_credentials(r: &mut Report, flow: &str, p: &Party, scope: &str) {
    let sent = match Http::new(&p.ca_pem, None) {
        Ok(bare) => {
            let strip = |body: &str| {
                let b = set_param(body, "client_assertion", None);
                set_param(&b, "client_assertion_type", None)
            };
            match p.client_credentials(scope) {
                Ok(req) => bare.send(edited(req, strip)).await,
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    r.attack(
        flow,
        "token-request-without-client-authentication",
        "A1",
        &[
            "F2-CLIENT-AUTH",
            "OFB-CLIENT-AUTH",
            "CDR-CLIENT-AUTH",
            "BG-MTLS",
        ],
        "invalid_client",
        outcome(sent),
    );
}

/// RFC 9126 §2.1: a pushed request pointing at another (pushed) request.
async fn request_uri_in_pushed_request(r: &mut Report, flow: &str, p: &Party) {
    let uri = "urn:ietf:params:oauth:request_uri:E2ooXxELkEFSKR90ymYV-BbwAvCC2TozHfSb_mMCw2s";
    let sent = match par(p, |b| Ok(set_param(b, "request_uri", Some(uri)))) {
        Ok(req) => p.http.send(req).await,
        Err(e) => Err(e),
    };
    r.attack(
        flow,
        "pushed-request-naming-a-request-uri",
        "A1",
        &["F2-PAR", "OFB-PAR", "CDR-PAR"],
        "invalid_request",
        outcome(sent),
    );
}

/// Open Finance Brasil: a request object carrying `id_token_hint`.
async fn id_token_hint(r: &mut Report, flow: &str, p: &Party) {
    let with_hint = |body: &str| {
        let jwt = form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "request")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| Failure::failed("the pushed request", "no request object"))?;
        let payload = jwt.split('.').nth(1).unwrap_or("");
        let mut buf = vec![0u8; payload.len()];
        let raw = fapi_core::b64::decode(payload.as_bytes(), &mut buf)
            .map_err(|e| Failure::refused("the request object", e))?;
        let mut claims: Value = serde_json::from_slice(raw)
            .map_err(|e| Failure::environment("the request object", e))?;
        if let Some(o) = claims.as_object_mut() {
            let _ = o.insert(
                "id_token_hint".into(),
                json!("eyJhbGciOiJQUzI1NiJ9.e30.c2ln"),
            );
        }
        let signed = sign(p, Some("oauth-authz-req+jwt"), &claims)?;
        Ok(set_param(body, "request", Some(&signed)))
    };
    let sent = match par(p, with_hint) {
        Ok(req) => p.http.send(req).await,
        Err(e) => Err(e),
    };
    r.attack(
        flow,
        "request-object-with-an-id-token-hint",
        "A1",
        &["OFB-PAR"],
        "invalid_request_object",
        outcome(sent),
    );
}

/// A fresh code of `p` for a new consent of `scope` (with `openid` when
/// `openid`), the bank's pages answered as the user would: the session
/// holding the verifier, the code.
pub(super) async fn fresh_code(
    p: &Party,
    (path, body): (&str, &Value),
    scope: &str,
    openid: bool,
) -> Result<(AuthSession, String), String> {
    let asked = if openid {
        format!("openid {scope}")
    } else {
        scope.to_owned()
    };
    let expect = |a: &Answer, status: u16| {
        if a.status == status {
            Ok(())
        } else {
            Err(format!("expected {status}, got {}", a.summary()))
        }
    };
    let consent = new_consent(p, (path, body), scope).await?;
    let (a, session) = p
        .call(|| {
            let action =
                UserAction::new(NOTICE).map_err(|e| Failure::refused("a user action", e))?;
            p.client
                .par_request(action, &asked, Some(&consent))
                .map_err(|e| Failure::fapi("the pushed request", &e))
        })
        .await
        .map_err(|e| why(&e))?;
    expect(&a, 201)?;
    let uri = a.json()["request_uri"].as_str().unwrap_or("").to_owned();
    let get = Request::get(p.client.authorization_url(&uri))
        .body(String::new())
        .map_err(|e| e.to_string())?;
    let page = p.http.send(get).await.map_err(|e| why(&e))?;
    expect(&page, 200)?;
    let post = |url: String, pairs: Vec<(&str, String)>| {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Request::post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .map_err(|e| e.to_string())
    };
    let field = |a: &Answer, name: &str| hidden_field(&a.body, name).ok_or(format!("no {name}"));
    let login = post(
        p.url("/authorize/login"),
        vec![
            ("username", "alice".into()),
            ("password", "alice-password".into()),
            ("txn", field(&page, "txn")?),
            ("csrf", field(&page, "csrf")?),
        ],
    )?;
    let page = p.http.send(login).await.map_err(|e| why(&e))?;
    expect(&page, 200)?;
    let approve = post(
        p.url("/authorize/consent"),
        vec![
            ("decision", "approve".into()),
            ("txn", field(&page, "txn")?),
            ("csrf", field(&page, "csrf")?),
        ],
    )?;
    let back = p.http.send(approve).await.map_err(|e| why(&e))?;
    expect(&back, 303)?;
    let location = back.header("location").ok_or("no Location")?;
    let keys = p.issuer_keys().await?;
    let code = p
        .client
        .authorization_response(&session, &keys, location)
        .map_err(|e| e.to_string())?;
    Ok((session, code))
}

/// A new consent of `p` for `scope` (a client credentials token, then
/// `POST path` with `body`): its id.
pub(super) async fn new_consent(
    p: &Party,
    (path, body): (&str, &Value),
    scope: &str,
) -> Result<String, String> {
    let expect = |a: &Answer, status: u16| {
        if a.status == status {
            Ok(())
        } else {
            Err(format!("expected {status}, got {}", a.summary()))
        }
    };
    let a = p
        .send(|| p.client_credentials(scope))
        .await
        .map_err(|e| why(&e))?;
    expect(&a, 200)?;
    let cc = p
        .client
        .token_response(&a.body)
        .map_err(|e| e.to_string())?;
    let (a, sent) = p
        .exchange(|| p.resource("POST", path, &cc.access_token, Some(body), &[]))
        .await
        .map_err(|e| why(&e))?;
    expect(&a, 201)?;
    // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: the bank's signed response.
    let _ = p.verify_response(&sent, &a).await?;
    Ok(a.json()["Data"]["ConsentId"]
        .as_str()
        .unwrap_or("")
        .to_owned())
}

/// RFC 7636 §4.6: a code (say, taken from the authorization response)
/// redeemed by the client without the PKCE verifier.
async fn missing_code_verifier(
    r: &mut Report,
    flow: &str,
    p: &Party,
    consent: (&str, &Value),
    scope: &str,
) {
    let seen = match fresh_code(p, consent, scope, false).await {
        Ok((session, code)) => {
            let sent = p
                .send(|| {
                    p.client
                        .code_token_request(&session, &code)
                        .map(|req| edited(req, |b| set_param(b, "code_verifier", None)))
                        .map_err(|e| Failure::fapi("the token request", &e))
                })
                .await;
            outcome(sent)
        }
        Err(e) => Ok(format!("setup failed: {e}")),
    };
    r.attack(
        flow,
        "code-redeemed-without-its-pkce-verifier",
        "A1a",
        &["F2-PKCE", "OFB-PKCE", "CDR-PKCE", "BG-PKCE"],
        "invalid_grant",
        seen,
    );
}
