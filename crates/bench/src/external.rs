//! Load from another process: the real `switchboard` binary serving a seeded database, driven
//! by `wrk` (Debian's package), with the server's CPU time read from `/proc` — so neither the
//! load generator nor the measuring shares the server's process.

use anyhow::{Context, anyhow};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server binary beside this one (`cargo build --release -p switchboard`).
fn server_binary() -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name("switchboard");
    anyhow::ensure!(
        path.exists(),
        "{} is missing: cargo build --release -p switchboard",
        path.display()
    );
    Ok(path)
}

/// Where the server and the load generator run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both anywhere on the machine's cores (wrk with two threads): they compete for every core.
    Shared,
    /// The server on core 0, wrk (one thread) on core 1, by `taskset`: neither steals the
    /// other's core, so the figures are the server's and vary less from run to run. The
    /// database server (PostgreSQL) is not pinned.
    Pinned,
}

impl Placement {
    /// The placements this machine can run: pinned needs `taskset` and cores 0 and 1 allowed.
    pub fn available() -> Vec<Placement> {
        let allowed = |core: &str| {
            Command::new("taskset")
                .args(["-c", core, "true"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if allowed("0") && allowed("1") {
            vec![Placement::Shared, Placement::Pinned]
        } else {
            vec![Placement::Shared]
        }
    }

    /// `program` to run on the given core when pinned, else as itself.
    fn command(self, core: u8, program: impl AsRef<std::ffi::OsStr>) -> Command {
        match self {
            Placement::Shared => Command::new(program),
            Placement::Pinned => {
                let mut c = Command::new("taskset");
                c.args(["-c", &core.to_string()]).arg(program);
                c
            }
        }
    }
}

/// The real server, serving `database_url` on a free loopback port.
pub struct Server {
    child: Child,
    pub base: String,
    pub placement: Placement,
}

impl Server {
    pub async fn start(
        database_url: &str,
        dir: &std::path::Path,
        placement: Placement,
    ) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(dir.join("server.log"))?;
        // `taskset` execs the server, so the child's id is the server's.
        let child = placement
            .command(0, server_binary()?)
            .args(["--database-url", database_url, "--mail"])
            .arg(format!("file:{}", dir.join("server-mail.jsonl").display()))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting the server")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                return Ok(Server {
                    child,
                    base,
                    placement,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(anyhow!("the server did not answer within 10 s"))
    }

    /// The server's CPU time so far (user + system), from `/proc/PID/stat`.
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name (which is in parentheses): utime is the 14th field.
        let rest = &stat[stat.rfind(')').context("a stat line")? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = f[11].parse::<u64>()? + f[12].parse::<u64>()?;
        // Ticks of the kernel clock (getconf CLK_TCK; 100 Hz unless it says otherwise).
        let hz = clock_ticks();
        Ok(Duration::from_micros(ticks * 1_000_000 / hz))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// One wrk run's figures.
pub struct Run {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers that were not 2xx or 3xx.
    pub errors: u64,
    /// Server CPU per request.
    pub cpu_per_request: Duration,
}

/// `wrk` against `url` with these headers, `connections` connections, for `secs` seconds.
pub async fn wrk(
    server: &Server,
    url: &str,
    headers: &[String],
    connections: usize,
    secs: u64,
) -> anyhow::Result<Run> {
    let threads = match server.placement {
        Placement::Shared => "-t2",
        Placement::Pinned => "-t1",
    };
    let mut cmd = tokio::process::Command::from(server.placement.command(1, "wrk"));
    cmd.args([
        threads,
        &format!("-c{connections}"),
        &format!("-d{secs}s"),
        "--latency",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    cmd.arg(url);
    let cpu0 = server.cpu()?;
    let out = cmd
        .output()
        .await
        .context("running wrk (apt-get install wrk)")?;
    let cpu = server.cpu()? - cpu0;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(out.status.success(), "wrk failed: {text}");
    let line = |prefix: &str| -> Option<&str> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .map(|l| l[prefix.len()..].trim())
    };
    let per_second: f64 = line("Requests/sec:").context("wrk's rate")?.parse()?;
    let requests: u64 = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .context("wrk's count")?
        .parse()?;
    let errors = line("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Run {
        per_second,
        p50: duration(line("50%").context("p50")?)?,
        p99: duration(line("99%").context("p99")?)?,
        errors,
        cpu_per_request: cpu / requests.max(1) as u32,
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`.
fn duration(s: &str) -> anyhow::Result<Duration> {
    let (n, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| s.split_at(i))
        .context("a duration")?;
    let n: f64 = n.parse()?;
    let secs = match unit {
        "us" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        other => anyhow::bail!("unknown unit {other}"),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrk_durations_read_in_every_unit() {
        let ms = |s| super::duration(s).unwrap().as_secs_f64() * 1000.0;
        assert_eq!(ms("812.00us"), 0.812);
        assert_eq!(ms("1.50ms"), 1.5);
        assert_eq!(ms("2.00s"), 2000.0);
    }
}
