//! Waterfront siting: river lines and rules loaded from `workflows/geo/`, the check of a site
//! on request, and the check made when an EIA case is submitted (recorded with the case and in
//! its audit entry; a refusal may cite a flag as ground (1)).

use std::path::Path;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use uuid::Uuid;

use super::{App, AppError};
use crate::domain::siting::{self, Check, River, Rules, Site};
use crate::domain::FieldErrors;
use crate::msg;
use crate::store;

/// The rivers and rules in force.
#[derive(Debug, Clone, Default)]
pub struct Siting {
    pub rivers: Vec<River>,
    pub rules: Option<Rules>,
}

impl Siting {
    /// Reads `geo/rivers.geojson` and `geo/siting.toml`; without them, nothing is checked.
    pub fn load(dir: &Path) -> anyhow::Result<Siting> {
        let rivers_file = dir.join("rivers.geojson");
        let rules_file = dir.join("siting.toml");
        let (Ok(rivers), Ok(rules)) = (
            std::fs::read_to_string(&rivers_file),
            std::fs::read_to_string(&rules_file),
        ) else {
            tracing::warn!(
                "no {} or {}: sites are not checked against waterfront rules",
                rivers_file.display(),
                rules_file.display()
            );
            return Ok(Siting::default());
        };
        Ok(Siting {
            rivers: siting::rivers_from_geojson(&rivers)
                .map_err(|e| anyhow::anyhow!("{}: {e}", rivers_file.display()))?,
            rules: Some(
                Rules::parse(&rules)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", rules_file.display()))?,
            ),
        })
    }

    fn check(&self, site: &Site, industry: Option<&str>, park: bool) -> Option<Check> {
        let rules = self.rules.as_ref()?;
        Some(siting::check(&self.rivers, rules, site, industry, park))
    }
}

/// `POST /siting/check`: `{"geometry": GeoJSON Point or Polygon, "industry_code"?, "industrial_park"?}`.
pub fn check_request(app: &App, input: &Value) -> Result<Check, AppError> {
    let mut errors = FieldErrors::default();
    if let Some(map) = input.as_object() {
        for k in map.keys() {
            if !["geometry", "industry_code", "industrial_park"].contains(&k.as_str()) {
                errors.add(k.clone(), msg!("err-unknown-field"));
            }
        }
    }
    let site = match input.get("geometry") {
        None => {
            errors.add("geometry", msg!("err-location-required"));
            None
        }
        Some(g) => {
            match crate::domain::project::Location::parse(g)
                .and_then(|_| Site::from_geojson(g).map_err(|_| msg!("err-location")))
            {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.add("geometry", e);
                    None
                }
            }
        }
    };
    let industry = match input.get("industry_code") {
        None | Some(Value::Null) => None,
        Some(v) => match v
            .as_str()
            .and_then(crate::domain::project::IndustryCode::parse)
        {
            Some(c) => Some(c.as_str().to_string()),
            None => {
                errors.add("industry_code", msg!("err-industry-code"));
                None
            }
        },
    };
    let park = match input.get("industrial_park") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add("industrial_park", msg!("err-boolean"));
            false
        }
    };
    errors.into_result().map_err(AppError::Validation)?;
    let site = site.ok_or_else(|| AppError::invalid("geometry", msg!("err-required")))?;
    app.siting
        .check(&site, industry.as_deref(), park)
        .ok_or_else(|| AppError::NotFound("waterfront rules (workflows/geo)".into()))
}

/// The check of a case's data when it is submitted: a project EIA's site and industry, or a
/// planning EIA's area when the plan is an industrial park. `None` for other data.
pub fn check_case(app: &App, data: &Value) -> Option<Check> {
    if let Some(area) = data.get("area") {
        let park = data.get("plan_type").and_then(Value::as_str) == Some("industrial_park");
        let site = Site::from_geojson(area).ok()?;
        return app.siting.check(&site, None, park);
    }
    let site = Site::from_geojson(data.get("location")?).ok()?;
    let industry = data.get("industry_code").and_then(Value::as_str);
    app.siting.check(&site, industry, false)
}

pub async fn save(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    check: &Check,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let text = serde_json::to_string(check).map_err(|e| AppError::Unexpected(e.into()))?;
    store::reform::save_siting(db, case_id, &text, at).await?;
    Ok(())
}

/// A case's siting check, if one was made.
pub async fn of_case(db: &impl ConnectionTrait, case_id: Uuid) -> Result<Option<Check>, AppError> {
    match store::reform::siting(db, case_id).await? {
        Some(row) => Ok(Some(
            serde_json::from_str(&row.result).map_err(|e| AppError::Unexpected(e.into()))?,
        )),
        None => Ok(None),
    }
}

/// A refusal citing a siting flag (`siting_rule`) must cite ground (1), `plan_or_law`, and
/// name a rule flagged on this case.
pub async fn check_refusal(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    payload: &Value,
) -> Result<(), AppError> {
    let Some(rule) = payload.get("siting_rule").and_then(Value::as_str) else {
        return Ok(());
    };
    let grounds_ok = payload
        .get("grounds")
        .and_then(Value::as_array)
        .is_some_and(|g| g.iter().any(|x| x == "plan_or_law"));
    if !grounds_ok {
        return Err(AppError::invalid("grounds", msg!("err-siting-ground")));
    }
    let flagged = of_case(db, case_id)
        .await?
        .is_some_and(|c| c.flags.iter().any(|f| f.rule == rule));
    if !flagged {
        return Err(AppError::invalid(
            "siting_rule",
            msg!("err-siting-rule-not-flagged", rule = rule),
        ));
    }
    Ok(())
}
