//! The built-in data behind [`super::classify`]: well-known domains per
//! category, multi-label public suffixes, public-sector suffixes and the
//! name words of the fallback rule. Plain data, reviewed by reading;
//! a domain listed under two categories takes the first (a unit test
//! forbids it).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::classify::Category::{self, *};

/// Public suffixes of more than one label (the common ones; anything else
/// is treated as a one-label suffix, which only matters for the rarer
/// country-code second levels).
#[rustfmt::skip]
pub static MULTI_LABEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "sch.uk", "ac.uk", "gov.uk",
    "nhs.uk", "police.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
    "co.nz", "net.nz", "org.nz", "govt.nz", "ac.nz", "school.nz", "co.jp", "ne.jp", "or.jp",
    "go.jp", "ac.jp", "ad.jp", "ed.jp", "gr.jp", "lg.jp", "co.kr", "or.kr", "go.kr", "ac.kr",
    "ne.kr", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "com.hk", "org.hk",
    "gov.hk", "edu.hk", "net.hk", "com.tw", "org.tw", "gov.tw", "edu.tw", "net.tw", "com.sg",
    "org.sg", "gov.sg", "edu.sg", "net.sg", "com.my", "gov.my", "edu.my", "org.my", "com.ph",
    "gov.ph", "edu.ph", "co.th", "go.th", "ac.th", "or.th", "in.th", "co.id", "go.id", "ac.id",
    "or.id", "web.id", "com.vn", "gov.vn", "edu.vn", "co.in", "net.in", "org.in", "gov.in",
    "ac.in", "edu.in", "nic.in", "firm.in", "gen.in", "ind.in", "com.pk", "gov.pk", "edu.pk",
    "com.bd", "gov.bd", "com.np", "com.lk", "gov.lk", "co.za", "gov.za", "ac.za", "org.za",
    "net.za", "co.ke", "go.ke", "ac.ke", "com.ng", "gov.ng", "edu.ng", "com.eg", "gov.eg",
    "co.ma", "gov.ma", "co.tz", "co.ug", "com.gh", "gov.gh", "co.zw", "com.br", "gov.br",
    "edu.br", "org.br", "net.br", "com.ar", "gob.ar", "gov.ar", "edu.ar", "org.ar", "com.mx",
    "gob.mx", "edu.mx", "org.mx", "com.co", "gov.co", "edu.co", "com.pe", "gob.pe", "edu.pe",
    "cl.cl", "gob.cl", "com.ve", "gob.ve", "com.ec", "gob.ec", "com.uy", "gub.uy", "com.py",
    "gov.py", "com.bo", "gob.bo", "com.tr", "gov.tr", "edu.tr", "org.tr", "net.tr", "bel.tr",
    "co.il", "gov.il", "ac.il", "org.il", "muni.il", "com.sa", "gov.sa", "edu.sa", "com.ae",
    "gov.ae", "ac.ae", "com.qa", "gov.qa", "com.kw", "gov.kw", "com.bh", "com.om", "gov.om",
    "com.jo", "gov.jo", "com.lb", "gov.lb", "com.cy", "gov.cy", "com.gr", "gov.gr", "com.pl",
    "gov.pl", "edu.pl", "org.pl", "net.pl", "co.at", "or.at", "gv.at", "ac.at", "com.es",
    "gob.es", "org.es", "edu.es", "com.pt", "gov.pt", "gouv.fr", "asso.fr", "com.fr", "co.it",
    "gov.it", "com.ru", "gov.ru", "org.ru", "com.ua", "gov.ua", "org.ua", "co.ua", "com.by",
    "gov.by", "com.kz", "gov.kz", "co.hu", "gov.hu", "com.ro", "gov.ro", "co.rs", "gov.rs",
    "com.hr", "gov.hr", "com.mt", "gov.mt", "gc.ca", "gov.on.ca", "gov.bc.ca", "qc.ca",
    "on.ca", "bc.ca", "ab.ca", "admin.ch", "bund.de", "gv.at", "gov.ie", "gov.is", "gov.scot",
    "gov.wales", "llyw.cymru", "europa.eu", "ac.be", "fgov.be", "gov.be", "co.no", "gov.no",
    "priv.no", "co.dk", "gov.dk", "gov.fi", "gov.se", "gov.ee", "gov.lv", "gov.lt",
];

