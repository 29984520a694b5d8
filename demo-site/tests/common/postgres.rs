//! A real, throwaway PostgreSQL server for tests: `initdb` into a temporary folder, then
//! `postgres` on 127.0.0.1 at a free port, stopped (fast shutdown) and deleted on drop.
//!
//! PostgreSQL refuses to run as root, so as root both run as the `postgres` system user
//! (which the Debian package creates; `scripts/setup.sh` installs it) through `setpriv`,
//! which execs in place: the child we hold is the postmaster itself, so our signal reaches
//! it. As any other user they run as that user.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio_postgres::NoTls;

pub struct TempPostgres {
    child: Child,
    port: u16,
    /// Deleted after `drop` has stopped the server, fields being dropped after it.
    dir: tempfile::TempDir,
    databases: u32,
}

impl TempPostgres {
    pub async fn start() -> TempPostgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("a temporary folder for PostgreSQL");
        let data = dir.path().join("data");
        if running_as_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown runs");
            assert!(
                owned.success(),
                "chown to the postgres user failed: is there one? (scripts/setup.sh)"
            );
        }
        let initdb = as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "vitrine", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );

        let port = free_port();
        let log_path = dir.path().join("postgres.log");
        let log = File::create(&log_path).expect("the server log");
        let child = as_server_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        let server = TempPostgres {
            child,
            port,
            dir,
            databases: 0,
        };
        server.wait_until_ready(&log_path).await;
        server
    }

    /// A fresh, empty database on this server, as a URL for `--database-url`.
    pub async fn database(&mut self) -> String {
        self.databases += 1;
        let name = format!("collector_{}", self.databases);
        let (client, connection) = tokio_postgres::connect(&self.url("postgres"), NoTls)
            .await
            .expect("the server accepts connections");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        self.url(&name)
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://vitrine@127.0.0.1:{}/{database}", self.port)
    }

    async fn wait_until_ready(&self, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((client, connection)) =
                tokio_postgres::connect(&self.url("postgres"), NoTls).await
            {
                tokio::spawn(connection);
                if client.simple_query("SELECT 1").await.is_ok() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not come up in 60 s; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's fast shutdown: clients are cut off, nothing is left behind.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin`, or `VITRINE_POSTGRES_BIN`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VITRINE_POSTGRES_BIN") {
        return dir.into();
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries in /usr/lib/postgresql (scripts/setup.sh)")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL server in /usr/lib/postgresql/*/bin (scripts/setup.sh)")
        .1
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn as_server_user(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--clear-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    // Another process could take it between here and postgres binding it; then the server
    // fails to start and the test says so, which has not happened on a quiet loopback.
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
