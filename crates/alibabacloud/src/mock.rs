//! httpmock helpers for every action (feature `mock`), generated from the spec. Every action is
//! `POST /`, so the helpers match on the `x-acs-action` header and on the parameters as they travel
//! in the query string, not on a path.
//!
//! ```no_run
//! # async fn run() -> Result<(), alibabacloud_dbops::Error> {
//! use alibabacloud_dbops::das::KillInstanceAllSessionInput;
//! use alibabacloud_dbops::das::types::KillInstanceAllSessionResponse;
//! use alibabacloud_dbops::mock::das::MockServerExt;
//! use alibabacloud_dbops::{ClientConfig, Credentials, DasClient};
//!
//! let request = KillInstanceAllSessionInput::default().instance_id("r-8vbcyr4sw0c4yc");
//! let server = httpmock::MockServer::start_async().await;
//! let mock = server.kill_instance_all_session(|when, then| {
//!     when.request(&request);
//!     then.ok(&KillInstanceAllSessionResponse { success: Some("true".into()), ..Default::default() });
//! });
//! let config = ClientConfig::new(Credentials::new("id", "secret")).endpoint(server.base_url()).allow_http(true);
//! DasClient::new(config)?.kill_instance_all_session().input(request).send().await?;
//! mock.assert_async().await;
//! # Ok(()) }
//! ```

/// DAS: `MockServerExt::create_kill_instance_session_task`, `MockServerExt::kill_instance_all_session`.
pub use crate::generated::das_mock as das;
