//! What the multi-node tests share: `fapi-server` processes (the flags of
//! `fapi serve`) on a Redis or a PostgreSQL, a Redis or PostgreSQL
//! clusters of a test's own, the files a node is
//! started with, and the HTTP steps of a flow, sent to one node as a load
//! balancer in front of the nodes would.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

use fapi::client::AuthSession;
use fapi::{Client, KeySet, SigningKey};
use fapi_core::Alg;
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_server::config::ClientConfig;

pub const ISSUER: &str = "https://bank.two-nodes.test";
pub const REDIRECT: &str = "https://client.example/cb";
pub const CLIENT_ID: &str = "client-1";
pub const ACCOUNTS: &str = "/open-banking/v3.1/aisp/accounts";

/// The Redis under test (`FAPI_REDIS_URL`), the `redis-server` binary
/// for a Redis of a test's own (`FAPI_REDIS_SERVER`) and that Redis: the
/// same helpers as fapi-store-redis's own tests.
#[path = "../../../fapi-store-redis/tests/support/mod.rs"]
mod redis_support;
#[allow(unused_imports)] // not every test binary that shares this module uses each
pub use redis_support::{OwnRedis, redis_server, redis_url};

/// The PostgreSQL under test (`FAPI_POSTGRES_URL`), PostgreSQL's programs
/// for clusters of a test's own (`FAPI_PG_BINDIR`) and those clusters: the
/// same helpers as fapi-store-postgres's own tests.
#[path = "../../../fapi-store-postgres/tests/support/mod.rs"]
mod pg_support;
#[allow(unused_imports)] // not every test binary that shares this module uses each
pub use pg_support::{Cluster, make_synchronous, pg_bindir, pg_url};

/// The files a node starts with (in a temporary directory, removed on
/// drop): `clients.toml` with the client's JWKS, `as.pem` (the issuer's
/// ES256 key, PKCS#8) and `nonce.key` (32 bytes), shared by the nodes;
/// and the client itself.
pub struct Setup {
    pub dir: PathBuf,
    pub client: Client,
    pub registration: ClientConfig,
}

