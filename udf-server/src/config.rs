//! Server settings: built-in defaults, then a TOML file, then environment variables, then
//! command-line flags, each overriding the one before.
//!
//! ```toml
//! bind = "127.0.0.1"          # UDF_BIND
//! port = 6274                 # UDF_PORT
//! data_dir = "./data"         # UDF_DATA_DIR
//! max_connections = 256       # UDF_MAX_CONNECTIONS
//! session_idle_timeout_s = 3600
//! session_max_lifetime_s = 86400 # a session ends this long after its login, in use or not
//! login_max_failures = 5      # failed logins (per user, per address) within the window…
//! login_failure_window_s = 60
//! login_backoff_s = 30        # …lock logins out this long, doubling on each lockout…
//! login_max_backoff_s = 300   # …up to this
//! call_timeout_s = 60         # how long the rest of a started call may take to arrive
//! max_message_mb = 256        # largest call accepted
//! max_string_mb = 64         # UDF_MAX_STRING_MB: largest string/binary value in a call
//! max_collection_len = 16777216 # UDF_MAX_COLLECTION_LEN: elements of one list/set/map
//! max_sessions = 1024         # UDF_MAX_SESSIONS: live sessions in all
//! max_sessions_per_user = 64  # UDF_MAX_SESSIONS_PER_USER
//! statement_timeout_ms = 0    # UDF_STATEMENT_TIMEOUT_MS: 0 = none; SET statement_timeout
//! query_memory_mb = 4096      # UDF_QUERY_MEMORY_MB: each statement's own pool; 0 = unlimited
//! runtime_udfs = "enabled"    # or "superuser", "disabled"
//! gpu = true                  # build and run UDFs on CUDA device 0 when present
//! remotejit_port = 11532      # UDF_REMOTEJIT_PORT: rbc RemoteJIT listener (off if unset)
//! remotejit_bind = "127.0.0.1" # UDF_REMOTEJIT_BIND: it has no authentication
//! metrics_port = 9274         # UDF_METRICS_PORT: Prometheus `GET /metrics` (off if unset)
//! metrics_bind = "127.0.0.1"  # UDF_METRICS_BIND
//! cluster = "ballista://127.0.0.1:50050" # UDF_CLUSTER: run queries on this Ballista scheduler
//!
//! [users.admin]               # the default user; password also from UDF_ADMIN_PASSWORD
//! password = "…"
//! [users.alice]
//! password = "…"
//! superuser = false
//! create_function = true      # the CREATE FUNCTION grant (default true)
//! ```
//!
//! Configured users are written to the data directory's users at every start (password
//! hashed, superuser flag and CREATE FUNCTION grant as the file says), so the file wins
//! over `ALTER USER` for them; users made with `CREATE USER` live in the data directory
//! only.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;

/// HeavyDB's well-known default password for `admin`, used only on loopback and only when
/// no password is configured.
pub const DEFAULT_ADMIN_PASSWORD: &str = "HyperInteractive";
pub const ADMIN_USER: &str = "admin";

/// Who may register runtime UDFs (`register_runtime_extension_functions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeUdfPolicy {
    Enabled,
    SuperuserOnly,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub password: String,
    pub superuser: bool,
    /// Granted CREATE FUNCTION (what configured users could always do before grants).
    pub create_function: bool,
}

