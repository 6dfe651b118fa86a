//! The shared runtime of the dbops cloud clients.
//!
//! Hand-written and provider-neutral: [`SecretString`], the operation tables and local rules the
//! generated code fills in ([`meta`]), the retrying send loop ([`http`]), the retry policy, RFC 3986
//! encoding, UTC timestamps and the [`Error`] type. The provider crates (`huaweicloud-dbops`,
//! `alibabacloud-dbops`) add signing, credentials and endpoints.

pub mod config;
pub mod dryrun;
pub mod encode;
pub mod error;
pub mod http;
pub mod meta;
pub mod retry;
pub mod secret;
pub mod signing;
pub mod time;

pub use config::{ClientConfig, EnvCredentials};
pub use dryrun::PreparedRequest;
pub use error::{Error, ServiceError};
pub use http::HttpConfig;
pub use meta::Violation;
pub use retry::RetryPolicy;
pub use secret::SecretString;
