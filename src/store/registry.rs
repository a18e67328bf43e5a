//! Registry accounts, postings, balances and payments.

use chrono::{DateTime, Utc};
use entity::account::{self, Entity as Account};
use entity::balance::{self, Entity as Balance};
use entity::payment::{self, Entity as Payment};
use entity::posting::{self, Entity as Posting};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use entity::account::Model as AccountRow;
pub use entity::balance::Model as BalanceRow;
pub use entity::payment::Model as PaymentRow;
pub use entity::posting::Model as PostingRow;

/// The account of this kind (and organisation), created if missing. System accounts (the
/// reserve, the authority) have the empty organisation, so that the unique index covers them.
pub async fn account(
    db: &impl ConnectionTrait,
    kind: &str,
    org: Option<&str>,
    label: &str,
    at: DateTime<Utc>,
) -> Result<AccountRow, DbErr> {
    let org_key = org.unwrap_or("");
    Account::insert(account::ActiveModel {
        id: Set(Uuid::now_v7()),
        org: Set(Some(org_key.to_string())),
        kind: Set(kind.to_string()),
        label: Set(label.to_string()),
        created_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([account::Column::Kind, account::Column::Org])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Account::find()
        .filter(account::Column::Kind.eq(kind))
        .filter(account::Column::Org.eq(org_key))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("{kind} account {org_key}")))
}

pub async fn accounts(
    db: &impl ConnectionTrait,
    org: Option<&str>,
) -> Result<Vec<AccountRow>, DbErr> {
    let mut q = Account::find();
    if let Some(o) = org {
        q = q.filter(account::Column::Org.eq(o));
    }
    q.order_by_asc(account::Column::Kind)
        .order_by_asc(account::Column::Org)
        .all(db)
        .await
}

pub async fn find_account(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<AccountRow>, DbErr> {
    Account::find_by_id(id).one(db).await
}

pub async fn balances(
    db: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Vec<BalanceRow>, DbErr> {
    Balance::find()
        .filter(balance::Column::AccountId.eq(account_id))
        .order_by_asc(balance::Column::Pollutant)
        .order_by_asc(balance::Column::Basin)
        .order_by_asc(balance::Column::ValidTo)
        .all(db)
        .await
}

pub async fn all_balances(db: &impl ConnectionTrait) -> Result<Vec<BalanceRow>, DbErr> {
    Balance::find().all(db).await
}

/// Takes `amount_kg` out of a balance if it holds that much (`allow_negative` only for the
/// issuing authority). False, and nothing changed, when it does not.
pub async fn debit(
    db: &impl ConnectionTrait,
    key: &BalanceRow,
    amount_kg: i64,
    allow_negative: bool,
) -> Result<bool, DbErr> {
    if allow_negative {
        credit(db, key, -amount_kg).await?;
        return Ok(true);
    }
    let r = Balance::update_many()
        .col_expr(
            balance::Column::AmountKg,
            Expr::col(balance::Column::AmountKg).sub(amount_kg),
        )
        .filter(balance::Column::AccountId.eq(key.account_id))
        .filter(balance::Column::Pollutant.eq(key.pollutant.as_str()))
        .filter(balance::Column::Basin.eq(key.basin.as_str()))
        .filter(balance::Column::ValidTo.eq(key.valid_to.as_str()))
        .filter(balance::Column::AmountKg.gte(amount_kg))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Adds `amount_kg` to a balance, creating it.
pub async fn credit(
    db: &impl ConnectionTrait,
    key: &BalanceRow,
    amount_kg: i64,
) -> Result<(), DbErr> {
    Balance::insert(balance::ActiveModel {
        account_id: Set(key.account_id),
        pollutant: Set(key.pollutant.clone()),
        basin: Set(key.basin.clone()),
        valid_to: Set(key.valid_to.clone()),
        amount_kg: Set(amount_kg),
    })
    .on_conflict(
        OnConflict::columns([
            balance::Column::AccountId,
            balance::Column::Pollutant,
            balance::Column::Basin,
            balance::Column::ValidTo,
        ])
        .value(
            balance::Column::AmountKg,
            Expr::col((balance::Entity, balance::Column::AmountKg)).add(amount_kg),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn insert_postings(
    db: &impl ConnectionTrait,
    rows: Vec<PostingRow>,
) -> Result<(), DbErr> {
    Posting::insert_many(rows.into_iter().map(|r| posting::ActiveModel {
        id: Set(r.id),
        entry_id: Set(r.entry_id),
        account_id: Set(r.account_id),
        pollutant: Set(r.pollutant),
        basin: Set(r.basin),
        valid_to: Set(r.valid_to),
        amount_kg: Set(r.amount_kg),
        kind: Set(r.kind),
        actor: Set(r.actor),
        at: Set(r.at),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn postings_of(
    db: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Vec<PostingRow>, DbErr> {
    Posting::find()
        .filter(posting::Column::AccountId.eq(account_id))
        .order_by_asc(posting::Column::At)
        .order_by_asc(posting::Column::Id)
        .all(db)
        .await
}

pub async fn insert_payment(db: &impl ConnectionTrait, row: PaymentRow) -> Result<(), DbErr> {
    Payment::insert(payment::ActiveModel {
        id: Set(row.id),
        entry_id: Set(row.entry_id),
        payer_org: Set(row.payer_org),
        payee: Set(row.payee),
        amount_fen: Set(row.amount_fen),
        at: Set(row.at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn payments_of_entry(
    db: &impl ConnectionTrait,
    entry_id: Uuid,
) -> Result<Vec<PaymentRow>, DbErr> {
    Payment::find()
        .filter(payment::Column::EntryId.eq(entry_id))
        .all(db)
        .await
}

/// The receiving side of every movement of these kinds (market statistics).
pub async fn credits_of_kinds(
    db: &impl ConnectionTrait,
    kinds: &[&str],
) -> Result<Vec<PostingRow>, DbErr> {
    Posting::find()
        .filter(posting::Column::Kind.is_in(kinds.iter().copied()))
        .filter(posting::Column::AmountKg.gt(0))
        .order_by_asc(posting::Column::At)
        .all(db)
        .await
}

pub async fn all_payments(db: &impl ConnectionTrait) -> Result<Vec<PaymentRow>, DbErr> {
    Payment::find().all(db).await
}
