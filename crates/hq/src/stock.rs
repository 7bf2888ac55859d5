//! Stock and people at HQ: what a pushed stock record does ([`plan`]), the documents HQ
//! keeps and sends down ([`DocPut`]), the validation of admin input (users, keyboards,
//! prices, printers, purchase orders) and the time-clock week report.
//!
//! Rules:
//! - every record a shop pushes here is stored once (by id, like tickets);
//! - a transfer sent by shop A goes down to B's feed only (and A's, so both see its state);
//!   its receipt by B updates the slip (received quantities, `differences`) and goes down
//!   to both again;
//! - a reception updates its order's received quantities; more than ordered is accepted
//!   and flagged (`over`), never refused: the goods are in the shop;
//! - a record that cannot apply (a receipt of an unknown transfer, a reception of an
//!   unknown order) is quarantined with its reason, like an altered ticket.
//!
//! Backends store documents in one table keyed by `(entity, key, audience)`: the audience
//! is HQ's own copy ([`Target::Hq`]), every shop ([`Target::All`]) or one shop
//! ([`Target::Shop`]); a put for a shop audience also appends its feed change.

use crate::error::HqError;
use comptoir_core::catalog::{Role, validate_code, validate_name, validate_pin};
use comptoir_core::{Money, Quantity};
use comptoir_protocol::stock::*;
use comptoir_protocol::{Entity, Record};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// Who sees a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// HQ's canonical copy (listing, reports); never sent.
    Hq,
    /// Every shop (a feed change for all).
    All,
    /// One shop (a feed change for it only, and its snapshot).
    Shop(String),
}

impl Target {
    /// The audience column: `*` for HQ, empty for every shop, else the shop code.
    pub fn audience(&self) -> &str {
        match self {
            Target::Hq => "*",
            Target::All => "",
            Target::Shop(s) => s,
        }
    }
}

/// One document write.
#[derive(Debug, Clone, PartialEq)]
pub struct DocPut {
    pub entity: Entity,
    pub key: String,
    pub body: Value,
    pub targets: Vec<Target>,
}

/// What one pushed stock record does at HQ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub movement: Option<StockMovement>,
    pub punch: Option<Punch>,
    pub puts: Vec<DocPut>,
}

