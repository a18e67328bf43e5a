//! Notices: what an action or a deadline has to tell people, recorded in its transaction with
//! everything needed to word it. The sender turns each into one outbox message per recipient,
//! outside the action's transaction.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    CaseId,
    Org,
    Kind,
    Roles,
    Orgs,
    Vars,
    Status,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(ColumnDef::new(Notices::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Notices::CaseId).uuid().not_null())
                    .col(ColumnDef::new(Notices::Org).string().not_null())
                    .col(ColumnDef::new(Notices::Kind).string().not_null())
                    .col(ColumnDef::new(Notices::Roles).text().not_null())
                    .col(ColumnDef::new(Notices::Orgs).text().not_null())
                    .col(ColumnDef::new(Notices::Vars).text().not_null())
                    .col(ColumnDef::new(Notices::Status).string().not_null())
                    .col(
                        ColumnDef::new(Notices::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notices_status")
                    .table(Notices::Table)
                    .col(Notices::Status)
                    .col(Notices::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notices::Table).to_owned())
            .await
    }
}
