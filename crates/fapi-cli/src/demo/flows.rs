//! The paper's two flows over HTTPS against the reference bank, as the
//! fintech built on `fapi::Client`, the demo playing the user in the
//! bank's pages; then the attacks each flow meets.

use fapi::client::AuthSession;
use fapi::issuer::TokenResponse;
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_core::profile::ResponseMode;
use http::{Request, header};

use super::party::{Party, REDIRECT};
use super::report::{Refusal, Report};
use crate::failure::Failure;
use crate::https::{Answer, hidden_field};

const AIS: &str = "account information (AISP)";
const PIS: &str = "payment (PISP)";
const AISP: &str = "/open-banking/v3.1/aisp";
const PISP: &str = "/open-banking/v3.1/pisp";
/// F2-CLIENT-INFO: what the fintech tells the user before sending them on.
const NOTICE: &str = "You will now be taken to your bank to approve access.";

pub(super) fn why(f: &Failure) -> String {
    f.line().unwrap_or_default()
}

/// The answer must have `status`.
pub(super) fn expect(a: &Answer, status: u16) -> Result<(), String> {
    if a.status == status {
        Ok(())
    } else {
        Err(format!(
            "expected {status}, got {}: {}",
            a.summary(),
            a.body.chars().take(200).collect::<String>()
        ))
    }
}

/// What an attack met: `Ok` when the bank accepted it (2xx, or a redirect
/// carrying a code), else the refusal. A refusal page in HTML names its
/// OAuth error in the text.
pub(super) fn outcome(a: &Answer, expected: &str) -> Result<String, Refusal> {
    let redirected_code =
        a.status == 303 && a.header("location").is_some_and(|l| l.contains("code="));
    if (200..300).contains(&a.status) || redirected_code {
        return Ok(format!("HTTP {}", a.status));
    }
    let oauth = a.oauth_error().unwrap_or_else(|| {
        if a.body.contains(expected) {
            expected.to_owned()
        } else {
            format!("HTTP {}", a.status)
        }
    });
    Err(Refusal {
        oauth,
        status: Some(a.status),
    })
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        let _ = f.append_pair(k, v);
    }
    f.finish()
}

pub(super) fn post_form(url: &str, pairs: &[(&str, &str)]) -> Result<Request<String>, Failure> {
    Request::post(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(pairs))
        .map_err(|e| Failure::environment(url, e))
}

pub(super) fn get(url: &str) -> Result<Request<String>, Failure> {
    Request::get(url)
        .body(String::new())
        .map_err(|e| Failure::environment(url, e))
}

/// A client credentials token for `scope`.
pub(super) async fn client_token(p: &Party, scope: &str) -> Result<TokenResponse, String> {
    let a = p
        .send(|| p.client_credentials(scope))
        .await
        .map_err(|e| why(&e))?;
    expect(&a, 200)?;
    p.client.token_response(&a.body).map_err(|e| e.to_string())
}

/// What an authorization left: the session, the redirect back, the code.
pub struct Authorized {
    pub(super) session: AuthSession,
    pub(super) location: String,
    pub(super) code: String,
}

/// What a redeemed code gave: the token response and, for an `openid`
/// grant, the ID token as the bank sent it and its signed JWT (the same
/// unless encrypted to the client).
pub struct Redeemed {
    pub(super) token: TokenResponse,
    pub(super) id_token: Option<(String, String)>,
}