fn json(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The canonical document a record needs to be planned (a receipt its transfer, a
/// reception its order).
pub fn needs(record: &Record) -> Option<(Entity, String)> {
    match record {
        Record::TransferReceipt(r) => Some((Entity::Transfer, r.transfer.to_string())),
        Record::Reception(r) => Some((Entity::PurchaseOrder, r.order.to_string())),
        _ => None,
    }
}

fn transfer_puts(t: &Transfer) -> DocPut {
    DocPut {
        entity: Entity::Transfer,
        key: t.id.to_string(),
        body: json(t),
        targets: vec![Target::Hq, Target::Shop(t.from.clone()), Target::Shop(t.to.clone())],
    }
}

/// Orders go to the shop they are delivered to (and stay at HQ).
pub fn order_put(o: &PurchaseOrder) -> DocPut {
    DocPut {
        entity: Entity::PurchaseOrder,
        key: o.id.to_string(),
        body: json(o),
        targets: vec![Target::Hq, Target::Shop(o.shop.clone())],
    }
}

/// What `record` (pushed by its shop) does; `current` is the document of [`needs`].
/// `Err` is the reason to quarantine it.
pub fn plan(record: &Record, current: Option<Value>) -> Result<Plan, String> {
    let mut plan = Plan::default();
    match record {
        Record::StockMovement(m) => plan.movement = Some(m.clone()),
        Record::Punch(p) => plan.punch = Some(p.clone()),
        Record::Transfer(t) => {
            if t.from == t.to {
                return Err(format!("transfer {}: from and to are the same shop {}", t.id, t.to));
            }
            plan.puts.push(transfer_puts(t));
        }
        Record::TransferReceipt(r) => {
            let mut t: Transfer = current
                .and_then(|v| serde_json::from_value(v).ok())
                .ok_or_else(|| format!("receipt {}: transfer {} unknown at HQ", r.id, r.transfer))?;
            if t.to != r.shop {
                return Err(format!("receipt {}: transfer {} goes to {}, not {}", r.id, t.id, t.to, r.shop));
            }
            apply_receipt(&mut t, r);
            plan.puts.push(transfer_puts(&t));
        }
        Record::PurchaseOrder(o) => {
            // A shop orders for itself; orders for other shops are made at HQ.
            if o.shop != o.origin {
                return Err(format!("purchase order {}: made by {} for {}", o.id, o.origin, o.shop));
            }
            plan.puts.push(order_put(o));
        }
        Record::Reception(r) => {
            let mut o: PurchaseOrder = current
                .and_then(|v| serde_json::from_value(v).ok())
                .ok_or_else(|| format!("reception {}: purchase order {} unknown at HQ", r.id, r.order))?;
            if o.shop != r.shop {
                return Err(format!("reception {}: order {} is delivered to {}, not {}", r.id, o.id, o.shop, r.shop));
            }
            apply_reception(&mut o, r);
            plan.puts.push(order_put(&o));
            plan.puts.push(DocPut {
                entity: Entity::Reception,
                key: r.id.to_string(),
                body: json(r),
                targets: vec![Target::Hq],
            });
        }
        Record::Ticket(_)
        | Record::Closure(_)
        | Record::Customer(_)
        | Record::JournalEntry(_)
        | Record::LoyaltyEntry(_)
        | Record::MessageAck(_) => {
            return Err("not a stock record".into());
        }
    }
    Ok(plan)
}

/// Sets the received quantities of a slip from its receipt (a line not in the receipt
/// received nothing).
pub fn apply_receipt(t: &mut Transfer, r: &TransferReceipt) {
    for line in &mut t.lines {
        let got = r.lines.iter().filter(|l| l.article_id == line.article_id).map(|l| l.qty.milli()).sum();
        line.received = Some(Quantity(got));
    }
    t.differences = t.lines.iter().any(|l| l.received != Some(l.sent))
        || r.lines.iter().any(|l| !t.lines.iter().any(|tl| tl.article_id == l.article_id));
    t.state = TransferState::Received;
    t.received_at = Some(r.at.clone());
}

/// Adds a reception to its order's received quantities and moves its state.
pub fn apply_reception(o: &mut PurchaseOrder, r: &Reception) {
    for rl in &r.lines {
        match o.lines.iter_mut().find(|l| l.article_id == rl.article_id) {
            Some(l) => l.received = Quantity(l.received.milli() + rl.qty.milli()),
            None => o.lines.push(OrderLine {
                article_id: rl.article_id,
                sku: rl.sku.clone(),
                ordered: Quantity(0),
                received: rl.qty,
                cost: None,
            }),
        }
    }
    o.state = if o.lines.iter().all(|l| l.received >= l.ordered) {
        OrderState::Received
    } else if o.lines.iter().any(|l| l.received.milli() > 0) {
        OrderState::PartlyReceived
    } else {
        OrderState::Open
    };
}

// ---------------------------------------------------------------- admin input

/// `POST /api/v1/users` at HQ.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChainUser {
    pub code: String,
    pub name: String,
    /// `cashier`, `manager` or `admin`.
    pub role: String,
    /// 4 to 8 digits; HQ keeps and sends only its Argon2id hash.
    pub pin: String,
    /// Codes of the shops the user works at.
    pub shops: Vec<String>,
    /// `SHOP/REGISTER` codes; empty: every register of those shops.
    #[serde(default)]
    pub registers: Vec<String>,
}

/// The user as HQ shows it (without the hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainUser {
    pub code: String,
    pub name: String,
    pub role: String,
    pub shops: Vec<String>,
    pub registers: Vec<String>,
}

impl From<UserBody> for ChainUser {
    fn from(u: UserBody) -> ChainUser {
        ChainUser { code: u.code, name: u.name, role: u.role, shops: u.shops, registers: u.registers }
    }
}

fn shop_list(field: &str, shops: &[String]) -> Result<Vec<(String, String)>, HqError> {
    if shops.len() > 1000 {
        return Err(HqError::invalid("too_many_shops", "At most 1000 shops.", "Au plus 1000 boutiques.", Some(field)));
    }
    shops
        .iter()
        .enumerate()
        .map(|(i, s)| Ok((validate_code(&format!("{field}[{i}]"), s)?, format!("{field}[{i}]"))))
        .collect()
}

