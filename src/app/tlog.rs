//! The public transparency log: every audit entry (cases, market, registry, directory) is a leaf
//! `<case uuid> <seq> <entry sha256 hex>` of one RFC 6962 Merkle tree, appended by an integrator
//! in the background, and the tree's head is published as a signed checkpoint.
//!
//! An action's own transaction takes no global lock: it only inserts its audit entry. The
//! integrator (one at a time across instances: an advisory lock on PostgreSQL) takes the entries
//! not yet in the log in (time, id) order, gives them the next leaf indexes, stores the leaves and
//! the complete subtrees they finish, and, at most once a second while the tree grows, signs a
//! checkpoint of the new head. A kill in the middle rolls the whole step back: no leaf is lost or
//! written twice. Entries that existed before the log are appended on the first runs, in order.

use std::collections::HashMap;
use std::path::Path;

use sea_orm::TransactionTrait;

use super::{App, AppError};
use crate::domain::note::{Checkpoint, Signer};
use crate::domain::tlog::{self, Hash, Node};
use crate::store;

/// How many entries one integration step appends at most.
pub const BATCH: u64 = 4096;
/// Leaves (and hashes) per tile (C2SP tlog-tiles: height 8).
pub const TILE_WIDTH: u64 = 256;

/// The log's identity: its origin (the checkpoint's first line) and the key that signs it.
pub struct Log {
    pub origin: String,
    signer: Option<Signer>,
}

impl Log {
    /// A log whose checkpoints are not signed (a tool that only reads).
    pub fn unsigned(origin: &str) -> Log {
        Log {
            origin: origin.to_string(),
            signer: None,
        }
    }

    /// The log signed with the key in `key_file`, created (mode 0600, a new random Ed25519 key
    /// named after the origin) if there is none. Instances that start together on one key file
    /// end up with the same key: the file appears whole or not at all.
    pub fn open(origin: &str, key_file: &Path) -> anyhow::Result<Log> {
        let read = |text: String| {
            Signer::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: not a log signing key ({e})", key_file.display()))
        };
        let signer = match std::fs::read_to_string(key_file) {
            Ok(text) => read(text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match create_key(origin, key_file)? {
                    Some(signer) => signer,
                    None => read(std::fs::read_to_string(key_file)?)?,
                }
            }
            Err(e) => anyhow::bail!("{}: {e}", key_file.display()),
        };
        Ok(Log {
            origin: origin.to_string(),
            signer: Some(signer),
        })
    }

    /// The key anyone checks checkpoints with (`name+hexid+base64`).
    pub fn verifier_key(&self) -> Option<String> {
        self.signer.as_ref().map(Signer::verifier_key)
    }
}

impl Default for Log {
    fn default() -> Self {
        Log::unsigned("greenlane/log")
    }
}

/// Writes a new key to `key_file`; `None` if another process created it first. The key is
/// written whole to a file of its own, then linked into place (which fails if the name exists).
fn create_key(origin: &str, key_file: &Path) -> anyhow::Result<Option<Signer>> {
    use std::io::Write;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let signer = Signer::from_seed(origin, &seed)
        .map_err(|e| anyhow::anyhow!("`{origin}` cannot name a key: {e}"))?;
    if let Some(dir) = key_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let draft = key_file.with_extension(format!("new-{}", uuid::Uuid::now_v7().simple()));
    let mut file = options
        .open(&draft)
        .map_err(|e| anyhow::anyhow!("{}: {e}", draft.display()))?;
    writeln!(file, "{}", signer.private_key(&seed))?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&draft, key_file);
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => {
            tracing::info!(file = %key_file.display(), key = %signer.verifier_key(), "created the log's signing key");
            Ok(Some(signer))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", key_file.display())),
    }
}

/// What one integration step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Integrated {
    pub appended: u64,
    pub size: u64,
    pub signed: bool,
}

