//! fapi for Rust servers and clients.
#![forbid(unsafe_code)]

pub mod error;
pub mod memory;
pub mod store;

pub use error::{Error, KeyError};