/// Steps 2–4: PAR (with `openid`: OpenID Connect Core §3.1.2.1, so the
/// token response carries an ID token), the login page, login, the
/// consent page, approval, the redirect back with `iss` checked.
pub(super) async fn authorize(
    r: &mut Report,
    flow: &str,
    p: &Party,
    scope: &str,
    consent: &str,
    consent_text: &str,
) -> Option<Authorized> {
    let par = p
        .call(|| {
            let action =
                UserAction::new(NOTICE).map_err(|e| Failure::refused("a user action", e))?;
            p.client
                .par_request(action, &format!("openid {scope}"), Some(consent))
                .map_err(|e| Failure::fapi("the pushed request", &e))
        })
        .await;
    let (session, request_uri) = r.step(
        flow,
        "pushed authorization request (client auth, PKCE S256, request object where required)",
        &[
            "F2-PAR",
            "F2-PAR-TTL",
            "F2-PKCE",
            "F2-CLIENT-INFO",
            "OB-REQOBJ",
            "CDR-REQ-TTL",
            "OFB-PAR",
            "CDR-PAR",
            "OB-INTENT",
            "BG-PKCE",
        ],
        par.map_err(|e| why(&e)).and_then(|(a, session)| {
            expect(&a, 201)?;
            let uri = a.json()["request_uri"]
                .as_str()
                .map(str::to_owned)
                .ok_or("no request_uri")?;
            Ok((session, uri))
        }),
    )?;
    let page = p
        .http
        .send(get(&p.client.authorization_url(&request_uri)).ok()?)
        .await;
    let (txn, csrf) = r.step(
        flow,
        "authorization endpoint: the login page for the pushed request",
        &["F2-PAR"],
        page.map_err(|e| why(&e)).and_then(|a| {
            expect(&a, 200)?;
            Ok((
                hidden_field(&a.body, "txn").ok_or("no txn")?,
                hidden_field(&a.body, "csrf").ok_or("no csrf")?,
            ))
        }),
    )?;
    let tab = super::login_reload::second_tab(r, flow, p, &request_uri).await;
    let login = p
        .http
        .send(
            post_form(
                &p.url("/authorize/login"),
                &[
                    ("username", "alice"),
                    ("password", "alice-password"),
                    ("txn", &txn),
                    ("csrf", &csrf),
                ],
            )
            .ok()?,
        )
        .await;
    let (txn, csrf) = r.step(
        flow,
        "user logs in; the consent page names the client, the scope and the consent",
        &["F2-AS-INFO"],
        login.map_err(|e| why(&e)).and_then(|a| {
            expect(&a, 200)?;
            for must in [p.name, scope, consent_text] {
                if !a.body.contains(must) {
                    return Err(format!("the consent page does not show {must:?}"));
                }
            }
            Ok((
                hidden_field(&a.body, "txn").ok_or("no txn")?,
                hidden_field(&a.body, "csrf").ok_or("no csrf")?,
            ))
        }),
    )?;
    let decided = p
        .http
        .send(
            post_form(
                &p.url("/authorize/consent"),
                &[("decision", "approve"), ("txn", &txn), ("csrf", &csrf)],
            )
            .ok()?,
        )
        .await;
    let location = r.step(
        flow,
        "user approves; 303 to the https redirect URI with code, state and iss",
        &["F2-ISS", "F2-TLS-RESP", "F2-CODE-TTL"],
        decided.map_err(|e| why(&e)).and_then(|a| {
            expect(&a, 303)?;
            let l = a.header("location").ok_or("no Location")?;
            if !l.starts_with(REDIRECT) {
                return Err(format!("redirected to {l}"));
            }
            Ok(l.to_owned())
        }),
    )?;
    super::login_reload::decide_in_second_tab(r, flow, p, tab).await;
    let keys = p.issuer_keys().await;
    let (name, ids): (&str, &[&str]) = if session.response_mode() == ResponseMode::Jwt {
        (
            "client verifies the JARM response (signature, iss, aud, exp), checks state, takes the code",
            &["F2-ISS", "F2-ALG"],
        )
    } else {
        ("client checks iss and state, takes the code", &["F2-ISS"])
    };
    let code = r.step(
        flow,
        name,
        ids,
        keys.and_then(|keys| {
            p.client
                .authorization_response(&session, &keys, &location)
                .map_err(|e| e.to_string())
        }),
    )?;
    Some(Authorized {
        session,
        location,
        code,
    })
}

