//! How a run ended, as its exit status tells it.

use std::process::ExitCode;

/// The end of a run, from best to worst; a fleet ends as its worst instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ended {
    /// Everything asked for was done: exit status 0.
    Done,
    /// The service or the network failed, or a session was not killed: 1.
    Failed,
    /// Bad input or settings, found before anything was sent: 2.
    NothingSent,
    /// A kill was sent, but its audit record could not be written: 3.
    AuditLost,
}

impl Ended {
    /// The exit status.
    pub fn code(self) -> ExitCode {
        ExitCode::from(match self {
            Ended::Done => 0,
            Ended::Failed => 1,
            Ended::NothingSent => 2,
            Ended::AuditLost => 3,
        })
    }
}
