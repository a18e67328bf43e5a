//! The web interface: sign-in sessions and people's saved views.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    TokenHash,
    Email,
    Csrf,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SavedViews {
    Table,
    Id,
    Email,
    Name,
    Query,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebSessions::Table)
                    .col(
                        ColumnDef::new(WebSessions::TokenHash)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebSessions::Email).string().not_null())
                    .col(ColumnDef::new(WebSessions::Csrf).string().not_null())
                    .col(
                        ColumnDef::new(WebSessions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebSessions::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_web_sessions_email")
                    .table(WebSessions::Table)
                    .col(WebSessions::Email)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SavedViews::Table)
                    .col(
                        ColumnDef::new(SavedViews::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SavedViews::Email).string().not_null())
                    .col(ColumnDef::new(SavedViews::Name).string().not_null())
                    .col(ColumnDef::new(SavedViews::Query).text().not_null())
                    .col(
                        ColumnDef::new(SavedViews::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_saved_views_email_name")
                    .table(SavedViews::Table)
                    .col(SavedViews::Email)
                    .col(SavedViews::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SavedViews::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebSessions::Table).to_owned())
            .await
    }
}
