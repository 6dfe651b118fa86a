//! The vendor docs' example requests and responses, read from the specs (which carry them as
//! examples), parse into the generated types, serialize back to equivalent JSON, and pass the local
//! rules the runtime checks before sending.

use std::path::Path;

use dbops_core::meta::{Fields, Operation, RequestView};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

fn spec(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Parses `example` as `T` and checks it serializes back to the same JSON.
fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> T {
    let typed: T = serde_json::from_value(example.clone()).unwrap_or_else(|e| panic!("{example} does not parse: {e}"));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), example);
    typed
}

/// The operation's path with its path parameters' examples filled in.
fn example_path(template: &str, op: &Value) -> String {
    let mut path = template.to_string();
    for p in op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "path")
    {
        path = path.replace(
            &format!("{{{}}}", p["name"].as_str().unwrap()),
            p["example"].as_str().unwrap(),
        );
    }
    path
}

fn check_rules(op: &Operation, path: &str, body: &dyn Fields) {
    let headers = reqwest::header::HeaderMap::new();
    op.validate(&RequestView {
        path,
        query: &[],
        headers: &headers,
        body: Some(body),
    })
    .unwrap_or_else(|v| panic!("the doc example of {} breaks a rule: {v}", op.name));
}

#[test]
fn huawei_das_delete_process_example_request() {
    use huaweicloud_dbops::das::{meta, types};
    let spec = spec("specs/huaweicloud/das.json");
    let template = "/v3/{project_id}/instances/{instance_id}/process";
    let op = &spec["paths"][template]["delete"];
    let example = &op["requestBody"]["content"]["application/json"]["example"];
    let body: types::DeleteProcessReqBody = round_trip(example);
    assert_eq!(body.process_ids, ["11212", "3423222"]);
    let path = example_path(template, op);
    assert_eq!(
        path,
        "/v3/054e292c9880d4992f02c0196d3ea468/instances/da304cd5bbb944de828759bc7be3d3fein01/process"
    );
    check_rules(&meta::DELETE_PROCESS, &path, &body);
}

#[test]
fn huawei_dds_delete_session_example_request_and_response() {
    use huaweicloud_dbops::dds::{meta, types};
    let spec = spec("specs/huaweicloud/dds.json");
    let template = "/v3/{project_id}/nodes/{node_id}/session";
    let op = &spec["paths"][template]["post"];
    let example = &op["requestBody"]["content"]["application/json"]["example"];
    let body: types::DeleteSessionRequestBody = round_trip(example);
    assert_eq!(body.sessions, ["34631", "34703"]);
    let path = example_path(template, op);
    check_rules(&meta::DELETE_SESSION, &path, &body);
    // The documented response is an empty object.
    let response = &op["responses"]["200"]["content"]["application/json"]["example"];
    let parsed: Map<String, Value> = round_trip(response);
    assert!(parsed.is_empty());
}

/// The request body an RPC action's parameter examples make, JSON-array text parsed into arrays (the
/// Rust API takes lists).
fn rpc_example_body(op: &Value) -> Value {
    let mut body = Map::new();
    for p in op["parameters"].as_array().unwrap() {
        let Some(example) = p.get("example") else { continue };
        let value = match (example, p["schema"].get("x-json-array-text")) {
            (Value::String(text), Some(_)) => serde_json::from_str(text).unwrap(),
            _ => example.clone(),
        };
        body.insert(p["name"].as_str().unwrap().to_string(), value);
    }
    Value::Object(body)
}

#[test]
fn alibaba_create_kill_instance_session_task_examples() {
    use alibabacloud_dbops::das::{meta, types};
    let spec = spec("specs/alibabacloud/das.json");
    let op = &spec["paths"]["/CreateKillInstanceSessionTask"]["post"];
    let body = rpc_example_body(op);
    let request: types::CreateKillInstanceSessionTaskRequest = round_trip(&body);
    assert_eq!(
        request.session_ids,
        [10805639, 10805623, 10805645, 10805553, 10805566, 10805616]
    );
    assert_eq!(request.ignored_users, ["db_user1", "db_user2"]);
    assert_eq!(request.db_user_password.expose(), "testPassword");
    check_rules(&meta::CREATE_KILL_INSTANCE_SESSION_TASK, "/", &request);
    // On the wire each list becomes the JSON-array text the doc describes.
    let params = alibabacloud_dbops::runtime::rpc_parameters(&request);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(
        get("SessionIds"),
        Some("[10805639,10805623,10805645,10805553,10805566,10805616]")
    );
    assert_eq!(get("IgnoredUsers"), Some(r#"["db_user1","db_user2"]"#));
    assert_eq!(get("KillAllSessions"), Some("true"));

    let response = &op["responses"]["200"]["content"]["application/json"]["example"];
    let reply: types::CreateKillInstanceSessionTaskResponse = round_trip(response);
    assert_eq!((reply.code, reply.success), (Some(200), Some(true)));
}

#[test]
fn alibaba_kill_instance_all_session_examples() {
    use alibabacloud_dbops::das::{meta, types};
    let spec = spec("specs/alibabacloud/das.json");
    let op = &spec["paths"]["/KillInstanceAllSession"]["post"];
    let body = rpc_example_body(op);
    let request: types::KillInstanceAllSessionRequest = round_trip(&body);
    assert_eq!(request.instance_id, "r-8vbcyr4sw0c4yc****");
    check_rules(&meta::KILL_INSTANCE_ALL_SESSION, "/", &request);
    let response = &op["responses"]["200"]["content"]["application/json"]["example"];
    let reply: types::KillInstanceAllSessionResponse = round_trip(response);
    assert_eq!(
        (reply.code.as_deref(), reply.success.as_deref()),
        (Some("200"), Some("true"))
    );
}
