//! Cases.

use chrono::{DateTime, Utc};
use entity::case::{self, Entity as Case};
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::Value;
use uuid::Uuid;

pub use entity::case::Model as CaseRow;

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<CaseRow>, DbErr> {
    Case::find_by_id(id).one(db).await
}

/// The cases with these ids (those that exist), in one query.
pub async fn find_many(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<CaseRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Case::find()
        .filter(case::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

pub async fn insert(db: &impl ConnectionTrait, row: CaseRow) -> Result<(), DbErr> {
    Case::insert(case::ActiveModel {
        id: Set(row.id),
        workflow_key: Set(row.workflow_key),
        workflow_version: Set(row.workflow_version),
        state: Set(row.state),
        version: Set(row.version),
        org: Set(row.org),
        data: Set(row.data),
        audit_head: Set(row.audit_head),
        created_by: Set(row.created_by),
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
        reference: Set(row.reference),
        title: Set(row.title),
        submitted_at: Set(row.submitted_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The version-checked update of a case by a transition.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseWrite {
    pub id: Uuid,
    pub expected_version: i64,
    pub state: String,
    pub data: Option<Value>,
    pub title: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub audit_head: String,
    pub at: DateTime<Utc>,
}

/// Moves a case on if, and only if, it is still at `expected_version`.
/// Returns false when someone else moved it first.
pub async fn advance(db: &impl ConnectionTrait, a: &CaseWrite) -> Result<bool, DbErr> {
    let mut update = Case::update_many()
        .col_expr(case::Column::State, Expr::value(a.state.as_str()))
        .col_expr(case::Column::Version, Expr::value(a.expected_version + 1))
        .col_expr(case::Column::AuditHead, Expr::value(a.audit_head.as_str()))
        .col_expr(case::Column::UpdatedAt, Expr::value(a.at));
    if let Some(data) = &a.data {
        update = update.col_expr(case::Column::Data, Expr::value(data.clone()));
    }
    if let Some(title) = &a.title {
        update = update.col_expr(case::Column::Title, Expr::value(title.as_str()));
    }
    if let Some(at) = a.submitted_at {
        update = update.col_expr(case::Column::SubmittedAt, Expr::value(at));
    }
    let result = update
        .filter(case::Column::Id.eq(a.id))
        .filter(case::Column::Version.eq(a.expected_version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Moves many cases on in one statement, each only if it is still at its expected version.
/// Answers the ids of the cases it moved. The writes must not change data or titles (those go
/// one by one through [`advance`]).
pub async fn advance_many(
    db: &impl ConnectionTrait,
    writes: &[CaseWrite],
) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::sea_query::CaseStatement;
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    if writes.iter().any(|w| w.data.is_some() || w.title.is_some()) {
        return Err(DbErr::Custom(
            "advance_many writes states only; data changes go through advance".into(),
        ));
    }
    let by_id = |f: &dyn Fn(&CaseWrite) -> sea_orm::sea_query::SimpleExpr| {
        let mut c = CaseStatement::new();
        for w in writes {
            c = c.case(Expr::col(case::Column::Id).eq(w.id), f(w));
        }
        c
    };
    let mut submitted = CaseStatement::new();
    let mut any_submitted = false;
    for w in writes {
        if let Some(at) = w.submitted_at {
            submitted = submitted.case(Expr::col(case::Column::Id).eq(w.id), Expr::value(at));
            any_submitted = true;
        }
    }
    let mut which = Condition::any();
    for w in writes {
        which = which.add(
            Condition::all()
                .add(case::Column::Id.eq(w.id))
                .add(case::Column::Version.eq(w.expected_version)),
        );
    }
    let mut update = Case::update_many()
        .col_expr(
            case::Column::State,
            by_id(&|w| Expr::value(w.state.as_str())).into(),
        )
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .col_expr(
            case::Column::AuditHead,
            by_id(&|w| Expr::value(w.audit_head.as_str())).into(),
        )
        .col_expr(
            case::Column::UpdatedAt,
            by_id(&|w| Expr::value(w.at)).into(),
        );
    if any_submitted {
        update = update.col_expr(
            case::Column::SubmittedAt,
            submitted
                .finally(Expr::col(case::Column::SubmittedAt))
                .into(),
        );
    }
    // RETURNING through sea-query: sea-orm's own refuses it on SQLite, which has had it since
    // 3.35 (the bundled library is newer).
    let mut statement = update.filter(which).into_query();
    statement.returning_col(case::Column::Id);
    let backend = db.get_database_backend();
    db.query_all(backend.build(&statement))
        .await?
        .iter()
        .map(|row| row.try_get::<Uuid>("", "id"))
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    /// Only these organisations' cases; `None` for every organisation.
    pub orgs: Option<Vec<String>>,
    /// One organisation (within `orgs`).
    pub org: Option<String>,
    /// Text in the project or plan name or the reference number (HP-…, BA-…), or in the name
    /// or credit code of the case's organisation.
    pub text: Option<String>,
    pub submitted_from: Option<DateTime<Utc>>,
    pub submitted_to: Option<DateTime<Utc>>,
}

/// One page of cases in a stable order (creation time, then id), and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<CaseRow>, u64), DbErr> {
    let mut cond = Condition::all();
    if let Some(w) = &filter.workflow {
        cond = cond.add(case::Column::WorkflowKey.eq(w.as_str()));
    }
    if let Some(s) = &filter.state {
        cond = cond.add(case::Column::State.eq(s.as_str()));
    }
    if let Some(orgs) = &filter.orgs {
        cond = cond.add(case::Column::Org.is_in(orgs.iter().map(String::as_str)));
    }
    if let Some(o) = &filter.org {
        cond = cond.add(case::Column::Org.eq(o.as_str()));
    }
    if let Some(t) = &filter.text {
        // Case-insensitive for ASCII on both databases; the pattern's wildcards are escaped.
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{}%", escaped.to_lowercase());
        let like = |col: sea_orm::sea_query::SimpleExpr| {
            Expr::expr(Func::lower(col)).like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        let orgs = sea_orm::sea_query::Query::select()
            .column(entity::organisation::Column::Code)
            .from(entity::organisation::Entity)
            .cond_where(
                Condition::any()
                    .add(like(Expr::col(entity::organisation::Column::Name).into()))
                    .add(like(
                        Expr::col(entity::organisation::Column::CreditCode).into(),
                    )),
            )
            .to_owned();
        let any = Condition::any()
            .add(like(Expr::col(case::Column::Title).into()))
            .add(like(Expr::col(case::Column::Reference).into()))
            .add(case::Column::Org.in_subquery(orgs));
        cond = cond.add(any);
    }
    if let Some(from) = filter.submitted_from {
        cond = cond.add(case::Column::SubmittedAt.gte(from));
    }
    if let Some(to) = filter.submitted_to {
        cond = cond.add(case::Column::SubmittedAt.lt(to));
    }
    let total = Case::find().filter(cond.clone()).count(db).await?;
    let rows = Case::find()
        .filter(cond)
        .order_by_asc(case::Column::CreatedAt)
        .order_by_asc(case::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Every case's id and version, in id order (for audit verification).
pub async fn versions(db: &impl ConnectionTrait) -> Result<Vec<(Uuid, i64, String)>, DbErr> {
    Case::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::Version)
        .column(case::Column::AuditHead)
        .order_by_asc(case::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Open cases of these workflows in these states (and organisations, if given), oldest first.
pub async fn in_states(
    db: &impl ConnectionTrait,
    workflows: &std::collections::BTreeSet<String>,
    states: &std::collections::BTreeSet<String>,
    orgs: Option<&[String]>,
) -> Result<Vec<CaseRow>, DbErr> {
    let mut q = Case::find()
        .filter(case::Column::WorkflowKey.is_in(workflows.iter().map(String::as_str)))
        .filter(case::Column::State.is_in(states.iter().map(String::as_str)));
    if let Some(orgs) = orgs {
        q = q.filter(case::Column::Org.is_in(orgs.iter().map(String::as_str)));
    }
    q.order_by_asc(case::Column::Id).limit(5000).all(db).await
}

pub async fn set_reference(
    db: &impl ConnectionTrait,
    id: Uuid,
    reference: &str,
) -> Result<(), DbErr> {
    Case::update_many()
        .col_expr(case::Column::Reference, Expr::value(reference))
        .filter(case::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes the next version of a case in `state` (locking its row until the transaction ends) and
/// answers the row as it now is; `None` if the case is not in that state.
pub async fn bump_in_state(
    db: &impl ConnectionTrait,
    id: Uuid,
    state: &str,
    at: DateTime<Utc>,
) -> Result<Option<CaseRow>, DbErr> {
    bump_where(db, id, Some(state), at).await
}

/// Takes the next version of a case whatever its state (locking its row until the transaction
/// ends) and answers the row as it now is; `None` if there is no such case.
pub async fn bump(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<CaseRow>, DbErr> {
    bump_where(db, id, None, at).await
}

async fn bump_where(
    db: &impl ConnectionTrait,
    id: Uuid,
    state: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<CaseRow>, DbErr> {
    let mut update = Case::update_many()
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .col_expr(case::Column::UpdatedAt, Expr::value(at))
        .filter(case::Column::Id.eq(id));
    if let Some(state) = state {
        update = update.filter(case::Column::State.eq(state));
    }
    if update.exec(db).await?.rows_affected != 1 {
        return Ok(None);
    }
    find(db, id).await
}

pub async fn set_head(db: &impl ConnectionTrait, id: Uuid, head: &str) -> Result<(), DbErr> {
    Case::update_many()
        .col_expr(case::Column::AuditHead, Expr::value(head))
        .filter(case::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every case that has been submitted, oldest first (reform figures).
pub async fn submitted(db: &impl ConnectionTrait) -> Result<Vec<CaseRow>, DbErr> {
    Case::find()
        .filter(case::Column::SubmittedAt.is_not_null())
        .order_by_asc(case::Column::SubmittedAt)
        .order_by_asc(case::Column::Id)
        .all(db)
        .await
}