/// Suffixes of public-sector sites beyond `.gov`, `.mil` and the
/// `gov`/`gouv`/`gob`/`govt`/`go` second levels under country codes.
#[rustfmt::skip]
pub static GOVERNMENT_SUFFIXES: &[&str] = &[
    "gc.ca", "canada.ca", "gov.on.ca", "gov.bc.ca", "admin.ch", "bund.de", "europa.eu",
    "fgov.be", "gov.scot", "gov.wales", "llyw.cymru", "service-public.fr", "nhs.uk",
    "police.uk", "overheid.nl", "rijksoverheid.nl", "belastingdienst.nl", "digid.nl",
    "regjeringen.no", "skatteetaten.no", "skatteverket.se", "borger.dk", "skat.dk",
    "suomi.fi", "vero.fi", "elster.de", "ato.gov.au", "mygov.au", "my.gov.au", "int",
];

/// Words in a registrable name (suffix removed), tried in order when no
/// table entry matched.
#[rustfmt::skip]
pub static KEYWORDS: &[(&[&str], Category)] = &[
    (
        &["bank", "credit", "invest", "financ", "loan", "mortgage", "brokerage", "trading",
          "insurance", "wealth", "savings", "fintech", "capitalone", "tax"],
        Finance,
    ),
    (
        &["health", "clinic", "hospital", "pharma", "medic", "dental", "doctor", "patient",
          "wellness", "therapy", "optical"],
        Health,
    ),
    (&["webmail", "mail"], Email),
    (
        &["airline", "airways", "hotel", "travel", "flight", "booking", "vacation", "cruise",
          "rail", "trip", "rental", "resort"],
        Travel,
    ),
    (
        &["shop", "store", "market", "mall", "outlet", "boutique", "deals", "buy"],
        Shopping,
    ),
    (
        &["game", "gaming", "music", "movie", "cinema", "stream", "radio", "video",
          "anime", "comic", "casino"],
        Entertainment,
    ),
    (
        &["cloud", "hosting", "server", "vps", "cdn", "domain", "dns"],
        Cloud,
    ),
    (&["github", "gitlab", "git", "docker", "npm", "devops"], Developer),
    (
        &["energy", "electric", "power", "water", "utility", "utilities", "telecom", "mobile",
          "wireless", "broadband", "fiber", "fibre", "internet"],
        Utilities,
    ),
    (&["forum", "social", "community", "chat", "dating"], Social),
];

#[rustfmt::skip]
const FINANCE: &[&str] = &[
    "paypal.com", "paypal.me", "venmo.com", "cash.app", "squareup.com", "stripe.com",
    "wise.com", "transferwise.com", "revolut.com", "monzo.com", "starlingbank.com", "n26.com",
    "chase.com", "bankofamerica.com", "wellsfargo.com", "citi.com", "citibank.com",
    "capitalone.com", "usbank.com", "pnc.com", "truist.com", "tdbank.com", "ally.com",
    "discover.com", "americanexpress.com", "amex.com", "schwab.com", "fidelity.com",
    "vanguard.com", "etrade.com", "robinhood.com", "interactivebrokers.com", "sofi.com",
    "chime.com", "mint.com", "creditkarma.com", "experian.com", "equifax.com",
    "transunion.com", "coinbase.com", "kraken.com", "binance.com", "gemini.com",
    "crypto.com", "blockchain.com", "ledger.com", "metamask.io", "hsbc.com", "hsbc.co.uk",
    "barclays.co.uk", "barclays.com", "lloydsbank.com", "natwest.com", "santander.co.uk",
    "santander.com", "halifax.co.uk", "nationwide.co.uk", "rbs.co.uk", "tsb.co.uk",
    "firstdirect.com", "ing.com", "ing.nl", "ing.de", "abnamro.nl", "rabobank.nl", "bunq.com",
    "deutsche-bank.de", "db.com", "commerzbank.de", "sparkasse.de", "dkb.de", "comdirect.de",
    "bnpparibas.com", "bnpparibas.net", "societegenerale.fr", "credit-agricole.fr",
    "ubs.com", "credit-suisse.com", "postfinance.ch", "nordea.com", "danskebank.com",
    "seb.se", "swedbank.se", "rbc.com", "rbcroyalbank.com", "td.com", "scotiabank.com",
    "bmo.com", "cibc.com", "tangerine.ca", "questrade.com", "wealthsimple.com",
    "commbank.com.au", "westpac.com.au", "anz.com", "anz.com.au", "nab.com.au", "asb.co.nz",
    "kiwibank.co.nz", "icicibank.com", "hdfcbank.com", "sbi.co.in", "axisbank.com",
    "paytm.com", "mercadopago.com", "nubank.com.br", "itau.com.br", "bradesco.com.br",
    "klarna.com", "afterpay.com", "affirm.com", "quickbooks.intuit.com", "turbotax.intuit.com",
    "intuit.com", "hrblock.com", "xero.com", "freshbooks.com", "ynab.com", "plaid.com",
    "visa.com", "mastercard.com", "zelle.com", "westernunion.com", "moneygram.com",
    "payoneer.com", "skrill.com", "alipay.com", "tradingview.com", "etoro.com", "degiro.com",
    "trading212.com", "morganstanley.com", "goldmansachs.com", "marcus.com", "jpmorgan.com",
];

