//! Database Autonomy Service (API version 2020-01-16): `CreateKillInstanceSessionTask` (ApsaraDB RDS
//! and PolarDB for MySQL) and `KillInstanceAllSession` (ApsaraDB for Redis).

use std::time::Duration;

use dbops_core::http::{finish, with_total_timeout};
use dbops_core::{Error, ServiceError};
use progenitor_client::ClientInfo;
use tracing::Instrument;

use crate::generated::das as raw;
pub use crate::generated::das::meta;
pub use crate::generated::das::types;
use crate::runtime::{self, AlibabaDialect, ClientConfig};

/// The DAS client: one method per Action; validated, signed, retried calls with typed results and errors.
#[derive(Debug, Clone)]
pub struct DasClient {
    raw: raw::Client,
    total_timeout: Duration,
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
        Ok(Self {
            raw: raw::Client::new_with_client(&b.baseurl, b.reqwest, b.runtime),
            total_timeout: b.total_timeout,
        })
    }

    /// A client with credentials from the `ALIBABA_CLOUD_*` environment variables and the default endpoint.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ClientConfig::from_env()?)
    }

    /// The generated client.
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
        let op = &meta::CREATE_KILL_INSTANCE_SESSION_TASK;
        let call = async {
            let result = self.raw.create_kill_instance_session_task().body(request).send().await;
            let reply = finish(result, &AlibabaDialect).await?.into_inner();
            if reply.success == Some(false) {
                return Err(failure(
                    reply.code.map(|c| c.to_string()),
                    reply.message,
                    reply.request_id,
                ));
            }
            Ok(reply)
        };
        self.run(op, call).await
    }

    /// `KillInstanceAllSession`: terminates all sessions of an ApsaraDB for Redis instance. A reply with
    /// `Success: "false"` is an [`Error::Service`].
    pub async fn kill_instance_all_session<R>(&self, request: R) -> Result<types::KillInstanceAllSessionResponse, Error>
    where
        R: TryInto<types::KillInstanceAllSessionRequest>,
        <R as TryInto<types::KillInstanceAllSessionRequest>>::Error: std::fmt::Display,
    {
        let op = &meta::KILL_INSTANCE_ALL_SESSION;
        let call = async {
            let result = self.raw.kill_instance_all_session().body(request).send().await;
            let reply = finish(result, &AlibabaDialect).await?.into_inner();
            if reply
                .success
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("false"))
            {
                return Err(failure(reply.code, reply.message, reply.request_id));
            }
            Ok(reply)
        };
        self.run(op, call).await
    }

    async fn run<T>(
        &self,
        op: &dbops_core::meta::Operation,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = dbops_core::http::call_span(meta::PROVIDER, meta::SERVICE, op.name, self.raw.baseurl());
        with_total_timeout(self.total_timeout, call).instrument(span).await
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
