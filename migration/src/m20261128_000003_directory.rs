use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Code,
    Name,
    Kind,
    CreditCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Email,
    Name,
    OrgCode,
    Roles,
    Lang,
    PasswordHash,
    FailedLogins,
    NextLoginAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AgencyGrants {
    Table,
    Id,
    AgencyOrg,
    EnterpriseOrg,
    GrantedBy,
    GrantedAt,
    RevokedBy,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(
                        ColumnDef::new(Organisations::Code)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Organisations::Name).string().not_null())
                    .col(ColumnDef::new(Organisations::Kind).string().not_null())
                    .col(ColumnDef::new(Organisations::CreditCode).string().null())
                    .col(
                        ColumnDef::new(Organisations::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(
                        ColumnDef::new(Users::Email)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Users::Name).string().not_null())
                    .col(ColumnDef::new(Users::OrgCode).string().not_null())
                    .col(ColumnDef::new(Users::Roles).text().not_null())
                    .col(ColumnDef::new(Users::Lang).string().not_null())
                    .col(ColumnDef::new(Users::PasswordHash).text().null())
                    .col(ColumnDef::new(Users::FailedLogins).integer().not_null())
                    .col(
                        ColumnDef::new(Users::NextLoginAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_org")
                    .table(Users::Table)
                    .col(Users::OrgCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgencyGrants::Table)
                    .col(
                        ColumnDef::new(AgencyGrants::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AgencyGrants::AgencyOrg).string().not_null())
                    .col(
                        ColumnDef::new(AgencyGrants::EnterpriseOrg)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgencyGrants::GrantedBy).string().not_null())
                    .col(
                        ColumnDef::new(AgencyGrants::GrantedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgencyGrants::RevokedBy).string().null())
                    .col(
                        ColumnDef::new(AgencyGrants::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_agency_grants_agency")
                    .table(AgencyGrants::Table)
                    .col(AgencyGrants::AgencyOrg)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AgencyGrants::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
