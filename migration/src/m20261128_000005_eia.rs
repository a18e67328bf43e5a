use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Reference,
    Title,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    CaseId,
    Name,
    Version,
    Sha256,
    Size,
    ContentType,
    UploadedBy,
    UploadedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(ColumnDef::new(Cases::Reference).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(ColumnDef::new(Cases::Title).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(
                        ColumnDef::new(Cases::SubmittedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Counters::Table)
                    .col(
                        ColumnDef::new(Counters::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Counters::Value).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(
                        ColumnDef::new(Documents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Documents::CaseId).uuid().not_null())
                    .col(ColumnDef::new(Documents::Name).string().not_null())
                    .col(ColumnDef::new(Documents::Version).integer().not_null())
                    .col(ColumnDef::new(Documents::Sha256).string().not_null())
                    .col(ColumnDef::new(Documents::Size).big_integer().not_null())
                    .col(ColumnDef::new(Documents::ContentType).string().not_null())
                    .col(ColumnDef::new(Documents::UploadedBy).string().not_null())
                    .col(
                        ColumnDef::new(Documents::UploadedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_documents_case_name_version")
                    .table(Documents::Table)
                    .col(Documents::CaseId)
                    .col(Documents::Name)
                    .col(Documents::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Counters::Table).to_owned())
            .await?;
        for col in [
            Cases::SubmittedAt.into_iden(),
            Cases::Title.into_iden(),
            Cases::Reference.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
