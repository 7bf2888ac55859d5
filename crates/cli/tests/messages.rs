//! Every message a person can be shown, in English and in French, in one table:
//! `docs/messages.md`. The table is generated here and must match the file, so a new
//! error cannot ship without its French being listed (and read) next to its English.
//!
//! Two sources: one sample of every variant of the errors whose wording lives in the error
//! types (an exhaustive `match` below makes a new variant a compile error here until it
//! has a sample), and the refusals worded where they are raised (`invalid(kind, en, fr)`,
//! `conflict(en, fr)`, `refused(refusal, en, fr)`), read from the source.
//!
//! Regenerate after changing a message: `COMPTOIR_WRITE_MESSAGES=1 cargo test -p comptoir --test messages`.

use comptoir_core::money::{Money, Quantity};
use comptoir_core::{DomainError, Lang};
use comptoir_hq::HqError;
use comptoir_http::CommonError;
use comptoir_shop::error::ShopError;
use std::path::{Path, PathBuf};

struct Row {
    source: String,
    kind: String,
    en: String,
    fr: String,
}

fn domain_samples() -> Vec<DomainError> {
    use DomainError::*;
    let f = || "lines[0].price".to_string();
    let all = vec![
        EmptyTicket,
        ZeroQuantity { line: 0 },
        NegativeQuantityInSale { line: 0 },
        PositiveQuantityInReturn { line: 0 },
        NegativePrice { field: f(), price: Money(-120) },
        DiscountOutOfRange { field: f(), max: Money(240) },
        ZeroPayment { index: 0 },
        PaymentSign { index: 0, refund: false },
        PaymentSign { index: 0, refund: true },
        PaymentsShort { total: Money(240), paid: Money(200) },
        ChangeNotInCash { change: Money(60), cash: Money(0) },
        RefundMismatch { total: Money(-240), paid: Money(-200) },
        InvalidBarcode { field: f(), code: "3017620422004".into(), expected_check_digit: Some(3) },
        InvalidBarcode { field: f(), code: "?".into(), expected_check_digit: None },
        InvalidCode { field: "sku".into(), value: "A 1".into() },
        InvalidName { field: "name".into() },
        SkuAndBarcodeDiffer {
            field: "lines[0]".into(),
            sku: "A1".into(),
            barcode: "3017620422003".into(),
            barcode_sku: "B1".into(),
        },
        TextTooLong { field: "note".into(), max: 500 },
        LoyaltyRuleOutOfRange { field: "points_per_euro".into(), min: 0, max: 100 },
        LoyaltyRuleOutOfRange { field: "cents_per_point".into(), min: 1, max: 100 },
        HiddenCharacter { field: "name".into(), code_point: 0x202E },
        InvalidPin { field: "pin".into() },
        WeakPassword { field: "password".into() },
        InvalidTaxRate { field: "tax_rate_bp".into(), bp: 20000 },
        ReturnExceedsSold {
            field: "lines[0].qty".into(),
            sku: "A1".into(),
            sold: Quantity(2000),
            returned: Quantity(1000),
            asked: Quantity(2000),
        },
        AmountOutOfRange { field: "price".into() },
        InvalidEmail { field: "email".into(), value: "marie@".into() },
        InvalidSiret { field: "siret".into() },
        InvalidVatNumber { field: "vat_number".into() },
        IdentityText { field: "legal_name".into(), max: 120 },
        InvalidPhone { field: "phone".into(), value: "12".into() },
        LoyaltyBalanceExceeded { field: "payments[0]".into(), balance: 40, asked: 100 },
    ];
    for e in &all {
        // A new variant fails to compile here: give it a sample above.
        match e {
            EmptyTicket | ZeroQuantity { .. } | NegativeQuantityInSale { .. } | PositiveQuantityInReturn { .. } => {}
            NegativePrice { .. } | DiscountOutOfRange { .. } | ZeroPayment { .. } | PaymentSign { .. } => {}
            PaymentsShort { .. } | ChangeNotInCash { .. } | RefundMismatch { .. } | InvalidBarcode { .. } => {}
            InvalidCode { .. } | InvalidName { .. } | SkuAndBarcodeDiffer { .. } | TextTooLong { .. } => {}
            LoyaltyRuleOutOfRange { .. } | HiddenCharacter { .. } | InvalidPin { .. } | WeakPassword { .. } => {}
            InvalidTaxRate { .. } | ReturnExceedsSold { .. } | AmountOutOfRange { .. } | InvalidEmail { .. } => {}
            InvalidSiret { .. } | InvalidVatNumber { .. } | IdentityText { .. } => {}
            InvalidPhone { .. } | LoyaltyBalanceExceeded { .. } => {}
        }
    }
    all
}

