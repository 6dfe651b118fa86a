//! Every operation of every spec, end to end from the spec's own examples: its parameter and body
//! examples become the operation's Input (which passes its generated checks), the request goes through
//! a local gateway that verifies the signature from the raw request and the wire form (method, path,
//! every example parameter in the query), and the gateway answers with the spec's example reply, which
//! must decode into the generated type and serialize back to the same JSON (so no documented field is
//! lost or misnamed).

use std::path::Path;
use std::time::Duration;

use dbops_tests::{RawRequest, Reply, Server, verify};
use serde::Serialize;
use serde_json::{Map, Value, json};

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";

fn spec(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One operation of a spec, with its parameters resolved.
struct Case {
    method: String,
    path: String,
    action: Option<String>,
    /// Wire name → example, JSON-array text parsed into lists; credentials left out.
    input: Map<String, Value>,
    /// Query parameter → its text on the wire.
    query: Vec<(String, String)>,
    /// Wire names of the parameters and body fields the spec marks required (credentials left out),
    /// with the rule a check names when one is left out (a list that must hold items: that rule).
    required: Vec<(String, String)>,
    /// For each rule the spec gives a parameter or body field: its wire name, a value that breaks the
    /// rule, and the rule the check must name.
    broken: Vec<(String, Value, String)>,
    reply: Value,
}

fn case(rel: &str, operation_id: &str) -> Case {
    let doc = spec(rel);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["operationId"] != operation_id {
                continue;
            }
            let mut input = Map::new();
            let mut query = Vec::new();
            let mut required = Vec::new();
            let mut broken = Vec::new();
            let mut wire_path = path.clone();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let p = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                    None => p,
                };
                let name = p["name"].as_str().unwrap();
                if p["required"] == true && p.get("x-from-credentials").is_none() {
                    required.push((name.to_string(), missing_rule(&p["schema"])));
                }
                if p.get("x-from-credentials").is_none() {
                    broken.extend(breaking(name, &p["schema"], p["required"] == true));
                }
                if p.get("x-from-credentials").is_some() {
                    wire_path = wire_path.replace(&format!("{{{name}}}"), PROJECT);
                    continue;
                }
                let Some(example) = p.get("example") else { continue };
                let text = match example {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match p["in"].as_str().unwrap() {
                    "path" => {
                        let encoded = percent_encoding::utf8_percent_encode(&text, dbops_core::encode::RFC3986);
                        wire_path = wire_path.replace(&format!("{{{name}}}"), &encoded.to_string());
                    }
                    "query" => query.push((name.to_string(), text.clone())),
                    _ => {}
                }
                let value = match (example, p["schema"].get("x-json-array-text")) {
                    (Value::String(t), Some(_)) => serde_json::from_str(t).unwrap(),
                    _ => example.clone(),
                };
                input.insert(name.to_string(), value);
            }
            if let Some(body) = op.pointer("/requestBody/content/application~1json/example") {
                input.extend(body.as_object().unwrap().clone());
            }
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                let schema = match schema.get("$ref").and_then(Value::as_str) {
                    Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                    None => schema,
                };
                let body_required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for name in &body_required {
                    required.push((name.to_string(), missing_rule(&schema["properties"][*name])));
                }
                for (name, field) in schema["properties"].as_object().into_iter().flatten() {
                    broken.extend(breaking(name, field, body_required.contains(&name.as_str())));
                }
            }
            let action = op.get("x-acs-action").and_then(Value::as_str).map(str::to_string);
            return Case {
                method: if action.is_some() {
                    "POST".into()
                } else {
                    method.to_uppercase()
                },
                path: if action.is_some() { "/".into() } else { wire_path },
                action,
                input,
                query,
                required,
                broken,
                reply: op
                    .pointer("/responses/200/content/application~1json/example")
                    .cloned()
                    .unwrap_or(Value::Null),
            };
        }
    }
    panic!("no operation {operation_id} in {rel}");
}

