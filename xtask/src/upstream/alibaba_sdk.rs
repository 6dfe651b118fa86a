//! The official Alibaba Cloud Python SDK (`alibabacloud_das20200116` on PyPI) read as a definition:
//! the client file gives each action and where each parameter goes (`query[...]` or `body[...]`);
//! the model files give wire names (`to_map`), types (the `__init__` annotations) and which are
//! required ("This parameter is required." above the field).

use std::collections::BTreeMap;

use super::{Field, Op, Param};

/// A model class: wire name -> (type, required), from its source.
fn model(class_src: &str) -> BTreeMap<String, (String, bool)> {
    // `__init__(self, name: type = None, ...)`: the annotations.
    let mut types = BTreeMap::new();
    if let Some(init) = class_src.split("def __init__(").nth(1) {
        let args = init.split("):").next().unwrap_or_default();
        for arg in args.split(",\n") {
            let arg = arg.trim();
            if let Some((name, rest)) = arg.split_once(':') {
                let ty = rest.split('=').next().unwrap_or_default().trim();
                types.insert(name.trim().to_string(), py_type(ty));
            }
        }
    }
    // "This parameter is required." in the comment above `self.name = name`.
    let mut required = Vec::new();
    let mut pending = false;
    for line in class_src.lines() {
        let l = line.trim();
        if l.starts_with('#') {
            pending |= l.contains("This parameter is required.");
        } else if let Some(rest) = l.strip_prefix("self.") {
            if pending {
                required.push(rest.split('=').next().unwrap_or_default().trim().to_string());
            }
            pending = false;
        }
    }
    // `result['Wire'] = self.name` (or `self.name.to_map()`, or a list of them).
    let mut out = BTreeMap::new();
    let to_map = class_src
        .split("def to_map(self)")
        .nth(1)
        .and_then(|s| s.split("def from_map").next())
        .unwrap_or_default();
    let mut current: Option<String> = None;
    for line in to_map.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("if self.")
            && let Some(name) = rest.split(' ').next()
        {
            current = Some(name.to_string());
        }
        if let Some(rest) = l.strip_prefix("result['")
            && let (Some(wire), Some(name)) = (rest.split('\'').next(), current.as_ref())
            && !out.contains_key(wire)
        {
            let ty = types.get(name).cloned().unwrap_or_else(|| "any".into());
            out.insert(wire.to_string(), (ty, required.contains(name)));
        }
    }
    out
}

/// A Python annotation in one word, as the rest of the report writes types.
fn py_type(t: &str) -> String {
    let t = t.trim();
    if let Some(inner) = t.strip_prefix("List[").and_then(|r| r.strip_suffix(']')) {
        return format!("array<{}>", py_type(inner));
    }
    match t {
        "str" => "string".into(),
        "int" => "integer".into(),
        "bool" => "boolean".into(),
        "float" => "number".into(),
        t if t.starts_with("Dict[") || t.starts_with("main_models.") => "object".into(),
        _ => "any".into(),
    }
}

/// The source of class `name` among the model files' sources.
fn class<'a>(models: &'a [String], name: &str) -> Option<&'a str> {
    let head = format!("class {name}(");
    models.iter().find_map(|src| {
        let start = src.find(&head)?;
        let rest = &src[start + head.len()..];
        let end = rest.find("\nclass ").map_or(rest.len(), |e| e);
        Some(&rest[..end])
    })
}