/// Appends the entries not yet in the log (up to a batch) and signs a checkpoint when one is due.
pub async fn integrate(app: &App) -> Result<Integrated, AppError> {
    let tx = app.db.begin().await?;
    store::tlog::lock(&tx).await?;
    let size = store::tlog::size(&tx).await?;
    let batch = store::tlog::unlogged(&tx, BATCH).await?;
    let appended = batch.len() as u64;
    if appended > 0 {
        let data: Vec<String> = batch
            .iter()
            .map(|e| tlog::leaf_text(e.case_id, e.seq, &e.hash))
            .collect();
        let hashes: Vec<Hash> = data.iter().map(|d| tlog::leaf_hash(d.as_bytes())).collect();
        let nodes = over_tree(&tx, |get| tlog::appended(size, &hashes, get)).await?;
        let ids: Vec<uuid::Uuid> = batch.iter().map(|e| e.id).collect();
        store::tlog::place(&tx, size, &ids).await?;
        store::tlog::insert_leaves(&tx, size, &data).await?;
        store::tlog::insert_nodes(&tx, &nodes).await?;
    }
    let size = size + appended;
    let signed = sign_if_due(app, &tx, size).await?;
    tx.commit().await?;
    Ok(Integrated {
        appended,
        size,
        signed,
    })
}

/// Signs a checkpoint of `size` leaves if there is none yet, or if the tree grew and the last
/// was signed at least a second ago (by the database's clock, shared by every instance).
async fn sign_if_due(
    app: &App,
    tx: &impl sea_orm::ConnectionTrait,
    size: u64,
) -> Result<bool, AppError> {
    let Some(signer) = &app.log.signer else {
        return Ok(false);
    };
    let latest = store::tlog::latest_checkpoint(tx).await?;
    let now = store::db_now(tx).await?;
    let due = match &latest {
        None => true,
        Some(c) => (c.size as u64) < size && now - c.signed_at >= chrono::Duration::seconds(1),
    };
    if !due {
        return Ok(false);
    }
    let root = root_of(tx, size).await?;
    let checkpoint = Checkpoint {
        origin: app.log.origin.clone(),
        size,
        root,
    };
    let note = signer
        .sign(&checkpoint.text())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("signing the checkpoint: {e}")))?;
    store::tlog::insert_checkpoint(
        tx,
        store::tlog::CheckpointRow {
            size: size as i64,
            root: hex::encode(root),
            note,
            signed_at: now,
        },
    )
    .await?;
    Ok(true)
}

/// Runs `compute` over the stored tree: learns the nodes it reads, reads them in one go, runs it.
async fn over_tree<T>(
    db: &impl sea_orm::ConnectionTrait,
    compute: impl Fn(&mut dyn FnMut(Node) -> Hash) -> T,
) -> Result<T, AppError> {
    let wanted = tlog::needed(&compute);
    let nodes = store::tlog::nodes(db, wanted.iter().copied()).await?;
    if let Some(missing) = wanted.iter().find(|n| !nodes.contains_key(n)) {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "the log has no node {missing:?}"
        )));
    }
    Ok(compute(&mut |n| nodes[&n]))
}

async fn root_of(db: &impl sea_orm::ConnectionTrait, size: u64) -> Result<Hash, AppError> {
    over_tree(db, |get| tlog::root(size, get)).await
}

/// The latest signed checkpoint.
pub async fn checkpoint(app: &App) -> Result<Option<store::tlog::CheckpointRow>, AppError> {
    Ok(store::tlog::latest_checkpoint(&app.db).await?)
}

