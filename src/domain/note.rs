//! Signed notes (C2SP `signed-note`, the format of Go's `golang.org/x/mod/sumdb/note`) with
//! Ed25519 keys, and the transparency log's checkpoint (C2SP `tlog-checkpoint`) they carry.
//!
//! A note is text ending in a newline, a blank line, and signature lines
//! `— <name> <base64(key hash || signature)>`. A key's hash is the first four bytes of
//! `SHA-256(name || "\n" || 0x01 || public key)`. Keys are written as Go writes them: the
//! verifier key `<name>+<hash hex>+<base64(0x01 || public key)>` and the signer key
//! `PRIVATE+KEY+<name>+<hash hex>+<base64(0x01 || seed)>`, so that Go's tools read them too.

use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use sha2::{Digest, Sha256};

const ALG_ED25519: u8 = 1;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed key")]
    MalformedKey,
    #[error("malformed note")]
    MalformedNote,
    #[error("no signature by key {0}")]
    Unsigned(String),
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
}

fn key_hash(name: &str, public: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A name is non-empty, has no space, `+` or control character.
fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

/// The holder of a log's private key.
pub struct Signer {
    name: String,
    hash: u32,
    pair: Ed25519KeyPair,
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Signer, NoteError> {
        if !name_ok(name) {
            return Err(NoteError::MalformedKey);
        }
        let pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| NoteError::MalformedKey)?;
        let hash = key_hash(name, pair.public_key().as_ref());
        Ok(Signer {
            name: name.to_string(),
            hash,
            pair,
        })
    }

    /// Reads `PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>`.
    pub fn parse(skey: &str) -> Result<Signer, NoteError> {
        let rest = skey
            .trim_end()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedKey)?;
        let (name, hash, key) = split_key(rest)?;
        let bytes = B64.decode(key).map_err(|_| NoteError::MalformedKey)?;
        let (alg, seed) = bytes.split_first().ok_or(NoteError::MalformedKey)?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| NoteError::MalformedKey)?;
        if *alg != ALG_ED25519 {
            return Err(NoteError::MalformedKey);
        }
        let signer = Signer::from_seed(name, &seed)?;
        if signer.hash != hash {
            return Err(NoteError::MalformedKey);
        }
        Ok(signer)
    }

    /// The private key, written for a key file.
    pub fn private_key(&self, seed: &[u8; 32]) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(seed);
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.hash,
            B64.encode(bytes)
        )
    }

    /// The key anyone checks the log's notes with.
    pub fn verifier_key(&self) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.pair.public_key().as_ref());
        format!("{}+{:08x}+{}", self.name, self.hash, B64.encode(bytes))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Signs `text` (which ends in a newline) into a note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        if !text.ends_with('\n') || text.contains("\n\n") {
            return Err(NoteError::MalformedNote);
        }
        let signature = self.pair.sign(text.as_bytes());
        let mut blob = self.hash.to_be_bytes().to_vec();
        blob.extend_from_slice(signature.as_ref());
        Ok(format!("{text}\n— {} {}\n", self.name, B64.encode(blob)))
    }
}

fn split_key(key: &str) -> Result<(&str, u32, &str), NoteError> {
    let mut parts = key.splitn(3, '+');
    let (Some(name), Some(hash), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey);
    };
    if !name_ok(name) || hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::MalformedKey);
    }
    let hash = u32::from_str_radix(hash, 16).map_err(|_| NoteError::MalformedKey)?;
    Ok((name, hash, rest))
}

/// A public key that checks notes.
#[derive(Debug, Clone)]
pub struct Verifier {
    name: String,
    hash: u32,
    public: Vec<u8>,
}

