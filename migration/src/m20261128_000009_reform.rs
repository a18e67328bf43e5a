use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LicenceItems {
    Table,
    Code,
    Name,
    Authority,
    LegalBasis,
    BusinessKinds,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LicenceItemChanges {
    Table,
    Code,
    EffectiveFrom,
    Status,
    MergedInto,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum SitingChecks {
    Table,
    CaseId,
    Result,
    CheckedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LicenceItems::Table)
                    .col(
                        ColumnDef::new(LicenceItems::Code)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LicenceItems::Name).string().not_null())
                    .col(ColumnDef::new(LicenceItems::Authority).string().not_null())
                    .col(ColumnDef::new(LicenceItems::LegalBasis).text().not_null())
                    .col(
                        ColumnDef::new(LicenceItems::BusinessKinds)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LicenceItems::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LicenceItemChanges::Table)
                    .col(ColumnDef::new(LicenceItemChanges::Code).string().not_null())
                    .col(
                        ColumnDef::new(LicenceItemChanges::EffectiveFrom)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LicenceItemChanges::Status)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LicenceItemChanges::MergedInto)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(LicenceItemChanges::RecordedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LicenceItemChanges::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(LicenceItemChanges::Code)
                            .col(LicenceItemChanges::EffectiveFrom),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SitingChecks::Table)
                    .col(
                        ColumnDef::new(SitingChecks::CaseId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SitingChecks::Result).text().not_null())
                    .col(
                        ColumnDef::new(SitingChecks::CheckedAt)
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
            SitingChecks::Table.into_iden(),
            LicenceItemChanges::Table.into_iden(),
            LicenceItems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
