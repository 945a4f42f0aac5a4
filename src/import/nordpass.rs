//! NordPass CSV export (`nordpass-csv`).
//!
//! Current header: `name,url,additional_urls,username,password,note,
//! cardholdername,cardnumber,cvc,pin,expirydate,zipcode,folder,full_name,
//! phone_number,email,address1,address2,city,country,state,type,
//! custom_fields`; older exports lack `additional_urls`, `pin`, `type` and
//! `custom_fields`, so columns are found by name. Every row has the
//! header's length (the file is rectangular).
//!
//! Decisions:
//! * `type` folder rows define folders, not items, and are not reported.
//!   Without a `type` column the kind is inferred from the filled columns;
//!   a row with only a name is a folder row.
//! * A value that is `#` + its own column's name (`#fullName` in
//!   `full_name`) is an unfilled template placeholder and is ignored.
//! * Unknown `type`s become notes; any filled column the item's type does
//!   not use is kept as a custom field, so nothing is lost.
//! * A `custom_fields` cell that is not the expected JSON list is kept
//!   whole as a hidden field rather than failing the row; columns this
//!   code does not know are kept as hidden fields too.

use serde_json::Value;

use super::{Card, Confidence, Identity, ImportError, Importer, Input, Item, Parsed};
use crate::import::read::{self as sup, field, Header, Row, Shape, Sink, Table};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&NordPassCsv];

/// NordPass's CSV export.
pub struct NordPassCsv;

const NAME: &str = "nordpass-csv";

/// Columns by their header name, in the current export's order, with the
/// label a leftover value gets as a custom field.
const COLUMNS: [(&str, &str); 23] = [
    ("name", "Name"),
    ("url", "URL"),
    ("additional_urls", "Additional URLs"),
    ("username", "Username"),
    ("password", "Password"),
    ("note", "Note"),
    ("cardholdername", "Cardholder name"),
    ("cardnumber", "Card number"),
    ("cvc", "CVC"),
    ("pin", "PIN"),
    ("expirydate", "Expiry date"),
    ("zipcode", "Zip code"),
    ("folder", "Folder"),
    ("full_name", "Full name"),
    ("phone_number", "Phone number"),
    ("email", "Email"),
    ("address1", "Address"),
    ("address2", "Address (line 2)"),
    ("city", "City"),
    ("country", "Country"),
    ("state", "State"),
    ("type", "Type"),
    ("custom_fields", "Custom fields"),
];

/// Column index by name, for the columns this file has.
struct Cols(Vec<Option<usize>>);

impl Cols {
    fn new(h: &Header) -> Self {
        Cols(COLUMNS.iter().map(|(c, _)| h.find(&[c])).collect())
    }
    fn idx(&self, name: &str) -> Option<usize> {
        COLUMNS
            .iter()
            .position(|(c, _)| *c == name)
            .and_then(|i| self.0.get(i).copied().flatten())
    }
}

/// One row being mapped: reading a column marks it used, so leftovers
/// can be kept as custom fields.
struct Cells<'r> {
    row: &'r Row,
    cols: &'r Cols,
    used: Vec<&'static str>,
}

impl<'r> Cells<'r> {
    fn take(&mut self, name: &'static str) -> String {
        self.used.push(name);
        self.peek(name)
    }
    /// Like `take`, but keeps surrounding spaces (a password's are part
    /// of it) and only trailing ones of a note.
    fn take_exact(&mut self, name: &'static str) -> String {
        self.used.push(name);
        if self.peek(name).is_empty() {
            return String::new();
        }
        let raw = self.row.get(self.cols.idx(name));
        if name == "note" {
            raw.trim_end().to_string()
        } else {
            raw.to_string()
        }
    }
    fn peek(&self, name: &str) -> String {
        let v = self.row.text(self.cols.idx(name));
        let placeholder = v
            .strip_prefix('#')
            .is_some_and(|p| sup::norm(p) == sup::norm(name));
        if placeholder {
            String::new()
        } else {
            v.to_string()
        }
    }
    fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| !self.peek(n).is_empty())
    }
}

impl Importer for NordPassCsv {
    fn name(&self) -> &'static str {
        NAME
    }

    /// `cardholdername`, `full_name` and `address1` together appear in no
    /// other manager's header.
    fn detect(&self, input: &Input<'_>) -> Confidence {
        let Some(h) = sup::header(input) else {
            return Confidence::No;
        };
        let distinctive = ["cardholdername", "full_name", "address1", "phone_number"]
            .iter()
            .all(|c| h.has(c));
        if distinctive && h.has("name") && h.has("password") {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let text = sup::text(input)?;
        // Every NordPass row has the header's width: a short one is broken.
        let table = Table::parse(input.name, &text, Shape::Rectangular)?;
        if table.col(&["name"]).is_none() {
            return Err(sup::file_error(
                input.name,
                "expected a NordPass CSV header line starting with `name,url,…`",
            ));
        }
        let cols = Cols::new(&table.header);
        let mut sink = Sink::new(input.name, skip_invalid);
        sink.push_rows(&table, |row| map_row(row, &cols, &table.header))?;
        Ok(sink.finish())
    }
}

