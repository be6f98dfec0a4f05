//! What the probe tests share: client files written to a temp dir (keys
//! made by `fapi keygen`, certificates from a development CA), and the
//! `fapi probe` binary run on them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use fapi_core::Alg;
use fapi_core::profile::{ClientAuthMethod, Profile, SenderConstraint};
use fapi_server::config::ClientConfig;
use fapi_server::dev_ca::DevCa;

pub const FAPI: &str = env!("CARGO_BIN_EXE_fapi");

/// A fresh directory under the system's temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("fapi-probe-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The key algorithm of a profile's clients: ES256 where allowed.
pub fn alg_for(profile: &Profile) -> Alg {
    if profile.algs.contains(&Alg::Es256) {
        Alg::Es256
    } else {
        Alg::Ps256
    }
}

/// `private_key_jwt` where allowed, else `tls_client_auth`.
pub fn auth_for(profile: &Profile) -> ClientAuthMethod {
    if profile
        .client_auth
        .contains(&ClientAuthMethod::PrivateKeyJwt)
    {
        ClientAuthMethod::PrivateKeyJwt
    } else {
        ClientAuthMethod::TlsClientAuth
    }
}

/// A client written to `dir`: its file, and its registration.
pub struct TestClient {
    pub id: String,
    pub file: PathBuf,
    pub key_path: PathBuf,
    pub registration: ClientConfig,
    pub cert_pem: String,
    pub identity_pem: String,
}

/// Writes client `id` for `profile` in `dir`: a key from `fapi keygen`, a
/// certificate from `ca` (used where tokens are certificate-bound or the
/// client authenticates by certificate), and the client file.
pub fn write_client(
    dir: &Path,
    profile: &Profile,
    ca: &DevCa,
    id: &str,
    with_cert: bool,
) -> TestClient {
    write_client_with(dir, profile, ca, id, with_cert, true)
}

/// [`write_client`]; with `consents` false the client asks for `openid`
/// only and names no consent.
pub fn write_client_with(
    dir: &Path,
    profile: &Profile,
    ca: &DevCa,
    id: &str,
    with_cert: bool,
    consents: bool,
) -> TestClient {
    let alg = alg_for(profile);
    let auth = auth_for(profile);
    let key_path = dir.join(format!("{id}.key.pem"));
    let out = Command::new(FAPI)
        .args(["keygen", "--alg", alg.name(), "--out"])
        .arg(&key_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = fapi::SigningKey::from_file(&key_path).unwrap();
    let jwks = fapi::KeySet::new(key).jwks_json().unwrap();
    let dn = format!("CN={id},O=Probe Test");
    let (cert, cert_key) = ca.client_certificate(&dn).unwrap();
    let dpop = profile.sender.contains(&SenderConstraint::Dpop);
    let mtls = with_cert || !dpop || auth != ClientAuthMethod::PrivateKeyJwt;
    let redirect = format!("https://{id}.example/cb");
    // Every authorization names a fresh account-access consent (OB-INTENT
    // under obie), popped from a list made beforehand
    // ([`create_consents`]); its token reads the accounts.
    let scope = if consents {
        "openid accounts"
    } else {
        "openid"
    };
    let mut toml = format!(
        "client_id = \"{id}\"\nkey = \"{id}.key.pem\"\nauth = \"{}\"\nredirect_uri = \"{redirect}\"\nscope = \"{scope}\"\n",
        auth.name()
    );
    if consents {
        toml.push_str(&format!(
            "consent_command = \"head -n 1 {id}.consents && sed -i 1d {id}.consents\"\n"
        ));
    }
    if mtls {
        std::fs::write(dir.join(format!("{id}.crt.pem")), &cert).unwrap();
        std::fs::write(dir.join(format!("{id}.tls-key.pem")), &cert_key).unwrap();
        toml.push_str(&format!(
            "tls_cert = \"{id}.crt.pem\"\ntls_key = \"{id}.tls-key.pem\"\n"
        ));
    }
    let file = dir.join(format!("{id}.toml"));
    std::fs::write(&file, toml).unwrap();
    TestClient {
        id: id.to_owned(),
        file,
        key_path,
        identity_pem: format!("{cert}\n{cert_key}"),
        registration: ClientConfig {
            client_id: id.into(),
            name: format!("Probe {id}"),
            redirect_uris: vec![redirect],
            auth: auth.name().into(),
            jwks: Some(jwks),
            tls_client_auth_subject_dn: (auth == ClientAuthMethod::TlsClientAuth).then_some(dn),
            scopes: vec!["openid".into(), "accounts".into(), "payments".into()],
            ..ClientConfig::default()
        },
        cert_pem: cert,
    }
}

/// What a run of `fapi probe --json` gave.
pub struct Run {
    pub code: i32,
    pub doc: serde_json::Value,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The result of `module`.
    pub fn result(&self, module: &str) -> (String, String) {
        let m = self.doc["modules"]
            .as_array()
            .and_then(|a| a.iter().find(|m| m["module"] == module))
            .unwrap_or_else(|| panic!("{module} not in {}", self.stdout));
        (
            m["result"].as_str().unwrap_or("").to_owned(),
            m["detail"].as_str().unwrap_or("").to_owned(),
        )
    }
}

/// Runs `fapi probe` with `args` (and `--json`), off the async runtime.
pub async fn probe(args: Vec<String>) -> Run {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(FAPI)
            .arg("probe")
            .args(&args)
            .arg("--json")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        Run {
            code: out.status.code().unwrap_or(-1),
            doc: serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
            stdout,
            stderr,
        }
    })
    .await
    .unwrap()
}

