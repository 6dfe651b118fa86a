//! The instance ids the emulator answers for, and which sessions of the real server each one sees.

/// The project every Huawei request names.
pub const HUAWEI_PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// The Huawei DAS instance that sees the whole MariaDB server.
pub const HUAWEI_MAIN: &str = "5a4dbf0e4d1e4e8c9e2f3a4b5c6d7e8fin01";
/// The Alibaba MySQL instance that sees the whole MariaDB server.
pub const ALIBABA_MYSQL_MAIN: &str = "rm-sandbox";
/// The Alibaba Redis instance that sees the whole Redis server.
pub const ALIBABA_REDIS_MAIN: &str = "r-sandbox";

/// The `k`-th Huawei DAS instance of the fleet (0-based).
pub fn huawei_fleet(k: usize) -> String {
    format!("f1ee7{k:027}in01")
}

/// The `k`-th Alibaba MySQL instance of the fleet.
pub fn alibaba_mysql_fleet(k: usize) -> String {
    format!("rm-fleet{k:02}")
}

/// The `k`-th Alibaba Redis instance of the fleet.
pub fn alibaba_redis_fleet(k: usize) -> String {
    format!("r-fleet{k:02}")
}

/// Which server an instance id is in front of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    HuaweiMysql,
    AlibabaMysql,
    AlibabaRedis,
}

/// The sessions of the server an instance sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every session.
    All,
    /// The sessions whose id leaves `k` when divided by `of`: instance `k` of a fleet of `of`.
    Share { k: u64, of: u64 },
}

impl View {
    /// Whether the session (thread or client) `id` belongs to this instance.
    pub fn holds(&self, id: u64) -> bool {
        match *self {
            View::All => true,
            View::Share { k, of } => id % of == k,
        }
    }
}

/// What `id` names for a service of `kind`, with a fleet of `fleet` instances: `None` for an
/// instance that does not exist.
pub fn view(kind: Kind, id: &str, fleet: usize) -> Option<View> {
    let (main, nth): (&str, fn(usize) -> String) = match kind {
        Kind::HuaweiMysql => (HUAWEI_MAIN, huawei_fleet),
        Kind::AlibabaMysql => (ALIBABA_MYSQL_MAIN, alibaba_mysql_fleet),
        Kind::AlibabaRedis => (ALIBABA_REDIS_MAIN, alibaba_redis_fleet),
    };
    if id == main {
        return Some(View::All);
    }
    (0..fleet).find(|&k| nth(k) == id).map(|k| View::Share {
        k: k as u64,
        of: fleet as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_deals_out_every_session_to_exactly_one_instance() {
        let views: Vec<View> = (0..7)
            .map(|k| view(Kind::AlibabaMysql, &alibaba_mysql_fleet(k), 7).unwrap())
            .collect();
        for id in 0..100u64 {
            assert_eq!(views.iter().filter(|v| v.holds(id)).count(), 1, "session {id}");
        }
        assert_eq!(view(Kind::AlibabaMysql, ALIBABA_MYSQL_MAIN, 7), Some(View::All));
        assert_eq!(view(Kind::AlibabaMysql, &alibaba_mysql_fleet(7), 7), None);
        assert_eq!(view(Kind::AlibabaRedis, ALIBABA_MYSQL_MAIN, 7), None);
    }

    #[test]
    fn huawei_ids_fit_the_spec_pattern() {
        for id in [HUAWEI_MAIN.to_string(), huawei_fleet(0), huawei_fleet(49)] {
            assert_eq!(id.len(), 36, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
        assert_eq!(HUAWEI_PROJECT.len(), 32);
    }
}
