//! The domain's refusals. Each has a stable machine-readable [`DomainError::kind`], the
//! request field to blame when there is one, and a message in French and in English that
//! tells a cashier or a manager what to fix.

use crate::money::{Money, Quantity};

/// The language of a message shown to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// Picks French when, of the two languages Comptoir speaks, French is the one an
    /// `Accept-Language` header (or a `LANG` variable such as `fr_FR.UTF-8`) prefers, by
    /// its q values (`fr;q=0` refuses French); English otherwise. Equal weights: the first
    /// listed wins.
    pub fn from_preference(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag.starts_with("fr") {
                Lang::Fr
            } else if tag.starts_with("en") || tag == "*" {
                Lang::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// Chooses between the two texts of a message.
    pub fn pick(self, en: String, fr: String) -> String {
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }
}

/// An amount as French writes it: `2,40`.
fn fr(m: Money) -> String {
    m.to_string().replace('.', ",")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("a ticket needs at least one line")]
    EmptyTicket,
    #[error("line {line}: quantity 0")]
    ZeroQuantity { line: usize },
    #[error("line {line}: negative quantity in a sale")]
    NegativeQuantityInSale { line: usize },
    #[error("line {line}: positive quantity in a return")]
    PositiveQuantityInReturn { line: usize },
    #[error("{field}: negative price")]
    NegativePrice { field: String, price: Money },
    #[error("{field}: discount out of range")]
    DiscountOutOfRange { field: String, max: Money },
    #[error("payment {index}: amount 0")]
    ZeroPayment { index: usize },
    #[error("payment {index}: wrong sign")]
    PaymentSign { index: usize, refund: bool },
    #[error("payments {paid} do not cover the total {total}")]
    PaymentsShort { total: Money, paid: Money },
    #[error("change {change} exceeds cash {cash}")]
    ChangeNotInCash { change: Money, cash: Money },
    #[error("refund {paid} differs from the return total {total}")]
    RefundMismatch { total: Money, paid: Money },
    #[error("{field}: invalid barcode {code}")]
    InvalidBarcode { field: String, code: String, expected_check_digit: Option<u8> },
    #[error("{field}: invalid code {value:?}")]
    InvalidCode { field: String, value: String },
    #[error("{field}: invalid name")]
    InvalidName { field: String },
    #[error("{field}: barcode {barcode} is article {barcode_sku}, not {sku}")]
    SkuAndBarcodeDiffer { field: String, sku: String, barcode: String, barcode_sku: String },
    #[error("{field}: at most {max} characters")]
    TextTooLong { field: String, max: usize },
    #[error("{field}: between {min} and {max}")]
    LoyaltyRuleOutOfRange { field: String, min: i64, max: i64 },
    #[error("{field}: hidden character U+{code_point:04X}")]
    HiddenCharacter { field: String, code_point: u32 },
    #[error("{field}: PIN must be 4 to 8 digits")]
    InvalidPin { field: String },
    #[error("{field}: password too short")]
    WeakPassword { field: String },
    #[error("{field}: tax rate out of range")]
    InvalidTaxRate { field: String, bp: i64 },
    #[error("{field}: return of more than was sold")]
    ReturnExceedsSold { field: String, sku: String, sold: Quantity, returned: Quantity, asked: Quantity },
    #[error("{field}: amount out of range")]
    AmountOutOfRange { field: String },
    #[error("{field}: invalid email {value:?}")]
    InvalidEmail { field: String, value: String },
    #[error("{field}: not a SIRET number")]
    InvalidSiret { field: String },
    #[error("{field}: not a VAT number")]
    InvalidVatNumber { field: String },
    #[error("{field}: at most {max} characters, no control characters")]
    IdentityText { field: String, max: usize },
    #[error("{field}: invalid phone {value:?}")]
    InvalidPhone { field: String, value: String },
    #[error("{field}: {asked} points asked, balance {balance}")]
    LoyaltyBalanceExceeded { field: String, balance: i64, asked: i64 },
}

