//! The vendor docs' example requests and responses, read from the specs (which carry them as
//! examples), parse into the generated types (responses serialize back to equivalent JSON), and the
//! example requests pass the local rules the runtime checks before sending.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

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

/// Parses `example` as `T` (an operation's Input, which is read but never written as JSON).
fn parse<T: DeserializeOwned>(example: &Value) -> T {
    serde_json::from_value(example.clone()).unwrap_or_else(|e| panic!("{example} does not parse: {e}"))
}

/// The example of the operation's path parameter `name`.
fn path_example<'a>(op: &'a Value, name: &str) -> &'a str {
    op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["in"] == "path" && p["name"] == name)
        .and_then(|p| p["example"].as_str())
        .unwrap_or_else(|| panic!("no example of path parameter {name}"))
}

#[test]
fn huawei_das_delete_process_example_request() {
    use huaweicloud_dbops::das::{DeleteProcessInput, types};
    let spec = spec("specs/huaweicloud/das.json");
    let op = &spec["paths"]["/v3/{project_id}/instances/{instance_id}/process"]["delete"];
    let example = &op["requestBody"]["content"]["application/json"]["example"];
    let body: types::DeleteProcessReqBody = round_trip(example);
    assert_eq!(body.process_ids, ["11212", "3423222"]);
    let input: DeleteProcessInput = parse(example);
    assert_eq!(input.process_ids, ["11212", "3423222"]);
    assert_eq!(input.user.as_deref(), Some("aaa"));
    let instance_id = path_example(op, "instance_id");
    assert_eq!(instance_id, "da304cd5bbb944de828759bc7be3d3fein01");
    let input = input.instance_id(instance_id);
    assert_eq!(input.check(), Ok(()), "the doc example of DeleteProcess breaks a rule");
}

#[test]
fn huawei_dds_delete_session_example_request_and_response() {
    use huaweicloud_dbops::dds::{DeleteSessionInput, types};
    let spec = spec("specs/huaweicloud/dds.json");
    let op = &spec["paths"]["/v3/{project_id}/nodes/{node_id}/session"]["post"];
    let example = &op["requestBody"]["content"]["application/json"]["example"];
    let body: types::DeleteSessionRequestBody = round_trip(example);
    assert_eq!(body.sessions, ["34631", "34703"]);
    let input: DeleteSessionInput = parse(example);
    assert_eq!(input.sessions, ["34631", "34703"]);
    let input = input.node_id(path_example(op, "node_id"));
    assert_eq!(input.check(), Ok(()), "the doc example of DeleteSession breaks a rule");
    // The documented response is an empty object.
    let response = &op["responses"]["200"]["content"]["application/json"]["example"];
    let parsed: Map<String, Value> = round_trip(response);
    assert!(parsed.is_empty());
}

/// An RPC action's parameter examples by name, as the doc gives them: a query string's values, list
/// parameters as JSON-array text, parsed here into arrays (the Rust API takes lists).
fn rpc_examples(op: &Value) -> Map<String, Value> {
    let mut params = Map::new();
    for p in op["parameters"].as_array().unwrap() {
        let Some(example) = p.get("example") else { continue };
        let value = match (example, p["schema"].get("x-json-array-text")) {
            (Value::String(text), Some(_)) => serde_json::from_str(text).unwrap(),
            _ => example.clone(),
        };
        params.insert(p["name"].as_str().unwrap().to_string(), value);
    }
    params
}

