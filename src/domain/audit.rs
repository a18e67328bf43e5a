//! The tamper-evident audit chain: each entry's hash covers the previous hash and a canonical
//! encoding of the entry, so changing, removing or reordering an entry breaks every later link.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `previous hash` of a case's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit entry says, before it is chained.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub case_id: Uuid,
    pub seq: i64,
    pub actor: String,
    pub actor_org: String,
    pub roles: Vec<String>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub payload: Value,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
    /// The documents the action relied on: `[{"name", "version", "sha256"}]`. Part of the hash
    /// when not empty (and absent from the encoding when empty, so older entries keep theirs).
    pub documents: Vec<Value>,
    /// The address the request came from, kept beside the entry and outside its hash (personal
    /// data that may be erased after its retention period without breaking the chain).
    pub address: Option<String>,
}

impl AuditRecord {
    /// A canonical JSON encoding: keys sorted, no insignificant whitespace, time in RFC 3339
    /// with microseconds (the precision both databases keep).
    pub fn canonical(&self) -> String {
        let mut value = serde_json::json!({
            "case_id": self.case_id.to_string(),
            "seq": self.seq,
            "actor": self.actor,
            "actor_org": self.actor_org,
            "roles": self.roles,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "payload": self.payload,
            "comment": self.comment,
            "at": self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        });
        if !self.documents.is_empty() {
            value["documents"] = Value::Array(self.documents.clone());
        }
        canonical_json(&value)
    }

    /// SHA-256 over the previous hash and the canonical encoding, as lower-case hex.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Serialises JSON with object keys sorted at every level, whatever map order the value had.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                write_canonical(&map[key.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Truncates a time to the microsecond precision that both databases store.
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> AuditRecord {
        AuditRecord {
            case_id: Uuid::nil(),
            seq: 1,
            actor: "alice@example.com".into(),
            actor_org: "ACME".into(),
            address: None,
            roles: vec!["applicant".into()],
            action: "submit".into(),
            from_state: "draft".into(),
            to_state: "submitted".into(),
            payload: json!({"b": 1, "a": [true, null, "x"]}),
            comment: None,
            at: DateTime::parse_from_rfc3339("2026-01-05T08:00:00.123456789Z")
                .expect("time")
                .with_timezone(&Utc),
            documents: Vec::new(),
        }
    }

    #[test]
    fn canonical_form_sorts_keys_and_keeps_microseconds() {
        let c = record().canonical();
        assert!(
            c.starts_with(r#"{"action":"submit","actor":"alice@example.com""#),
            "{c}"
        );
        assert!(
            c.contains(r#""payload":{"a":[true,null,"x"],"b":1}"#),
            "{c}"
        );
        assert!(c.contains(r#""at":"2026-01-05T08:00:00.123456Z""#), "{c}");
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = record();
        let h = base.chain_hash(GENESIS);
        assert_eq!(h.len(), 64);
        assert_eq!(h, base.chain_hash(GENESIS));
        assert_ne!(h, base.chain_hash(&"1".repeat(64)));
        let mut changed = base.clone();
        changed.payload = json!({"b": 2, "a": [true, null, "x"]});
        assert_ne!(h, changed.chain_hash(GENESIS));
        let mut changed = base;
        changed.actor = "mallory@example.com".into();
        assert_ne!(h, changed.chain_hash(GENESIS));
    }
}
