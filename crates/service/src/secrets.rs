//! Secrets at rest (SSO client secrets): XChaCha20-Poly1305 with a key derived from
//! `SWITCHBOARD_SECRET_KEY`. The stored form is `v1:` + hex(nonce ‖ ciphertext).

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Secrets {
    cipher: XChaCha20Poly1305,
}

impl Secrets {
    /// A key derived from any passphrase (SHA-256 of it).
    pub fn from_passphrase(passphrase: &str) -> Self {
        let key = Sha256::digest(passphrase.as_bytes());
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; 24] = rand::rng().random();
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .expect("encryption cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(ct);
        format!("v1:{}", hex::encode(bytes))
    }

    /// The plain text, or `None` if it was sealed with another key or tampered with.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed.strip_prefix("v1:")?).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r24_secrets_round_trip_and_need_the_key() {
        let s = Secrets::from_passphrase("k1");
        let sealed = s.seal("client-secret");
        assert!(!sealed.contains("client-secret"));
        assert_eq!(s.open(&sealed).as_deref(), Some("client-secret"));
        assert_eq!(Secrets::from_passphrase("k2").open(&sealed), None);
    }
}