/// Step 4: the code at the token endpoint.
pub(super) async fn redeem(
    r: &mut Report,
    flow: &str,
    p: &Party,
    auth: &Authorized,
) -> Option<TokenResponse> {
    redeem_full(r, flow, p, auth).await.map(|x| x.token)
}

/// [`redeem`], keeping the ID token.
pub(super) async fn redeem_full(
    r: &mut Report,
    flow: &str,
    p: &Party,
    auth: &Authorized,
) -> Option<Redeemed> {
    let a = p
        .send(|| {
            p.client
                .code_token_request(&auth.session, &auth.code)
                .map_err(|e| Failure::fapi("the token request", &e))
        })
        .await;
    let keys = p.issuer_keys().await;
    let (t, id_token) = r.step(
        flow,
        "code redeemed: client authentication, PKCE verifier, DPoP proof or TLS certificate",
        &[
            "F2-CODE-ONCE",
            "CDR-CODE-ONCE",
            "F2-PKCE",
            "F2-SENDER",
            "OB-SENDER",
            "CDR-HOK",
            "CDR-AT-TTL",
            "OFB-AT-TTL",
            "F2-CLIENT-AUTH",
            "CDR-CLIENT-AUTH",
            "OFB-CLIENT-AUTH",
            "BG-MTLS",
        ],
        a.map_err(|e| why(&e)).and_then(|a| {
            expect(&a, 200)?;
            let t = p
                .client
                .token_response(&a.body)
                .map_err(|e| e.to_string())?;
            let id_token = t.id_token.clone();
            Ok((t, id_token))
        }),
    )?;
    // OpenID Connect Core §3.1.3.7: the ID token of an `openid` grant,
    // decrypted where the client registered encryption (§10.2, CDR-ALG),
    // verified by the client.
    let Some(id_token) = id_token else {
        return Some(Redeemed {
            token: t,
            id_token: None,
        });
    };
    let encrypted = id_token.split('.').count() == 5;
    let name = if encrypted {
        "client decrypts the ID token (a nested JWT, RSA-OAEP-256 and A256GCM to its registered key), verifies it: signature, iss, aud, nonce, at_hash, the profile's claims"
    } else {
        "client verifies the ID token: signature, iss, aud, nonce, at_hash, the profile's claims"
    };
    let ids: &[&str] = if encrypted {
        &["F2-ALG", "CDR-ALG", "OIDC Core §3.1.3.7", "RFC 7516"]
    } else {
        &["F2-ALG", "OB-INTENT", "CDR-ALG", "OIDC Core §3.1.3.7"]
    };
    let signed = r.step(
        flow,
        name,
        ids,
        keys.and_then(|keys| {
            let signed = p.signed_id_token(&id_token).map_err(|e| e.to_string())?;
            let _ = p
                .client
                .verify_id_token(&keys, &signed, Some(&auth.session), Some(&t.access_token))
                .map_err(|e| e.to_string())?;
            Ok(signed)
        }),
    )?;
    Some(Redeemed {
        token: t,
        id_token: Some((id_token, signed)),
    })
}

/// A resource call that must answer `status`; returns its JSON. Where the
/// profile requires signed messages the request is signed
/// ([`Party::resource`]) and a successful response's signature verified
/// ([`Party::verify_response`]): one without a valid signature fails the
/// step (BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures).
async fn api(
    r: &mut Report,
    flow: &str,
    name: &str,
    ids: &[&str],
    p: &Party,
    (method, path, token): (&str, &str, &str),
    (body, headers, status): (Option<&serde_json::Value>, &[(&str, &str)], u16),
) -> Option<serde_json::Value> {
    let a = p
        .exchange(|| p.resource(method, path, token, body, headers))
        .await;
    let checked = match a {
        Ok((a, sent)) => match expect(&a, status) {
            Ok(()) if (200..300).contains(&a.status) => {
                p.verify_response(&sent, &a).await.map(|_| a.json())
            }
            Ok(()) => Ok(a.json()),
            Err(e) => Err(e),
        },
        Err(e) => Err(why(&e)),
    };
    let mut all: Vec<&str> = ids.to_vec();
    all.extend_from_slice(super::http_sig::ids(&p.profile));
    r.step(flow, name, &all, checked)
}

