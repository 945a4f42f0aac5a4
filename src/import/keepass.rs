//! KeePass exports: its CSV (1.x) in `keepass/csv.rs`; here the XML
//! exports: KeePass 1.x's `<pwlist><pwentry>` (one element a field, the
//! folder from `<group tree="a\b">c</group>`) and the KeePass 2 XML export (`KeePassFile/Meta`, `KeePassFile/Root/Group`…),
//! also written by KeePassXC and KeePassDX. Parsed with quick-xml as a
//! stream of events; entities, character references and CDATA sections are
//! resolved into the text.
//!
//! Decisions: the root group's name is not part of folder paths (every
//! entry would otherwise start with "Root/" or the database name); entries
//! of the Recycle Bin (the group `Meta/RecycleBinUUID` names) are skipped as
//! "in trash"; `History` entries are old versions and are ignored; entries
//! are named `line N` (where the entry starts) in errors.

mod csv;
mod entry;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{Confidence, ImportError, Importer, Input, Parsed};
use crate::import::read::{file_error, folder_path, lossy, text as decode, Sep, Sink, IN_TRASH};
use entry::{EntryBuf, StringField};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&KeePassXml, &csv::KeePassCsv];

/// The `keepass-xml` importer.
struct KeePassXml;

/// KeePass writes this all-zero UUID for "no recycle bin".
const NO_UUID: &str = "AAAAAAAAAAAAAAAAAAAAAA==";

impl Importer for KeePassXml {
    fn name(&self) -> &'static str {
        "keepass-xml"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let text = lossy(input.bytes);
        let mut reader = Reader::from_str(&text);
        // The root element decides; give up after a few prolog events.
        for _ in 0..16 {
            match reader.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    // KeePass 2's root, or KeePass 1.x's `<pwlist>`.
                    return if matches!(e.name().as_ref(), "KeePassFile" | "pwlist") {
                        Confidence::Yes
                    } else {
                        Confidence::No
                    };
                }
                Ok(Event::Eof) | Err(_) => return Confidence::No,
                Ok(_) => {}
            }
        }
        Confidence::No
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let text = decode(input)?;
        let mut out = Sink::new(input.name, skip_invalid);
        Walker::new(&text).run(&mut out)?;
        Ok(out.finish())
    }
}

/// One open `Group`.
struct Group {
    name: String,
    uuid: String,
    in_bin: bool,
}

