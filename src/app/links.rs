//! Links between cases in case data: an application that follows a pre-consultation, one that
//! supersedes an approval after a major change, a re-review of an old approval. Each must point
//! at a case of the same organisation, of the right workflow, in the right state.

use sea_orm::ConnectionTrait;
use serde_json::Value;
use uuid::Uuid;

use super::AppError;
use crate::domain::FieldErrors;
use crate::msg;
use crate::store;

/// (field, workflows it may point at, states it must be in, what that means)
const LINKS: [(&str, &[&str], &[&str], &str); 3] = [
    (
        "pre_consultation",
        &["pre_consultation"],
        &["answered"],
        "an answered pre-consultation",
    ),
    (
        "supersedes",
        &["eia_report", "eia_report_form", "eia_registration"],
        &["approval_announced", "filed"],
        "an approved or filed EIA of the same organisation",
    ),
    (
        "approved_case",
        &["eia_report", "eia_report_form"],
        &["approval_announced"],
        "an approved EIA of the same organisation",
    ),
];

pub async fn check(db: &impl ConnectionTrait, org: &str, data: &Value) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    for (field, workflows, states, meaning) in LINKS {
        let Some(id) = data
            .get(field)
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
        else {
            continue;
        };
        let ok = match store::cases::find(db, id).await? {
            Some(c) => {
                c.org == org
                    && workflows.contains(&c.workflow_key.as_str())
                    && states.contains(&c.state.as_str())
            }
            None => false,
        };
        if !ok {
            errors.add(field, msg!("err-must-name", what = meaning));
        }
    }
    errors.into_result().map_err(AppError::Validation)
}
