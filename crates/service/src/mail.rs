//! Outgoing mail. By default each message is a JSON line appended to a file (`file:PATH`), which
//! is what a developer or a test reads; `smtp://host:port` sends it through an SMTP server.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The sign-in code, for sign-in mail: what a test or a developer reads from the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Clone)]
pub enum Mailer {
    File {
        path: PathBuf,
        lock: Arc<Mutex<()>>,
    },
    Smtp {
        /// Boxed: the transport is large, and the mailer is cloned with the services.
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

type MailError = Box<dyn std::error::Error + Send + Sync>;

impl Mailer {
    /// `file:PATH` or `smtp://host:port` (plain SMTP, as on a local relay).
    pub fn from_url(url: &str) -> Result<Self, MailError> {
        if let Some(path) = url.strip_prefix("file:") {
            return Ok(Self::File {
                path: PathBuf::from(path),
                lock: Arc::new(Mutex::new(())),
            });
        }
        if let Some(rest) = url.strip_prefix("smtp://") {
            let (host, port) = rest
                .trim_end_matches('/')
                .rsplit_once(':')
                .unwrap_or((rest, "25"));
            let port: u16 = port
                .parse()
                .map_err(|_| format!("bad SMTP port in {url:?}"))?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .build();
            let from = "Switchboard <no-reply@switchboard.localhost>".parse()?;
            return Ok(Self::Smtp {
                transport: Box::new(transport),
                from,
            });
        }
        Err(format!("SWITCHBOARD_MAIL must be file:PATH or smtp://host:port, not {url:?}").into())
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match self {
            Self::File { path, lock } => {
                let _guard = lock.lock().await;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(dir).await?;
                }
                let mut line = serde_json::to_string(mail)?;
                line.push('\n');
                let mut f = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .await?;
                f.write_all(line.as_bytes()).await?;
                f.flush().await?;
                Ok(())
            }
            Self::Smtp { transport, from } => {
                let msg = Message::builder()
                    .from(from.clone())
                    .to(mail.to.parse()?)
                    .subject(&mail.subject)
                    .body(mail.body.clone())?;
                transport.send(msg).await?;
                Ok(())
            }
        }
    }
}
