//! Domain values: parsed, never merely validated. Pure: no IO, no clock.

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
pub mod notice;
pub mod project;
pub mod role;
pub mod siting;

use std::collections::BTreeMap;

pub use credit_code::CreditCode;
pub use role::{Role, RoleSet};

/// Field-level validation errors: field path -> messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reports a body that is not an object, and every key of it not in `known`.
    pub fn known_fields(&mut self, value: &serde_json::Value, known: &[&str]) {
        match value.as_object() {
            None => self.add("body", "must be a JSON object"),
            Some(map) => {
                for k in map.keys().filter(|k| !known.contains(&k.as_str())) {
                    self.add(k.clone(), "unknown field");
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

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join("; ")))
            .collect();
        f.write_str(&parts.join(", "))
    }
}
