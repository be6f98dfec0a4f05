//! Client authentication and the pushed request's parameters over HTTPS,
//! under every profile:
//!
//! - the `aud` of a `private_key_jwt` client assertion: under `fapi2` and
//!   `fapi2-plus` only the issuer as a plain string (FAPI 2.0 Security
//!   Profile final §5.3.2.1, F2-CLIENT-AUTH); under `obie`, `ofb` and `cdr`
//!   also the token endpoint URL and the URL the assertion was sent to
//!   (RFC 7523 §3, RFC 9126 §2);
//! - a client that presents none of its credentials is `401
//!   invalid_client` before the sender constraint or the grant is looked
//!   at (RFC 6749 §5.2, RFC 8705 §2);
//! - `request_uri` in a pushed request (RFC 9126 §2.1) or in a request
//!   object (RFC 9101 §4) is refused;
//! - a missing or malformed `code_verifier` is `invalid_grant` (RFC 7636
//!   §4.6);
//! - Open Finance Brasil refuses `id_token_hint`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use core::sync::atomic::{AtomicU64, Ordering};

use common::*;
use fapi_core::Signer;
use fapi_core::authorize::UserAction;
use fapi_core::jws::HeaderParams;
use fapi_core::profile::{ClientAuthMethod, Profile, SenderConstraint};
use fapi_server::dev_ca::DevCa;
use serde_json::{Value, json};

const DN: &str = "CN=fintech-1,O=Fintech One";

struct Setup {
    profile: Profile,
    bank: Bank,
    keys: ClientKeys,
    client: fapi::Client,
    /// Presents the client's certificate.
    http: reqwest::Client,
    /// Presents no certificate.
    bare: reqwest::Client,
    issuer: String,
}

/// The bank under `profile` with one client authenticating by the
/// profile's first method: `private_key_jwt` where allowed, else
/// `tls_client_auth` (berlin).
async fn setup(profile: Profile) -> Setup {
    let ca = DevCa::generate().unwrap();
    let dpop = profile.sender.contains(&SenderConstraint::Dpop);
    let (keys, reg) = if profile
        .client_auth
        .contains(&ClientAuthMethod::PrivateKeyJwt)
    {
        pkj_client(profile, "fintech-1", dpop)
    } else {
        tls_client(profile, "fintech-1", DN)
    };
    setup_with(profile, ca, keys, reg).await
}

