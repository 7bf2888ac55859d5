//! Card terminals over Caisse-AP (version 3, over TCP), the French protocol between a
//! register and a payment terminal (Ingenico, Verifone).
//!
//! The wire: ASCII fields, each a two-character tag, its length on three digits and its
//! value (`CZ0040300`), `CZ` (protocol version) first. The register asks with the
//! version (`CZ`), its Concert identifier (`CJ`), its register number (`CA`), the amount in
//! cents (`CB`), debit or refund (`CD`), the currency (`CE`, 978 for the euro) and "answer
//! at the end of the transaction" (`BA` 0). The terminal answers, on the same connection,
//! with the request's fields and `AE` (10: done; 01: not done, why in `AF`), and when done
//! the authorisation number (`AC`), the card number masked (`AA`) and the payment kind (`CC`).
//!
//! Rules: a payment is `accepted` only on an answer with `AE` 10; `refused` on an answer
//! saying not done; `timeout` when no full answer came within the terminal's
//! `timeout_seconds` (or the connection failed or was cut) — a lost answer is never taken
//! for a payment: the cashier checks the terminal's own slip and asks again or takes
//! another tender. Every request and its outcome is kept in `terminal_payments`; a ticket
//! names the accepted payments that paid it ([`attach`]), each once.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::Money;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// A card terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Terminal {
    pub code: String,
    pub name: String,
    /// `caisse-ap-ip`.
    pub kind: String,
    /// `tcp://192.168.1.60:8888`.
    pub address: String,
    /// How long the register waits for the customer and the bank.
    pub timeout_seconds: u32,
    pub active: bool,
}

/// `POST /api/v1/terminals`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTerminal {
    pub code: String,
    pub name: Option<String>,
    /// `caisse-ap-ip`.
    pub kind: String,
    /// `tcp://host:port`.
    pub address: String,
    /// 5 to 600 (default 120).
    pub timeout_seconds: Option<u32>,
}

/// `PATCH /api/v1/terminals/{code}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalChange {
    pub name: Option<String>,
    pub address: Option<String>,
    pub timeout_seconds: Option<u32>,
    pub active: Option<bool>,
}

fn host_port(address: &str) -> Result<String, ShopError> {
    match crate::printing::Address::parse(address) {
        Ok(crate::printing::Address::Tcp(hp)) => Ok(hp),
        _ => Err(ShopError::invalid(
            "invalid_terminal_address",
            format!("address {address:?}: write tcp://host:port, the terminal's address and Caisse-AP port."),
            format!("address {address:?} : écrivez tcp://hôte:port, l'adresse du terminal et son port Caisse-AP."),
            Some("address"),
        )),
    }
}

fn check_timeout(t: u32) -> Result<u32, ShopError> {
    if (1..=600).contains(&t) {
        Ok(t)
    } else {
        Err(ShopError::invalid(
            "invalid_timeout",
            "timeout_seconds: from 1 to 600.",
            "timeout_seconds : de 1 à 600.",
            Some("timeout_seconds"),
        ))
    }
}

pub fn get_terminal(conn: &Connection, code: &str) -> Result<Option<Terminal>, ShopError> {
    Ok(conn
        .prepare_cached("SELECT code, name, kind, address, timeout_seconds, active FROM terminals WHERE code = ?")?
        .query_row([code], |r| {
            Ok(Terminal {
                code: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                address: r.get(3)?,
                timeout_seconds: r.get(4)?,
                active: r.get(5)?,
            })
        })
        .optional()?)
}

pub fn list_terminals(conn: &Connection) -> Result<Vec<Terminal>, ShopError> {
    let codes: Vec<String> = conn
        .prepare("SELECT code FROM terminals ORDER BY code")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(codes.iter().filter_map(|c| get_terminal(conn, c).ok().flatten()).collect())
}

pub fn create_terminal(conn: &Connection, input: NewTerminal) -> Result<Terminal, ShopError> {
    let code = comptoir_core::catalog::validate_code("code", &input.code)?;
    let name = comptoir_core::catalog::validate_name("name", input.name.as_deref().unwrap_or(&code))?;
    if input.kind != "caisse-ap-ip" {
        return Err(ShopError::invalid(
            "invalid_terminal_kind",
            "kind: caisse-ap-ip (Caisse-AP over IP, Ingenico and Verifone terminals in France).",
            "kind : caisse-ap-ip (Caisse-AP sur IP, terminaux Ingenico et Verifone en France).",
            Some("kind"),
        ));
    }
    host_port(&input.address)?;
    let timeout = check_timeout(input.timeout_seconds.unwrap_or(120))?;
    if get_terminal(conn, &code)?.is_some() {
        return Err(ShopError::AlreadyExists { what: "terminal", key: code, field: Some("code".into()) });
    }
    conn.execute(
        "INSERT INTO terminals (code, name, kind, address, timeout_seconds) VALUES (?, ?, ?, ?, ?)",
        params![code, name, input.kind, input.address.trim(), timeout],
    )?;
    crate::shop::journal(
        conn,
        crate::journal::codes::CONFIG_CHANGED,
        None,
        &format!("card terminal {code} at {}", input.address.trim()),
    )?;
    get_terminal(conn, &code)?.ok_or_else(|| ShopError::Storage("terminal vanished".into()))
}

