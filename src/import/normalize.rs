//! Tidying every parsed item the same way, whatever importer produced it:
//! trimmed titles, folders and URLs; TOTP secrets as `otpauth://` URIs; a
//! title for items that have none; a card's network from its number when
//! the source does not say; empty items dropped. Nothing here fails:
//! a TOTP value that cannot be used is kept, verbatim, in a hidden custom
//! field so no data is lost.

use super::classify::site_of;
use super::read::{card_brand, folder_path, Sep};
use super::{CustomField, Item};
use crate::crypto::totp::{secret_to_uri, Totp};
use crate::fieldspec;

/// The reason reported for an item that carries nothing.
pub const EMPTY: &str = "empty: no title, URL, username, password or notes";

/// The label of the custom field holding a TOTP value that is not usable.
pub const UNUSABLE_TOTP_LABEL: &str = "One-time code (unrecognised)";

/// Tidies one item; `None` when it carries nothing at all (an empty row or entry).
pub fn normalize(mut item: Item) -> Option<Item> {
    item.title = item.title.trim().to_string();
    item.username = item.username.trim().to_string();
    item.email = item.email.trim().to_string();
    item.folder = folder_path([&item.folder], Sep::Slash);
    // Windows exports write CRLF inside multi-line values; notes keep plain
    // line feeds (secrets such as passwords are never rewritten).
    if item.notes.contains('\r') {
        item.notes = item.notes.replace("\r\n", "\n");
    }
    let mut urls: Vec<String> = Vec::with_capacity(item.urls.len());
    for u in item.urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        if !urls.iter().any(|x| x == u) {
            urls.push(u.to_string());
        }
    }
    item.urls = urls;
    item.fields
        .retain(|f| !(f.label.trim().is_empty() && f.value.is_empty()));
    for (i, f) in item.fields.iter_mut().enumerate() {
        f.label = f.label.trim().to_string();
        if f.label.is_empty() {
            f.label = format!("Field {}", i + 1);
        }
    }
    item.typed.retain(|_, v| !v.is_empty());
    // A card whose source names no network gets the one its number says.
    if let Some(card) = item.card.as_mut().filter(|c| c.brand.trim().is_empty()) {
        card.brand = card_brand(&card.number).to_string();
    }
    if is_empty(&item) {
        return None;
    }
    if item.item_type.trim().is_empty() {
        item.item_type = infer_type(&item).to_string();
    }
    item.item_type = item.item_type.trim().to_ascii_lowercase();
    if item.title.is_empty() {
        item.title = fallback_title(&item);
    }
    normalize_totp(&mut item);
    Some(item)
}

/// True when an item carries nothing (whitespace counts as nothing);
/// importers use it to report an empty record under its own name.
pub fn is_empty(i: &Item) -> bool {
    let card_empty = i.card.as_ref().is_none_or(|c| *c == Default::default());
    let id_empty = i.identity.as_ref().is_none_or(|c| *c == Default::default());
    i.title.trim().is_empty()
        && i.urls.iter().all(|u| u.trim().is_empty())
        && i.username.trim().is_empty()
        && i.email.trim().is_empty()
        && i.password.is_empty()
        && i.totp.trim().is_empty()
        && i.notes.trim().is_empty()
        && i.fields.is_empty()
        && i.typed.is_empty()
        && card_empty
        && id_empty
}

fn infer_type(i: &Item) -> &'static str {
    if i.card.is_some() {
        "card"
    } else if i.identity.is_some() {
        "identity"
    } else if !i.username.is_empty()
        || !i.password.is_empty()
        || !i.urls.is_empty()
        || !i.totp.is_empty()
    {
        "login"
    } else {
        "note"
    }
}

/// A title for an untitled item: the site, else the username, else "Untitled".
fn fallback_title(i: &Item) -> String {
    if let Some(site) = i.urls.iter().find_map(|u| site_of(u)) {
        return site;
    }
    if !i.username.is_empty() {
        return i.username.clone();
    }
    if !i.email.is_empty() {
        return i.email.clone();
    }
    format!(
        "Untitled {}",
        fieldspec::entry_type(&i.item_type)
            .map(|t| t.name)
            .unwrap_or("item")
    )
}

/// `otpauth://` URIs that parse are kept; bare base32 secrets become URIs;
/// anything else moves to a hidden custom field.
fn normalize_totp(item: &mut Item) {
    let raw = item.totp.trim().to_string();
    item.totp.clear();
    if raw.is_empty() {
        return;
    }
    let is_uri = raw
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("otpauth://"));
    let usable = if is_uri {
        Totp::parse(&raw).ok().map(|_| raw.clone())
    } else {
        let label = if item.username.is_empty() {
            item.title.clone()
        } else {
            format!("{}:{}", item.title, item.username)
        };
        secret_to_uri(&raw, &label).ok()
    };
    match usable {
        Some(uri) => item.totp = uri,
        None => item.fields.push(CustomField {
            label: UNUSABLE_TOTP_LABEL.into(),
            value: raw,
            hidden: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(title: &str, url: &str, totp: &str) -> Item {
        Item {
            item_type: "login".into(),
            title: title.into(),
            urls: vec![url.into()],
            username: " alice ".into(),
            totp: totp.into(),
            ..Default::default()
        }
    }

    #[test]
    fn titles_folders_urls_and_empty_items() {
        let i = normalize(login("  ", "https://www.example.com/x", "")).unwrap();
        assert_eq!(i.title, "example.com");
        assert_eq!(i.username, "alice");
        assert!(normalize(Item::default()).is_none());
        let note = normalize(Item {
            notes: "n".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (note.item_type.as_str(), note.title.as_str()),
            ("note", "Untitled note")
        );
    }

    #[test]
    fn totp_secrets_become_uris_and_bad_ones_are_kept_hidden() {
        let i = normalize(login("GitHub", "https://github.com", "JBSW Y3DP EHPK 3PXP")).unwrap();
        assert!(
            i.totp
                .starts_with("otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP"),
            "{}",
            i.totp
        );
        let uri = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer=X";
        assert_eq!(normalize(login("a", "b.c", uri)).unwrap().totp, uri);
        let bad = normalize(login("a", "b.c", "steam://ABC!")).unwrap();
        assert!(bad.totp.is_empty());
        assert_eq!(bad.fields[0].label, UNUSABLE_TOTP_LABEL);
        assert!(bad.fields[0].hidden);
        assert_eq!(bad.fields[0].value, "steam://ABC!");
    }
}
