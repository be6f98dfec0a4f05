//! A bank started on 127.0.0.1:0 and an HTTPS client (reqwest on rustls,
//! aws-lc-rs) that trusts its development CA, with or without a client
//! certificate; the fapi `Client` makes every OAuth request.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use fapi::{Client, SigningKey};
use fapi_core::Alg;
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_server::config::ClientConfig;
use fapi_server::dev_ca::DevCa;
use fapi_server::{RunningServer, ServerConfig, start};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub const REDIRECT: &str = "https://fintech.example/cb";

pub struct Bank {
    pub server: RunningServer,
    pub ca: DevCa,
}

pub async fn bank(profile: Profile, ca: DevCa, clients: Vec<ClientConfig>) -> Bank {
    let mut config = ServerConfig::new(profile)
        .listen("127.0.0.1:0".parse().unwrap())
        .dev_ca(ca.clone());
    for c in clients {
        config = config.client(c);
    }
    Bank {
        server: start(config).await.unwrap(),
        ca,
    }
}

/// An HTTPS client trusting `ca`, presenting `identity` (cert PEM, key PEM).
pub fn http(ca: &DevCa, identity: Option<(&str, &str)>) -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca.ca_pem().as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => {
            let certs: Vec<_> = CertificateDer::pem_slice_iter(cert.as_bytes())
                .map(Result::unwrap)
                .collect();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            builder.with_client_auth_cert(certs, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub async fn send(http: &reqwest::Client, req: http::Request<String>) -> Reply {
    let (parts, body) = req.into_parts();
    let mut r = http.request(parts.method, parts.uri.to_string());
    for (k, v) in &parts.headers {
        r = r.header(k, v);
    }
    let resp = r.body(body).send().await.unwrap();
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}

/// Sends the request `make` builds; on `use_dpop_nonce` (a new
/// `DPoP-Nonce`), builds it again with the nonce and sends it once more.
pub async fn send_dpop(
    http: &reqwest::Client,
    client: &Client,
    mut make: impl FnMut() -> http::Request<String>,
) -> Reply {
    let r = send(http, make()).await;
    let retry = (r.status == 400 || r.status == 401)
        && r.headers.contains_key("dpop-nonce")
        && (r.body.contains("use_dpop_nonce")
            || r.headers
                .get("www-authenticate")
                .is_some_and(|v| v.to_str().unwrap_or("").contains("use_dpop_nonce")));
    client.remember_dpop_nonce(&r.headers);
    if retry { send(http, make()).await } else { r }
}

/// A resource request with a JSON body.
pub fn rs_request(
    client: &Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&serde_json::Value>,
    extra: &[(&str, &str)],
) -> http::Request<String> {
    let req = client.resource_request(method, url, token).unwrap();
    let (mut parts, _) = req.into_parts();
    // Signed again below with the body and headers it is sent with.
    let _ = parts.headers.remove("signature");
    let _ = parts.headers.remove("signature-input");
    for (k, v) in extra {
        let _ = parts.headers.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    let body = match body {
        Some(b) => {
            let _ = parts.headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            b.to_string()
        }
        None => String::new(),
    };
    let mut req = http::Request::from_parts(parts, body);
    if client.profile().signed_messages_required {
        // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures.
        client.sign_resource_request(&mut req).unwrap();
    }
    req
}

/// The value of the hidden field `name` in an HTML page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The key algorithm a client uses under `profile`.
pub fn client_alg(profile: &Profile) -> Alg {
    if profile.algs.contains(&Alg::Es256) {
        Alg::Es256
    } else {
        Alg::Ps256
    }
}

/// The keys of a client: assertion and request objects, and DPoP.
#[derive(Clone)]
pub struct ClientKeys {
    pub id: String,
    pub key: Option<SigningKey>,
    pub dpop: Option<SigningKey>,
    pub tls: bool,
}

/// A `private_key_jwt` client's keys and its registration.
pub fn pkj_client(profile: Profile, id: &str, dpop: bool) -> (ClientKeys, ClientConfig) {
    let key = SigningKey::generate(client_alg(&profile)).unwrap();
    let jwks = fapi::KeySet::new(key.clone()).jwks_json().unwrap();
    let keys = ClientKeys {
        id: id.into(),
        key: Some(key),
        dpop: dpop.then(|| SigningKey::generate(client_alg(&profile)).unwrap()),
        tls: false,
    };
    let reg = ClientConfig {
        client_id: id.into(),
        name: "Fintech One Ltd".into(),
        redirect_uris: vec![REDIRECT.into()],
        auth: "private_key_jwt".into(),
        jwks: Some(jwks),
        jwks_file: None,
        tls_client_auth_subject_dn: None,
        scopes: vec!["openid".into(), "accounts".into(), "payments".into()],
        ..ClientConfig::default()
    };
    (keys, reg)
}

/// A `tls_client_auth` client's registration (subject DN `dn`), with a
/// signing key of `profile`'s.
pub fn tls_client(profile: Profile, id: &str, dn: &str) -> (ClientKeys, ClientConfig) {
    // The key that signs its resource requests (BG-SIGNED-REQ), registered
    // in its JWK Set.
    let key = SigningKey::generate(client_alg(&profile)).unwrap();
    let jwks = fapi::KeySet::new(key.clone()).jwks_json().unwrap();
    let keys = ClientKeys {
        id: id.into(),
        key: Some(key),
        dpop: None,
        tls: true,
    };
    let reg = ClientConfig {
        client_id: id.into(),
        name: "Fintech One Ltd".into(),
        redirect_uris: vec![REDIRECT.into()],
        auth: "tls_client_auth".into(),
        jwks: Some(jwks),
        jwks_file: None,
        tls_client_auth_subject_dn: Some(dn.into()),
        scopes: vec!["openid".into(), "accounts".into(), "payments".into()],
        ..ClientConfig::default()
    };
    (keys, reg)
}

/// The fapi client of `keys` at the bank's issuer.
pub fn client(profile: Profile, issuer: &str, keys: &ClientKeys) -> Client {
    let mut b = Client::builder(profile, &keys.id, issuer)
        .redirect_uri(REDIRECT)
        .tls_client_auth(keys.tls);
    if let Some(k) = &keys.key {
        b = b.signing_key(k.clone());
    }
    if let Some(k) = &keys.dpop {
        b = b.dpop_key(k.clone());
    }
    b.build().unwrap()
}

/// Client credentials: the access token for `scope`.
pub async fn cc_token(http: &reqwest::Client, client: &Client, scope: &str) -> String {
    let r = send_dpop(http, client, || {
        client.client_credentials_request(scope).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["access_token"].as_str().unwrap().to_owned()
}

/// Runs PAR, login and consent for `consent_id` and redeems the code: the
/// token response.
pub async fn authorize(
    http: &reqwest::Client,
    client: &Client,
    scope: &str,
    consent_id: &str,
    user: (&str, &str),
) -> serde_json::Value {
    let (session, code) = authorize_code(http, client, scope, consent_id, user).await;
    let r = send_dpop(http, client, || {
        client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Runs PAR, login and consent: the session and the code.
pub async fn authorize_code(
    http: &reqwest::Client,
    client: &Client,
    scope: &str,
    consent_id: &str,
    user: (&str, &str),
) -> (fapi::client::AuthSession, String) {
    let (session, location) =
        authorize_redirect(http, client, scope, consent_id, user, "approve").await;
    // F2-ISS: the client checks iss and state (inside the JARM response
    // where the session asked for one).
    let base = client.authorization_url("x");
    let base = base.split("/authorize").next().unwrap().to_owned();
    let keys = issuer_keys(http, &base).await;
    let code = client
        .authorization_response(&session, &keys, &location)
        .unwrap();
    (session, code)
}

/// Runs PAR, login and the consent `decision` (`approve`, `deny`): the
/// session and the redirect back to the client.
pub async fn authorize_redirect(
    http: &reqwest::Client,
    client: &Client,
    scope: &str,
    consent_id: &str,
    user: (&str, &str),
    decision: &str,
) -> (fapi::client::AuthSession, String) {
    let (request_uri, session) = push(http, client, scope, consent_id).await;
    let location = decide(http, client, &request_uri, user, decision).await;
    (session, location)
}

/// The pushed authorization request for `scope` and `consent_id`: its
/// `request_uri` and the session.
pub async fn push(
    http: &reqwest::Client,
    client: &Client,
    scope: &str,
    consent_id: &str,
) -> (String, fapi::client::AuthSession) {
    let (par, session) = client
        .par_request(
            UserAction::new("On to your bank").unwrap(),
            scope,
            Some(consent_id),
        )
        .unwrap();
    let r = send(http, par).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let request_uri = r.json()["request_uri"].as_str().unwrap().to_owned();
    (request_uri, session)
}

/// The user's login and consent `decision` (`approve`, `deny`) for the
/// pushed request `request_uri`: the redirect back to the client.
pub async fn decide(
    http: &reqwest::Client,
    client: &Client,
    request_uri: &str,
    user: (&str, &str),
    decision: &str,
) -> String {
    let page = http
        .get(client.authorization_url(request_uri))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/authorize/login\""));
    let base = client.authorization_url("x");
    let base = base.split("/authorize").next().unwrap().to_owned();
    let consent_page = http
        .post(format!("{base}/authorize/login"))
        .form(&[
            ("txn", hidden(&html, "txn")),
            ("csrf", hidden(&html, "csrf")),
            ("username", user.0.into()),
            ("password", user.1.into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(consent_page.status(), 200);
    let html = consent_page.text().await.unwrap();
    // F2-AS-INFO: the consent page names the client, by name and id.
    assert!(html.contains("Fintech One Ltd"), "{html}");
    let id = format!("({})", client.client_id());
    assert!(html.contains(&id), "{html}");
    let decided = http
        .post(format!("{base}/authorize/consent"))
        .form(&[
            ("txn", hidden(&html, "txn")),
            ("csrf", hidden(&html, "csrf")),
            ("decision", decision.into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303);
    decided.headers()["location"].to_str().unwrap().to_owned()
}

/// The issuer's published keys (`/jwks`).
pub async fn issuer_keys(http: &reqwest::Client, base: &str) -> fapi::IssuerKeys {
    let jwks = http
        .get(format!("{base}/jwks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fapi::IssuerKeys::from_jwks_json(&jwks).unwrap()
}