/// The rule a check names for a required field of `schema` left out: `is required`, or for a list that
/// must hold items, that rule (a list left out is an empty list).
fn missing_rule(schema: &Value) -> String {
    match schema["minItems"].as_u64() {
        Some(n) if schema["type"] == "array" => format!("must hold at least {n} item{}", if n == 1 { "" } else { "s" }),
        _ => "is required".to_string(),
    }
}

/// Values breaking each rule of a string or integer `schema`, with the rule the generated check names:
/// `enum`, `pattern` (a `!` matches none of the specs' patterns), length (the empty string only where
/// the parameter is required: an empty optional one counts as not given), `minimum` and `maximum`.
fn breaking(name: &str, schema: &Value, required: bool) -> Vec<(String, Value, String)> {
    let mut out = Vec::new();
    let mut add = |value: Value, rule: String| out.push((name.to_string(), value, rule));
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    match schema["type"].as_str() {
        Some("string") if schema.get("x-json-array-text").is_none() && schema.get("x-integer-text").is_none() => {
            if let Some(values) = schema["enum"].as_array() {
                let listed: Vec<String> = values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|v| format!("`{v}`"))
                    .collect();
                add(json!("zz-not-listed"), format!("must be one of {}", listed.join(", ")));
            }
            if let Some(p) = schema["pattern"].as_str() {
                add(json!("!"), format!("must match the pattern `{p}`"));
            }
            if let Some(n) = schema["minLength"].as_u64().filter(|&n| n > 1 || required) {
                add(
                    json!("x".repeat(n as usize - 1)),
                    format!("must be at least {n} character{} long", plural(n)),
                );
            }
            if let Some(n) = schema["maxLength"].as_u64() {
                add(
                    json!("x".repeat(n as usize + 1)),
                    format!("must be at most {n} character{} long", plural(n)),
                );
            }
        }
        Some("integer") => {
            if let Some(min) = schema["minimum"].as_i64().filter(|&m| m > 0) {
                add(json!(min - 1), format!("must be at least {min}"));
            }
            if let Some(max) = schema["maximum"].as_i64() {
                add(json!(max + 1), format!("must be at most {max}"));
            }
        }
        _ => {}
    }
    out
}

impl Case {
    fn input<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_value(Value::Object(self.input.clone()))
            .unwrap_or_else(|e| panic!("the examples {:?} are not an Input: {e}", self.input))
    }

    /// The gateway: the signature, the wire form and every example parameter, then the example reply.
    async fn server(&self, huawei: bool) -> Server {
        let (method, path, action, query) = (
            self.method.clone(),
            self.path.clone(),
            self.action.clone(),
            self.query.clone(),
        );
        let reply = Reply::json(200, &self.reply.to_string());
        let hw = verify::HuaweiAccount {
            access_key: HW_AK,
            secret_key: HW_SK,
            security_token: None,
            iam_token: None,
        };
        let ali = verify::AlibabaAccount {
            access_key_id: ALI_AK,
            secret: ALI_SECRET,
            security_token: None,
        };
        Server::start(move |req: &RawRequest, _| {
            let signed = if huawei { hw.check(req) } else { ali.check(req) };
            let mut why = signed.err();
            if req.method != method || req.path() != path {
                why = Some(format!("{} {} != {method} {path}", req.method, req.path()));
            }
            if req.header("x-acs-action").map(str::to_string) != action {
                why = Some("wrong x-acs-action".into());
            }
            for (name, text) in &query {
                if req.query_param(name).as_deref() != Some(text.as_str()) {
                    why = Some(format!("query {name}: {:?} != {text:?}", req.query_param(name)));
                }
            }
            match why {
                None => reply.clone(),
                Some(why) => Reply::json(
                    400,
                    &json!({"error_code": "TEST", "Code": "TEST", "error_msg": why, "Message": why}).to_string(),
                ),
            }
        })
        .await
    }

    /// Each rule the spec gives, broken in the example input, is refused by `check` with the field's
    /// name and the rule.
    fn assert_rules_broken<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        check: impl Fn(&T) -> Result<(), dbops_core::Violation>,
    ) {
        assert!(!self.broken.is_empty(), "{op} has no rule");
        for (name, value, rule) in &self.broken {
            let v = check(&self.input_with(name, value)).unwrap_err();
            assert_eq!(
                (v.field.as_str(), v.rule.as_str()),
                (name.as_str(), rule.as_str()),
                "{op} {value}"
            );
        }
    }

    /// The case's Input with `name` set to `value`.
    fn input_with<T: serde::de::DeserializeOwned>(&self, name: &str, value: &Value) -> T {
        let mut input = self.input.clone();
        input.insert(name.to_string(), value.clone());
        serde_json::from_value(Value::Object(input)).unwrap()
    }

    /// The case's Input without `name`.
    fn input_without<T: serde::de::DeserializeOwned>(&self, name: &str) -> T {
        let mut input = self.input.clone();
        input.remove(name);
        serde_json::from_value(Value::Object(input)).unwrap()
    }

    fn check_reply<T: Serialize>(&self, reply: &T) {
        assert_eq!(
            serde_json::to_value(reply).unwrap(),
            self.reply,
            "the example reply does not round-trip"
        );
    }
}