fn common_samples() -> Vec<CommonError> {
    use CommonError::*;
    let f = Some("sku".to_string());
    let all = vec![
        NotFound { what: "article", what_fr: "l'article", key: "A1".into(), field: f.clone() },
        NotFound { what: "category", what_fr: "la catégorie", key: "BOUL".into(), field: None },
        AlreadyExists { what: "article", what_fr: "l'article", key: "A1".into(), field: f.clone() },
        AlreadyExists { what: "register", what_fr: "la caisse", key: "R1".into(), field: None },
        Inactive { what: "tax rate", what_fr: "le taux de TVA", key: "1000".into(), field: None },
        Inactive { what: "category", what_fr: "la catégorie", key: "BOUL".into(), field: None },
        NoRoute { path: "/api/v1/nope".into() },
        MethodNotAllowed { immutable: None },
        MethodNotAllowed { immutable: Some(("tickets", "les tickets")) },
        Overloaded { server: comptoir_shop::error::SERVER },
        PayloadTooLarge { limit: 1_048_576 },
        Timeout,
    ];
    for e in &all {
        match e {
            NotFound { .. } | AlreadyExists { .. } | Inactive { .. } | NoRoute { .. } => {}
            MethodNotAllowed { .. } | Overloaded { .. } | PayloadTooLarge { .. } | Timeout => {}
            // Worded where they are raised: read from the source.
            Conflict { .. } | BadRequest { .. } => {}
        }
    }
    all
}

fn shop_samples() -> Vec<ShopError> {
    use ShopError::*;
    let all = vec![
        ClosedPeriod { register: "R1".into(), period: "2026-12-01".into() },
        AlreadyClosed { register: "R1".into(), kind: "day", period: "2026-12-01".into() },
        AlreadyClosed { register: "R1".into(), kind: "month", period: "2026-12".into() },
        DayNotClosed { register: "R1".into(), date: "2026-12-01".into() },
        NotASale { key: "R1-000042".into() },
        IdReused { id: "0193a1b2-0000-7000-8000-000000000001".into(), number: "R1-000042".into() },
        Unauthorized,
        TooManyAttempts { retry_after: 60, address: false },
        TooManyAttempts { retry_after: 60, address: true },
        HqCertificate { url: "https://hq.example.fr".into(), detail: "unknown issuer".into() },
        CatalogOwnedByHq,
        UsersOwnedByHq,
        IdentityOwnedByHq,
        NotEnrolled,
        AlreadyEnrolled { hq_url: "https://hq.example.fr".into() },
        ShopCodeMismatch { local: "LYON1".into(), enrolled: "LYON2".into() },
        HqUnreachable { url: "https://hq.example.fr".into(), cause: "connection refused".into() },
        HqRefused { status: 401, kind: "invalid_credential".into(), message: "…".into() },
        comptoir_shop::receipt::mail::not_sent("mail.example.fr:587", "connection refused"),
        Forbidden { needed: "manager" },
        Forbidden { needed: "admin" },
        CsvRejected { rows: Vec::new() },
        NotInitialised { data_dir: "/var/lib/comptoir".into() },
        AlreadyInitialised { data_dir: "/var/lib/comptoir".into() },
        SchemaTooNew { found: 12, supported: 10 },
        Config("sync.interval: expected a number".into()),
        Storage("disk I/O error".into()),
        DiskFull("database or disk is full".into()),
    ];
    for e in &all {
        match e {
            ClosedPeriod { .. } | AlreadyClosed { .. } | DayNotClosed { .. } | NotASale { .. } | IdReused { .. } => {}
            Unauthorized | TooManyAttempts { .. } | HqCertificate { .. } | CatalogOwnedByHq | UsersOwnedByHq => {}
            IdentityOwnedByHq => {}
            NotEnrolled | AlreadyEnrolled { .. } | ShopCodeMismatch { .. } | HqUnreachable { .. } => {}
            HqRefused { .. } | Forbidden { .. } | CsvRejected { .. } | NotInitialised { .. } => {}
            OutsideServer { .. } => {}
            AlreadyInitialised { .. } | SchemaTooNew { .. } | Config(_) | Storage(_) | DiskFull(_) => {}
            // The common cases are listed once, as CommonError; the free texts from the source.
            Domain(_) | NotFound { .. } | AlreadyExists { .. } | Inactive { .. } | NoRoute { .. } => {}
            MethodNotAllowed | Overloaded | PayloadTooLarge { .. } | Conflict { .. } | Invalid { .. } => {}
            Refused { .. } | Setting { .. } => {}
        }
    }
    all
}

