//! What deciding an action on a case reads, in one query: the case itself, the organisations a
//! public notice names (the case's, and that of the person who opened it), the steps of its
//! history that the rules look at, its clock rows and segments, and its documents. Six queries
//! became one `UNION ALL` whose branches share a row of generic columns (`k` says which table a
//! row came from); the length of the history does not matter, only the steps asked for are
//! read.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use uuid::Uuid;

use super::clocks::{ClockRow, SegmentRow};

/// A step of the history: action, actor, moment, payload (JSON text), oldest first.
pub type StepRow = (String, String, DateTime<Utc>, String);

/// A document version: name, version, SHA-256, ordered by name, then version.
pub type DocumentHash = (String, i32, String);

/// The rows of one case that deciding an action needs.
#[derive(Debug, Default)]
pub struct CaseContext {
    /// The case itself (`None` if there is no such case).
    pub case: Option<super::cases::CaseRow>,
    /// The case's organisation, and the organisation of the person who opened it: whom a public
    /// notice names.
    pub enterprise: Option<super::directory::OrgRow>,
    pub creator_org: Option<super::directory::OrgRow>,
    pub steps: Vec<StepRow>,
    pub clocks: Vec<ClockRow>,
    pub segments: Vec<SegmentRow>,
    pub documents: Vec<DocumentHash>,
}

const STEP: i32 = 1;
const CLOCK: i32 = 2;
const SEGMENT: i32 = 3;
const DOCUMENT: i32 = 4;
const CASE: i32 = 5;
const ENTERPRISE: i32 = 6;
const CREATOR: i32 = 7;

/// Typed empty cells: PostgreSQL types a union's columns branch by branch, and two bare NULLs
/// would make a column text.
const TEXT: &str = "CAST(NULL AS TEXT)";
const BOOL: &str = "CAST(NULL AS BOOLEAN)";
const TIME: &str = "CAST(NULL AS TIMESTAMPTZ)";
const UUID: &str = "CAST(NULL AS UUID)";

/// The generic columns every branch fills, in order.
const COLUMNS: [&str; 10] = ["k", "s1", "s2", "s3", "s4", "n1", "b1", "t1", "t2", "u1"];

/// The columns only the case's branch fills (the others fill them with typed NULLs): its
/// remaining text, its version and its third moment.
const CASE_COLUMNS: [&str; 6] = ["s5", "s6", "s7", "s8", "n2", "t3"];

/// One branch: `expressions` for [`COLUMNS`], each named (only the first branch's names count,
/// but then any branch may come first); `extra` the columns the case's branch adds.
fn branch(kind: i32, expressions: [&str; 9], extra: [&str; 6], from: &str) -> String {
    let mut named: Vec<String> = std::iter::once(kind.to_string())
        .chain(expressions.iter().map(|e| e.to_string()))
        .zip(COLUMNS)
        // The numbers are `int4` in some tables and `int8` in others: always `int8`.
        .map(|(e, c)| match c {
            "n1" => format!("CAST({e} AS BIGINT) AS {c}"),
            _ => format!("{e} AS {c}"),
        })
        .collect();
    named.extend(extra.iter().zip(CASE_COLUMNS).map(|(e, c)| match c {
        "n2" => format!("CAST({e} AS BIGINT) AS {c}"),
        _ => format!("{e} AS {c}"),
    }));
    format!("SELECT {} FROM {from}", named.join(", "))
}

/// The case branch's extra columns as NULLs, for the other branches.
const NO_CASE: [&str; 6] = [TEXT, TEXT, TEXT, TEXT, "CAST(NULL AS BIGINT)", TIME];

/// The statement: `$1` (`?1` on SQLite) is the case, the next ones the actions whose steps are
/// read.
fn sql(backend: DbBackend, actions: usize) -> String {
    let p = |i: usize| super::placeholder(backend, i);
    let case = p(1);
    let mut branches = case_and_parties(&case);
    if actions > 0 {
        let list: Vec<String> = (2..actions + 2).map(p).collect();
        branches.push(branch(
            STEP,
            [
                "action", "actor", "payload", TEXT, "seq", BOOL, "at", TIME, UUID,
            ],
            NO_CASE,
            &format!(
                "audit_entries WHERE case_id = {case} AND action IN ({})",
                list.join(", ")
            ),
        ));
    }
    branches.extend(clocks_and_documents(&case));
    branches.join(" UNION ALL ")
}

/// The branches of the case and of the organisations a notice on it names.
fn case_and_parties(case: &str) -> Vec<String> {
    let org = |kind: i32, from: &str| {
        let columns = [
            "o.code",
            "o.name",
            "o.kind",
            "o.credit_code",
            "0",
            BOOL,
            "o.created_at",
            TIME,
            UUID,
        ];
        branch(kind, columns, NO_CASE, from)
    };
    vec![
        branch(
            CASE,
            [
                "workflow_key",
                "state",
                "org",
                "audit_head",
                "version",
                BOOL,
                "created_at",
                "updated_at",
                "id",
            ],
            [
                "CAST(data AS TEXT)",
                "created_by",
                "reference",
                "title",
                "workflow_version",
                "submitted_at",
            ],
            &format!("cases WHERE id = {case}"),
        ),
        org(
            ENTERPRISE,
            &format!("organisations o WHERE o.code = (SELECT org FROM cases WHERE id = {case})"),
        ),
        org(
            CREATOR,
            &format!(
                "organisations o JOIN users u ON o.code = u.org_code \
                 WHERE u.email = (SELECT created_by FROM cases WHERE id = {case})"
            ),
        ),
    ]
}

