//! Dashlane exports: the CSV files of its "unsecured archive"
//! (`credentials.csv`, `securenotes.csv`, `payments.csv`, `ids.csv`,
//! `personalInfo.csv`), loose or as the ZIP Dashlane writes, and the older
//! JSON export (`{"AUTHENTIFIANT": [...], "PAYMENTMEANS_CREDITCARD": [...]}`).
//! A CSV file's kind is told by its header, not its name, so renamed files
//! still import. The older desktop apps' single headerless CSV is read too
//! (`dashlane/legacy.rs`, recognised by its shape).

mod csv;
mod json;
mod legacy;
mod personal;

use super::{Confidence, ImportError, Importer, Input, Parsed};
use crate::import::read::{base_name, header_names, is_zip, Sink, Zip};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&DashlaneCsv, &DashlaneZip, &json::DashlaneJson];

/// The `dashlane-csv` importer (one CSV file of any kind).
struct DashlaneCsv;

/// The `dashlane-zip` importer (the archive of CSV files).
struct DashlaneZip;

impl Importer for DashlaneCsv {
    fn name(&self) -> &'static str {
        "dashlane-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        if is_zip(input.bytes) {
            return Confidence::No;
        }
        let headers = header_names(input);
        match csv::Kind::of(&headers) {
            Some(csv::Kind::Notes)
                if base_name(input.name).eq_ignore_ascii_case("securenotes.csv") =>
            {
                Confidence::Yes
            }
            // `title,note` alone is too generic to be sure of.
            Some(csv::Kind::Notes) => Confidence::Maybe,
            Some(_) if csv::Kind::distinctive(&headers) => Confidence::Yes,
            Some(_) => Confidence::Maybe,
            None if legacy::looks_like(input) => Confidence::Yes,
            None => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        if csv::Kind::of(&header_names(input)).is_none() && legacy::looks_like(input) {
            return legacy::parse(input, "dashlane-csv", skip_invalid);
        }
        csv::parse(input.name, input.bytes, "dashlane-csv", skip_invalid)
    }
}

/// CSV member names Dashlane puts in its archive (lowercase).
const MEMBERS: &[&str] = &[
    "credentials.csv",
    "securenotes.csv",
    "payments.csv",
    "ids.csv",
    "personalinfo.csv",
];

impl Importer for DashlaneZip {
    fn name(&self) -> &'static str {
        "dashlane-zip"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        if !is_zip(input.bytes) {
            return Confidence::No;
        }
        let Ok(archive) = Zip::open(input.name, input.bytes) else {
            return Confidence::No;
        };
        let known = archive
            .names()
            .iter()
            .any(|n| MEMBERS.contains(&base_name(n).to_ascii_lowercase().as_str()));
        if known {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut archive = Zip::open(input.name, input.bytes)?;
        let mut out = Sink::new(input.name, skip_invalid);
        let members: Vec<String> = archive
            .names()
            .into_iter()
            .filter(|n| base_name(n).to_ascii_lowercase().ends_with(".csv"))
            .collect();
        if members.is_empty() {
            return Err(crate::import::read::file_error(
                input.name,
                "expected Dashlane CSV files (credentials.csv, securenotes.csv…) in the archive",
            ));
        }
        for member in members {
            let bytes = archive.read(&member)?;
            let label = format!("{}/{}", input.name, member);
            if csv::Kind::of(&header_names(&Input {
                name: &member,
                bytes: &bytes,
            }))
            .is_none()
            {
                out.skip(member, "not a Dashlane CSV file (unknown header)");
                continue;
            }
            out.absorb(csv::parse(&label, &bytes, "dashlane-zip", skip_invalid)?);
        }
        Ok(out.finish())
    }
}
