//! The resource server (UK Open Banking v3.1 style): account-access and
//! payment consents, the account information API, the payment initiation
//! API, and the test bank's data behind them.

pub(crate) mod accounts;
pub mod bank;
pub mod consent;
pub(crate) mod payments;
