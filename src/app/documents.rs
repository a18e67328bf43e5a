//! Documents attached to cases: stored by SHA-256 (on disk), versioned by name, every upload a
//! case event in the audit log, downloads under the case's access rules.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::cases::{audit_row, load_visible};
use super::{App, AppError};
use crate::domain::audit::{to_micros, AuditRecord};
use crate::domain::{FieldErrors, Role};
use crate::engine::{Actor, TransitionError};
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

/// Where document bytes live: `DIR/ab/abcdef...` by SHA-256, each stored once.
#[derive(Debug, Clone)]
pub struct FileStore {
    pub dir: PathBuf,
    pub max_bytes: usize,
}

impl FileStore {
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Writes the bytes under their hash (atomically: a temporary file renamed), unless present.
    fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path_of(sha256);
        if path.exists() {
            return Ok(());
        }
        let parent = path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.dir.clone());
        std::fs::create_dir_all(&parent)?;
        let tmp = parent.join(format!(".{}.part", Uuid::now_v7()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
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

fn view(d: DocumentRow) -> DocumentView {
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

pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The latest version of each document of a case, as an audit entry records them.
pub async fn relied_on(
    db: &impl sea_orm::ConnectionTrait,
    case_id: Uuid,
) -> Result<Vec<Value>, AppError> {
    let mut latest: std::collections::BTreeMap<String, DocumentRow> =
        std::collections::BTreeMap::new();
    for d in store::documents::of_case(db, case_id).await? {
        latest.insert(d.name.clone(), d);
    }
    Ok(latest
        .into_values()
        .map(|d| json!({"name": d.name, "version": d.version, "sha256": d.sha256}))
        .collect())
}

/// Adds a document (or a new version of one) to a case.
pub async fn upload(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    up: Upload,
) -> Result<DocumentView, AppError> {
    let mut errors = FieldErrors::default();
    let name = up.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
        errors.add("name", "1 to 200 characters, without slashes");
    }
    if up.bytes.is_empty() {
        errors.add("file", "is empty");
    }
    errors.into_result().map_err(AppError::Validation)?;
    if !ALLOWED_TYPES.contains(&up.content_type.as_str()) {
        return Err(AppError::UnsupportedType(up.content_type));
    }
    if up.bytes.len() > app.files.max_bytes {
        return Err(AppError::TooLarge(app.files.max_bytes));
    }
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
    let sha256 = hex::encode(Sha256::digest(&up.bytes));
    app.files
        .put(&sha256, &up.bytes)
        .map_err(|e| AppError::Unexpected(e.into()))?;

    // The upload is a case event: it takes the next version, with a retry if an action won.
    for _ in 0..5 {
        let row = load_visible(app, actor, case_id).await?;
        let def = super::cases::definition_of(app, &row)?;
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
        let version = store::documents::of_case(&app.db, case_id)
            .await?
            .iter()
            .filter(|d| d.name == name)
            .map(|d| d.version)
            .max()
            .unwrap_or(0)
            + 1;
        let now = to_micros(app.clock.now());
        let doc = DocumentRow {
            id: Uuid::now_v7(),
            case_id,
            name: name.clone(),
            version,
            sha256: sha256.clone(),
            size: up.bytes.len() as i64,
            content_type: up.content_type.clone(),
            uploaded_by: actor.subject.clone(),
            uploaded_at: now,
        };
        let record = AuditRecord {
            case_id,
            seq: row.version + 1,
            actor: actor.subject.clone(),
            actor_org: actor.org.clone(),
            roles: actor.roles.names(),
            action: "upload_document".into(),
            from_state: row.state.clone(),
            to_state: row.state.clone(),
            payload: json!({"name": name, "version": version, "sha256": sha256, "size": doc.size, "content_type": doc.content_type}),
            comment: None,
            at: now,
            documents: Vec::new(),
        };
        let hash = record.chain_hash(&row.audit_head);
        let tx = app.db.begin().await?;
        let moved = store::cases::advance(
            &tx,
            store::cases::Advance {
                id: case_id,
                expected_version: row.version,
                state: &row.state,
                data: None,
                title: None,
                reference: None,
                submitted_at: None,
                audit_head: &hash,
                at: now,
            },
        )
        .await?;
        if !moved {
            tx.rollback().await?;
            continue;
        }
        store::audit::append(&tx, audit_row(&record, &row.audit_head, &hash)).await?;
        store::documents::insert(&tx, doc.clone()).await?;
        tx.commit().await?;
        return Ok(view(doc));
    }
    Err(AppError::Conflict {
        expected: 0,
        actual: 0,
    })
}

pub async fn list(app: &App, actor: &Actor, case_id: Uuid) -> Result<Vec<DocumentView>, AppError> {
    load_visible(app, actor, case_id).await?;
    Ok(store::documents::of_case(&app.db, case_id)
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
