//! The reference bank: a FAPI 2.0 authorization server and a UK Open
//! Banking v3.1 style resource server over HTTPS, built on the `fapi`
//! crate, under any of its profiles (`fapi2`, `fapi2-plus`, `obie`, `ofb`,
//! `cdr`, `berlin`, `fapi2-ms`).
//!
//! | module | what |
//! |---|---|
//! | [`config`] | clients and users files (TOML), [`ServerConfig`] |
//! | [`check`] | the start-up checks (`fapi serve --check`) |
//! | [`dev_ca`] | the development CA (rcgen) |
//! | [`tls`] | rustls, the client certificate of a connection |
//! | [`metadata`] | RFC 8414 metadata, JWKS |
//! | [`consent`] | account-access and payment consents |
//! | [`bank`] | the test bank's accounts, balances, transactions |
//! | [`error`] | [`ServeError`], [`HttpError`] (OAuth error JSON and status) |
//! | [`stores`] | [`Stores`] |
//! | [`metrics`] | the counters and the store latency histogram of `/metrics` |
//! | [`transaction`] | [`transaction::Transaction`], a login and consent in progress |
//!
//! The endpoints, in `par`, `authorize` (with `html`), `token`,
//! `introspect`, `accounts`, `payments` and `client_auth`, are reached over
//! HTTP; the README lists them.
//!
//! ```no_run
//! use fapi_server::{ServerConfig, start};
//! use fapi_core::profile::Profile;
//!
//! # #[tokio::main] async fn main() -> Result<(), fapi_server::ServeError> {
//! let server = start(ServerConfig::new(Profile::FAPI2).listen("127.0.0.1:0".parse().unwrap())).await?;
//! println!("issuer {}; CA:\n{}", server.issuer(), server.ca_pem().unwrap_or(""));
//! server.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod accounts;
mod app;
mod arrangement;
mod authorize;
pub mod bank;
pub mod check;
mod client_auth;
pub mod config;
pub mod consent;
pub mod dev_ca;
pub mod error;
mod health;
mod html;
mod introspect;
pub mod metadata;
pub mod metrics;
mod par;
mod payments;
mod request_log;
mod serve;
mod server;
pub mod store_postgres;
pub mod store_url;
pub mod stores;
pub mod tls;
mod token;
pub mod transaction;

pub use config::ServerConfig;
pub use error::{HttpError, ServeError};
pub use request_log::{LogFormat, init_logs};
pub use serve::{ServeArgs, check_line, ready_line, serve};
pub use server::{MAX_BODY, MAX_HEAD, RunningServer, start};
pub use stores::Stores;
