//! Delivering e-mail with lettre: over SMTP (`GREENLANE_SMTP_URL` in lettre's URL form), or, with
//! no SMTP configured, as `.eml` files in a folder so that a fresh install works offline.

use std::path::PathBuf;

use lettre::message::{header, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::store::outbox::MailRow;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, mail_dir: PathBuf, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("GREENLANE_MAIL_FROM `{from}`: {e}"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("GREENLANE_SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&mail_dir)?;
                Transport::Files(AsyncFileTransport::new(&mail_dir), mail_dir)
            }
        };
        Ok(Mailer { transport, from })
    }

    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Files(_, dir) => format!("files in {}", dir.display()),
        }
    }

    /// Sends one outbox message, with its stable Message-ID, as text and HTML alternatives.
    pub async fn send(&self, m: &MailRow) -> Result<(), String> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| format!("recipient {}: {e}", m.recipient))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(m.message_id.clone()))
            .header(ContentLanguage(m.lang.clone()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(header::ContentType::TEXT_PLAIN)
                            .body(m.body_text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(header::ContentType::TEXT_HTML)
                            .body(m.body_html.clone()),
                    ),
            )
            .map_err(|e| format!("building the message: {e}"))?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Files(t, _) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// The `Content-Language` header.
#[derive(Debug, Clone)]
struct ContentLanguage(String);

impl header::Header for ContentLanguage {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_string()))
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}
