//! The five Dashlane CSV files. Columns are found by name (header variants:
//! `otpSecret` or `otpUrl`; payments with `account_holder` or `name`).
//!
//! Decisions: `category` of a credential is its folder; extra usernames
//! (`username2`, `username3`) become custom fields; bank accounts become
//! notes with the account number hidden; ID cards and tax numbers have no
//! identity slot and become hidden custom fields; in `personalInfo.csv` a
//! single `name` row gathers every other row into one identity, while with
//! several names each row stands alone (Dashlane does not say which email
//! or address belongs to which person).

use crate::import::read::{
    add_field, card_brand, expiry_of, folder_path, looks_secret, split_name, text as decode,
    url as add_url, Row, Sep, Shape, Sink, Table,
};
use crate::import::{Identity, ImportError, Input, Item, Parsed};

/// Which Dashlane CSV file a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Credentials,
    Notes,
    Payments,
    Ids,
    PersonalInfo,
}

impl Kind {
    /// The kind of a (lowercased) header, if it is a Dashlane one.
    pub(super) fn of(h: &[String]) -> Option<Kind> {
        let has = |n: &str| h.iter().any(|x| x == n);
        if has("type") && has("account_name") && (has("cc_number") || has("account_number")) {
            Some(Kind::Payments)
        } else if has("type")
            && has("number")
            && has("name")
            && (has("issue_date") || has("expiration_date"))
        {
            Some(Kind::Ids)
        } else if has("type") && has("first_name") && has("last_name") && has("item_name") {
            Some(Kind::PersonalInfo)
        } else if has("title")
            && has("password")
            && (has("username") || has("login"))
            && (has("url") || has("domain"))
        {
            Some(Kind::Credentials)
        } else if has("title") && has("note") && !has("password") && !has("type") {
            Some(Kind::Notes)
        } else {
            None
        }
    }

    /// Whether the header has a column only Dashlane writes.
    pub(super) fn distinctive(h: &[String]) -> bool {
        [
            "username2",
            "otpsecret",
            "otpurl",
            "place_of_issue",
            "cc_number",
            "address_recipient",
            "email_type",
        ]
        .iter()
        .any(|d| h.iter().any(|x| x == d))
    }
}

/// Parses one Dashlane CSV file (`file` names it in errors).
pub(super) fn parse(
    file: &str,
    bytes: &[u8],
    source: &str,
    skip_invalid: bool,
) -> Result<Parsed, ImportError> {
    let text = decode(&Input { name: file, bytes })?;
    let mut out = Sink::new(file, skip_invalid);
    let table = out.checked(Table::parse(file, &text, Shape::Rectangular)?)?;
    let lower: Vec<String> = table.header.lower();
    let kind = Kind::of(&lower).ok_or_else(|| ImportError::Record {
        file: file.to_string(),
        record: "line 1".into(),
        message: "expected a Dashlane CSV header (credentials, secure notes, payments, IDs or personal info)".into(),
    })?;
    let reader = Reader {
        table: &table,
        source,
    };
    match kind {
        Kind::PersonalInfo => reader.personal_info(&mut out),
        _ => {
            for row in &table.rows {
                let item = match kind {
                    Kind::Credentials => reader.credential(row),
                    Kind::Notes => reader.note(row),
                    Kind::Payments => reader.payment(row),
                    _ => reader.id(row),
                };
                out.push(item);
            }
        }
    }
    Ok(out.finish())
}

/// Reads rows of one file; `personal.rs` adds the personalInfo rows.
pub(super) struct Reader<'a> {
    pub(super) table: &'a Table,
    pub(super) source: &'a str,
}

