//! httpmock helpers for every operation (feature `mock`), generated from the specs: point a client at
//! an [`httpmock::MockServer`] and describe the expected call in the vendor's terms.
//!
//! ```no_run
//! # async fn run() -> Result<(), huaweicloud_dbops::Error> {
//! use huaweicloud_dbops::mock::das::MockServerExt;
//! use huaweicloud_dbops::{ClientConfig, Credentials, DasClient};
//!
//! let server = httpmock::MockServer::start_async().await;
//! let mock = server.delete_process(|when, then| {
//!     when.instance_id("da304cd5bbb944de828759bc7be3d3fein01");
//!     then.ok();
//! });
//! let config = ClientConfig::new(Credentials::new("ak", "sk", "054e292c9880d4992f02c0196d3ea468"))
//!     .endpoint(server.base_url())
//!     .allow_http(true);
//! DasClient::new(config)?
//!     .delete_process()
//!     .instance_id("da304cd5bbb944de828759bc7be3d3fein01")
//!     .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
//!     .user("app")
//!     .send()
//!     .await?;
//! mock.assert_async().await;
//! # Ok(()) }
//! ```

/// DAS: `MockServerExt::delete_process`.
pub use crate::generated::das_mock as das;
/// DDS: `MockServerExt::delete_session`.
pub use crate::generated::dds_mock as dds;
