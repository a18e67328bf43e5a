//! The outbox of e-mails.

use chrono::{DateTime, Utc};
use entity::outbox_message::{self, Entity as Outbox};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use entity::outbox_message::Model as MailRow;

pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<MailRow>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    Outbox::insert_many(rows.into_iter().map(|r| outbox_message::ActiveModel {
        id: Set(r.id),
        message_id: Set(r.message_id),
        case_id: Set(r.case_id),
        kind: Set(r.kind),
        recipient: Set(r.recipient),
        lang: Set(r.lang),
        subject: Set(r.subject),
        body_text: Set(r.body_text),
        body_html: Set(r.body_html),
        status: Set(r.status),
        attempts: Set(r.attempts),
        next_attempt_at: Set(r.next_attempt_at),
        lease_until: Set(r.lease_until),
        claim: Set(r.claim),
        last_error: Set(r.last_error),
        created_at: Set(r.created_at),
        sent_at: Set(r.sent_at),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Claims up to `limit` messages that are due (pending and past their next attempt by `now`, or
/// claimed by a sender whose lease ran out by the database's clock `db_now`), leasing them until
/// `lease_until` (also on the database's clock) and counting the attempt. `FOR UPDATE SKIP
/// LOCKED` on PostgreSQL keeps concurrent senders apart.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    db_now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<MailRow>, DbErr> {
    let mut select = Query::select();
    select
        .column(outbox_message::Column::Id)
        .from(Outbox)
        .cond_where(
            Condition::any()
                .add(
                    Condition::all()
                        .add(Expr::col(outbox_message::Column::Status).eq("pending"))
                        .add(Expr::col(outbox_message::Column::NextAttemptAt).lte(now)),
                )
                .add(
                    Condition::all()
                        .add(Expr::col(outbox_message::Column::Status).eq("sending"))
                        .add(Expr::col(outbox_message::Column::LeaseUntil).lte(db_now)),
                ),
        )
        .order_by(outbox_message::Column::NextAttemptAt, sea_orm::Order::Asc)
        .limit(limit);
    let claim_token = Uuid::now_v7().to_string();
    let update = Query::update()
        .table(Outbox)
        .value(outbox_message::Column::Status, "sending")
        .value(outbox_message::Column::LeaseUntil, lease_until)
        .value(outbox_message::Column::Claim, claim_token.clone())
        .value(
            outbox_message::Column::Attempts,
            Expr::col(outbox_message::Column::Attempts).add(1),
        )
        .to_owned();
    super::claim_rows(db, update, outbox_message::Column::Id, select).await?;
    Outbox::find()
        .filter(outbox_message::Column::Status.eq("sending"))
        .filter(outbox_message::Column::Claim.eq(claim_token))
        .order_by_asc(outbox_message::Column::CreatedAt)
        .all(db)
        .await
}

/// Extends the lease of the messages a sender still holds under `claim` (its heartbeat).
pub async fn extend_lease(
    db: &impl ConnectionTrait,
    claim: &str,
    lease_until: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(Outbox::update_many()
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(lease_until))
        .filter(outbox_message::Column::Claim.eq(claim))
        .filter(outbox_message::Column::Status.eq("sending"))
        .exec(db)
        .await?
        .rows_affected)
}

/// Marks a message sent, if this sender's claim still holds it (a sender whose lease ran out may
/// already have been overtaken: then another sender owns the row and marks it).
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: Uuid,
    claim: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    Outbox::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value("sent"))
        .col_expr(outbox_message::Column::SentAt, Expr::value(at))
        .col_expr(
            outbox_message::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox_message::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::Claim.eq(claim))
        .filter(outbox_message::Column::Status.eq("sending"))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a claimed message back for a later attempt, or marks it failed.
pub async fn mark_attempt_failed(
    db: &impl ConnectionTrait,
    id: Uuid,
    claim: &str,
    status: &str,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    Outbox::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(status))
        .col_expr(
            outbox_message::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(
            outbox_message::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox_message::Column::LastError, Expr::value(error))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::Claim.eq(claim))
        .filter(outbox_message::Column::Status.eq("sending"))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<&str>,
    case_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<MailRow>, DbErr> {
    let mut q = Outbox::find();
    if let Some(s) = status {
        q = q.filter(outbox_message::Column::Status.eq(s));
    }
    if let Some(c) = case_id {
        q = q.filter(outbox_message::Column::CaseId.eq(c));
    }
    q.order_by_asc(outbox_message::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<MailRow>, DbErr> {
    Outbox::find_by_id(id).one(db).await
}

/// Puts a failed message back in the queue, due now, with its attempts counted afresh.
pub async fn requeue(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = Outbox::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value("pending"))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::Status.eq("failed"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Ends a message's lease now, as if its sender had died long ago (tests of the hand-over).
pub async fn end_lease(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    let past = super::db_now(db).await? - chrono::Duration::seconds(1);
    Outbox::update_many()
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(past))
        .filter(outbox_message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