/// Walks the event stream, keeping only what entries need.
struct Walker<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
    /// Names of the open elements.
    path: Vec<String>,
    /// Text of the innermost open element, entities resolved.
    buf: String,
    recycle_bin: String,
    groups: Vec<Group>,
    entry: Option<EntryBuf>,
    /// Depth of an open `History` inside the current entry.
    history_depth: Option<usize>,
    saw_root: bool,
    /// KeePass 1.x XML: the current `pwentry`'s `<group tree="…">` (the
    /// parent groups, `\`-separated) and group name.
    v1_tree: String,
    v1_group: String,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str) -> Self {
        Walker {
            text,
            reader: Reader::from_str(text),
            path: Vec::new(),
            buf: String::new(),
            recycle_bin: String::new(),
            groups: Vec::new(),
            entry: None,
            history_depth: None,
            saw_root: false,
            v1_tree: String::new(),
            v1_group: String::new(),
        }
    }

    /// 1-based line of a byte offset, for error messages.
    fn line_at(&self, offset: u64) -> usize {
        let end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn xml_error(&self, offset: u64, message: String) -> ImportError {
        let line = self.line_at(offset);
        ImportError::Record {
            file: String::new(),
            record: format!("line {line}"),
            message,
        }
    }

    fn run(mut self, out: &mut Sink) -> Result<(), ImportError> {
        let file = out.file().to_string();
        let named = |e: ImportError| match e {
            ImportError::Record {
                record, message, ..
            } => ImportError::Record {
                file: file.clone(),
                record,
                message,
            },
            other => other,
        };
        loop {
            let event = match self.reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let at = self.reader.error_position();
                    return Err(named(
                        self.xml_error(at, format!("expected well-formed XML: {e}")),
                    ));
                }
            };
            match event {
                Event::Start(e) => {
                    let name = e.name().as_ref().to_string();
                    let protected = |attr: &str| {
                        e.try_get_attribute(attr)
                            .ok()
                            .flatten()
                            .is_some_and(|a| a.value.eq_ignore_ascii_case("true"))
                    };
                    let flags = (protected("ProtectInMemory"), protected("Protected"));
                    if name == "group" {
                        self.v1_tree = e
                            .try_get_attribute("tree")
                            .ok()
                            .flatten()
                            .and_then(|a| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned())
                            })
                            .unwrap_or_default();
                    }
                    self.start(&name, flags);
                }
                Event::Empty(e) => {
                    let name = e.name().as_ref().to_string();
                    self.start(&name, (false, false));
                    self.end(out)?;
                }
                Event::End(_) => self.end(out)?,
                Event::Text(t) => self.buf.push_str(&t.xml10_content()),
                Event::CData(c) => self.buf.push_str(&c.xml10_content()),
                Event::GeneralRef(r) => {
                    let at = self.reader.buffer_position();
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => s.to_string(),
                            None => return Err(named(self.xml_error(at, "expected a predefined XML entity (&amp; &lt; &gt; &quot; &apos;); found an undefined one".into()))),
                        },
                        Err(_) => return Err(named(self.xml_error(at, "expected a valid character reference".into()))),
                    };
                    self.buf.push_str(&resolved);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !self.saw_root {
            return Err(file_error(
                out.file(),
                "expected a KeePass XML export (KeePass 2 `<KeePassFile>` with `<Root>`, or KeePass 1.x `<pwlist>`)",
            ));
        }
        Ok(())
    }

    fn parent(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("")
    }

    fn start(&mut self, name: &str, (in_memory, encrypted): (bool, bool)) {
        self.buf.clear();
        let parent = self.parent().to_string();
        match name {
            "Root" if parent == "KeePassFile" => self.saw_root = true,
            "pwlist" if parent.is_empty() => self.saw_root = true,
            "pwentry" if parent == "pwlist" && self.entry.is_none() => {
                let line = self.line_at(self.reader.buffer_position());
                self.entry = Some(EntryBuf::new(line));
                self.v1_tree.clear();
                self.v1_group.clear();
            }
            "Group" if self.entry.is_none() && (parent == "Root" || parent == "Group") => {
                let in_bin = self.groups.last().is_some_and(|g| g.in_bin);
                self.groups.push(Group {
                    name: String::new(),
                    uuid: String::new(),
                    in_bin,
                });
            }
            "Entry" if parent == "Group" && self.entry.is_none() => {
                let line = self.line_at(self.reader.buffer_position());
                self.entry = Some(EntryBuf::new(line));
            }
            "History" if self.entry.is_some() && self.history_depth.is_none() => {
                self.history_depth = Some(self.path.len());
            }
            "Value" if parent == "String" => {
                if let Some(e) = self.entry.as_mut().filter(|_| self.history_depth.is_none()) {
                    e.pending.protect_in_memory = in_memory;
                    e.pending.encrypted = encrypted;
                }
            }
            _ => {}
        }
        self.path.push(name.to_string());
    }

    fn end(&mut self, out: &mut Sink) -> Result<(), ImportError> {
        let name = self.path.pop().unwrap_or_default();
        let parent = self.parent().to_string();
        let text = std::mem::take(&mut self.buf);
        if self.history_depth.is_some_and(|d| d == self.path.len()) && name == "History" {
            self.history_depth = None;
            return Ok(());
        }
        if self.history_depth.is_some() {
            return Ok(());
        }
        match (name.as_str(), parent.as_str()) {
            ("RecycleBinUUID", "Meta") => self.recycle_bin = text.trim().to_string(),
            ("UUID", "Group") if self.entry.is_none() => {
                let bin = !self.recycle_bin.is_empty() && self.recycle_bin != NO_UUID;
                if let Some(g) = self.groups.last_mut() {
                    g.uuid = text.trim().to_string();
                    g.in_bin |= bin && g.uuid == self.recycle_bin;
                }
            }
            ("Name", "Group") if self.entry.is_none() => {
                if let Some(g) = self.groups.last_mut() {
                    g.name = text;
                }
            }
            ("Group", _) if self.entry.is_none() => {
                self.groups.pop();
            }
            ("Entry", _) if self.path.last().is_some_and(|p| p == "Group") => {
                if let Some(entry) = self.entry.take() {
                    self.finish_entry(entry, out)?;
                }
            }
            (field, "String") => {
                if let Some(e) = self.entry.as_mut() {
                    match field {
                        "Key" => e.pending.key = text,
                        "Value" => e.pending.value = text,
                        _ => {}
                    }
                }
            }
            ("String", "Entry") => {
                if let Some(e) = self.entry.as_mut() {
                    let field = std::mem::take(&mut e.pending);
                    e.strings.push(field);
                }
            }
            (time @ ("CreationTime" | "LastModificationTime"), "Times") => {
                if let Some(e) = self
                    .entry
                    .as_mut()
                    .filter(|_| self.path.len() >= 2 && self.path[self.path.len() - 2] == "Entry")
                {
                    if time == "CreationTime" {
                        e.created = text;
                    } else {
                        e.modified = text;
                    }
                }
            }
            // KeePass 1.x XML: one element a field.
            (field @ ("title" | "username" | "password" | "url" | "notes"), "pwentry") => {
                if let Some(e) = self.entry.as_mut() {
                    let key = match field {
                        "title" => "Title",
                        "username" => "UserName",
                        "password" => "Password",
                        "url" => "URL",
                        _ => "Notes",
                    };
                    e.strings.push(StringField {
                        key: key.into(),
                        value: text,
                        ..Default::default()
                    });
                }
            }
            ("group", "pwentry") => self.v1_group = text,
            (time @ ("creationtime" | "lastmodtime"), "pwentry") => {
                if let Some(e) = self.entry.as_mut() {
                    if time == "creationtime" {
                        e.created = text;
                    } else {
                        e.modified = text;
                    }
                }
            }
            ("pwentry", "pwlist") => {
                if let Some(entry) = self.entry.take() {
                    self.finish_v1_entry(entry, out)?;
                }
            }
            ("Tags", "Entry") => {
                if let Some(e) = self.entry.as_mut() {
                    e.tags = text;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A KeePass 1.x entry: its folder is the group tree (`\`-separated)
    /// then the group; its `Meta-Info` entries hold KeePass's settings.
    fn finish_v1_entry(&mut self, entry: EntryBuf, out: &mut Sink) -> Result<(), ImportError> {
        let record = format!("line {}", entry.line);
        let value = |k: &str| {
            entry
                .strings
                .iter()
                .find(|s| s.key == k)
                .map_or("", |s| s.value.as_str())
        };
        if value("Title") == "Meta-Info" && value("UserName") == "SYSTEM" && value("URL") == "$" {
            out.skip(
                record,
                "KeePass's internal settings entry (Meta-Info), not a password",
            );
            return Ok(());
        }
        let folder = folder_path(
            [
                folder_path([self.v1_tree.as_str()], Sep::Backslash),
                folder_path([self.v1_group.as_str()], Sep::Flat),
            ],
            Sep::Slash,
        );
        match entry.into_item(folder) {
            Ok(item) => out.push(item),
            Err(message) => out.invalid(record, message)?,
        }
        Ok(())
    }

    fn finish_entry(&mut self, entry: EntryBuf, out: &mut Sink) -> Result<(), ImportError> {
        let record = format!("line {}", entry.line);
        if self.groups.last().is_some_and(|g| g.in_bin) {
            out.skip(record, IN_TRASH);
            return Ok(());
        }
        // Skip the root group's name (index 0) in the folder path.
        // Group names are tree nodes: a `/` in one is part of its name.
        let folder = folder_path(self.groups.iter().skip(1).map(|g| &g.name), Sep::Flat);
        match entry.into_item(folder) {
            Ok(item) => out.push(item),
            Err(message) => out.invalid(record, message)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<Parsed, ImportError> {
        KeePassXml.parse(
            &Input {
                name: "k.xml",
                bytes: xml.as_bytes(),
            },
            false,
        )
    }

    #[test]
    fn entities_cdata_and_nested_groups_resolve() {
        let xml = r#"<?xml version="1.0"?><KeePassFile><Meta><RecycleBinUUID>QkJCQkJCQkJCQkJCQkJCQg==</RecycleBinUUID></Meta><Root><Group><UUID>AA==</UUID><Name>Root</Name>
<Group><Name>A &amp; B</Name><Group><Name>C</Name><Entry><String><Key>Title</Key><Value>T&#233;&lt;1&gt;</Value></String><String><Key>Password</Key><Value ProtectInMemory="True"><![CDATA[p<&>w]]></Value></String></Entry></Group></Group>
<Group><UUID>QkJCQkJCQkJCQkJCQkJCQg==</UUID><Name>Recycle Bin</Name><Entry><String><Key>Title</Key><Value>old</Value></String></Entry></Group>
</Group></Root></KeePassFile>"#;
        let p = parse(xml).unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].title, "Té<1>");
        assert_eq!(p.items[0].password, "p<&>w");
        assert_eq!(p.items[0].folder, "A & B/C");
        assert_eq!(
            p.skipped,
            vec![("line 3".to_string(), IN_TRASH.to_string())]
        );
    }

    #[test]
    fn undefined_entities_and_broken_xml_fail_with_a_line() {
        let e =
            parse("<KeePassFile><Root><Group>\n<Name>&nbsp;</Name></Group></Root></KeePassFile>")
                .unwrap_err();
        assert!(
            matches!(e, ImportError::Record { ref record, .. } if record == "line 2"),
            "{e}"
        );
        let e = parse("<KeePassFile><Root><Group></Root>").unwrap_err();
        assert!(
            matches!(e, ImportError::Record { ref file, .. } if file == "k.xml"),
            "{e}"
        );
    }
}
