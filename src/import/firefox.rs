//! Firefox: `url,username,password,httpRealm,formActionOrigin,guid,
//! timeCreated,timeLastUsed,timePasswordChanged` (times in epoch
//! milliseconds). Older exports (the Password Exporter add-on) say
//! `hostname` and `formSubmitURL`. Rows for `chrome://` URLs are Firefox's
//! own account data, not website logins: they are skipped and reported
//! (the Firefox Accounts row is often malformed, so this happens before the
//! width check). An HTTP-auth realm is kept as a custom field. Firefox has
//! no titles: the site becomes the title.

use super::normalize;
use super::table::{self, Row, Table};
use super::{Confidence, CustomField, ImportError, Importer, Input, Item, Parsed};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&FirefoxCsv];

/// Firefox's password CSV.
pub struct FirefoxCsv;

const URL: [&str; 2] = ["url", "hostname"];
const MARKERS: [&str; 4] = ["httprealm", "formactionorigin", "formsubmiturl", "guid"];

impl Importer for FirefoxCsv {
    fn name(&self) -> &'static str {
        "firefox-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let Some(h) = table::header(input) else {
            return Confidence::No;
        };
        let has = |n: &str| h.iter().any(|c| c == n);
        let core = URL.iter().any(|u| has(u)) && has("username") && has("password");
        if core && MARKERS.iter().any(|m| has(m)) {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let t = table::read(input)?;
        if t.col(&URL).is_none() || !t.has_all(&["username", "password"]) {
            return Err(table::missing_columns(
                input.name,
                "Firefox CSV",
                &["url", "username", "password"],
            ));
        }
        let mut out = Parsed::default();
        for row in &t.rows {
            let url = row.get(t.col(&URL)).trim();
            if url
                .get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case("chrome://"))
            {
                out.skipped.push((
                    row.record(),
                    "Firefox's own account data (chrome:// URL), not a website login".into(),
                ));
                continue;
            }
            if table::check_row(&t, row, input.name, skip_invalid, &mut out.skipped)? {
                normalize::push_item(&mut out, || row.record(), to_item(&t, row));
            }
        }
        Ok(out)
    }
}

fn to_item(t: &Table, row: &Row) -> Item {
    let get = |n: &[&str]| row.get(t.col(n)).to_string();
    let realm = get(&["httprealm"]);
    let mut fields = Vec::new();
    if !realm.trim().is_empty() {
        fields.push(CustomField {
            label: "HTTP realm".into(),
            value: realm,
            hidden: false,
        });
    }
    let changed = epoch_ms(&get(&["timepasswordchanged"]));
    let created = epoch_ms(&get(&["timecreated"]));
    Item {
        item_type: "login".into(),
        urls: vec![get(&URL)],
        username: get(&["username"]),
        password: get(&["password"]),
        fields,
        created_at: created.clone(),
        updated_at: changed.or(created),
        source: "firefox-csv".into(),
        ..Default::default()
    }
}

/// RFC 3339 from epoch milliseconds; `None` for anything else.
fn epoch_ms(s: &str) -> Option<String> {
    let ms: u64 = s.trim().parse().ok()?;
    let t = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms))?;
    Some(humantime::format_rfc3339_millis(t).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_rows_are_skipped_before_the_width_check() {
        let text = "url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,timePasswordChanged\n\
                    \"chrome://FirefoxAccounts\",x,\"{\"\"a\"\":\"\"b\",\"\"c\"\"}\",r,,g,1,1,1\n\
                    https://example.com,foo,bar,,,{g},1612345678900,1612345678900,1612345678900\n";
        let p = FirefoxCsv
            .parse(
                &Input {
                    name: "f.csv",
                    bytes: text.as_bytes(),
                },
                false,
            )
            .unwrap();
        assert_eq!((p.items.len(), p.skipped.len()), (1, 1));
        assert_eq!(
            p.items[0].updated_at.as_deref(),
            Some("2021-02-03T09:47:58.900Z")
        );
        assert!(p.items[0].title.is_empty());
    }
}
