//! `dbops-sandbox`: MariaDB and Redis from the system's packages, and the DAS emulator in front of
//! them, on loopback; prints the endpoint and credentials as `export` lines and runs until Ctrl-C,
//! SIGTERM or the exit of the process that started it. `cargo xtask sandbox` runs it.
//!
//! ```text
//! dbops-sandbox [--dir DIR] [--port PORT] [--fleet N] [--rate PER_SECOND] [--until-stdin-closes]
//! ```
//!
//! `--until-stdin-closes` also stops it when its standard input ends (how `cargo xtask test-real` stops
//! the sandbox it started).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dbops_sandbox::emulator::{Backends, Emulator, Keys, Settings};
use dbops_sandbox::servers::{self, ADMIN_USER, KILL_USER};
use dbops_sandbox::{ids, random_text};

const USAGE: &str =
    "usage: dbops-sandbox [--dir DIR] [--port PORT] [--fleet N] [--rate PER_SECOND] [--until-stdin-closes]";

struct Args {
    dir: PathBuf,
    port: u16,
    fleet: usize,
    rate: u32,
    until_stdin_closes: bool,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        dir: std::env::temp_dir().join("dbops-sandbox"),
        port: 0,
        fleet: 50,
        rate: 0,
        until_stdin_closes: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{flag}: `{v}` is not a number"));
        match flag.as_str() {
            "--dir" => out.dir = PathBuf::from(value()?),
            "--port" => out.port = u16::try_from(number(value()?)?).map_err(|_| "--port: at most 65535")?,
            "--fleet" => out.fleet = number(value()?)?.clamp(1, 1000) as usize,
            "--rate" => out.rate = u32::try_from(number(value()?)?).map_err(|_| "--rate: too large")?,
            "--until-stdin-closes" => out.until_stdin_closes = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // One scratch directory per run, removed when it stops.
    let dir = args.dir.join(format!("run-{}", std::process::id()));
    let servers = match servers::start(&dir).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            let _ = std::fs::remove_dir_all(&dir);
            return ExitCode::from(2);
        }
    };
    let keys = Keys {
        huawei_ak: format!("SANDBOX{}", random_text(13).to_uppercase()),
        huawei_sk: random_text(40),
        alibaba_ak: format!("LTAI{}", random_text(16)),
        alibaba_secret: random_text(30),
    };
    let settings = Settings {
        keys: keys.clone(),
        backends: Backends {
            mysql_host: "127.0.0.1".into(),
            mysql_port: servers.mysql_port,
            admin_user: ADMIN_USER.into(),
            admin_password: servers.admin_password.clone(),
            redis_url: servers.redis_url(),
        },
        fleet: args.fleet,
        rate: args.rate,
    };
    let emulator = match Emulator::new(settings).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            servers.stop().await;
            return ExitCode::from(2);
        }
    };
    let server = emulator.serve(args.port).await;
    let endpoint = server.url();
    println!(
        "# dbops sandbox: MariaDB {} on 127.0.0.1:{}, Redis on 127.0.0.1:{}, the DAS emulator on {endpoint}",
        servers.mariadb_version, servers.mysql_port, servers.redis_port
    );
    println!("# throwaway credentials of this run; pass --endpoint \"$DBOPS_SANDBOX_ENDPOINT\" to dbops");
    let exports = [
        ("DBOPS_SANDBOX_ENDPOINT", endpoint.clone()),
        ("HUAWEICLOUD_SDK_AK", keys.huawei_ak),
        ("HUAWEICLOUD_SDK_SK", keys.huawei_sk),
        ("HUAWEICLOUD_SDK_PROJECT_ID", ids::HUAWEI_PROJECT.into()),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", keys.alibaba_ak),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", keys.alibaba_secret),
        ("DBOPS_DB_USER", KILL_USER.into()),
        ("DBOPS_DB_USER_PASSWORD", servers.kill_password.clone()),
        ("DBOPS_SANDBOX_HUAWEI_INSTANCE", ids::HUAWEI_MAIN.into()),
        ("DBOPS_SANDBOX_MYSQL_INSTANCE", ids::ALIBABA_MYSQL_MAIN.into()),
        ("DBOPS_SANDBOX_REDIS_INSTANCE", ids::ALIBABA_REDIS_MAIN.into()),
        ("DBOPS_SANDBOX_FLEET", args.fleet.to_string()),
        (
            "DBOPS_SANDBOX_MYSQL",
            servers.mysql_url(ADMIN_USER, &servers.admin_password),
        ),
        ("DBOPS_SANDBOX_MYSQL_PORT", servers.mysql_port.to_string()),
        ("DBOPS_SANDBOX_MYSQL_USER", ADMIN_USER.into()),
        ("DBOPS_SANDBOX_MYSQL_PASSWORD", servers.admin_password.clone()),
        ("DBOPS_SANDBOX_REDIS", servers.redis_url()),
    ];
    let lines: String = exports
        .iter()
        .map(|(name, value)| format!("export {name}='{value}'\n"))
        .collect();
    print!("{lines}");
    // The same lines for another shell to source, readable by this user only.
    let env_file = args.dir.join("env");
    let written = write_private(&env_file, &lines);
    if let Err(e) = &written {
        eprintln!("warning: {}: {e}", env_file.display());
    }
    println!(
        "# ready: `. {}` in another shell; Ctrl-C stops the servers and removes {}",
        env_file.display(),
        dir.display()
    );
    let parent = std::os::unix::process::parent_id();
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    // A closed terminal hangs up: stop as on Ctrl-C rather than die with the servers left running.
    let mut hangup = signal(SignalKind::hangup()).ok();
    let orphaned = async {
        while std::os::unix::process::parent_id() == parent {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let stdin_closed = async {
        if !args.until_stdin_closes {
            return std::future::pending().await;
        }
        use tokio::io::AsyncReadExt;
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = stdin_closed => {}
        _ = received(term.as_mut()) => {}
        _ = received(hangup.as_mut()) => {}
        () = orphaned => {}
    }
    drop(server);
    if written.is_ok() {
        let _ = std::fs::remove_file(&env_file);
    }
    servers.stop().await;
    eprintln!("sandbox stopped");
    ExitCode::SUCCESS
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// The next delivery of a signal being listened for (never, if it could not be listened for).
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}