impl Reader<'_> {
    pub(super) fn get<'r>(&self, row: &'r Row, names: &[&str]) -> &'r str {
        row.get(self.table.col(names))
    }

    pub(super) fn new_item(&self, item_type: &str, title: &str) -> Item {
        Item {
            item_type: item_type.into(),
            title: title.trim().to_string(),
            source: self.source.to_string(),
            ..Default::default()
        }
    }

    /// Custom fields from columns: (label, the column's names, hidden).
    fn fields(&self, item: &mut Item, row: &Row, specs: &[(&str, &[&str], bool)]) {
        for (label, names, hidden) in specs {
            add_field(item, label, self.get(row, names), *hidden);
        }
    }

    /// Columns not in `used` become custom fields (newer exports add some).
    fn rest(&self, item: &mut Item, row: &Row, used: &[&str]) {
        for (i, h) in self.table.header.names().iter().enumerate() {
            if !used.iter().any(|u| h.eq_ignore_ascii_case(u)) {
                let label = h.replace('_', " ");
                add_field(item, &label, row.get(Some(i)), looks_secret(&label));
            }
        }
    }

    fn credential(&self, row: &Row) -> Item {
        let mut item = self.new_item("login", self.get(row, &["title"]));
        item.username = self.get(row, &["username", "login"]).to_string();
        item.password = self.get(row, &["password"]).to_string();
        item.notes = self.get(row, &["note", "notes"]).to_string();
        item.totp = self
            .get(row, &["otpurl", "otpsecret", "otp"])
            .trim()
            .to_string();
        item.folder = folder_path([self.get(row, &["category"])], Sep::Flat);
        add_url(&mut item, self.get(row, &["url", "domain"]));
        self.fields(
            &mut item,
            row,
            &[
                ("username 2", &["username2", "secondarylogin"], false),
                ("username 3", &["username3"], false),
            ],
        );
        const USED: &[&str] = &[
            "title",
            "username",
            "login",
            "password",
            "note",
            "notes",
            "otpurl",
            "otpsecret",
            "otp",
            "category",
            "url",
            "domain",
            "username2",
            "secondarylogin",
            "username3",
        ];
        self.rest(&mut item, row, USED);
        item
    }

    fn note(&self, row: &Row) -> Item {
        let mut item = self.new_item("note", self.get(row, &["title"]));
        item.notes = self.get(row, &["note"]).to_string();
        item.folder = folder_path([self.get(row, &["category"])], Sep::Flat);
        self.rest(&mut item, row, &["title", "note", "category"]);
        item
    }

    fn payment(&self, row: &Row) -> Item {
        let kind = self.get(row, &["type"]).trim().to_ascii_lowercase();
        let account_name = self.get(row, &["account_name"]);
        let mut item;
        let used: &[&str];
        if kind == "bank" || kind == "bank_account" {
            item = self.new_item("note", account_name);
            self.fields(
                &mut item,
                row,
                &[
                    ("account holder", &["account_holder", "name"], false),
                    ("routing number", &["routing_number"], false),
                    ("account number", &["account_number"], true),
                    ("bank", &["issuing_bank"], false),
                    ("country", &["country"], false),
                ],
            );
            used = &[
                "type",
                "account_name",
                "account_holder",
                "name",
                "routing_number",
                "account_number",
                "issuing_bank",
                "country",
                "cc_number",
                "code",
                "expiration_month",
                "expiration_year",
                "note",
            ];
        } else {
            item = self.new_item("card", account_name);
            let holder = [
                self.get(row, &["name"]),
                self.get(row, &["account_holder"]),
                account_name,
            ]
            .into_iter()
            .find(|h| !h.trim().is_empty())
            .unwrap_or("");
            let number = self.get(row, &["cc_number"]);
            item.card = Some(crate::import::Card {
                cardholder: holder.trim().to_string(),
                brand: card_brand(number).to_string(),
                number: number.to_string(),
                expiry: expiry_of(
                    self.get(row, &["expiration_month"]),
                    self.get(row, &["expiration_year"]),
                ),
                cvv: self.get(row, &["code"]).to_string(),
                pin: String::new(),
            });
            add_field(&mut item, "bank", self.get(row, &["issuing_bank"]), false);
            add_field(&mut item, "country", self.get(row, &["country"]), false);
            used = &[
                "type",
                "account_name",
                "account_holder",
                "name",
                "cc_number",
                "code",
                "expiration_month",
                "expiration_year",
                "issuing_bank",
                "country",
                "routing_number",
                "account_number",
                "note",
            ];
        }
        item.notes = self.get(row, &["note"]).to_string();
        self.rest(&mut item, row, used);
        item
    }

    fn id(&self, row: &Row) -> Item {
        let kind = self.get(row, &["type"]).trim().to_ascii_lowercase();
        let name = self.get(row, &["name"]).trim();
        let number = self.get(row, &["number"]);
        let label = match kind.as_str() {
            "card" | "id_card" => "ID card",
            "passport" => "Passport",
            "license" | "driver_license" => "Driver's license",
            "social_security" => "Social security",
            "tax_number" => "Tax number",
            _ => "ID",
        };
        let title = if name.is_empty() {
            label.to_string()
        } else {
            format!("{label}: {name}")
        };
        let mut item = self.new_item("identity", &title);
        let mut id = Identity::default();
        (id.first_name, id.middle_name, id.last_name) = split_name(name);
        match kind.as_str() {
            "passport" => id.passport = number.to_string(),
            "license" | "driver_license" => id.license = number.to_string(),
            "social_security" => id.ssn = number.to_string(),
            "tax_number" => add_field(&mut item, "tax number", number, true),
            _ => add_field(&mut item, "ID card number", number, true),
        }
        id.state = self.get(row, &["state"]).trim().to_string();
        item.identity = Some(id);
        add_field(
            &mut item,
            "issue date",
            self.get(row, &["issue_date"]),
            false,
        );
        add_field(
            &mut item,
            "expiration date",
            self.get(row, &["expiration_date"]),
            false,
        );
        add_field(
            &mut item,
            "place of issue",
            self.get(row, &["place_of_issue"]),
            false,
        );
        self.rest(
            &mut item,
            row,
            &[
                "type",
                "name",
                "number",
                "state",
                "issue_date",
                "expiration_date",
                "place_of_issue",
            ],
        );
        item
    }
}