pub fn update_terminal(conn: &Connection, code: &str, change: TerminalChange) -> Result<Terminal, ShopError> {
    let mut t = get_terminal(conn, code)?.ok_or_else(|| not_found(code))?;
    if let Some(n) = change.name {
        t.name = comptoir_core::catalog::validate_name("name", &n)?;
    }
    if let Some(a) = change.address {
        host_port(&a)?;
        t.address = a.trim().into();
    }
    if let Some(s) = change.timeout_seconds {
        t.timeout_seconds = check_timeout(s)?;
    }
    if let Some(a) = change.active {
        t.active = a;
    }
    conn.execute(
        "UPDATE terminals SET name = ?, address = ?, timeout_seconds = ?, active = ? WHERE code = ?",
        params![t.name, t.address, t.timeout_seconds, t.active, t.code],
    )?;
    Ok(t)
}

fn not_found(code: &str) -> ShopError {
    ShopError::NotFound { what: "terminal", key: code.into(), field: None }
}

// ---------------------------------------------------------------- the protocol (pure)

/// Encodes fields as Caisse-AP does: tag, length on three digits, value; `CZ` first.
pub fn encode(fields: &[(&str, String)]) -> String {
    let mut out = String::new();
    let mut ordered: Vec<&(&str, String)> = fields.iter().filter(|(t, _)| *t == "CZ").collect();
    ordered.extend(fields.iter().filter(|(t, _)| *t != "CZ"));
    for (tag, value) in ordered {
        out.push_str(&format!("{tag}{:03}{value}", value.len()));
    }
    out
}

/// Decodes a message; `None` while it is incomplete (more bytes to come), `Err` if it
/// cannot be Caisse-AP.
pub fn decode(text: &str) -> Result<Option<Vec<(String, String)>>, String> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut fields = Vec::new();
    while i < b.len() {
        if b.len() < i + 5 {
            return Ok(None);
        }
        let tag = &text[i..i + 2];
        if !tag.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("bad tag {tag:?} at {i}"));
        }
        let len: usize = text[i + 2..i + 5].parse().map_err(|_| format!("bad length after {tag}"))?;
        if b.len() < i + 5 + len {
            return Ok(None);
        }
        fields.push((tag.to_string(), text[i + 5..i + 5 + len].to_string()));
        i += 5 + len;
    }
    Ok(Some(fields))
}

/// The request of a payment of `amount` cents (negative: a refund) from register number
/// `register` (1 to 99).
pub fn request(amount: Money, register: u8) -> String {
    let cents = amount.cents().unsigned_abs();
    encode(&[
        ("CZ", "0300".into()),
        ("CJ", "012345678901".into()),
        ("CA", format!("{:02}", register.clamp(1, 99))),
        ("CE", "978".into()),
        ("BA", "0".into()),
        ("CD", if amount.cents() < 0 { "1" } else { "0" }.into()),
        ("CB", format!("{cents:02}")),
    ])
}

/// What the terminal answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted { authorisation: Option<String>, card_type: Option<String>, card_number: Option<String> },
    Refused { code: String, reason_en: String, reason_fr: String },
}

fn card_type(cc: &str) -> String {
    match cc {
        "001" => "CB".into(),
        "00B" => "CB sans contact".into(),
        "002" => "AMEX".into(),
        "00D" => "AMEX sans contact".into(),
        "00C" => "Chèque".into(),
        other => format!("carte {other}"),
    }
}

