//! The fast path of a batch of deadlines. The cases that have one due timer each are read
//! together (the cases, their clocks, the steps their rules look at, their documents: five
//! queries; for workflows that publish, their users and organisations: two more), decided and
//! planned in memory, and written together: one version-checked UPDATE for every case, one
//! INSERT for every audit entry, at most five clock statements, one INSERT for every notice and
//! one for every public notice. A timer this path cannot take (a warning on an auction lot, an
//! expiry the engine refuses, a transition that moves the registry, a proposed decision, which
//! reports the public's comments, or a case that moved on meanwhile) goes to the one-by-one
//! path, which isolates and reports a failure.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::cases::notices;
use super::super::clocks::{self, CaseClocks};
use super::super::load::history_steps_of;
use super::super::plan::{self, Planned};
use super::super::publish;
use super::super::{App, AppError};
use crate::domain::calendar::Calendar;
use crate::engine::{self, Actor, Definition};
use crate::store;
use crate::store::clocks::{TimerOutcome, TimerRow, FIRED, SKIPPED};
use crate::store::notices::NoticeRow;
use crate::store::publications::PublicationRow;

/// What the fast path does with one timer.
enum Verdict {
    /// Planned: the case's transition (none for a warning) and the notices.
    Fire {
        planned: Option<Box<Planned>>,
        notices: Vec<NoticeRow>,
        publication: Option<Box<PublicationRow>>,
    },
    /// Nothing to do, and why.
    Skip(String),
    /// For the one-by-one path.
    Slow,
}

/// What became of the fast path's timers.
#[derive(Default)]
pub(super) struct Done {
    pub outcomes: Vec<TimerOutcome>,
    /// Timers left to the one-by-one path.
    pub slow: Vec<Uuid>,
}

/// Decides, plans and writes the timers of `singles` (one timer per case) inside `tx`.
pub(super) async fn run(
    tx: &sea_orm::DatabaseTransaction,
    app: &App,
    singles: &[&TimerRow],
    now: DateTime<Utc>,
    cal: &Calendar,
) -> Result<Done, AppError> {
    let verdicts = decide_all(tx, app, singles, now, cal).await?;
    let mut done = Done::default();
    let mut rows = store::plan::Rows::default();
    let mut writes = Vec::new();
    let mut pending = Vec::new();
    for (timer, verdict) in singles.iter().zip(verdicts) {
        match verdict {
            Verdict::Skip(why) => done.outcomes.push(TimerOutcome {
                id: timer.id,
                status: SKIPPED,
                note: Some(why),
            }),
            Verdict::Slow => done.slow.push(timer.id),
            Verdict::Fire {
                planned: None,
                notices,
                ..
            } => {
                rows.notices.extend(notices);
                done.outcomes.push(fired(timer.id));
            }
            Verdict::Fire {
                planned: Some(planned),
                notices,
                publication,
            } => {
                writes.push(planned.plan.case.clone());
                pending.push((timer.id, timer.case_id, planned, notices, publication));
            }
        }
    }
    let moved: std::collections::HashSet<Uuid> = store::cases::advance_many(tx, &writes)
        .await?
        .into_iter()
        .collect();
    for (timer, case_id, planned, notices, publication) in pending {
        if moved.contains(&case_id) {
            planned.plan.add_to(&mut rows)?;
            rows.notices.extend(notices);
            rows.publications.extend(publication.map(|p| *p));
            done.outcomes.push(fired(timer));
        } else {
            // The case changed since it was read: decide again, one by one.
            done.slow.push(timer);
        }
    }
    let published = !rows.publications.is_empty();
    store::plan::write(tx, rows).await?;
    if published {
        app.bulletin_counts.changed();
    }
    Ok(done)
}

fn fired(id: Uuid) -> TimerOutcome {
    TimerOutcome {
        id,
        status: FIRED,
        note: None,
    }
}