impl DomainError {
    /// Stable identifier for programs; never translated, never reworded.
    pub fn kind(&self) -> &'static str {
        match self {
            DomainError::EmptyTicket => "empty_ticket",
            DomainError::ZeroQuantity { .. } => "zero_quantity",
            DomainError::NegativeQuantityInSale { .. } => "negative_quantity_in_sale",
            DomainError::PositiveQuantityInReturn { .. } => "positive_quantity_in_return",
            DomainError::NegativePrice { .. } => "negative_price",
            DomainError::DiscountOutOfRange { .. } => "discount_out_of_range",
            DomainError::ZeroPayment { .. } => "zero_payment",
            DomainError::PaymentSign { .. } => "payment_sign",
            DomainError::PaymentsShort { .. } => "payments_short",
            DomainError::ChangeNotInCash { .. } => "change_not_in_cash",
            DomainError::RefundMismatch { .. } => "refund_mismatch",
            DomainError::InvalidBarcode { .. } => "invalid_barcode",
            DomainError::InvalidCode { .. } => "invalid_code",
            DomainError::InvalidName { .. } => "invalid_name",
            DomainError::HiddenCharacter { .. } => "hidden_character",
            DomainError::TextTooLong { .. } => "text_too_long",
            DomainError::LoyaltyRuleOutOfRange { .. } => "loyalty_rule_out_of_range",
            DomainError::SkuAndBarcodeDiffer { .. } => "sku_and_barcode_differ",
            DomainError::InvalidPin { .. } => "invalid_pin",
            DomainError::WeakPassword { .. } => "weak_password",
            DomainError::InvalidTaxRate { .. } => "invalid_tax_rate",
            DomainError::ReturnExceedsSold { .. } => "return_exceeds_sold",
            DomainError::AmountOutOfRange { .. } => "amount_out_of_range",
            DomainError::InvalidEmail { .. } => "invalid_email",
            DomainError::InvalidSiret { .. } => "invalid_siret",
            DomainError::InvalidVatNumber { .. } => "invalid_vat_number",
            DomainError::IdentityText { .. } => "invalid_identity",
            DomainError::InvalidPhone { .. } => "invalid_phone",
            DomainError::LoyaltyBalanceExceeded { .. } => "loyalty_balance_exceeded",
        }
    }

    /// The request field to blame, as a path into the JSON body (`lines[1].qty`).
    pub fn field(&self) -> Option<String> {
        match self {
            DomainError::EmptyTicket => Some("lines".into()),
            DomainError::ZeroQuantity { line }
            | DomainError::NegativeQuantityInSale { line }
            | DomainError::PositiveQuantityInReturn { line } => Some(format!("lines[{line}].qty")),
            DomainError::ZeroPayment { index } | DomainError::PaymentSign { index, .. } => {
                Some(format!("payments[{index}].amount"))
            }
            DomainError::PaymentsShort { .. }
            | DomainError::ChangeNotInCash { .. }
            | DomainError::RefundMismatch { .. } => Some("payments".into()),
            DomainError::NegativePrice { field, .. }
            | DomainError::DiscountOutOfRange { field, .. }
            | DomainError::InvalidBarcode { field, .. }
            | DomainError::InvalidCode { field, .. }
            | DomainError::InvalidName { field }
            | DomainError::HiddenCharacter { field, .. }
            | DomainError::TextTooLong { field, .. }
            | DomainError::LoyaltyRuleOutOfRange { field, .. }
            | DomainError::SkuAndBarcodeDiffer { field, .. }
            | DomainError::InvalidPin { field }
            | DomainError::WeakPassword { field }
            | DomainError::InvalidTaxRate { field, .. }
            | DomainError::ReturnExceedsSold { field, .. }
            | DomainError::AmountOutOfRange { field }
            | DomainError::InvalidEmail { field, .. }
            | DomainError::InvalidSiret { field }
            | DomainError::InvalidVatNumber { field }
            | DomainError::IdentityText { field, .. }
            | DomainError::InvalidPhone { field, .. }
            | DomainError::LoyaltyBalanceExceeded { field, .. } => Some(field.clone()),
        }
    }

    /// What went wrong and what to do, for a person.
    pub fn message(&self, lang: Lang) -> String {
        use DomainError::*;
        match self {
            EmptyTicket => lang.pick(
                "A ticket needs at least one line: add an article.".into(),
                "Un ticket doit avoir au moins une ligne : ajoutez un article.".into(),
            ),
            ZeroQuantity { line } => lang.pick(
                format!("Line {}: the quantity is 0; enter the quantity sold or remove the line.", line + 1),
                format!("Ligne {} : la quantité est 0 ; saisissez la quantité vendue ou supprimez la ligne.", line + 1),
            ),
            NegativeQuantityInSale { line } => lang.pick(
                format!("Line {}: a negative quantity is a return; make a return ticket that names the original ticket in return_of.", line + 1),
                format!("Ligne {} : une quantité négative est un retour ; faites un ticket de retour qui cite le ticket d'origine dans return_of.", line + 1),
            ),
            PositiveQuantityInReturn { line } => lang.pick(
                format!("Line {}: a return ticket takes negative quantities (the quantity given back, e.g. -1).", line + 1),
                format!("Ligne {} : un ticket de retour prend des quantités négatives (la quantité rendue, par ex. -1).", line + 1),
            ),
            NegativePrice { field, price } => lang.pick(
                format!("{field}: the price {price} € is negative; a price is 0 or more (a refund is a return ticket)."),
                format!("{field} : le prix {} € est négatif ; un prix vaut 0 ou plus (un remboursement est un ticket de retour).", fr(*price)),
            ),
            DiscountOutOfRange { field, max } => lang.pick(
                format!("{field}: the discount must be between 0 and {max} € (the amount it applies to)."),
                format!("{field} : la remise doit être comprise entre 0 et {} € (le montant auquel elle s'applique).", fr(*max)),
            ),
            ZeroPayment { index } => lang.pick(
                format!("Payment {}: the amount is 0; remove it or enter the amount paid.", index + 1),
                format!("Paiement {} : le montant est 0 ; supprimez-le ou saisissez le montant payé.", index + 1),
            ),
            PaymentSign { index, refund: false } => lang.pick(
                format!("Payment {}: a sale is paid with positive amounts.", index + 1),
                format!("Paiement {} : une vente se paie avec des montants positifs.", index + 1),
            ),
            PaymentSign { index, refund: true } => lang.pick(
                format!("Payment {}: a return is refunded with negative amounts (e.g. -2.40 € in cash is -240).", index + 1),
                format!("Paiement {} : un retour se rembourse avec des montants négatifs (par ex. -2,40 € en espèces : -240).", index + 1),
            ),
            PaymentsShort { total, paid } => lang.pick(
                format!("The payments ({paid} €) do not cover the total ({total} €): {} € are missing.", *total - *paid),
                format!("Les paiements ({} €) ne couvrent pas le total ({} €) : il manque {} €.", fr(*paid), fr(*total), fr(*total - *paid)),
            ),
            ChangeNotInCash { change, cash } => lang.pick(
                format!("The payments exceed the total by {change} € but only {cash} € were paid in cash: change is given in cash only; lower the card, cheque, voucher or other amount."),
                format!("Les paiements dépassent le total de {} € mais seuls {} € ont été payés en espèces : la monnaie ne se rend qu'en espèces ; baissez le montant carte, chèque, bon ou autre.", fr(*change), fr(*cash)),
            ),
            RefundMismatch { total, paid } => lang.pick(
                format!("The refund ({paid} €) must equal the return total ({total} €)."),
                format!("Le remboursement ({} €) doit être égal au total du retour ({} €).", fr(*paid), fr(*total)),
            ),
            InvalidBarcode { field, code, expected_check_digit: Some(d) } => lang.pick(
                format!("{field}: barcode {code} has a wrong check digit (the last digit should be {d}); check the code typed or scanned."),
                format!("{field} : le code-barres {code} a une clé de contrôle fausse (le dernier chiffre devrait être {d}) ; vérifiez le code saisi ou scanné."),
            ),
            InvalidBarcode { field, code, expected_check_digit: None } => lang.pick(
                format!("{field}: barcode {code:?} is not valid: use an EAN-13, an EAN-8 or a free code of 1 to 48 letters, digits, '-', '_' or '.'."),
                format!("{field} : le code-barres {code:?} n'est pas valide : utilisez un EAN-13, un EAN-8 ou un code libre de 1 à 48 lettres, chiffres, '-', '_' ou '.'."),
            ),
            InvalidCode { field, value } => lang.pick(
                format!("{field}: {value:?} is not a valid code: use 1 to 32 letters, digits, '-', '_' or '.'."),
                format!("{field} : {value:?} n'est pas un code valide : utilisez 1 à 32 lettres, chiffres, '-', '_' ou '.'."),
            ),
            InvalidName { field } => lang.pick(
                format!("{field}: the name must have 1 to 200 characters."),
                format!("{field} : le nom doit avoir de 1 à 200 caractères."),
            ),
            HiddenCharacter { field, code_point } => lang.pick(
                format!("{field}: the text holds an invisible control or text-direction character (U+{code_point:04X}), which could make it read differently on a receipt or a screen; type the text again without it."),
                format!("{field} : le texte contient un caractère de contrôle ou de sens d'écriture invisible (U+{code_point:04X}), qui pourrait le faire lire autrement sur un ticket ou un écran ; saisissez le texte à nouveau sans lui."),
            ),
            SkuAndBarcodeDiffer { field, sku, barcode, barcode_sku } => lang.pick(
                format!("{field}: the line names article {sku} but barcode {barcode}, which is article {barcode_sku}; give the sku or the barcode of the article sold, not both of different articles."),
                format!("{field} : la ligne désigne l'article {sku} mais le code-barres {barcode}, qui est l'article {barcode_sku} ; donnez le sku ou le code-barres de l'article vendu, pas ceux de deux articles différents."),
            ),
            TextTooLong { field, max } => lang.pick(
                format!("{field}: at most {max} characters; shorten the text (nothing was saved)."),
                format!("{field} : au plus {max} caractères ; raccourcissez le texte (rien n'a été enregistré)."),
            ),
            LoyaltyRuleOutOfRange { field, min, max } if field == "points_per_euro" => lang.pick(
                format!("{field}: the points earned per euro spent are a whole number from {min} (no points) to {max}."),
                format!("{field} : les points gagnés par euro dépensé sont un nombre entier de {min} (aucun point) à {max}."),
            ),
            LoyaltyRuleOutOfRange { field, min, max } => lang.pick(
                format!("{field}: what one point is worth when redeemed is a whole number of cents from {min} to {max}."),
                format!("{field} : la valeur d'un point utilisé est un nombre entier de centimes de {min} à {max}."),
            ),
            InvalidPin { field } => lang.pick(
                format!("{field}: a PIN is 4 to 8 digits."),
                format!("{field} : un code PIN a de 4 à 8 chiffres."),
            ),
            WeakPassword { field } => lang.pick(
                format!("{field}: a password needs at least 8 characters."),
                format!("{field} : un mot de passe doit avoir au moins 8 caractères."),
            ),
            InvalidTaxRate { field, bp } => lang.pick(
                format!("{field}: {bp} is not a tax rate; give it in basis points between 0 and 10000 (5.5 % is 550)."),
                format!("{field} : {bp} n'est pas un taux de TVA ; donnez-le en points de base entre 0 et 10000 (5,5 % s'écrit 550)."),
            ),
            ReturnExceedsSold { field, sku, sold, returned, asked } => lang.pick(
                format!("{field}: article {sku} was sold {sold} time(s) on the original ticket and {returned} already returned; {asked} cannot be returned."),
                format!("{field} : l'article {sku} a été vendu {sold} fois sur le ticket d'origine et {returned} déjà rendu(s) ; impossible d'en rendre {asked}."),
            ),
            AmountOutOfRange { field } => lang.pick(
                format!("{field}: the amount is out of range (at most 10,000,000.00 €)."),
                format!("{field} : le montant est hors limites (au plus 10 000 000,00 €)."),
            ),
            InvalidSiret { field } => lang.pick(
                format!("{field}: a SIRET number has 14 digits (the SIREN's 9, then the establishment's 5)."),
                format!("{field} : un numéro SIRET a 14 chiffres (les 9 du SIREN, puis les 5 de l'établissement)."),
            ),
            InvalidVatNumber { field } => lang.pick(
                format!("{field}: two letters of the country then its number (FR12345678901)."),
                format!("{field} : deux lettres du pays puis le numéro (FR12345678901)."),
            ),
            IdentityText { field, max } => lang.pick(
                format!("{field}: at most {max} characters, without control characters."),
                format!("{field} : au plus {max} caractères, sans caractères de contrôle."),
            ),
            InvalidEmail { field, value } => lang.pick(
                format!("{field}: {value:?} is not an email address; write it as name@domain.fr, or leave it empty."),
                format!("{field} : {value:?} n'est pas une adresse e-mail ; écrivez-la sous la forme nom@domaine.fr, ou laissez-la vide."),
            ),
            InvalidPhone { field, value } => lang.pick(
                format!("{field}: {value:?} is not a phone number; give 6 to 15 digits, optionally after a + (e.g. +33 6 12 34 56 78)."),
                format!("{field} : {value:?} n'est pas un numéro de téléphone ; donnez 6 à 15 chiffres, éventuellement après un + (par ex. +33 6 12 34 56 78)."),
            ),
            LoyaltyBalanceExceeded { field, balance, asked } => lang.pick(
                format!("{field}: the customer has {balance} loyalty points here; {asked} cannot be redeemed. Lower the loyalty amount or take another payment."),
                format!("{field} : le client a {balance} points de fidélité ici ; impossible d'en utiliser {asked}. Baissez le montant payé en points ou prenez un autre moyen de paiement."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_first_preference() {
        assert_eq!(Lang::from_preference("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::from_preference("en-US,fr;q=0.5"), Lang::En);
        assert_eq!(Lang::from_preference("fr_FR.UTF-8"), Lang::Fr);
        assert_eq!(Lang::from_preference(""), Lang::En);
        assert_eq!(Lang::from_preference("fr;q=0, en"), Lang::En, "q=0 refuses French");
        assert_eq!(Lang::from_preference("fr;q=0"), Lang::En);
        assert_eq!(Lang::from_preference("de, en;q=0.2, fr;q=0.7"), Lang::Fr);
        assert_eq!(Lang::from_preference("en;q=0.5, fr;q=0.5"), Lang::En, "a tie: the first listed");
    }

    #[test]
    fn messages_exist_in_both_languages() {
        let e = DomainError::PaymentsShort { total: Money(240), paid: Money(200) };
        assert!(e.message(Lang::En).contains("0.40"));
        assert!(e.message(Lang::Fr).contains("il manque 0,40 €"), "{}", e.message(Lang::Fr));
        assert_eq!(e.field().as_deref(), Some("payments"));
    }
}
