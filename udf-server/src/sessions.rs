//! Sessions: who is calling, across connections.
//!
//! Sessions are global, not tied to a TCP connection: rbc opens a new connection for every
//! call and reuses the session string. Ids are 128 random bits, so a session cannot be
//! guessed from another; an idle session expires, and every session ends
//! `session_max_lifetime_s` after its login. Why a session ended (idle, too old, ended by
//! an administrator, its user dropped or their password changed) is remembered for a
//! while, so that its next call says so.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use db_glue::StatementControl;
use parking_lot::Mutex;

/// Where a session's UDFs run (`set_execution_mode`, `SET udf_device`).
pub use db_glue::DevicePreference as ExecutionMode;

#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub database: String,
    pub superuser: bool,
    pub started: SystemTime,
    pub mode: ExecutionMode,
    /// In cluster mode, where its queries may run (`SET udf.cluster`); `None`: the
    /// engine's default.
    pub cluster: Option<db_glue::cluster::ClusterPreference>,
    /// What its statements run with (`SET statement_timeout`); `None`: no limit.
    pub statement_timeout: Option<Duration>,
    last_used: Instant,
    /// When it was opened, for `session_max_lifetime_s`.
    opened: Instant,
    /// The login's password hash, as a number ([`crate::auth::credential`]): a session
    /// whose user's password changed since is refused.
    pub credential: u64,
    /// Statements running for it (rbc may run several at once over connections of its
    /// own), so that ending the session stops them.
    running: Vec<Arc<StatementControl>>,
}

/// Why a session id is not (or no longer) valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Never issued, closed by its client, or ended long ago.
    Unknown,
    /// Unused for longer than `session_idle_timeout_s`.
    Idle(Duration),
    /// Older than `session_max_lifetime_s`.
    Lifetime(Duration),
    /// `udf_kill_session`.
    Killed,
    UserDropped(String),
    PasswordChanged(String),
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Unknown => f.write_str("no such session"),
            Ended::Idle(limit) => write!(
                f,
                "it was idle for longer than {} s (session_idle_timeout_s); connect again",
                limit.as_secs()
            ),
            Ended::Lifetime(limit) => write!(
                f,
                "it reached its maximum lifetime of {} s (session_max_lifetime_s); connect again",
                limit.as_secs()
            ),
            Ended::Killed => f.write_str("an administrator ended it"),
            Ended::UserDropped(user) => write!(f, "user `{user}` was dropped"),
            Ended::PasswordChanged(user) => {
                write!(f, "the password of `{user}` changed; connect again")
            }
        }
    }
}

/// Ended sessions remembered for their reason, at most.
const REMEMBERED_ENDS: usize = 16_384;
/// How long an ended session's reason is remembered.
const REMEMBER_ENDS_FOR: Duration = Duration::from_secs(3600);

impl Session {
    /// How many of its statements are running.
    pub fn running_statements(&self) -> usize {
        self.running.len()
    }
}

/// What the store allows, and what a new session starts with.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Live sessions in all.
    pub max_sessions: usize,
    pub max_sessions_per_user: usize,
    /// A new session's `statement_timeout`.
    pub statement_timeout: Option<Duration>,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_sessions: 1024,
            max_sessions_per_user: 64,
            statement_timeout: None,
        }
    }
}

/// Why [`SessionStore::open`] opened nothing.
#[derive(Debug)]
pub enum OpenError {
    /// `max_sessions` live sessions already.
    TooMany { limit: usize },
    /// The user has `max_sessions_per_user` live sessions already.
    TooManyForUser { user: String, limit: usize },
    /// No randomness for an id.
    Random(std::io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::TooMany { limit } => write!(
                f,
                "too many sessions (max_sessions = {limit}); disconnect unused ones or try \
                 again later"
            ),
            OpenError::TooManyForUser { user, limit } => write!(
                f,
                "too many sessions for user `{user}` (max_sessions_per_user = {limit}); \
                 disconnect unused ones"
            ),
            OpenError::Random(e) => write!(f, "no randomness for a session id: {e}"),
        }
    }
}

/// A statement registered with its session ([`SessionStore::start_statement`]); it is
/// forgotten when this drops.
#[must_use]
pub struct RunningStatement<'a> {
    store: &'a SessionStore,
    session: String,
    control: Arc<StatementControl>,
}

impl Drop for RunningStatement<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.store.sessions.lock().get_mut(&self.session) {
            session.running.retain(|c| !Arc::ptr_eq(c, &self.control));
        }
    }
}

