//! Provider-style transforms: from the faithful, hand-written spec to the document progenitor generates
//! the types, the reply decoding and the REST mock helpers from; plus the operation model
//! ([`crate::model`]) the generator writes builders, checks and wire forms from.
//!
//! What changes for progenitor, and why:
//! - Constraint keywords (`pattern`, `minLength`, `maxLength`, `minItems`, `maxItems`, `minimum`,
//!   `maximum`) and every `x-` extension are removed: the rules are generated as check functions over
//!   the typed inputs instead.
//! - `x-secret` schemas become a reference to `SecretString`, replaced by the runtime's masking type.
//! - Error responses (4xx/5xx) are removed: the runtime reads every non-success reply itself, so a
//!   malformed error body still yields the HTTP status, code and request id.
//! - A success response whose schema is an empty object (`{}`) carries no information: it is treated as
//!   having no body, so both `{}` and an empty reply succeed.
//! - `acs-rpc`: an operation's parameters are removed. Its builder and wire form (`POST /`, every
//!   parameter in the query) are the generator's; the pseudo path `/{Action}` only keeps the actions
//!   apart in the spec.

use serde_json::{Map, Value, json};

use crate::error::SpecError;
use crate::load::{ApiStyle, METHODS, Spec, resolve};
use crate::model::OpModel;

/// The transformed document and the operation facts.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub doc: Value,
    pub openapi: openapiv3::OpenAPI,
    pub operations: Vec<OpModel>,
    pub version: String,
    pub has_secrets: bool,
    /// The endpoint used when no region is chosen: the first server, variables at their defaults.
    pub default_endpoint: String,
    /// Region → endpoint, from the first server's `region` variable and the `x-region` servers.
    pub regions: Vec<(String, String)>,
}

const CONSTRAINTS: [&str; 7] = [
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
];

/// Applies the transforms for the spec's style.
pub fn prepare(spec: &Spec) -> Result<Prepared, SpecError> {
    let src = &spec.doc;
    let mut doc = src.clone();
    let mut has_secrets = false;
    let paths = src["paths"].as_object().expect("checked by load");
    for (path, item) in paths {
        for (method, _) in item
            .as_object()
            .expect("checked")
            .iter()
            .filter(|(k, _)| METHODS.contains(&k.as_str()))
        {
            let op_ptr = format!("{}/{method}", crate::error::push("/paths", path));
            let out_op = doc.pointer_mut(&op_ptr).expect("same document");
            if spec.style == ApiStyle::AcsRpc {
                out_op.as_object_mut().expect("object").remove("parameters");
            }
            // Keep success responses only; an empty-object success schema means "no body".
            if let Some(responses) = out_op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.retain(|code, _| code.starts_with('2'));
                for r in responses.values_mut() {
                    let empty = r
                        .pointer("/content/application~1json/schema")
                        .map(|s| resolve(src, s))
                        .is_some_and(|s| {
                            s.get("properties")
                                .and_then(Value::as_object)
                                .is_some_and(Map::is_empty)
                        });
                    if empty {
                        r.as_object_mut().expect("object").remove("content");
                    }
                }
            }
        }
    }
    strip(&mut doc, &mut has_secrets);
    if has_secrets {
        doc["components"]["schemas"]["SecretString"] =
            json!({"type": "string", "description": "A secret; shown masked in Debug output."});
    }
    let (default_endpoint, regions) = endpoints(spec)?;
    let openapi: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| SpecError::new(&spec.file, "", format!("not a valid OpenAPI 3.0 document: {e}")))?;
    let operations = crate::model::operations(spec)?;
    let version = src["info"]["version"].as_str().unwrap_or_default().into();
    Ok(Prepared {
        doc,
        openapi,
        operations,
        version,
        has_secrets,
        default_endpoint,
        regions,
    })
}

/// Reads the endpoints from `servers`: the first entry is the regional pattern (its variables at their
/// defaults give the default endpoint; its `region` enum lists the regions); entries with `x-region`
/// are exceptions to the pattern.
fn endpoints(spec: &Spec) -> Result<(String, Vec<(String, String)>), SpecError> {
    let servers = spec
        .doc
        .get("servers")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty());
    let servers =
        servers.ok_or_else(|| SpecError::new(&spec.file, "/servers", "needs at least one server (the endpoint)"))?;
    let url_of = |i: usize| {
        servers[i]
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| SpecError::new(&spec.file, format!("/servers/{i}/url"), "a server needs a `url` string"))
    };
    let pattern = url_of(0)?;
    let vars = servers[0].get("variables").and_then(Value::as_object);
    let mut default_endpoint = pattern.to_string();
    for (name, var) in vars.into_iter().flatten() {
        let default = var.get("default").and_then(Value::as_str).ok_or_else(|| {
            SpecError::new(
                &spec.file,
                format!("/servers/0/variables/{name}/default"),
                "a server variable needs a default",
            )
        })?;
        default_endpoint = default_endpoint.replace(&format!("{{{name}}}"), default);
    }
    let mut regions: Vec<(String, String)> = Vec::new();
    if let Some(list) = vars
        .and_then(|v| v.get("region"))
        .and_then(|r| r.get("enum"))
        .and_then(Value::as_array)
    {
        for r in list.iter().filter_map(Value::as_str) {
            regions.push((r.to_string(), pattern.replace("{region}", r)));
        }
    }
    for (i, server) in servers.iter().enumerate().skip(1) {
        let Some(region) = server.get("x-region").and_then(Value::as_str) else {
            continue;
        };
        let url = url_of(i)?.to_string();
        match regions.iter_mut().find(|(r, _)| r == region) {
            Some(entry) => entry.1 = url,
            None => regions.push((region.to_string(), url)),
        }
    }
    regions.sort();
    Ok((default_endpoint, regions))
}

/// Removes constraint keywords and `x-` extensions from schemas; turns `x-secret` schemas into a
/// `SecretString` reference.
fn strip(v: &mut Value, has_secrets: &mut bool) {
    match v {
        Value::Object(map) => {
            if map.get("x-secret").and_then(Value::as_bool) == Some(true) {
                map.clear();
                map.insert("$ref".into(), json!("#/components/schemas/SecretString"));
                *has_secrets = true;
                return;
            }
            let is_schema = map.contains_key("type") || map.contains_key("items") || map.contains_key("properties");
            map.retain(|k, _| !(k.starts_with("x-") || (is_schema && CONSTRAINTS.contains(&k.as_str()))));
            for (k, child) in map.iter_mut() {
                if k == "properties" || k == "schemas" || k == "paths" {
                    // Maps of names: recurse into each value without treating the map as a schema.
                    if let Value::Object(m) = child {
                        for c in m.values_mut() {
                            strip(c, has_secrets);
                        }
                    }
                } else {
                    strip(child, has_secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| strip(c, has_secrets)),
        _ => {}
    }
}
