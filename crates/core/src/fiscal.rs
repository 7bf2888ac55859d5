//! Signatures of fiscal records (NF525): Ed25519 over the canonical encodings of `chain`.
//!
//! A hash chain alone can be rewritten end to end by whoever holds the database; a
//! signature can only be made with the shop's secret key, whose public half is registered
//! with HQ at enrolment and written in every archive. Every ticket, closure and journal
//! entry carries `signature = KEY_ID:HEX`:
//! - `HEX`: the 64-byte Ed25519 signature (RFC 8032, pure Ed25519) of the record's
//!   canonical encoding bytes, in lower-case hex;
//! - `KEY_ID`: the first 16 hex digits of SHA-256 of the 32-byte public key, so a record
//!   names the key it was signed with and stays verifiable after a key rotation.
//!
//! Public keys travel as 64 hex digits (the raw 32 bytes).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// A shop's secret signing key.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new random key (the operating system's generator).
    pub fn generate() -> SecretKey {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// A key from its 64-hex-digit seed, as stored.
    pub fn from_hex(text: &str) -> Option<SecretKey> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(SecretKey(SigningKey::from_bytes(&bytes)))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    pub fn public_key(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    pub fn key_id(&self) -> String {
        key_id(&self.public_key()).unwrap_or_default()
    }

    /// `KEY_ID:HEX` over `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        format!("{}:{}", self.key_id(), hex::encode(self.0.sign(message).to_bytes()))
    }
}

/// The id of a public key (64 hex digits): the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &str) -> Option<String> {
    let bytes = hex::decode(public_key.trim()).ok()?;
    if bytes.len() != 32 {
        return None;
    }
    Some(hex::encode(Sha256::digest(&bytes))[..16].to_string())
}

/// Why a signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFault {
    /// The record carries none.
    Missing,
    /// Not `KEY_ID:HEX` of 64 bytes.
    Malformed,
    /// Signed with a key that is not among the shop's.
    UnknownKey(String),
    /// The signature does not match the record's content.
    Invalid,
}

impl SignatureFault {
    pub fn describe(&self) -> String {
        match self {
            SignatureFault::Missing => "carries no signature".into(),
            SignatureFault::Malformed => "has a malformed signature".into(),
            SignatureFault::UnknownKey(k) => format!("is signed with key {k}, which is not one of the shop's"),
            SignatureFault::Invalid => "has a signature that does not match its content".into(),
        }
    }
}

/// Checks `signature` over `message` against the shop's public keys (64 hex digits each).
pub fn verify<'a>(
    public_keys: impl IntoIterator<Item = &'a str>,
    message: &[u8],
    signature: Option<&str>,
) -> Result<(), SignatureFault> {
    let signature = signature.ok_or(SignatureFault::Missing)?;
    let (id, sig) = signature.split_once(':').ok_or(SignatureFault::Malformed)?;
    let sig: [u8; 64] = hex::decode(sig).ok().and_then(|b| b.try_into().ok()).ok_or(SignatureFault::Malformed)?;
    let key = public_keys
        .into_iter()
        .find(|k| key_id(k).as_deref() == Some(id))
        .ok_or_else(|| SignatureFault::UnknownKey(id.to_string()))?;
    let key: [u8; 32] =
        hex::decode(key).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| SignatureFault::UnknownKey(id.into()))?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| SignatureFault::UnknownKey(id.to_string()))?;
    key.verify(message, &Signature::from_bytes(&sig)).map_err(|_| SignatureFault::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_message_and_key_only() {
        let key = SecretKey::generate();
        let other = SecretKey::generate();
        let public = key.public_key();
        let signature = key.sign(b"comptoir-ticket/1\ntotal=240\n");
        assert!(signature.starts_with(&format!("{}:", key.key_id())));
        assert_eq!(verify([public.as_str()], b"comptoir-ticket/1\ntotal=240\n", Some(&signature)), Ok(()));
        assert_eq!(
            verify([public.as_str()], b"comptoir-ticket/1\ntotal=241\n", Some(&signature)),
            Err(SignatureFault::Invalid)
        );
        let forged = other.sign(b"comptoir-ticket/1\ntotal=241\n");
        assert_eq!(
            verify([public.as_str()], b"comptoir-ticket/1\ntotal=241\n", Some(&forged)),
            Err(SignatureFault::UnknownKey(other.key_id()))
        );
        assert_eq!(verify([public.as_str()], b"x", None), Err(SignatureFault::Missing));
        assert_eq!(verify([public.as_str()], b"x", Some("nonsense")), Err(SignatureFault::Malformed));
        let back = SecretKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(back.public_key(), public);
    }

    #[test]
    fn old_records_verify_with_the_key_they_were_signed_with() {
        let (old, new) = (SecretKey::generate(), SecretKey::generate());
        let keys = [old.public_key(), new.public_key()];
        let before = old.sign(b"before");
        let after = new.sign(b"after");
        assert_eq!(verify(keys.iter().map(String::as_str), b"before", Some(&before)), Ok(()));
        assert_eq!(verify(keys.iter().map(String::as_str), b"after", Some(&after)), Ok(()));
    }
}
