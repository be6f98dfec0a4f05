//! The authorization server: metadata and JWKS, pushed authorization
//! requests, the authorization endpoint with its login and consent pages,
//! the token, introspection and revocation endpoints, client
//! authentication, the login and consent transactions, and CDR sharing
//! arrangements.

pub(crate) mod arrangement;
pub(crate) mod authorize;
pub(crate) mod client_auth;
pub(crate) mod html;
pub(crate) mod introspect;
pub mod metadata;
pub(crate) mod par;
pub(crate) mod token;
pub mod transaction;
