//! Keys derived from `SWITCHBOARD_SECRET_KEY`, and what they protect: secrets at rest (SSO
//! client secrets, XChaCha20-Poly1305) and message authentication (sign-in code hashes, CSRF
//! tokens, HMAC-SHA256). Each purpose gets its own key from HKDF-SHA256, so no two uses share a
//! key. Stored secrets read `v2:` + hex(nonce ‖ ciphertext); `v1:` secrets, sealed before keys
//! came from HKDF (SHA-256 of the passphrase), still open.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Secrets {
    cipher: XChaCha20Poly1305,
    /// Opens secrets sealed by earlier versions (`v1:`).
    legacy: XChaCha20Poly1305,
    mac_key: [u8; 32],
}

impl Secrets {
    /// Keys derived from any passphrase.
    pub fn from_passphrase(passphrase: &str) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"switchboard"), passphrase.as_bytes());
        let derive = |info: &[u8]| {
            let mut key = [0u8; 32];
            hk.expand(info, &mut key)
                .expect("32 bytes is a valid HKDF length");
            key
        };
        Self {
            cipher: XChaCha20Poly1305::new(&derive(b"secrets at rest v2").into()),
            legacy: XChaCha20Poly1305::new(&Sha256::digest(passphrase.as_bytes())),
            mac_key: derive(b"message authentication v1"),
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
        format!("v2:{}", hex::encode(bytes))
    }

    /// The plain text, or `None` if it was sealed with another key or tampered with.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let (cipher, rest) = match sealed.split_once(':')? {
            ("v2", rest) => (&self.cipher, rest),
            ("v1", rest) => (&self.legacy, rest),
            _ => return None,
        };
        let bytes = hex::decode(rest).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(24);
        let plain = cipher.decrypt(XNonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }

    /// HMAC-SHA256 of `parts` (each length-prefixed, so they can't run together) under the key
    /// for `purpose`, in hex.
    pub fn mac(&self, purpose: &str, parts: &[&str]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("any key length");
        for p in std::iter::once(purpose).chain(parts.iter().copied()) {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p.as_bytes());
        }
        hex::encode(m.finalize().into_bytes())
    }

    /// Whether `given` is the MAC of `parts` for `purpose`, compared in constant time.
    pub fn verify_mac(&self, purpose: &str, parts: &[&str], given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.mac(purpose, parts);
        expected.as_bytes().ct_eq(given.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r24_secrets_round_trip_and_need_the_key() {
        let s = Secrets::from_passphrase("k1");
        let sealed = s.seal("client-secret");
        assert!(sealed.starts_with("v2:") && !sealed.contains("client-secret"));
        assert_eq!(s.open(&sealed).as_deref(), Some("client-secret"));
        assert_eq!(Secrets::from_passphrase("k2").open(&sealed), None);
    }

    #[test]
    fn secrets_sealed_before_hkdf_still_open() {
        let key = Sha256::digest(b"k1");
        let nonce = [7u8; 24];
        let ct = XChaCha20Poly1305::new(&key)
            .encrypt(XNonce::from_slice(&nonce), b"old".as_slice())
            .unwrap();
        let sealed = format!("v1:{}{}", hex::encode(nonce), hex::encode(ct));
        assert_eq!(
            Secrets::from_passphrase("k1").open(&sealed).as_deref(),
            Some("old")
        );
    }

    #[test]
    fn macs_depend_on_key_purpose_and_every_part() {
        let s = Secrets::from_passphrase("k1");
        let m = s.mac("csrf", &["a", "b"]);
        assert!(s.verify_mac("csrf", &["a", "b"], &m));
        assert!(!s.verify_mac("code", &["a", "b"], &m));
        assert!(!s.verify_mac("csrf", &["ab", ""], &m));
        assert!(!Secrets::from_passphrase("k2").verify_mac("csrf", &["a", "b"], &m));
    }
}
