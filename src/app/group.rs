//! Group commit: people's actions that arrive together are written in one transaction.
//!
//! A use case decides outside any transaction (reads only), then hands its writes to
//! [`GroupCommit::write`] as a piece of work on a transaction. A few committers (one on SQLite,
//! which has one writer anyway; several on PostgreSQL) each take the first piece waiting and every
//! other piece already queued behind it (no waiting window: a batch is whatever arrived while the
//! previous one was being written), and run them in one transaction, each in its own savepoint.
//! A piece that refuses (its case moved on: 409; anything else) is rolled back to its savepoint
//! alone, and the others commit. Each caller is answered after the commit with its own result:
//! nothing is acknowledged before it is durable. A piece alone in its batch runs without a
//! savepoint, so a single action costs what it cost before.
//!
//! Every write is still guarded as it was (the version-checked update of the case): two actions
//! on one case in one batch are written in arrival order, and the second sees the first's
//! version and is refused with 409, exactly as if they had come one after the other.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::AppError;

/// The most pieces one transaction takes.
pub const MAX_BATCH: usize = 64;

/// What a committer tells a piece once the batch is over: `None` when its writes were committed
/// (or it refused and wrote nothing), or why the commit failed.
type Answer = Box<dyn FnOnce(Option<String>) + Send>;

/// A piece of work on a transaction; answers whether its writes are to be kept, and how to tell
/// its caller.
type Piece =
    Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, (bool, Answer)> + Send>;

/// The queue of pieces and the committers that write them.
pub struct GroupCommit {
    queue: mpsc::Sender<Piece>,
    /// How many pieces went through, and in how many transactions (for the benchmark).
    counts: Arc<std::sync::Mutex<(u64, u64)>>,
}

impl GroupCommit {
    /// Starts `committers` tasks on `db`.
    pub fn start(db: &DatabaseConnection, committers: usize) -> GroupCommit {
        let (queue, rx) = mpsc::channel::<Piece>(4096);
        let rx = Arc::new(Mutex::new(rx));
        let counts = Arc::new(std::sync::Mutex::new((0, 0)));
        for _ in 0..committers.max(1) {
            let (db, rx, counts) = (db.clone(), rx.clone(), counts.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&rx).await {
                    let n = batch.len() as u64;
                    write(&db, batch).await;
                    if let Ok(mut c) = counts.lock() {
                        c.0 += n;
                        c.1 += 1;
                    }
                }
            });
        }
        GroupCommit { queue, counts }
    }

    /// The committers for a database: one for SQLite (one writer at a time), eight otherwise.
    pub fn for_database(db: &DatabaseConnection) -> GroupCommit {
        let committers = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => 1,
            _ => 8,
        };
        GroupCommit::start(db, committers)
    }

    /// Pieces queued and not yet taken by a committer.
    pub fn waiting(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Pieces written so far, and the transactions they took.
    pub fn counts(&self) -> (u64, u64) {
        self.counts.lock().map(|c| *c).unwrap_or_default()
    }

    /// Runs `work` in the next batch's transaction and answers its result once that transaction
    /// has committed. An `Err` from `work` rolls back what it wrote, and only that.
    pub async fn write<T, W>(&self, work: W) -> Result<T, AppError>
    where
        T: Send + 'static,
        W: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, AppError>>
            + Send
            + 'static,
    {
        let (tell, told) = oneshot::channel::<Result<T, AppError>>();
        let piece: Piece = Box::new(move |tx| {
            Box::pin(async move {
                match work(tx).await {
                    Ok(value) => {
                        let answer: Answer = Box::new(move |failed: Option<String>| {
                            let _ = tell.send(match failed {
                                None => Ok(value),
                                Some(why) => Err(AppError::Unexpected(anyhow::anyhow!(
                                    "the batch's commit failed: {why}"
                                ))),
                            });
                        });
                        (true, answer)
                    }
                    Err(e) => {
                        let answer: Answer = Box::new(move |_| {
                            let _ = tell.send(Err(e));
                        });
                        (false, answer)
                    }
                }
            })
        });
        self.queue
            .send(piece)
            .await
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("the committers have stopped")))?;
        told.await.map_err(|_| {
            AppError::Unexpected(anyhow::anyhow!("a committer stopped before answering"))
        })?
    }
}

/// The first piece waiting, and every piece queued behind it (up to [`MAX_BATCH`]).
async fn next_batch(rx: &Mutex<mpsc::Receiver<Piece>>) -> Option<Vec<Piece>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Writes one batch: one transaction, a savepoint per piece when there are several.
async fn write(db: &DatabaseConnection, batch: Vec<Piece>) {
    let tx = match db.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            // Nothing was written: every caller hears why.
            for piece in batch {
                fail_unrun(piece, &e.to_string());
            }
            return;
        }
    };
    let alone = batch.len() == 1;
    let mut answers = Vec::with_capacity(batch.len());
    for piece in batch {
        if alone {
            answers.push(piece(&tx).await);
            continue;
        }
        let outcome = match tx.begin().await {
            Ok(savepoint) => {
                let (keep, answer) = piece(&savepoint).await;
                let closed = if keep {
                    savepoint.commit().await
                } else {
                    savepoint.rollback().await
                };
                match closed {
                    Ok(()) => (keep, answer),
                    Err(e) => {
                        answer(Some(e.to_string()));
                        continue;
                    }
                }
            }
            Err(e) => {
                fail_unrun(piece, &e.to_string());
                continue;
            }
        };
        answers.push(outcome);
    }
    let wrote = answers.iter().any(|(keep, _)| *keep);
    let committed = if wrote {
        tx.commit().await.map_err(|e| e.to_string())
    } else {
        tx.rollback().await.map_err(|e| e.to_string())
    };
    let failed = committed.err();
    for (keep, answer) in answers {
        answer(if keep { failed.clone() } else { None });
    }
}

/// Answers a piece that never ran (its transaction or savepoint could not be opened).
fn fail_unrun(piece: Piece, why: &str) {
    // The piece owns its caller's channel; dropping it answers "stopped before answering",
    // which is logged here with the cause.
    tracing::error!("a batch could not be written: {why}");
    drop(piece);
}