impl Setup {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fapi-server-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let client_key = SigningKey::generate(Alg::Es256).unwrap();
        let jwks = KeySet::new(client_key.clone()).jwks_json().unwrap();
        let client = Client::builder(Profile::FAPI2, CLIENT_ID, ISSUER)
            .redirect_uri(REDIRECT)
            .signing_key(client_key)
            .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
            .build()
            .unwrap();
        let toml = format!(
            "[[client]]\nclient_id = \"{CLIENT_ID}\"\nname = \"Client One\"\n\
             redirect_uris = [\"{REDIRECT}\"]\nauth = \"private_key_jwt\"\n\
             jwks = '{jwks}'\nscopes = [\"openid\", \"accounts\", \"payments\"]\n"
        );
        std::fs::write(dir.join("clients.toml"), toml).unwrap();
        let as_key = rcgen::KeyPair::generate().unwrap().serialize_pem();
        std::fs::write(dir.join("as.pem"), as_key).unwrap();
        std::fs::write(dir.join("nonce.key"), [7u8; 32]).unwrap();
        let registration = ClientConfig {
            client_id: CLIENT_ID.into(),
            name: "Client One".into(),
            redirect_uris: vec![REDIRECT.into()],
            auth: "private_key_jwt".into(),
            jwks: Some(jwks),
            jwks_file: None,
            tls_client_auth_subject_dn: None,
            scopes: vec!["openid".into(), "accounts".into(), "payments".into()],
            ..ClientConfig::default()
        };
        Self {
            dir,
            client,
            registration,
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `fapi-server` process on `--store URL` (and, with
/// [`Node::start_with`], more flags), plain HTTP on a free port of
/// 127.0.0.1; its address from the ready line. Killed and waited for on
/// drop (a failed assertion too).
pub struct Node {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    pub addr: SocketAddr,
}

impl Node {
    pub fn start(setup: &Setup, store: &str) -> Self {
        Self::start_with(setup, store, &[])
    }

    /// On `--store store`, with `extra` flags (`--replay-store URL`).
    pub fn start_with(setup: &Setup, store: &str, extra: &[&str]) -> Self {
        let file = |name: &str| setup.dir.join(name).to_str().unwrap().to_owned();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
            .args(extra)
            .args([
                "--store",
                store,
                "--plain-http",
                "--listen",
                "127.0.0.1:0",
                "--issuer",
                ISSUER,
                "--json",
                "--clients",
                &file("clients.toml"),
                "--key",
                &file("as.pem"),
                "--nonce-key-file",
                &file("nonce.key"),
                // The races make thousands of requests: their refusals
                // (info) would bury the test output; faults (error) stay.
                "--log-level",
                "warn",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fapi-server");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let _ = stdout.read_line(&mut line).unwrap();
        let ready: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("fapi-server ready line {line:?}: {e}");
            }
        };
        assert_eq!(ready["event"], "ready");
        assert_eq!(ready["issuer"], ISSUER);
        let addr = ready["listen"].as_str().unwrap().parse().unwrap();
        Self {
            child,
            _stdout: stdout,
            addr,
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http_client(pool: usize) -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A DPoP nonce is asked for (RFC 9449 §8, §9).
    pub fn wants_nonce(&self) -> bool {
        (self.status == 400 || self.status == 401)
            && self.headers.contains_key("dpop-nonce")
            && (self.body.contains("use_dpop_nonce")
                || self
                    .headers
                    .get("www-authenticate")
                    .is_some_and(|v| v.to_str().unwrap_or("").contains("use_dpop_nonce")))
    }
}

/// Sends `req` (built for the issuer's URLs) to the node at `addr`.
pub async fn send(http: &reqwest::Client, addr: SocketAddr, req: http::Request<String>) -> Reply {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let mut r = http.request(req.method().clone(), format!("http://{addr}{path}"));
    for (k, v) in req.headers() {
        r = r.header(k.clone(), v.clone());
    }
    let resp = r
        .body(req.into_body())
        .send()
        .await
        .expect("the node answers");
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}

/// Sends what `make` builds; when a DPoP nonce is asked for, remembers it
/// and sends a fresh build once more.
pub async fn send_dpop(
    http: &reqwest::Client,
    client: &Client,
    addr: SocketAddr,
    mut make: impl FnMut() -> http::Request<String>,
) -> Reply {
    let r = send(http, addr, make()).await;
    client.remember_dpop_nonce(&r.headers);
    if r.wants_nonce() {
        send(http, addr, make()).await
    } else {
        r
    }
}

pub fn form_post(path: &str, pairs: &[(&str, &str)]) -> http::Request<String> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    http::Request::post(format!("{ISSUER}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .unwrap()
}

/// The value of the hidden field `name` of a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The pushed authorization request for `scope` (and `consent_id`).
pub fn par_request(
    client: &Client,
    scope: &str,
    consent_id: Option<&str>,
) -> (http::Request<String>, AuthSession) {
    let action = UserAction::new("Continue to your bank").unwrap();
    client.par_request(action, scope, consent_id).unwrap()
}

/// PAR at `addr` (with the DPoP nonce it asks for): the request URI and
/// the session.
pub async fn par(
    http: &reqwest::Client,
    client: &Client,
    addr: SocketAddr,
    scope: &str,
    consent_id: Option<&str>,
) -> (String, AuthSession) {
    for _ in 0..2 {
        let (req, session) = par_request(client, scope, consent_id);
        let r = send(http, addr, req).await;
        client.remember_dpop_nonce(&r.headers);
        if r.status == 201 {
            let uri = r.json()["request_uri"].as_str().unwrap().to_owned();
            return (uri, session);
        }
        assert!(r.wants_nonce(), "PAR: {} {}", r.status, r.body);
    }
    panic!("PAR refused with the nonce")
}

/// `GET /authorize` of `request_uri`.
pub fn authorize_request(request_uri: &str) -> http::Request<String> {
    let url = format!(
        "{ISSUER}/authorize?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("client_id", CLIENT_ID), ("request_uri", request_uri)])
            .finish()
    );
    http::Request::get(url).body(String::new()).unwrap()
}

/// The login form of the login page `page`, as alice.
pub fn login_request(page: &str) -> http::Request<String> {
    form_post(
        "/authorize/login",
        &[
            ("username", "alice"),
            ("password", "alice-password"),
            ("txn", hidden(page, "txn").as_str()),
            ("csrf", hidden(page, "csrf").as_str()),
        ],
    )
}

/// The approval of the consent page `page`.
pub fn approve_request(page: &str) -> http::Request<String> {
    form_post(
        "/authorize/consent",
        &[
            ("decision", "approve"),
            ("txn", hidden(page, "txn").as_str()),
            ("csrf", hidden(page, "csrf").as_str()),
        ],
    )
}

/// The code in a 303 to the client (F2-ISS checked), if it carries one.
pub fn code_of(client: &Client, session: &AuthSession, r: &Reply) -> Option<String> {
    if r.status != 303 {
        return None;
    }
    let location = r.headers.get("location")?.to_str().ok()?;
    client.code_from(session, location).ok()
}

/// The account-access consent body (UK Open Banking v3.1).
pub fn account_consent_body() -> serde_json::Value {
    serde_json::json!({"Data": {
        "Permissions": ["ReadAccountsDetail", "ReadBalances"],
        "ExpirationDateTime": "2030-01-01T00:00:00+00:00",
        "TransactionFromDateTime": "2025-01-01T00:00:00+00:00",
        "TransactionToDateTime": "2030-01-01T00:00:00+00:00"
    }, "Risk": {}})
}

/// A resource request with a JSON body.
pub fn rs_request(
    client: &Client,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> http::Request<String> {
    let req = client
        .resource_request(method, &format!("{ISSUER}{path}"), token)
        .unwrap();
    let (mut parts, _) = req.into_parts();
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
    http::Request::from_parts(parts, body)
}

/// A complete account-information flow, each step on the node `at(step)`
/// names: client credentials token, consent, PAR, authorize, login,
/// consent page, code, token, `GET` accounts. The accounts answer.
pub async fn account_flow(
    http: &reqwest::Client,
    client: &Client,
    at: impl Fn(usize) -> SocketAddr,
) -> Reply {
    let r = send_dpop(http, client, at(0), || {
        client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "client credentials: {}", r.body);
    let cc = r.json()["access_token"].as_str().unwrap().to_owned();
    let body = account_consent_body();
    let consents = "/open-banking/v3.1/aisp/account-access-consents";
    let r = send_dpop(http, client, at(1), || {
        rs_request(client, "POST", consents, &cc, Some(&body))
    })
    .await;
    assert_eq!(r.status, 201, "consent: {}", r.body);
    let consent_id = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let (uri, session) = par(http, client, at(2), "openid accounts", Some(&consent_id)).await;
    let r = send(http, at(3), authorize_request(&uri)).await;
    assert_eq!(r.status, 200, "authorize: {}", r.body);
    let r = send(http, at(4), login_request(&r.body)).await;
    assert_eq!(r.status, 200, "login: {}", r.body);
    let r = send(http, at(5), approve_request(&r.body)).await;
    let code = code_of(client, &session, &r).unwrap_or_else(|| panic!("consent: {r:?}"));
    let r = send_dpop(http, client, at(6), || {
        client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "token: {}", r.body);
    let at_token = r.json()["access_token"].as_str().unwrap().to_owned();
    send_dpop(http, client, at(7), || {
        rs_request(client, "GET", ACCOUNTS, &at_token, None)
    })
    .await
}

impl core::fmt::Debug for Reply {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}