/// `n` account-access consents of `client` at the bank
/// `issuer` (a client credentials token, then `POST
/// account-access-consents`), written one a line to `<id>.consents` in
/// `dir` for its `consent_command`.
pub async fn create_consents(
    dir: &Path,
    profile: &Profile,
    issuer: &str,
    ca_pem: &str,
    client: &TestClient,
    n: usize,
) {
    let key = fapi::SigningKey::from_file(&client.key_path).unwrap();
    let mut b = fapi::Client::builder(*profile, &client.id, issuer)
        .signing_key(key.clone())
        .tls_client_auth(auth_for(profile) != ClientAuthMethod::PrivateKeyJwt);
    if profile.sender.contains(&SenderConstraint::Dpop) {
        b = b.dpop_key(fapi::SigningKey::generate(alg_for(profile)).unwrap());
    }
    let fapi_client = b.build().unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .identity(reqwest::Identity::from_pem(client.identity_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let (status, body) = send(&http, &fapi_client, || {
        fapi_client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_eq!(status, 200, "{body}");
    let token = fapi_client.token_response(&body).unwrap().access_token;
    let consent = serde_json::json!({"Data": {
        "Permissions": ["ReadAccountsDetail"],
        "ExpirationDateTime": "2099-01-01T00:00:00Z"}, "Risk": {}});
    let mut ids = String::new();
    for _ in 0..n {
        let (status, body) = send(&http, &fapi_client, || {
            fapi_client
                .resource_request_with_body(
                    "POST",
                    &format!("{issuer}/open-banking/v3.1/aisp/account-access-consents"),
                    &token,
                    "application/json",
                    consent.to_string(),
                )
                .unwrap()
        })
        .await;
        assert_eq!(status, 201, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        ids.push_str(v["Data"]["ConsentId"].as_str().unwrap());
        ids.push('\n');
    }
    std::fs::write(dir.join(format!("{}.consents", client.id)), ids).unwrap();
}

/// Sends the request `build` makes, and once more with the server's DPoP
/// nonce when it asks for one.
async fn send(
    http: &reqwest::Client,
    client: &fapi::Client,
    build: impl Fn() -> http::Request<String>,
) -> (u16, String) {
    for _ in 0..2 {
        let r = http
            .execute(reqwest::Request::try_from(build()).unwrap())
            .await
            .unwrap();
        client.remember_dpop_nonce(r.headers());
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if !body.contains("use_dpop_nonce") {
            return (status, body);
        }
    }
    panic!("two DPoP nonce challenges in a row");
}
