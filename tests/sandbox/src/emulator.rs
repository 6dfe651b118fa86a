//! The emulator: the DAS APIs of both clouds on one loopback port, every request's signature checked
//! as the vendors' gateways check it, every answer read from (or done on) the real servers.
//!
//! Error codes the vendors document are used as they are (`APIGW.0301`, `APIG.0308`,
//! `SignatureDoesNotMatch`, `Throttling.User`, `InvalidAction.NotFound`); the codes of the emulator's
//! other refusals (`DAS.2000xx`, `InvalidParam`, `InvalidInstanceId.NotFound`) are its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dbops_tests::examples::Examples;
use dbops_tests::verify::{AlibabaAccount, HuaweiAccount};
use dbops_tests::{RawRequest, Reply, ReplyFuture, Server};
use mysql_async::{Pool, PoolConstraints, PoolOpts};
use serde_json::{Value, json};

use crate::ids::{self, Kind, View};
use crate::mysql::{self as my, Killed, Process};
use crate::{random_hex, random_uuid, redis_side};

/// The credentials the emulator accepts.
#[derive(Debug, Clone)]
pub struct Keys {
    pub huawei_ak: String,
    pub huawei_sk: String,
    pub alibaba_ak: String,
    pub alibaba_secret: String,
}

/// The real servers behind it.
#[derive(Debug, Clone)]
pub struct Backends {
    pub mysql_host: String,
    pub mysql_port: u16,
    /// The service's own account (Alibaba's "maintain user"): every privilege.
    pub admin_user: String,
    pub admin_password: String,
    /// `redis://:password@host:port/`
    pub redis_url: String,
}

/// What an emulator is started with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub keys: Keys,
    pub backends: Backends,
    /// How many instance ids of each service share out the servers' sessions (besides the main ids).
    pub fleet: usize,
    /// Requests a second over which the emulator answers with the vendor's throttling error (0: none).
    pub rate: u32,
}

