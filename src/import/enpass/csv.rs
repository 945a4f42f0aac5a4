//! Enpass CSV export: one item a row, `title, label, value, label, value,
//! …, note` (ragged by design); a row with an even number of cells ends in
//! the note. Some versions write a first row `"Title","Field","Value",…`.
//! Sensitive labels may carry a leading `*`.

use super::fields::{self, Field};
use crate::import::read::{self as sup, Row, Sink};
use crate::import::{ImportError, Input, Item, Parsed};

/// The importer name, also each item's `source`.
pub(super) const NAME: &str = "enpass-csv";

pub(super) fn parse(input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
    let mut sink = Sink::new(input.name, skip_invalid);
    // Some Enpass versions write a header line; only the first record can be one.
    for row in sup::rows_without_header(input, is_header)? {
        sink.push_record(|| row.record(), map_row(&row));
    }
    Ok(sink.finish())
}

/// The header line some Enpass versions write: `"Title","Field","Value",…`.
pub(super) fn is_header(cells: &[String]) -> bool {
    let n = |i: usize| cells.get(i).map(|c| sup::norm(c)).unwrap_or_default();
    n(0) == "title" && n(1) == "field"
}

fn map_row(row: &Row) -> Item {
    let cells = &row.fields;
    let title = cells.first().map_or("", |s| s.trim());
    let has_note = cells.len() % 2 == 0;
    let note = if has_note {
        cells.last().map_or("", |s| s.trim_end())
    } else {
        ""
    };
    let pairs_end = if has_note {
        cells.len() - 1
    } else {
        cells.len()
    };
    let pairs: Vec<(&str, &str)> = cells
        .get(1..pairs_end)
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|p| match p {
            [l, v] => Some((l.as_str(), v.as_str())),
            _ => None,
        })
        .collect();
    let kinds: Vec<&str> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(l, _)| fields::kind_of_label(l.trim_start_matches('*')))
        .collect();
    let has_label = |names: &[&str]| {
        pairs
            .iter()
            .any(|(l, _)| names.contains(&sup::norm(l.trim_start_matches('*')).as_str()))
    };
    let kind = if kinds.contains(&"ccNumber") && has_label(&["cardholder", "cvc", "expirydate"]) {
        "card"
    } else if has_label(&["firstname", "lastname"]) && !kinds.contains(&"password") {
        "identity"
    } else {
        fields::target("", "", &kinds)
    };
    let mut it = fields::new_item(kind, title, NAME);
    it.notes = note.to_string();
    for (label, value) in pairs {
        let sensitive = label.starts_with('*');
        let label = label.trim_start_matches('*').trim();
        let kind = match fields::kind_of_label(label) {
            // "Number", "Type", "PIN" mean card data only on a card.
            k if k.starts_with("cc") && it.item_type != "card" => "text",
            k => k,
        };
        fields::apply(
            &mut it,
            &Field {
                label,
                kind,
                value,
                sensitive,
                uid: None,
            },
        );
    }
    it
}
