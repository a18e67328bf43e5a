//! A small SMTP server on loopback that keeps what it receives: enough of RFC 5321 for lettre.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.data).expect("a parsable message")
    }

    pub fn header(&self, name: &str) -> String {
        use mailparse::MailHeaderMap;
        self.parsed()
            .headers
            .get_first_value(name)
            .unwrap_or_default()
    }

    /// The decoded bodies of the text/plain and text/html parts.
    pub fn bodies(&self) -> (String, String) {
        let parsed = self.parsed();
        let mut text = String::new();
        let mut html = String::new();
        for part in parsed.subparts.iter() {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().expect("text body"),
                "text/html" => html = part.get_body().expect("html body"),
                _ => {}
            }
        }
        (text, html)
    }
}

pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
    connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

/// Stopping the server closes its port and every open connection (as a crashed server would).
impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
        for c in self.connections.lock().expect("lock").drain(..) {
            c.abort();
        }
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind SMTP");
        let port = listener.local_addr().expect("addr").port();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let store = received.clone();
        let open = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                let connection = tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                    let (mut from, mut to) = (String::new(), Vec::new());
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-test.local\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().to_string();
                            b"250 OK\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = Vec::new();
                            loop {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if l == ".\r\n" {
                                    break;
                                }
                                let l = l.strip_prefix('.').unwrap_or(&l);
                                data.extend_from_slice(l.as_bytes());
                            }
                            store.lock().expect("lock").push(Received {
                                from: from.clone(),
                                to: std::mem::take(&mut to),
                                data,
                            });
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
                open.lock().expect("lock").push(connection);
            }
        });
        SmtpServer {
            port,
            received,
            task,
            connections,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

/// A loopback port with nothing listening on it (yet).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