fn hw_config(server: &Server) -> huaweicloud_dbops::ClientConfig {
    huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
        .endpoint(server.url())
        .allow_http(true)
        .total_timeout(Duration::from_secs(5))
}

fn ali_client(server: &Server) -> alibabacloud_dbops::DasClient {
    alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(ALI_AK, ALI_SECRET))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

/// `$client.$method()` with the case's Input: checked, sent, signed, and its reply compared with the
/// example.
macro_rules! huawei_case {
    ($test:ident, $spec:literal, $op:literal, $client:ident, $input:ty, $method:ident) => {
        #[tokio::test]
        async fn $test() {
            let case = case($spec, $op);
            let input: $input = case.input();
            assert_eq!(input.check(), Ok(()), "the examples of {} break a rule", $op);
            let server = case.server(true).await;
            let client = huaweicloud_dbops::$client::new(hw_config(&server)).unwrap();
            let reply = client.$method().input(input).send().await.unwrap();
            case.check_reply(&reply);
            assert_eq!(server.requests().len(), 1);
            // Each parameter the spec requires, left out, is refused by name before anything is sent.
            assert!(!case.required.is_empty(), "{} requires nothing", $op);
            for (name, rule) in &case.required {
                let input: $input = case.input_without(name);
                let err = client.$method().input(input).send().await.unwrap_err();
                let huaweicloud_dbops::Error::InvalidRequest(v) = &err else {
                    panic!("{} without {name}: {err}", $op)
                };
                assert_eq!(
                    (v.field.as_str(), v.rule.as_str()),
                    (name.as_str(), rule.as_str()),
                    "{}",
                    $op
                );
            }
            case.assert_rules_broken::<$input>($op, |input| input.check());
            assert_eq!(server.requests().len(), 1);
        }
    };
}

macro_rules! alibaba_case {
    ($test:ident, $op:literal, $input:ty, $method:ident) => {
        #[tokio::test]
        async fn $test() {
            let case = case("specs/alibabacloud/das.json", $op);
            let input: $input = case.input();
            assert_eq!(input.check(), Ok(()), "the examples of {} break a rule", $op);
            let server = case.server(false).await;
            let reply = ali_client(&server).$method().input(input).send().await.unwrap();
            case.check_reply(&reply);
            assert_eq!(server.requests().len(), 1);
            // Each parameter the spec requires, left out, is refused by name before anything is sent.
            assert!(!case.required.is_empty(), "{} requires nothing", $op);
            for (name, rule) in &case.required {
                let input: $input = case.input_without(name);
                let err = ali_client(&server)
                    .$method()
                    .input(input)
                    .send()
                    .await
                    .unwrap_err();
                let alibabacloud_dbops::Error::InvalidRequest(v) = &err else {
                    panic!("{} without {name}: {err}", $op)
                };
                assert_eq!(
                    (v.field.as_str(), v.rule.as_str()),
                    (name.as_str(), rule.as_str()),
                    "{}",
                    $op
                );
            }
            case.assert_rules_broken::<$input>($op, |input| input.check());
            assert_eq!(server.requests().len(), 1);
        }
    };
}