fn hq_samples() -> Vec<HqError> {
    use HqError::*;
    let all = vec![
        Unauthorized,
        InvalidCredential,
        TooManyAttempts { retry_after: 60, address: false },
        TooManyAttempts { retry_after: 60, address: true },
        InvalidEnrolmentToken,
        UnsupportedProtocol { got: Some("9".into()) },
        UnsupportedProtocol { got: None },
        BatchTooLarge { records: 5000, max: 1000 },
        CsvRejected { rows: Vec::new() },
        NotInitialised { place: "/var/lib/comptoir-hq".into() },
        AlreadyInitialised { place: "/var/lib/comptoir-hq".into() },
        SchemaTooNew { found: 12, supported: 10 },
        Config("listen: not an address".into()),
        Storage("disk I/O error".into()),
    ];
    for e in &all {
        match e {
            Unauthorized | InvalidCredential | TooManyAttempts { .. } | InvalidEnrolmentToken => {}
            UnsupportedProtocol { .. } | BatchTooLarge { .. } | CsvRejected { .. } | NotInitialised { .. } => {}
            AlreadyInitialised { .. } | SchemaTooNew { .. } | Config(_) | Storage(_) => {}
            // Listed as CommonError or DomainError, or worded where raised (read from the source).
            Domain(_) | NotFound { .. } | AlreadyExists { .. } | Inactive { .. } | Conflict { .. } => {}
            Invalid { .. } | NoRoute { .. } | MethodNotAllowed | Overloaded | Tls { .. } | PayloadTooLarge { .. } => {}
            Rows(_) | Timeout | DatabaseUrl { .. } => {}
        }
    }
    all
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The arguments of the call that opens at `open` (the index of its `(`): each one's text
/// when it is a string literal or a `format!` of one, else `None`.
fn arguments_of_call(text: &str, open: usize) -> Vec<Option<String>> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, open);
    let mut args: Vec<Option<String>> = Vec::new();
    let mut arg_start = open + 1;
    // The first literal met in the current argument, and whether anything came before it.
    let mut first: Option<String> = None;
    let mut literal_leads = true;
    let finish = |args: &mut Vec<Option<String>>, first: &mut Option<String>, leads: &mut bool, seg: &str| {
        let seg = seg.trim();
        if !seg.is_empty() {
            args.push(if *leads { first.take() } else { None });
        }
        *first = None;
        *leads = true;
    };
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    finish(&mut args, &mut first, &mut literal_leads, &text[arg_start..i]);
                    break;
                }
            }
            b',' if depth == 1 => {
                finish(&mut args, &mut first, &mut literal_leads, &text[arg_start..i]);
                arg_start = i + 1;
            }
            b'"' => {
                let mut s = String::new();
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        // `\` at a line's end continues the literal on the next line.
                        if bytes[i + 1] == b'\n' {
                            i += 2;
                            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                                i += 1;
                            }
                            continue;
                        }
                        s.push(bytes[i + 1] as char);
                        i += 2;
                        continue;
                    }
                    let ch = text[i..].chars().next().unwrap();
                    s.push(ch);
                    i += ch.len_utf8();
                }
                if first.is_none() {
                    let before = text[arg_start..].trim_start();
                    literal_leads = before.starts_with('"') || before.starts_with("format!(");
                    first = Some(s);
                }
            }
            b'\'' if i + 2 < bytes.len() && bytes[i + 2] == b'\'' => i += 2,
            _ => {}
        }
        i += 1;
    }
    args
}

