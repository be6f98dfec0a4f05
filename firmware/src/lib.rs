//! The signing module: fapi inside a Cortex-M4 that holds the keys and
//! enforces the profile at the key.
//!
//! A server asks the module to sign; the module checks every request
//! against the profiles it was provisioned with and refuses, with a typed
//! [`fapi_core::Error`], what they refuse. A compromised server cannot have
//! it mint a 24-hour access token under a profile that caps tokens at
//! 600 s, a bearer token, or a token under an algorithm the profile does
//! not allow.
//!
//! | module | what |
//! |---|---|
//! | [`provision`] | the provisioning record: seed, clock, profiles, lifetime cap |
//! | [`drbg`] | the seeded DRBG (ChaCha20) standing in for the TRNG |
//! | [`request`] | the JSON commands a host sends, parsed into typed requests |
//! | [`policy`] | the checks each request must pass, as [`policy::Approved`] values |
//! | [`device`] | the device keys and the requests it serves |
//! | [`response`] | the JSON lines it answers with |
//! | [`script`] | lines of a request script, bounded |
//!
//! Everything here is `no_std` and allocation-free; the Cortex-M4 start-up,
//! semihosting I/O and measurements are in the `fapi-firmware` binary.
//!
//! ```
//! use fapi_firmware::device::Device;
//!
//! let record = br#"{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":1900000000,"profiles":["fapi2-plus"]}"#;
//! let device = Device::provision(record).unwrap();
//! let mut out = [0u8; 512];
//! let answer = device.handle(br#"{"cmd":"jwk","alg":"EdDSA"}"#, &mut out).unwrap();
//! assert!(out[..answer.len].starts_with(br#"{"kty":"OKP""#));
//! ```
#![cfg_attr(not(test), no_std)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![forbid(unsafe_code)]

pub mod device;
pub mod drbg;
pub mod policy;
pub mod provision;
pub mod request;
pub mod response;
pub mod script;

pub use device::Device;