/// Every action of the SDK: `client` is `client.py`, `models` the model files' sources.
pub fn read(client: &str, models: &[String]) -> BTreeMap<String, Op> {
    let mut ops = BTreeMap::new();
    for block in client.split("\n    def ").skip(1) {
        let Some((fn_name, body)) = block.split_once('(') else {
            continue;
        };
        if !fn_name.ends_with("_with_options") {
            continue;
        }
        let body = body.split("\n    async def ").next().unwrap_or_default();
        let quoted = |key: &str| {
            body.split(&format!("{key} = '"))
                .nth(1)
                .and_then(|r| r.split('\'').next())
                .map(str::to_string)
        };
        let Some(action) = quoted("action") else { continue };
        // The request model the parameters are read from (the "shrink" one when the SDK makes one).
        let request = body
            .split("main_models.")
            .skip(1)
            .filter_map(|s| s.split(|c: char| !c.is_alphanumeric() && c != '_').next())
            .filter(|n| n.ends_with("Request"))
            .fold(None::<&str>, |found, n| {
                if n.ends_with("ShrinkRequest") || found.is_none() {
                    Some(n)
                } else {
                    found
                }
            });
        let fields = request.and_then(|r| class(models, r)).map(model).unwrap_or_default();
        let mut op = Op {
            method: quoted("method").unwrap_or_default(),
            path: format!("/{action}"),
            ..Op::default()
        };
        for location in ["query", "body"] {
            for part in body.split(&format!("{location}['")).skip(1) {
                let Some(wire) = part.split('\'').next() else { continue };
                let (ty, required) = fields.get(wire).cloned().unwrap_or_else(|| ("any".into(), false));
                op.params.insert(
                    wire.to_string(),
                    Param {
                        location: location.into(),
                        ty,
                        required: Some(required),
                        ..Param::default()
                    },
                );
            }
        }
        if let Some(reply) = class(models, &format!("{action}ResponseBody")) {
            for (wire, (ty, _)) in model(reply) {
                op.reply.insert(wire, Field { ty, ..Field::default() });
            }
        }
        ops.insert(action, op);
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "
class Client(OpenApiClient):
    def kill_all_with_options(
        self,
        request: main_models.KillAllRequest,
        runtime: RuntimeOptions,
    ) -> main_models.KillAllResponse:
        request.validate()
        query = {}
        if not DaraCore.is_null(request.instance_id):
            query['InstanceId'] = request.instance_id
        body = {}
        if not DaraCore.is_null(request.session_ids):
            body['SessionIds'] = request.session_ids
        params = open_api_util_models.Params(
            action = 'KillAll',
            version = '2020-01-16',
            pathname = '/',
            method = 'POST',
        )

    async def kill_all_with_options_async(
        self,
    ):
        pass
";

    const MODELS: &str = "
class KillAllRequest(DaraModel):
    def __init__(
        self,
        instance_id: str = None,
        session_ids: List[int] = None,
    ):
        # The instance.
        # 
        # This parameter is required.
        self.instance_id = instance_id
        # The sessions.
        self.session_ids = session_ids

    def to_map(self):
        result = dict()
        if self.instance_id is not None:
            result['InstanceId'] = self.instance_id

        if self.session_ids is not None:
            result['SessionIds'] = self.session_ids

        return result

    def from_map(self, m: dict = None):
        return self

class KillAllResponseBody(DaraModel):
    def __init__(
        self,
        code: int = None,
        data: main_models.KillAllResponseBodyData = None,
    ):
        self.code = code
        self.data = data

    def to_map(self):
        result = dict()
        if self.code is not None:
            result['Code'] = self.code

        if self.data is not None:
            result['Data'] = self.data.to_map()

        return result

    def from_map(self, m: dict = None):
        return self
";

    #[test]
    fn actions_parameters_their_place_type_and_required_flag_and_reply_fields_are_read() {
        let ops = read(CLIENT, &[MODELS.to_string()]);
        let op = &ops["KillAll"];
        assert_eq!((op.method.as_str(), op.path.as_str()), ("POST", "/KillAll"));
        let id = &op.params["InstanceId"];
        assert_eq!(
            (id.location.as_str(), id.ty.as_str(), id.required),
            ("query", "string", Some(true))
        );
        let ids = &op.params["SessionIds"];
        assert_eq!(
            (ids.location.as_str(), ids.ty.as_str(), ids.required),
            ("body", "array<integer>", Some(false))
        );
        assert_eq!(op.reply["Code"].ty, "integer");
        assert_eq!(op.reply["Data"].ty, "object");
        assert_eq!(ops.len(), 1, "the async twin is not another action");
    }
}
