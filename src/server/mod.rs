//! The ground every other module stands on: storage, time, cryptography,
//! the stop signal, rate limits, metrics and the HTTP layers. Nothing here
//! imports a feature (`tests/api/layers.rs` keeps it so); the app is put
//! together in `startup`.

pub mod clock;
pub mod crypto;
pub mod db;
pub mod executor;
pub mod metrics;
pub mod queue;
pub mod rate_limit;
pub mod secret_key;
pub mod security;
pub mod shutdown;