/// An inclusion or consistency proof, with the root it leads to.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// The root of the tree of `size` leaves, hex.
    pub root: String,
    /// From the leaf's sibling up, hex.
    pub proof: Vec<String>,
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (`size` at most the log's).
pub async fn inclusion(app: &App, index: u64, size: u64) -> Result<InclusionProof, AppError> {
    let logged = store::tlog::size(&app.db).await?;
    if size == 0 || size > logged {
        return Err(AppError::invalid(
            "size",
            crate::msg!("err-log-size", size = logged),
        ));
    }
    if index >= size {
        return Err(AppError::invalid("index", crate::msg!("err-log-index")));
    }
    let (proof, root) = over_tree(&app.db, |get| {
        (
            tlog::inclusion_proof(index, size, get).unwrap_or_default(),
            tlog::root(size, get),
        )
    })
    .await?;
    Ok(InclusionProof {
        index,
        size,
        root: hex::encode(root),
        proof: proof.iter().map(hex::encode).collect(),
    })
}

/// The consistency proof between the trees of `from` and `to` leaves. From 0 there is none: the
/// empty tree is a prefix of every tree, there is nothing to prove, and RFC 9162 defines no such
/// proof; it is refused, like `from` above `to`.
pub async fn consistency(app: &App, from: u64, to: u64) -> Result<Vec<String>, AppError> {
    let logged = store::tlog::size(&app.db).await?;
    if to > logged {
        return Err(AppError::invalid(
            "to",
            crate::msg!("err-log-size", size = logged),
        ));
    }
    if from == 0 || from > to {
        return Err(AppError::invalid("from", crate::msg!("err-log-from")));
    }
    let proof = over_tree(&app.db, |get| {
        tlog::consistency_proof(from, to, get).unwrap_or_default()
    })
    .await?;
    Ok(proof.iter().map(hex::encode).collect())
}

/// A hash tile (C2SP tlog-tiles): the hashes of tree level `8 * level` from `index * 256`, as
/// many as `width` (all 256 for a full tile); `None` while the log does not hold them all.
pub async fn tile(
    app: &App,
    level: u8,
    index: u64,
    width: u64,
) -> Result<Option<Vec<u8>>, AppError> {
    let tree_level = u32::from(level) * 8;
    if tree_level > 62 {
        return Ok(None);
    }
    let hashes = store::tlog::level(&app.db, tree_level as u8, index * TILE_WIDTH, width).await?;
    if (hashes.len() as u64) < width {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(hashes.len() * 32);
    for h in hashes {
        out.extend(hex::decode(&h).map_err(|e| AppError::Unexpected(e.into()))?);
    }
    Ok(Some(out))
}

/// An entry tile: the data of leaves `index * 256 ..`, `width` of them, each after its length as
/// a big-endian 16-bit number; `None` while the log does not hold them all.
pub async fn entries_tile(app: &App, index: u64, width: u64) -> Result<Option<Vec<u8>>, AppError> {
    let leaves = store::tlog::leaves(&app.db, index * TILE_WIDTH, width).await?;
    if (leaves.len() as u64) < width {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (_, data) in leaves {
        out.extend((data.len() as u16).to_be_bytes());
        out.extend(data.as_bytes());
    }
    Ok(Some(out))
}

/// An audit entry in the log: its leaf, the checkpoint it was checked against, and the proof, so
/// that anyone can check it again without trusting the page that shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InLog {
    /// Whether the inclusion proof leads from the leaf to the signed checkpoint's root.
    pub included: bool,
    pub index: u64,
    /// `<case uuid> <seq> <entry sha256 hex>`.
    pub leaf: String,
    pub size: u64,
    /// The checkpoint's root, hex.
    pub root: String,
    /// The inclusion proof, hex, from the leaf's sibling up.
    pub proof: Vec<String>,
    /// The signed checkpoint the proof was checked against.
    pub checkpoint: String,
    /// The key that verifies the checkpoint.
    pub key: Option<String>,
}

/// Checks that entry `seq` of `case_id`, whose hash is `hash`, is in the log under its latest
/// signed checkpoint: the proof is made from the stored tree and checked against the root the
/// checkpoint signed. `None` until a checkpoint covers the entry.
pub async fn entry_in_log(
    app: &App,
    case_id: uuid::Uuid,
    seq: i64,
    hash: &str,
) -> Result<Option<InLog>, AppError> {
    let (Some(index), Some(c)) = (leaf_of(app, case_id, seq).await?, checkpoint(app).await?) else {
        return Ok(None);
    };
    let size = c.size as u64;
    if index >= size {
        return Ok(None);
    }
    let leaf = tlog::leaf_text(case_id, seq, hash);
    let proof = over_tree(&app.db, |get| {
        tlog::inclusion_proof(index, size, get).unwrap_or_default()
    })
    .await?;
    let signed_root: Option<Hash> = hex::decode(&c.root).ok().and_then(|r| r.try_into().ok());
    let included = signed_root.is_some_and(|root| {
        tlog::verify_inclusion(
            index,
            size,
            &tlog::leaf_hash(leaf.as_bytes()),
            &proof,
            &root,
        )
        .is_ok()
    });
    Ok(Some(InLog {
        included,
        index,
        leaf,
        size,
        root: c.root,
        proof: proof.iter().map(hex::encode).collect(),
        checkpoint: c.note,
        key: app.log.verifier_key(),
    }))
}

/// The leaf index of a case's entry, once it is in the log.
pub async fn leaf_of(app: &App, case_id: uuid::Uuid, seq: i64) -> Result<Option<u64>, AppError> {
    Ok(store::tlog::entry_of(&app.db, case_id, seq)
        .await?
        .and_then(|e| e.log_index)
        .map(|i| i as u64))
}

/// What `greenlane log audit` found.
#[derive(Debug, Clone, Default)]
pub struct LogAudit {
    pub leaves: u64,
    pub checkpoint: Option<u64>,
    pub problems: Vec<String>,
}

/// How long an entry may wait for the integrator before the audit calls it unlogged.
const UNLOGGED_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// Recomputes the whole tree from the stored leaves and compares it with the stored nodes, the
/// latest checkpoint, and the audit entries: an entry missing or changed since it was logged, a
/// leaf out of place, and an entry left out of the log for more than 30 seconds (judged by the
/// time in its id) are each named with their case.
pub async fn audit(db: &sea_orm::DatabaseConnection) -> Result<LogAudit, AppError> {
    let mut report = LogAudit::default();
    let size = store::tlog::size(db).await?;
    let leaves = store::tlog::leaves(db, 0, size).await?;
    report.leaves = leaves.len() as u64;
    let nodes = store::tlog::all_nodes(db).await?;
    let entries = store::tlog::all_entries(db).await?;
    let by_place: HashMap<(uuid::Uuid, i64), &store::tlog::Entry> =
        entries.iter().map(|e| ((e.case_id, e.seq), e)).collect();
    let mut leaf_hashes: Vec<Hash> = Vec::with_capacity(leaves.len());
    for (expected, (idx, data)) in leaves.iter().enumerate() {
        if *idx != expected as i64 {
            report
                .problems
                .push(format!("leaf {expected} is missing from the log"));
            return Ok(report);
        }
        leaf_hashes.push(tlog::leaf_hash(data.as_bytes()));
        let mut parts = data.split(' ');
        let (Some(case), Some(seq), Some(hash)) = (parts.next(), parts.next(), parts.next()) else {
            report.problems.push(format!("leaf {idx} is malformed"));
            continue;
        };
        let (Ok(case_id), Ok(seq)) = (case.parse::<uuid::Uuid>(), seq.parse::<i64>()) else {
            report.problems.push(format!("leaf {idx} is malformed"));
            continue;
        };
        match by_place.get(&(case_id, seq)) {
            None => report.problems.push(format!(
                "case {case_id}: entry {seq} (leaf {idx}) is in the log but no longer in the database"
            )),
            Some(e) if e.hash != hash => report.problems.push(format!(
                "case {case_id}: entry {seq} (leaf {idx}) was changed after it was logged"
            )),
            Some(e) if e.log_index != Some(*idx) => report.problems.push(format!(
                "case {case_id}: entry {seq} is leaf {idx} in the log but not in the database"
            )),
            Some(_) => {}
        }
    }
    // Grown from the empty tree, the whole tree needs no older node.
    let recomputed: HashMap<Node, Hash> = tlog::appended(0, &leaf_hashes, &mut |_| [0; 32])
        .into_iter()
        .collect();
    for (node, hash) in &recomputed {
        if nodes.get(node) != Some(&hex::encode(hash)) {
            report.problems.push(format!(
                "the stored tree differs from its leaves at level {} index {}",
                node.level, node.index
            ));
            break;
        }
    }
    if let Some(c) = store::tlog::latest_checkpoint(db).await? {
        report.checkpoint = Some(c.size as u64);
        let size = c.size as u64;
        let root = tlog::root(size, &mut |n| {
            recomputed.get(&n).copied().unwrap_or([0; 32])
        });
        if size > report.leaves || hex::encode(root) != c.root {
            report.problems.push(format!(
                "the signed checkpoint of {size} leaves does not match the leaves"
            ));
        }
    }
    let now = chrono::Utc::now();
    for e in entries.iter().filter(|e| e.log_index.is_none()) {
        let created =
            e.id.get_timestamp()
                .map(|t| t.to_unix())
                .and_then(|(s, n)| chrono::DateTime::from_timestamp(s as i64, n));
        if created.is_some_and(|t| now - t > UNLOGGED_AFTER) {
            report.problems.push(format!(
                "case {}: entry {} is not in the log",
                e.case_id, e.seq
            ));
        }
    }
    Ok(report)
}