/// The sender-constraint attacks on a captured resource request (A5).
async fn stolen_token_attacks(r: &mut Report, flow: &str, victim: &Party, path: &str, token: &str) {
    let ids = ["F2-SENDER", "OB-SENDER", "CDR-HOK"];
    if victim.dpop {
        // The captured request again, its proof included.
        let captured = victim.resource("GET", path, token, None, &[]);
        let seen = match captured {
            Ok(req) => {
                let replayed = super::party::copy_request(&req).ok();
                let first = victim.http.send(req).await;
                match (first, replayed) {
                    (Ok(_), Some(again)) => match victim.http.send(again).await {
                        Ok(a) => outcome(&a, "invalid_dpop_proof"),
                        Err(e) => Ok(why(&e)),
                    },
                    (Err(e), _) => Ok(why(&e)),
                    (_, None) => Ok("could not copy the request".into()),
                }
            }
            Err(e) => Ok(why(&e)),
        };
        r.attack(
            flow,
            "dpop-proof-replay",
            "A5",
            &ids,
            "invalid_dpop_proof",
            seen,
        );
    }
}

/// The attacks on the authorization response (A1).
async fn authorization_attacks(r: &mut Report, flow: &str, p: &Party, auth: &Authorized) {
    // F2-ISS: an authorization response naming another issuer (mix-up):
    // the client refuses it.
    let mixed = mix_up(&auth.location);
    let seen = match p.client.code_from(&auth.session, &mixed) {
        Ok(code) => Ok(format!("code {} taken", code.len())),
        Err(e) => Err(Refusal {
            oauth: e.oauth_error().as_str().to_owned(),
            status: None,
        }),
    };
    r.attack(
        flow,
        "authorization-response-with-a-wrong-iss",
        "A1",
        &["F2-ISS"],
        "invalid_request",
        seen,
    );
}

