//! The receipt by e-mail, through the SMTP server the shop names in `[mail]`
//! (`docs/peripherals.md`). Since August 2023 a French shop gives a receipt only when the
//! customer asks; an e-mail is one of the ways it can, beside paper and the QR code's page.
//!
//! The message is the plain-text receipt (every legal mention, as printed), ending with the
//! link to the receipt's web page: a text body reads the same in every mail client, where an HTML
//! body would need the server's stylesheet. [`message`] decides the message (pure);
//! [`Mailer::send`] hands it to the SMTP server and says plainly what went wrong.

use super::Receipt;
use crate::config::MailConfig;
use crate::error::ShopError;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// The shop's way out to its SMTP server, built once from `[mail]` at start.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, for the messages that name the server.
    server: String,
}

impl Mailer {
    /// The mailer of `[mail]`, or `None` when no SMTP server is set (e-mail receipts off).
    /// A half or broken setting stops the server with a message naming the key.
    pub fn from_config(config: &MailConfig) -> Result<Option<Mailer>, ShopError> {
        let (url, from) = match (config.smtp_url.as_deref(), config.from.as_deref()) {
            (None, None) => return Ok(None),
            (Some(url), Some(from)) => (url, from),
            (Some(_), None) => return Err(ShopError::Config("mail.smtp_url is set but mail.from is not: name the sender address of the receipts (mail.from = \"Boutique <caisse@example.fr>\")".into())),
            (None, Some(_)) => return Err(ShopError::Config("mail.from is set but mail.smtp_url is not: name the SMTP server (mail.smtp_url = \"smtp://mail.example.fr:587?tls=required\")".into())),
        };
        let from: Mailbox = from.parse().map_err(|e| {
            ShopError::Config(format!("mail.from {from:?} is not an e-mail address ({e}): write it as \"Name <address@example.fr>\" or \"address@example.fr\""))
        })?;
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            ShopError::Config(format!("mail.smtp_url: {e}: write smtp://HOST:PORT (plain, a local relay), smtp://HOST:587?tls=required (STARTTLS) or smtps://USER:PASSWORD@HOST:465"))
        })?;
        let transport = builder.timeout(Some(Duration::from_secs(config.timeout_seconds.max(1)))).build();
        Ok(Some(Mailer { transport, from, server: server_of(url) }))
    }

    /// Hands `message` to the SMTP server; a refusal or silence is an error naming the server.
    pub async fn send(&self, message: Message) -> Result<(), ShopError> {
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            tracing::warn!(server = %self.server, error = %e, "the receipt's e-mail was not sent");
            not_sent(&self.server, &e.to_string())
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }
}

impl std::fmt::Debug for Mailer {
    // The transport holds the server's credentials: only the server's address is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("server", &self.server).field("from", &self.from).finish()
    }
}

/// The mail server at `server` did not take a receipt, for `cause`.
pub fn not_sent(server: &str, cause: &str) -> ShopError {
    ShopError::OutsideServer {
        kind: "mail_not_sent",
        en: format!(
            "The mail server {server} did not take the receipt ({cause}); check mail.smtp_url and that the server is reachable, or print the receipt or show its QR code instead."
        ),
        fr: format!(
            "Le serveur de messagerie {server} n'a pas pris le ticket ({cause}) ; vérifiez mail.smtp_url et que le serveur est joignable, ou imprimez le ticket ou affichez son QR code."
        ),
    }
}

/// `host:port` of an SMTP URL, without its credentials.
fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    rest.split(['/', '?']).next().unwrap_or(rest).to_string()
}

/// The e-mail of a receipt: subject in both languages, the text receipt, then the link to
/// its web page when there is one.
pub fn message(r: &Receipt, text: &str, from: &Mailbox, to: Mailbox) -> Result<Message, ShopError> {
    let mut body = String::new();
    body.push_str("Bonjour, voici votre ticket. / Hello, here is your receipt.\n\n");
    // The text receipt ends with the link to its web page (`r.link`), as paper does.
    body.push_str(text);
    let subject = format!("{} — ticket n° {} / receipt no. {}", r.shop_name, r.number, r.number);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| not_sent(from.email.domain(), &e.to_string()))
}

/// The customer's address, checked as a customer's e-mail is.
pub fn recipient(to: &str) -> Result<Mailbox, ShopError> {
    let to = comptoir_core::customer::validate_email("to", to)?.ok_or_else(|| {
        ShopError::invalid(
            "email_missing",
            "Type the customer's e-mail address to send the receipt to.",
            "Saisissez l'adresse e-mail du client à qui envoyer le ticket.",
            Some("to"),
        )
    })?;
    to.parse().map_err(|_| ShopError::from(comptoir_core::DomainError::InvalidEmail { field: "to".into(), value: to }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_named_without_its_password() {
        assert_eq!(server_of("smtps://caisse:secret@mail.example.fr:465"), "mail.example.fr:465");
        assert_eq!(server_of("smtp://127.0.0.1:2525?tls=required"), "127.0.0.1:2525");
    }

    #[test]
    fn half_a_setting_is_refused_and_none_is_off() {
        let mut c = MailConfig::default();
        assert!(Mailer::from_config(&c).unwrap().is_none());
        c.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert!(Mailer::from_config(&c).unwrap_err().to_string().contains("mail.from"));
        c.from = Some("not an address".into());
        assert!(Mailer::from_config(&c).unwrap_err().to_string().contains("mail.from"));
        c.from = Some("Boutique <caisse@example.fr>".into());
        c.smtp_url = Some("ftp://nowhere".into());
        assert!(Mailer::from_config(&c).unwrap_err().to_string().contains("mail.smtp_url"));
    }

    #[test]
    fn a_bad_recipient_names_the_field() {
        assert!(recipient("").is_err());
        assert!(recipient("alice@").is_err());
        assert_eq!(recipient(" alice@example.fr ").unwrap().email.to_string(), "alice@example.fr");
    }
}
