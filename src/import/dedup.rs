//! Duplicates (SPEC section 11). Two items are the same credential when
//! they have the same type, title and username (both compared trimmed and
//! case-insensitively) and the same host of their first URL (`www.`
//! ignored). Within one import such items are merged: the newer
//! `updated_at` wins, the URLs are the union, and the winner's empty notes,
//! e-mail, password, TOTP and folder are filled from the other.
//!
//! An item with neither username nor URL (a secure note, a card) has a weak
//! key — just its title — so within one file it is merged only with an
//! item of identical content: two different notes that happen to share a
//! title are both kept. Against entries already in the vault the key alone
//! decides (see `cli::import`), so re-importing a file or an export never
//! duplicates.

use std::collections::HashMap;

use super::classify::site_of;
use super::Item;
use crate::fieldspec;

/// The duplicate key of a credential from its parts.
pub fn key(item_type: &str, title: &str, username: &str, first_url: Option<&str>) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        item_type,
        title.trim().to_lowercase(),
        username.trim().to_lowercase(),
        first_url.and_then(site_of).unwrap_or_default()
    )
}

/// The username that ends up in the entry's L1 `username` field: the
/// item's, when its type has that field in FIELD_SPEC; else none (it
/// becomes a custom field). Entry summaries carry exactly that value, so
/// items and existing entries compare alike.
pub fn key_username(i: &Item) -> &str {
    match fieldspec::entry_type(&i.item_type).and_then(|t| t.field("username")) {
        Some(_) => &i.username,
        None => "",
    }
}

/// The duplicate key of an item.
pub fn item_key(i: &Item) -> String {
    key(
        &i.item_type,
        &i.title,
        key_username(i),
        i.urls.first().map(String::as_str),
    )
}

/// True when the key says little: no username and no URL host.
fn weak(i: &Item) -> bool {
    key_username(i).trim().is_empty() && i.urls.first().and_then(|u| site_of(u)).is_none()
}

/// A digest of an item's content (everything but timestamps and source).
fn content_digest(i: &Item) -> String {
    let mut c = i.clone();
    c.created_at = None;
    c.updated_at = None;
    c.source.clear();
    let bytes = serde_json::to_vec(&c).expect("items serialize");
    crate::crypto::hex(&crate::crypto::sha256(&bytes))
}

/// Merges duplicates within one import. Each item travels with a label
/// (its record name); the first occurrence keeps its place and label.
/// Returns the items and how many were merged away.
pub fn merge_in_file<L>(items: Vec<(L, Item)>) -> (Vec<(L, Item)>, usize) {
    let mut out: Vec<(L, Item)> = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(items.len());
    let mut merged = 0;
    for (label, item) in items {
        let mut k = item_key(&item);
        if weak(&item) {
            k.push('\u{1f}');
            k.push_str(&content_digest(&item));
        }
        match seen.get(&k) {
            Some(&at) => {
                let kept = std::mem::take(&mut out[at].1);
                out[at].1 = merge(kept, item);
                merged += 1;
            }
            None => {
                seen.insert(k, out.len());
                out.push((label, item));
            }
        }
    }
    (out, merged)
}

/// Merges two duplicates: the newer wins (the earlier one on a tie), the
/// loser fills the winner's gaps.
pub fn merge(first: Item, second: Item) -> Item {
    let (mut win, lose) = if is_newer(second.updated_at.as_deref(), first.updated_at.as_deref()) {
        (second, first)
    } else {
        (first, second)
    };
    for u in lose.urls {
        if !win.urls.contains(&u) {
            win.urls.push(u);
        }
    }
    let fill = |a: &mut String, b: String| {
        if a.is_empty() {
            *a = b;
        }
    };
    fill(&mut win.notes, lose.notes);
    fill(&mut win.email, lose.email);
    fill(&mut win.password, lose.password);
    fill(&mut win.totp, lose.totp);
    fill(&mut win.folder, lose.folder);
    for f in lose.fields {
        if !win.fields.contains(&f) {
            win.fields.push(f);
        }
    }
    win
}

/// True when timestamp `a` is known and strictly later than `b` (an
/// unknown `b` counts as older, an unknown `a` never wins).
pub fn is_newer(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.and_then(parse_time), b.and_then(parse_time)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Milliseconds since the epoch from RFC 3339 (`Z` or `±hh:mm`, optional
/// fraction, `T` or space), a bare date, or epoch seconds/milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return Some(if s.len() >= 12 {
            n
        } else {
            n.saturating_mul(1000)
        });
    }
    let (mut body, offset_min) = split_offset(s)?;
    let with_time;
    if body.len() == 10 {
        with_time = format!("{body}T00:00:00");
        body = &with_time;
    }
    let t = humantime::parse_rfc3339_weak(body).ok()?;
    let ms = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as i64;
    Some(ms - offset_min * 60_000)
}