/// The shortest session id prefix [`SessionStore::kill`] takes.
pub const MIN_KILL_PREFIX: usize = 8;

/// Why [`SessionStore::kill`] ended nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillError {
    TooShort,
    NotFound,
    Ambiguous,
}

impl std::fmt::Display for KillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KillError::TooShort => "a session id prefix needs at least 8 hex digits",
            KillError::NotFound => "no live session has that id",
            KillError::Ambiguous => "several sessions start with that prefix; give more digits",
        })
    }
}

/// Every live session.
#[derive(Debug)]
pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session>>,
    idle_timeout: Duration,
    limits: SessionLimits,
    max_lifetime: Duration,
    /// Sessions ended for a reason their client may not know, by id, with when.
    ended: Mutex<HashMap<String, (Ended, Instant)>>,
}

impl SessionStore {
    pub fn new(idle_timeout: Duration) -> SessionStore {
        SessionStore::with_limits(idle_timeout, SessionLimits::default())
    }

    pub fn with_limits(idle_timeout: Duration, limits: SessionLimits) -> SessionStore {
        SessionStore {
            sessions: Mutex::new(HashMap::new()),
            idle_timeout,
            limits,
            max_lifetime: Duration::from_secs(24 * 3600),
            ended: Mutex::new(HashMap::new()),
        }
    }

    /// Sessions end `lifetime` after they were opened, used or not (default 24 h).
    pub fn with_max_lifetime(mut self, lifetime: Duration) -> SessionStore {
        self.max_lifetime = lifetime;
        self
    }

    /// Why `session` is no longer valid, if it is not.
    fn expired(&self, session: &Session) -> Option<Ended> {
        if session.opened.elapsed() > self.max_lifetime {
            Some(Ended::Lifetime(self.max_lifetime))
        } else if session.last_used.elapsed() > self.idle_timeout {
            Some(Ended::Idle(self.idle_timeout))
        } else {
            None
        }
    }

    /// Remembers why the session `id` ended.
    fn remember(&self, id: &str, reason: Ended) {
        let mut ended = self.ended.lock();
        if ended.len() >= REMEMBERED_ENDS {
            ended.retain(|_, (_, at)| at.elapsed() < REMEMBER_ENDS_FOR);
            if ended.len() >= REMEMBERED_ENDS {
                ended.clear();
            }
        }
        ended.insert(id.to_string(), (reason, Instant::now()));
    }

    /// The session `id` if it is live (using it restarts its idle clock), else why not.
    pub fn check(&self, id: &str) -> Result<Session, Ended> {
        let mut sessions = self.sessions.lock();
        let Some(session) = sessions.get_mut(id) else {
            drop(sessions);
            return Err(self
                .ended
                .lock()
                .get(id)
                .map_or(Ended::Unknown, |(reason, _)| reason.clone()));
        };
        if let Some(reason) = self.expired(session) {
            if let Some(gone) = sessions.remove(id) {
                cancel_all(&gone, "its session expired");
            }
            drop(sessions);
            self.remember(id, reason.clone());
            return Err(reason);
        }
        session.last_used = Instant::now();
        Ok(session.clone())
    }

    /// Records the login's credential ([`Session::credential`]) of the session `id`.
    pub fn set_credential(&self, id: &str, credential: u64) -> bool {
        match self.sessions.lock().get_mut(id) {
            Some(session) => {
                session.credential = credential;
                true
            }
            None => false,
        }
    }

    /// Ends every session for which `reason` gives one (their running statements are
    /// stopped); returns how many.
    pub fn end_where(&self, reason: impl Fn(&Session) -> Option<Ended>) -> usize {
        let mut gone = Vec::new();
        self.sessions
            .lock()
            .retain(|id, session| match reason(session) {
                Some(why) => {
                    cancel_all(session, &format!("its session ended: {why}"));
                    gone.push((id.clone(), why));
                    false
                }
                None => true,
            });
        for (id, why) in &gone {
            self.remember(id, why.clone());
        }
        gone.len()
    }

