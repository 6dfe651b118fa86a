//! Alibaba Cloud Database Autonomy Service (DAS) client for terminating sessions:
//! `CreateKillInstanceSessionTask` (RDS / PolarDB for MySQL) and `KillInstanceAllSession` (Redis).
//!
//! The action code is generated from `specs/alibabacloud/das.json` by `cargo xtask generate`
//! ([`generated`]); the runtime around it is hand-written: [`credentials`], the ACS3-HMAC-SHA256
//! [`signer`], the RPC wire form, retries and errors ([`runtime`]).

pub mod credentials;
pub mod das;
pub mod generated;
#[cfg(feature = "mock")]
pub mod mock;
pub mod runtime;
pub mod signer;

pub use credentials::Credentials;
pub use das::DasClient;
pub use dbops_core::{Error, RetryPolicy, SecretString, ServiceError, Violation};
pub use runtime::ClientConfig;