/// Splits a trailing `Z`, `+hh:mm`, `-hh:mm` or `+hhmm` from a timestamp.
fn split_offset(s: &str) -> Option<(&str, i64)> {
    if let Some(b) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return Some((b, 0));
    }
    // An offset sign comes after the time part (position > 10 skips the date's dashes).
    let at = s.rfind(['+', '-']).filter(|&i| i > 10);
    let Some(at) = at else {
        return Some((s, 0));
    };
    let digits: String = s[at + 1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = digits[2..].parse().ok()?;
    let sign = if &s[at..at + 1] == "-" { -1 } else { 1 };
    Some((&s[..at], sign * (h * 60 + m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, user: &str, url: &str, updated: Option<&str>) -> Item {
        Item {
            item_type: "login".into(),
            title: title.into(),
            username: user.into(),
            urls: if url.is_empty() {
                vec![]
            } else {
                vec![url.into()]
            },
            updated_at: updated.map(str::to_string),
            ..Default::default()
        }
    }

    /// The cases the web import is tested against too (tests/browser/import.test.mjs).
    #[test]
    fn keys_match_the_shared_vectors() {
        let doc: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/browser/import-dedup-vectors.json"
        ))
        .unwrap();
        let cases = doc["cases"].as_array().unwrap();
        assert!(cases.len() >= 8);
        for case in cases {
            let i = &case["item"];
            let item = Item {
                item_type: i["type"].as_str().unwrap().into(),
                title: i["title"].as_str().unwrap().into(),
                username: i["username"].as_str().unwrap().into(),
                urls: serde_json::from_value(i["urls"].clone()).unwrap(),
                ..Default::default()
            };
            assert_eq!(item_key(&item), case["key"].as_str().unwrap(), "{case}");
        }
    }

    #[test]
    fn times_parse_in_every_common_shape() {
        let z = parse_time("2024-01-02T03:04:05Z").unwrap();
        assert_eq!(parse_time("2024-01-02T03:04:05.000Z"), Some(z));
        assert_eq!(parse_time("2024-01-02T05:04:05+02:00"), Some(z));
        assert_eq!(parse_time("2024-01-01T22:04:05-0500"), Some(z));
        assert_eq!(parse_time("2024-01-02 03:04:05"), Some(z));
        assert_eq!(parse_time(&(z / 1000).to_string()), Some(z));
        assert_eq!(parse_time(&z.to_string()), Some(z));
        assert!(parse_time("2024-01-02").is_some());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn newer_wins_and_urls_are_united() {
        let mut a = item(
            "GitHub",
            "alice",
            "https://github.com/login",
            Some("2020-01-01T00:00:00Z"),
        );
        a.password = "old".into();
        a.notes = "keep me".into();
        let mut b = item(
            " github ",
            "ALICE",
            "https://www.github.com/",
            Some("2023-01-01T00:00:00Z"),
        );
        b.password = "new".into();
        let c = item("GitHub", "bob", "https://github.com", None);
        let (out, merged) = merge_in_file(vec![((), a), ((), b), ((), c)]);
        let out: Vec<Item> = out.into_iter().map(|(_, i)| i).collect();
        assert_eq!((out.len(), merged), (2, 1));
        assert_eq!(out[0].password, "new");
        assert_eq!(out[0].notes, "keep me");
        assert_eq!(out[0].urls.len(), 2);
        assert_eq!(out[1].username, "bob");
    }

    #[test]
    fn notes_with_the_same_title_merge_only_when_identical() {
        let note = |text: &str| Item {
            item_type: "note".into(),
            title: "Codes".into(),
            notes: text.into(),
            ..Default::default()
        };
        let (out, merged) = merge_in_file(vec![(1, note("a")), (2, note("b")), (3, note("a"))]);
        assert_eq!(out[1].0, 2);
        assert_eq!((out.len(), merged), (2, 1));
    }

    #[test]
    fn unknown_times_never_win() {
        assert!(!is_newer(None, Some("2020-01-01T00:00:00Z")));
        assert!(!is_newer(None, None));
        assert!(is_newer(Some("2020-01-01T00:00:00Z"), None));
    }
}