    /// Opens a session and returns its id; refused beyond `max_sessions` live sessions in
    /// all or `max_sessions_per_user` of `user` (expired ones do not count).
    pub fn open(&self, user: &str, database: &str, superuser: bool) -> Result<String, OpenError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| OpenError::Random(std::io::Error::other(e)))?;
        let id = bytes.iter().fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let session = Session {
            user: user.to_string(),
            database: database.to_string(),
            superuser,
            started: SystemTime::now(),
            mode: ExecutionMode::Auto,
            cluster: None,
            statement_timeout: self.limits.statement_timeout,
            last_used: Instant::now(),
            opened: Instant::now(),
            credential: 0,
            running: Vec::new(),
        };
        let mut sessions = self.sessions.lock();
        if sessions.len() >= self.limits.max_sessions
            || sessions.len() >= self.limits.max_sessions_per_user
        {
            // Only counted when a cap may be hit, so that a connect costs O(1) otherwise.
            sessions.retain(|_, s| s.last_used.elapsed() <= self.idle_timeout);
        }
        if sessions.len() >= self.limits.max_sessions {
            return Err(OpenError::TooMany {
                limit: self.limits.max_sessions,
            });
        }
        if sessions.len() >= self.limits.max_sessions_per_user
            && sessions.values().filter(|s| s.user == user).count()
                >= self.limits.max_sessions_per_user
        {
            return Err(OpenError::TooManyForUser {
                user: user.to_string(),
                limit: self.limits.max_sessions_per_user,
            });
        }
        sessions.insert(id.clone(), session);
        Ok(id)
    }

    /// Sets the session's `statement_timeout`; false when there is no such session.
    pub fn set_statement_timeout(&self, id: &str, timeout: Option<Duration>) -> bool {
        match self.sessions.lock().get_mut(id) {
            Some(session) => {
                session.statement_timeout = timeout;
                true
            }
            None => false,
        }
    }

    /// Registers a statement `id` runs, so that ending the session stops it, until the
    /// returned guard drops.
    pub fn start_statement(
        &self,
        id: &str,
        control: &Arc<StatementControl>,
    ) -> RunningStatement<'_> {
        if let Some(session) = self.sessions.lock().get_mut(id) {
            session.running.push(Arc::clone(control));
        }
        RunningStatement {
            store: self,
            session: id.to_string(),
            control: Arc::clone(control),
        }
    }

    /// The session `id`, if it is live; using it restarts its idle clock.
    pub fn touch(&self, id: &str) -> Option<Session> {
        self.check(id).ok()
    }

    pub fn set_mode(&self, id: &str, mode: ExecutionMode) -> bool {
        match self.sessions.lock().get_mut(id) {
            Some(session) => {
                session.mode = mode;
                true
            }
            None => false,
        }
    }

    pub fn set_cluster(&self, id: &str, cluster: db_glue::cluster::ClusterPreference) -> bool {
        match self.sessions.lock().get_mut(id) {
            Some(session) => {
                session.cluster = Some(cluster);
                true
            }
            None => false,
        }
    }

    /// Cancels the statements session `id` is running (HeavyDB's `interrupt`); returns
    /// how many.
    pub fn cancel_statements(&self, id: &str, reason: &str) -> usize {
        let running = match self.sessions.lock().get(id) {
            Some(session) => session.running.clone(),
            None => return 0,
        };
        for statement in &running {
            statement.cancel(reason);
        }
        running.len()
    }

    /// Ends the session `id`; false when there was none.
    pub fn close(&self, id: &str) -> bool {
        self.sessions.lock().remove(id).is_some()
    }

    /// Drops expired sessions (idle, or past their lifetime); returns how many.
    pub fn expire(&self) -> usize {
        self.end_where(|s| self.expired(s))
    }

    /// Every live session with its id and how long it has been idle, oldest first.
    pub fn list(&self) -> Vec<(String, Session, Duration)> {
        let sessions = self.sessions.lock();
        let mut live: Vec<_> = sessions
            .iter()
            .filter(|(_, s)| s.last_used.elapsed() <= self.idle_timeout)
            .map(|(id, s)| (id.clone(), s.clone(), s.last_used.elapsed()))
            .collect();
        live.sort_by_key(|(_, s, _)| s.started);
        live
    }

    /// Ends the session whose id is `id` or starts with it. A prefix must have at least
    /// [`MIN_KILL_PREFIX`] characters and match exactly one session, so that a short
    /// guess cannot end someone else's session by accident.
    pub fn kill(&self, id: &str) -> Result<Session, KillError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < MIN_KILL_PREFIX {
            return Err(KillError::TooShort);
        }
        let mut sessions = self.sessions.lock();
        let mut matching = sessions.keys().filter(|k| k.starts_with(&id));
        let Some(found) = matching.next().cloned() else {
            return Err(KillError::NotFound);
        };
        if matching.next().is_some() {
            return Err(KillError::Ambiguous);
        }
        let killed = sessions.remove(&found).ok_or(KillError::NotFound)?;
        drop(sessions);
        for statement in &killed.running {
            statement.cancel("its session was ended by an administrator");
        }
        self.remember(&found, Ended::Killed);
        Ok(killed)
    }

    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Stops the statements `session` runs.
