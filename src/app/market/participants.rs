//! Market participants: the discharge permit and related group the market operator keeps per
//! enterprise.

use super::*;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Participant {
    pub org: String,
    pub permit_no: Option<String>,
    pub permit_basin: Option<String>,
    pub permit_valid_to: Option<String>,
    /// Related accounts share a group and bid as one.
    pub group: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl From<ParticipantRow> for Participant {
    fn from(r: ParticipantRow) -> Self {
        Participant {
            org: r.org,
            permit_no: r.permit_no,
            permit_basin: r.permit_basin,
            permit_valid_to: r.permit_valid_to,
            group: r.group_code,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

pub(super) fn optional_text(
    input: &Value,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match input.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 100 => {
            Some(s.trim().to_string())
        }
        Some(_) => {
            errors.add(field, msg!("err-optional-text", max = 100));
            None
        }
    }
}

/// Records what the market knows of an enterprise (market operator): its discharge permit
/// (number, basin, last day of validity) and its group of related accounts.
pub async fn set_participant(
    app: &App,
    actor: &Actor,
    org: &str,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<Participant, AppError> {
    crate::app::require(actor, Role::MarketOperator)?;
    let mut errors = FieldErrors::default();
    if !input.is_object() {
        errors.add("body", msg!("err-not-an-object"));
    }
    for k in input.as_object().map(|m| m.keys()).into_iter().flatten() {
        if !["permit_no", "permit_basin", "permit_valid_to", "group"].contains(&k.as_str()) {
            errors.add(k.clone(), msg!("err-unknown-field"));
        }
    }
    let permit_no = optional_text(&input, "permit_no", &mut errors);
    let basin = optional_text(&input, "permit_basin", &mut errors);
    if let Some(b) = &basin {
        let mut probe = serde_json::Map::new();
        probe.insert("basin".into(), Value::String(b.clone()));
        let mut e = FieldErrors::default();
        ledger::asset(&probe, &mut e);
        if e.0.contains_key("basin") {
            errors.add("permit_basin", msg!("err-basin"));
        }
    }
    let valid_to = optional_text(&input, "permit_valid_to", &mut errors);
    if let Some(v) = &valid_to {
        if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
            errors.add("permit_valid_to", msg!("err-date"));
        }
    }
    if permit_no.is_some() != valid_to.is_some() || permit_no.is_some() != basin.is_some() {
        errors.add("permit_no", msg!("err-permit-incomplete"));
    }
    let group = optional_text(&input, "group", &mut errors);
    match store::directory::find_org(&app.db, org).await? {
        Some(o) if OrgKind::Enterprise.is(&o.kind) => {}
        Some(_) => errors.add("org", msg!("err-not-an-enterprise", code = org)),
        None => return Err(AppError::NotFound(format!("organisation {org}"))),
    }
    errors.into_result().map_err(AppError::Validation)?;
    let now = to_micros(app.clock.now());
    let row = ParticipantRow {
        org: org.to_string(),
        permit_no,
        permit_basin: basin,
        permit_valid_to: valid_to,
        group_code: group,
        updated_by: actor.subject.clone(),
        updated_at: now,
    };
    let tx = app.db.begin().await?;
    store::market::upsert_participant(&tx, row.clone()).await?;
    append_installation(
        &tx,
        actor,
        "market.participant",
        json!({"org": row.org, "permit_no": row.permit_no, "permit_basin": row.permit_basin, "permit_valid_to": row.permit_valid_to, "group": row.group_code}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, Participant::from(row), now).await
}

/// Market participants: an enterprise sees its own record; the market operator, auditors and
/// admins see all.
pub async fn participants(app: &App, actor: &Actor) -> Result<Vec<Participant>, AppError> {
    let all = store::market::participants(&app.db).await?;
    Ok(all
        .into_iter()
        .filter(|p| sees_all(actor) || p.org == actor.org)
        .map(Participant::from)
        .collect())
}