/// The refusals worded where they are raised: `invalid("kind", en, fr, …)`,
/// `conflict(en, fr, …)`, `refused(Refusal::X, en, fr, …)`, with literal texts.
fn raised_in_source() -> Vec<Row> {
    let root = workspace();
    let mut files = Vec::new();
    for krate in ["core", "http", "shop", "hq", "hq-sqlite", "hq-postgres", "cli"] {
        rust_files(&root.join("crates").join(krate).join("src"), &mut files);
    }
    let mut rows = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let source = file.strip_prefix(&root).unwrap().display().to_string();
        for (call, shape) in [("::invalid(", "kind"), ("::conflict(", "conflict"), ("::refused(", "refusal")] {
            for (at, _) in text.match_indices(call) {
                let open = at + call.len() - 1;
                let args = arguments_of_call(&text, open);
                let arg = |n: usize| args.get(n).cloned().flatten();
                let (kind, en, fr) = match shape {
                    "kind" => (arg(0), arg(1), arg(2)),
                    "conflict" => (Some("conflict".to_string()), arg(0), arg(1)),
                    _ => {
                        let rest = &text[open..];
                        let name = rest
                            .split("Refusal::")
                            .nth(1)
                            .map(|r| r.chars().take_while(|c| c.is_alphanumeric()).collect::<String>());
                        (name.map(|n| format!("refusal {n}")), arg(1), arg(2))
                    }
                };
                // A text passed in from elsewhere (a helper's parameter) is listed where it is written.
                let (Some(kind), Some(en), Some(fr)) = (kind, en, fr) else { continue };
                rows.push(Row { source: source.clone(), kind, en, fr });
            }
        }
    }
    rows
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for e in domain_samples() {
        rows.push(Row {
            source: "DomainError".into(),
            kind: e.kind().into(),
            en: e.message(Lang::En),
            fr: e.message(Lang::Fr),
        });
    }
    for e in common_samples() {
        rows.push(Row {
            source: "CommonError".into(),
            kind: e.kind().into(),
            en: e.message(Lang::En),
            fr: e.message(Lang::Fr),
        });
    }
    for e in shop_samples() {
        rows.push(Row {
            source: "ShopError".into(),
            kind: e.kind().into(),
            en: e.message(Lang::En),
            fr: e.message(Lang::Fr),
        });
    }
    for e in hq_samples() {
        rows.push(Row {
            source: "HqError".into(),
            kind: e.kind().into(),
            en: e.message(Lang::En),
            fr: e.message(Lang::Fr),
        });
    }
    rows.extend(raised_in_source());
    rows
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "# Every message, in English and in French\n\n\
         Generated by `crates/cli/tests/messages.rs`, which fails when this file is not the\n\
         table of the messages the code holds: a new message cannot ship without its French.\n\
         Regenerate with `COMPTOIR_WRITE_MESSAGES=1 cargo test -p comptoir --test messages`.\n\
         `{…}` is filled in when the message is shown. Samples of the errors worded in their\n\
         type come first, then the refusals worded where they are raised (file named).\n\n\
         | where | kind | English | Français |\n|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!("| {} | `{}` | {} | {} |\n", cell(&r.source), cell(&r.kind), cell(&r.en), cell(&r.fr)));
    }
    out
}

