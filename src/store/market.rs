//! The market's own rows: participants (permits, related groups), auctions, sealed bids,
//! awards and deposits.

use chrono::{DateTime, Utc};
use entity::auction::Entity as Auction;
use entity::award::{self, Entity as Award};
use entity::bid::{self, Entity as Bid};
use entity::deposit::{self, Entity as Deposit};
use entity::market_participant::{self, Entity as Participant};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::auction::{BidStatus, DepositStatus};

pub use entity::auction::Model as AuctionRow;
pub use entity::award::Model as AwardRow;
pub use entity::bid::Model as BidRow;
pub use entity::deposit::Model as DepositRow;
pub use entity::market_participant::Model as ParticipantRow;

pub async fn upsert_participant(
    db: &impl ConnectionTrait,
    row: ParticipantRow,
) -> Result<(), DbErr> {
    Participant::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(market_participant::Column::Org)
                .update_columns([
                    market_participant::Column::PermitNo,
                    market_participant::Column::PermitBasin,
                    market_participant::Column::PermitValidTo,
                    market_participant::Column::GroupCode,
                    market_participant::Column::UpdatedBy,
                    market_participant::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn participant(
    db: &impl ConnectionTrait,
    org: &str,
) -> Result<Option<ParticipantRow>, DbErr> {
    Participant::find_by_id(org.to_string()).one(db).await
}

pub async fn participants(db: &impl ConnectionTrait) -> Result<Vec<ParticipantRow>, DbErr> {
    Participant::find()
        .order_by_asc(market_participant::Column::Org)
        .all(db)
        .await
}

pub async fn insert_auction(db: &impl ConnectionTrait, row: AuctionRow) -> Result<(), DbErr> {
    Auction::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn auction(db: &impl ConnectionTrait, lot: Uuid) -> Result<Option<AuctionRow>, DbErr> {
    Auction::find_by_id(lot).one(db).await
}

pub async fn update_auction(db: &impl ConnectionTrait, row: AuctionRow) -> Result<(), DbErr> {
    row.into_active_model().reset_all().update(db).await?;
    Ok(())
}

pub async fn insert_bid(db: &impl ConnectionTrait, row: BidRow) -> Result<(), DbErr> {
    Bid::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn bid(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<BidRow>, DbErr> {
    Bid::find_by_id(id).one(db).await
}

/// The bids on a lot (of one organisation, if given), in the order they were placed.
pub async fn bids(
    db: &impl ConnectionTrait,
    lot: Uuid,
    org: Option<&str>,
) -> Result<Vec<BidRow>, DbErr> {
    let mut q = Bid::find().filter(bid::Column::LotId.eq(lot));
    if let Some(o) = org {
        q = q.filter(bid::Column::Org.eq(o));
    }
    q.order_by_asc(bid::Column::PlacedAt)
        .order_by_asc(bid::Column::Id)
        .all(db)
        .await
}

/// Changes an open bid (a new amount and price, and a new time: a changed bid loses its place
/// among equal prices) or withdraws it. False if the bid is no longer open.
pub async fn update_open_bid(
    db: &impl ConnectionTrait,
    id: Uuid,
    change: Option<(i64, i64)>,
    status: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut q = Bid::update_many()
        .col_expr(bid::Column::Status, Expr::value(status))
        .col_expr(bid::Column::UpdatedAt, Expr::value(at));
    if let Some((amount, price)) = change {
        q = q
            .col_expr(bid::Column::AmountKg, Expr::value(amount))
            .col_expr(bid::Column::PriceFen, Expr::value(price))
            .col_expr(bid::Column::PlacedAt, Expr::value(at));
    }
    let r = q
        .filter(bid::Column::Id.eq(id))
        .filter(bid::Column::Status.eq(BidStatus::Open.as_str()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn insert_awards(db: &impl ConnectionTrait, rows: Vec<AwardRow>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    Award::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn awards(db: &impl ConnectionTrait, lot: Uuid) -> Result<Vec<AwardRow>, DbErr> {
    Award::find()
        .filter(award::Column::LotId.eq(lot))
        .order_by_asc(award::Column::Round)
        .order_by_asc(award::Column::CreatedAt)
        .order_by_asc(award::Column::Id)
        .all(db)
        .await
}

/// Moves an award from one status to another; false (and nothing changed) if it was not in
/// `from` any more: this is what makes a retried settlement move nothing twice.
pub async fn close_award(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &str,
    to: &str,
    entry: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = Award::update_many()
        .col_expr(award::Column::Status, Expr::value(to))
        .col_expr(award::Column::EntryId, Expr::value(entry))
        .col_expr(award::Column::ClosedAt, Expr::value(Some(at)))
        .filter(award::Column::Id.eq(id))
        .filter(award::Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Records a deposit; false if this bidder already has one on the lot.
pub async fn insert_deposit(db: &impl ConnectionTrait, row: DepositRow) -> Result<bool, DbErr> {
    let r = Deposit::insert(row.into_active_model())
        .on_conflict(
            OnConflict::columns([deposit::Column::LotId, deposit::Column::Org])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(r == 1)
}

pub async fn deposits(db: &impl ConnectionTrait, lot: Uuid) -> Result<Vec<DepositRow>, DbErr> {
    Deposit::find()
        .filter(deposit::Column::LotId.eq(lot))
        .order_by_asc(deposit::Column::Org)
        .all(db)
        .await
}

/// Sets a held deposit's fate (refunded or forfeited).
pub async fn settle_deposit(
    db: &impl ConnectionTrait,
    lot: Uuid,
    org: &str,
    status: &str,
) -> Result<(), DbErr> {
    Deposit::update_many()
        .col_expr(deposit::Column::Status, Expr::value(status))
        .filter(deposit::Column::LotId.eq(lot))
        .filter(deposit::Column::Org.eq(org))
        .filter(deposit::Column::Status.eq(DepositStatus::Held.as_str()))
        .exec(db)
        .await?;
    Ok(())
}
