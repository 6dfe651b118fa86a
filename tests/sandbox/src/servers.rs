//! MariaDB and Redis from the system's packages, started in a scratch directory on free loopback
//! ports: no system service, no configuration outside the directory, stopped with the sandbox.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::random_text;

/// What to install when a server program is missing.
pub const INSTALL: &str = "apt-get install mariadb-server redis-server";

/// The path of program `name` (or of the first of its other names found), looked up on `PATH` and in
/// the system directories that hold servers.
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/usr/bin"].map(PathBuf::from))
        .collect();
    names
        .iter()
        .find_map(|name| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()))
}

fn need(names: &[&str]) -> Result<PathBuf, String> {
    find(names).ok_or_else(|| format!("`{}` is not installed: {INSTALL}", names[0]))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// The account the emulator works as (every privilege) and the one it hands to the operator to
/// kill with (`PROCESS` and `CONNECTION ADMIN`: it sees and kills every session, and owns nothing).
pub const ADMIN_USER: &str = "das_admin";
pub const KILL_USER: &str = "dbops_kill";

/// The running servers; dropping them stops both.
pub struct Servers {
    pub dir: PathBuf,
    pub mysql_port: u16,
    pub admin_password: String,
    pub kill_password: String,
    pub redis_port: u16,
    pub redis_password: String,
    pub mariadb_version: String,
    children: Vec<Child>,
}

impl Servers {
    /// `redis://:password@127.0.0.1:port/`
    pub fn redis_url(&self) -> String {
        format!("redis://:{}@127.0.0.1:{}/", self.redis_password, self.redis_port)
    }

    /// `mysql://user:password@127.0.0.1:port/`
    pub fn mysql_url(&self, user: &str, password: &str) -> String {
        format!("mysql://{user}:{password}@127.0.0.1:{}/", self.mysql_port)
    }

    /// Stops both servers and waits for them.
    pub async fn stop(mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
        }
        for child in &mut self.children {
            let _ = child.wait().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether this process runs as root (MariaDB then needs `--user=root` to agree to it).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Starts MariaDB and Redis under `dir` (created; removed by [`Servers::stop`]).
pub async fn start(dir: &Path) -> Result<Servers, String> {
    let install_db = need(&["mariadb-install-db", "mysql_install_db"])?;
    let mariadbd = need(&["mariadbd", "mysqld"])?;
    let redis_server = need(&["redis-server"])?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let data = dir.join("mariadb");
    let mut user_flag = Vec::new();
    if is_root() {
        user_flag.push("--user=root".to_string());
    }

    let out = Command::new(&install_db)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        .args(&user_flag)
        .output()
        .await
        .map_err(|e| format!("{}: {e}", install_db.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            install_db.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let admin_password = random_text(24);
    let kill_password = random_text(24);
    let init = dir.join("init.sql");
    std::fs::write(
        &init,
        format!(
            "DELETE FROM mysql.global_priv WHERE User = '';\n\
             FLUSH PRIVILEGES;\n\
             CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'%' IDENTIFIED BY '{admin_password}';\n\
             GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'%' WITH GRANT OPTION;\n\
             CREATE USER IF NOT EXISTS '{KILL_USER}'@'%' IDENTIFIED BY '{kill_password}';\n\
             GRANT PROCESS, CONNECTION ADMIN ON *.* TO '{KILL_USER}'@'%';\n"
        ),
    )
    .map_err(|e| format!("{}: {e}", init.display()))?;
    let mysql_port = free_port()?;
    let error_log = dir.join("mariadb.err");
    let mut children = Vec::new();
    let mariadb = Command::new(&mariadbd)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", dir.join("mariadb.sock").display()))
        .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
        .arg(format!("--log-error={}", error_log.display()))
        .arg(format!("--init-file={}", init.display()))
        .arg(format!("--port={mysql_port}"))
        .args([
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M",
            "--max-connections=1000",
        ])
        .args(&user_flag)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", mariadbd.display()))?;
    children.push(mariadb);

    let redis_port = free_port()?;
    let redis_password = random_text(24);
    let redis = Command::new(&redis_server)
        .args([
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ])
        .arg("--port")
        .arg(redis_port.to_string())
        .arg("--requirepass")
        .arg(&redis_password)
        .arg("--dir")
        .arg(&dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", redis_server.display()))?;
    children.push(redis);

    let mut servers = Servers {
        dir: dir.clone(),
        mysql_port,
        admin_password,
        kill_password,
        redis_port,
        redis_password,
        mariadb_version: String::new(),
        children,
    };
    // Ready when both answer (MariaDB's first start takes a few seconds).
    let deadline = Instant::now() + Duration::from_secs(60);
    let opts = crate::mysql::opts("127.0.0.1", mysql_port, ADMIN_USER, &servers.admin_password);
    loop {
        if let Ok(Some(status)) = servers.children[0].try_wait() {
            return Err(format!("MariaDB exited ({status}):\n{}", tail(&error_log)));
        }
        match mysql_async::Conn::new(opts.clone()).await {
            Ok(mut conn) => {
                use mysql_async::prelude::Queryable;
                servers.mariadb_version = conn
                    .query_first::<String, _>("SELECT VERSION()")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let _ = conn.disconnect().await;
                break;
            }
            Err(e) if Instant::now() > deadline => {
                return Err(format!("MariaDB did not answer in 60 s: {e}\n{}", tail(&error_log)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let client = redis::Client::open(servers.redis_url()).map_err(|e| e.to_string())?;
    loop {
        if let Ok(Some(status)) = servers.children[1].try_wait() {
            return Err(format!("Redis exited ({status}):\n{}", tail(&dir.join("redis.log"))));
        }
        match client.get_multiplexed_async_connection().await {
            Ok(_) => break,
            Err(e) if Instant::now() > deadline => return Err(format!("Redis did not answer in 60 s: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_server_program_says_what_to_install() {
        let e = super::need(&["dbops-no-such-server"]).unwrap_err();
        assert_eq!(
            e,
            "`dbops-no-such-server` is not installed: apt-get install mariadb-server redis-server"
        );
        assert!(
            super::find(&["dbops-no-such-server", "sh"]).is_some(),
            "the first of the names found"
        );
    }
}
