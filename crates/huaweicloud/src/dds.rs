//! Document Database Service (MongoDB): `DeleteSession`, "Killing Sessions of an Instance Node".

use std::time::Duration;

use dbops_core::dryrun::Capture;
use dbops_core::http::{call_span, endpoint_host, finish, run_call};
use dbops_core::{Error, PreparedRequest};
use progenitor_client::{ClientInfo, ResponseValue};

use crate::generated::dds as raw;
pub use crate::generated::dds::meta;
pub use crate::generated::dds::types;
use crate::runtime::{self, ClientConfig, HuaweiDialect};

/// A DDS client: validated, signed, retried calls with typed results and errors.
#[derive(Debug, Clone)]
pub struct DdsClient {
    raw: raw::Client,
    total_timeout: Duration,
    /// The endpoint's host, for the call span.
    host: String,
}

impl DdsClient {
    /// A client with these settings; fails on unknown regions, bad endpoints and plain http unless allowed.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let b = runtime::build(config, meta::SERVICE, &meta::REGIONS)?;
        let host = endpoint_host(&b.baseurl);
        Ok(Self {
            raw: raw::Client::new_with_client(&b.baseurl, b.reqwest, b.runtime),
            total_timeout: b.total_timeout,
            host,
        })
    }

    /// A client for `region` with credentials from the `HUAWEICLOUD_SDK_*` environment variables.
    pub fn from_env(region: &str) -> Result<Self, Error> {
        Self::new(ClientConfig::from_env()?.region(region))
    }

    /// The generated client, for the full builder interface. Its calls are validated, signed and
    /// retried too, but return progenitor's error type.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// Kills the given sessions on node `node_id` (a mongos, shard or config node of a cluster, or the
    /// primary or a secondary of a replica set). The project id comes from the credentials.
    pub async fn delete_session(&self, node_id: &str, body: types::DeleteSessionRequestBody) -> Result<(), Error> {
        let span = call_span(meta::PROVIDER, meta::SERVICE, meta::DELETE_SESSION.name, &self.host);
        run_call(span, self.total_timeout, async {
            finish(send_delete_session(&self.raw, node_id, body).await, &HuaweiDialect)
                .await
                .map(|_| ())
        })
        .await
    }

    /// Builds, validates and signs [`DdsClient::delete_session`] without sending it: the exact method,
    /// URL, headers and body, credentials masked.
    pub async fn delete_session_dry_run(
        &self,
        node_id: &str,
        body: types::DeleteSessionRequestBody,
    ) -> Result<PreparedRequest, Error> {
        let capture = Capture::default();
        let runtime = self.raw.inner().dry_run(capture.clone());
        let client = raw::Client::new_with_client(self.raw.baseurl(), self.raw.client().clone(), runtime);
        capture.finish(send_delete_session(&client, node_id, body).await)
    }
}

async fn send_delete_session(
    client: &raw::Client,
    node_id: &str,
    body: types::DeleteSessionRequestBody,
) -> Result<ResponseValue<()>, progenitor_client::Error<()>> {
    let project_id = client.inner().project_id();
    client
        .delete_session()
        .project_id(project_id)
        .node_id(node_id)
        .body(body)
        .send()
        .await
}
