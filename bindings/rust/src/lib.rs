//! fapi for Rust servers and clients.
#![forbid(unsafe_code)]

pub mod error;
pub mod key;
pub mod key_set;
pub mod memory;
pub mod pkcs11_uri;
pub mod store;

pub use error::{Error, KeyError};
pub use key::SigningKey;
pub use key_set::{IssuerKeys, KeySet};
