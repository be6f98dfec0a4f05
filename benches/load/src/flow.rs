//! `fapi-load flow`: the latency of the whole code flow against `fapi
//! serve`, one flow after another.
//!
//! One flow is: PAR (`private_key_jwt`, PKCE, DPoP) -> the authorization
//! endpoint (the login page, the login form, approval on the consent page,
//! the 303 to the redirect URI, `iss` and `state` checked) -> the token
//! endpoint (the code, the verifier, DPoP). Each request is signed when it
//! is sent, as a real client does, so the client's signing is inside the
//! measured time. Nothing is shared between flows but the TLS connection.

use core::time::Duration;
use std::time::Instant;

use fapi::Client;
use fapi::SigningKey;
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;

use crate::setup::{CLIENT_ID, Failure};
use crate::stats::Summary;
use crate::token::http_client;

/// How many flows, against which server.
#[derive(clap::Args, Debug)]
pub struct FlowArgs {
    /// The issuer identifier of a `fapi serve` (its metadata is read).
    #[arg(long)]
    pub issuer: String,
    /// The folder `fapi-load setup` wrote.
    #[arg(long)]
    pub dir: std::path::PathBuf,
    /// How many flows, one after another.
    #[arg(long, default_value_t = 200)]
    pub flows: usize,
    /// The test user's name and password.
    #[arg(long, default_value = "alice")]
    pub username: String,
    /// The test user's password.
    #[arg(long, default_value = "alice-password")]
    pub password: String,
    /// The label of this run in the output.
    #[arg(long, default_value = "code flow")]
    pub label: String,
}

/// The value of the hidden input `name` in an HTML form.
fn hidden(html: &str, name: &str) -> Result<String, Failure> {
    let at = html
        .find(&format!("name=\"{name}\""))
        .ok_or_else(|| format!("no `{name}` field on the page"))?;
    let tag_start = html[..at].rfind('<').unwrap_or(0);
    let tag_end = at + html[at..].find('>').unwrap_or(html.len() - at);
    let tag = &html[tag_start..tag_end];
    let v = tag
        .split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| format!("no value of `{name}`"))?;
    Ok(html_escape_decode(v))
}

/// The five XML entities (the values are base64url and URLs).
fn html_escape_decode(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

struct Endpoints {
    par: String,
    authorize: String,
    token: String,
}

async fn endpoints(http: &reqwest::Client, issuer: &str) -> Result<Endpoints, Failure> {
    let url = format!("{issuer}/.well-known/oauth-authorization-server");
    let text = http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .text()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let m: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))?;
    let get = |k: &str| {
        m[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{url}: no {k}"))
    };
    Ok(Endpoints {
        par: get("pushed_authorization_request_endpoint")?,
        authorize: get("authorization_endpoint")?,
        token: get("token_endpoint")?,
    })
}

/// Sends `req` (built by the `fapi` client) and, on a `use_dpop_nonce`
/// answer, once more with a fresh request carrying the nonce.
async fn send_dpop<F>(
    http: &reqwest::Client,
    client: &Client,
    build: F,
) -> Result<(reqwest::StatusCode, String), Failure>
where
    F: Fn() -> Result<http::Request<String>, Failure>,
{
    for _ in 0..2 {
        let req: reqwest::Request = build()?.try_into().map_err(|e| format!("{e}"))?;
        let resp = http.execute(req).await.map_err(|e| e.to_string())?;
        client.remember_dpop_nonce(resp.headers());
        let status = resp.status();
        let body = resp.text().await.map_err(|e| e.to_string())?;
        if status.is_client_error() && body.contains("use_dpop_nonce") {
            continue;
        }
        return Ok((status, body));
    }
    Err("the server asked for a DPoP nonce twice".into())
}

