//! Data Admin Service (MySQL): `DeleteProcess`, "Killing Sessions".

use dbops_core::dryrun::Capture;
use dbops_core::http::{call_span, finish, run_call};
use dbops_core::{Error, PreparedRequest};
use progenitor_client::{ClientInfo, ResponseValue};

use crate::generated::das as raw;
pub use crate::generated::das::meta;
pub use crate::generated::das::types;
use crate::runtime::{HuaweiDialect, service_client};

service_client! {
    /// A DAS client: validated, signed, retried calls with typed results and errors.
    DasClient
}

impl DasClient {
    /// Kills the sessions of MySQL instance `instance_id` chosen by `body` (session ids, user or
    /// database; at least one of them). The project id comes from the credentials.
    pub async fn delete_process(&self, instance_id: &str, body: types::DeleteProcessReqBody) -> Result<(), Error> {
        let span = call_span(meta::PROVIDER, meta::SERVICE, meta::DELETE_PROCESS.name, &self.host);
        run_call(span, self.total_timeout, async {
            let client = self.call_client(&meta::DELETE_PROCESS, &body, None)?;
            finish(send_delete_process(&client, instance_id, body).await, &HuaweiDialect)
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
        let client = self.call_client(&meta::DELETE_PROCESS, &body, Some(&capture))?;
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
