//! Data Admin Service (MySQL): `DeleteProcess`, "Killing Sessions".

use std::time::Duration;

use dbops_core::Error;
use dbops_core::http::{finish, with_total_timeout};
use progenitor_client::ClientInfo;
use tracing::Instrument;

use crate::generated::das as raw;
pub use crate::generated::das::meta;
pub use crate::generated::das::types;
use crate::runtime::{self, ClientConfig, HuaweiDialect};

/// A DAS client: validated, signed, retried calls with typed results and errors.
#[derive(Debug, Clone)]
pub struct DasClient {
    raw: raw::Client,
    total_timeout: Duration,
}

impl DasClient {
    /// A client with these settings; fails on unknown regions, bad endpoints and plain http unless allowed.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let b = runtime::build(config, meta::SERVICE, &meta::REGIONS)?;
        Ok(Self {
            raw: raw::Client::new_with_client(&b.baseurl, b.reqwest, b.runtime),
            total_timeout: b.total_timeout,
        })
    }

    /// A client for `region` with credentials from the `HUAWEICLOUD_SDK_*` environment variables.
    pub fn from_env(region: &str) -> Result<Self, Error> {
        Self::new(ClientConfig::from_env()?.region(region))
    }

    /// The generated client, for the full builder interface (e.g. the `X-Language` header).
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// Kills the sessions of MySQL instance `instance_id` chosen by `body` (session ids, user or
    /// database; at least one of them). The project id comes from the credentials.
    pub async fn delete_process(&self, instance_id: &str, body: types::DeleteProcessReqBody) -> Result<(), Error> {
        let span = dbops_core::http::call_span(
            meta::PROVIDER,
            meta::SERVICE,
            meta::DELETE_PROCESS.name,
            self.raw.baseurl(),
        );
        let call = async {
            let project_id = self.raw.inner().project_id();
            let result = self
                .raw
                .delete_process()
                .project_id(project_id)
                .instance_id(instance_id)
                .body(body)
                .send()
                .await;
            finish(result, &HuaweiDialect).await.map(|_| ())
        };
        with_total_timeout(self.total_timeout, call).instrument(span).await
    }
}
