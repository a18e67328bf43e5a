//! Sign-in through the bureau's identity provider: a session remembers how it was opened, the
//! provider's ID token (sent back as `id_token_hint` when the person signs out there) and, when
//! the provider's roles claim decides, the roles it carries; a person remembers how and
//! when they last signed in (for the administration page).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    Method,
    Roles,
    IdToken,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    LastSignInAt,
    LastSignInMethod,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            (
                WebSessions::Table.into_iden(),
                ColumnDef::new(WebSessions::Method)
                    .string()
                    .not_null()
                    .default("password")
                    .to_owned(),
            ),
            (
                WebSessions::Table.into_iden(),
                ColumnDef::new(WebSessions::Roles).text().null().to_owned(),
            ),
            (
                WebSessions::Table.into_iden(),
                ColumnDef::new(WebSessions::IdToken)
                    .text()
                    .null()
                    .to_owned(),
            ),
            (
                Users::Table.into_iden(),
                ColumnDef::new(Users::LastSignInAt)
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
            ),
            (
                Users::Table.into_iden(),
                ColumnDef::new(Users::LastSignInMethod)
                    .string()
                    .null()
                    .to_owned(),
            ),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            WebSessions::Method,
            WebSessions::Roles,
            WebSessions::IdToken,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WebSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Users::LastSignInAt, Users::LastSignInMethod] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