/// Reads a complete answer (pure).
pub fn interpret(fields: &[(String, String)]) -> Answer {
    let get = |t: &str| fields.iter().find(|(k, _)| k == t).map(|(_, v)| v.clone());
    if get("AE").as_deref() == Some("10") {
        return Answer::Accepted {
            authorisation: get("AC"),
            card_type: get("CC").map(|c| card_type(&c)),
            card_number: get("AA"),
        };
    }
    let code = get("AF").unwrap_or_default();
    let (en, fr) = match code.as_str() {
        "04" => ("refused by the card or the bank", "refusé par la carte ou la banque"),
        "05" => ("operation forbidden for this card", "opération interdite pour cette carte"),
        "08" => ("the terminal waited too long for the card", "le terminal a trop attendu la carte"),
        "09" => ("the terminal did not understand the request", "le terminal n'a pas compris la demande"),
        "11" => ("abandoned on the terminal", "abandonné sur le terminal"),
        _ => ("not done by the terminal", "non effectué par le terminal"),
    };
    Answer::Refused { code, reason_en: en.into(), reason_fr: fr.into() }
}

// ---------------------------------------------------------------- asking the terminal

/// What became of a payment request: `Ok(answer)` or `Err(why there is no answer)`.
pub async fn ask(address: &str, message: &str, timeout: Duration) -> Result<Answer, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hp = crate::printing::Address::parse(address).ok().and_then(|a| match a {
        crate::printing::Address::Tcp(hp) => Some(hp),
        _ => None,
    });
    let Some(hp) = hp else { return Err(format!("bad address {address}")) };
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(hp.as_str()).await.map_err(|e| format!("connect {hp}: {e}"))?;
        s.write_all(message.as_bytes()).await.map_err(|e| format!("send: {e}"))?;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = s.read(&mut buf).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the terminal closed the connection before a complete answer".to_string());
            }
            got.extend_from_slice(&buf[..n]);
            if got.len() > 16 * 1024 {
                return Err("answer too long".to_string());
            }
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(fields) = decode(&text)?
                && fields.iter().any(|(t, _)| t == "AE")
            {
                return Ok(interpret(&fields));
            }
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

/// `POST /api/v1/terminals/{code}/payments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// Cents; negative for a refund.
    #[schema(value_type = i64)]
    pub amount: Money,
    /// The register asking (its terminal by default); gives the Caisse-AP register number.
    pub register: Option<String>,
}

/// A payment asked of a terminal, with its outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerminalPayment {
    pub id: Uuid,
    pub terminal: String,
    /// `accepted`, `refused` or `timeout`.
    pub status: String,
    #[schema(value_type = i64)]
    pub amount: Money,
    pub authorisation: Option<String>,
    pub card_type: Option<String>,
    pub card_number: Option<String>,
    /// Why it was refused or why no answer came, in English and in French.
    pub reason: Option<String>,
    pub reason_fr: Option<String>,
    pub at: String,
}

/// Checks a request before the terminal is asked: the terminal exists, is active, and the
/// amount is neither zero nor above 12 digits.
pub fn check_request(conn: &Connection, code: &str, req: &PaymentRequest) -> Result<Terminal, ShopError> {
    let t = get_terminal(conn, code)?.ok_or_else(|| not_found(code))?;
    if !t.active {
        return Err(ShopError::Inactive { what: "terminal", key: t.code, field: None });
    }
    if req.amount.cents() == 0 || req.amount.cents().unsigned_abs() > comptoir_core::catalog::MAX_AMOUNT.cents() as u64
    {
        return Err(ShopError::invalid(
            "invalid_amount",
            "amount: cents, not zero (negative for a refund).",
            "amount : en centimes, non nul (négatif pour un remboursement).",
            Some("amount"),
        ));
    }
    Ok(t)
}

/// Records the outcome of a request.
pub fn record(
    conn: &Connection,
    terminal: &str,
    register: Option<&str>,
    amount: Money,
    outcome: &Result<Answer, String>,
) -> Result<TerminalPayment, ShopError> {
    let mut p = TerminalPayment {
        id: Uuid::now_v7(),
        terminal: terminal.into(),
        status: String::new(),
        amount,
        authorisation: None,
        card_type: None,
        card_number: None,
        reason: None,
        reason_fr: None,
        at: now_text(),
    };
    match outcome {
        Ok(Answer::Accepted { authorisation, card_type, card_number }) => {
            p.status = "accepted".into();
            p.authorisation = authorisation.clone();
            p.card_type = card_type.clone();
            p.card_number = card_number.clone();
        }
        Ok(Answer::Refused { code, reason_en, reason_fr }) => {
            p.status = "refused".into();
            p.reason = Some(format!("{reason_en} ({code})"));
            p.reason_fr = Some(format!("{reason_fr} ({code})"));
        }
        Err(why) => {
            p.status = "timeout".into();
            p.reason = Some(format!("no answer from the terminal: {why}; check its slip before asking again"));
            p.reason_fr = Some(format!("pas de réponse du terminal : {why} ; vérifiez son ticket avant de redemander"));
        }
    }
    conn.execute(
        "INSERT INTO terminal_payments (id, terminal, register, amount, status, authorisation, card_type, card_number, reason, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            p.id.to_string(),
            p.terminal,
            register,
            amount.cents(),
            p.status,
            p.authorisation,
            p.card_type,
            p.card_number,
            p.reason,
            p.at
        ],
    )?;
    Ok(p)
}

