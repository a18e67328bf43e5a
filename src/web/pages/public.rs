//! `/public`: the bureau's notices, without sign-in: the bulletin, each notice with its comment
//! form, the check of a notice against its case's audit chain, Atom feeds and CSV.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::app::publish::{self, BulletinQuery, NewComment, Period, PublicNotice, Verification};
use crate::app::{App, AppError};
use crate::engine::NoticeKind;
use crate::web::forms::Errors;
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, Chrome};
use crate::web::session::{self, Ctx, FormData};
use crate::web::{render, render_as, see_other, WebError};

const PER_PAGE: u64 = 50;

/// A notice's line in the bulletin or a feed, in the reader's language.
pub struct Row {
    pub id: Uuid,
    pub kind: String,
    pub kind_title: String,
    pub title: String,
    pub enterprise: String,
    pub place: String,
    pub published: String,
    pub period: String,
    /// Open for comments now.
    pub open: bool,
}

fn kind_title(lang: Lang, kind: NoticeKind) -> String {
    i18n::t(
        lang,
        &format!("notice-kind-{}", kind.as_str().replace('_', "-")),
    )
}

/// The period, in words: its dates and where it stands.
fn period_text(lang: Lang, p: &Period) -> String {
    let dates = |first: &chrono::NaiveDate, last: &chrono::NaiveDate| {
        i18n::t_args(
            lang,
            "notice-period-dates",
            &[
                ("first", first.to_string().into()),
                ("last", last.to_string().into()),
            ],
        )
    };
    match p {
        Period::None => String::new(),
        Period::Before { first, last } => format!(
            "{} · {}",
            dates(first, last),
            i18n::t(lang, "notice-period-before")
        ),
        Period::Open {
            first,
            last,
            days_left,
        } => format!(
            "{} · {}",
            dates(first, last),
            i18n::t_args(
                lang,
                "notice-period-left",
                &[("n", (*days_left as i64).into())]
            )
        ),
        Period::Closed { first, last } => format!(
            "{} · {}",
            dates(first, last),
            i18n::t(lang, "notice-period-closed")
        ),
    }
}

fn row(lang: Lang, n: &PublicNotice) -> Row {
    Row {
        id: n.id,
        kind: n.kind.as_str().to_string(),
        kind_title: kind_title(lang, n.kind),
        title: n.title.clone(),
        enterprise: n.enterprise.clone(),
        place: n.place.clone(),
        published: local_time(n.published_at),
        period: period_text(lang, &n.period),
        open: n.open_for_comments(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct BulletinParams {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "public.html")]
pub struct BulletinPage {
    pub c: Chrome,
    pub tabs: Vec<(String, String)>,
    pub kind: String,
    pub q: String,
    pub place: String,
    pub from: String,
    pub to: String,
    pub errors: Errors,
    pub rows: Vec<Row>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    /// The query without `page`, for links.
    pub query: String,
    /// The transparency log's latest signed checkpoint: its size, its root (hex), its signed
    /// note, and the key that verifies it.
    pub log: Option<(i64, String, String, String)>,
}

/// Reads the bulletin's filters; a value that cannot be read is named in `errors`.
fn read_params(lang: Lang, p: &BulletinParams, errors: &mut Errors) -> BulletinQuery {
    let kind = p.kind.as_deref().and_then(NoticeKind::parse);
    BulletinQuery {
        kind,
        text: p.q.clone(),
        place: p.place.clone(),
        from: crate::web::forms::optional_date(lang, errors, "from", &p.from),
        to: crate::web::forms::optional_date(lang, errors, "to", &p.to),
        page: p
            .page
            .as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(1)
            .clamp(1, 100_000),
        per_page: PER_PAGE,
    }
}

fn query_string(p: &BulletinParams) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for (k, v) in [
        ("kind", &p.kind),
        ("q", &p.q),
        ("place", &p.place),
        ("from", &p.from),
        ("to", &p.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((k, v));
        }
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// `GET /public`: the bulletin.
pub async fn bulletin(
    ctx: Ctx,
    app: web::Data<App>,
    params: web::Query<BulletinParams>,
) -> Result<HttpResponse, WebError> {
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let q = read_params(lang, &params, &mut errors);
    let (notices, total) = publish::bulletin(&app, &q).await?;
    let mut tabs = vec![(String::new(), i18n::t(lang, "notice-kind-all"))];
    tabs.extend(
        NoticeKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), kind_title(lang, *k))),
    );
    let page = BulletinPage {
        c: Chrome::new(&ctx, "public-title"),
        tabs,
        kind: q.kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        q: params.q.clone().unwrap_or_default(),
        place: params.place.clone().unwrap_or_default(),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        errors,
        rows: notices.iter().map(|n| row(lang, n)).collect(),
        total,
        page: q.page,
        pages: total.div_ceil(PER_PAGE),
        query: query_string(&params),
        log: crate::app::tlog::checkpoint(&app).await?.map(|c| {
            (
                c.size,
                c.root,
                c.note,
                app.log.verifier_key().unwrap_or_default(),
            )
        }),
    };
    render_public(&page, StatusCode::OK)
}

