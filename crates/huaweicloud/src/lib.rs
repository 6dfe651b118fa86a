//! Huawei Cloud clients for killing database sessions: DAS `DeleteProcess` (MySQL) and DDS
//! `DeleteSession` (MongoDB).
//!
//! The operation code is generated from `specs/huaweicloud/*.json` by `cargo xtask generate`
//! ([`generated`]); the runtime around it is hand-written: [`credentials`], the SDK-HMAC-SHA256
//! [`signer`], endpoints, retries and errors ([`runtime`]).

pub mod credentials;
pub mod das;
pub mod dds;
pub mod generated;
#[cfg(feature = "mock")]
pub mod mock;
pub mod runtime;
pub mod signer;

pub use credentials::Credentials;
pub use das::DasClient;
pub use dbops_core::{Error, RetryPolicy, SecretString, ServiceError, Violation};
pub use dds::DdsClient;
pub use runtime::ClientConfig;