fn register_list(field: &str, shops: &[String], registers: &[String]) -> Result<(), HqError> {
    for (i, r) in registers.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let ok = r.split_once('/').is_some_and(|(s, reg)| {
            shops.iter().any(|x| x == s) && validate_code(&f, s).is_ok() && validate_code(&f, reg).is_ok()
        });
        if !ok {
            return Err(HqError::invalid(
                "unknown_register",
                format!("{f}: a register is SHOP/REGISTER, of one of the listed shops."),
                format!("{f} : une caisse s'écrit BOUTIQUE/CAISSE, d'une des boutiques listées."),
                Some(&f),
            ));
        }
    }
    Ok(())
}

/// Validates a new chain user; returns the shops to check and the puts (HQ's copy and one
/// change per shop).
/// What a user write does: the shops to check (`(code, field)`), the user, the puts.
pub type UserWrite = (Vec<(String, String)>, UserBody, Vec<DocPut>);

pub fn new_user(input: NewChainUser) -> Result<UserWrite, HqError> {
    let code = validate_code("code", &input.code)?;
    let name = validate_name("name", &input.name)?;
    let role = Role::parse(&input.role).ok_or_else(|| {
        HqError::invalid(
            "unknown_role",
            "role is cashier, manager or admin.",
            "role : choisissez cashier, manager ou admin.",
            Some("role"),
        )
    })?;
    validate_pin("pin", &input.pin)?;
    let shops = shop_list("shops", &input.shops)?;
    register_list("registers", &input.shops, &input.registers)?;
    let body = UserBody {
        code: code.clone(),
        name,
        role: role.as_str().into(),
        pin_hash: comptoir_core::secret::hash_secret(&input.pin),
        shops: input.shops.clone(),
        registers: input.registers,
        active: true,
    };
    let mut targets = vec![Target::Hq];
    targets.extend(input.shops.iter().map(|s| Target::Shop(s.clone())));
    let put = DocPut { entity: Entity::User, key: code, body: json(&body), targets };
    Ok((shops, body, vec![put]))
}

/// `PATCH /api/v1/users/{code}` at HQ: `None` keeps the value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainUserChange {
    pub name: Option<String>,
    pub role: Option<String>,
    pub pin: Option<String>,
    pub shops: Option<Vec<String>>,
    pub registers: Option<Vec<String>>,
}

/// Applies a change to a user: the new copy goes to its shops, and a shop it no longer
/// works at gets it inactive (so the shop stops accepting its PIN).
pub fn change_user(current: UserBody, change: ChainUserChange) -> Result<UserWrite, HqError> {
    let input = NewChainUser {
        code: current.code.clone(),
        name: change.name.unwrap_or(current.name.clone()),
        role: change.role.unwrap_or(current.role.clone()),
        pin: change.pin.clone().unwrap_or_else(|| "0000".into()),
        shops: change.shops.unwrap_or(current.shops.clone()),
        registers: change.registers.unwrap_or(current.registers.clone()),
    };
    let (shops, mut body, mut puts) = new_user(input)?;
    if change.pin.is_none() {
        body.pin_hash = current.pin_hash.clone();
        puts[0].body = json(&body);
    }
    let gone: Vec<&String> = current.shops.iter().filter(|s| !body.shops.contains(s)).collect();
    if !gone.is_empty() {
        let off = UserBody { active: false, ..body.clone() };
        puts.push(DocPut {
            entity: Entity::User,
            key: body.code.clone(),
            body: json(&off),
            targets: gone.into_iter().map(|s| Target::Shop(s.clone())).collect(),
        });
    }
    Ok((shops, body, puts))
}

