//! Database Autonomy Service (API version 2020-01-16): `CreateKillInstanceSessionTask` (ApsaraDB RDS
//! and PolarDB for MySQL) and `KillInstanceAllSession` (ApsaraDB for Redis).

use std::time::Duration;

use dbops_core::dryrun::Capture;
use dbops_core::http::{call_span, endpoint_host, finish, run_call};
use dbops_core::meta::{Fields, Operation};
use dbops_core::{Error, PreparedRequest, ServiceError, Violation};
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
            let body = typed_body::<types::CreateKillInstanceSessionTaskRequest>(request)?;
            let client = self.call_client(&meta::CREATE_KILL_INSTANCE_SESSION_TASK, &body, None)?;
            let result = client.create_kill_instance_session_task().body(body).send().await;
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
        let body = typed_body::<types::CreateKillInstanceSessionTaskRequest>(request)?;
        let capture = Capture::default();
        let client = self.call_client(&meta::CREATE_KILL_INSTANCE_SESSION_TASK, &body, Some(&capture))?;
        capture.finish(client.create_kill_instance_session_task().body(body).send().await)
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
            let body = typed_body::<types::KillInstanceAllSessionRequest>(request)?;
            let client = self.call_client(&meta::KILL_INSTANCE_ALL_SESSION, &body, None)?;
            let result = client.kill_instance_all_session().body(body).send().await;
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
        let body = typed_body::<types::KillInstanceAllSessionRequest>(request)?;
        let capture = Capture::default();
        let client = self.call_client(&meta::KILL_INSTANCE_ALL_SESSION, &body, Some(&capture))?;
        capture.finish(client.kill_instance_all_session().body(body).send().await)
    }

    /// A copy of the generated client for one call of `op` with body `body`, which is checked here
    /// against the body's rules and written out as the RPC query, from the typed value. With a capture,
    /// the copy signs and captures its request instead of sending it.
    fn call_client(&self, op: &Operation, body: &dyn Fields, capture: Option<&Capture>) -> Result<raw::Client, Error> {
        let mut runtime = self.raw.inner().for_body(op, body)?;
        if let Some(capture) = capture {
            runtime = runtime.dry_run(capture.clone());
        }
        Ok(raw::Client::new_with_client(
            self.raw.baseurl(),
            self.raw.client().clone(),
            runtime,
        ))
    }
}

/// The request as its generated type; a builder with a required parameter missing is refused here,
/// naming it.
fn typed_body<T>(request: impl TryInto<T, Error: std::fmt::Display>) -> Result<T, Error> {
    request.try_into().map_err(|e| {
        let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or_default();
        Error::InvalidRequest(Violation::new(
            "request",
            format!("conversion to `{name}` for body failed: {e}"),
        ))
    })
}

fn record_request_id(id: Option<&str>) {
    if let Some(id) = id {
        tracing::Span::current().record("request_id", id);
    }
}

/// A 200 reply that reports failure.
fn failure(code: Option<String>, message: Option<String>, request_id: Option<String>) -> Error {
    Error::Service(Box::new(
        ServiceError {
            status: 200,
            code,
            message,
            request_id,
            host_id: None,
            recommend: None,
        }
        .clipped(),
    ))
}
