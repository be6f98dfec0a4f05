//! A probe that cannot fail is not a probe: a deliberately lenient
//! authorization server (HTTPS with optional client certificates, PAR,
//! an authorization endpoint with a login form and a cookie, a token
//! endpoint, a resource) that checks nothing, and for EVERY module of
//! `fapi probe --list` a run of `--only MODULE` against it that must end
//! in FAIL, with the detail saying what was accepted.

mod probe_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::tls::{PeerCertificate, TlsSetup};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use probe_support::{probe, temp_dir, write_client_with};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// What the lenient server breaks beyond checking nothing: each makes one
/// of the happy flow's own modules fail.
#[derive(Clone, Copy, Debug, Default)]
struct Breaks {
    /// No `iss` in the authorization response.
    omit_iss: bool,
    /// The token endpoint answers 500 to the code.
    token: bool,
    /// The refresh is refused.
    refresh: bool,
    /// The resource refuses every token.
    resource: bool,
    /// Tokens come as `Bearer` without `cnf`.
    unbound: bool,
}

struct Lenient {
    base: String,
    dpop: bool,
    breaks: Breaks,
    key: fapi::SigningKey,
    /// request_uri -> the pushed parameters.
    pushed: Mutex<HashMap<String, HashMap<String, String>>>,
    /// session cookie -> the parameters of the authorization it is for.
    sessions: Mutex<HashMap<String, HashMap<String, String>>>,
    /// code -> the parameters of its authorization.
    codes: Mutex<HashMap<String, HashMap<String, String>>>,
    counter: Mutex<u64>,
}

impl Lenient {
    fn next(&self, tag: &str) -> String {
        let mut n = self.counter.lock().unwrap();
        *n += 1;
        format!("{tag}-{n}")
    }
}

fn b64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; fapi_core::b64::encoded_len(bytes.len())];
    let n = fapi_core::b64::encode_vartime(bytes, &mut out).unwrap();
    out.truncate(n);
    String::from_utf8(out).unwrap()
}

async fn metadata(State(s): State<Arc<Lenient>>) -> Json<Value> {
    let b = &s.base;
    let mut doc = json!({
        "issuer": b,
        "jwks_uri": format!("{b}/jwks"),
        "pushed_authorization_request_endpoint": format!("{b}/par"),
        "require_pushed_authorization_requests": true,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        // What FAPI 2.0 forbids: client secrets, plain PKCE (the audit's
        // F2-CLIENT-AUTH and F2-PKCE fail).
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt", "tls_client_auth"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "response_types_supported": ["code", "token"],
        "grant_types_supported": ["authorization_code", "implicit", "password", "refresh_token"],
        "authorization_response_iss_parameter_supported": true,
        "tls_client_certificate_bound_access_tokens": !s.dpop,
    });
    if s.dpop {
        doc["dpop_signing_alg_values_supported"] = json!(["ES256", "PS256", "EdDSA"]);
    }
    Json(doc)
}

async fn jwks(State(s): State<Arc<Lenient>>) -> Response {
    let set = fapi::KeySet::new(s.key.clone()).jwks_json().unwrap();
    ([(header::CONTENT_TYPE, "application/json")], set).into_response()
}

async fn par(State(s): State<Arc<Lenient>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let uri = format!("urn:ietf:params:oauth:request_uri:{}", s.next("r"));
    let _ = s.pushed.lock().unwrap().insert(uri.clone(), f);
    (
        StatusCode::CREATED,
        Json(json!({"request_uri": uri, "expires_in": 60})),
    )
        .into_response()
}

/// The login page, for the pushed request named or for the plain
/// parameters; a session cookie.
async fn authorize(
    State(s): State<Arc<Lenient>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let params = match q.get("request_uri") {
        Some(u) => match s.pushed.lock().unwrap().get(u) {
            Some(p) => p.clone(),
            None => return (StatusCode::BAD_REQUEST, "unknown request_uri").into_response(),
        },
        None => q.clone(),
    };
    let sid = s.next("sid");
    let _ = s.sessions.lock().unwrap().insert(sid.clone(), params);
    let page = "<html><body><form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"step\" value=\"1\"><input name=\"username\"><input type=\"password\" name=\"password\"><button type=\"submit\">Sign in</button></form></body></html>";
    (
        [
            (header::SET_COOKIE, format!("sid={sid}; Path=/; HttpOnly")),
            (header::CONTENT_TYPE, "text/html".to_owned()),
        ],
        page,
    )
        .into_response()
}

