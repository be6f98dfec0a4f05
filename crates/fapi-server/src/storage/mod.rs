//! Where the server keeps its state: [`stores::Stores`], and the choice of
//! backend from `--store` (memory or Redis in [`store_url`], PostgreSQL in
//! [`store_postgres`]).

pub mod store_postgres;
pub mod store_url;
pub mod stores;