/// `POST /api/v1/keyboards` at HQ: a layout and where it is used.
pub fn new_keyboard(k: Keyboard) -> Result<(Vec<(String, String)>, DocPut), HqError> {
    let code = validate_code("code", &k.code)?;
    validate_name("name", &k.name)?;
    if k.pages.is_empty() || k.pages.len() > 50 {
        return Err(HqError::invalid(
            "keyboard_pages",
            "A keyboard has 1 to 50 pages.",
            "Un clavier a de 1 à 50 pages.",
            Some("pages"),
        ));
    }
    for (p, page) in k.pages.iter().enumerate() {
        validate_name(&format!("pages[{p}].name"), &page.name)?;
        if page.buttons.len() > 200 {
            return Err(HqError::invalid(
                "keyboard_buttons",
                "A page has at most 200 buttons.",
                "Une page a au plus 200 touches.",
                Some(&format!("pages[{p}].buttons")),
            ));
        }
        for (b, button) in page.buttons.iter().enumerate() {
            let f = format!("pages[{p}].buttons[{b}]");
            validate_name(&format!("{f}.label"), &button.label)?;
            if !matches!(button.kind.as_str(), "article" | "category" | "function") {
                return Err(HqError::invalid(
                    "button_kind",
                    format!("{f}.kind is article, category or function."),
                    format!("{f}.kind : choisissez article, category ou function."),
                    Some(&format!("{f}.kind")),
                ));
            }
            validate_code(&format!("{f}.value"), &button.value)?;
        }
    }
    let mut shops = shop_list("shops", &k.shops)?;
    let mut audience: Vec<String> = k.shops.clone();
    for (i, r) in k.registers.iter().enumerate() {
        let f = format!("registers[{i}]");
        let (s, reg) = r.split_once('/').ok_or_else(|| {
            HqError::invalid(
                "register_format",
                format!("{f}: a register is SHOP/REGISTER."),
                format!("{f} : une caisse s'écrit BOUTIQUE/CAISSE."),
                Some(&f),
            )
        })?;
        validate_code(&f, s)?;
        validate_code(&f, reg)?;
        shops.push((s.to_string(), f));
        if !audience.iter().any(|a| a == s) {
            audience.push(s.to_string());
        }
    }
    let mut targets = vec![Target::Hq];
    targets.extend(audience.into_iter().map(Target::Shop));
    Ok((shops, DocPut { entity: Entity::Keyboard, key: code, body: json(&k), targets }))
}

/// `PUT /api/v1/shops/{code}/prices/{sku}` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopPriceInput {
    /// Cents, tax included; `null` goes back to the chain's price.
    #[schema(value_type = Option<i64>)]
    pub price: Option<Money>,
}

pub fn shop_price_put(p: &ShopPrice) -> DocPut {
    DocPut {
        entity: Entity::ShopPrice,
        key: p.article_id.to_string(),
        body: json(p),
        targets: vec![Target::Shop(p.shop.clone())],
    }
}

/// `PUT /api/v1/shops/{code}/printers/{printer}` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterInput {
    pub name: String,
    /// `receipt`, `label` or `kitchen`.
    pub kind: String,
    pub address: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

pub fn printer(shop: &str, code: &str, input: PrinterInput) -> Result<DocPut, HqError> {
    let code = validate_code("code", code)?;
    let name = validate_name("name", &input.name)?;
    if !matches!(input.kind.as_str(), "receipt" | "label" | "kitchen") {
        return Err(HqError::invalid(
            "printer_kind",
            "kind is receipt, label or kitchen.",
            "kind : choisissez receipt, label ou kitchen.",
            Some("kind"),
        ));
    }
    let address = validate_name("address", &input.address)?;
    let p = Printer { shop: shop.into(), code: code.clone(), name, kind: input.kind, address, active: input.active };
    Ok(DocPut {
        entity: Entity::Printer,
        key: code,
        body: json(&p),
        targets: vec![Target::Shop(shop.into()), Target::Hq],
    })
}

/// A shop's legal identity on its receipts, set at HQ and sent to that shop only.
pub fn shop_identity(shop: &str, input: comptoir_core::identity::LegalIdentity) -> Result<DocPut, HqError> {
    let identity = comptoir_core::identity::validated(input)?;
    Ok(DocPut {
        entity: Entity::ShopIdentity,
        key: shop.into(),
        body: json(&ShopIdentityBody { shop: shop.into(), identity }),
        targets: vec![Target::Shop(shop.into()), Target::Hq],
    })
}

/// `POST /api/v1/purchase-orders` at HQ.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// The shop it is delivered to.
    pub shop: String,
    pub supplier: String,
    pub lines: Vec<NewOrderLine>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderLine {
    pub sku: String,
    #[schema(value_type = f64)]
    pub qty: Quantity,
    #[schema(value_type = Option<i64>)]
    pub cost: Option<Money>,
}