#[rustfmt::skip]
const SHOPPING: &[&str] = &[
    "amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.it", "amazon.es",
    "amazon.ca", "amazon.com.au", "amazon.co.jp", "amazon.in", "amazon.nl", "amazon.com.br",
    "amazon.com.mx", "ebay.com", "ebay.co.uk", "ebay.de", "etsy.com", "walmart.com",
    "target.com", "bestbuy.com", "costco.com", "homedepot.com", "lowes.com", "ikea.com",
    "wayfair.com", "aliexpress.com", "alibaba.com", "temu.com", "shein.com", "wish.com",
    "zalando.com", "zalando.de", "asos.com", "hm.com", "zara.com", "uniqlo.com", "nike.com",
    "adidas.com", "macys.com", "nordstrom.com", "kohls.com", "sephora.com", "ulta.com",
    "newegg.com", "bhphotovideo.com", "rakuten.com", "rakuten.co.jp", "mercadolibre.com",
    "flipkart.com", "argos.co.uk", "tesco.com", "sainsburys.co.uk", "asda.com",
    "johnlewis.com", "marksandspencer.com", "otto.de", "bol.com", "coolblue.nl",
    "allegro.pl", "instacart.com", "chewy.com", "overstock.com", "zappos.com", "gap.com",
    "shopify.com", "bigcommerce.com", "woocommerce.com", "groupon.com", "kroger.com",
    "samsclub.com", "dell.com", "lenovo.com", "hp.com", "apple.com",
    "gumroad.com", "poshmark.com", "vinted.com", "depop.com", "craigslist.org",
    "kijiji.ca", "gumtree.com", "leboncoin.fr", "idealo.de", "jd.com", "taobao.com",
    "tmall.com", "coupang.com", "lazada.com", "shopee.com", "noon.com", "takealot.com",
];

#[rustfmt::skip]
const SOCIAL: &[&str] = &[
    "facebook.com", "fb.com", "instagram.com", "twitter.com", "x.com", "threads.net",
    "linkedin.com", "reddit.com", "tiktok.com", "snapchat.com", "pinterest.com",
    "tumblr.com", "discord.com", "discord.gg", "whatsapp.com", "telegram.org", "web.telegram.org",
    "signal.org", "messenger.com", "mastodon.social", "bsky.app", "bsky.social", "quora.com",
    "medium.com", "substack.com", "vk.com", "weibo.com", "wechat.com", "line.me", "kakao.com",
    "meetup.com", "nextdoor.com", "tinder.com", "bumble.com", "hinge.co", "match.com",
    "okcupid.com", "flickr.com", "deviantart.com", "behance.net", "dribbble.com",
    "goodreads.com", "strava.com", "letterboxd.com", "myspace.com", "xing.com",
    "stackexchange.com", "stackoverflow.com", "producthunt.com", "news.ycombinator.com",
    "slashdot.org", "disqus.com", "patreon.com", "onlyfans.com", "clubhouse.com", "skype.com",
    "viber.com", "imgur.com", "9gag.com", "vimeo.com",
];

