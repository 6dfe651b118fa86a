//! Data Admin Service (MySQL): `DeleteProcess`, "Killing Sessions".

use std::time::Duration;

use dbops_core::dryrun::Capture;
use dbops_core::http::{call_span, endpoint_host, finish, run_call};
use dbops_core::{Error, PreparedRequest};
use progenitor_client::{ClientInfo, ResponseValue};

use crate::generated::das as raw;
pub use crate::generated::das::meta;
pub use crate::generated::das::types;
use crate::runtime::{self, ClientConfig, HuaweiDialect};

/// A DAS client: validated, signed, retried calls with typed results and errors.
#[derive(Debug, Clone)]
pub struct DasClient {
    raw: raw::Client,
    total_timeout: Duration,
    /// The endpoint's host, for the call span.
    host: String,
}

impl DasClient {
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

    /// The generated client, for the full builder interface (e.g. the `X-Language` header). Its calls
    /// are validated, signed and retried too, but return progenitor's error type.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// Kills the sessions of MySQL instance `instance_id` chosen by `body` (session ids, user or
    /// database; at least one of them). The project id comes from the credentials.
    pub async fn delete_process(&self, instance_id: &str, body: types::DeleteProcessReqBody) -> Result<(), Error> {
        let span = call_span(meta::PROVIDER, meta::SERVICE, meta::DELETE_PROCESS.name, &self.host);
        run_call(span, self.total_timeout, async {
            finish(send_delete_process(&self.raw, instance_id, body).await, &HuaweiDialect)
                .await
                .map(|_| ())
        })
        .await
    }

    /// Builds, validates and signs [`DasClient::delete_process`] without sending it: the exact method,
    /// URL, headers and body, credentials masked.
    pub async fn delete_process_dry_run(
        &self,
        instance_id: &str,
        body: types::DeleteProcessReqBody,
    ) -> Result<PreparedRequest, Error> {
        let capture = Capture::default();
        let runtime = self.raw.inner().dry_run(capture.clone());
        let client = raw::Client::new_with_client(self.raw.baseurl(), self.raw.client().clone(), runtime);
        capture.finish(send_delete_process(&client, instance_id, body).await)
    }
}

async fn send_delete_process(
    client: &raw::Client,
    instance_id: &str,
    body: types::DeleteProcessReqBody,
) -> Result<ResponseValue<()>, progenitor_client::Error<()>> {
    let project_id = client.inner().project_id();
    client
        .delete_process()
        .project_id(project_id)
        .instance_id(instance_id)
        .body(body)
        .send()
        .await
}