/// What a French shop owner would stumble on: English left in, placeholders in English,
/// "(e)" instead of agreeing, a missing space before `;`.
fn french_faults(fr: &str, en: &str) -> Vec<&'static str> {
    let mut faults = Vec::new();
    if fr.trim().is_empty() {
        faults.push("empty");
    }
    if fr == en && fr.chars().any(|c| c.is_alphabetic()) {
        faults.push("the same as the English");
    }
    let words = format!(" {} ", fr.to_lowercase());
    for english in [" the ", " is ", " must ", " please ", " ask a ", " day ", " not found", " and "] {
        if words.contains(english) {
            faults.push("English words in the French");
        }
    }
    if fr.contains("YYYY") || fr.contains("MM-DD") {
        faults.push("an English date shape (write AAAA-MM-JJ)");
    }
    if fr.contains("(e)") || fr.contains("(s)é") {
        faults.push("'(e)' instead of agreeing with the noun");
    }
    let chars: Vec<char> = fr.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == ';' && i > 0 && !chars[i - 1].is_whitespace() && !fr.contains("charset") {
            faults.push("no space before ';'");
        }
    }
    faults
}

#[test]
fn every_message_has_its_french_and_the_table_lists_them_all() {
    let rows = rows();
    assert!(rows.len() > 150, "the source scan found only {} messages", rows.len());
    let mut faults = Vec::new();
    for r in &rows {
        if r.en.trim().is_empty() {
            faults.push(format!("{} {}: no English", r.source, r.kind));
        }
        for f in french_faults(&r.fr, &r.en) {
            faults.push(format!("{} {}: {f}: {:?}", r.source, r.kind, r.fr));
        }
        let first = r.fr.chars().next().unwrap_or(' ');
        // "price : ..." and "prefix {:?} : ..." begin with the field's own name.
        let word = r.fr.split(' ').next().unwrap_or("");
        let rest = &r.fr[word.len()..];
        let names_a_field =
            word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.[]{}=:?".contains(c))
                && (rest.starts_with(" : ") || rest.starts_with(" {") && rest.contains("} : "));
        let starts_well = first.is_uppercase() || first == '{' || first == '"' || first == '`' || names_a_field;
        if !starts_well {
            faults.push(format!("{} {}: begins with a small letter: {:?}", r.source, r.kind, r.fr));
        }
    }
    assert!(faults.is_empty(), "messages to fix:\n{}", faults.join("\n"));

    let path = workspace().join("docs/messages.md");
    let wanted = table(&rows);
    if std::env::var_os("COMPTOIR_WRITE_MESSAGES").is_some() {
        std::fs::write(&path, &wanted).unwrap();
    }
    let held = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        held == wanted,
        "docs/messages.md is not the table of today's messages: run COMPTOIR_WRITE_MESSAGES=1 cargo test -p comptoir --test messages, read the French, commit"
    );
}

#[test]
fn the_reader_of_the_source_finds_a_refusal_as_written() {
    let text = r#"return Err(ShopError::invalid(
            "bad_period",
            format!("{:?} is not a {} period.", short(&p), kind),
            format!("{:?} n'est pas {what_fr}.", short(&p)),
            Some("period"),
        ));"#;
    let open = text.find("::invalid(").unwrap() + "::invalid(".len() - 1;
    assert_eq!(
        arguments_of_call(text, open),
        vec![
            Some("bad_period".to_string()),
            Some("{:?} is not a {} period.".to_string()),
            Some("{:?} n'est pas {what_fr}.".to_string()),
            None
        ]
    );
    let text = r#"refused(Refusal::X, format!("{} %", pct(a).replace(',', ".")), fr, None)"#;
    let open = text.find('(').unwrap();
    assert_eq!(arguments_of_call(text, open), vec![None, Some("{} %".to_string()), None, None]);
}