/// When failed logins lock a user name or a peer address out (see `auth.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures within `window` that lock the key.
    pub max_failures: u32,
    pub window: Duration,
    /// The first lockout; each further one doubles it.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            max_failures: 5,
            window: Duration::from_secs(60),
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    pub max_connections: usize,
    pub session_idle_timeout: Duration,
    /// How long after its login a session ends, used or not.
    pub session_max_lifetime: Duration,
    /// Throttling of failed logins.
    pub login: LoginLimits,
    pub call_timeout: Duration,
    pub max_message_bytes: u64,
    /// Largest string or binary value one call may carry.
    pub max_string_bytes: u64,
    /// Most elements one list, set or map of a call may have.
    pub max_collection_len: u64,
    /// Live sessions in all, and per user.
    pub max_sessions: usize,
    pub max_sessions_per_user: usize,
    /// Every session's `statement_timeout` until it sets its own; `None`: no limit.
    pub statement_timeout: Option<Duration>,
    /// Memory (MiB) of each statement's own pool; `None`: unlimited.
    pub query_memory_mb: Option<usize>,
    pub runtime_udfs: RuntimeUdfPolicy,
    /// Use a CUDA device when one is present.
    pub gpu: bool,
    /// Port of the rbc RemoteJIT listener; `None` = no listener.
    pub remotejit_port: Option<u16>,
    /// Address of the RemoteJIT listener. Loopback by default: the protocol has no
    /// authentication, and whoever reaches it can run native code.
    pub remotejit_bind: IpAddr,
    /// Port of the Prometheus endpoint (`GET /metrics`); `None` = not served.
    pub metrics_port: Option<u16>,
    /// Address of the metrics endpoint; loopback by default.
    pub metrics_bind: IpAddr,
    /// Cluster mode: the Ballista scheduler queries go to (`ballista://HOST:PORT`);
    /// `None`: the embedded engine runs them.
    pub cluster: Option<String>,
    /// Users by name. `admin` is always present after [`Config::resolve_admin`].
    pub users: BTreeMap<String, User>,
    /// Whether `admin`'s password is HeavyDB's public default (warned about at start).
    pub default_admin_password: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 6274,
            data_dir: PathBuf::from("data"),
            max_connections: 256,
            session_idle_timeout: Duration::from_secs(3600),
            session_max_lifetime: Duration::from_secs(24 * 3600),
            login: LoginLimits::default(),
            call_timeout: Duration::from_secs(60),
            max_message_bytes: 256 << 20,
            max_string_bytes: 64 << 20,
            max_collection_len: 16 << 20,
            max_sessions: 1024,
            max_sessions_per_user: 64,
            statement_timeout: None,
            query_memory_mb: Some(4096),
            runtime_udfs: RuntimeUdfPolicy::Enabled,
            gpu: true,
            remotejit_port: None,
            remotejit_bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            metrics_port: None,
            metrics_bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            cluster: None,
            users: BTreeMap::new(),
            default_admin_password: false,
        }
    }
}

/// Values given on the command line or in the environment; `None` = not given.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<String>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    pub max_connections: Option<usize>,
    pub max_string_mb: Option<u64>,
    pub max_collection_len: Option<u64>,
    pub max_sessions: Option<usize>,
    pub max_sessions_per_user: Option<usize>,
    /// 0: no limit.
    pub statement_timeout_ms: Option<u64>,
    /// 0: unlimited.
    pub query_memory_mb: Option<usize>,
    pub admin_password: Option<String>,
    /// `--no-gpu`.
    pub no_gpu: bool,
    pub remotejit_port: Option<u16>,
    pub remotejit_bind: Option<String>,
    pub metrics_port: Option<u16>,
    pub metrics_bind: Option<String>,
    pub cluster: Option<String>,
}