fn cancel_all(session: &Session, why: &str) {
    for statement in &session.running {
        statement.cancel(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_sessions_say_why() {
        let store =
            SessionStore::new(Duration::from_secs(60)).with_max_lifetime(Duration::from_millis(50));
        assert_eq!(store.check("forged").unwrap_err(), Ended::Unknown);
        let old = store.open("alice", "heavyai", false).unwrap();
        let killed = store.open("alice", "heavyai", false).unwrap();
        let dropped = store.open("bob", "heavyai", false).unwrap();
        store.kill(&killed).unwrap();
        assert_eq!(store.check(&killed).unwrap_err(), Ended::Killed);
        assert_eq!(
            store.end_where(|s| (s.user == "bob").then(|| Ended::UserDropped(s.user.clone()))),
            1
        );
        assert_eq!(
            store.check(&dropped).unwrap_err().to_string(),
            "user `bob` was dropped"
        );
        assert!(store.check(&old).is_ok());
        std::thread::sleep(Duration::from_millis(80));
        // In use or not, a session ends at its lifetime.
        assert_eq!(
            store.check(&old).unwrap_err(),
            Ended::Lifetime(Duration::from_millis(50))
        );
        assert_eq!(
            store.check(&old).unwrap_err(),
            Ended::Lifetime(Duration::from_millis(50))
        );
        // Closed by its client: nothing to say.
        let closed = store.open("alice", "heavyai", false).unwrap();
        assert!(store.close(&closed));
        assert_eq!(store.check(&closed).unwrap_err(), Ended::Unknown);
    }

    #[test]
    fn ids_are_128_bit_hex_and_distinct() {
        let store = SessionStore::new(Duration::from_secs(60));
        let a = store.open("admin", "heavyai", true).unwrap();
        let b = store.open("admin", "heavyai", true).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(store.touch(&a).unwrap().user, "admin");
        assert!(store.close(&a));
        assert!(store.touch(&a).is_none());
        assert!(store.touch("forged").is_none());
        assert_eq!(store.list().len(), 1);
        assert_eq!(store.kill(&b[..4]).unwrap_err(), KillError::TooShort);
        assert_eq!(store.kill("00000000zz").unwrap_err(), KillError::NotFound);
        assert_eq!(store.kill(&b[..8]).unwrap().user, "admin");
        assert!(store.list().is_empty());
    }

    #[test]
    fn caps_count_live_sessions_in_all_and_per_user() {
        let store = SessionStore::with_limits(
            Duration::from_millis(200),
            SessionLimits {
                max_sessions: 3,
                max_sessions_per_user: 2,
                statement_timeout: Some(Duration::from_secs(2)),
            },
        );
        let a = store.open("alice", "heavyai", false).unwrap();
        store.open("alice", "heavyai", false).unwrap();
        let err = store
            .open("alice", "heavyai", false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "too many sessions for user `alice` (max_sessions_per_user = 2); disconnect unused \
             ones"
        );
        store.open("bob", "heavyai", false).unwrap();
        let err = store
            .open("carol", "heavyai", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("too many sessions (max_sessions = 3)"),
            "{err}"
        );
        assert!(store.close(&a));
        store.open("alice", "heavyai", false).unwrap();
        // Expired sessions make room.
        std::thread::sleep(Duration::from_millis(250));
        store.open("carol", "heavyai", false).unwrap();
        assert_eq!(store.len(), 1);
        let id = store.list()[0].0.clone();
        assert_eq!(
            store.touch(&id).unwrap().statement_timeout,
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn killing_a_session_cancels_its_running_statements() {
        let store = SessionStore::new(Duration::from_secs(60));
        let id = store.open("admin", "heavyai", true).unwrap();
        let control = StatementControl::new(None);
        {
            let _running = store.start_statement(&id, &control);
            assert_eq!(store.touch(&id).unwrap().running_statements(), 1);
        }
        assert_eq!(store.touch(&id).unwrap().running_statements(), 0);
        let _running = store.start_statement(&id, &control);
        assert!(!control.is_stopped());
        store.kill(&id).unwrap();
        assert!(control.is_stopped());
    }

    #[test]
    fn idle_sessions_expire() {
        let store = SessionStore::new(Duration::from_millis(10));
        let id = store.open("admin", "heavyai", true).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert!(store.touch(&id).is_none());
        store.open("admin", "heavyai", true).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(store.expire(), 1);
        assert!(store.is_empty());
    }
}