/// The branches of the case's clock rows, clock segments and documents.
fn clocks_and_documents(case: &str) -> [String; 3] {
    [
        branch(
            CLOCK,
            [
                "clock",
                "status",
                "due_date",
                "calendar_version",
                "run",
                "provisional",
                "due_at",
                "updated_at",
                UUID,
            ],
            NO_CASE,
            &format!("case_clocks WHERE case_id = {case}"),
        ),
        branch(
            SEGMENT,
            [
                "clock",
                "reason",
                TEXT,
                TEXT,
                "run",
                "running",
                "started_at",
                "ended_at",
                "id",
            ],
            NO_CASE,
            &format!("clock_segments WHERE case_id = {case}"),
        ),
        branch(
            DOCUMENT,
            [
                "name", "sha256", TEXT, TEXT, "version", BOOL, TIME, TIME, UUID,
            ],
            NO_CASE,
            &format!("documents WHERE case_id = {case}"),
        ),
    ]
}

/// Reads the case `case_id` and its context in one query (the case is `None` if there is no
/// such case), with its steps among `actions`.
pub async fn with_case(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    actions: &[String],
) -> Result<CaseContext, DbErr> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(actions.len() + 1);
    values.push(case_id.into());
    values.extend(actions.iter().map(|a| Value::from(a.clone())));
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            sql(backend, actions.len()),
            values,
        ))
        .await?;
    let mut out = CaseContext::default();
    let mut steps: Vec<(i64, StepRow)> = Vec::new();
    for r in &rows {
        let n1: i64 = r.try_get("", "n1")?;
        match r.try_get::<i32>("", "k")? {
            STEP => steps.push((
                n1,
                (text(r, "s1")?, text(r, "s2")?, at(r, "t1")?, text(r, "s3")?),
            )),
            CLOCK => out.clocks.push(ClockRow {
                case_id,
                clock: text(r, "s1")?,
                run: narrow(n1)?,
                status: text(r, "s2")?,
                due_date: r.try_get("", "s3")?,
                due_at: r.try_get("", "t1")?,
                provisional: r.try_get("", "b1")?,
                calendar_version: text(r, "s4")?,
                updated_at: at(r, "t2")?,
            }),
            SEGMENT => out.segments.push(SegmentRow {
                id: r.try_get("", "u1")?,
                case_id,
                clock: text(r, "s1")?,
                run: narrow(n1)?,
                running: r.try_get("", "b1")?,
                reason: text(r, "s2")?,
                started_at: at(r, "t1")?,
                ended_at: r.try_get("", "t2")?,
            }),
            DOCUMENT => out
                .documents
                .push((text(r, "s1")?, narrow(n1)?, text(r, "s2")?)),
            CASE => out.case = Some(case_row(r, n1)?),
            ENTERPRISE => out.enterprise = Some(org_row(r)?),
            CREATOR => out.creator_org = Some(org_row(r)?),
            other => return Err(DbErr::Custom(format!("context row of kind {other}"))),
        }
    }
    steps.sort_by_key(|(seq, _)| *seq);
    out.steps = steps.into_iter().map(|(_, s)| s).collect();
    out.segments.sort_by_key(|s| (s.started_at, s.id));
    out.documents.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok(out)
}

/// The case, from its branch's row (`version` is its `n1`).
fn case_row(r: &QueryResult, version: i64) -> Result<super::cases::CaseRow, DbErr> {
    let data = text(r, "s5")?;
    Ok(super::cases::CaseRow {
        id: r.try_get("", "u1")?,
        workflow_key: text(r, "s1")?,
        workflow_version: narrow(r.try_get("", "n2")?)?,
        state: text(r, "s2")?,
        version,
        org: text(r, "s3")?,
        data: serde_json::from_str(&data)
            .map_err(|e| DbErr::Custom(format!("case data is not JSON: {e}")))?,
        audit_head: text(r, "s4")?,
        created_by: text(r, "s6")?,
        created_at: at(r, "t1")?,
        updated_at: at(r, "t2")?,
        reference: r.try_get("", "s7")?,
        title: r.try_get("", "s8")?,
        submitted_at: r.try_get("", "t3")?,
    })
}

/// An organisation, from its branch's row.
fn org_row(r: &QueryResult) -> Result<super::directory::OrgRow, DbErr> {
    Ok(super::directory::OrgRow {
        code: text(r, "s1")?,
        name: text(r, "s2")?,
        kind: text(r, "s3")?,
        credit_code: r.try_get("", "s4")?,
        created_at: at(r, "t1")?,
    })
}

fn text(r: &QueryResult, column: &str) -> Result<String, DbErr> {
    r.try_get("", column)
}

fn at(r: &QueryResult, column: &str) -> Result<DateTime<Utc>, DbErr> {
    r.try_get("", column)
}

fn narrow(n: i64) -> Result<i32, DbErr> {
    i32::try_from(n).map_err(|_| DbErr::Custom(format!("{n} is out of range")))
}
