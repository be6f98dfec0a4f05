//! `fapi-load discover`: the `fapi` crate's `IssuerKeys::discover` against
//! a live authorization server (oidc-provider in `.ci/interop`), and a
//! token of that server verified with the keys it found.
//!
//! It reads the server's metadata (RFC 8414, then OpenID Connect
//! Discovery) and JWK Set through `fapi::discover::Discovery`, takes one
//! DPoP-bound access token (`client_credentials`, `private_key_jwt`), and
//! has a `fapi::ResourceServer` built on the discovered keys verify a
//! resource request carrying it. Prints one JSON line; a refusal anywhere
//! is the exit status 3 with the reason.

use fapi::discover::Discovery;
use fapi::{Profile, ResourceServer};
use http::{HeaderMap, HeaderValue};

use crate::setup::Failure;
use crate::token::{http_client, load_client, prepare, send, token_endpoint};

/// Where to look.
#[derive(clap::Args, Debug)]
pub struct DiscoverArgs {
    /// The issuer identifier.
    #[arg(long)]
    pub issuer: String,
    /// The folder `fapi-load setup` wrote (the CA and the client's key).
    #[arg(long)]
    pub dir: std::path::PathBuf,
    /// The resource server's audience (the token's `aud`).
    #[arg(long, default_value = "https://api.bank.example")]
    pub audience: String,
}

/// Discovers, takes a token, verifies it; the JSON line to print.
pub async fn run(args: DiscoverArgs) -> Result<String, Failure> {
    let http = http_client(&args.dir, 1)?;
    let issuer = args.issuer.trim_end_matches('/').to_owned();
    let keys = Discovery::new(&issuer)
        .http_client(http.clone())
        .discover()
        .await
        .map_err(|e| format!("discover {issuer}: {e}"))?;
    let kids = keys.kids();

    let token = token_endpoint(&http, &issuer).await?;
    let client = load_client(&args.dir, &issuer, &token)?;
    // One retry on use_dpop_nonce (RFC 9449 §8).
    let mut access = None;
    for _ in 0..2 {
        let req = prepare(&client, &issuer, &token)?;
        let resp = send(&http, &token, &req)
            .await
            .map_err(|e| format!("{token}: {e}"))?;
        client.remember_dpop_nonce(resp.headers());
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() {
            let body: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{token}: {e}: {text}"))?;
            access = body["access_token"].as_str().map(str::to_owned);
            break;
        }
        if !text.contains("use_dpop_nonce") {
            return Err(format!("{token}: {status} {text}"));
        }
    }
    let access = access.ok_or_else(|| format!("{token}: no access token"))?;

    let rs = ResourceServer::builder(Profile::FAPI2, &issuer, &args.audience, keys)
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("{}/accounts", args.audience.trim_end_matches('/'));
    let proof = client
        .dpop_proof("GET", &url, Some(&access))
        .map_err(|e| e.to_string())?;
    let mut headers = HeaderMap::new();
    let value = |s: String| HeaderValue::from_str(&s).map_err(|e| e.to_string());
    drop(headers.insert("authorization", value(format!("DPoP {access}"))?));
    drop(headers.insert("dpop", value(proof)?));
    let claims = rs
        .verify_request("GET", &url, &headers, None)
        .await
        .map_err(|e| format!("the resource server refused the token: {e}"))?;
    Ok(serde_json::json!({
        "issuer": issuer,
        "kids": kids,
        "verified": true,
        "client_id": claims.client_id,
        "bound_to_dpop_key": claims.cnf_jkt.is_some(),
    })
    .to_string())
}