async fn one_flow(http: &reqwest::Client, client: &Client, args: &FlowArgs) -> Result<(), Failure> {
    // PAR (a retry after `use_dpop_nonce` starts a fresh session).
    let mut session = None;
    let mut body = String::new();
    for _ in 0..2 {
        let action = UserAction::new("Connect your bank").map_err(|e| e.to_string())?;
        let (req, s) = client
            .par_request(action, "openid", None)
            .map_err(|e| e.to_string())?;
        let req: reqwest::Request = req.try_into().map_err(|e| format!("{e}"))?;
        let resp = http.execute(req).await.map_err(|e| e.to_string())?;
        client.remember_dpop_nonce(resp.headers());
        let status = resp.status();
        body = resp.text().await.map_err(|e| e.to_string())?;
        if status.is_client_error() && body.contains("use_dpop_nonce") {
            continue;
        }
        if status.as_u16() != 201 {
            return Err(format!("PAR: {status} {body}"));
        }
        session = Some(s);
        break;
    }
    let session = session.ok_or("PAR: the server asked for a DPoP nonce twice")?;
    let pushed: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let request_uri = pushed["request_uri"]
        .as_str()
        .ok_or("PAR: no request_uri")?
        .to_owned();

    // The user at the authorization endpoint: login, approve.
    let page = http
        .get(client.authorization_url(&request_uri))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let base = args.issuer.trim_end_matches('/');
    let login = http
        .post(format!("{base}/authorize/login"))
        .form(&[
            ("txn", hidden(&page, "txn")?),
            ("csrf", hidden(&page, "csrf")?),
            ("username", args.username.clone()),
            ("password", args.password.clone()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let approved = http
        .post(format!("{base}/authorize/consent"))
        .form(&[
            ("txn", hidden(&login, "txn")?),
            ("csrf", hidden(&login, "csrf")?),
            ("decision", "approve".to_owned()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let location = approved
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("consent: {} without a Location", approved.status()))?
        .to_owned();
    // The (empty) body read to its end, so the connection goes back to the
    // pool before the next request, as a browser's would.
    let _ = approved.bytes().await.map_err(|e| e.to_string())?;
    // F2-ISS: iss and state checked by the client.
    let code = client
        .code_from(&session, &location)
        .map_err(|e| e.to_string())?;

    // The token endpoint.
    let (status, body) = send_dpop(http, client, || {
        client
            .code_token_request(&session, &code)
            .map_err(|e| e.to_string())
    })
    .await?;
    if !status.is_success() || !body.contains("\"access_token\"") {
        return Err(format!("token: {status} {body}"));
    }
    Ok(())
}

/// Runs `args.flows` flows one after another; their latency.
pub async fn run(args: FlowArgs) -> Result<Summary, Failure> {
    // The user's browser and the fintech's back end share this client here;
    // each keeps its connections open, so up to 4 stay in the pool (with 1,
    // a connection that was not back in the pool yet when the next request
    // went out was replaced by a new one: a TLS handshake every other flow).
    let http = http_client(&args.dir, 4)?;
    let issuer = args.issuer.trim_end_matches('/').to_owned();
    let ep = endpoints(&http, &issuer).await?;
    let key = SigningKey::from_file(args.dir.join("client.pem")).map_err(|e| e.to_string())?;
    let dpop = SigningKey::generate(fapi_core::Alg::Es256).map_err(|e| e.to_string())?;
    let client = Client::builder(Profile::FAPI2, CLIENT_ID, &issuer)
        .redirect_uri("https://fintech.example/cb")
        .signing_key(key)
        .dpop_key(dpop)
        .par_endpoint(&ep.par)
        .authorization_endpoint(&ep.authorize)
        .token_endpoint(&ep.token)
        .build()
        .map_err(|e| e.to_string())?;
    // One flow to warm the connection and learn the nonce.
    one_flow(&http, &client, &args).await?;
    let mut lat: Vec<Duration> = Vec::with_capacity(args.flows);
    let mut failed = Vec::new();
    let started = Instant::now();
    for _ in 0..args.flows {
        let t0 = Instant::now();
        match one_flow(&http, &client, &args).await {
            Ok(()) => lat.push(t0.elapsed()),
            Err(e) => failed.push(e),
        }
    }
    Ok(Summary::new(
        &args.label,
        lat,
        failed,
        started.elapsed(),
        Duration::ZERO,
        1,
    ))
}