/// Reads what every case of the batch needs, in five queries (two more when some publish a
/// notice), and decides each timer.
async fn decide_all(
    tx: &sea_orm::DatabaseTransaction,
    app: &App,
    singles: &[&TimerRow],
    now: DateTime<Utc>,
    cal: &Calendar,
) -> Result<Vec<Verdict>, AppError> {
    let ids: Vec<Uuid> = singles.iter().map(|t| t.case_id).collect();
    let mut cases: HashMap<Uuid, store::cases::CaseRow> = store::cases::find_many(tx, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let defs: HashMap<Uuid, std::sync::Arc<Definition>> = cases
        .values()
        .filter_map(|r| {
            let version = u32::try_from(r.workflow_version).unwrap_or_default();
            app.workflows
                .get(&r.workflow_key, version)
                .map(|d| (r.id, d))
        })
        .collect();
    let pairs: Vec<(Uuid, &Definition)> = defs.iter().map(|(id, d)| (*id, d.as_ref())).collect();
    let mut histories = history_steps_of(tx, &pairs).await?;
    let mut case_clocks = CaseClocks::load_many(tx, &ids).await?;
    let mut documents = super::super::documents::relied_on_many(tx, &ids).await?;
    let publishing: Vec<&store::cases::CaseRow> = cases
        .values()
        .filter(|r| defs.get(&r.id).is_some_and(|d| !d.publish.is_empty()))
        .collect();
    let mut parties = publish::parties_of(tx, &publishing).await?;
    let mut out = Vec::with_capacity(singles.len());
    for timer in singles {
        let (Some(row), Some(def), Some(clocks)) = (
            cases.remove(&timer.case_id),
            defs.get(&timer.case_id),
            case_clocks.remove(&timer.case_id),
        ) else {
            // A missing case or definition: the one-by-one path says which.
            out.push(Verdict::Slow);
            continue;
        };
        let case = Case {
            row,
            def,
            history: histories.remove(&timer.case_id).unwrap_or_default(),
            clocks,
            documents: documents.remove(&timer.case_id).unwrap_or_default(),
            parties: parties.remove(&timer.case_id).unwrap_or_default(),
        };
        out.push(decide(app, timer, case, now, cal).unwrap_or(Verdict::Slow));
    }
    Ok(out)
}

/// One case of the batch, as read.
struct Case<'a> {
    row: store::cases::CaseRow,
    def: &'a Definition,
    history: Vec<engine::Step>,
    clocks: CaseClocks,
    documents: Vec<serde_json::Value>,
    /// Whom a notice names, for a case whose workflow publishes.
    parties: publish::Parties,
}

/// Decides one timer against its case, in memory. An error sends it to the one-by-one path.
fn decide(
    app: &App,
    timer: &TimerRow,
    case: Case<'_>,
    now: DateTime<Utc>,
    cal: &Calendar,
) -> Result<Verdict, AppError> {
    let def = case.def;
    let action = match super::judge(timer, &case.clocks) {
        super::Due::Skip(why) => return Ok(Verdict::Skip(why.into())),
        super::Due::Warn { due } => {
            if def.data == Some(crate::engine::DataSchema::AuctionLot) {
                return Ok(Verdict::Slow); // its unpaid winners are read one by one
            }
            let warned = super::Warned {
                def,
                row: &case.row,
                clocks: &case.clocks,
                timer,
                due,
                unpaid: Vec::new(),
            };
            let notices = super::warning_notices(app, warned, cal, now)?;
            return Ok(Verdict::Fire {
                planned: None,
                notices,
                publication: None,
            });
        }
        super::Due::Expire { action } => action,
    };
    let Ok(transition) = super::decide_expiry(def, &case.row, &case.history, action, timer) else {
        return Ok(Verdict::Slow); // refused: the one-by-one path records the failure
    };
    // A proposed decision reports the public's comments, read one by one.
    let proposes = def
        .publication_on(&transition.action)
        .is_some_and(|p| p.notice == crate::engine::NoticeKind::ProposedDecision);
    if reads_in_its_transaction(&transition)
        || !clocks::continued_with_warnings(def, &transition.effects).is_empty()
        || proposes
    {
        return Ok(Verdict::Slow);
    }
    plan_expiry(app, timer, case, &transition, now, cal)
}

/// True when the transition reads or counts rows inside its transaction before it is planned (a
/// registry or auction effect reads the lot's book, a reference number takes the next of its
/// series, new data is checked against the directory): the batch leaves it to the one-by-one
/// path, which takes the same road as a person's action.
fn reads_in_its_transaction(t: &engine::Transition) -> bool {
    t.effects.iter().any(|e| {
        matches!(
            e,
            engine::Effect::Ledger(_)
                | engine::Effect::IssueReference { .. }
                | engine::Effect::ReplaceData(_)
        )
    })
}

/// Plans an expiry's transition and its notices.
fn plan_expiry(
    app: &App,
    timer: &TimerRow,
    mut case: Case<'_>,
    transition: &engine::Transition,
    now: DateTime<Utc>,
    cal: &Calendar,
) -> Result<Verdict, AppError> {
    let system = Actor::system();
    let mut planned = plan::transition(
        app,
        plan::Input {
            def: case.def,
            row: &case.row,
            history: std::mem::take(&mut case.history),
            actor: &system,
            transition,
            audit_payload: super::deadline_payload(timer, now),
            comment: Some(super::deadline_comment(timer)),
            relied_on: std::mem::take(&mut case.documents),
            now,
            clocks: &mut case.clocks,
            fired: &clocks::FiredWarnings::new(),
            cal,
            facts: Default::default(),
        },
    )?;
    let making = publish::Making {
        def: case.def,
        clocks: &case.clocks,
        cal,
        now,
    };
    let publication = making
        .publish(&mut planned, transition, &case.parties, None)
        .map(Box::new);
    let notices = notices(
        app,
        case.def,
        &planned.updated,
        &system,
        transition,
        Some(&super::deadline_comment(timer)),
        &super::deadline_payload(timer, now),
        &[],
        &case.clocks,
        cal,
        now,
    )?;
    Ok(Verdict::Fire {
        planned: Some(Box::new(planned)),
        notices,
        publication,
    })
}