#[rustfmt::skip]
const EMAIL: &[&str] = &[
    "gmail.com", "mail.google.com", "google.com", "accounts.google.com", "outlook.com", "outlook.live.com", "hotmail.com",
    "live.com", "msn.com", "yahoo.com", "mail.yahoo.com", "ymail.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "protonmail.ch",
    "tutanota.com", "tuta.com", "tuta.io", "fastmail.com", "fastmail.fm", "zoho.com",
    "mail.zoho.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "mail.ru",
    "yandex.com", "yandex.ru", "hey.com", "mailbox.org", "posteo.de", "runbox.com",
    "startmail.com", "hushmail.com", "zohomail.com", "laposte.net", "orange.fr", "free.fr",
    "libero.it", "virgilio.it", "seznam.cz", "wp.pl", "onet.pl", "interia.pl", "rediffmail.com",
    "163.com", "126.com", "qq.com", "naver.com", "daum.net", "rambler.ru", "inbox.com",
    "mail.com", "email.com", "titan.email", "migadu.com", "purelymail.com", "simplelogin.io",
    "anonaddy.com", "addy.io", "duck.com",
];

#[rustfmt::skip]
const WORK: &[&str] = &[
    "slack.com", "zoom.us", "teams.microsoft.com", "office.com", "office365.com",
    "microsoft365.com", "sharepoint.com", "onedrive.live.com", "workspace.google.com",
    "docs.google.com", "calendar.google.com", "notion.so", "notion.com", "atlassian.com",
    "atlassian.net", "trello.com", "asana.com", "monday.com", "clickup.com", "basecamp.com",
    "airtable.com", "miro.com", "figma.com", "canva.com", "salesforce.com", "force.com",
    "hubspot.com", "zendesk.com", "freshdesk.com", "intercom.com", "servicenow.com",
    "workday.com", "myworkday.com", "adp.com", "gusto.com", "bamboohr.com", "rippling.com",
    "deel.com", "okta.com", "onelogin.com", "auth0.com", "docusign.com", "docusign.net",
    "adobesign.com", "adobe.com", "smartsheet.com", "webex.com", "gotomeeting.com",
    "calendly.com", "loom.com", "mailchimp.com", "sendgrid.com", "twilio.com",
    "upwork.com", "fiverr.com", "indeed.com", "glassdoor.com", "monster.com",
    "wrike.com", "teamviewer.com", "anydesk.com", "lastpass.com", "1password.com",
    "bitwarden.com", "dashlane.com", "keepersecurity.com", "evernote.com", "dropbox.com",
    "box.com", "coursera.org", "udemy.com", "edx.org", "khanacademy.org", "duolingo.com",
    "openai.com", "chatgpt.com", "claude.ai", "anthropic.com", "grammarly.com",
];

#[rustfmt::skip]
const DEVELOPER: &[&str] = &[
    "github.com", "gitlab.com", "bitbucket.org", "sourceforge.net", "codeberg.org",
    "npmjs.com", "pypi.org", "crates.io", "rubygems.org", "nuget.org", "packagist.org",
    "maven.org", "hub.docker.com", "docker.com", "quay.io", "jetbrains.com",
    "visualstudio.com", "code.visualstudio.com", "dev.azure.com", "circleci.com",
    "travis-ci.com", "travis-ci.org", "sentry.io", "datadoghq.com", "newrelic.com",
    "pagerduty.com", "grafana.com", "elastic.co", "postman.com", "swagger.io", "readthedocs.org",
    "readthedocs.io", "replit.com", "codepen.io", "codesandbox.io", "stackblitz.com",
    "glitch.com", "jsfiddle.net", "vercel.com", "netlify.com", "heroku.com", "render.com",
    "fly.io", "railway.app", "supabase.com", "firebase.google.com", "console.firebase.google.com",
    "mongodb.com", "redis.com", "planetscale.com", "neon.tech", "cockroachlabs.com",
    "snyk.io", "sonarcloud.io", "codecov.io", "launchdarkly.com", "hashicorp.com",
    "terraform.io", "developer.apple.com", "developer.android.com",
    "play.google.com", "expo.dev", "developers.google.com", "gitea.com",
    "huggingface.co", "kaggle.com", "leetcode.com", "hackerrank.com", "go.dev",
    "rust-lang.org", "python.org", "nodejs.org", "mozilla.org", "w3.org",
];

