//! Documents attached to cases: stored by SHA-256 (on disk), versioned by name, every upload a
//! case event in the audit log, downloads under the case's access rules.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::idempotency::{finish, Idempotency};
use super::load::{definition_of, load_visible};
use super::{App, AppError};
use crate::domain::audit::to_micros;
use crate::domain::{FieldErrors, Role};
use crate::engine::{Actor, TransitionError};
use crate::msg;
use crate::store;
use crate::store::documents::DocumentRow;

/// What may be uploaded.
pub const ALLOWED_TYPES: [&str; 8] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// How many uploads are received at once; more wait for a slot (up to [`SLOT_WAIT_SECONDS`]).
pub const UPLOAD_SLOTS: usize = 4;
pub const SLOT_WAIT_SECONDS: u64 = 20;
/// How much of a file's start is kept to tell its type.
const HEAD_BYTES: usize = 8192;

/// Where document bytes live: `DIR/ab/abcdef...` by SHA-256, each stored once. Uploads arrive in
/// `DIR/.incoming/` and are moved into place only with the transaction that records them.
#[derive(Debug, Clone)]
pub struct FileStore {
    pub dir: PathBuf,
    pub max_bytes: usize,
    slots: std::sync::Arc<tokio::sync::Semaphore>,
}

impl FileStore {
    pub fn new(dir: PathBuf, max_bytes: usize) -> FileStore {
        FileStore {
            dir,
            max_bytes,
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(UPLOAD_SLOTS)),
        }
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Opens a temporary file for an upload, once one of the upload slots is free.
    pub async fn receive(&self) -> Result<Incoming, AppError> {
        let permit = tokio::time::timeout(
            std::time::Duration::from_secs(SLOT_WAIT_SECONDS),
            self.slots.clone().acquire_owned(),
        )
        .await
        .map_err(|_| AppError::Busy(SLOT_WAIT_SECONDS as i64))?
        .map_err(|e| AppError::Unexpected(e.into()))?;
        let incoming = self.dir.join(".incoming");
        tokio::fs::create_dir_all(&incoming)
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?;
        let path = incoming.join(format!("{}.part", Uuid::now_v7()));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?;
        Ok(Incoming {
            file: Some(file),
            path,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            max: self.max_bytes,
            _slot: permit,
        })
    }
}