impl Config {
    /// Defaults, then `file` (if any), then `overrides`; then the admin password rule.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Error> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
                path: path.to_path_buf(),
                source,
            })?;
            config
                .apply_toml(&text)
                .map_err(|message| Error::ConfigFile {
                    path: path.to_path_buf(),
                    message,
                })?;
        }
        if let Some(bind) = &overrides.bind {
            config.bind = parse_bind(bind).map_err(|message| Error::Setting {
                name: "bind".into(),
                message,
            })?;
        }
        if let Some(port) = overrides.port {
            config.port = port;
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(n) = overrides.max_connections {
            config.max_connections = n;
        }
        if let Some(mb) = overrides.max_string_mb {
            config.max_string_bytes = mb.saturating_mul(1 << 20);
        }
        if let Some(n) = overrides.max_collection_len {
            config.max_collection_len = n;
        }
        if let Some(n) = overrides.max_sessions {
            config.max_sessions = n;
        }
        if let Some(n) = overrides.max_sessions_per_user {
            config.max_sessions_per_user = n;
        }
        if let Some(ms) = overrides.statement_timeout_ms {
            config.statement_timeout = (ms > 0).then(|| Duration::from_millis(ms));
        }
        if let Some(mb) = overrides.query_memory_mb {
            config.query_memory_mb = (mb > 0).then_some(mb);
        }
        if overrides.no_gpu {
            config.gpu = false;
        }
        if let Some(port) = overrides.remotejit_port {
            config.remotejit_port = Some(port);
        }
        if let Some(bind) = &overrides.remotejit_bind {
            config.remotejit_bind = parse_bind(bind).map_err(|message| Error::Setting {
                name: "remotejit_bind".into(),
                message,
            })?;
        }
        if let Some(port) = overrides.metrics_port {
            config.metrics_port = Some(port);
        }
        if let Some(bind) = &overrides.metrics_bind {
            config.metrics_bind = parse_bind(bind).map_err(|message| Error::Setting {
                name: "metrics_bind".into(),
                message,
            })?;
        }
        if let Some(cluster) = &overrides.cluster {
            config.cluster = Some(cluster.clone());
        }
        if let Some(cluster) = &config.cluster {
            db_glue::cluster::scheduler_url(cluster).map_err(|e| Error::Setting {
                name: "cluster".into(),
                message: e.to_string(),
            })?;
        }
        config.resolve_admin(overrides.admin_password.as_deref())?;
        for (name, value) in [
            ("max_connections", config.max_connections as u64),
            ("max_string_mb", config.max_string_bytes),
            ("max_collection_len", config.max_collection_len),
            ("max_sessions", config.max_sessions as u64),
            ("max_sessions_per_user", config.max_sessions_per_user as u64),
        ] {
            if value == 0 {
                return Err(Error::Setting {
                    name: name.into(),
                    message: "must be at least 1".into(),
                });
            }
        }
        Ok(config)
    }

    fn apply_toml(&mut self, text: &str) -> Result<(), String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        for (key, value) in &table {
            let wrong = |expected: &str| format!("`{key}` must be {expected}, found {value}");
            let positive = |v: &toml::Value| v.as_integer().filter(|n| *n > 0);
            let non_negative = |v: &toml::Value| v.as_integer().and_then(|n| u64::try_from(n).ok());
            match key.as_str() {
                "bind" => {
                    let text = value.as_str().ok_or_else(|| wrong("a string"))?;
                    self.bind = parse_bind(text)?;
                }
                "port" => {
                    self.port = value
                        .as_integer()
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or_else(|| wrong("a port number"))?;
                }
                "data_dir" => {
                    self.data_dir = PathBuf::from(value.as_str().ok_or_else(|| wrong("a string"))?);
                }
                "max_connections" => {
                    self.max_connections =
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as usize;
                }
                "session_idle_timeout_s" => {
                    self.session_idle_timeout = Duration::from_secs(
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64,
                    );
                }
                "session_max_lifetime_s" => {
                    self.session_max_lifetime = Duration::from_secs(
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64,
                    );
                }
                "login_max_failures" => {
                    self.login.max_failures = positive(value)
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| wrong("a positive integer"))?;
                }
                "login_failure_window_s" => {
                    self.login.window = Duration::from_secs(
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64,
                    );
                }
                "login_backoff_s" => {
                    self.login.backoff = Duration::from_secs(
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64,
                    );
                }
                "login_max_backoff_s" => {
                    self.login.max_backoff = Duration::from_secs(
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64,
                    );
                }
                "call_timeout_s" => {
                    self.call_timeout = Duration::from_secs(
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64,
                    );
                }
                "max_message_mb" => {
                    self.max_message_bytes =
                        (positive(value).ok_or_else(|| wrong("a positive integer"))? as u64) << 20;
                }
                "max_string_mb" => {
                    self.max_string_bytes =
                        (positive(value).ok_or_else(|| wrong("a positive integer"))? as u64)
                            .saturating_mul(1 << 20);
                }
                "max_collection_len" => {
                    self.max_collection_len =
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as u64;
                }
                "max_sessions" => {
                    self.max_sessions =
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as usize;
                }
                "max_sessions_per_user" => {
                    self.max_sessions_per_user =
                        positive(value).ok_or_else(|| wrong("a positive integer"))? as usize;
                }
                "statement_timeout_ms" => {
                    let ms =
                        non_negative(value).ok_or_else(|| wrong("milliseconds (0: no limit)"))?;
                    self.statement_timeout = (ms > 0).then(|| Duration::from_millis(ms));
                }
                "query_memory_mb" => {
                    let mb = non_negative(value).ok_or_else(|| wrong("MiB (0: unlimited)"))?;
                    self.query_memory_mb = (mb > 0).then_some(mb as usize);
                }
                "runtime_udfs" => {
                    self.runtime_udfs = match value.as_str() {
                        Some("enabled") => RuntimeUdfPolicy::Enabled,
                        Some("superuser") => RuntimeUdfPolicy::SuperuserOnly,
                        Some("disabled") => RuntimeUdfPolicy::Disabled,
                        _ => return Err(wrong("\"enabled\", \"superuser\" or \"disabled\"")),
                    };
                }
                "gpu" => {
                    self.gpu = value.as_bool().ok_or_else(|| wrong("true or false"))?;
                }
                "remotejit_port" => {
                    self.remotejit_port = Some(
                        value
                            .as_integer()
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or_else(|| wrong("a port number"))?,
                    );
                }
                "remotejit_bind" => {
                    let text = value.as_str().ok_or_else(|| wrong("a string"))?;
                    self.remotejit_bind = parse_bind(text)?;
                }
                "metrics_port" => {
                    self.metrics_port = Some(
                        value
                            .as_integer()
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or_else(|| wrong("a port number"))?,
                    );
                }
                "metrics_bind" => {
                    let text = value.as_str().ok_or_else(|| wrong("a string"))?;
                    self.metrics_bind = parse_bind(text)?;
                }
                "cluster" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| wrong("ballista://HOST:PORT"))?;
                    self.cluster = Some(text.to_string());
                }
                "users" => {
                    let users = value.as_table().ok_or_else(|| wrong("a table of users"))?;
                    for (name, user) in users {
                        self.users.insert(name.clone(), parse_user(name, user)?);
                    }
                }
                other => return Err(format!("unknown setting `{other}`")),
            }
        }
        Ok(())
    }

    /// `admin`'s password: the environment (or flag), else the file, else HeavyDB's
    /// default — which is allowed only while bound to loopback.
    fn resolve_admin(&mut self, override_password: Option<&str>) -> Result<(), Error> {
        if let Some(password) = override_password {
            let admin = self.users.entry(ADMIN_USER.into()).or_insert(User {
                password: String::new(),
                superuser: true,
                create_function: true,
            });
            admin.password = password.to_string();
            admin.superuser = true;
        }
        if !self.users.contains_key(ADMIN_USER) {
            if !self.bind.is_loopback() {
                return Err(Error::DefaultPasswordOffLoopback { bind: self.bind });
            }
            self.users.insert(
                ADMIN_USER.into(),
                User {
                    password: DEFAULT_ADMIN_PASSWORD.into(),
                    superuser: true,
                    create_function: true,
                },
            );
            self.default_admin_password = true;
        }
        Ok(())
    }
}

