//! Sessions: who is calling, across connections.
//!
//! Sessions are global, not tied to a TCP connection: rbc opens a new connection for every
//! call and reuses the session string. Ids are 128 random bits, so a session cannot be
//! guessed from another; an idle session expires.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

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
    last_used: Instant,
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
}

impl SessionStore {
    pub fn new(idle_timeout: Duration) -> SessionStore {
        SessionStore {
            sessions: Mutex::new(HashMap::new()),
            idle_timeout,
        }
    }

    /// Opens a session and returns its id.
    pub fn open(&self, user: &str, database: &str, superuser: bool) -> std::io::Result<String> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
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
            last_used: Instant::now(),
        };
        self.sessions.lock().insert(id.clone(), session);
        Ok(id)
    }

    /// The session `id`, if it is live; using it restarts its idle clock.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let mut sessions = self.sessions.lock();
        let session = sessions.get_mut(id)?;
        if session.last_used.elapsed() > self.idle_timeout {
            sessions.remove(id);
            return None;
        }
        session.last_used = Instant::now();
        Some(session.clone())
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

    /// Ends the session `id`; false when there was none.
    pub fn close(&self, id: &str) -> bool {
        self.sessions.lock().remove(id).is_some()
    }

    /// Drops expired sessions; returns how many.
    pub fn expire(&self) -> usize {
        let mut sessions = self.sessions.lock();
        let before = sessions.len();
        sessions.retain(|_, s| s.last_used.elapsed() <= self.idle_timeout);
        before - sessions.len()
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
        sessions.remove(&found).ok_or(KillError::NotFound)
    }

    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
