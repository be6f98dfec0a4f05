//! fapi for Rust servers and clients: keys from configuration, one-call
//! checks, stores that scale.
//!
//! The inner crates (`fapi-core`, the backends) are made for `no_std` and
//! firmware: caller buffers, clocks and stores passed in, no allocation.
//! This crate is their `std` face for an authorization server, a resource
//! server or a fintech client: owned `String`s out, builders with defaults
//! inside the profile, `jti`s, handles and nonces made for the caller, and
//! async stores. Every check is still the core's.
//!
//! | module | what |
//! |---|---|
//! | [`key`] | [`SigningKey`]: PKCS#8 / SEC1 PEM or DER, private JWK, PKCS#11 URI |
//! | [`key_set`] | [`KeySet`] (rotation, JWKS out), [`IssuerKeys`] (selection by `kid`) |
//! | [`issuer`] | [`Issuer`]: the authorization server |
//! | [`resource`] | [`ResourceServer`]: one call per request, `WWW-Authenticate` out |
//! | [`layer`] | the resource server as a `tower` layer, an axum extractor, `x-fapi-interaction-id` |
//! | [`client`] | [`Client`]: PKCE, assertions, DPoP proofs, PAR, token requests |
//! | [`store`], [`memory`] | async store traits; sharded in-memory stores |
//! | [`pkcs11_uri`] | RFC 7512 URIs |
//! | [`error`] | [`Error`]: the core's code and OAuth error, or a key's reason |
//! | [`detail`] | [`Detail`]: what was expected and what came (`htu`, `aud`, a claim, a `kid`, `exp`) |
//! | `discover` | [`IssuerKeys::discover`]: RFC 8414 metadata, the JWKS cached and refreshed on an unknown `kid` (feature `discover`) |
//!
//! # Issuing a token
//!
//! ```
//! use fapi::issuer::AccessToken;
//! use fapi::{Client, Issuer, KeySet, SigningKey};
//! use fapi_core::{Alg, profile::Profile};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = include_str!("../testdata/pkcs8-p256.pem");
//! let issuer = Issuer::builder(Profile::FAPI2, "https://as.bank.example", KeySet::new(SigningKey::from_pem(pem)?))
//!     .audience("https://api.bank.example")
//!     .build()?;
//! # let client = Client::builder(Profile::FAPI2, "fintech-1", "https://as.bank.example")
//! #     .dpop_key(SigningKey::generate(Alg::Es256)?).build()?;
//! # let proof = client.dpop_proof("POST", issuer.token_endpoint(), None)?;
//! // At the token endpoint: the request's DPoP proof, verified and spent.
//! let dpop = issuer.verify_dpop(&proof, "POST", issuer.token_endpoint()).await?;
//! let token = issuer
//!     .issue_access_token(AccessToken::new("alice", "fintech-1", dpop.binding()).scope("accounts"))
//!     .await?;
//! assert_eq!(token.token_type, "DPoP");
//! # Ok(()) }
//! ```
//!
//! # Guarding a route
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use fapi::layer::FapiLayer;
//! use fapi::resource::VerifiedClaims;
//! use fapi::{IssuerKeys, ResourceServer};
//! use fapi_core::profile::Profile;
//!
//! async fn accounts(claims: VerifiedClaims) -> String {
//!     format!("accounts of {}", claims.subject)
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let jwks = fapi::KeySet::new(fapi::SigningKey::generate(fapi_core::Alg::Es256)?).jwks_json()?;
//! // The issuer's JWKS, fetched from its jwks_uri.
//! let keys = IssuerKeys::from_jwks_json(&jwks)?;
//! let rs = ResourceServer::builder(Profile::FAPI2, "https://as.bank.example", "https://api.bank.example", keys)
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/accounts", get(accounts))
//!     .route_layer(FapiLayer::new(Arc::new(rs)).require_scope("accounts"));
//! # let _ = app; Ok(()) }
//! ```
//!
//! # The client's flow
//!
//! ```
//! use fapi::{Client, SigningKey};
//! use fapi_core::{Alg, authorize::UserAction, profile::Profile};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder(Profile::FAPI2, "fintech-1", "https://as.bank.example")
//!     .redirect_uri("https://fintech.example/cb")
//!     .signing_key(SigningKey::generate(Alg::Es256)?)
//!     .dpop_key(SigningKey::generate(Alg::Es256)?)
//!     .build()?;
//! // On the user's action (F2-CLIENT-INFO): the pushed request, PKCE, state.
//! let (par, session) = client.par_request(UserAction::new("On to your bank")?, "accounts", None)?;
//! # let _ = par;
//! # let redirect = format!("https://fintech.example/cb?code=c0de&state={}&iss=https%3A%2F%2Fas.bank.example", session.state());
//! // The user comes back: iss and state checked (F2-ISS), the code redeemed.
//! let code = client.code_from(&session, &redirect)?;
//! let token_request = client.code_token_request(&session, &code)?;
//! # let _ = token_request;
//! // Later: a resource request with a fresh proof for the token.
//! let request = client.resource_request("GET", "https://api.bank.example/accounts", "the-access-token")?;
//! assert!(request.headers()["authorization"].to_str().unwrap().starts_with("DPoP "));
//! # Ok(()) }
//! ```
//!
//! # Switching to an HSM key by URI
//!
//! The key's configuration changes, the code does not:
//!
//! ```no_run
//! use fapi::{Issuer, KeySet, SigningKey};
//! use fapi_core::profile::Profile;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // was: SigningKey::from_config(&std::fs::read_to_string("/etc/fapi/as.pem")?)?
//! let key = SigningKey::from_config(
//!     "pkcs11:token=fapi;object=as-signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fapi/pin",
//! )?;
//! let issuer = Issuer::builder(Profile::FAPI2, "https://as.bank.example", KeySet::new(key)).build()?;
//! # let _ = issuer; Ok(()) }
//! ```
//!
//! # One key in several HSMs (an HA signing group)
//!
//! Several URIs separated by whitespace name the same key in several tokens
//! or modules. Signing is spread over them, and a member that fails is
//! taken out and the signature made on another, so that issuance goes on
//! while one member answers ([`SigningKey::from_pkcs11_group`],
//! [`fapi_pkcs11::HsmGroup`]):
//!
//! ```no_run
//! use fapi::{Issuer, KeySet, SigningKey};
//! use fapi_core::profile::Profile;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SigningKey::from_config(
//!     "pkcs11:token=hsm-a;object=as-signing?module-path=/usr/lib/hsm-a.so&pin-source=file:/etc/fapi/pin-a
//!      pkcs11:token=hsm-b;object=as-signing?module-path=/usr/lib/hsm-b.so&pin-source=file:/etc/fapi/pin-b",
//! )?;
//! // For /readyz and metrics: which members are in.
//! let members_in = key.hsm_group().map(|g| g.members_in());
//! let issuer = Issuer::builder(Profile::FAPI2, "https://as.bank.example", KeySet::new(key)).build()?;
//! # let _ = (issuer, members_in); Ok(()) }
//! ```
#![forbid(unsafe_code)]

