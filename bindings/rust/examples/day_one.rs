//! Day one: load the AS key from PEM, publish the JWKS, issue a DPoP-bound
//! token, and verify the proof and the token at the resource server.
use fapi::issuer::AccessToken;
use fapi::{Client, Issuer, IssuerKeys, KeySet, ResourceServer, SigningKey};
use fapi_core::{Alg, profile::Profile};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (as_url, api) = ("https://as.bank.example", "https://api.bank.example");
    // The authorization server: a PEM key (`openssl ecparam -genkey ...`).
    let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/sec1-p256.pem"))?;
    let keys = KeySet::new(SigningKey::from_pem(&pem)?);
    let issuer = Issuer::builder(Profile::FAPI2, as_url, keys).audience(api).build()?;
    let jwks = issuer.jwks_json()?; // served at the jwks_uri

    // The client proves its DPoP key at the token endpoint and gets a token.
    let client = Client::builder(Profile::FAPI2, "fintech-1", as_url)
        .dpop_key(SigningKey::generate(Alg::Es256)?)
        .build()?;
    let proof = client.dpop_proof("POST", issuer.token_endpoint(), None)?;
    let dpop = issuer.verify_dpop(&proof, "POST", issuer.token_endpoint()).await?;
    let token = issuer
        .issue_access_token(AccessToken::new("alice", "fintech-1", dpop.binding()).scope("accounts"))
        .await?;

    // The resource server: keys by kid from the JWKS, one call per request.
    let rs = ResourceServer::builder(Profile::FAPI2, as_url, api, IssuerKeys::from_jwks_json(&jwks)?).build()?;
    let request = client.resource_request("GET", &format!("{api}/accounts"), &token.access_token)?;
    let claims = rs
        .verify_request("GET", &request.uri().to_string(), request.headers(), None)
        .await?;
    assert!(claims.has_scope("accounts"));
    println!("{} may read accounts of {}", claims.client_id, claims.subject);
    Ok(())
}
