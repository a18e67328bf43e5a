//! The pre-licence catalogue: CSV import (all or nothing), the items in force on a date for a
//! kind of business, the reduction report, the count over time; and the business licence's
//! checklist, built from the items in force on the day it is submitted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::audit::append_installation;
use super::idempotency::{finish, Idempotency};
use super::{App, AppError};
use crate::domain::audit::to_micros;
use crate::domain::licence::{self, Change, ImportRow, Item, Reduction, Status};
use crate::domain::{FieldErrors, Role};
use crate::engine::Actor;
use crate::msg;
use crate::store;
use crate::store::reform::{ChangeRow, ItemRow};

/// The catalogue as stored: every item with its history.
pub async fn load(db: &impl ConnectionTrait) -> Result<Vec<Item>, AppError> {
    let mut changes: BTreeMap<String, Vec<Change>> = BTreeMap::new();
    for c in store::reform::changes(db).await? {
        let (Some(status), Ok(date)) = (
            Status::parse(&c.status),
            NaiveDate::parse_from_str(&c.effective_from, "%Y-%m-%d"),
        ) else {
            return Err(AppError::Unexpected(anyhow::anyhow!(
                "stored change of {} on {} does not parse",
                c.code,
                c.effective_from
            )));
        };
        changes.entry(c.code).or_default().push(Change {
            status,
            effective_from: date,
            merged_into: c.merged_into,
        });
    }
    Ok(store::reform::items(db)
        .await?
        .into_iter()
        .map(|r| Item {
            history: changes.remove(&r.code).unwrap_or_default(),
            business_kinds: r.business_kinds.split(';').map(str::to_string).collect(),
            code: r.code,
            name: r.name,
            authority: r.authority,
            legal_basis: r.legal_basis,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ImportReport {
    pub sha256: String,
    pub rows: usize,
    pub items_added: usize,
    pub items_updated: usize,
    pub changes_added: usize,
    pub changes_updated: usize,
    pub unchanged: usize,
}

const HEADER: [&str; 8] = [
    "code",
    "name",
    "authority",
    "legal_basis",
    "business_kinds",
    "status",
    "effective_from",
    "merged_into",
];

/// Reads the CSV: a header naming the columns, `#` comment lines; rows numbered by their line.
fn parse_csv(text: &str) -> Result<Vec<(usize, ImportRow)>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    match reader.headers() {
        Ok(h) => {
            let got: Vec<&str> = h.iter().collect();
            if got != HEADER {
                errors.add("header", msg!("err-columns", columns = HEADER.join(",")));
                return Err(errors);
            }
        }
        Err(_) => {
            errors.add("header", msg!("err-csv"));
            return Err(errors);
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                match r.deserialize::<ImportRow>(None) {
                    Ok(row) => rows.push((line, row)),
                    Err(e) => errors.add(format!("line {line}"), msg!("err-csv-row", detail = e)),
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.add(format!("line {line}"), msg!("err-csv-row", detail = e));
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.add("file", msg!("err-no-rows"));
    }
    errors.into_result().map(|()| rows)
}

/// What importing `items` over the stored ones writes (pure): the items described anew and the
/// changes added or corrected; `report` counts them.
fn import_rows(
    items: &[Item],
    by_code: &BTreeMap<&str, &Item>,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
    report: &mut ImportReport,
) -> (Vec<ItemRow>, Vec<ChangeRow>) {
    let mut item_rows = Vec::new();
    let mut change_rows = Vec::new();
    for item in items {
        let old = by_code.get(item.code.as_str());
        let described_alike = old.is_some_and(|o| {
            o.name == item.name
                && o.authority == item.authority
                && o.legal_basis == item.legal_basis
                && o.business_kinds == item.business_kinds
        });
        match old {
            None => report.items_added += 1,
            Some(_) if !described_alike => report.items_updated += 1,
            Some(_) => {}
        }
        if !described_alike {
            item_rows.push(ItemRow {
                code: item.code.clone(),
                name: item.name.clone(),
                authority: item.authority.clone(),
                legal_basis: item.legal_basis.clone(),
                business_kinds: item.business_kinds.join(";"),
                updated_at: now,
            });
        }
        for c in &item.history {
            let before = old.and_then(|o| {
                o.history
                    .iter()
                    .find(|h| h.effective_from == c.effective_from)
            });
            match before {
                Some(b) if b == c => {
                    report.unchanged += 1;
                    continue;
                }
                Some(_) => report.changes_updated += 1,
                None => report.changes_added += 1,
            }
            change_rows.push(ChangeRow {
                code: item.code.clone(),
                effective_from: c.effective_from.to_string(),
                status: c.status.as_str().to_string(),
                merged_into: c.merged_into.clone(),
                recorded_by: actor.subject.clone(),
                recorded_at: now,
            });
        }
    }
    (item_rows, change_rows)
}

/// Imports a catalogue file (admin): every row is checked first; one bad row imports nothing.
/// Re-importing the same file changes nothing.
pub async fn import_csv(
    app: &App,
    actor: &Actor,
    text: &str,
    idem: Option<&Idempotency>,
) -> Result<ImportReport, AppError> {
    super::require(actor, Role::Admin)?;
    let rows = parse_csv(text).map_err(AppError::Validation)?;
    let stored = load(&app.db).await?;
    let known: BTreeSet<String> = stored.iter().map(|i| i.code.clone()).collect();
    let items = licence::check_import(&rows, &known).map_err(|problems| {
        let mut e = FieldErrors::default();
        for (line, field, message) in problems {
            e.add(format!("line {line}: {field}"), message);
        }
        AppError::Validation(e)
    })?;
    let by_code: BTreeMap<&str, &Item> = stored.iter().map(|i| (i.code.as_str(), i)).collect();
    let now = to_micros(app.clock.now());
    let mut report = ImportReport {
        sha256: hex::encode(Sha256::digest(text.as_bytes())),
        rows: rows.len(),
        items_added: 0,
        items_updated: 0,
        changes_added: 0,
        changes_updated: 0,
        unchanged: 0,
    };
    let (item_rows, change_rows) = import_rows(&items, &by_code, actor, now, &mut report);
    if item_rows.is_empty() && change_rows.is_empty() {
        return Ok(report);
    }
    let tx = app.db.begin().await?;
    store::lock_for_write(&tx).await?;
    for row in item_rows {
        store::reform::upsert_item(&tx, row).await?;
    }
    store::reform::upsert_changes(&tx, change_rows).await?;
    append_installation(
        &tx,
        actor,
        "catalogue.import",
        serde_json::to_value(&report).map_err(|e| AppError::Unexpected(e.into()))?,
        now,
    )
    .await?;
    finish(app, tx, actor, idem, report, now).await
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub code: String,
    pub name: String,
    pub authority: String,
    pub legal_basis: String,
    pub business_kinds: Vec<String>,
    /// Since when it is pre-licence (the change in force on the date asked).
    pub since: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemsOn {
    pub on: NaiveDate,
    pub business: Option<String>,
    pub count: usize,
    pub items: Vec<ItemView>,
}

fn view(i: &Item, on: NaiveDate) -> ItemView {
    ItemView {
        code: i.code.clone(),
        name: i.name.clone(),
        authority: i.authority.clone(),
        legal_basis: i.legal_basis.clone(),
        business_kinds: i.business_kinds.clone(),
        since: i.status_on(on).map_or(on, |c| c.effective_from),
    }
}

pub(crate) fn parse_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    match value {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid(field, msg!("err-date"))),
    }
}

/// The pre-licence items in force on `on` (default: today, Beijing time), for a kind of
/// business if given.
pub async fn items_on(
    app: &App,
    on: Option<&str>,
    business: Option<String>,
) -> Result<ItemsOn, AppError> {
    let on = parse_date("on", on)?.unwrap_or_else(|| today(app));
    let items = load(&app.db).await?;
    let list: Vec<ItemView> = licence::pre_licence_on(&items, on, business.as_deref())
        .into_iter()
        .map(|i| view(i, on))
        .collect();
    Ok(ItemsOn {
        on,
        business,
        count: list.len(),
        items: list,
    })
}

/// Today in Beijing, by the app's clock.
fn today(app: &App) -> NaiveDate {
    crate::domain::calendar::local_date(app.clock.now())
}

#[derive(Debug, Clone, Serialize)]
pub struct ReductionReport {
    pub baseline: NaiveDate,
    pub on: NaiveDate,
    /// Per authority; the last line (`*`) is the total.
    pub rows: Vec<Reduction>,
}

pub async fn reduction(
    app: &App,
    baseline: Option<&str>,
    on: Option<&str>,
) -> Result<ReductionReport, AppError> {
    let baseline = parse_date("baseline", baseline)?
        .ok_or_else(|| AppError::invalid("baseline", msg!("err-baseline-required")))?;
    let on = parse_date("on", on)?.unwrap_or_else(|| today(app));
    let items = load(&app.db).await?;
    Ok(ReductionReport {
        baseline,
        on,
        rows: licence::reduction(&items, baseline, on),
    })
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CountOn {
    pub date: NaiveDate,
    pub pre_licence: usize,
}

/// The number of pre-licence items on the first day of every month from `from` (default
/// 2014-01-01) to `to` (default today).
pub async fn counts(
    app: &App,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<CountOn>, AppError> {
    use chrono::Datelike;
    let from = parse_date("from", from)?
        .unwrap_or(NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or_default());
    let to = parse_date("to", to)?.unwrap_or_else(|| today(app));
    if to < from || (to - from).num_days() > 366 * 50 {
        return Err(AppError::invalid("to", msg!("err-period-to")));
    }
    let items = load(&app.db).await?;
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    while d <= to {
        if d >= from {
            out.push(CountOn {
                date: d,
                pre_licence: licence::pre_licence_on(&items, d, None).len(),
            });
        }
        d = d
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
    }
    Ok(out)
}

/// The checklist of a business licence submitted at `at`: the pre-licence items in force that
/// day for its kind of business, each still open.
pub async fn checklist(
    db: &impl ConnectionTrait,
    business: &str,
    at: DateTime<Utc>,
) -> Result<Vec<Value>, AppError> {
    let on = crate::domain::calendar::local_date(at);
    let items = load(db).await?;
    Ok(licence::pre_licence_on(&items, on, Some(business))
        .into_iter()
        .map(|i| {
            json!({
                "code": i.code,
                "name": i.name,
                "authority": i.authority,
                "legal_basis": i.legal_basis,
                "satisfied_by": null,
            })
        })
        .collect())
}

/// Approvals that can satisfy a pre-licence item: (workflow, the states that mean approved).
const APPROVALS: [(&str, &[&str]); 5] = [
    ("eia_report", &["approval_announced"]),
    ("eia_report_form", &["approval_announced"]),
    ("eia_registration", &["filed"]),
    ("eia_rereview", &["approved", "deemed_approved"]),
    ("planning_eia", &["opinion_passed"]),
];

/// Applicants never write the checklist: only the system does.
pub fn refuse_checklist_input(data: &Value) -> Result<(), AppError> {
    if data.get("checklist").is_some() {
        return Err(AppError::invalid("checklist", msg!("err-checklist-built")));
    }
    Ok(())
}

/// Fills in a transition's checklist effects before it is committed: the checklist built from
/// the catalogue on submission, or one item satisfied by an approval or an external reference.
/// The result replaces the case data.
pub async fn prepare(
    db: &impl ConnectionTrait,
    row: &crate::store::cases::CaseRow,
    transition: &mut crate::engine::Transition,
    payload: &Value,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use crate::engine::{ChecklistOp, Effect};
    let ops: Vec<ChecklistOp> = transition
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Checklist(op) => Some(*op),
            _ => None,
        })
        .collect();
    if ops.is_empty() {
        return Ok(());
    }
    let mut data = transition
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::ReplaceData(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap_or_else(|| row.data.clone());
    for op in ops {
        match op {
            ChecklistOp::Build => {
                let kind = data
                    .get("business_kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                data["checklist"] = Value::Array(checklist(db, &kind, now).await?);
            }
            ChecklistOp::Satisfy => satisfy(db, row, &mut data, payload, actor, now).await?,
        }
    }
    transition
        .effects
        .retain(|e| !matches!(e, Effect::ReplaceData(_)));
    transition.effects.insert(0, Effect::ReplaceData(data));
    Ok(())
}

async fn satisfy(
    db: &impl ConnectionTrait,
    row: &crate::store::cases::CaseRow,
    data: &mut Value,
    payload: &Value,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let code = payload
        .get("item")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let approval = payload.get("approval_case").and_then(Value::as_str);
    let external = payload
        .get("external_reference")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let by = match (approval, external) {
        (Some(id), None) => {
            let id = uuid::Uuid::parse_str(id)
                .map_err(|_| AppError::invalid("approval_case", msg!("err-case-id")))?;
            let approved = match store::cases::find(db, id).await? {
                Some(c) => {
                    c.org == row.org
                        && APPROVALS.iter().any(|(w, states)| {
                            *w == c.workflow_key && states.contains(&c.state.as_str())
                        })
                }
                None => false,
            };
            if !approved {
                return Err(AppError::invalid(
                    "approval_case",
                    msg!("err-approval-case"),
                ));
            }
            json!({"approval_case": id})
        }
        (None, Some(reference)) if reference.chars().count() <= 200 => {
            json!({"external_reference": reference})
        }
        (None, Some(_)) => {
            return Err(AppError::invalid(
                "external_reference",
                msg!("err-at-most", max = 200),
            ));
        }
        _ => {
            return Err(AppError::invalid(
                "approval_case",
                msg!("err-approval-either"),
            ))
        }
    };
    let items = data
        .get_mut("checklist")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| AppError::invalid("item", msg!("err-no-checklist")))?;
    let item = items
        .iter_mut()
        .find(|i| i.get("code").and_then(Value::as_str) == Some(code.as_str()))
        .ok_or_else(|| AppError::invalid("item", msg!("err-not-on-checklist", code = &code)))?;
    if !item.get("satisfied_by").is_none_or(Value::is_null) {
        return Err(AppError::invalid(
            "item",
            msg!("err-already-satisfied", code = &code),
        ));
    }
    item["satisfied_by"] = by;
    item["satisfied_at"] = json!(now);
    item["recorded_by"] = json!(actor.subject);
    Ok(())
}