/// Public pages are the same for everyone who reads the same language: caches must ask again
/// each time (a period's days change at midnight, a language switch changes the page) and keep
/// one copy per language.
pub(crate) fn render_public<T: Template>(
    page: &T,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let mut r = render_as(status, page)?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    r.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static("Accept-Language, Cookie"),
    );
    Ok(r)
}

/// A line of a notice: a label and its values.
pub struct Line {
    pub label: String,
    pub values: Vec<String>,
}

#[derive(Template)]
#[template(path = "public_notice.html")]
pub struct NoticePage {
    pub c: Chrome,
    pub n: Row,
    pub notice_kind: String,
    /// What the notice is, in a sentence.
    pub lead: String,
    pub lines: Vec<Line>,
    pub decision: Option<(String, Vec<Line>)>,
    pub documents: Vec<(String, i64, String)>,
    pub reference: Option<String>,
    pub hash: String,
    pub seq: i64,
    /// The publishing entry's leaf in the public transparency log, once it is there.
    pub leaf: Option<u64>,
    pub comments_received: u64,
    /// For a proposed decision: the comments received on the case's earlier notice, and the
    /// bureau's answers.
    pub earlier_comments: Option<(u64, Vec<String>)>,
    pub comments: bool,
    pub open: bool,
    pub form: FormData,
    pub errors: Errors,
    /// A refusal of the comment that is not about one field.
    pub refused: Option<String>,
    pub sent: bool,
    /// The bureau's name and its contact for the public.
    pub bureau: (String, String),
}

fn value_texts(
    lang: Lang,
    def: Option<&crate::engine::Definition>,
    name: &str,
    v: &Value,
) -> Vec<String> {
    let label = |s: &str| {
        def.and_then(|d| {
            d.actions
                .iter()
                .flat_map(|a| a.payload.iter())
                .find(|(n, _)| n == name)
                .and_then(|(_, spec)| spec.labels.get(s))
                .map(|t| t.get(lang).to_string())
        })
    };
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => label(s).unwrap_or_else(|| s.clone()),
                other => other.to_string(),
            })
            .collect(),
        Value::String(s) => vec![label(s).unwrap_or_else(|| s.clone())],
        _ => super::case::data_values(lang, name, v),
    }
}

fn field_label(lang: Lang, def: Option<&crate::engine::Definition>, name: &str) -> String {
    def.and_then(|d| d.field_title(name, lang))
        .or_else(|| i18n::lookup(lang, &format!("data-{}", name.replace('_', "-")), None))
        .unwrap_or_else(|| name.replace('_', " "))
}