#[rustfmt::skip]
const CLOUD: &[&str] = &[
    "aws.amazon.com", "console.aws.amazon.com", "signin.aws.amazon.com", "amazonaws.com",
    "cloud.google.com", "appleid.apple.com", "microsoft.com", "account.microsoft.com", "console.cloud.google.com", "azure.com", "portal.azure.com",
    "azure.microsoft.com", "digitalocean.com", "linode.com", "akamai.com", "vultr.com",
    "hetzner.com", "hetzner.de", "ovh.com", "ovhcloud.com", "ovh.net", "scaleway.com",
    "cloudflare.com", "dash.cloudflare.com", "backblaze.com", "wasabi.com", "oracle.com",
    "cloud.oracle.com", "ibm.com", "cloud.ibm.com", "alibabacloud.com", "aliyun.com",
    "godaddy.com", "namecheap.com", "porkbun.com", "gandi.net", "hover.com",
    "domains.google", "name.com", "dynadot.com", "bluehost.com", "hostgator.com",
    "siteground.com", "dreamhost.com", "ionos.com", "ionos.de", "1and1.com", "wpengine.com",
    "kinsta.com", "squarespace.com", "wix.com", "wordpress.com", "icloud.com.cn",
    "drive.google.com", "one.google.com", "photos.google.com", "mega.nz", "mega.io",
    "pcloud.com", "sync.com", "tresorit.com", "idrive.com", "carbonite.com", "synology.com",
    "quickconnect.to", "nextcloud.com", "tailscale.com", "zerotier.com", "ngrok.com",
    "fastly.com", "bunny.net", "upcloud.com", "contabo.com", "rackspace.com",
];

#[rustfmt::skip]
const ENTERTAINMENT: &[&str] = &[
    "netflix.com", "hulu.com", "disneyplus.com", "disney.com", "hbomax.com", "max.com",
    "primevideo.com", "paramountplus.com", "peacocktv.com", "crunchyroll.com", "funimation.com",
    "youtube.com", "youtu.be", "twitch.tv", "spotify.com", "open.spotify.com",
    "music.apple.com", "tv.apple.com", "pandora.com", "soundcloud.com", "deezer.com",
    "tidal.com", "bandcamp.com", "audible.com", "audible.co.uk", "steampowered.com",
    "steamcommunity.com", "epicgames.com", "ea.com", "origin.com", "ubisoft.com",
    "ubi.com", "battle.net", "blizzard.com", "xbox.com", "playstation.com",
    "playstation.net", "sonyentertainmentnetwork.com", "nintendo.com", "nintendo.net",
    "gog.com", "humblebundle.com", "itch.io", "roblox.com", "minecraft.net", "mojang.com",
    "riotgames.com", "leagueoflegends.com", "rockstargames.com", "bethesda.net",
    "square-enix.com", "plex.tv", "emby.media", "jellyfin.org", "dazn.com", "espn.com",
    "nba.com", "nfl.com", "mlb.com", "sky.com", "nowtv.com", "bbc.co.uk", "itv.com",
    "channel4.com", "canalplus.com", "imdb.com", "ticketmaster.com",
    "livenation.com", "eventbrite.com", "fandango.com", "kindle.amazon.com", "scribd.com",
    "wattpad.com", "nytimes.com", "washingtonpost.com", "theguardian.com", "wsj.com",
    "economist.com", "ft.com", "bloomberg.com",
];

