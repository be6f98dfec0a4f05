//! The paper's two flows, account information (AISP) and payment (PISP),
//! end to end on `fapi-core`: an in-memory authorization server, resource
//! server and client with software keys from `fapi-rustcrypto`, under each
//! of the six profiles, and the attacks of the FAPI 2.0 attacker model they
//! stop.
//!
//! | module | what |
//! |---|---|
//! | [`keys`] | software keys and the OS random source |
//! | [`directory`] | registered clients and consents |
//! | [`authorization_server`] | token, PAR and authorization endpoints |
//! | [`resource_server`] | consents, accounts, funds confirmation, payments |
//! | [`client`] | the fintech client |
//! | [`world`] | the parties under one profile |
//! | [`flows`] | the two flows and the attacks |
//! | [`metadata`] | the server's RFC 8414 metadata and its audit |
//! | [`refusal`] | a typed error and where it happened |
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod authorization_server;
pub mod client;
pub mod directory;
pub mod flows;
pub mod keys;
pub mod metadata;
pub mod refusal;
pub mod resource_server;
pub mod world;

pub use flows::{AttackOutcome, Flow, FlowFailure, FlowReport, run_flow};
pub use refusal::Refusal;
pub use world::World;