/// A refusal: HTTP status, vendor error code, message.
struct Fault(u16, &'static str, String);

fn bad(code: &'static str, message: impl Into<String>) -> Fault {
    Fault(400, code, message.into())
}

/// A result that is being worked out in the background.
type Slot = Arc<Mutex<Option<Value>>>;

struct DbUser {
    id: String,
    instance: String,
    username: String,
    /// The connection DAS keeps for the account.
    pool: Pool,
}

#[derive(Default)]
struct State {
    db_users: Vec<DbUser>,
    /// `GetMySQLAllSessionAsync` results: id -> (instance, result).
    lists: HashMap<String, (String, Slot)>,
    /// Kill tasks: id -> (instance, result).
    tasks: HashMap<String, (String, Slot)>,
}

struct Bucket {
    rate: u32,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self) -> bool {
        if self.rate == 0 {
            return true;
        }
        let now = Instant::now();
        let rate = f64::from(self.rate);
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * rate).min(rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The emulator.
pub struct Emulator {
    settings: Settings,
    huawei: HuaweiAccount,
    alibaba: AlibabaAccount,
    maintain: Pool,
    redis: redis::aio::MultiplexedConnection,
    redis_own_id: u64,
    dds: Examples,
    state: Mutex<State>,
    bucket: Mutex<Bucket>,
    served: AtomicU64,
    throttled: AtomicU64,
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The connections DAS keeps for an account: a fixed set of four, opened as needed and never
/// recycled while idle, so that the emulator's own sessions keep their ids (a pool that closed idle
/// connections above its floor would make them come and go, and look killed).
fn pool(backends: &Backends, user: &str, password: &str) -> Pool {
    let opts = mysql_async::OptsBuilder::from_opts(my::opts(&backends.mysql_host, backends.mysql_port, user, password))
        .pool_opts(PoolOpts::default().with_constraints(PoolConstraints::new(4, 4).expect("4 <= 4")));
    Pool::new(opts)
}

impl Emulator {
    /// Connects to the servers; fails when one cannot be reached.
    pub async fn new(settings: Settings) -> Result<Arc<Self>, String> {
        let b = &settings.backends;
        let maintain = pool(b, &b.admin_user, &b.admin_password);
        drop(
            maintain
                .get_conn()
                .await
                .map_err(|e| format!("MariaDB at {}:{}: {e}", b.mysql_host, b.mysql_port))?,
        );
        let client = redis::Client::open(b.redis_url.as_str()).map_err(|e| format!("Redis: {e}"))?;
        let mut redis = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| format!("Redis: {e}"))?;
        let redis_own_id: u64 = redis::cmd("CLIENT")
            .arg("ID")
            .query_async(&mut redis)
            .await
            .map_err(|e| format!("Redis: {e}"))?;
        let k = &settings.keys;
        let huawei = HuaweiAccount {
            access_key: leak(&k.huawei_ak),
            secret_key: leak(&k.huawei_sk),
            security_token: None,
            iam_token: None,
        };
        let alibaba = AlibabaAccount {
            access_key_id: leak(&k.alibaba_ak),
            secret: leak(&k.alibaba_secret),
            security_token: None,
        };
        let dds = Examples::load("huaweicloud").map_err(|e| format!("the specs' example replies: {e}"))?;
        let bucket = Bucket {
            rate: settings.rate,
            tokens: f64::from(settings.rate),
            at: Instant::now(),
        };
        Ok(Arc::new(Self {
            settings,
            huawei,
            alibaba,
            maintain,
            redis,
            redis_own_id,
            dds,
            state: Mutex::default(),
            bucket: Mutex::new(bucket),
            served: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }))
    }

    /// Serves on 127.0.0.1:`port` (0: any free port).
    pub async fn serve(self: &Arc<Self>, port: u16) -> Server {
        let me = self.clone();
        Server::start_waiting(port, move |req, _| {
            let (me, req) = (me.clone(), req.clone());
            Box::pin(async move { me.handle(req).await }) as ReplyFuture
        })
        .await
    }

    async fn handle(self: Arc<Self>, req: RawRequest) -> Reply {
        if req.path() == "/_sandbox/rate" {
            return self.control(&req);
        }
        self.served.fetch_add(1, Ordering::Relaxed);
        let alibaba =
            req.header("x-acs-action").is_some() || req.header("authorization").is_some_and(|a| a.starts_with("ACS3-"));
        if alibaba {
            self.alibaba(req).await
        } else {
            self.huawei(req).await
        }
    }

    /// The sandbox's own control, unsigned: `GET /_sandbox/rate` shows the rate limit and how many
    /// requests were throttled; `PUT /_sandbox/rate` with a number sets it (0: none).
    fn control(&self, req: &RawRequest) -> Reply {
        let mut bucket = self.bucket.lock().unwrap();
        if req.method == "PUT" {
            match std::str::from_utf8(&req.body)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
            {
                Some(rate) => {
                    *bucket = Bucket {
                        rate,
                        tokens: f64::from(rate),
                        at: Instant::now(),
                    }
                }
                None => return Reply::json(400, r#"{"error":"the body must be a number of requests a second"}"#),
            }
        }
        Reply::json(
            200,
            &json!({"rate": bucket.rate, "served": self.served.load(Ordering::Relaxed),
                    "throttled": self.throttled.load(Ordering::Relaxed)})
            .to_string(),
        )
    }

    fn admit(&self) -> bool {
        let ok = self.bucket.lock().unwrap().take();
        if !ok {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    // ---- Huawei Cloud ----

    async fn huawei(self: Arc<Self>, req: RawRequest) -> Reply {
        let request_id = random_hex(32);
        let answer = self.huawei_answer(&req).await;
        let reply = match answer {
            Ok(Some(body)) => Reply::json(200, &body.to_string()),
            Ok(None) => Reply::empty(200),
            Err(Fault(status, code, message)) => {
                Reply::json(status, &json!({"error_code": code, "error_msg": message}).to_string())
            }
        };
        reply.with_header("X-Request-Id", &request_id)
    }

    async fn huawei_answer(&self, req: &RawRequest) -> Result<Option<Value>, Fault> {
        self.huawei.check(req).map_err(|why| {
            Fault(
                401,
                "APIGW.0301",
                format!("Incorrect IAM authentication information: {why}"),
            )
        })?;
        if !self.admit() {
            return Err(Fault(
                429,
                "APIG.0308",
                "The throttling threshold has been reached: policy user over ratelimit".into(),
            ));
        }
        let segments: Vec<&str> = req.path().split('/').collect();
        let no_api = || {
            Fault(
                404,
                "APIGW.0101",
                "The API does not exist or has not been published".into(),
            )
        };
        match segments.as_slice() {
            ["", "v3", project, "instances", instance, op] => {
                if *project != ids::HUAWEI_PROJECT {
                    return Err(Fault(
                        403,
                        "DAS.200001",
                        format!("project `{project}` is not this account's"),
                    ));
                }
                let view = ids::view(Kind::HuaweiMysql, instance, self.settings.fleet)
                    .ok_or_else(|| Fault(404, "DAS.200004", "The instance does not exist.".into()))?;
                match (req.method.as_str(), *op) {
                    ("POST", "db-users") => self.register_db_user(instance, req).await.map(Some),
                    ("GET", "db-users") => Ok(Some(self.list_db_users(instance, req))),
                    ("GET", "processes") => self.list_processes(instance, view, req).await.map(Some),
                    ("DELETE", "process") => self.delete_process(instance, view, req).await.map(|()| None),
                    _ => Err(no_api()),
                }
            }
            // DDS: the spec's example replies (no MongoDB server is packaged here).
            ["", "v3", _, "nodes", _, _] => match self.dds.reply_for(req) {
                Some(example) => Ok(Some(serde_json::from_str(example).unwrap_or_default())),
                None => Err(no_api()),
            },
            _ => Err(no_api()),
        }
    }

    fn body(req: &RawRequest) -> Result<Value, Fault> {
        serde_json::from_slice(&req.body).map_err(|e| bad("DAS.200002", format!("the request body is not JSON: {e}")))
    }

    async fn register_db_user(&self, instance: &str, req: &RawRequest) -> Result<Value, Fault> {
        let body = Self::body(req)?;
        let field = |name: &str| {
            body[name]
                .as_str()
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| bad("DAS.200002", format!("`{name}` is required")))
        };
        let (name, password, datastore) = (
            field("db_username")?,
            field("db_user_password")?,
            field("datastore_type")?,
        );
        if datastore != "MySQL" {
            return Err(bad("DAS.200002", "`datastore_type` must be MySQL"));
        }
        let registered = self
            .state
            .lock()
            .unwrap()
            .db_users
            .iter()
            .any(|u| u.instance == instance && u.username == name);
        if registered {
            return Err(bad(
                "DAS.200003",
                format!("the database user `{name}` is already registered on this instance (ListDbUsers gives its id)"),
            ));
        }
        // DAS logs in with the account before it keeps it.
        let pool = pool(&self.settings.backends, &name, &password);
        let conn = pool
            .get_conn()
            .await
            .map_err(|e| bad("DAS.200005", format!("cannot log in as `{name}`: {e}")))?;
        drop(conn);
        let id = random_uuid();
        self.state.lock().unwrap().db_users.push(DbUser {
            id: id.clone(),
            instance: instance.to_string(),
            username: name,
            pool,
        });
        Ok(json!({ "db_user_id": id }))
    }

    fn list_db_users(&self, instance: &str, req: &RawRequest) -> Value {
        let (id, name) = (req.query_param("db_user_id"), req.query_param("db_username"));
        let state = self.state.lock().unwrap();
        let users: Vec<Value> = state
            .db_users
            .iter()
            .filter(|u| u.instance == instance)
            .filter(|u| id.as_ref().is_none_or(|i| *i == u.id) && name.as_ref().is_none_or(|n| *n == u.username))
            .map(|u| json!({"db_user_id": u.id, "db_username": u.username}))
            .collect();
        let (offset, limit) = paging(req, 100);
        json!({"total": users.len(), "db_users": users.into_iter().skip(offset).take(limit).collect::<Vec<_>>()})
    }

    /// The connection DAS keeps for the database user `id` of `instance`.
    fn db_user_pool(&self, instance: &str, id: Option<&str>) -> Result<Pool, Fault> {
        let id = id.ok_or_else(|| bad("DAS.200006", "`db_user_id` is required"))?;
        self.state
            .lock()
            .unwrap()
            .db_users
            .iter()
            .find(|u| u.instance == instance && u.id == id)
            .map(|u| u.pool.clone())
            .ok_or_else(|| {
                bad(
                    "DAS.200007",
                    format!("the database user `{id}` is not registered on this instance"),
                )
            })
    }

    async fn list_processes(&self, instance: &str, view: View, req: &RawRequest) -> Result<Value, Fault> {
        let pool = self.db_user_pool(instance, req.query_param("db_user_id").as_deref())?;
        let mut conn = pool
            .get_conn()
            .await
            .map_err(|e| Fault(500, "DAS.200009", format!("the database cannot be reached: {e}")))?;
        let all = my::processes(&mut conn)
            .await
            .map_err(|e| Fault(500, "DAS.200009", format!("the process list cannot be read: {e}")))?;
        let (user, database) = (req.query_param("user"), req.query_param("database"));
        let chosen: Vec<&Process> = all
            .iter()
            .filter(|p| view.holds(p.id))
            .filter(|p| user.as_ref().is_none_or(|u| *u == p.user))
            .filter(|p| database.as_ref().is_none_or(|d| Some(d) == p.db.as_ref()))
            .collect();
        let (offset, limit) = paging(req, 20);
        let page: Vec<Value> = chosen
            .iter()
            .skip(offset)
            .take(limit)
            .map(|p| {
                json!({
                    "id": p.id.to_string(), "user": p.user, "host": p.host, "database": p.db,
                    "command": p.command, "time": p.time.to_string(), "state": p.state, "sql": p.info,
                    "trx_executed_time": p.trx_seconds.map(|s| s.to_string()),
                })
            })
            .collect();
        Ok(json!({"processes": page, "count": chosen.len()}))
    }

    /// Kills the sessions that meet every criterion given (ids, user, database): never more than the
    /// caller named, and never the connection it kills through.
    async fn delete_process(&self, instance: &str, view: View, req: &RawRequest) -> Result<(), Fault> {
        let body = Self::body(req)?;
        let pool = self.db_user_pool(instance, body["db_user_id"].as_str())?;
        let ids: Option<Vec<u64>> = match body.get("process_ids") {
            None | Some(Value::Null) => None,
            Some(list) => Some(
                list.as_array()
                    .ok_or_else(|| bad("DAS.200002", "`process_ids` must be a list"))?
                    .iter()
                    .map(|v| v.as_str().and_then(|s| s.parse().ok()))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("DAS.200002", "each of `process_ids` must be a session id as text"))?,
            ),
        };
        let (user, database) = (body["user"].as_str(), body["database"].as_str());
        if ids.is_none() && user.is_none() && database.is_none() {
            return Err(bad(
                "DAS.200002",
                "one of `process_ids`, `user` and `database` is required",
            ));
        }
        let mut conn = pool
            .get_conn()
            .await
            .map_err(|e| Fault(500, "DAS.200009", format!("the database cannot be reached: {e}")))?;
        let own = my::own_id(&mut conn).await.unwrap_or_default();
        let all = my::processes(&mut conn)
            .await
            .map_err(|e| Fault(500, "DAS.200009", format!("the process list cannot be read: {e}")))?;
        let mut refused = Vec::new();
        for p in all.iter().filter(|p| {
            view.holds(p.id)
                && p.id != own
                && ids.as_ref().is_none_or(|ids| ids.contains(&p.id))
                && user.is_none_or(|u| u == p.user)
                && database.is_none_or(|d| Some(d) == p.db.as_deref())
        }) {
            match my::kill(&mut conn, p.id).await {
                Killed::Yes | Killed::Gone => {}
                Killed::NotPermitted(why) | Killed::Failed(why) => refused.push(format!("{}: {why}", p.id)),
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(bad(
                "DAS.200008",
                format!("sessions not killed: {}", refused.join("; ")),
            ))
        }
    }

    // ---- Alibaba Cloud ----

    async fn alibaba(self: Arc<Self>, req: RawRequest) -> Reply {
        let request_id = random_uuid().to_uppercase();
        match self.clone().alibaba_answer(&req).await {
            Ok(Answer::Data(data)) => Reply::json(
                200,
                &json!({"Code": 200, "Message": "Successful", "Data": data, "RequestId": request_id, "Success": true})
                    .to_string(),
            ),
            // KillInstanceAllSession answers with strings, as its documentation shows.
            Ok(Answer::Texts) => Reply::json(
                200,
                &json!({"Code": "200", "Message": "Successful", "Data": "None", "RequestId": request_id, "Success": "true"})
                    .to_string(),
            ),
            Err(Fault(status, code, message)) => Reply::json(
                status,
                &json!({"Code": code, "Message": message, "RequestId": request_id,
                        "HostId": "das.cn-shanghai.aliyuncs.com", "Recommend": ""})
                .to_string(),
            ),
        }
    }

    async fn alibaba_answer(self: Arc<Self>, req: &RawRequest) -> Result<Answer, Fault> {
        self.alibaba.check(req).map_err(|why| {
            bad(
                "SignatureDoesNotMatch",
                format!("The request signature does not conform to Aliyun standards: {why}"),
            )
        })?;
        if !self.admit() {
            return Err(bad("Throttling.User", "Request was denied due to user flow control."));
        }
        let version = req.header("x-acs-version").unwrap_or_default();
        if version != "2020-01-16" {
            return Err(bad("InvalidVersion", format!("version `{version}` is not 2020-01-16")));
        }
        let action = req.header("x-acs-action").unwrap_or_default().to_string();
        let instance = req
            .query_param("InstanceId")
            .filter(|i| !i.is_empty())
            .ok_or_else(|| bad("InvalidParam", "InstanceId is mandatory for this action."))?;
        let kind = match action.as_str() {
            "GetRedisAllSession" | "KillInstanceAllSession" => Kind::AlibabaRedis,
            _ => Kind::AlibabaMysql,
        };
        let view = || {
            ids::view(kind, &instance, self.settings.fleet).ok_or_else(|| {
                bad(
                    "InvalidInstanceId.NotFound",
                    format!("The instance `{instance}` does not exist (or is not a {kind:?} instance)."),
                )
            })
        };
        match action.as_str() {
            "GetMySQLAllSessionAsync" => self.clone().mysql_sessions(&instance, view()?, req).map(Answer::Data),
            "CreateKillInstanceSessionTask" => self.clone().kill_task(&instance, view()?, req, false).map(Answer::Data),
            "CreateKillInstanceSessionTaskWithMaintainUser" => {
                self.clone().kill_task(&instance, view()?, req, true).map(Answer::Data)
            }
            "GetKillInstanceSessionTaskResult" => {
                view()?;
                self.kill_task_result(&instance, req).map(Answer::Data)
            }
            "GetRedisAllSession" => self.redis_sessions(&instance, view()?).await.map(Answer::Data),
            "KillInstanceAllSession" => self.redis_kill_all(view()?).await.map(|()| Answer::Texts),
            other => Err(Fault(
                404,
                "InvalidAction.NotFound",
                format!("Specified api `{other}` is not found, please check your url and method."),
            )),
        }
    }

    fn mysql_sessions(self: Arc<Self>, instance: &str, view: View, req: &RawRequest) -> Result<Value, Fault> {
        let Some(result_id) = req.query_param("ResultId").filter(|r| !r.is_empty()) else {
            // A new query: answered "not finished" now, its result on a later call.
            let result_id = format!("async__{}", random_hex(32));
            let slot: Slot = Arc::default();
            self.state
                .lock()
                .unwrap()
                .lists
                .insert(result_id.clone(), (instance.to_string(), slot.clone()));
            let me = self.clone();
            tokio::spawn(async move {
                let data = me.session_data(view).await;
                *slot.lock().unwrap() = Some(data);
            });
            return Ok(
                json!({"Complete": false, "Fail": false, "IsFinish": false, "ResultId": result_id,
                             "State": "RUNNING", "Timestamp": now_ms()}),
            );
        };
        let slot = self
            .state
            .lock()
            .unwrap()
            .lists
            .get(&result_id)
            .filter(|(i, _)| i == instance)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| {
                bad(
                    "InvalidParam",
                    format!("ResultId `{result_id}` is not a query of this instance"),
                )
            })?;
        let done = slot.lock().unwrap().clone();
        Ok(match done {
            None => json!({"Complete": false, "Fail": false, "IsFinish": false, "ResultId": result_id,
                           "State": "RUNNING", "Timestamp": now_ms()}),
            Some(Value::String(error)) => json!({"Complete": true, "Fail": true, "IsFinish": true,
                           "ResultId": result_id, "State": "FAIL", "Timestamp": now_ms(), "Message": error}),
            Some(data) => json!({"Complete": true, "Fail": false, "IsFinish": true, "ResultId": result_id,
                           "State": "SUCCESS", "Timestamp": now_ms(), "SessionData": data}),
        })
    }

    /// The instance's sessions as `GetMySQLAllSessionAsync` reports them, or the error as text.
    async fn session_data(&self, view: View) -> Value {
        let all = match self.maintain.get_conn().await {
            Ok(mut conn) => my::processes(&mut conn).await,
            Err(e) => Err(e),
        };
        let all = match all {
            Ok(all) => all,
            Err(e) => return Value::String(e.to_string()),
        };
        let sessions: Vec<&Process> = all.iter().filter(|p| view.holds(p.id)).collect();
        let stats = |key: fn(&Process) -> String| {
            let mut groups: BTreeMap<String, (u64, u64, Vec<u64>, Vec<String>)> = BTreeMap::new();
            for p in &sessions {
                let g = groups.entry(key(p)).or_default();
                g.0 += u64::from(p.active());
                g.1 += 1;
                g.2.push(p.id);
                if !g.3.contains(&p.user) {
                    g.3.push(p.user.clone());
                }
            }
            groups
                .into_iter()
                .map(|(k, (active, total, ids, users))| {
                    json!({"Key": k, "ActiveCount": active, "TotalCount": total, "ThreadIdList": ids, "UserList": users})
                })
                .collect::<Vec<_>>()
        };
        let list: Vec<Value> = sessions
            .iter()
            .map(|p| {
                json!({
                    "SessionId": p.id, "User": p.user, "Client": p.client(), "DbName": p.db,
                    "Command": p.command, "State": p.state, "Time": p.time,
                    "TrxDuration": p.trx_seconds, "TrxId": p.trx_id, "SqlText": p.info,
                })
            })
            .collect();
        let active: Vec<&&Process> = sessions.iter().filter(|p| p.active()).collect();
        json!({
            "ActiveSessionCount": active.len(),
            "TotalSessionCount": sessions.len(),
            "MaxActiveTime": active.iter().map(|p| p.time).max().unwrap_or(0),
            "TimeStamp": now_ms() * 1000,
            "UserStats": stats(|p| p.user.clone()),
            "ClientStats": stats(|p| p.client().to_string()),
            "DbStats": stats(|p| p.db.clone().unwrap_or_default()),
            "SessionList": list,
        })
    }

    fn kill_task(
        self: Arc<Self>,
        instance: &str,
        view: View,
        req: &RawRequest,
        maintain: bool,
    ) -> Result<Value, Fault> {
        let kill_all = match req.query_param("KillAllSessions").as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => return Err(bad("InvalidParam", "KillAllSessions must be true or false.")),
        };
        let ids: Vec<u64> = match req.query_param("SessionIds") {
            None => Vec::new(),
            Some(text) => serde_json::from_str::<Vec<Value>>(&text)
                .ok()
                .and_then(|ids| {
                    ids.iter()
                        .map(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                        .collect()
                })
                .ok_or_else(|| bad("InvalidParam", "SessionIds must be a JSON array of session ids."))?,
        };
        if !kill_all && ids.is_empty() {
            return Err(bad(
                "InvalidParam",
                "SessionIds is required when KillAllSessions is false.",
            ));
        }
        let ignored: Vec<String> = match req.query_param("IgnoredUsers") {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text)
                .map_err(|_| bad("InvalidParam", "IgnoredUsers must be a JSON array of user names."))?,
        };
        let b = &self.settings.backends;
        let account = if maintain {
            (b.admin_user.clone(), b.admin_password.clone())
        } else {
            let user = req.query_param("DbUser").filter(|u| !u.is_empty());
            let password = req.query_param("DbUserPassword").filter(|p| !p.is_empty());
            match (user, password) {
                (Some(u), Some(p)) => (u, p),
                _ => {
                    return Err(bad(
                        "InvalidParam",
                        "DbUser and DbUserPassword are mandatory for this action.",
                    ));
                }
            }
        };
        let task_id = random_hex(32);
        let slot: Slot = Arc::default();
        self.state
            .lock()
            .unwrap()
            .tasks
            .insert(task_id.clone(), (instance.to_string(), slot.clone()));
        let task = KillTask {
            task_id: task_id.clone(),
            instance: instance.to_string(),
            node: req.query_param("NodeId"),
            view,
            account,
            kill_all,
            ids,
            ignored,
        };
        let me = self.clone();
        tokio::spawn(async move {
            let result = me.run_kill_task(task).await;
            *slot.lock().unwrap() = Some(result);
        });
        Ok(json!(task_id))
    }

    async fn run_kill_task(&self, t: KillTask) -> Value {
        let b = &self.settings.backends;
        let running = match self.maintain.get_conn().await {
            Ok(mut conn) => my::processes(&mut conn).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let targets: Vec<(u64, Option<&Process>)> = if t.kill_all {
            running
                .iter()
                .filter(|p| t.view.holds(p.id))
                .map(|p| (p.id, Some(p)))
                .collect()
        } else {
            t.ids
                .iter()
                .map(|&id| (id, running.iter().find(|p| p.id == id && t.view.holds(p.id))))
                .collect()
        };
        let mut conn = mysql_async::Conn::new(my::opts(&b.mysql_host, b.mysql_port, &t.account.0, &t.account.1))
            .await
            .ok();
        let own = match conn.as_mut() {
            Some(c) => my::own_id(c).await.ok(),
            None => None,
        };
        let (mut killed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
        let mut result = Vec::new();
        for (id, p) in &targets {
            let reason = match (p, conn.as_mut()) {
                (None, _) => "SESSION_EXPIRED",
                (Some(_), None) => "SESSION_ACCOUNT_ERROR",
                (Some(p), _) if t.ignored.contains(&p.user) => "SESSION_IGNORED_USER",
                (Some(p), _) if p.internal() || Some(p.id) == own || p.user == b.admin_user => {
                    "SESSION_INTERNAL_USER_OR_COMMAND"
                }
                (Some(p), Some(conn)) => match my::kill(conn, p.id).await {
                    Killed::Yes => "SESSION_KILLED",
                    Killed::Gone => "SESSION_EXPIRED",
                    Killed::NotPermitted(_) => "SESSION_NO_PERMISSION",
                    Killed::Failed(_) => "SESSION_OTHER_ERROR",
                },
            };
            match reason {
                "SESSION_KILLED" => killed += 1,
                "SESSION_IGNORED_USER" => ignored += 1,
                _ => failed += 1,
            }
            result.push(match p {
                Some(p) => json!({
                    "Id": p.id, "User": p.user, "Host": p.host, "Db": p.db, "Command": p.command,
                    "Time": p.time, "State": p.state, "Info": p.info, "Active": p.active(),
                    "TaskId": t.task_id, "Reason": reason,
                }),
                None => json!({"Id": id, "TaskId": t.task_id, "Reason": reason}),
            });
        }
        json!({
            "TaskId": t.task_id, "UserId": "sandbox", "InstanceId": t.instance, "NodeId": t.node,
            "TaskState": if conn.is_some() { "SUCCESS" } else { "FAILURE" },
            "Sessions": targets.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "KillSuccessCount": killed, "KillFailCount": failed, "IgnoredUserSessionCount": ignored,
            "Result": result,
        })
    }

    fn kill_task_result(&self, instance: &str, req: &RawRequest) -> Result<Value, Fault> {
        let task_id = req.query_param("TaskId").unwrap_or_default();
        let slot = self
            .state
            .lock()
            .unwrap()
            .tasks
            .get(&task_id)
            .filter(|(i, _)| i == instance)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| {
                bad(
                    "InvalidParam",
                    format!("TaskId `{task_id}` is not a kill task of this instance."),
                )
            })?;
        let done = slot.lock().unwrap().clone();
        Ok(done.unwrap_or_else(|| json!({"TaskId": task_id, "InstanceId": instance, "TaskState": "RUNNING"})))
    }

    async fn redis_sessions(&self, instance: &str, view: View) -> Result<Value, Fault> {
        let clients = redis_side::clients(&mut self.redis.clone())
            .await
            .map_err(|e| Fault(500, "InternalError", format!("the instance cannot be reached: {e}")))?;
        let mine: Vec<&redis_side::Client> = clients.iter().filter(|c| view.holds(c.id())).collect();
        let mut sources: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for c in &mine {
            sources.entry(c.ip()).or_default().push(c.id());
        }
        Ok(json!({
            "Timestamp": now_ms(), "Total": mine.len(),
            "Sessions": mine.iter().map(|c| c.to_das(instance)).collect::<Vec<_>>(),
            "SourceStats": sources.iter().map(|(k, ids)| json!({"Key": k, "Count": ids.len().to_string(), "Ids": ids}))
                .collect::<Vec<_>>(),
        }))
    }

    async fn redis_kill_all(&self, view: View) -> Result<(), Fault> {
        let mut conn = self.redis.clone();
        let clients = redis_side::clients(&mut conn)
            .await
            .map_err(|e| Fault(500, "InternalError", format!("the instance cannot be reached: {e}")))?;
        for c in clients
            .iter()
            .filter(|c| view.holds(c.id()) && c.id() != self.redis_own_id)
        {
            redis_side::kill(&mut conn, c.id())
                .await
                .map_err(|e| Fault(500, "InternalError", format!("session {} not killed: {e}", c.id())))?;
        }
        Ok(())
    }
}

enum Answer {
    Data(Value),
    /// The reply of `KillInstanceAllSession`, all strings.
    Texts,
}

struct KillTask {
    task_id: String,
    instance: String,
    node: Option<String>,
    view: View,
    account: (String, String),
    kill_all: bool,
    ids: Vec<u64>,
    ignored: Vec<String>,
}

/// `offset` and `limit` of a request (the limit at most 100).
fn paging(req: &RawRequest, default_limit: usize) -> (usize, usize) {
    let n = |name: &str| req.query_param(name).and_then(|v| v.parse::<usize>().ok());
    (n("offset").unwrap_or(0), n("limit").unwrap_or(default_limit).min(100))
}
