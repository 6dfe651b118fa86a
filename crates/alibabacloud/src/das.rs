//! Database Autonomy Service (API version 2020-01-16): `CreateKillInstanceSessionTask` (ApsaraDB RDS
//! and PolarDB for MySQL) and `KillInstanceAllSession` (ApsaraDB for Redis).

use std::time::Duration;

use dbops_core::dryrun::Capture;
use dbops_core::http::{call_span, endpoint_host, finish, run_call};
use dbops_core::{Error, PreparedRequest, ServiceError};
use progenitor_client::ClientInfo;

use crate::generated::das as raw;
pub use crate::generated::das::meta;
pub use crate::generated::das::types;
use crate::runtime::{self, AlibabaDialect, ClientConfig};

/// The DAS client: one method per Action; validated, signed, retried calls with typed results and errors.
#[derive(Debug, Clone)]
pub struct DasClient {
    raw: raw::Client,
    total_timeout: Duration,
    /// The endpoint's host, for the call span.
    host: String,
}

impl DasClient {
    /// A client with these settings. Without an endpoint it calls `https://das.cn-shanghai.aliyuncs.com`.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let b = runtime::build(
            config,
            meta::SERVICE,
            meta::API_VERSION,
            &meta::REGIONS,
            meta::DEFAULT_ENDPOINT,
        )?;
        let host = endpoint_host(&b.baseurl);
        Ok(Self {
            raw: raw::Client::new_with_client(&b.baseurl, b.reqwest, b.runtime),
            total_timeout: b.total_timeout,
            host,
        })
    }

    /// A client with credentials from the `ALIBABA_CLOUD_*` environment variables and the default endpoint.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ClientConfig::from_env()?)
    }

    /// The generated client. Its calls are validated, signed and retried too, but return progenitor's
    /// error type and do not turn `Success: false` into an error.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// `CreateKillInstanceSessionTask`: creates a task that terminates sessions of an RDS MySQL instance
    /// or PolarDB MySQL cluster. A reply with `Success: false` is an [`Error::Service`].
    pub async fn create_kill_instance_session_task<R>(
        &self,
        request: R,
    ) -> Result<types::CreateKillInstanceSessionTaskResponse, Error>
    where
        R: TryInto<types::CreateKillInstanceSessionTaskRequest>,
        <R as TryInto<types::CreateKillInstanceSessionTaskRequest>>::Error: std::fmt::Display,
    {
        let span = call_span(
            meta::PROVIDER,
            meta::SERVICE,
            meta::CREATE_KILL_INSTANCE_SESSION_TASK.name,
            &self.host,
        );
        run_call(span, self.total_timeout, async {
            let result = self.raw.create_kill_instance_session_task().body(request).send().await;
            let reply = finish(result, &AlibabaDialect).await?.into_inner();
            record_request_id(reply.request_id.as_deref());
            if reply.success == Some(false) {
                return Err(failure(
                    reply.code.map(|c| c.to_string()),
                    reply.message,
                    reply.request_id,
                ));
            }
            Ok(reply)
        })
        .await
    }

    /// Builds, validates and signs `CreateKillInstanceSessionTask` without sending it: the exact method,
    /// URL, headers and body, with the database password and credentials masked.
    pub async fn create_kill_instance_session_task_dry_run<R>(&self, request: R) -> Result<PreparedRequest, Error>
    where
        R: TryInto<types::CreateKillInstanceSessionTaskRequest>,
        <R as TryInto<types::CreateKillInstanceSessionTaskRequest>>::Error: std::fmt::Display,
    {
        let (client, capture) = self.dry_run_client();
        capture.finish(client.create_kill_instance_session_task().body(request).send().await)
    }

    /// `KillInstanceAllSession`: terminates all sessions of an ApsaraDB for Redis instance. A reply with
    /// `Success: "false"` is an [`Error::Service`].
    pub async fn kill_instance_all_session<R>(&self, request: R) -> Result<types::KillInstanceAllSessionResponse, Error>
    where
        R: TryInto<types::KillInstanceAllSessionRequest>,
        <R as TryInto<types::KillInstanceAllSessionRequest>>::Error: std::fmt::Display,
    {
        let span = call_span(
            meta::PROVIDER,
            meta::SERVICE,
            meta::KILL_INSTANCE_ALL_SESSION.name,
            &self.host,
        );
        run_call(span, self.total_timeout, async {
            let result = self.raw.kill_instance_all_session().body(request).send().await;
            let reply = finish(result, &AlibabaDialect).await?.into_inner();
            record_request_id(reply.request_id.as_deref());
            if reply
                .success
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("false"))
            {
                return Err(failure(reply.code, reply.message, reply.request_id));
            }
            Ok(reply)
        })
        .await
    }

    /// Builds, validates and signs `KillInstanceAllSession` without sending it.
    pub async fn kill_instance_all_session_dry_run<R>(&self, request: R) -> Result<PreparedRequest, Error>
    where
        R: TryInto<types::KillInstanceAllSessionRequest>,
        <R as TryInto<types::KillInstanceAllSessionRequest>>::Error: std::fmt::Display,
    {
        let (client, capture) = self.dry_run_client();
        capture.finish(client.kill_instance_all_session().body(request).send().await)
    }

    fn dry_run_client(&self) -> (raw::Client, Capture) {
        let capture = Capture::default();
        let runtime = self.raw.inner().dry_run(capture.clone());
        (
            raw::Client::new_with_client(self.raw.baseurl(), self.raw.client().clone(), runtime),
            capture,
        )
    }
}

fn record_request_id(id: Option<&str>) {
    if let Some(id) = id {
        tracing::Span::current().record("request_id", id);
    }
}

/// A 200 reply that reports failure.
fn failure(code: Option<String>, message: Option<String>, request_id: Option<String>) -> Error {
    Error::Service(Box::new(ServiceError {
        status: 200,
        code,
        message,
        request_id,
        host_id: None,
        recommend: None,
    }))
}
