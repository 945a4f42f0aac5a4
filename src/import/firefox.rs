//! Firefox: `url,username,password,httpRealm,formActionOrigin,guid,
//! timeCreated,timeLastUsed,timePasswordChanged` (times in epoch
//! milliseconds). Older exports (the Password Exporter add-on) say
//! `hostname` and `formSubmitURL`. Rows for `chrome://` URLs are Firefox's
//! own account data, not website logins: they are skipped and reported
//! (the Firefox Accounts row is often malformed, so this happens before the
//! width check). An HTTP-auth realm is kept as a custom field. Firefox has
//! no titles: the site becomes the title.

use super::read::{header, rfc3339_millis, Row, Shape, Sink, Table};
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
        let Some(h) = header(input) else {
            return Confidence::No;
        };
        let has = |n: &str| h.has(n);
        let core = URL.iter().any(|u| has(u)) && has("username") && has("password");
        if core && MARKERS.iter().any(|m| has(m)) {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        // Older exports say `hostname` where Firefox 79+ says `url`.
        let old = header(input).is_some_and(|h| h.has("hostname") && !h.has("url"));
        let url = if old { "hostname" } else { "url" };
        let mut out = Sink::new(input.name, skip_invalid);
        let t = out.read_table(
            input,
            Shape::Rectangular,
            &[url, "username", "password"],
            "Firefox CSV",
        )?;
        for row in &t.rows {
            let url = row.get(t.col(&URL)).trim();
            if url
                .get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case("chrome://"))
            {
                out.skip(
                    row.record(),
                    "Firefox's own account data (chrome:// URL), not a website login",
                );
                continue;
            }
            if out.accept(&t, row)? {
                out.push_record(|| row.record(), to_item(&t, row));
            }
        }
        Ok(out.finish())
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
    rfc3339_millis(s.trim().parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (`import_firefox_csv`): a time past year 9999 made
    /// humantime's formatting fail, and `to_string` panicked.
    #[test]
    fn times_past_year_9999_are_unknown_not_a_panic() {
        assert_eq!(epoch_ms("1700000050000000000"), None);
        assert_eq!(
            epoch_ms("253402300799999").as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        assert_eq!(epoch_ms("253402300800000"), None);
        assert_eq!(
            epoch_ms("1600000000000").as_deref(),
            Some("2020-09-13T12:26:40.000Z")
        );
        let text = "url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,timePasswordChanged\n\
                    https://example.com,u,p,,https://example.com,{g},1600000000000,1600000000000,1700000050000000000\n";
        let input = Input {
            name: "logins.csv",
            bytes: text.as_bytes(),
        };
        let items = FirefoxCsv.parse(&input, false).unwrap().items;
        assert_eq!(
            items[0].created_at.as_deref(),
            Some("2020-09-13T12:26:40.000Z")
        );
        assert_eq!(items[0].updated_at, items[0].created_at);
    }

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