async fn login(State(s): State<Arc<Lenient>>, headers: HeaderMap) -> Response {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let sid = cookie
        .split(';')
        .find_map(|c| c.trim().strip_prefix("sid="))
        .unwrap_or("");
    let Some(params) = s.sessions.lock().unwrap().get(sid).cloned() else {
        return (StatusCode::BAD_REQUEST, "no session").into_response();
    };
    let code = s.next("code");
    let _ = s.codes.lock().unwrap().insert(code.clone(), params.clone());
    let mut u = url::Url::parse(
        params
            .get("redirect_uri")
            .map_or("https://x.example/cb", String::as_str),
    )
    .unwrap();
    {
        let mut q = u.query_pairs_mut();
        let _ = q.append_pair("code", &code);
        if let Some(st) = params.get("state") {
            let _ = q.append_pair("state", st);
        }
        if !s.breaks.omit_iss {
            let _ = q.append_pair("iss", &s.base);
        }
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, u.to_string())]).into_response()
}

async fn token(
    State(s): State<Arc<Lenient>>,
    peer: Option<Extension<PeerCertificate>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let grant = f.get("grant_type").map_or("", String::as_str);
    if grant == "authorization_code" && s.breaks.token {
        return (StatusCode::INTERNAL_SERVER_ERROR, "broken").into_response();
    }
    if grant == "refresh_token" && s.breaks.refresh {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    // Any code, reused or not, of any client, with any verifier; any
    // assertion or none; any proof or none.
    let params = f
        .get("code")
        .and_then(|c| s.codes.lock().unwrap().get(c).cloned())
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({"iss": s.base, "sub": "alice", "client_id": f.get("client_id"), "iat": now, "exp": now + 300, "jti": s.next("at")});
    let mut token_type = "Bearer";
    if !s.breaks.unbound {
        if s.dpop {
            token_type = "DPoP";
            if let Some(j) = params.get("dpop_jkt") {
                claims["cnf"] = json!({"jkt": j});
            }
        } else if let Some(p) = peer {
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &p.der);
            claims["cnf"] = json!({"x5t#S256": b64(d.as_ref())});
        }
    }
    let header = fapi_core::jws::HeaderParams::typed("at+jwt");
    let mut out = vec![0u8; 8192];
    let n = fapi_core::jws::sign(&s.key, &header, claims.to_string().as_bytes(), &mut out).unwrap();
    out.truncate(n);
    let at = String::from_utf8(out).unwrap();
    Json(json!({
        "access_token": at, "token_type": token_type, "expires_in": 300,
        "refresh_token": s.next("rt"), "scope": params.get("scope"),
    }))
    .into_response()
}

async fn resource(State(s): State<Arc<Lenient>>) -> Response {
    if s.breaks.resource {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    }
    Json(json!({"Data": {"Account": []}})).into_response()
}

/// Starts the lenient server on 127.0.0.1 over TLS (client certificates
/// requested, none required): its base URL and the task.
async fn start(ca: &DevCa, dpop: bool, breaks: Breaks) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let state = Arc::new(Lenient {
        base: base.clone(),
        dpop,
        breaks,
        key: fapi::SigningKey::generate(fapi_core::Alg::Es256).unwrap(),
        pushed: Mutex::default(),
        sessions: Mutex::default(),
        codes: Mutex::default(),
        counter: Mutex::default(),
    });
    let router = Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/jwks", get(jwks))
        .route("/par", post(par))
        .route("/authorize", get(authorize))
        .route("/login", post(login))
        .route("/token", post(token))
        .route("/resource", get(resource))
        .with_state(state);
    let (chain, key) = ca.server_certificate(&[]).unwrap();
    let tls = TlsSetup::new(
        chain.as_bytes(),
        key.as_bytes(),
        Some(ca.ca_pem().as_bytes()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&tls.config));
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let tls = tls.clone();
            let router = router.clone();
            drop(tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = tls.peer(stream.get_ref().1.peer_certificates().unwrap_or(&[]));
                let svc = router.map_request(
                    move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        if let Some(p) = &peer {
                            let _ = req.extensions_mut().insert(p.clone());
                        }
                        req
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc))
                    .await;
            }));
        }
    });
    (base, task)
}