#[rustfmt::skip]
const TRAVEL: &[&str] = &[
    "booking.com", "expedia.com", "hotels.com", "airbnb.com", "vrbo.com", "tripadvisor.com",
    "kayak.com", "skyscanner.net", "skyscanner.com", "priceline.com", "agoda.com",
    "trivago.com", "hostelworld.com", "orbitz.com", "travelocity.com", "hopper.com",
    "marriott.com", "hilton.com", "hyatt.com", "ihg.com", "accor.com",
    "all.accor.com", "wyndhamhotels.com", "choicehotels.com", "bestwestern.com",
    "delta.com", "united.com", "aa.com", "southwest.com", "jetblue.com", "alaskaair.com",
    "spirit.com", "aircanada.com", "westjet.com", "britishairways.com", "ba.com",
    "lufthansa.com", "airfrance.com", "klm.com", "flyklm.com", "emirates.com",
    "qatarairways.com", "etihad.com", "singaporeair.com", "cathaypacific.com", "qantas.com",
    "virginatlantic.com", "virginaustralia.com", "ryanair.com", "easyjet.com", "wizzair.com",
    "vueling.com", "iberia.com", "turkishairlines.com", "swiss.com", "sas.se", "flysas.com",
    "norwegian.com", "finnair.com", "aeromexico.com", "latam.com", "avianca.com",
    "amtrak.com", "eurostar.com", "thetrainline.com", "trainline.com", "bahn.de", "sncf.com",
    "sncf-connect.com", "ns.nl", "sbb.ch", "trenitalia.com", "renfe.com", "viarail.ca",
    "greyhound.com", "flixbus.com", "uber.com", "lyft.com", "bolt.eu", "grab.com",
    "hertz.com", "avis.com", "enterprise.com", "sixt.com", "europcar.com", "budget.com",
    "nationalcar.com", "alamo.com", "turo.com", "getaround.com", 
    "seatguru.com", "tripit.com", "rome2rio.com",
];

#[rustfmt::skip]
const HEALTH: &[&str] = &[
    "mychart.com", "epic.com", "kaiserpermanente.org", "kp.org", "cvs.com", "walgreens.com",
    "riteaid.com", "express-scripts.com", "optumrx.com", "optum.com", "uhc.com",
    "unitedhealthcare.com", "aetna.com", "cigna.com", "anthem.com", "bcbs.com",
    "humana.com", "kaiser.org", "zocdoc.com", "teladoc.com", "goodrx.com", "23andme.com",
    "ancestry.com", "fitbit.com", "myfitnesspal.com", "garmin.com", "connect.garmin.com",
    "whoop.com", "ouraring.com", "headspace.com", "calm.com", "betterhelp.com",
    "talkspace.com", "hims.com", "ro.co", "nhs.uk", "patientaccess.com", "livongo.com",
    "onemedical.com", "doctolib.fr", "doctolib.de", "jameda.de", "babylonhealth.com",
    "healthline.com", "webmd.com", "mayoclinic.org", "clevelandclinic.org", "labcorp.com",
    "questdiagnostics.com", "delta-dental.com", "deltadental.com", "vsp.com", "eyemed.com",
    "peloton.com", "noom.com", "weightwatchers.com",
    "ww.com",
];