/// The redirect `location` with its `iss` replaced by the attacker's.
fn mix_up(location: &str) -> String {
    let Ok(mut url) = reqwest::Url::parse(location) else {
        return location.to_owned();
    };
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                "https://as.attacker.example".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let _ = url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

/// The account information flow, then its attacks.
pub async fn account_information(r: &mut Report, profile: &Profile, p: &Party, attacker: &Party) {
    let f = AIS;
    r.text(&format!("  -- {f}"));
    let Some(cc) = r.step(
        f,
        "client credentials token (client authentication, sender-constrained)",
        &[
            "F2-FLOWS",
            "F2-CLIENT-AUTH",
            "OFB-CLIENT-AUTH",
            "CDR-CLIENT-AUTH",
            "BG-MTLS",
            "F2-SENDER",
            "F2-CONF-CLIENT",
        ],
        client_token(p, "accounts").await,
    ) else {
        return;
    };
    let body = serde_json::json!({"Data": {
        "Permissions": ["ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail"],
        "ExpirationDateTime": "2099-01-01T00:00:00Z",
        "TransactionFromDateTime": "2024-01-01T00:00:00Z",
        "TransactionToDateTime": "2099-01-01T00:00:00Z"}, "Risk": {}});
    let path = format!("{AISP}/account-access-consents");
    let Some(consent) = api(
        r,
        f,
        "account-access consent created (AwaitingAuthorisation)",
        &["F2-SENDER"],
        p,
        ("POST", &path, &cc.access_token),
        (Some(&body), &[], 201),
    )
    .await
    else {
        return;
    };
    let Some(consent_id) = consent["Data"]["ConsentId"].as_str().map(str::to_owned) else {
        r.fail(
            f,
            "account-access consent created (AwaitingAuthorisation)",
            "no Data.ConsentId",
        );
        return;
    };
    let Some(auth) = authorize(r, f, p, "accounts", &consent_id, "ReadBalances").await else {
        return;
    };
    let Some(redeemed) = redeem_full(r, f, p, &auth).await else {
        return;
    };
    let token = &redeemed.token;
    let at = token.access_token.as_str();
    let accounts_path = format!("{AISP}/accounts");
    let Some(accounts) = api(
        r,
        f,
        "accounts read under the authorised consent",
        &["F2-SENDER", "OB-SENDER", "CDR-HOK", "OB-INTENT"],
        p,
        ("GET", &accounts_path, at),
        (None, &[], 200),
    )
    .await
    else {
        return;
    };
    let account = accounts["Data"]["Account"][0]["AccountId"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let _ = api(
        r,
        f,
        "balances read",
        &["F2-SENDER"],
        p,
        ("GET", &format!("{AISP}/accounts/{account}/balances"), at),
        (None, &[], 200),
    )
    .await;
    let _ = api(
        r,
        f,
        "transactions read",
        &["F2-SENDER"],
        p,
        (
            "GET",
            &format!("{AISP}/accounts/{account}/transactions"),
            at,
        ),
        (None, &[], 200),
    )
    .await;
    if let Some(rt) = token.refresh_token.as_deref() {
        let a = p
            .send(|| {
                p.client
                    .refresh_request(rt)
                    .map_err(|e| Failure::fapi("a refresh request", &e))
            })
            .await;
        let _ = r.step(
            f,
            "refreshed: a new access token, the refresh token not rotated",
            &[
                "F2-RT-NO-ROTATE",
                "OFB-RT-NO-ROTATE",
                "CDR-RT-NO-ROTATE",
                "F2-SENDER",
            ],
            a.map_err(|e| why(&e)).and_then(|a| {
                expect(&a, 200)?;
                let t = p
                    .client
                    .token_response(&a.body)
                    .map_err(|e| e.to_string())?;
                match t.refresh_token.as_deref() {
                    Some(new) if new != rt => Err("the refresh token was rotated".to_owned()),
                    _ => Ok(()),
                }
            }),
        );
    } else {
        // The CDR: no sharing duration asked for, no refresh token.
        r.text(
            "     --      no refresh token issued: the refresh step and its attack do not apply",
        );
    }
    stolen_token_attacks(r, f, p, &accounts_path, at).await;
    authorization_attacks(r, f, p, &auth).await;
    // The client's own defences: the JARM response, the ID token and its
    // encryption, each forged or substituted.
    super::jarm::attacks(r, f, p, &auth.session, &auth.location).await;
    if let Some((sent, signed)) = &redeemed.id_token {
        let first = super::id_token::First {
            session: &auth.session,
            access_token: at,
            id_token: signed,
        };
        super::id_token::attacks(r, f, p, attacker, &first, (&path, &body), "accounts").await;
        if sent != signed {
            super::jwe::attacks(r, f, p, sent);
        }
    }
    let rt = token.refresh_token.as_deref();
    super::replayed_code::tokens_of_a_replayed_code(r, f, p, &auth, (&accounts_path, at, rt)).await;
    super::client_auth::attacks(r, f, profile, p, (&path, &body), "accounts").await;
    // CDR-CODE-FLOW, BG-CODE-FLOW: the client's own token, no user consent.
    let seen = match p
        .send(|| p.resource("GET", &accounts_path, &cc.access_token, None, &[]))
        .await
    {
        Ok(a) => outcome(&a, "insufficient_scope"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        f,
        "account-data-with-a-client-credentials-token",
        "A1",
        &["CDR-CODE-FLOW", "BG-CODE-FLOW", "F2-FLOWS"],
        "insufficient_scope",
        seen,
    );
}

/// The payment flow, then its attacks.
pub async fn payment(r: &mut Report, p: &Party) {
    let f = PIS;
    r.text(&format!("  -- {f}"));
    let Some(cc) = r.step(
        f,
        "client credentials token (client authentication, sender-constrained)",
        &["F2-FLOWS", "F2-CLIENT-AUTH", "F2-SENDER"],
        client_token(p, "payments").await,
    ) else {
        return;
    };
    let initiation = serde_json::json!({
        "InstructionIdentification": "inst-0001",
        "EndToEndIdentification": "e2e-0001",
        "InstructedAmount": {"Amount": "10.00", "Currency": "GBP"},
        "CreditorAccount": {"SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": "08080021325698", "Name": "ACME Ltd"}});
    let body = serde_json::json!({"Data": {"Initiation": initiation}, "Risk": {}});
    let path = format!("{PISP}/domestic-payment-consents");
    let Some(consent) = api(
        r,
        f,
        "payment consent created (AwaitingAuthorisation)",
        &["F2-SENDER"],
        p,
        ("POST", &path, &cc.access_token),
        (Some(&body), &[("x-idempotency-key", "pay-0001")], 201),
    )
    .await
    else {
        return;
    };
    let Some(consent_id) = consent["Data"]["ConsentId"].as_str().map(str::to_owned) else {
        r.fail(
            f,
            "payment consent created (AwaitingAuthorisation)",
            "no Data.ConsentId",
        );
        return;
    };
    let Some(auth) = authorize(r, f, p, "payments", &consent_id, "10.00").await else {
        return;
    };
    let Some(token) = redeem(r, f, p, &auth).await else {
        return;
    };
    let at = token.access_token.as_str();
    let funds = format!("{PISP}/domestic-payment-consents/{consent_id}/funds-confirmation");
    let _ = api(
        r,
        f,
        "funds confirmation",
        &["F2-SENDER"],
        p,
        ("GET", &funds, at),
        (None, &[], 200),
    )
    .await;
    let order = serde_json::json!({"Data": {"ConsentId": consent_id, "Initiation": initiation}, "Risk": {}});
    let payments = format!("{PISP}/domestic-payments");
    let Some(paid) = api(
        r,
        f,
        "domestic payment submitted under the authorised consent",
        &["F2-SENDER", "OB-INTENT"],
        p,
        ("POST", &payments, at),
        (Some(&order), &[("x-idempotency-key", "pay-0002")], 201),
    )
    .await
    else {
        return;
    };
    let id = paid["Data"]["DomesticPaymentId"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let _ = api(
        r,
        f,
        "payment status polled",
        &["F2-SENDER"],
        p,
        ("GET", &format!("{payments}/{id}"), at),
        (None, &[], 200),
    )
    .await;
    // The consent pays once.
    let seen = match p
        .send(|| {
            p.resource(
                "POST",
                &payments,
                at,
                Some(&order),
                &[("x-idempotency-key", "pay-0003")],
            )
        })
        .await
    {
        Ok(a) => outcome(&a, "insufficient_scope"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        f,
        "payment-consent-used-twice",
        "A1a",
        &["F2-CODE-ONCE", "OB-INTENT"],
        "insufficient_scope",
        seen,
    );
    stolen_token_attacks(r, f, p, &format!("{payments}/{id}"), at).await;
    authorization_attacks(r, f, p, &auth).await;
    let rt = token.refresh_token.as_deref();
    super::replayed_code::tokens_of_a_replayed_code(r, f, p, &auth, (&funds, at, rt)).await;
    let seen = match p
        .send(|| p.resource("GET", &funds, &cc.access_token, None, &[]))
        .await
    {
        Ok(a) => outcome(&a, "insufficient_scope"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        f,
        "funds-confirmation-with-a-client-credentials-token",
        "A1",
        &["CDR-CODE-FLOW", "BG-CODE-FLOW", "F2-FLOWS"],
        "insufficient_scope",
        seen,
    );
}
