//! Logins: passwords checked against the engine's users (Argon2id hashes), failed attempts
//! throttled per user name and per peer address, and the configured users brought into
//! the engine's catalog at start.
//!
//! Timing: a login for a user that does not exist verifies against a dummy hash made with
//! the same parameters, so that it takes as long as a wrong password for one that does,
//! and both get the same message. A refused (throttled) attempt checks no password at all,
//! for any name: throttling says nothing about who exists either.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use db_glue::{Engine, UserRecord};
use parking_lot::{Condvar, Mutex};

use crate::config::{Config, LoginLimits};
use crate::error::{Error, Result};

thread_local! {
    /// The peer address of the connection the current thread serves.
    static PEER: Cell<Option<IpAddr>> = const { Cell::new(None) };
}

/// Records the peer address of the connection this thread serves: the server runs one
/// thread per connection, and the Thrift handlers do not see the socket.
pub fn set_peer(peer: Option<IpAddr>) {
    PEER.set(peer);
}

/// The peer address of the connection the current thread serves, if known.
pub fn current_peer() -> Option<IpAddr> {
    PEER.get()
}

/// What failed logins are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Peer(IpAddr),
}

/// The recent failures of one key.
#[derive(Debug)]
struct Tracker {
    /// Failures within the window, oldest first.
    failures: VecDeque<Instant>,
    /// Refused until then.
    locked_until: Option<Instant>,
    /// Lockouts since the key was last quiet: each doubles the next backoff.
    lockouts: u32,
}

/// Failed logins per user name and per peer address: after `max_failures` within `window`,
/// the key is refused for a backoff; a failure after a lockout (before the key has been
/// quiet for `max_backoff`) locks it again for twice as long, up to `max_backoff`.
#[derive(Debug)]
struct Throttle {
    limits: LoginLimits,
    trackers: Mutex<HashMap<Key, Tracker>>,
}

/// Trackers kept before idle ones are pruned: names are the client's choice.
const PRUNE_ABOVE: usize = 4096;

