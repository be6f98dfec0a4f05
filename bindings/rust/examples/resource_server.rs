//! An example resource server: `GET /accounts` guarded by the fapi tower
//! layer, the handler reading the verified claims with the axum extractor.
//!
//! The layer goes on with `route_layer`, so that it guards the routes that
//! exist: a path with no route is `404`. (`.layer()` would run it before
//! routing, and every unknown path would be `401` for want of a token.)
//!
//! ```sh
//! FAPI_ISSUER=https://as.bank.example FAPI_AUDIENCE=https://api.bank.example \
//! FAPI_AS_JWKS=/etc/fapi/as-jwks.json cargo run -p fapi --example resource_server
//! ```

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use fapi::{FapiLayer, ResourceServer, VerifiedClaims};

/// The application: one route, guarded, needing scope `accounts`.
pub fn app(rs: Arc<ResourceServer>) -> Router {
    Router::new()
        .route("/accounts", get(accounts))
        .route_layer(FapiLayer::new(rs).require_scope("accounts"))
}

async fn accounts(claims: VerifiedClaims) -> String {
    format!("{{\"accounts\":[],\"owner\":\"{}\"}}", claims.subject)
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn core::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let (issuer, audience) = (var("FAPI_ISSUER")?, var("FAPI_AUDIENCE")?);
    let jwks = std::fs::read_to_string(var("FAPI_AS_JWKS")?)?;
    let rs = ResourceServer::builder(
        fapi::Profile::FAPI2,
        &issuer,
        &audience,
        fapi::IssuerKeys::from_jwks_json(&jwks)?,
    )
    .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    axum::serve(listener, app(Arc::new(rs))).await?;
    Ok(())
}
