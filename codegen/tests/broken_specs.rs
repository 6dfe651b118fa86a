//! A bad spec gets an error naming the file and the JSON pointer, never a panic.

use std::path::Path;

use serde_json::{Value, json};

const FILE: &str = "specs/test/broken.json";

fn valid() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "v1"},
        "servers": [{"url": "https://t.example.com"}],
        "x-api-style": "huawei-rest",
        "paths": {
            "/v1/{id}/things": {
                "post": {
                    "operationId": "CreateThing",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "responses": {"200": {"description": "ok"}}
                }
            }
        },
        "components": {"schemas": {"Thing": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}}}
    })
}

fn with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = valid();
    edit(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

fn load_error(text: &str) -> String {
    match dbops_codegen::load_str(Path::new(FILE), text) {
        Ok(spec) => match dbops_codegen::prepare(&spec) {
            Ok(_) => panic!("the spec was accepted:\n{text}"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_valid_base_spec_loads_and_prepares() {
    let text = with(|_| {});
    let spec = dbops_codegen::load_str(Path::new(FILE), &text).unwrap();
    dbops_codegen::prepare(&spec).unwrap();
}

#[test]
fn broken_specs_are_reported_with_file_and_pointer() {
    let op = "/paths/~1v1~1{id}~1things/post";
    let cases: Vec<(&str, String, String)> = vec![
        (
            "malformed JSON",
            "{\"openapi\": \"3.0.3\", ".into(),
            format!("{FILE}: at #: malformed JSON: EOF while parsing a value at line 1 column 21"),
        ),
        (
            "malformed JSON deep inside",
            with(|_| {}).replacen("\"version\": \"v1\"", "\"version\": v1", 1),
            format!("{FILE}: at #/info/version: malformed JSON: expected value at line 19 column 16"),
        ),
        (
            "trailing garbage",
            format!("{} }}", with(|_| {})),
            format!("{FILE}: at #: malformed JSON: trailing characters at line 59 column 3"),
        ),
        (
            "OpenAPI 3.1",
            with(|v| v["openapi"] = json!("3.1.0")),
            format!("{FILE}: at #/openapi: OpenAPI version `3.1.0` is not supported: only 3.0.x is"),
        ),
        (
            "Swagger 2.0",
            with(|v| {
                v.as_object_mut().unwrap().remove("openapi");
                v["swagger"] = json!("2.0");
            }),
            format!("{FILE}: at #/openapi: missing the `openapi` version string (3.0.x required)"),
        ),
        (
            "missing operationId",
            with(|v| {
                v["paths"]["/v1/{id}/things"]["post"]
                    .as_object_mut()
                    .unwrap()
                    .remove("operationId");
            }),
            format!("{FILE}: at #{op}: the POST operation on `/v1/{{id}}/things` has no operationId"),
        ),
        (
            "duplicate operation",
            with(|v| {
                v["paths"]["/v2/things"] =
                    json!({"get": {"operationId": "CreateThing", "responses": {"200": {"description": "ok"}}}})
            }),
            format!(
                "{FILE}: at #/paths/~1v2~1things/get/operationId: duplicate operation `CreateThing` (same Rust name `create_thing` as the operation at #{op})"
            ),
        ),
        (
            "duplicate path key (JSON would silently keep one)",
            with(|_| {}).replacen("\"paths\": {", "\"paths\": {\n \"/v1/{id}/things\": {},", 1),
            format!("{FILE}: at #/paths: duplicate key `/v1/{{id}}/things` (JSON keeps only one of them)"),
        ),
        (
            "unknown extension",
            with(|v| v["paths"]["/v1/{id}/things"]["post"]["x-retry"] = json!(true)),
            format!(
                "{FILE}: at #{op}/x-retry: unknown extension `x-retry` (known: x-api-style, x-acs-action, x-iam-action, x-doc-choice, x-signing, x-upstream, x-region, x-secret, x-at-least-one-of, x-integer-text, x-from-credentials, x-absent-when, x-reply-outcome, x-pagination, x-wait, x-source, x-json-array-text)"
            ),
        ),
        (
            "dangling $ref",
            with(|v| {
                v["paths"]["/v1/{id}/things"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"] =
                    json!("#/components/schemas/Missing")
            }),
            format!(
                "{FILE}: at #{op}/requestBody/content/application~1json/schema/$ref: dangling `$ref`: `#/components/schemas/Missing` points at nothing"
            ),
        ),
        (
            "x-at-least-one-of naming no property",
            with(|v| v["components"]["schemas"]["Thing"]["x-at-least-one-of"] = json!(["a", "zz"])),
            format!(
                "{FILE}: at #/components/schemas/Thing/x-at-least-one-of: `x-at-least-one-of`: names `zz`, which is not a property of this schema"
            ),
        ),
        (
            "x-integer-text on a non-string",
            with(|v| {
                v["components"]["schemas"]["Thing"]["properties"]["a"] =
                    json!({"type": "integer", "x-integer-text": {"minimum": 0, "maximum": 1}})
            }),
            format!(
                "{FILE}: at #/components/schemas/Thing/properties/a/x-integer-text: `x-integer-text`: belongs on a schema of type string"
            ),
        ),
        (
            "unknown API style",
            with(|v| v["x-api-style"] = json!("soap")),
            format!("{FILE}: at #/x-api-style: unknown API style `soap` (known: huawei-rest, acs-rpc)"),
        ),
        (
            "RPC operation without its action",
            with(|v| {
                v["x-api-style"] = json!("acs-rpc");
                v["paths"] =
                    json!({"/Do": {"post": {"operationId": "Do", "responses": {"200": {"description": "ok"}}}}});
            }),
            format!("{FILE}: at #/paths/~1Do/post: an acs-rpc operation needs `x-acs-action`"),
        ),
        (
            "path parameter missing from the template",
            with(|v| v["paths"]["/v1/{id}/things"]["post"]["parameters"][0]["name"] = json!("other")),
            format!("{FILE}: at #{op}/parameters/0/name: path parameter does not appear in the path template"),
        ),
        (
            "no servers",
            with(|v| {
                v.as_object_mut().unwrap().remove("servers");
            }),
            format!("{FILE}: at #/servers: needs at least one server (the endpoint)"),
        ),
        (
            "request body that is not an object",
            with(|v| {
                v["paths"]["/v1/{id}/things"]["post"]["requestBody"]["content"]["application/json"]["schema"] =
                    json!({"type": "string"})
            }),
            format!("{FILE}: at #{op}/requestBody: a JSON request body must be an object schema"),
        ),
        (
            "request body field of a type the generator cannot write",
            with(|v| v["components"]["schemas"]["Thing"]["properties"]["b"] = json!({"type": "number"})),
            format!(
                "{FILE}: at #{op}/requestBody/properties/b: parameter `b` of type `number` is not supported: \
                 strings, booleans, integers and lists of them are"
            ),
        ),
        (
            "a pattern the regular expression engine refuses",
            with(|v| {
                v["components"]["schemas"]["Thing"]["properties"]["a"] = json!({"type": "string", "pattern": "^(a$"})
            }),
            format!(
                "{FILE}: at #{op}/requestBody/properties/a: pattern `^(a$` is not a valid ECMAScript regular \
                 expression: Unbalanced parenthesis"
            ),
        ),
        (
            "x-absent-when naming a parameter that is not a boolean",
            with(|v| {
                v["components"]["schemas"]["Thing"]["properties"]["a"]["x-absent-when"] =
                    json!({"param": "b", "value": true, "why": "w"})
            }),
            format!("{FILE}: at #{op}: `x-absent-when` of `a` names `b`, which is not a boolean parameter"),
        ),
        (
            "x-absent-when without its reason",
            with(|v| {
                v["components"]["schemas"]["Thing"]["properties"]["a"]["x-absent-when"] =
                    json!({"param": "b", "value": true})
            }),
            format!(
                "{FILE}: at #/components/schemas/Thing/properties/a/x-absent-when: `x-absent-when`: needs `param` \
                 (a string), `value` (true or false) and `why` (a string)"
            ),
        ),
        (
            "x-reply-outcome naming a missing property",
            with(|v| v["components"]["schemas"]["Thing"]["x-reply-outcome"] = json!({"success": "Ok"})),
            format!(
                "{FILE}: at #/components/schemas/Thing/x-reply-outcome: `x-reply-outcome`: `success` names `Ok`, \
                 which is not a property of this schema"
            ),
        ),
        (
            "x-upstream without its reason",
            with(|v| v["components"]["schemas"]["Thing"]["x-upstream"] = json!({"type": "string"})),
            format!(
                "{FILE}: at #/components/schemas/Thing/x-upstream: `x-upstream`: must be an object with `why`, the \
                 reason for the difference, besides the upstream values"
            ),
        ),
        (
            "a parameter name that shadows a builder method",
            with(|v| v["components"]["schemas"]["Thing"]["properties"]["send"] = json!({"type": "string"})),
            format!("{FILE}: at #{op}: parameter `send` gives the Rust name `send`, which is taken"),
        ),
    ];
    for (what, text, want) in cases {
        assert_eq!(load_error(&text), want, "{what}");
    }
}

#[test]
fn structurally_invalid_openapi_is_an_error_not_a_panic() {
    // A parameter without schema or content passes the extension checks but is not OpenAPI 3.0.
    let text = with(|v| {
        v["paths"]["/v1/{id}/things"]["post"]["parameters"][0] = json!({"name": "id", "in": "path", "required": true})
    });
    let err = load_error(&text);
    assert!(
        err.starts_with(&format!("{FILE}: at #: not a valid OpenAPI 3.0 document: ")),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err = dbops_codegen::load(Path::new("specs/nowhere/none.json")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("specs/nowhere/none.json: at #: cannot read the file: "),
        "{err}"
    );
}