/// An upload being received: written to a temporary file and hashed as it comes, never held
/// whole in memory. Dropped without being stored, its file is removed.
pub struct Incoming {
    file: Option<tokio::fs::File>,
    path: PathBuf,
    hasher: Sha256,
    size: usize,
    head: Vec<u8>,
    max: usize,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Incoming {
    /// Appends a chunk; refuses the upload once it passes the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        use tokio::io::AsyncWriteExt;
        if self.size + chunk.len() > self.max {
            return Err(AppError::TooLarge(self.max));
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.size += chunk.len();
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the upload is closed")))?;
        file.write_all(chunk)
            .await
            .map_err(|e| AppError::Unexpected(e.into()))
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// The SHA-256 of what was received so far.
    pub fn sha256(&self) -> String {
        hex::encode(self.hasher.clone().finalize())
    }

    async fn close(&mut self) -> Result<String, AppError> {
        use tokio::io::AsyncWriteExt;
        if let Some(mut f) = self.file.take() {
            f.flush()
                .await
                .map_err(|e| AppError::Unexpected(e.into()))?;
            f.sync_all()
                .await
                .map_err(|e| AppError::Unexpected(e.into()))?;
        }
        Ok(hex::encode(self.hasher.clone().finalize()))
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The type a file's content shows, checked against the type it was declared as: the declared
/// type must be allowed, and the content must be of that type (a signature for binary types;
/// text without NUL and not markup for text and CSV). Answers the type to record.
pub fn checked_type(declared: &str, head: &[u8]) -> Result<String, AppError> {
    let declared = declared.trim().to_ascii_lowercase();
    if !ALLOWED_TYPES.contains(&declared.as_str()) {
        return Err(AppError::UnsupportedType(declared));
    }
    let refuse =
        |found: &str| AppError::UnsupportedType(format!("{declared} (the content is {found})"));
    let office = [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ];
    match infer::get(head).map(|t| t.mime_type()) {
        Some(found) if found == declared => Ok(declared),
        // A Word or Excel file is a ZIP whose parts a short head may not show.
        Some("application/zip") if office.contains(&declared.as_str()) => Ok(declared),
        Some(found) => Err(refuse(found)),
        None if declared == "text/plain" || declared == "text/csv" => {
            let text = match std::str::from_utf8(head) {
                Ok(t) => t,
                // The head may end inside a character.
                Err(e) if e.error_len().is_none() => {
                    std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
                }
                Err(_) => return Err(refuse("not UTF-8 text")),
            };
            let start = text.trim_start_matches('\u{feff}').trim_start();
            if text.contains('\0') || start.starts_with('<') {
                return Err(refuse("markup or binary"));
            }
            Ok(declared)
        }
        None => Err(refuse("of no type it was declared as")),
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DocumentView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub name: String,
    pub version: i32,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

pub(crate) fn view(d: DocumentRow) -> DocumentView {
    DocumentView {
        id: d.id,
        case_id: d.case_id,
        name: d.name,
        version: d.version,
        sha256: d.sha256,
        size: d.size,
        content_type: d.content_type,
        uploaded_by: d.uploaded_by,
        uploaded_at: d.uploaded_at,
    }
}

/// A received upload, ready to be recorded.
pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub file: Incoming,
}

/// Refuses, before anything is received, an upload to a case the person may not see (404) or may
/// not add to (403, or 422 for a closed case).
pub async fn may_upload(app: &App, actor: &Actor, case_id: Uuid) -> Result<(), AppError> {
    let row = load_visible(app, actor, case_id).await?;
    let changes = [
        Role::Applicant,
        Role::Agency,
        Role::Reviewer,
        Role::Approver,
        Role::Admin,
    ];
    if !changes.iter().any(|r| actor.roles.contains(*r)) {
        return Err(TransitionError::Forbidden {
            action: "upload_document".into(),
            allowed: changes.iter().map(|r| r.as_str().to_string()).collect(),
        }
        .into());
    }
    let def = definition_of(app, &row)?;
    if def
        .state_id(&row.state)
        .is_some_and(|s| def.state(s).terminal)
    {
        return Err(TransitionError::NotAllowed {
            state: row.state,
            action: "upload_document".into(),
        }
        .into());
    }
    Ok(())
}

/// The latest version of each document of a case, as an audit entry records them.
pub async fn relied_on(
    db: &impl sea_orm::ConnectionTrait,
    case_id: Uuid,
) -> Result<Vec<Value>, AppError> {
    Ok(latest_of(store::documents::of_case(db, case_id).await?))
}

/// The documents each of `case_ids` relies on, in one query.
pub async fn relied_on_many(
    db: &impl sea_orm::ConnectionTrait,
    case_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<Value>>, AppError> {
    let mut by_case: std::collections::HashMap<Uuid, Vec<DocumentRow>> = Default::default();
    for d in store::documents::of_cases(db, case_ids).await? {
        by_case.entry(d.case_id).or_default().push(d);
    }
    Ok(by_case
        .into_iter()
        .map(|(id, docs)| (id, latest_of(docs)))
        .collect())
}

/// The latest version of each named document (rows ordered by name, then version).
fn latest_of(rows: Vec<DocumentRow>) -> Vec<Value> {
    latest_hashes(rows.into_iter().map(|d| (d.name, d.version, d.sha256)))
}

/// The same from (name, version, SHA-256), ordered by name, then version.
pub(crate) fn latest_hashes(rows: impl IntoIterator<Item = (String, i32, String)>) -> Vec<Value> {
    let mut latest: std::collections::BTreeMap<String, (i32, String)> =
        std::collections::BTreeMap::new();
    for (name, version, sha256) in rows {
        latest.insert(name, (version, sha256));
    }
    latest
        .into_iter()
        .map(
            |(name, (version, sha256))| json!({"name": name, "version": version, "sha256": sha256}),
        )
        .collect()
}

/// Adds a document (or a new version of one) to a case: the upload is a case event. The case's
/// row is locked by taking its next version, so concurrent uploads queue instead of conflicting;
/// the file moves into place in the same transaction, and is removed again if it fails.
pub async fn upload(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    up: Upload,
    idem: Option<&Idempotency>,
) -> Result<DocumentView, AppError> {
    let Upload {
        name,
        content_type,
        mut file,
    } = up;
    let mut errors = FieldErrors::default();
    let name = name.trim().to_string();
    if name.is_empty()
        || name.chars().count() > 200
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        errors.add("name", msg!("err-length-no-slash", min = 1, max = 200));
    }
    if file.size() == 0 {
        errors.add("file", msg!("err-is-empty"));
    }
    errors.into_result().map_err(AppError::Validation)?;
    let content_type = checked_type(&content_type, &file.head)?;
    may_upload(app, actor, case_id).await?;
    let sha256 = file.close().await?;
    let size = file.size() as i64;

    for _ in 0..5 {
        let row = load_visible(app, actor, case_id).await?;
        let now = to_micros(app.clock.now());
        let tx = app.db.begin().await?;
        let Some(locked) = store::cases::bump_in_state(&tx, case_id, &row.state, now).await? else {
            // The case moved on between reading and locking: read it again.
            tx.rollback().await?;
            continue;
        };
        let def = definition_of(app, &locked)?;
        if def
            .state_id(&locked.state)
            .is_some_and(|s| def.state(s).terminal)
        {
            tx.rollback().await?;
            return Err(TransitionError::NotAllowed {
                state: locked.state,
                action: "upload_document".into(),
            }
            .into());
        }
        let version = store::documents::of_case(&tx, case_id)
            .await?
            .iter()
            .filter(|d| d.name == name)
            .map(|d| d.version)
            .max()
            .unwrap_or(0)
            + 1;
        let doc = DocumentRow {
            id: Uuid::now_v7(),
            case_id,
            name: name.clone(),
            version,
            sha256: sha256.clone(),
            size,
            content_type: content_type.clone(),
            uploaded_by: actor.subject.clone(),
            uploaded_at: now,
        };
        let payload = json!({"name": name, "version": version, "sha256": sha256, "size": size, "content_type": content_type});
        super::audit::append_event(&tx, &locked, actor, "upload_document", payload, now).await?;
        store::documents::insert(&tx, doc.clone()).await?;
        let placed = place(&app.files, &mut file, &sha256).await?;
        return match finish(app, tx, actor, idem, view(doc), now).await {
            Ok(v) => Ok(v),
            Err(e) => {
                if placed {
                    let _ = tokio::fs::remove_file(app.files.path_of(&sha256)).await;
                }
                Err(e)
            }
        };
    }
    Err(AppError::Busy(1))
}

/// Moves a received file to its place by hash; false if a file with that hash was there already.
async fn place(files: &FileStore, file: &mut Incoming, sha256: &str) -> Result<bool, AppError> {
    let path = files.path_of(sha256);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    tokio::fs::rename(&file.path, &path)
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(true)
}

pub async fn list(app: &App, actor: &Actor, case_id: Uuid) -> Result<Vec<DocumentView>, AppError> {
    let case = super::load::open(app, actor, case_id).await?;
    list_of(app, &case).await
}

/// The documents of a case already read for this request.
pub async fn list_of(
    app: &App,
    case: &super::load::Visible,
) -> Result<Vec<DocumentView>, AppError> {
    Ok(store::documents::of_case(&app.db, case.id())
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// A document's metadata and where its bytes are, under the case's access rules.
pub async fn open(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    id: Uuid,
) -> Result<(DocumentView, PathBuf), AppError> {
    load_visible(app, actor, case_id).await?;
    let doc = store::documents::find(&app.db, case_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("document {id}")))?;
    let path = app.files.path_of(&doc.sha256);
    Ok((view(doc), path))
}