async fn setup_with(
    profile: Profile,
    ca: DevCa,
    keys: ClientKeys,
    reg: fapi_server::config::ClientConfig,
) -> Setup {
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate(DN).unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let bare = common::http(&ca, None);
    Setup {
        profile,
        bank,
        keys,
        client,
        http,
        bare,
        issuer,
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(key: &fapi::SigningKey, typ: Option<&str>, claims: &Value) -> String {
    let header = HeaderParams {
        typ,
        kid: Some(key.key_id()),
        jwk: None,
    };
    let mut out = vec![0u8; 16 * 1024];
    let n = fapi_core::jws::sign(key, &header, claims.to_string().as_bytes(), &mut out).unwrap();
    out.truncate(n);
    String::from_utf8(out).unwrap()
}

/// A client assertion of the setup's client with `aud` as given (a string
/// or an array), otherwise valid.
fn assertion(s: &Setup, aud: Value) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = unix_now();
    let jti = format!("jti-{now}-{}", SEQ.fetch_add(1, Ordering::Relaxed));
    let id = &s.keys.id;
    let claims = json!({"iss": id, "sub": id, "aud": aud, "jti": jti, "iat": now, "exp": now + 60});
    sign(s.keys.key.as_ref().unwrap(), None, &claims)
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

fn param(body: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// `req` with its form body passed through `edit`.
fn edited(req: http::Request<String>, edit: impl Fn(&str) -> String) -> http::Request<String> {
    let (parts, body) = req.into_parts();
    http::Request::from_parts(parts, edit(&body))
}

/// The request object of `body` (a pushed request) with its claims passed
/// through `edit`, signed again with the client's key.
fn resign_request_object(
    s: &Setup,
    body: &str,
    edit: impl Fn(&mut serde_json::Map<String, Value>),
) -> String {
    let jwt = param(body, "request").expect("a request object");
    let payload = jwt.split('.').nth(1).unwrap();
    let mut buf = vec![0u8; payload.len()];
    let raw = fapi_core::b64::decode(payload.as_bytes(), &mut buf).unwrap();
    let mut claims: Value = serde_json::from_slice(raw).unwrap();
    edit(claims.as_object_mut().unwrap());
    let signed = sign(
        s.keys.key.as_ref().unwrap(),
        Some("oauth-authz-req+jwt"),
        &claims,
    );
    set_param(body, "request", Some(&signed))
}

/// A pushed request for `openid` (no consent needed; under obie, where an
/// `openid` request names the intent it authorises (OB-INTENT), `openid
/// accounts` with a fresh account-access consent) with its body passed
/// through `edit`, sent with the client's certificate.
async fn par_with(s: &Setup, edit: impl Fn(&str) -> String) -> Reply {
    let intent = if s.profile.intent_in_id_token {
        Some(intent(s).await)
    } else {
        None
    };
    let scope = if intent.is_some() {
        "openid accounts"
    } else {
        "openid"
    };
    let (req, _) = s
        .client
        .par_request(
            UserAction::new("On to your bank").unwrap(),
            scope,
            intent.as_deref(),
        )
        .unwrap();
    send(&s.http, edited(req, edit)).await
}

/// A fresh account-access consent of the client (OB-INTENT).
async fn intent(s: &Setup) -> String {
    let cc = common::cc_token(&s.http, &s.client, "accounts").await;
    let url = format!(
        "{}/open-banking/v3.1/aisp/account-access-consents",
        s.issuer
    );
    let body = serde_json::json!({"Data": {
        "Permissions": ["ReadAccountsDetail"],
        "ExpirationDateTime": "2099-01-01T00:00:00+00:00"
    }, "Risk": {}});
    let r = send_dpop(&s.http, &s.client, || {
        common::rs_request(&s.client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned()
}

/// A client credentials token request with its body passed through
/// `edit`, sent by `http` (DPoP nonces handled).
async fn cc_with(s: &Setup, http: &reqwest::Client, edit: impl Fn(&str) -> String) -> Reply {
    send_dpop(http, &s.client, || {
        edited(
            s.client.client_credentials_request("accounts").unwrap(),
            &edit,
        )
    })
    .await
}

fn with_assertion(a: &str) -> impl Fn(&str) -> String + '_ {
    move |body: &str| set_param(body, "client_assertion", Some(a))
}

fn assert_oauth(r: &Reply, status: u16, error: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert_eq!(r.json()["error"], error, "{what}: {}", r.body);
}

// --- FAPI 2.0 final §5.3.2.1: the issuer as a plain string, nothing else

/// F2-CLIENT-AUTH, FAPI 2.0 Security Profile final §5.3.2.1 (the
/// audience-injection attack on `private_key_jwt`): under fapi2 and
/// fapi2-plus an assertion whose `aud` is the PAR endpoint URL, the token
/// endpoint URL, or an array (even one holding only the issuer) is `401
/// invalid_client` at the PAR endpoint; the issuer as a plain string is
/// accepted.
async fn fapi2_final_5_3_2_1_par_aud_is_the_issuer_as_a_string(profile: Profile) {
    let s = setup(profile).await;
    let iss = s.issuer.clone();
    let refused = [
        json!(format!("{iss}/par")),
        json!(format!("{iss}/token")),
        json!([iss, "https://other.example.com"]),
        json!([iss]),
        json!("https://other.example.com"),
    ];
    for aud in refused {
        let a = assertion(&s, aud.clone());
        let r = par_with(&s, with_assertion(&a)).await;
        assert_oauth(
            &r,
            401,
            "invalid_client",
            &format!("{} aud {aud}", profile.name),
        );
    }
    let a = assertion(&s, json!(iss));
    let r = par_with(&s, with_assertion(&a)).await;
    assert_eq!(r.status, 201, "{}: {}", profile.name, r.body);
    s.bank.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_final_5_3_2_1_par_aud_fapi2() {
    fapi2_final_5_3_2_1_par_aud_is_the_issuer_as_a_string(Profile::FAPI2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_final_5_3_2_1_par_aud_fapi2_plus() {
    fapi2_final_5_3_2_1_par_aud_is_the_issuer_as_a_string(Profile::FAPI2_PLUS).await;
}

/// F2-CLIENT-AUTH, FAPI 2.0 final §5.3.2.1 at the token endpoint: the
/// token endpoint URL or an array as `aud` is `401 invalid_client`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_final_5_3_2_1_token_endpoint_aud_is_the_issuer_as_a_string() {
    for profile in [Profile::FAPI2, Profile::FAPI2_PLUS] {
        let s = setup(profile).await;
        let iss = s.issuer.clone();
        for aud in [json!(format!("{iss}/token")), json!([iss])] {
            let a = assertion(&s, aud.clone());
            let r = cc_with(&s, &s.http, with_assertion(&a)).await;
            assert_oauth(
                &r,
                401,
                "invalid_client",
                &format!("{} aud {aud}", profile.name),
            );
        }
        let a = assertion(&s, json!(iss));
        let r = cc_with(&s, &s.http, with_assertion(&a)).await;
        assert_eq!(r.status, 200, "{}: {}", profile.name, r.body);
        s.bank.server.shutdown().await;
    }
}

// --- RFC 7523 §3, RFC 9126 §2: obie, ofb, cdr

/// RFC 9126 §2, RFC 7523 §3 (the sets built on FAPI 1.0: obie, ofb, cdr):
/// the issuer, the token endpoint URL and the URL the assertion was sent
/// to are each accepted as `aud`, at the PAR and at the token endpoint;
/// another server is `401 invalid_client`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9126_s2_rfc7523_s3_issuer_token_endpoint_or_receiving_url_as_aud() {
    for profile in [Profile::OBIE, Profile::OFB, Profile::CDR] {
        let s = setup(profile).await;
        let iss = s.issuer.clone();
        for aud in [
            json!(iss),
            json!(format!("{iss}/token")),
            json!(format!("{iss}/par")),
            json!([iss, "https://other.example.com"]),
        ] {
            let a = assertion(&s, aud.clone());
            let r = par_with(&s, with_assertion(&a)).await;
            assert_eq!(r.status, 201, "{} PAR aud {aud}: {}", profile.name, r.body);
        }
        for aud in [
            json!(iss),
            json!(format!("{iss}/token")),
            json!([iss, "https://other.example.com"]),
        ] {
            let a = assertion(&s, aud.clone());
            let r = cc_with(&s, &s.http, with_assertion(&a)).await;
            assert_eq!(
                r.status, 200,
                "{} token aud {aud}: {}",
                profile.name, r.body
            );
        }
        // The PAR endpoint is not the URL a token request is sent to.
        for aud in [
            json!(format!("{iss}/par")),
            json!("https://other.example.com"),
        ] {
            let a = assertion(&s, aud.clone());
            let r = cc_with(&s, &s.http, with_assertion(&a)).await;
            assert_oauth(
                &r,
                401,
                "invalid_client",
                &format!("{} token aud {aud}", profile.name),
            );
        }
        let a = assertion(&s, json!("https://other.example.com"));
        let r = par_with(&s, with_assertion(&a)).await;
        assert_oauth(&r, 401, "invalid_client", profile.name);
        s.bank.server.shutdown().await;
    }
}

// --- RFC 6749 §5.2, RFC 8705 §2: no credentials, no client

/// RFC 6749 §5.2, RFC 8705 §2 (F2-CLIENT-AUTH, BG-MTLS): a
/// `tls_client_auth` client whose connection carries no certificate has
/// not authenticated: `401 invalid_client` at the token, PAR,
/// introspection and revocation endpoints, before the sender constraint
/// or the grant is looked at (obie and berlin allow the method).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8705_s2_tls_client_auth_without_a_certificate_is_invalid_client() {
    for profile in [Profile::OBIE, Profile::BERLIN] {
        let (keys, reg) = tls_client(profile, "fintech-1", DN);
        let s = setup_with(profile, DevCa::generate().unwrap(), keys, reg).await;
        for grant in [
            "grant_type=client_credentials&scope=accounts&client_id=fintech-1",
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Ffintech.example%2Fcb&code_verifier=x&client_id=fintech-1",
            "grant_type=refresh_token&refresh_token=abc&client_id=fintech-1",
        ] {
            let r = s
                .bare
                .post(format!("{}/token", s.issuer))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(grant)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 401, "{} {grant}: {body}", profile.name);
            assert_eq!(
                body["error"], "invalid_client",
                "{} {grant}: {body}",
                profile.name
            );
        }
        for path in ["/par", "/introspect", "/revoke"] {
            let r = s
                .bare
                .post(format!("{}{path}", s.issuer))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("client_id=fintech-1&token=abc&response_type=code&scope=openid")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 401, "{} {path}: {body}", profile.name);
            assert_eq!(
                body["error"], "invalid_client",
                "{} {path}: {body}",
                profile.name
            );
        }
        // With its certificate the same client is authenticated.
        let r = cc_with(&s, &s.http, str::to_owned).await;
        assert_eq!(r.status, 200, "{}: {}", profile.name, r.body);
        s.bank.server.shutdown().await;
    }
}

/// RFC 6749 §5.2 under every profile: a token request that carries none of
/// the client's credentials (no assertion, no certificate) is `401
/// invalid_client`, whatever the sender constraint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6749_s5_2_no_client_authentication_is_invalid_client() {
    for profile in Profile::ALL.iter().copied() {
        let s = setup(profile).await;
        let strip = |body: &str| {
            let b = set_param(body, "client_assertion", None);
            set_param(&b, "client_assertion_type", None)
        };
        let r = cc_with(&s, &s.bare, strip).await;
        assert_oauth(&r, 401, "invalid_client", profile.name);
        s.bank.server.shutdown().await;
    }
}

// --- RFC 9126 §2.1, RFC 9101 §4: no request_uri in a pushed request

/// RFC 9126 §2.1: `request_uri` MUST NOT be provided in a pushed
/// authorization request: `400 invalid_request`, under every profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9126_s2_1_request_uri_in_a_pushed_request_is_invalid_request() {
    for profile in Profile::ALL.iter().copied() {
        let s = setup(profile).await;
        let uri = "urn:ietf:params:oauth:request_uri:E2ooXxELkEFSKR90ymYV-BbwAvCC2TozHfSb_mMCw2s";
        let r = par_with(&s, |b| set_param(b, "request_uri", Some(uri))).await;
        assert_oauth(&r, 400, "invalid_request", profile.name);
        let r = par_with(&s, str::to_owned).await;
        assert_eq!(r.status, 201, "{}: {}", profile.name, r.body);
        s.bank.server.shutdown().await;
    }
}

/// RFC 9101 §4, RFC 9126 §2.1: a request object carrying `request_uri` (or
/// `request`) is refused: `400 invalid_request_object` (the profiles that
/// require signed requests: obie, ofb, cdr).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9101_s4_request_uri_in_a_request_object_is_invalid_request_object() {
    for profile in [Profile::OBIE, Profile::OFB, Profile::CDR] {
        let s = setup(profile).await;
        for member in ["request_uri", "request"] {
            let r = par_with(&s, |b| {
                resign_request_object(&s, b, |c| {
                    let _ = c.insert(
                        member.into(),
                        json!("urn:example:bwc4JK-ESC0w8acc191e-Y1LTC2"),
                    );
                })
            })
            .await;
            assert_oauth(
                &r,
                400,
                "invalid_request_object",
                &format!("{} {member}", profile.name),
            );
        }
        s.bank.server.shutdown().await;
    }
}