/// The README's code, compiled and run as doctests so that it follows the
/// API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod client;
mod deferred;
pub mod detail;
#[cfg(feature = "discover")]
pub mod discover;
pub mod error;
pub mod http_sig;
pub mod issuer;
pub mod jwe;
pub mod key;
pub mod key_set;
#[cfg(feature = "tower")]
pub mod layer;
pub mod memory;
pub mod pkcs11_uri;
pub mod resource;
pub mod store;

pub use client::Client;
pub use detail::Detail;
pub use error::{Error, KeyError};
pub use issuer::{IdToken, Issuer, SharedClock};
pub use jwe::DecryptionKey;
pub use key::SigningKey;
pub use key_set::{IssuerKeys, KeySet};
#[cfg(feature = "tower")]
pub use layer::FapiLayer;
pub use resource::{ResourceError, ResourceServer, VerifiedClaims};

// What a user names besides this crate's types, so that `fapi` is the one
// dependency to write down: the profile, the algorithms, the core's error
// (its stable codes), the OAuth error and site, the DPoP nonce key, clocks.
pub use fapi_core::dpop::NonceKey;
pub use fapi_core::profile::Profile;
pub use fapi_core::{Alg, Clock, Error as CoreError, FixedClock, OAuthError, Site, SystemClock};
