//! The sandbox: real MariaDB and Redis servers started from the system's packages in a scratch
//! directory, and in front of them a stateful emulator of the DAS services that checks every signature
//! as the vendors' gateways do and answers from the real servers' state.
//!
//! - Huawei Cloud DAS (MySQL): `RegisterDbUser` logs in with the account and keeps its connection;
//!   `ListDbUsers`; `ListProcesses` reads the real process list through that connection;
//!   `DeleteProcess` runs `KILL` through it.
//! - Alibaba Cloud DAS for MySQL: `GetMySQLAllSessionAsync` answers "not finished" first and then the
//!   real process list; `CreateKillInstanceSessionTask` (with the account given) and
//!   `…WithMaintainUser` (with the service's own account) start a task that runs the kills;
//!   `GetKillInstanceSessionTaskResult` reports each session's real outcome and `Reason`.
//! - Alibaba Cloud DAS for Redis: `GetRedisAllSession` from `CLIENT LIST`, `KillInstanceAllSession`
//!   by `CLIENT KILL` (sparing its own connection).
//! - Huawei Cloud DDS (MongoDB) answers from the spec's example replies: no MongoDB server is packaged
//!   here.
//!
//! Instance ids ([`ids`]): one "main" id per service sees the whole server; a fleet's ids each see a
//! share of its sessions, so that the instances of a fleet never hold the same session. A settable
//! rate limit answers over it with each vendor's throttling error.

pub mod emulator;
pub mod ids;
pub mod mysql;
pub mod redis_side;
pub mod servers;

/// A random text of `len` letters and digits (passwords and keys of a throwaway sandbox).
pub fn random_text(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric).take(len).collect()
}

/// A random text of `len` lowercase hex digits.
pub fn random_hex(len: usize) -> String {
    std::iter::repeat_with(|| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .take(len)
        .collect()
}

/// A random UUID (version 4 layout), as DAS gives database user ids.
pub fn random_uuid() -> String {
    let h = random_hex(32);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..])
}
