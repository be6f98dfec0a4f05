//! The reference bank: a FAPI 2.0 authorization server and a UK Open
//! Banking v3.1 style resource server over HTTPS, built on the `fapi`
//! crate, under any of its profiles (`fapi2`, `fapi2-plus`, `obie`, `ofb`,
//! `cdr`, `berlin`, `fapi2-ms`).
//!
//! The source is laid out by part:
//!
//! | folder | what |
//! |---|---|
//! | `authorization/` | the authorization server: [`metadata`] and JWKS, `par`, `authorize` (with `html`), `token`, `introspect`, `client_auth`, [`transaction`] (a login and consent in progress), `arrangement` (CDR sharing arrangements) |
//! | `resource/` | the resource server: [`consent`] (account-access and payment consents), `accounts`, `payments`, [`bank`] (the test bank's accounts, balances, transactions) |
//! | `storage/` | [`Stores`] ([`stores`]), and the `--store` backends: memory and Redis ([`store_url`]), PostgreSQL ([`store_postgres`]) |
//! | `tls/` | [`tls`]: rustls, the client certificate of a connection; [`dev_ca`], the development CA (rcgen) |
//! | `ops/` | `/healthz`, `/readyz`, `/metrics` (`health`), [`metrics`] (the counters and the store latency histogram), the request log ([`init_logs`]) |
//! | top | [`config`] (clients and users files, [`ServerConfig`]), [`check`] (the start-up checks, `fapi serve --check`), [`error`] ([`ServeError`], [`HttpError`]), `server` ([`start`], the router), `serve` ([`serve()`], the flags), `app` (the state handlers share) |
//!
//! The public modules keep their paths at the crate root
//! (`fapi_server::dev_ca`, `fapi_server::stores`, ...). The endpoints are
//! reached over HTTP; the README lists them.
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

mod app;
mod authorization;
pub mod check;
pub mod config;
pub mod error;
mod ops;
mod resource;
mod serve;
mod server;
mod storage;
pub mod tls;

pub use authorization::{metadata, transaction};
pub use ops::metrics;
pub use resource::{bank, consent};
pub use storage::{store_postgres, store_url, stores};
pub use tls::dev_ca;

pub use config::ServerConfig;
pub use error::{HttpError, ServeError};
pub use ops::request_log::{LogFormat, init_logs};
pub use serve::{ServeArgs, check_line, ready_line, serve};
pub use server::{MAX_BODY, MAX_HEAD, RunningServer, start};
pub use storage::stores::Stores;
