//! The real processes a chaos run kills and restarts: a PostgreSQL cluster and a Redis
//! of its own (so restarting them disturbs nothing else on the machine), the
//! simulators, and the gateway.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

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

/// A free port on loopback.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// PostgreSQL refuses to run as root: as root, its tools run as `postgres`.
fn pg_command(tool: &str) -> Command {
    let path = format!("{PG_BIN}/{tool}");
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        Command::new(path)
    }
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn log_file(dir: &Path, name: &str) -> Result<std::fs::File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .map_err(|e| e.to_string())
}

/// A PostgreSQL cluster in a directory of its own.
pub struct Postgres {
    data: PathBuf,
    pub port: u16,
}

impl Postgres {
    pub fn create(dir: &Path) -> Result<Self, String> {
        let data = dir.join("pg");
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres:postgres"]).arg(dir);
                    c
                },
                "chown",
            )?;
        }
        let mut init = pg_command("initdb");
        init.args([
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "-D",
        ])
        .arg(&data);
        run(init, "initdb")?;
        let pg = Self {
            data,
            port: free_port()?,
        };
        pg.start()?;
        Ok(pg)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn start(&self) -> Result<(), String> {
        let mut c = pg_command("pg_ctl");
        c.arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("server.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                self.port,
                self.data.display()
            ))
            .args(["-w", "start"]);
        run(c, "pg_ctl start")
    }

    /// Stops the server the fast way (every connection cut), as a crash or a failover
    /// looks to the gateway.
    pub fn stop(&self) -> Result<(), String> {
        let mut c = pg_command("pg_ctl");
        c.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"]);
        run(c, "pg_ctl stop")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A Redis server that keeps nothing on disk, like the machine's own.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

impl Redis {
    pub fn start(dir: &Path) -> Result<Self, String> {
        let mut redis = Self {
            child: None,
            port: free_port()?,
        };
        redis.spawn(dir)?;
        Ok(redis)
    }

    fn spawn(&mut self, dir: &Path) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--port", &self.port.to_string()])
            .stdout(Stdio::from(log_file(dir, "redis.log")?))
            .stderr(Stdio::from(log_file(dir, "redis.log")?))
            .spawn()
            .map_err(|e| format!("redis-server: {e}"))?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10))
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills Redis (everything it held is gone) and starts it again, empty.
    pub fn restart(&mut self, dir: &Path) -> Result<(), String> {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.spawn(dir)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn wait_for_port(port: u16, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listens on port {port}"))
}

/// A program run as a child with a fixed environment, killed and restarted at will.
pub struct Process {
    binary: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    pub fn new(binary: &Path, args: &[&str], env: &[(String, String)], log: PathBuf) -> Self {
        Self {
            binary: binary.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env.to_vec(),
            log,
            child: None,
        }
    }

    pub fn start(&mut self) -> Result<(), String> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.binary)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(log.try_clone().map_err(|e| e.to_string())?))
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL: no shutdown, no flush, nothing finished.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