/// A string example.
fn text(params: &Map<String, Value>, name: &str) -> String {
    params[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not text"))
        .to_string()
}

/// A list example (already parsed from its JSON-array text).
fn list<T: DeserializeOwned>(params: &Map<String, Value>, name: &str) -> Vec<T> {
    parse(&params[name])
}

#[tokio::test]
async fn alibaba_create_kill_instance_session_task_examples() {
    use alibabacloud_dbops::das::{CreateKillInstanceSessionTaskInput, types};
    use alibabacloud_dbops::{ClientConfig, Credentials, DasClient};
    let spec = spec("specs/alibabacloud/das.json");
    let op = &spec["paths"]["/CreateKillInstanceSessionTask"]["post"];
    let params = rpc_examples(op);
    assert_eq!(params.len(), 7, "every parameter is set below: {params:?}");
    let input = CreateKillInstanceSessionTaskInput::default()
        .instance_id(text(&params, "InstanceId"))
        .node_id(text(&params, "NodeId"))
        .db_user(text(&params, "DbUser"))
        .db_user_password(text(&params, "DbUserPassword"))
        .ignored_users(list::<String>(&params, "IgnoredUsers"))
        .kill_all_sessions(params["KillAllSessions"].as_bool().unwrap())
        .session_ids(list::<u64>(&params, "SessionIds"));
    assert_eq!(
        input.session_ids,
        [10805639, 10805623, 10805645, 10805553, 10805566, 10805616]
    );
    assert_eq!(input.ignored_users, ["db_user1", "db_user2"]);
    assert_eq!(
        input.db_user_password.as_ref().map(|p| p.expose()),
        Some("testPassword")
    );
    // The doc gives one example per parameter, not one request: its KillAllSessions example (`true`)
    // and its SessionIds example cannot go together, since the service then kills every session and
    // ignores the ids. Each example is valid in a request that can be sent.
    assert_eq!(params["KillAllSessions"], json!(true));
    let refused = input.check().unwrap_err();
    assert_eq!(
        (refused.field(), refused.rule()),
        (
            "SessionIds",
            "must be left out when KillAllSessions is true: the service then kills every session and ignores the ids"
        )
    );
    assert_eq!(
        input.clone().kill_all_sessions(false).check(),
        Ok(()),
        "the doc examples of CreateKillInstanceSessionTask break a rule"
    );
    let all = input.clone().session_ids([]);
    assert_eq!(
        all.check(),
        Ok(()),
        "KillAllSessions with the other examples breaks a rule"
    );
    let input = input.kill_all_sessions(false);
    // On the wire each list becomes the JSON-array text the doc describes.
    let das = DasClient::new(ClientConfig::new(Credentials::new("id", "secret"))).unwrap();
    let dry = das
        .create_kill_instance_session_task()
        .input(input)
        .dry_run()
        .await
        .unwrap();
    let url = reqwest::Url::parse(&dry.url).unwrap();
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    assert_eq!(
        get("SessionIds").as_deref(),
        Some("[10805639,10805623,10805645,10805553,10805566,10805616]")
    );
    assert_eq!(get("IgnoredUsers").as_deref(), Some(r#"["db_user1","db_user2"]"#));
    assert_eq!(get("KillAllSessions").as_deref(), Some("false"));

    let response = &op["responses"]["200"]["content"]["application/json"]["example"];
    let reply: types::CreateKillInstanceSessionTaskResponse = round_trip(response);
    assert_eq!((reply.code, reply.success), (Some(200), Some(true)));
    assert_eq!(
        serde_json::to_value(&reply.data).unwrap(),
        json!("f77d535b45405bd462b21caa3ee8****")
    );
}

#[test]
fn alibaba_kill_instance_all_session_examples() {
    use alibabacloud_dbops::das::{KillInstanceAllSessionInput, types};
    let spec = spec("specs/alibabacloud/das.json");
    let op = &spec["paths"]["/KillInstanceAllSession"]["post"];
    let params = rpc_examples(op);
    assert_eq!(params.len(), 1, "every parameter is set below: {params:?}");
    let input = KillInstanceAllSessionInput::default().instance_id(text(&params, "InstanceId"));
    assert_eq!(input.instance_id.as_deref(), Some("r-8vbcyr4sw0c4yc****"));
    assert_eq!(
        input.check(),
        Ok(()),
        "the doc example of KillInstanceAllSession breaks a rule"
    );
    let response = &op["responses"]["200"]["content"]["application/json"]["example"];
    let reply: types::KillInstanceAllSessionResponse = round_trip(response);
    assert_eq!(
        (reply.code.as_deref(), reply.success.as_deref()),
        (Some("200"), Some("true"))
    );
}
