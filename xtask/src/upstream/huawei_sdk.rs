//! The official Huawei Cloud Python SDKs (`huaweicloudsdkdas`, `huaweicloudsdkdds` on PyPI) read as
//! definitions: the client file gives each operation's method, path and where each parameter goes
//! (`path_params`, `query_params`, `header_params`, `body`); the model files give the types
//! (`openapi_types`) and wire names (`attribute_map`). The SDK does not say which parameters are
//! required, so this source has no opinion on that.

use std::collections::BTreeMap;

use super::{Field, Op, Param};

/// A model: attribute -> (wire name, SDK type).
type Model = BTreeMap<String, (String, String)>;

/// The `'key': 'value'` pairs of the dict literal `name = {…}` in `src`.
fn dict(src: &str, name: &str) -> Vec<(String, String)> {
    let Some(body) = src
        .split(&format!("{name} = {{"))
        .nth(1)
        .and_then(|r| r.split('}').next())
    else {
        return Vec::new();
    };
    body.lines()
        .filter_map(|l| {
            let mut parts = l.split('\'');
            let key = parts.nth(1)?;
            let value = parts.nth(1)?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// Every model class of the model files: class name -> model.
pub fn models(files: &[String]) -> BTreeMap<String, Model> {
    let mut out = BTreeMap::new();
    for src in files {
        for class in src.split("\nclass ").skip(1) {
            let name: String = class.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let types: BTreeMap<String, String> = dict(class, "openapi_types").into_iter().collect();
            let model = dict(class, "attribute_map")
                .into_iter()
                .map(|(attr, wire)| {
                    let ty = types.get(&attr).cloned().unwrap_or_default();
                    (attr, (wire, ty))
                })
                .collect();
            out.insert(name, model);
        }
    }
    out
}

/// An SDK type in one word.
fn sdk_type(t: &str, models: &BTreeMap<String, Model>) -> String {
    if let Some(inner) = t.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
        return format!("array<{}>", sdk_type(inner, models));
    }
    match t {
        "str" => "string".into(),
        "int" => "integer".into(),
        "bool" => "boolean".into(),
        "float" => "number".into(),
        t if models.contains_key(t) => "object".into(),
        _ => "any".into(),
    }
}

/// Every operation of a client file (`das_client.py`, `dds_client.py`).
pub fn read(client: &str, models: &BTreeMap<String, Model>) -> BTreeMap<String, Op> {
    let mut ops = BTreeMap::new();
    for block in client.split("\n    def _").skip(1) {
        if !block.contains("_http_info(cls, request)") {
            continue;
        }
        let quoted = |key: &str| {
            block
                .split(&format!("\"{key}\": \""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_string)
        };
        let (Some(method), Some(path), Some(response)) =
            (quoted("method"), quoted("resource_path"), quoted("response_type"))
        else {
            continue;
        };
        let Some(name) = response.strip_suffix("Response").map(str::to_string) else {
            continue;
        };
        let request = models.get(&format!("{name}Request"));
        let attr_type = |attr: &str| {
            request
                .and_then(|m| m.get(attr))
                .map_or_else(|| "any".to_string(), |(_, t)| sdk_type(t, models))
        };
        let mut op = Op {
            method,
            path: path.clone(),
            ..Op::default()
        };
        let param = |location: &str, ty: String| Param {
            location: location.into(),
            ty,
            required: None,
            ..Param::default()
        };
        // The client fills `project_id` from its credentials: it is a path parameter all the same.
        if path.contains("{project_id}") {
            op.params.insert("project_id".into(), param("path", "string".into()));
        }
        for (location, pattern) in [
            ("path", "path_params['"),
            ("query", "query_params.append(('"),
            ("header", "header_params['"),
        ] {
            for part in block.split(pattern).skip(1) {
                let Some(wire) = part.split('\'').next() else { continue };
                if wire == "Content-Type" {
                    continue;
                }
                let attr = part
                    .split("local_var_params['")
                    .nth(1)
                    .and_then(|r| r.split('\'').next());
                op.params.insert(
                    wire.into(),
                    param(location, attr.map_or_else(|| "any".into(), attr_type)),
                );
            }
        }
        if block.contains("body = local_var_params['body']") {
            let body = request.and_then(|m| m.get("body")).and_then(|(_, t)| models.get(t));
            for (wire, ty) in body.into_iter().flatten().map(|(_, v)| v) {
                op.params.insert(wire.clone(), param("body", sdk_type(ty, models)));
            }
        }
        for (wire, ty) in models.get(&response).into_iter().flatten().map(|(_, v)| v) {
            // Reply headers (`X-Request-Id`, …) are not fields of the body.
            if !wire.starts_with("X-") && !wire.starts_with("x-") {
                op.reply.insert(
                    wire.clone(),
                    Field {
                        ty: sdk_type(ty, models),
                        ..Field::default()
                    },
                );
            }
        }
        ops.insert(name, op);
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = r#"
class DasClient(Client):
    @classmethod
    def _delete_process_http_info(cls, request):
        http_info = {
            "method": "DELETE",
            "resource_path": "/v3/{project_id}/instances/{instance_id}/process",
            "request_type": request.__class__.__name__,
            "response_type": "DeleteProcessResponse"
            }
        path_params = {}
        if 'instance_id' in local_var_params:
            path_params['instance_id'] = local_var_params['instance_id']
        query_params = []
        if 'node_id' in local_var_params:
            query_params.append(('node_id', local_var_params['node_id']))
        header_params = {}
        if 'x_language' in local_var_params:
            header_params['X-Language'] = local_var_params['x_language']
        body = None
        if 'body' in local_var_params:
            body = local_var_params['body']
        header_params['Content-Type'] = http_utils.select_header_content_type(
"#;

    const MODELS: &str = "
class DeleteProcessRequest:
    openapi_types = {
        'instance_id': 'str',
        'node_id': 'int',
        'x_language': 'str',
        'body': 'DeleteProcessReqBody'
    }

    attribute_map = {
        'instance_id': 'instance_id',
        'node_id': 'node_id',
        'x_language': 'X-Language',
        'body': 'body'
    }

class DeleteProcessReqBody:
    openapi_types = {
        'db_user_id': 'str',
        'process_ids': 'list[str]'
    }

    attribute_map = {
        'db_user_id': 'db_user_id',
        'process_ids': 'process_ids'
    }

class DeleteProcessResponse:
    openapi_types = {
        'x_request_id': 'str',
        'killed': 'list[Proc]'
    }

    attribute_map = {
        'x_request_id': 'X-Request-Id',
        'killed': 'killed'
    }

class Proc:
    openapi_types = {
        'id': 'str'
    }

    attribute_map = {
        'id': 'id'
    }
";

    #[test]
    fn operations_their_parameters_places_and_types_and_reply_fields_are_read() {
        let models = models(&[MODELS.to_string()]);
        let ops = read(CLIENT, &models);
        let op = &ops["DeleteProcess"];
        assert_eq!(op.method, "DELETE");
        let place = |n: &str| (op.params[n].location.as_str(), op.params[n].ty.as_str());
        assert_eq!(place("project_id"), ("path", "string"));
        assert_eq!(place("instance_id"), ("path", "string"));
        assert_eq!(place("node_id"), ("query", "integer"));
        assert_eq!(place("X-Language"), ("header", "string"));
        assert_eq!(place("process_ids"), ("body", "array<string>"));
        assert!(!op.params.contains_key("Content-Type"));
        assert_eq!(op.params["db_user_id"].required, None, "the SDK does not say");
        assert_eq!(op.reply["killed"].ty, "array<object>");
        assert!(!op.reply.contains_key("X-Request-Id"), "a header is not a body field");
    }
}