/// `fapi probe --only module` against a lenient server under `profile`
/// (DPoP-bound where the profile binds with DPoP): the module's result
/// and detail.
async fn run_one(module: &str, profile: &Profile, breaks: Breaks) -> (String, String) {
    let dpop = profile
        .sender
        .contains(&fapi_core::profile::SenderConstraint::Dpop);
    let dir = temp_dir(&format!("lenient-{module}"));
    let ca = DevCa::generate().unwrap();
    let a = write_client_with(&dir, profile, &ca, "probe-1", !dpop, false);
    let b = write_client_with(&dir, profile, &ca, "probe-2", !dpop, false);
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();
    let (base, task) = start(&ca, dpop, breaks).await;
    let run = probe(vec![
        base.clone(),
        "--profile".into(),
        profile.name.into(),
        "--client".into(),
        a.file.display().to_string(),
        "--client".into(),
        b.file.display().to_string(),
        "--ca".into(),
        ca_path.display().to_string(),
        "--user".into(),
        "username=alice".into(),
        "--user".into(),
        "password=whatever".into(),
        "--resource".into(),
        format!("{base}/resource"),
        "--only".into(),
        module.into(),
    ])
    .await;
    task.abort();
    let _ = std::fs::remove_dir_all(&dir);
    let (result, detail) = run.result(module);
    if result == "fail" {
        assert_eq!(run.code, 1, "{module}: {}", run.stderr);
        assert_eq!(run.doc["outcome"], "fail");
    }
    (result, detail)
}

/// The breaks each happy-flow module needs to see FAIL.
fn breaks_for(module: &str) -> Breaks {
    let mut b = Breaks::default();
    match module {
        "iss-in-authorization-response" => b.omit_iss = true,
        "code-flow" => b.token = true,
        "refresh-token" => b.refresh = true,
        "resource-call" => b.resource = true,
        "access-token-binding" => b.unbound = true,
        _ => {}
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_module_fails_against_a_server_that_checks_nothing() {
    let out = std::process::Command::new(probe_support::FAPI)
        .args(["probe", "--list", "--json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let modules: Vec<String> = list["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap().to_owned())
        .collect();
    assert!(modules.len() >= 40, "{modules:?}");
    let mut not_failed = Vec::new();
    for m in &modules {
        // fapi2 (DPoP, private_key_jwt), then obie (certificate-bound,
        // signed requests) for the modules fapi2 skips.
        let mut seen = Vec::new();
        for profile in [Profile::FAPI2, Profile::OBIE] {
            let (result, detail) = run_one(m, &profile, breaks_for(m)).await;
            if result == "fail" {
                assert!(!detail.is_empty(), "{m}: a FAIL says what was accepted");
                seen.clear();
                break;
            }
            seen.push(format!("{}: {result} ({detail})", profile.name));
        }
        if !seen.is_empty() {
            not_failed.push(format!("{m}: {}", seen.join("; ")));
        }
    }
    assert!(
        not_failed.is_empty(),
        "modules that did not fail:\n{}",
        not_failed.join("\n")
    );
}

/// F2-SENDER, OB-SENDER: `refresh-token` also fails when the refresh
/// answers 200 with an access token that is not bound (RFC 8705 §3: no
/// `cnf.x5t#S256` of the client's certificate; RFC 9449 §5: not DPoP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refreshed_token_that_is_not_bound_fails() {
    for profile in [Profile::FAPI2, Profile::OBIE] {
        let breaks = Breaks {
            unbound: true,
            ..Breaks::default()
        };
        let (result, detail) = run_one("refresh-token", &profile, breaks).await;
        assert_eq!(result, "fail", "{}: {detail}", profile.name);
        assert!(
            detail.contains("after refresh"),
            "{}: {detail}",
            profile.name
        );
    }
}