impl Verifier {
    /// Reads `<name>+<hash>+<base64(0x01 || public key)>`.
    pub fn parse(vkey: &str) -> Result<Verifier, NoteError> {
        let (name, hash, key) = split_key(vkey.trim())?;
        let bytes = B64.decode(key).map_err(|_| NoteError::MalformedKey)?;
        let (alg, public) = bytes.split_first().ok_or(NoteError::MalformedKey)?;
        if *alg != ALG_ED25519 || public.len() != 32 || key_hash(name, public) != hash {
            return Err(NoteError::MalformedKey);
        }
        Ok(Verifier {
            name: name.to_string(),
            hash,
            public: public.to_vec(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text of `note` if this key signed it.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let split = note.rfind("\n\n").ok_or(NoteError::MalformedNote)?;
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(NoteError::MalformedNote);
        }
        for line in sigs.lines() {
            let rest = line.strip_prefix("— ").ok_or(NoteError::MalformedNote)?;
            let (name, b64) = rest.split_once(' ').ok_or(NoteError::MalformedNote)?;
            let blob = B64.decode(b64).map_err(|_| NoteError::MalformedNote)?;
            if name != self.name || blob.len() < 4 {
                continue;
            }
            if u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]) != self.hash {
                continue;
            }
            return UnparsedPublicKey::new(&ED25519, &self.public)
                .verify(text.as_bytes(), &blob[4..])
                .map(|()| text)
                .map_err(|_| NoteError::BadSignature(self.name.clone()));
        }
        Err(NoteError::Unsigned(self.name.clone()))
    }
}

/// A checkpoint: the log's origin, its size, and its root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: [u8; 32],
}

impl Checkpoint {
    /// The checkpoint's text: `<origin>\n<size>\n<base64 root>\n`.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Reads a checkpoint's text (extension lines after the root are allowed and ignored).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(NoteError::MalformedCheckpoint("no origin"))?;
        let size = lines
            .next()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .filter(|s| s.len() == 1 || !s.starts_with('0'))
            .and_then(|s| s.parse().ok())
            .ok_or(NoteError::MalformedCheckpoint("bad size"))?;
        let root = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| <[u8; 32]>::try_from(r).ok())
            .ok_or(NoteError::MalformedCheckpoint("bad root hash"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PETER_SIGNER: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VERIFIER: &str =
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const SIGNED: &str = "If you think cryptography is the answer to your problem,\n\
                          then you don't know what your problem is.\n\
                          \n\
                          — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    /// The vectors of Go's `golang.org/x/mod/sumdb/note` tests: the same keys, the same note.
    #[test]
    fn signs_and_verifies_as_go_does() {
        let signer = Signer::parse(PETER_SIGNER).expect("signer key");
        assert_eq!(signer.verifier_key(), PETER_VERIFIER);
        assert_eq!(signer.sign(TEXT).expect("sign"), SIGNED);
        let verifier = Verifier::parse(PETER_VERIFIER).expect("verifier key");
        assert_eq!(verifier.open(SIGNED), Ok(TEXT));
    }

    #[test]
    fn a_changed_note_or_key_is_refused() {
        let verifier = Verifier::parse(PETER_VERIFIER).expect("verifier key");
        let changed = SIGNED.replace("answer", "Answer");
        assert!(matches!(
            verifier.open(&changed),
            Err(NoteError::BadSignature(_))
        ));
        let other = Signer::from_seed("PeterNeumann", &[7; 32]).expect("signer");
        let forged = other.sign(TEXT).expect("sign");
        assert!(matches!(
            verifier.open(&forged),
            Err(NoteError::Unsigned(_))
        ));
        for bad in [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad}");
        }
        assert!(Signer::parse(&PETER_SIGNER.replace("c74f20a3", "c74f20a4")).is_err());
    }

    #[test]
    fn checkpoints_round_trip_and_refuse_bad_lines() {
        let c = Checkpoint {
            origin: "greenlane.example/log".into(),
            size: 42,
            root: [9; 32],
        };
        assert_eq!(
            c.text(),
            "greenlane.example/log\n42\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n"
        );
        assert_eq!(Checkpoint::parse(&c.text()), Ok(c));
        for bad in [
            "",
            "origin\n042\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "origin\n-1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "origin\n1\nshort\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