impl Throttle {
    fn new(limits: LoginLimits) -> Throttle {
        Throttle {
            limits,
            trackers: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` is still refused, if it is.
    fn locked(&self, key: &Key, now: Instant) -> Option<Duration> {
        let trackers = self.trackers.lock();
        let until = trackers.get(key)?.locked_until?;
        until.checked_duration_since(now).filter(|d| !d.is_zero())
    }

    /// Whether `tracker` has been quiet long enough since its last lockout to start over.
    fn quiet(&self, tracker: &Tracker, now: Instant) -> bool {
        tracker
            .locked_until
            .is_none_or(|until| now.saturating_duration_since(until) > self.limits.max_backoff)
    }

    /// Counts a failure of `key`; returns the backoff when it locks the key.
    fn failed(&self, key: Key, now: Instant) -> Option<Duration> {
        let mut trackers = self.trackers.lock();
        if trackers.len() > PRUNE_ABOVE {
            let window = self.limits.window;
            trackers.retain(|_, t| {
                !self.quiet(t, now)
                    || t.failures
                        .back()
                        .is_some_and(|f| now.saturating_duration_since(*f) < window)
            });
        }
        let tracker = trackers.entry(key).or_insert_with(|| Tracker {
            failures: VecDeque::new(),
            locked_until: None,
            lockouts: 0,
        });
        if tracker.lockouts > 0 && self.quiet(tracker, now) {
            tracker.lockouts = 0;
            tracker.locked_until = None;
        }
        let window = self.limits.window;
        tracker
            .failures
            .retain(|f| now.saturating_duration_since(*f) < window);
        tracker.failures.push_back(now);
        if tracker.lockouts == 0 && tracker.failures.len() < self.limits.max_failures as usize {
            return None;
        }
        tracker.lockouts += 1;
        let doublings = (tracker.lockouts - 1).min(20);
        let backoff = self
            .limits
            .backoff
            .saturating_mul(1 << doublings)
            .min(self.limits.max_backoff);
        tracker.locked_until = Some(now + backoff);
        tracker.failures.clear();
        Some(backoff)
    }

    /// Forgets the failures of `key`.
    fn succeeded(&self, key: &Key) {
        self.trackers.lock().remove(key);
    }
}

/// Bounds the Argon2 verifications running at once: each holds its memory cost (19 MiB
/// with the default parameters), and connections are many.
#[derive(Debug)]
struct Permits {
    free: Mutex<usize>,
    returned: Condvar,
}

impl Permits {
    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock();
        while *free == 0 {
            self.returned.wait(&mut free);
        }
        *free -= 1;
        Permit(self)
    }
}

struct Permit<'a>(&'a Permits);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock() += 1;
        self.0.returned.notify_one();
    }
}

/// Checks logins.
#[derive(Debug)]
pub struct Authenticator {
    throttle: Throttle,
    /// What an unknown user's password is verified against.
    dummy_hash: String,
    permits: Permits,
}

/// Seconds to tell a client to wait: at least 1.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// A stored password hash as a number a session can keep: a changed password changes it.
pub fn credential(record: &UserRecord) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    record.password_hash.hash(&mut hasher);
    hasher.finish()
}

/// The longest user name kept by the throttle (longer ones cannot exist).
const MAX_NAME_KEY: usize = 256;

impl Authenticator {
    pub fn new(limits: LoginLimits) -> Authenticator {
        let dummy_hash = db_glue::hash_password("no user has this password").unwrap_or_else(|e| {
            // Only without randomness; unknown users then answer faster than known ones.
            tracing::warn!(error = %e, "cannot make the dummy password hash");
            String::new()
        });
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Authenticator {
            throttle: Throttle::new(limits),
            dummy_hash,
            permits: Permits {
                free: Mutex::new(parallel),
                returned: Condvar::new(),
            },
        }
    }

    /// Checks `user`'s `password`, from `peer` when known. A throttled user or address is
    /// refused whatever the password ([`Error::LoginThrottled`]); a wrong password and an
    /// unknown user are the same [`Error::Authentication`].
    pub fn login(
        &self,
        engine: &Engine,
        user: &str,
        password: &str,
        peer: Option<IpAddr>,
    ) -> Result<UserRecord> {
        let now = Instant::now();
        let user_key = Key::User(user.chars().take(MAX_NAME_KEY).collect());
        if let Some(wait) = self.throttle.locked(&user_key, now) {
            return Err(Error::LoginThrottled {
                user: user.to_string(),
                seconds: whole_seconds(wait),
            });
        }
        if let Some(peer) = peer
            && let Some(wait) = self.throttle.locked(&Key::Peer(peer), now)
        {
            return Err(Error::LoginThrottledFrom {
                peer,
                seconds: whole_seconds(wait),
            });
        }
        let record = engine.user(user);
        let hash = record
            .as_ref()
            .map_or(self.dummy_hash.as_str(), |r| r.password_hash.as_str());
        let matches = {
            let _permit = self.permits.acquire();
            db_glue::verify_password(hash, password)
        };
        if let Some(record) = record.filter(|_| matches) {
            self.throttle.succeeded(&user_key);
            return Ok(record);
        }
        let now = Instant::now();
        if let Some(backoff) = self.throttle.failed(user_key, now) {
            tracing::warn!(
                user,
                backoff_s = backoff.as_secs_f64(),
                "logins for this user throttled"
            );
        }
        if let Some(peer) = peer
            && let Some(backoff) = self.throttle.failed(Key::Peer(peer), now)
        {
            tracing::warn!(%peer, backoff_s = backoff.as_secs_f64(), "logins from this address throttled");
        }
        Err(Error::Authentication(user.to_string()))
    }
}

/// Brings the configured users into the engine's catalog: each is created, or updated to
/// the file's password (hashed; an unchanged password keeps its hash), superuser flag and
/// CREATE FUNCTION grant. Users made with SQL are left as they are.
pub fn bootstrap_users(engine: &Engine, config: &Config) -> db_glue::Result<()> {
    for (name, user) in &config.users {
        let existing = engine.user(name);
        let password_hash = match &existing {
            Some(r) if db_glue::verify_password(&r.password_hash, &user.password) => {
                r.password_hash.clone()
            }
            _ => db_glue::hash_password(&user.password)?,
        };
        let record = UserRecord {
            name: name.clone(),
            password_hash,
            superuser: user.superuser,
            created_at: existing
                .as_ref()
                .map_or_else(std::time::SystemTime::now, |r| r.created_at),
        };
        if existing.as_ref() != Some(&record) {
            engine.put_user(record)?;
            tracing::info!(
                user = name,
                superuser = user.superuser,
                "configured user stored"
            );
        }
        engine.set_create_function(name, user.create_function)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LoginLimits {
        LoginLimits {
            max_failures: 3,
            window: Duration::from_secs(60),
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(25),
        }
    }

    #[test]
    fn locks_after_failures_and_doubles_the_backoff() {
        let throttle = Throttle::new(limits());
        let key = Key::User("bob".into());
        let t0 = Instant::now();
        assert_eq!(throttle.failed(key.clone(), t0), None);
        assert_eq!(throttle.failed(key.clone(), t0), None);
        assert_eq!(
            throttle.failed(key.clone(), t0),
            Some(Duration::from_secs(10))
        );
        assert_eq!(throttle.locked(&key, t0), Some(Duration::from_secs(10)));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(throttle.locked(&key, later), None);
        // One failure after a lockout locks again, for twice as long, up to the maximum.
        assert_eq!(
            throttle.failed(key.clone(), later),
            Some(Duration::from_secs(20))
        );
        let later = later + Duration::from_secs(21);
        assert_eq!(
            throttle.failed(key.clone(), later),
            Some(Duration::from_secs(25))
        );
        // Quiet for longer than the maximum backoff: a fresh start.
        let quiet = later + Duration::from_secs(60);
        assert_eq!(throttle.failed(key.clone(), quiet), None);
        // A success forgets everything.
        throttle.succeeded(&key);
        assert_eq!(throttle.locked(&key, quiet), None);
        // Failures outside the window do not add up.
        let other = Key::Peer(IpAddr::from([127, 0, 0, 1]));
        throttle.failed(other.clone(), t0);
        throttle.failed(other.clone(), t0);
        assert_eq!(
            throttle.failed(other.clone(), t0 + Duration::from_secs(61)),
            None
        );
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(5)), 5);
        assert_eq!(whole_seconds(Duration::from_millis(5001)), 6);
    }
}
