//! Day one: a PEM key, the JWKS, a DPoP-bound token, the resource server.
use fapi::issuer::AccessToken;
use fapi::{Client, Issuer, IssuerKeys, KeySet, ResourceServer, SigningKey};
use fapi_core::{Alg, profile::Profile};

const AS: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";
const PEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/sec1-p256.pem");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn core::error::Error>> {
    let p = Profile::FAPI2;
    // The authorization server signs with a PEM key and publishes its JWKS.
    let keys = KeySet::new(SigningKey::from_file(PEM)?);
    let issuer = Issuer::builder(p, AS, keys).audience(API).build()?;
    let jwks = issuer.jwks_json()?;

    // The client proves its DPoP key at the token endpoint and gets a token.
    let dpop_key = SigningKey::generate(Alg::Es256)?;
    let client = Client::builder(p, "fintech-1", AS)
        .dpop_key(dpop_key)
        .build()?;
    let proof = client.dpop_proof("POST", issuer.token_endpoint(), None)?;
    let dpop = issuer
        .verify_dpop(&proof, "POST", issuer.token_endpoint())
        .await?;
    let grant = AccessToken::new("alice", "fintech-1", dpop.binding()).scope("accounts");
    let token = issuer.issue_access_token(grant).await?;

    // The resource server selects the key by kid, checks proof and token.
    let rs = ResourceServer::builder(p, AS, API, IssuerKeys::from_jwks_json(&jwks)?).build()?;
    let url = format!("{API}/accounts");
    let request = client.resource_request("GET", &url, &token.access_token)?;
    let claims = rs.verify(&request, None).await?;
    println!(
        "{} may read the accounts of {}",
        claims.client_id, claims.subject
    );
    Ok(())
}
