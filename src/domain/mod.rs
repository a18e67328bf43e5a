//! Domain values: parsed, never merely validated. Pure: no IO, no clock.

pub mod auction;
pub mod audit;
pub mod calendar;
pub mod classification;
pub mod clearing;
pub mod credit_code;
pub mod directory;
pub mod figures;
pub mod ledger;
pub mod licence;
pub mod money;
pub mod note;
pub mod notice;
pub mod project;
pub mod role;
pub mod siting;
pub mod timer;
pub mod tlog;

use std::collections::BTreeMap;

pub use credit_code::CreditCode;
pub use role::{Role, RoleSet};

/// A message for a person: the id of its wording in the locale files (`locales/*.ftl`) and its
/// arguments. A page words it in the reader's language; the API in English (its contract). Built
/// with [`msg!`](crate::msg), which a test reads to check that every id exists in both files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Msg {
    pub id: std::borrow::Cow<'static, str>,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(id: &'static str) -> Msg {
        Msg {
            id: id.into(),
            args: Vec::new(),
        }
    }

    /// As kept in stored data: `{"id": ..., "args": {name: value}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let args: serde_json::Map<String, serde_json::Value> = self
            .args
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(v.as_str())))
            .collect();
        serde_json::json!({"id": self.id, "args": args})
    }

    /// Read back from stored data; arguments keep only names this message may use.
    pub fn from_json(v: &serde_json::Value, names: &[&'static str]) -> Option<Msg> {
        let id = v.get("id")?.as_str()?.to_string();
        let args = names
            .iter()
            .filter_map(|n| Some((*n, v.get("args")?.get(*n)?.as_str()?.to_string())))
            .collect();
        Some(Msg {
            id: id.into(),
            args,
        })
    }

    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Msg {
        self.args.push((name, value.to_string()));
        self
    }
}

/// `msg!("err-length", min = 1, max = 200)`: a [`Msg`] with its arguments.
#[macro_export]
macro_rules! msg {
    ($id:literal) => {
        $crate::domain::Msg::new($id)
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::domain::Msg::new($id)$(.arg(stringify!($name), $value))+
    };
}

impl std::fmt::Display for Msg {
    /// In English, as the API says it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::i18n::english(self))
    }
}

impl serde::Serialize for Msg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Field-level validation errors: field path -> messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, Vec<Msg>>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: Msg) {
        self.0.entry(field.into()).or_default().push(message);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids of a field's messages (for tests and for pages that react to one).
    pub fn ids(&self, field: &str) -> Vec<&str> {
        self.0
            .get(field)
            .map(|m| m.iter().map(|m| m.id.as_ref()).collect())
            .unwrap_or_default()
    }

    /// Reports a body that is not an object, and every key of it not in `known`.
    pub fn known_fields(&mut self, value: &serde_json::Value, known: &[&str]) {
        match value.as_object() {
            None => self.add("body", crate::msg!("err-not-an-object")),
            Some(map) => {
                for k in map.keys().filter(|k| !known.contains(&k.as_str())) {
                    self.add(k.clone(), crate::msg!("err-unknown-field"));
                }
            }
        }
    }

    /// `Ok(())` when there is nothing to report.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl FieldErrors {
    /// One line per field, in English: `field: message; message`.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(field, messages)| {
                let m: Vec<String> = messages.iter().map(Msg::to_string).collect();
                format!("{field}: {}", m.join("; "))
            })
            .collect()
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lines().join(", "))
    }
}