#[rustfmt::skip]
const UTILITIES: &[&str] = &[
    "att.com", "verizon.com", "t-mobile.com", "sprint.com", "xfinity.com", "comcast.com",
    "comcast.net", "spectrum.com", "spectrum.net", "cox.com", "centurylink.com",
    "frontier.com", "optimum.com", "mintmobile.com", "visible.com", "googlefi.com",
    "fi.google.com", "vodafone.com", "vodafone.co.uk", "vodafone.de", "ee.co.uk", "o2.co.uk",
    "three.co.uk", "bt.com", "virginmedia.com", "sky.co.uk", "talktalk.co.uk",
    "plus.net", "telekom.de", "telekom.com", "orange.com", "sfr.fr", "bouyguestelecom.fr",
    "telefonica.com", "movistar.es", "tim.it", "swisscom.ch", "kpn.com", "ziggo.nl",
    "telia.se", "telenor.no", "rogers.com", "bell.ca", "telus.com", "shaw.ca",
    "fido.ca", "koodomobile.com", "telstra.com.au", "optus.com.au", "spark.co.nz",
    "jio.com", "airtel.in", "pge.com", "sce.com", "coned.com", "duke-energy.com",
    "dominionenergy.com", "nationalgridus.com", "nationalgrid.com", "xcelenergy.com",
    "fpl.com", "georgiapower.com", "southerncompany.com", "aep.com", "exeloncorp.com",
    "comed.com", "peco.com", "bge.com", "pepco.com", "eversource.com", "octopus.energy",
    "britishgas.co.uk", "edfenergy.com", "eon.com", "eonenergy.com", "ovoenergy.com",
    "scottishpower.co.uk", "sse.co.uk", "edf.fr", "engie.com", "enel.it", "iberdrola.es",
    "vattenfall.com", "hydroone.com", "bchydro.com", "agl.com.au", "originenergy.com.au",
    "nest.com", "ring.com", "simplisafe.com", "adt.com", "starlink.com", "speedtest.net",
    "usps.com", "ups.com", "fedex.com", "dhl.com", "royalmail.com",
];

#[rustfmt::skip]
const GOVERNMENT: &[&str] = &[
    "login.gov", "id.me", "gov.uk", "canada.ca", "service-public.fr", "impots.gouv.fr",
    "ameli.fr", "franceconnect.gouv.fr", "elster.de", "bund.de", "digid.nl", "mijnoverheid.nl",
    "my.gov.au", "ird.govt.nz", "realme.govt.nz", "aadhaar.gov.in",
    "uidai.gov.in", "incometax.gov.in", "e-estonia.com", "eesti.ee", "suomi.fi",
    "skatteverket.se", "skat.dk", "borger.dk", "altinn.no", "europa.eu", "un.org",
    "who.int", "dvla.gov.uk", "hmrc.gov.uk", "irs.gov", "ssa.gov", "usa.gov", "state.gov",
    "dmv.org", "cra-arc.gc.ca", "servicecanada.gc.ca", "ato.gov.au",
    "mygovid.gov.au", "centrelink.gov.au", "gov.ie", "revenue.ie", "mygovid.ie",
    "ch.ch", "admin.ch", "spid.gov.it", "agenziaentrate.gov.it", "inps.it", "agenciatributaria.es",
    "seg-social.es", "portaldasfinancas.gov.pt", "gov.br", "sat.gob.mx",
];

/// The table as a map (built once).
fn table() -> &'static HashMap<&'static str, Category> {
    static TABLE: OnceLock<HashMap<&'static str, Category>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        #[rustfmt::skip]
        let lists: [(&[&str], Category); 12] = [
            (EMAIL, Email),
            (CLOUD, Cloud),
            (GOVERNMENT, Government),
            (FINANCE, Finance),
            (HEALTH, Health),
            (TRAVEL, Travel),
            (WORK, Work),
            (DEVELOPER, Developer),
            (SOCIAL, Social),
            (ENTERTAINMENT, Entertainment),
            (SHOPPING, Shopping),
            (UTILITIES, Utilities),
        ];
        for (list, cat) in lists {
            for d in list {
                m.entry(*d).or_insert(cat);
            }
        }
        m
    })
}

/// The table's category for exactly this host name (lower case).
pub fn lookup(host: &str) -> Option<Category> {
    table().get(host).copied()
}

/// How many domains the table holds.
#[cfg(test)]
fn table_len() -> usize {
    table().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_large_lower_case_and_unambiguous() {
        let lists: [&[&str]; 12] = [
            EMAIL,
            CLOUD,
            GOVERNMENT,
            FINANCE,
            HEALTH,
            TRAVEL,
            WORK,
            DEVELOPER,
            SOCIAL,
            ENTERTAINMENT,
            SHOPPING,
            UTILITIES,
        ];
        let mut all: Vec<&str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a domain is listed twice");
        assert!(n > 700, "{n}");
        assert_eq!(table_len(), n);
        for d in &all {
            assert!(!d.contains('/'), "{d}");
        }
    }
}