huawei_case!(
    register_db_user,
    "specs/huaweicloud/das.json",
    "RegisterDbUser",
    DasClient,
    huaweicloud_dbops::das::RegisterDbUserInput,
    register_db_user
);
huawei_case!(
    list_db_users,
    "specs/huaweicloud/das.json",
    "ListDbUsers",
    DasClient,
    huaweicloud_dbops::das::ListDbUsersInput,
    list_db_users
);
huawei_case!(
    list_processes,
    "specs/huaweicloud/das.json",
    "ListProcesses",
    DasClient,
    huaweicloud_dbops::das::ListProcessesInput,
    list_processes
);
huawei_case!(
    list_sessions,
    "specs/huaweicloud/dds.json",
    "ListSessions",
    DdsClient,
    huaweicloud_dbops::dds::ListSessionsInput,
    list_sessions
);
alibaba_case!(
    get_my_sql_all_session_async,
    "GetMySQLAllSessionAsync",
    alibabacloud_dbops::das::GetMySQLAllSessionAsyncInput,
    get_my_sql_all_session_async
);
alibaba_case!(
    get_kill_instance_session_task_result,
    "GetKillInstanceSessionTaskResult",
    alibabacloud_dbops::das::GetKillInstanceSessionTaskResultInput,
    get_kill_instance_session_task_result
);
alibaba_case!(
    create_kill_instance_session_task_with_maintain_user,
    "CreateKillInstanceSessionTaskWithMaintainUser",
    alibabacloud_dbops::das::CreateKillInstanceSessionTaskWithMaintainUserInput,
    create_kill_instance_session_task_with_maintain_user
);
alibaba_case!(
    get_redis_all_session,
    "GetRedisAllSession",
    alibabacloud_dbops::das::GetRedisAllSessionInput,
    get_redis_all_session
);
alibaba_case!(
    kill_instance_all_session,
    "KillInstanceAllSession",
    alibabacloud_dbops::das::KillInstanceAllSessionInput,
    kill_instance_all_session
);

/// The rules of an operation whose reply carries nothing to compare (its end-to-end tests are in
/// `huawei_e2e.rs` and `alibaba_e2e.rs`): the examples pass, each required parameter left out and each
/// rule broken is refused by name.
macro_rules! rules_case {
    ($test:ident, $spec:literal, $op:literal, $input:ty) => {
        #[test]
        fn $test() {
            let case = case($spec, $op);
            let input: $input = case.input();
            assert_eq!(input.check(), Ok(()), "the examples of {} break a rule", $op);
            assert!(!case.required.is_empty(), "{} requires nothing", $op);
            for (name, rule) in &case.required {
                let v = case.input_without::<$input>(name).check().unwrap_err();
                assert_eq!(
                    (v.field.as_str(), v.rule.as_str()),
                    (name.as_str(), rule.as_str()),
                    "{}",
                    $op
                );
            }
            case.assert_rules_broken::<$input>($op, |input| input.check());
        }
    };
}

rules_case!(
    delete_process_rules,
    "specs/huaweicloud/das.json",
    "DeleteProcess",
    huaweicloud_dbops::das::DeleteProcessInput
);
rules_case!(
    delete_session_rules,
    "specs/huaweicloud/dds.json",
    "DeleteSession",
    huaweicloud_dbops::dds::DeleteSessionInput
);
