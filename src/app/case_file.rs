//! Everything a case's page shows, read with the case loaded once: its snapshot, its timeline,
//! its documents, the notices published on it and the public's comments.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::cases::{self, CaseSnapshot};
use super::documents::{self, DocumentView};
use super::publish::{self, CaseComment};
use super::timeline::{self, TimelineEntry};
use super::{App, AppError};
use crate::engine::{Actor, NoticeKind};

/// A case as its page shows it.
pub struct CaseFile {
    pub snapshot: CaseSnapshot,
    pub timeline: Vec<TimelineEntry>,
    pub documents: Vec<DocumentView>,
    /// The notices published on it: id, kind, moment.
    pub notices: Vec<(Uuid, NoticeKind, DateTime<Utc>)>,
    pub comments: Vec<CaseComment>,
}

/// Reads a case the actor may see, once, and everything its page shows.
pub async fn read(app: &App, actor: &Actor, id: Uuid) -> Result<CaseFile, AppError> {
    let opened = super::load::open_with_context(app, actor, id).await?;
    let case = opened.case();
    let timeline = timeline::timeline_of(app, case).await?;
    let documents = documents::list_of(app, case).await?;
    let notices = publish::notices_of(app, case).await?;
    let comments = publish::comments_of(app, actor, case).await?;
    let snapshot = cases::snapshot_of(app, actor, opened).await?;
    Ok(CaseFile {
        snapshot,
        timeline,
        documents,
        notices,
        comments,
    })
}
