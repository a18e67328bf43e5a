//! Reading a case for a use case: the case the actor may see, the workflow it runs, and the
//! steps of its history that the workflow's rules look at.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::directory;
use super::{App, AppError};
use crate::engine::{Actor, Definition, Step};
use crate::store;
use crate::store::cases::CaseRow;

/// Loads a case the actor may see, or answers NotFound (also for another organisation's case,
/// and for an enterprise that has not granted this agency access).
pub(crate) async fn load_visible(app: &App, actor: &Actor, id: Uuid) -> Result<CaseRow, AppError> {
    let row = store::cases::find(&app.db, id).await?;
    match row {
        Some(row) if directory::access(&app.db, actor).await?.covers(&row.org) => Ok(row),
        _ => Err(AppError::NotFound(format!("case {id}"))),
    }
}

/// A case the actor may see, read once per request and handed to every use case the request
/// makes (a page's snapshot, timeline, documents, notices and comments; an action's decision),
/// so that none reads it again. Only [`open`] makes one.
pub struct Visible {
    row: CaseRow,
}

impl Visible {
    pub fn id(&self) -> Uuid {
        self.row.id
    }

    pub fn row(&self) -> &CaseRow {
        &self.row
    }

    pub(crate) fn into_row(self) -> CaseRow {
        self.row
    }
}

/// Reads a case the actor may see (see [`load_visible`]).
pub async fn open(app: &App, actor: &Actor, id: Uuid) -> Result<Visible, AppError> {
    Ok(Visible {
        row: load_visible(app, actor, id).await?,
    })
}

/// A case the actor may see, with its workflow and what deciding an action on it needs, all
/// from one query (`store::context::with_case`).
pub struct Opened {
    pub(crate) case: Visible,
    pub(crate) def: std::sync::Arc<Definition>,
    pub(crate) context: Context,
    /// Whom a public notice on the case names.
    pub(crate) parties: super::publish::Parties,
}

impl Opened {
    pub fn row(&self) -> &CaseRow {
        self.case.row()
    }

    pub fn definition(&self) -> &Definition {
        &self.def
    }

    pub fn case(&self) -> &Visible {
        &self.case
    }
}

/// Reads a case the actor may see and, in the same query, whom a notice on it names, the steps
/// any deployed workflow's rules look at (those of the case's own are kept), its clocks and its
/// documents.
pub async fn open_with_context(app: &App, actor: &Actor, id: Uuid) -> Result<Opened, AppError> {
    let c = store::context::with_case(&app.db, id, app.workflows.looked_at_anywhere()).await?;
    let row = match c.case {
        Some(row) if directory::access(&app.db, actor).await?.covers(&row.org) => row,
        _ => return Err(AppError::NotFound(format!("case {id}"))),
    };
    let def = definition_of(app, &row)?;
    let history = c
        .steps
        .into_iter()
        .filter(|s| def.looked_at.contains(&s.0))
        .map(step)
        .collect();
    let parties = super::publish::Parties {
        enterprise: c.enterprise,
        agency: c
            .creator_org
            .filter(|o| crate::domain::directory::OrgKind::Agency.is(&o.kind))
            .map(|o| o.name),
    };
    Ok(Opened {
        parties,
        case: Visible { row },
        context: Context {
            history,
            clocks: super::clocks::CaseClocks::from_rows(c.clocks, c.segments),
            relied_on: super::documents::latest_hashes(c.documents),
        },
        def,
    })
}

pub(crate) fn definition_of(
    app: &App,
    row: &CaseRow,
) -> Result<std::sync::Arc<Definition>, AppError> {
    let version = u32::try_from(row.workflow_version).unwrap_or_default();
    app.workflows
        .get(&row.workflow_key, version)
        .ok_or_else(|| {
            AppError::Unexpected(anyhow::anyhow!(
                "case {} uses workflow {} v{}, which is not deployed",
                row.id,
                row.workflow_key,
                version
            ))
        })
}

/// The steps of a case's history that `def`'s rules look at (see `Definition::looked_at`): one
/// query, or none, however long the history.
pub(crate) async fn history_steps(
    db: &impl sea_orm::ConnectionTrait,
    def: &Definition,
    case_id: Uuid,
) -> Result<Vec<Step>, AppError> {
    Ok(store::audit::steps(db, case_id, &def.looked_at)
        .await?
        .into_iter()
        .map(step)
        .collect())
}

/// A step of the history as the engine sees it, from its stored row.
fn step((action, actor, at, payload): store::context::StepRow) -> Step {
    Step {
        action,
        actor,
        at,
        payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
    }
}

/// What deciding an action on a case needs besides the case.
pub(crate) struct Context {
    /// The steps its rules look at.
    pub history: Vec<Step>,
    pub clocks: super::clocks::CaseClocks,
    /// The latest version of each of its documents.
    pub relied_on: Vec<Value>,
}

/// The steps each case's rules look at, for many cases in one query.
pub(crate) async fn history_steps_of(
    db: &impl sea_orm::ConnectionTrait,
    cases: &[(Uuid, &Definition)],
) -> Result<HashMap<Uuid, Vec<Step>>, AppError> {
    let mut actions: Vec<String> = cases
        .iter()
        .flat_map(|(_, d)| d.looked_at.iter().cloned())
        .collect();
    actions.sort();
    actions.dedup();
    let ids: Vec<Uuid> = cases
        .iter()
        .filter(|(_, d)| !d.looked_at.is_empty())
        .map(|(id, _)| *id)
        .collect();
    let mut out: HashMap<Uuid, Vec<Step>> = Default::default();
    for (case_id, action, actor, at, payload) in
        store::audit::steps_of_cases(db, &ids, &actions).await?
    {
        out.entry(case_id)
            .or_default()
            .push(step((action, actor, at, payload)));
    }
    Ok(out)
}