/// Which kind a row is: the `type` column, or inferred from its cells.
fn kind(c: &Cells<'_>) -> Option<&'static str> {
    let t = c.peek("type").to_ascii_lowercase();
    match t.as_str() {
        "password" | "login" => Some("login"),
        "note" | "secure_note" => Some("note"),
        "credit_card" | "card" => Some("card"),
        "identity" | "personal_info" => Some("identity"),
        "folder" => None,
        "" if c.any(&["cardholdername", "cardnumber", "cvc", "expirydate"]) => Some("card"),
        "" if c.any(&["username", "password", "url", "additional_urls"]) => Some("login"),
        "" if c.any(&[
            "full_name",
            "phone_number",
            "email",
            "address1",
            "address2",
            "city",
            "country",
            "state",
            "zipcode",
        ]) =>
        {
            Some("identity")
        }
        "" if c.any(&["note", "custom_fields"]) => Some("note"),
        // A title in a folder is an entry of its own (kept as a note).
        "" if c.any(&["folder"]) => Some("note"),
        "" => None, // only a name: a folder row
        _ => Some("note"),
    }
}

/// The reason a folder row is not imported.
const FOLDER_ROW: &str = "a folder, not an item";

fn map_row(row: &Row, cols: &Cols, header: &Header) -> Result<Item, &'static str> {
    let mut c = Cells {
        row,
        cols,
        used: Vec::new(),
    };
    let kind = kind(&c).ok_or(FOLDER_ROW)?;
    let mut it = sup::item(kind, &c.take("name"), NAME);
    c.used.push("type");
    it.folder = sup::folder_path([&c.take("folder")], sup::Sep::Slash);
    it.notes = c.take_exact("note");
    match kind {
        "login" => {
            sup::url(&mut it, &c.take("url"));
            for u in json_list(&c.take("additional_urls")) {
                sup::url(&mut it, &u);
            }
            it.username = c.take("username");
            it.password = c.take_exact("password");
        }
        "card" => {
            let number = c.take("cardnumber");
            it.card = Some(Card {
                cardholder: c.take("cardholdername"),
                brand: sup::card_brand(&number).to_string(),
                expiry: sup::expiry(&c.take("expirydate")),
                cvv: c.take("cvc"),
                pin: c.take("pin"),
                number,
            });
        }
        "identity" => {
            let (first_name, middle_name, last_name) = sup::split_name(&c.take("full_name"));
            it.identity = Some(Identity {
                first_name,
                middle_name,
                last_name,
                email: c.take("email"),
                phone: c.take("phone_number"),
                address1: c.take("address1"),
                address2: c.take("address2"),
                city: c.take("city"),
                state: c.take("state"),
                zip: c.take("zipcode"),
                country: c.take("country"),
                ..Identity::default()
            });
            sup::url(&mut it, &c.take("url"));
        }
        _ => {}
    }
    custom_fields(&mut it, &c.take("custom_fields"));
    leftovers(&mut it, &c, header);
    Ok(it)
}

/// `additional_urls`: a JSON list of strings (or one bare URL).
fn json_list(cell: &str) -> Vec<String> {
    match sup::value(cell) {
        Ok(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ if cell.is_empty() => Vec::new(),
        _ => vec![cell.to_string()],
    }
}

/// `custom_fields`: `[{"label","type","value"}]`; `hidden` types are
/// concealed.
fn custom_fields(it: &mut Item, cell: &str) {
    if cell.is_empty() {
        return;
    }
    match sup::value(cell) {
        Ok(Value::Array(list)) => {
            for f in &list {
                let hidden = matches!(sup::s(f, "type").as_str(), "hidden" | "password" | "secret");
                let label = sup::s(f, "label");
                field(
                    it,
                    if label.is_empty() { "Field" } else { &label },
                    &sup::s(f, "value"),
                    hidden,
                );
            }
        }
        _ => field(it, "Custom fields", cell, true),
    }
}

/// Filled columns the item's type did not use, as custom fields.
fn leftovers(it: &mut Item, c: &Cells<'_>, header: &Header) {
    for (name, label) in COLUMNS {
        if c.used.contains(&name) || c.cols.idx(name).is_none() {
            continue;
        }
        let hidden = matches!(name, "password" | "cardnumber" | "cvc" | "pin");
        field(it, label, &c.peek(name), hidden);
    }
    // Columns of a newer export this code does not know yet: kept, and
    // concealed because nothing says they are not secret.
    for i in 0..c.row.fields.len() {
        if !c.cols.0.contains(&Some(i)) {
            field(it, header.raw(i), c.row.text(Some(i)), true);
        }
    }
}
