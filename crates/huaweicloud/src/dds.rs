//! Document Database Service (MongoDB): `DeleteSession`, "Killing Sessions of an Instance Node".

use dbops_core::dryrun::Capture;
use dbops_core::http::{call_span, finish, run_call};
use dbops_core::{Error, PreparedRequest};
use progenitor_client::{ClientInfo, ResponseValue};

use crate::generated::dds as raw;
pub use crate::generated::dds::meta;
pub use crate::generated::dds::types;
use crate::runtime::{HuaweiDialect, service_client};

service_client! {
    /// A DDS client: validated, signed, retried calls with typed results and errors.
    DdsClient
}

impl DdsClient {
    /// Kills the given sessions on node `node_id` (a mongos, shard or config node of a cluster, or the
    /// primary or a secondary of a replica set). The project id comes from the credentials.
    pub async fn delete_session(&self, node_id: &str, body: types::DeleteSessionRequestBody) -> Result<(), Error> {
        let span = call_span(meta::PROVIDER, meta::SERVICE, meta::DELETE_SESSION.name, &self.host);
        run_call(span, self.total_timeout, async {
            let client = self.call_client(&meta::DELETE_SESSION, &body, None)?;
            finish(send_delete_session(&client, node_id, body).await, &HuaweiDialect)
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
        let client = self.call_client(&meta::DELETE_SESSION, &body, Some(&capture))?;
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
