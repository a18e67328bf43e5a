use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    MessageId,
    CaseId,
    Kind,
    Recipient,
    Lang,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    Claim,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(ColumnDef::new(Outbox::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Outbox::MessageId).string().not_null())
                    .col(ColumnDef::new(Outbox::CaseId).uuid().null())
                    .col(ColumnDef::new(Outbox::Kind).string().not_null())
                    .col(ColumnDef::new(Outbox::Recipient).string().not_null())
                    .col(ColumnDef::new(Outbox::Lang).string().not_null())
                    .col(ColumnDef::new(Outbox::Subject).text().not_null())
                    .col(ColumnDef::new(Outbox::BodyText).text().not_null())
                    .col(ColumnDef::new(Outbox::BodyHtml).text().not_null())
                    .col(ColumnDef::new(Outbox::Status).string().not_null())
                    .col(ColumnDef::new(Outbox::Attempts).integer().not_null())
                    .col(
                        ColumnDef::new(Outbox::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Outbox::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Outbox::Claim).string().null())
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .col(
                        ColumnDef::new(Outbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Outbox::SentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_status_next")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