// --- RFC 7636 §4.6: the code verifier

/// An authorization code of the setup's client for an account-access
/// consent, and the session that holds its verifier.
async fn code(s: &Setup) -> (fapi::client::AuthSession, String) {
    let cc = cc_token(&s.http, &s.client, "accounts").await;
    let url = format!(
        "{}/open-banking/v3.1/aisp/account-access-consents",
        s.issuer
    );
    let body = json!({"Data": {"Permissions": ["ReadAccountsDetail"]}, "Risk": {}});
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}: {}", s.profile.name, r.body);
    let consent = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    authorize_code(
        &s.http,
        &s.client,
        "openid accounts",
        &consent,
        ("alice", "alice-password"),
    )
    .await
}

/// RFC 7636 §4.6 (F2-PKCE, OFB-PKCE, CDR-PKCE, BG-PKCE): a token request
/// without `code_verifier` for a code issued with a challenge is `400
/// invalid_grant`, under every profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7636_s4_6_missing_code_verifier_is_invalid_grant() {
    for profile in Profile::ALL.iter().copied() {
        let s = setup(profile).await;
        let (session, code) = code(&s).await;
        let r = send_dpop(&s.http, &s.client, || {
            edited(s.client.code_token_request(&session, &code).unwrap(), |b| {
                set_param(b, "code_verifier", None)
            })
        })
        .await;
        assert_oauth(&r, 400, "invalid_grant", profile.name);
        s.bank.server.shutdown().await;
    }
}

