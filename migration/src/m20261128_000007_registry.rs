use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Org,
    Kind,
    Label,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Postings {
    Table,
    Id,
    EntryId,
    AccountId,
    Pollutant,
    Basin,
    ValidTo,
    AmountKg,
    Kind,
    Actor,
    At,
}

#[derive(DeriveIden)]
enum Balances {
    Table,
    AccountId,
    Pollutant,
    Basin,
    ValidTo,
    AmountKg,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    EntryId,
    PayerOrg,
    Payee,
    AmountFen,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(ColumnDef::new(Accounts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Accounts::Org).string().null())
                    .col(ColumnDef::new(Accounts::Kind).string().not_null())
                    .col(ColumnDef::new(Accounts::Label).string().not_null())
                    .col(
                        ColumnDef::new(Accounts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_accounts_kind_org")
                    .table(Accounts::Table)
                    .col(Accounts::Kind)
                    .col(Accounts::Org)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Postings::Table)
                    .col(ColumnDef::new(Postings::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Postings::EntryId).uuid().not_null())
                    .col(ColumnDef::new(Postings::AccountId).uuid().not_null())
                    .col(ColumnDef::new(Postings::Pollutant).string().not_null())
                    .col(ColumnDef::new(Postings::Basin).string().not_null())
                    .col(ColumnDef::new(Postings::ValidTo).string().not_null())
                    .col(ColumnDef::new(Postings::AmountKg).big_integer().not_null())
                    .col(ColumnDef::new(Postings::Kind).string().not_null())
                    .col(ColumnDef::new(Postings::Actor).string().not_null())
                    .col(
                        ColumnDef::new(Postings::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_postings_account")
                    .table(Postings::Table)
                    .col(Postings::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Balances::Table)
                    .col(ColumnDef::new(Balances::AccountId).uuid().not_null())
                    .col(ColumnDef::new(Balances::Pollutant).string().not_null())
                    .col(ColumnDef::new(Balances::Basin).string().not_null())
                    .col(ColumnDef::new(Balances::ValidTo).string().not_null())
                    .col(ColumnDef::new(Balances::AmountKg).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(Balances::AccountId)
                            .col(Balances::Pollutant)
                            .col(Balances::Basin)
                            .col(Balances::ValidTo),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(ColumnDef::new(Payments::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Payments::EntryId).uuid().not_null())
                    .col(ColumnDef::new(Payments::PayerOrg).string().not_null())
                    .col(ColumnDef::new(Payments::Payee).string().not_null())
                    .col(ColumnDef::new(Payments::AmountFen).big_integer().not_null())
                    .col(
                        ColumnDef::new(Payments::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Payments::Table.into_iden(),
            Balances::Table.into_iden(),
            Postings::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
