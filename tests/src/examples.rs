//! Each operation's example reply, read from the specs: what the local gateway (and the sandbox, for
//! the services it has no real server for) answers with.

use std::path::Path;

use serde_json::Value;

use crate::RawRequest;

/// The example replies of one provider's specs.
#[derive(Debug, Clone)]
pub struct Examples {
    /// (method, path template or RPC action, reply)
    entries: Vec<(String, String, String)>,
}

impl Examples {
    /// Reads every spec of `specs/<provider>/` (`huaweicloud`, `alibabacloud`).
    pub fn load(provider: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs").join(provider);
        let mut entries = Vec::new();
        for file in std::fs::read_dir(dir)? {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(file?.path())?)?;
            for (path, item) in doc["paths"].as_object().into_iter().flatten() {
                for (method, op) in item.as_object().into_iter().flatten() {
                    let reply = op
                        .pointer("/responses/200/content/application~1json/example")
                        .map_or_else(|| "{}".to_string(), Value::to_string);
                    let key = op["x-acs-action"].as_str().map_or(path.clone(), str::to_string);
                    entries.push((method.to_uppercase(), key, reply));
                }
            }
        }
        Ok(Self { entries })
    }

    /// The example reply of the operation `req` calls: by method and path template (REST) or by
    /// `x-acs-action` (RPC).
    pub fn reply_for(&self, req: &RawRequest) -> Option<&str> {
        let action = req.header("x-acs-action");
        self.entries.iter().find_map(|(method, key, reply)| {
            let hit = match action {
                Some(action) => action == key,
                None => *method == req.method && fits(key, req.path()),
            };
            hit.then_some(reply.as_str())
        })
    }
}

/// Whether `path` fits `template` (`{name}` matches one segment).
pub fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}