fn notice_page(
    ctx: &Ctx,
    app: &App,
    n: PublicNotice,
    form: FormData,
    errors: Errors,
    refused: Option<String>,
    sent: bool,
) -> NoticePage {
    let lang = ctx.lang;
    let content = &n.content;
    let def = content["workflow"]
        .as_str()
        .and_then(|k| app.workflows.newest(k));
    let def = def.as_deref();
    let mut lines = Vec::new();
    let mut push = |label: String, values: Vec<String>| {
        if !values.is_empty() {
            lines.push(Line { label, values });
        }
    };
    if let Some(fields) = content["fields"].as_object() {
        // The project's name first, then as a reader looks for them; the place and the
        // coordinates together below.
        const ORDER: [&str; 6] = [
            "project_name",
            "category",
            "classification",
            "project_type",
            "industry_code",
            "investment_fen",
        ];
        let mut keys: Vec<&String> = fields.keys().collect();
        keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
        for k in keys {
            if k == "location" || k == "place" {
                continue;
            }
            push(
                field_label(lang, def, k),
                super::case::data_values(lang, k, &fields[k.as_str()]),
            );
        }
    }
    let mut site = Vec::new();
    if !n.place.is_empty() {
        site.push(n.place.clone());
    }
    if let Some(loc) = content["fields"].get("location") {
        site.extend(super::case::data_values(lang, "location", loc));
    }
    push(i18n::t(lang, "data-location"), site);
    let enterprise = &content["enterprise"];
    push(
        i18n::t(lang, "notice-enterprise"),
        [
            enterprise["name"].as_str(),
            enterprise["credit_code"].as_str(),
        ]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect(),
    );
    if let Some(a) = content["agency"].as_str() {
        push(i18n::t(lang, "notice-agency"), vec![a.to_string()]);
    }
    if let Some(r) = content["received"].as_str() {
        push(i18n::t(lang, "notice-received"), vec![r.to_string()]);
    }
    if let Some(p) = content["published"].as_str() {
        push(i18n::t(lang, "notice-published"), vec![p.to_string()]);
    }
    let decision = content.get("decision").filter(|d| d.is_object()).map(|d| {
        let action = d["action"].as_str().unwrap_or_default();
        let title = def.map_or_else(|| action.to_string(), |d| d.action_title(action, lang));
        let lines = d["payload"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| Line {
                        label: field_label(lang, def, k),
                        values: value_texts(lang, def, k, v),
                    })
                    .filter(|l| !l.values.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        (title, lines)
    });
    let documents = content["documents"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d["name"].as_str().unwrap_or_default().to_string(),
                        d["version"].as_i64().unwrap_or_default(),
                        d["sha256"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    NoticePage {
        bureau: (
            app.bureau.name.get(lang).to_string(),
            app.bureau.contact.get(lang).to_string(),
        ),
        c: Chrome::new(ctx, "public-title"),
        notice_kind: n.kind.as_str().to_string(),
        lead: i18n::t(
            lang,
            &format!("notice-lead-{}", n.kind.as_str().replace('_', "-")),
        ),
        lines,
        decision,
        documents,
        reference: content["reference"].as_str().map(str::to_string),
        hash: n.hash.clone(),
        seq: n.seq,
        leaf: None,
        comments_received: n.comments_received,
        earlier_comments: content["public_comments"].as_object().map(|c| {
            (
                c.get("received")
                    .and_then(Value::as_u64)
                    .unwrap_or_default(),
                c.get("answers")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        }),
        comments: content["comments"].as_bool() == Some(true),
        open: n.open_for_comments(),
        n: row(lang, &n),
        form,
        errors,
        refused,
        sent,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeParams {
    #[serde(default)]
    sent: Option<String>,
}

fn notice_id(id: &str) -> Result<Uuid, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

/// `GET /public/notices/{id}`.
pub async fn notice(
    ctx: Ctx,
    app: web::Data<App>,
    id: web::Path<String>,
    q: web::Query<NoticeParams>,
) -> Result<HttpResponse, WebError> {
    let n = publish::notice(&app, notice_id(&id)?).await?;
    let leaf = crate::app::tlog::leaf_of(&app, n.case_id, n.seq).await?;
    let mut page = notice_page(
        &ctx,
        &app,
        n,
        FormData::default(),
        Errors::default(),
        None,
        false,
    );
    page.leaf = leaf;
    page.sent = q.sent.is_some();
    page.c.title = format!("{} · {}", page.n.kind_title, page.n.title);
    render_public(&page, StatusCode::OK)
}

/// The address a request came from, for the comment limit (behind trusted proxies, the client's).
fn address(req: &HttpRequest) -> String {
    crate::http::client::address(req)
}

/// `POST /public/notices/{id}/comments`: a comment during the period. No sign-in, so no session
/// token: the request must come from this site's own pages (`Origin`).
pub async fn comment(
    req: HttpRequest,
    ctx: Ctx,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    session::check_origin(&req)?;
    let id = notice_id(&id)?;
    let form = FormData::parse(&body)?;
    let input = NewComment {
        name: form.raw("name").to_string(),
        contact: form.raw("contact").to_string(),
        text: form.raw("text").to_string(),
        website: form.raw("website").to_string(),
    };
    let lang = ctx.lang;
    let mut retry_after = None;
    let (status, errors, refused) = match publish::comment(&app, id, input, &address(&req)).await {
        Ok(_) => return Ok(see_other(&format!("/public/notices/{id}?sent=1#comment"))),
        Err(AppError::Validation(fields)) => {
            let mut errors = Errors::default();
            errors.extend_from(lang, &fields);
            // The summary names each field, as its label reads on the form.
            errors.label_with(|f| match f {
                "name" => Some(i18n::t(lang, "comment-name")),
                "contact" => Some(i18n::t(lang, "comment-contact")),
                "text" => Some(i18n::t(lang, "comment-text")),
                _ => None,
            });
            (StatusCode::UNPROCESSABLE_ENTITY, errors, None)
        }
        Err(AppError::PeriodClosed(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors::default(),
            Some(i18n::t(lang, "comment-period-closed")),
        ),
        Err(AppError::TooManyComments {
            retry_after_seconds,
        }) => (
            {
                retry_after = Some(retry_after_seconds);
                StatusCode::TOO_MANY_REQUESTS
            },
            Errors::default(),
            Some(i18n::t_args(
                lang,
                "comment-too-many",
                &[("minutes", ((retry_after_seconds + 59) / 60).into())],
            )),
        ),
        Err(e) => return Err(e.into()),
    };
    let n = publish::notice(&app, id).await?;
    let leaf = crate::app::tlog::leaf_of(&app, n.case_id, n.seq).await?;
    let mut page = notice_page(&ctx, &app, n, form, errors, refused, false);
    page.leaf = leaf;
    let mut r = render_as(status, &page)?;
    if let Some(seconds) = retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "public_verify.html")]
pub struct VerifyPage {
    pub c: Chrome,
    pub n: Row,
    pub hash: String,
    pub seq: i64,
    pub v: Verification,
}

/// `GET /public/notices/{id}/verify`: recomputes the case's chain up to the publishing entry.
pub async fn verify(
    ctx: Ctx,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = notice_id(&id)?;
    let n = publish::notice(&app, id).await?;
    let v = publish::verify(&app, id).await?;
    let page = VerifyPage {
        c: Chrome::new(&ctx, "verify-title"),
        n: row(ctx.lang, &n),
        hash: n.hash,
        seq: n.seq,
        v,
    };
    let mut r = render(&page)?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// Every notice (newest first) matching the bulletin's filters, up to `limit`.
async fn all_matching(
    app: &App,
    lang: Lang,
    params: &BulletinParams,
    limit: u64,
) -> Result<Vec<PublicNotice>, WebError> {
    let mut errors = Errors::default();
    let mut q = read_params(lang, params, &mut errors);
    q.page = 1;
    q.per_page = limit;
    Ok(publish::latest(app, &q).await?)
}

/// `GET /public/notices.csv`: the bulletin's list (its filters apply), up to 10,000 rows.
pub async fn csv(
    ctx: Ctx,
    app: web::Data<App>,
    params: web::Query<BulletinParams>,
) -> Result<HttpResponse, WebError> {
    let lang = ctx.lang;
    let mut out = Vec::new();
    for chunk_page in 1..=50u64 {
        let mut errors = Errors::default();
        let mut q = read_params(lang, &params, &mut errors);
        q.page = chunk_page;
        q.per_page = publish::MAX_PER_PAGE;
        let rows = publish::latest(&app, &q).await?;
        let done = (rows.len() as u64) < publish::MAX_PER_PAGE;
        out.extend(rows);
        if done {
            break;
        }
    }
    let err = |e: csv::Error| WebError::Unexpected(e.to_string());
    let mut w = crate::sheet::Sheet::new([
        "id",
        "kind",
        "title",
        "enterprise",
        "place",
        "published_at",
        "period_from",
        "period_to",
        "reference",
        "audit_seq",
        "audit_sha256",
        "url",
    ])
    .map_err(err)?;
    let base = app.mail.public_url.trim_end_matches('/').to_string();
    for n in &out {
        let (from, to) = match n.period {
            Period::Before { first, last }
            | Period::Open { first, last, .. }
            | Period::Closed { first, last } => (first.to_string(), last.to_string()),
            Period::None => (String::new(), String::new()),
        };
        w.row([
            n.id.to_string(),
            n.kind.as_str().to_string(),
            n.title.clone(),
            n.enterprise.clone(),
            n.place.clone(),
            n.published_at.to_rfc3339(),
            from,
            to,
            n.content["reference"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            n.seq.to_string(),
            n.hash.clone(),
            format!("{base}/public/notices/{}", n.id),
        ])
        .map_err(err)?;
    }
    let body = w.bytes().map_err(err)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"notices.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .body(body))
}

/// `GET /public/feed.atom`: the latest 50 notices as Atom 1.0.
pub async fn feed_all(ctx: Ctx, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    atom(&ctx, &app, None).await
}

/// `GET /public/feeds/{kind}.atom`: the latest 50 notices of one kind.
pub async fn feed(
    ctx: Ctx,
    app: web::Data<App>,
    kind: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let kind = kind
        .strip_suffix(".atom")
        .and_then(NoticeKind::parse)
        .ok_or(WebError::NotFound)?;
    atom(&ctx, &app, Some(kind)).await
}

async fn atom(ctx: &Ctx, app: &App, kind: Option<NoticeKind>) -> Result<HttpResponse, WebError> {
    let lang = ctx.lang;
    let params = BulletinParams {
        kind: kind.map(|k| k.as_str().to_string()),
        ..Default::default()
    };
    let notices = all_matching(app, lang, &params, 50).await?;
    let base = app.mail.public_url.trim_end_matches('/').to_string();
    let self_path = match kind {
        None => "/public/feed.atom".to_string(),
        Some(k) => format!("/public/feeds/{}.atom", k.as_str()),
    };
    let title = match kind {
        None => i18n::t(lang, "public-title"),
        Some(k) => format!(
            "{} · {}",
            i18n::t(lang, "public-title"),
            kind_title(lang, k)
        ),
    };
    let updated = notices
        .first()
        .map_or_else(|| app.clock.now(), |n| n.published_at);
    let mut entries: Vec<atom_syndication::Entry> = Vec::new();
    // The main feed carries the log's latest signed checkpoint, so that copies of it exist
    // outside the bureau, kept by every feed reader.
    if kind.is_none() {
        if let Some(c) = crate::app::tlog::checkpoint(app).await? {
            entries.push(
                atom_syndication::EntryBuilder::default()
                    .id(format!("urn:greenlane:log:{}:{}", app.log.origin, c.size))
                    .title(i18n::t_args(
                        lang,
                        "feed-checkpoint-title",
                        &[("size", c.size.into())],
                    ))
                    .updated(c.signed_at.fixed_offset())
                    .links(vec![atom_syndication::LinkBuilder::default()
                        .href(format!("{base}/log/checkpoint"))
                        .rel("alternate")
                        .mime_type(Some("text/plain".to_string()))
                        .build()])
                    .content(Some(
                        atom_syndication::ContentBuilder::default()
                            .content_type(Some("text".to_string()))
                            .value(Some(c.note))
                            .build(),
                    ))
                    .build(),
            );
        }
    }
    entries.extend(notices.iter().map(|n| {
        let r = row(lang, n);
        let link = format!("{base}/public/notices/{}", n.id);
        atom_syndication::EntryBuilder::default()
            .id(format!("urn:uuid:{}", n.id))
            .title(format!("{} · {}", r.kind_title, r.title))
            .updated(n.published_at.fixed_offset())
            .published(Some(n.published_at.fixed_offset()))
            .links(vec![atom_syndication::LinkBuilder::default()
                .href(link)
                .rel("alternate")
                .mime_type(Some("text/html".to_string()))
                .build()])
            .authors(vec![atom_syndication::PersonBuilder::default()
                .name(app.bureau.name.get(lang).to_string())
                .build()])
            .categories(vec![atom_syndication::CategoryBuilder::default()
                .term(r.kind.clone())
                .label(Some(r.kind_title.clone()))
                .build()])
            .summary(Some(atom_syndication::Text::plain(
                [r.enterprise.as_str(), r.place.as_str(), r.period.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · "),
            )))
            .build()
    }));
    let feed = atom_syndication::FeedBuilder::default()
        .id(format!("{base}{self_path}"))
        .title(title)
        .updated(updated.fixed_offset())
        .lang(Some(if lang == Lang::Zh { "zh" } else { "en" }.to_string()))
        .links(vec![
            atom_syndication::LinkBuilder::default()
                .href(format!("{base}{self_path}"))
                .rel("self")
                .mime_type(Some("application/atom+xml".to_string()))
                .build(),
            atom_syndication::LinkBuilder::default()
                .href(format!("{base}/public"))
                .rel("alternate")
                .mime_type(Some("text/html".to_string()))
                .build(),
        ])
        .authors(vec![atom_syndication::PersonBuilder::default()
            .name(app.bureau.name.get(lang).to_string())
            .build()])
        .entries(entries)
        .build();
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .body(feed.to_string()))
}

/// `GET /public/notices/{id}/documents/{name}`: a document the notice published, as an
/// attachment (the version it recorded).
pub async fn document(
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, name) = path.into_inner();
    let (view, file) = publish::document(&app, notice_id(&id)?, &name).await?;
    super::case::attachment(&view, &file, "public, max-age=86400").await
}