/// RFC 7636 §4.6 with §4.1: a verifier that is not 43-128 unreserved
/// characters can match no challenge, an empty one is none at all, and a
/// well-formed other one does not match: each is `400 invalid_grant`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7636_s4_6_malformed_or_wrong_code_verifier_is_invalid_grant() {
    for profile in [Profile::FAPI2, Profile::CDR] {
        let s = setup(profile).await;
        let wrong = "A".repeat(43);
        let bad_char = format!("{}!", "a".repeat(42));
        for verifier in [
            "",
            "short",
            bad_char.as_str(),
            &"a".repeat(129),
            wrong.as_str(),
        ] {
            let (session, code) = code(&s).await;
            let r = send_dpop(&s.http, &s.client, || {
                edited(s.client.code_token_request(&session, &code).unwrap(), |b| {
                    set_param(b, "code_verifier", Some(verifier))
                })
            })
            .await;
            assert_oauth(
                &r,
                400,
                "invalid_grant",
                &format!("{} {verifier:?}", profile.name),
            );
        }
        s.bank.server.shutdown().await;
    }
}

// --- Open Finance Brasil: no id_token_hint

/// Open Finance Brasil refuses requests with `id_token_hint`: in the
/// request object (`400 invalid_request_object`) or as a form parameter
/// of the pushed request (`400 invalid_request`). The other sets follow
/// OpenID Connect, where the hint is an optional parameter: accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofb_id_token_hint_is_refused() {
    let hint = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    let s = setup(Profile::OFB).await;
    let r = par_with(&s, |b| {
        resign_request_object(&s, b, |c| {
            let _ = c.insert("id_token_hint".into(), json!(hint));
        })
    })
    .await;
    assert_oauth(&r, 400, "invalid_request_object", "ofb request object");
    let r = par_with(&s, |b| set_param(b, "id_token_hint", Some(hint))).await;
    assert_oauth(&r, 400, "invalid_request", "ofb form");
    s.bank.server.shutdown().await;

    for profile in [Profile::OBIE, Profile::CDR] {
        let s = setup(profile).await;
        let r = par_with(&s, |b| {
            resign_request_object(&s, b, |c| {
                let _ = c.insert("id_token_hint".into(), json!(hint));
            })
        })
        .await;
        assert_eq!(r.status, 201, "{}: {}", profile.name, r.body);
        s.bank.server.shutdown().await;
    }
    for profile in [Profile::FAPI2, Profile::FAPI2_PLUS, Profile::BERLIN] {
        let s = setup(profile).await;
        let r = par_with(&s, |b| set_param(b, "id_token_hint", Some(hint))).await;
        assert_eq!(r.status, 201, "{}: {}", profile.name, r.body);
        s.bank.server.shutdown().await;
    }
}
