//! The audit log of `sessions kill --audit FILE`: one JSON line per kill, appended. The file is opened
//! before anything is killed, so that a path that cannot be appended to stops the run while nothing has
//! been sent; a record that still cannot be written after a kill is reported with the kill's outcome.

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use dbops_core::Error;
use serde_json::Value;

/// An audit log open for appending, shared by every instance of a run.
#[derive(Debug)]
pub struct AuditLog {
    path: String,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (or creates) `path` for appending; an error names the path and what is wrong with it.
    pub fn open(path: &str) -> Result<Self, Error> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::Config(format!("--audit {path}: cannot append to it ({e}); nothing was killed")))?;
        Ok(Self {
            path: path.to_string(),
            file: Mutex::new(file),
        })
    }

    /// Appends `entry` as one line and flushes it to the file.
    pub fn record(&self, entry: &Value) -> Result<(), String> {
        let mut line = entry.to_string();
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("--audit {}: the record was not written ({e})", self.path))
    }
}
