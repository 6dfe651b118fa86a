#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod credentials;
pub mod das;
/// Code generated from the specs by `cargo xtask generate`; never edited by hand. Reached through the
/// service modules.
#[allow(missing_docs)]
mod generated;
#[cfg(feature = "mock")]
pub mod mock;
pub mod runtime;
pub mod signer;
pub mod workflow;

pub use credentials::Credentials;
pub use das::DasClient;
pub use dbops_core::{Error, Proxy, RetryPolicy, SecretString, ServiceError, Violation, WaitPolicy};
pub use runtime::ClientConfig;
pub use workflow::{KillOutcome, KillTasks};