/// A positive quantity of at most [`Quantity::MAX_MILLI`].
pub fn positive(field: &str, q: Quantity) -> Result<(), HqError> {
    if q.milli() <= 0 {
        return Err(HqError::invalid(
            "not_positive",
            format!("{field} must be more than 0."),
            format!("{field} doit être supérieur à 0."),
            Some(field),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- stock view

/// One shop's stock of an article at HQ.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShopStock {
    pub shop: String,
    #[schema(value_type = f64)]
    pub quantity: Quantity,
    /// Below zero: allowed (a sale is never refused for stock) and shown.
    pub negative: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainStock {
    pub sku: String,
    pub shops: Vec<ShopStock>,
    #[schema(value_type = f64)]
    pub total: Quantity,
    pub negative: bool,
}

pub fn chain_stock(sku: &str, levels: Vec<(String, i64)>) -> ChainStock {
    let total: i64 = levels.iter().map(|(_, q)| q).sum();
    let shops: Vec<ShopStock> =
        levels.into_iter().map(|(shop, q)| ShopStock { shop, quantity: Quantity(q), negative: q < 0 }).collect();
    let negative = shops.iter().any(|s| s.negative);
    ChainStock { sku: sku.into(), shops, total: Quantity(total), negative }
}

// ---------------------------------------------------------------- time clock

/// `(monday, sunday)` of an ISO week `YYYY-Www`.
pub fn week_bounds(week: &str) -> Result<(jiff::civil::Date, jiff::civil::Date), HqError> {
    let bad = || {
        HqError::invalid(
            "bad_week",
            format!("week {:?} is not an ISO week like 2026-W49.", comptoir_http::short(week)),
            format!("week : {:?} n'est pas une semaine ISO comme 2026-W49.", comptoir_http::short(week)),
            Some("week"),
        )
    };
    let (y, w) = week.split_once("-W").ok_or_else(bad)?;
    let (y, w): (i16, i8) = (y.parse().map_err(|_| bad())?, w.parse().map_err(|_| bad())?);
    let monday = jiff::civil::ISOWeekDate::new(y, w, jiff::civil::Weekday::Monday).map_err(|_| bad())?.date();
    let sunday = monday.checked_add(jiff::Span::new().days(6)).map_err(|_| bad())?;
    Ok((monday, sunday))
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserHours {
    pub user: String,
    /// Worked, in minutes, over the closed in→out pairs.
    pub minutes: i64,
    /// Hours with two decimals, for reading.
    pub hours: f64,
    /// A clock-in without its clock-out (still working, or forgotten).
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WeekReport {
    pub week: String,
    pub from: String,
    pub to: String,
    pub users: Vec<UserHours>,
}

/// Hours per user: each clock-in is paired with the user's next clock-out; a second
/// clock-in before a clock-out restarts the pair (the first one is left open).
pub fn week_report(week: &str, from: &str, to: &str, mut punches: Vec<Punch>) -> WeekReport {
    punches.sort_by(|a, b| (&a.user, &a.at).cmp(&(&b.user, &b.at)));
    let mut users: Vec<UserHours> = Vec::new();
    let mut open: Option<(String, jiff::Timestamp)> = None;
    for p in punches {
        if users.last().is_none_or(|u| u.user != p.user) {
            if let (Some(u), Some(_)) = (users.last_mut(), open.take()) {
                u.open = true;
            }
            users.push(UserHours { user: p.user.clone(), minutes: 0, hours: 0.0, open: false });
        }
        let Ok(at) = p.at.parse::<jiff::Timestamp>() else { continue };
        let user = users.last_mut().expect("pushed above");
        match p.kind {
            PunchKind::In => {
                if open.is_some() {
                    user.open = true;
                }
                open = Some((p.user.clone(), at));
            }
            PunchKind::Out => {
                if let Some((_, start)) = open.take() {
                    user.minutes += (at.as_second() - start.as_second()).max(0) / 60;
                }
            }
        }
    }
    if let (Some(u), Some(_)) = (users.last_mut(), open) {
        u.open = true;
    }
    for u in &mut users {
        u.hours = (u.minutes as f64 / 60.0 * 100.0).round() / 100.0;
    }
    WeekReport { week: week.into(), from: from.into(), to: to.into(), users }
}

/// A new id for what HQ creates.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn punch(user: &str, kind: PunchKind, at: &str) -> Punch {
        Punch {
            id: Uuid::now_v7(),
            shop: "S".into(),
            register: "R1".into(),
            user: user.into(),
            kind,
            at: at.into(),
            date: at[..10].into(),
        }
    }

    #[test]
    fn weeks_and_hours() {
        let (mon, sun) = week_bounds("2026-W49").unwrap();
        assert_eq!((mon.to_string(), sun.to_string()), ("2026-11-30".into(), "2026-12-06".into()));
        assert_eq!(week_bounds("2026-49").unwrap_err().field().as_deref(), Some("week"));
        assert!(week_bounds("2026-W54").is_err());
        let r = week_report(
            "2026-W49",
            "a",
            "b",
            vec![
                punch("B", PunchKind::In, "2026-12-01T08:00:00Z"),
                punch("A", PunchKind::In, "2026-12-01T09:00:00Z"),
                punch("A", PunchKind::Out, "2026-12-01T12:30:00Z"),
                punch("A", PunchKind::In, "2026-12-02T09:00:00Z"),
                punch("A", PunchKind::Out, "2026-12-02T10:00:00Z"),
            ],
        );
        assert_eq!(r.users[0], UserHours { user: "A".into(), minutes: 270, hours: 4.5, open: false });
        assert_eq!(r.users[1], UserHours { user: "B".into(), minutes: 0, hours: 0.0, open: true });
    }

    #[test]
    fn receptions_above_ordered_are_flagged_and_receipts_show_differences() {
        let a = Uuid::now_v7();
        let mut o = PurchaseOrder {
            id: Uuid::now_v7(),
            shop: "S".into(),
            supplier: "X".into(),
            origin: "HQ".into(),
            state: OrderState::Open,
            lines: vec![OrderLine {
                article_id: a,
                sku: "A1".into(),
                ordered: Quantity(5000),
                received: Quantity(0),
                cost: None,
            }],
            created_at: "t".into(),
        };
        let line = |q| ReceptionLine {
            article_id: a,
            sku: "A1".into(),
            qty: Quantity(q),
            ordered: Quantity(5000),
            received_before: Quantity(0),
            difference: Quantity(0),
            over: false,
        };
        let order_id = o.id;
        let r = |q| Reception {
            id: Uuid::now_v7(),
            order: order_id,
            shop: "S".into(),
            lines: vec![line(q)],
            over: false,
            at: "t".into(),
        };
        let first = r(2000);
        apply_reception(&mut o, &first);
        assert_eq!(o.state, OrderState::PartlyReceived);
        let second = r(4000);
        apply_reception(&mut o, &second);
        assert_eq!((o.state, o.lines[0].received), (OrderState::Received, Quantity(6000)));

        let mut t = Transfer {
            id: Uuid::now_v7(),
            from: "A".into(),
            to: "B".into(),
            state: TransferState::InTransit,
            lines: vec![TransferLine { article_id: a, sku: "A1".into(), sent: Quantity(3000), received: None }],
            sent_at: "t".into(),
            received_at: None,
            differences: false,
        };
        let receipt = TransferReceipt {
            id: Uuid::now_v7(),
            transfer: t.id,
            shop: "B".into(),
            lines: vec![ReceivedLine { article_id: a, sku: "A1".into(), qty: Quantity(2000) }],
            at: "t2".into(),
        };
        apply_receipt(&mut t, &receipt);
        assert!(t.differences && t.state == TransferState::Received && t.lines[0].received == Some(Quantity(2000)));
        let plan_of = plan(&Record::TransferReceipt(receipt), None);
        assert!(plan_of.unwrap_err().contains("unknown"));
        // A shop receives only its own orders.
        let elsewhere = Reception { shop: "T".into(), ..first };
        let refused = plan(&Record::Reception(elsewhere), Some(serde_json::to_value(&o).unwrap()));
        assert!(refused.unwrap_err().contains("delivered to S"));
    }
}
