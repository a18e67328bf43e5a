//! The public transparency log: each audit entry gets its place in one Merkle tree
//! (`audit_entries.log_index`, set once by the integrator), the tree's complete subtrees are kept
//! in `log_nodes` (what tiles serve and proofs are made from), each leaf's data in `log_leaves`
//! (so that the log names the case of an entry deleted behind its back), and every signed
//! checkpoint in `log_checkpoints`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    LogIndex,
}

#[derive(DeriveIden)]
enum LogNodes {
    Table,
    Level,
    Idx,
    Hash,
}

#[derive(DeriveIden)]
enum LogLeaves {
    Table,
    Idx,
    Data,
}

#[derive(DeriveIden)]
enum LogCheckpoints {
    Table,
    Size,
    Root,
    Note,
    SignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEntries::Table)
                    .add_column(ColumnDef::new(AuditEntries::LogIndex).big_integer().null())
                    .to_owned(),
            )
            .await?;
        // Both indexes are partial (both databases take them), so that an action's insert of its
        // audit entry, whose leaf index is still empty, touches only the second: each leaf index
        // once, and what the integrator looks for, the entries not yet in the log, oldest first.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX audit_entries_log_index ON audit_entries (log_index) \
             WHERE log_index IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX audit_entries_unlogged ON audit_entries (at, id) \
             WHERE log_index IS NULL",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(LogNodes::Table)
                    .col(ColumnDef::new(LogNodes::Level).small_integer().not_null())
                    .col(ColumnDef::new(LogNodes::Idx).big_integer().not_null())
                    .col(ColumnDef::new(LogNodes::Hash).string_len(64).not_null())
                    .primary_key(Index::create().col(LogNodes::Level).col(LogNodes::Idx))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LogLeaves::Table)
                    .col(
                        ColumnDef::new(LogLeaves::Idx)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LogLeaves::Data).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LogCheckpoints::Table)
                    .col(
                        ColumnDef::new(LogCheckpoints::Size)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LogCheckpoints::Root)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(LogCheckpoints::Note).text().not_null())
                    .col(
                        ColumnDef::new(LogCheckpoints::SignedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LogCheckpoints::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LogLeaves::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LogNodes::Table).to_owned())
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX audit_entries_unlogged")
            .await?;
        db.execute_unprepared("DROP INDEX audit_entries_log_index")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEntries::Table)
                    .drop_column(AuditEntries::LogIndex)
                    .to_owned(),
            )
            .await
    }
}
