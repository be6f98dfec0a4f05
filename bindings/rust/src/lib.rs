//! fapi for Rust servers and clients.
#![forbid(unsafe_code)]

pub mod client;
mod deferred;
pub mod error;
pub mod issuer;
pub mod key;
pub mod key_set;
#[cfg(feature = "tower")]
pub mod layer;
pub mod memory;
pub mod pkcs11_uri;
pub mod resource;
pub mod store;

pub use client::Client;
pub use error::{Error, KeyError};
pub use issuer::Issuer;
pub use key::SigningKey;
pub use key_set::{IssuerKeys, KeySet};
pub use resource::ResourceServer;
