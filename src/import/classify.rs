//! Scope classification (SPEC section 11): an entry's first URL →
//! registrable domain → one of 13 categories, each becoming a scope of the
//! same name. No network: a built-in table of well-known domains
//! ([`super::domains`]) and a few rules, in this order:
//!
//! 1. the host or one of its parent domains is in the table
//!    (`mail.google.com` → email before `google.com` → developer…);
//! 2. public-sector suffixes → government (`.gov`, `.mil`, `.gov.uk`,
//!    `.gouv.fr`, `.gc.ca`, `.gob.es`, `.govt.nz`, …);
//! 3. academic suffixes → work (`.edu`, `.ac.uk`, `.edu.au`, …): a school
//!    account is an institutional account, like an employer's;
//! 4. words in the registrable name (`bank`, `credit` → finance; `mail` →
//!    email; `shop`, `store` → shopping; `hotel`, `air` lines → travel; …);
//! 5. otherwise, or without a URL → other.

use super::domains::{self, MULTI_LABEL_SUFFIXES};

/// The 13 categories; each maps to a scope of the same (lower-case) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Finance,
    Shopping,
    Social,
    Email,
    Work,
    Developer,
    Cloud,
    Entertainment,
    Travel,
    Health,
    Government,
    Utilities,
    Other,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 13] = [
        Category::Finance,
        Category::Shopping,
        Category::Social,
        Category::Email,
        Category::Work,
        Category::Developer,
        Category::Cloud,
        Category::Entertainment,
        Category::Travel,
        Category::Health,
        Category::Government,
        Category::Utilities,
        Category::Other,
    ];

    /// The category's name, which is also its scope's name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Finance => "finance",
            Category::Shopping => "shopping",
            Category::Social => "social",
            Category::Email => "email",
            Category::Work => "work",
            Category::Developer => "developer",
            Category::Cloud => "cloud",
            Category::Entertainment => "entertainment",
            Category::Travel => "travel",
            Category::Health => "health",
            Category::Government => "government",
            Category::Utilities => "utilities",
            Category::Other => "other",
        }
    }
}

/// The host of a URL, lower-cased, without port, user info or trailing dot.
/// Accepts URLs without a scheme (`example.com/login`). `None` for
/// anything without a plausible host (app URIs like `androidapp://…` keep
/// theirs; an empty or space-containing value has none).
pub fn host_of(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let plausible = !host.is_empty()
        && !host.contains(char::is_whitespace)
        && (host.contains('.') || host.contains(':') || url.contains("://"));
    plausible.then_some(host)
}

/// The host with a leading `www.` removed (used as a dedup key part).
pub fn site_of(url: &str) -> Option<String> {
    host_of(url).map(|h| h.strip_prefix("www.").map(str::to_string).unwrap_or(h))
}

/// True when `host` is `suffix` or ends with `.suffix`.
fn ends_with_label(host: &str, suffix: &str) -> bool {
    host == suffix
        || host
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// The public suffix of a host from the built-in list (one label unless a
/// known multi-label suffix such as `co.uk` matches).
fn suffix_len(labels: &[&str]) -> usize {
    let n = labels.len();
    for take in [3usize, 2] {
        if n > take {
            let candidate = labels[n - take..].join(".");
            if MULTI_LABEL_SUFFIXES.contains(&candidate.as_str()) {
                return take;
            }
        }
    }
    1
}

/// The registrable domain (`bbc.co.uk` of `www.bbc.co.uk`). IP addresses
/// and single labels are returned unchanged.
pub fn registrable(host: &str) -> String {
    if is_ip(host) {
        return host.to_string();
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let keep = (suffix_len(&labels) + 1).min(labels.len());
    labels[labels.len() - keep..].join(".")
}

/// The category of an entry from its URLs (the first one with a host).
pub fn category(urls: &[String]) -> Category {
    urls.iter()
        .find_map(|u| host_of(u))
        .map(|h| category_of_host(&h))
        .unwrap_or(Category::Other)
}

/// The category of one host (see the module documentation for the order).
pub fn category_of_host(host: &str) -> Category {
    if is_ip(host) || !host.contains('.') {
        return Category::Other;
    }
    let reg = registrable(host);
    // 1. The host, then each parent down to the registrable domain.
    let mut h = host;
    loop {
        if let Some(c) = domains::lookup(h) {
            return c;
        }
        if h.len() <= reg.len() {
            break;
        }
        match h.split_once('.') {
            Some((_, parent)) => h = parent,
            None => break,
        }
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let tld = labels[n - 1];
    // The label under a two-letter country code: `gov` of `gov.br`, `ac` of `ac.uk`.
    let sld = if n >= 3 && tld.len() == 2 {
        labels[n - 2]
    } else {
        ""
    };
    // 2. Public sector.
    if matches!(tld, "gov" | "mil")
        || matches!(sld, "gov" | "gouv" | "gob" | "govt" | "mil" | "gv" | "go")
        || domains::GOVERNMENT_SUFFIXES
            .iter()
            .any(|s| ends_with_label(host, s))
    {
        return Category::Government;
    }
    // 3. Academia.
    if tld == "edu" || matches!(sld, "edu" | "ac") {
        return Category::Work;
    }
    // 4. Words in the registrable name (without its suffix).
    let name = reg.split('.').next().unwrap_or("");
    for (words, cat) in domains::KEYWORDS {
        if words.iter().any(|w| name.contains(w)) {
            return *cat;
        }
    }
    if tld == "dev" {
        return Category::Developer;
    }
    Category::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_from_urls() {
        assert_eq!(
            host_of("https://user@Sub.Example.COM:8443/x?y").unwrap(),
            "sub.example.com"
        );
        assert_eq!(host_of("example.com/login").unwrap(), "example.com");
        assert_eq!(host_of("http://[::1]:80/").unwrap(), "::1");
        assert_eq!(site_of("https://www.github.com/").unwrap(), "github.com");
        assert!(host_of("").is_none());
        assert!(host_of("not a url").is_none());
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(registrable("a.b.example.com"), "example.com");
        assert_eq!(registrable("example.com.au"), "example.com.au");
        assert_eq!(registrable("co.uk"), "co.uk");
        assert_eq!(registrable("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn categories_by_table_rules_and_words() {
        let c = |u: &str| category(&[u.to_string()]).name();
        assert_eq!(c("https://github.com/login"), "developer");
        assert_eq!(c("https://mail.google.com"), "email");
        assert_eq!(c("https://www.amazon.co.uk"), "shopping");
        assert_eq!(c("https://aws.amazon.com/console"), "cloud");
        assert_eq!(c("https://www.irs.gov"), "government");
        assert_eq!(c("https://www.tax.service.gov.uk"), "government");
        assert_eq!(c("https://impots.gouv.fr"), "government");
        assert_eq!(c("https://canvas.harvard.edu"), "work");
        assert_eq!(c("https://www.ox.ac.uk"), "work");
        assert_eq!(c("https://online.mylocalbank.com"), "finance");
        assert_eq!(c("https://portal.greencreditunion.org"), "finance");
        assert_eq!(c("https://example.com"), "other");
        assert_eq!(c("https://192.168.1.1/admin"), "other");
        assert_eq!(category(&[]).name(), "other");
        assert_eq!(Category::ALL.len(), 13);
    }
}
