#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod check;
pub mod config;
pub mod dryrun;
pub mod encode;
pub mod error;
pub mod http;
pub mod meta;
pub mod retry;
pub mod secret;
pub mod signing;
pub mod text;
pub mod time;
pub mod wait;
pub mod wire;

pub use config::{ClientConfig, EnvCredentials, EnvLookup, env_var};
pub use dryrun::PreparedRequest;
pub use error::{Error, ServiceError};
pub use http::{HttpConfig, Proxy};
pub use meta::Violation;
pub use retry::RetryPolicy;
pub use secret::SecretString;
pub use wait::WaitPolicy;
