//! Sign-in by emailed code and the sessions it opens.
//!
//! `start` always succeeds for a well-formed email (no account enumeration), answers an attempt
//! id, and mails a 6-digit, single-use code to known users, valid for `code_ttl_ms`, bound to
//! that attempt: verifying names the attempt (or, for a client that doesn't, comes from the
//! source that started it), so nobody else's guesses reach it. Only an HMAC of the code under
//! the server's key is kept (a copy of the database alone can't test guesses); five wrong
//! guesses burn it. A verified code opens a session whose bearer token is random and stored only
//! as a hash. Limits: [`limits`].

mod audited;
mod limits;
pub use limits::SignInLimits;
mod me;
mod sessions;
pub use sessions::Session;
mod start;
mod verify;

use sha2::{Digest, Sha256};

/// Wrong codes allowed before the code is burned.
const MAX_FAILED_ATTEMPTS: i64 = 5;

pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// The stored form of a session token.
pub fn hash_token(token: &str) -> String {
    sha256_hex(&["session", token])
}