/// The Caisse-AP register number of a register code: its digits, else 1.
pub fn register_number(register: Option<&str>) -> u8 {
    register
        .map(|r| r.chars().filter(char::is_ascii_digit).collect::<String>())
        .and_then(|d| d.parse::<u32>().ok())
        .map(|n| (n % 100).max(1) as u8)
        .unwrap_or(1)
}

/// Links the accepted terminal payments `ids` to a ticket being committed (in its
/// transaction): each must be accepted, unused, and together they must equal the
/// ticket's card tenders.
pub fn attach(conn: &Connection, ticket_id: &str, card_total: Money, ids: &[Uuid]) -> Result<(), ShopError> {
    let mut sum = 0i64;
    for id in ids {
        let row: Option<(String, i64, Option<String>)> = conn
            .query_row("SELECT status, amount, ticket_id FROM terminal_payments WHERE id = ?", [id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        match row {
            Some((status, amount, None)) if status == "accepted" => sum += amount,
            Some((status, _, None)) => {
                return Err(ShopError::invalid(
                    "card_payment_not_accepted",
                    format!(
                        "The terminal payment {id} was {status}: it pays nothing. Ask the terminal again or take another tender."
                    ),
                    format!(
                        "Le paiement {id} du terminal est « {status} » : il ne paie rien. Redemandez au terminal ou prenez un autre moyen de paiement."
                    ),
                    Some("terminal_payments"),
                ));
            }
            Some((_, _, Some(_))) => {
                return Err(ShopError::invalid(
                    "card_payment_used",
                    format!("The terminal payment {id} already paid another ticket."),
                    format!("Le paiement {id} du terminal a déjà payé un autre ticket."),
                    Some("terminal_payments"),
                ));
            }
            None => {
                return Err(ShopError::NotFound {
                    what: "terminal payment",
                    key: id.to_string(),
                    field: Some("terminal_payments".into()),
                });
            }
        }
        conn.execute("UPDATE terminal_payments SET ticket_id = ? WHERE id = ?", params![ticket_id, id.to_string()])?;
    }
    if sum != card_total.cents() {
        return Err(ShopError::invalid(
            "card_payments_mismatch",
            format!("The card tenders ({}) differ from the terminal's accepted payments ({}).", card_total, Money(sum)),
            format!(
                "Les paiements par carte ({}) diffèrent des paiements acceptés par le terminal ({}).",
                card_total,
                Money(sum)
            ),
            Some("terminal_payments"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_tag_length_value_with_the_version_first() {
        let r = request(Money(1250), 1);
        assert_eq!(r, "CZ0040300CJ012012345678901CA00201CE003978BA0010CD0010CB0041250");
        let fields = decode(&r).unwrap().unwrap();
        assert_eq!(fields[0], ("CZ".into(), "0300".into()));
        assert!(fields.contains(&("CB".into(), "1250".into())));
        assert!(request(Money(-500), 2).contains("CD0011"));
        assert!(request(Money(5), 2).contains("CB00205"));
    }

    #[test]
    fn an_incomplete_answer_waits_for_more_and_garbage_is_refused() {
        assert_eq!(decode("CZ0040300AE0"), Ok(None));
        assert_eq!(decode("CZ00403"), Ok(None));
        assert!(decode("CZ0x40300").is_err());
    }

    #[test]
    fn only_a_done_answer_is_a_payment() {
        let f = |s: &str| decode(s).unwrap().unwrap();
        match interpret(&f("CZ0040300AE00210AC006123456CC003001AA0144970######1234")) {
            Answer::Accepted { authorisation, card_type, .. } => {
                assert_eq!(authorisation.as_deref(), Some("123456"));
                assert_eq!(card_type.as_deref(), Some("CB"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(interpret(&f("CZ0040300AE00201AF00204")), Answer::Refused { code, .. } if code == "04"));
        assert!(matches!(interpret(&f("CZ0040300")), Answer::Refused { .. }));
    }

    #[test]
    fn the_register_number_comes_from_its_code() {
        assert_eq!(register_number(Some("R2")), 2);
        assert_eq!(register_number(Some("CAISSE")), 1);
        assert_eq!(register_number(None), 1);
    }
}
