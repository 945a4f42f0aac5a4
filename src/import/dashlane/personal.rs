//! `personalInfo.csv`: one row per name, email, phone number, address,
//! company or website. A single `name` row gathers every other row into
//! one identity; with several names each row stands alone, because
//! Dashlane does not say which email or address belongs to which person.

use super::csv::Reader;
use crate::import::read::{add_field, url as add_url, Row, Sink};
use crate::import::{Identity, Item};

impl Reader<'_> {
    pub(super) fn personal_info(&self, out: &mut Sink) {
        let names = self
            .table
            .rows
            .iter()
            .filter(|r| self.get(r, &["type"]).trim() == "name")
            .count();
        if names == 1 {
            let mut item = self.new_item("identity", "");
            for row in &self.table.rows {
                self.personal_row(&mut item, row);
            }
            out.push(item);
            // The other rows are parts of this one identity.
            out.merged(self.table.rows.len().saturating_sub(1));
            return;
        }
        for row in &self.table.rows {
            let mut item = self.new_item("identity", self.get(row, &["item_name"]));
            self.personal_row(&mut item, row);
            if item
                .identity
                .as_ref()
                .is_some_and(|i| *i == Identity::default())
            {
                item.item_type = "note".into(); // a website row: nothing of an identity
            }
            out.push(item);
        }
    }

    /// Adds one personalInfo row to `item`.
    fn personal_row(&self, item: &mut Item, row: &Row) {
        let g = |names: &[&str]| self.get(row, names).trim().to_string();
        let id = item.identity.get_or_insert_with(Default::default);
        match g(&["type"]).as_str() {
            "name" => {
                id.first_name = g(&["first_name"]);
                id.middle_name = g(&["middle_name"]);
                id.last_name = g(&["last_name"]);
                item.title = [&id.first_name, &id.middle_name, &id.last_name]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                add_field(item, "title", &g(&["title"]), false);
                add_field(item, "username", &g(&["login"]), false);
                add_field(item, "date of birth", &g(&["date_of_birth"]), false);
                add_field(item, "place of birth", &g(&["place_of_birth"]), false);
            }
            "email" if id.email.is_empty() => id.email = g(&["email"]),
            "number" | "phone" if id.phone.is_empty() => id.phone = g(&["phone_number"]),
            "address" if id.address1.is_empty() => {
                id.address1 = g(&["address"]);
                id.city = g(&["city"]);
                id.state = g(&["state"]);
                id.zip = g(&["zip"]);
                id.country = g(&["country"]);
                for (col, label) in [
                    ("address_recipient", "recipient"),
                    ("address_building", "building"),
                    ("address_apartment", "apartment"),
                    ("address_floor", "floor"),
                    ("address_door_code", "door code"),
                ] {
                    add_field(item, label, &g(&[col]), label == "door code");
                }
            }
            "company" if id.company.is_empty() => {
                id.company = g(&["item_name"]);
                add_field(item, "job title", &g(&["job_title"]), false);
            }
            "website" => add_url(item, &g(&["url"])),
            _ => {
                // A second email, phone or address, or a row type we do not know.
                let kind = g(&["type"]);
                for col in [
                    "email",
                    "phone_number",
                    "address",
                    "city",
                    "zip",
                    "country",
                    "url",
                    "job_title",
                ] {
                    add_field(
                        item,
                        &format!("{kind} {}", col.replace('_', " ")),
                        &g(&[col]),
                        false,
                    );
                }
            }
        }
        if item.title.is_empty() {
            item.title = g(&["item_name"]);
        }
    }
}