fn parse_bind(text: &str) -> Result<IpAddr, String> {
    match text {
        "localhost" => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        _ => text
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)")),
    }
}

fn parse_user(name: &str, value: &toml::Value) -> Result<User, String> {
    let table = value
        .as_table()
        .ok_or_else(|| format!("users.{name} must be a table"))?;
    let mut user = User {
        password: String::new(),
        superuser: name == ADMIN_USER,
        create_function: true,
    };
    let mut has_password = false;
    for (key, v) in table {
        match key.as_str() {
            "password" => {
                user.password = v
                    .as_str()
                    .ok_or_else(|| format!("users.{name}.password must be a string"))?
                    .to_string();
                has_password = true;
            }
            "superuser" => {
                user.superuser = v
                    .as_bool()
                    .ok_or_else(|| format!("users.{name}.superuser must be true or false"))?;
            }
            "create_function" => {
                user.create_function = v
                    .as_bool()
                    .ok_or_else(|| format!("users.{name}.create_function must be true or false"))?;
            }
            other => return Err(format!("unknown setting `users.{name}.{other}`")),
        }
    }
    if !has_password {
        return Err(format!("users.{name} has no password"));
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str, overrides: Overrides) -> Result<Config, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("udf-server.toml");
        std::fs::write(&path, toml).unwrap();
        Config::load(Some(&path), &overrides)
    }

    #[test]
    fn defaults_use_heavydbs_password_only_on_loopback() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(config.port, 6274);
        assert!(config.bind.is_loopback());
        assert!(config.default_admin_password);
        assert_eq!(config.users[ADMIN_USER].password, DEFAULT_ADMIN_PASSWORD);

        let err = Config::load(
            None,
            &Overrides {
                bind: Some("0.0.0.0".into()),
                ..Overrides::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::DefaultPasswordOffLoopback { .. }),
            "{err}"
        );

        let config = Config::load(
            None,
            &Overrides {
                bind: Some("0.0.0.0".into()),
                admin_password: Some("s3cret".into()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert!(!config.default_admin_password);
        assert_eq!(config.users[ADMIN_USER].password, "s3cret");
    }

    #[test]
    fn file_then_overrides() {
        let config = load(
            "port = 7000\nbind = \"0.0.0.0\"\nruntime_udfs = \"superuser\"\n\
             [users.admin]\npassword = \"a\"\n[users.alice]\npassword = \"b\"\n",
            Overrides {
                port: Some(7001),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(config.port, 7001);
        assert_eq!(config.runtime_udfs, RuntimeUdfPolicy::SuperuserOnly);
        assert!(config.users["admin"].superuser);
        assert!(!config.users["alice"].superuser);
    }

    #[test]
    fn remotejit_listener_is_off_by_default_and_loopback() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(config.remotejit_port, None);
        assert!(config.remotejit_bind.is_loopback());
        let config = load(
            "remotejit_port = 11532\nremotejit_bind = \"0.0.0.0\"\n",
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.remotejit_port, Some(11532));
        assert!(config.remotejit_bind.is_unspecified());
        let config = load(
            "remotejit_port = 11532\n",
            Overrides {
                remotejit_port: Some(11540),
                remotejit_bind: Some("localhost".into()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(config.remotejit_port, Some(11540));
        assert!(config.remotejit_bind.is_loopback());
        let err = load("remotejit_port = 70000\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`remotejit_port` must be a port number"),
            "{err}"
        );
    }

    #[test]
    fn limits_from_file_then_overrides() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(config.statement_timeout, None);
        assert_eq!(config.query_memory_mb, Some(4096));
        assert_eq!(config.max_sessions, 1024);
        assert_eq!(config.max_sessions_per_user, 64);
        assert_eq!(config.max_string_bytes, 64 << 20);
        let config = load(
            "statement_timeout_ms = 2000\nquery_memory_mb = 0\nmax_sessions = 10\n\
             max_sessions_per_user = 2\nmax_string_mb = 1\nmax_collection_len = 100\n",
            Overrides {
                max_sessions_per_user: Some(3),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(config.statement_timeout, Some(Duration::from_millis(2000)));
        assert_eq!(config.query_memory_mb, None);
        assert_eq!(config.max_sessions, 10);
        assert_eq!(config.max_sessions_per_user, 3);
        assert_eq!(config.max_string_bytes, 1 << 20);
        assert_eq!(config.max_collection_len, 100);
        let config = load(
            "statement_timeout_ms = 2000\n",
            Overrides {
                statement_timeout_ms: Some(0),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(config.statement_timeout, None);
        let err = load("max_sessions = 0\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`max_sessions` must be a positive integer"),
            "{err}"
        );
        let err = load("statement_timeout_ms = -1\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`statement_timeout_ms` must be milliseconds"),
            "{err}"
        );
        let err = Config::load(
            None,
            &Overrides {
                max_sessions_per_user: Some(0),
                ..Overrides::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("max_sessions_per_user: must be at least 1"),
            "{err}"
        );
    }

    #[test]
    fn login_and_session_limits_from_the_file() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(config.login, LoginLimits::default());
        assert_eq!(config.session_max_lifetime, Duration::from_secs(86_400));
        let config = load(
            "session_max_lifetime_s = 5\nlogin_max_failures = 2\nlogin_failure_window_s = 9\n\
             login_backoff_s = 1\nlogin_max_backoff_s = 3\n\
             [users.bob]\npassword = \"b\"\ncreate_function = false\n",
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.session_max_lifetime, Duration::from_secs(5));
        assert_eq!(
            config.login,
            LoginLimits {
                max_failures: 2,
                window: Duration::from_secs(9),
                backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(3),
            }
        );
        assert!(!config.users["bob"].create_function);
        assert!(config.users["admin"].create_function);
        let err = load("login_max_failures = 0\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`login_max_failures` must be a positive integer"),
            "{err}"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let err = load("prot = 1\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown setting `prot`"), "{err}");
        let err = load("port = \"x\"\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`port` must be a port number"), "{err}");
        let err = load("[users.bob]\nsuperuser = true\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("users.bob has no password"), "{err}");
    }
}
