//! Sending several writes as one: a plan's audit entry, clock rows, timers and notices go to the
//! database in one round trip instead of one each.
//!
//! - On PostgreSQL the statements become one, each but the last a data-modifying `WITH` part
//!   (`WITH w0 AS (INSERT ...), w1 AS (UPDATE ...) INSERT ...`), their parameters renumbered.
//!   All parts see the rows as they were before the statement, so the writes must touch
//!   different rows (a plan's do: new rows are inserted, existing ones updated), and an UPDATE
//!   listed before an INSERT does not see the inserted rows, as when they run in that order.
//!   Only small writes are joined (at most 4,096 parameters together): a batch of deadlines
//!   writes thousands of rows per statement, and joining those saves a few round trips per
//!   batch but makes one huge statement that PostgreSQL parses and plans afresh each time.
//! - On SQLite (in the same process, no round trip to save) the statements are sent as one
//!   text, run one after another by the driver, which binds each its own parameters.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value, Values};

/// The most parameters of statements joined into one on PostgreSQL (it takes 65,535); a larger
/// statement goes alone.
const MAX_PARAMETERS: usize = 4_096;

/// Runs `statements` in order, in as few round trips as the database allows (one statement, or
/// none, is simply run). Run it inside a transaction: a failure may leave the statements before
/// it done.
pub async fn run(
    db: &impl ConnectionTrait,
    statements: impl IntoIterator<Item = Statement>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for statement in combine(backend, statements.into_iter().collect()) {
        db.execute(statement).await?;
    }
    Ok(())
}

/// The statements to send for `statements`.
fn combine(backend: DbBackend, statements: Vec<Statement>) -> Vec<Statement> {
    if statements.len() < 2 {
        return statements;
    }
    let mut out = Vec::new();
    let mut group: Vec<Statement> = Vec::new();
    let mut parameters = 0;
    for s in statements {
        let n = s.values.as_ref().map_or(0, |v| v.0.len());
        if backend == DbBackend::Postgres && parameters + n > MAX_PARAMETERS {
            if !group.is_empty() {
                out.push(joined(backend, std::mem::take(&mut group)));
                parameters = 0;
            }
            if n > MAX_PARAMETERS {
                out.push(s);
                continue;
            }
        }
        parameters += n;
        group.push(s);
    }
    if !group.is_empty() {
        out.push(joined(backend, group));
    }
    out
}

/// One statement doing what `group` does.
fn joined(backend: DbBackend, mut group: Vec<Statement>) -> Statement {
    if group.len() == 1 {
        return group.remove(0);
    }
    let mut values: Vec<Value> = Vec::new();
    let mut parts: Vec<String> = Vec::with_capacity(group.len());
    for s in group {
        let own = s.values.map(|v| v.0).unwrap_or_default();
        parts.push(match backend {
            DbBackend::Postgres => renumber(&s.sql, values.len()),
            _ => s.sql,
        });
        values.extend(own);
    }
    let sql = match backend {
        DbBackend::Postgres => {
            let last = parts.pop().unwrap_or_default();
            let with: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| format!("w{i} AS ({p})"))
                .collect();
            format!("WITH {} {last}", with.join(", "))
        }
        _ => parts.join(";\n"),
    };
    Statement {
        sql,
        values: Some(Values(values)),
        db_backend: backend,
    }
}

/// `sql` with each parameter `$n` made `$(n + offset)`; quoted names and strings are left as
/// they are.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n: usize = digits.parse().unwrap_or(0);
                out.push('$');
                out.push_str(&(n + offset).to_string());
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(backend, sql, values)
    }

    #[test]
    fn postgres_parameters_are_renumbered_outside_quotes() {
        assert_eq!(
            renumber(
                r#"UPDATE "t$1" SET a = $1, b = '$2' WHERE c IN ($2, $10)"#,
                3
            ),
            r#"UPDATE "t$1" SET a = $4, b = '$2' WHERE c IN ($5, $13)"#
        );
    }

    #[test]
    fn postgres_statements_become_one_with_data_modifying_parts() {
        let pg = DbBackend::Postgres;
        let out = combine(
            pg,
            vec![
                statement(
                    pg,
                    "INSERT INTO a (x) VALUES ($1), ($2)",
                    vec![1.into(), 2.into()],
                ),
                statement(
                    pg,
                    "UPDATE b SET y = $1 WHERE id = $2",
                    vec![3.into(), 4.into()],
                ),
                statement(pg, "INSERT INTO c (z) VALUES ($1)", vec![5.into()]),
            ],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].sql,
            "WITH w0 AS (INSERT INTO a (x) VALUES ($1), ($2)), w1 AS (UPDATE b SET y = $3 WHERE id = $4) INSERT INTO c (z) VALUES ($5)"
        );
        let values: Vec<Value> = out[0].values.clone().expect("values").0;
        assert_eq!(
            values,
            vec![1.into(), 2.into(), 3.into(), 4.into(), 5.into()]
        );
    }

    #[test]
    fn postgres_joins_only_small_statements() {
        let pg = DbBackend::Postgres;
        let big = |n: usize| {
            let sql = (1..=n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            statement(
                pg,
                &format!("INSERT INTO a (x) VALUES ({sql})"),
                vec![Value::from(1); n],
            )
        };
        let out = combine(
            pg,
            vec![
                big(3),
                big(2_000),
                big(2_000),
                big(5_000),
                big(100),
                big(200),
            ],
        );
        let sizes: Vec<usize> = out
            .iter()
            .map(|s| s.values.as_ref().map_or(0, |v| v.0.len()))
            .collect();
        assert_eq!(sizes, vec![4_003, 5_000, 300]);
        assert!(out[0].sql.starts_with("WITH w0 AS (INSERT"));
        assert!(out[1].sql.starts_with("INSERT"));
        assert!(out[2].sql.starts_with("WITH w0 AS (INSERT"));
    }

    #[test]
    fn sqlite_statements_are_sent_as_one_text() {
        let lite = DbBackend::Sqlite;
        let out = combine(
            lite,
            vec![
                statement(lite, "INSERT INTO a (x) VALUES (?)", vec![1.into()]),
                statement(
                    lite,
                    "UPDATE b SET y = ? WHERE id = ?",
                    vec![2.into(), 3.into()],
                ),
            ],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].sql,
            "INSERT INTO a (x) VALUES (?);\nUPDATE b SET y = ? WHERE id = ?"
        );
    }
}
