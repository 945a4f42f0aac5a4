//! `clavitor skill install [--dir D]`: writes the coding-agent skill that
//! teaches `read`, `run`, `inject` and `totp` — one credential at a time,
//! never echoing a secret (SPEC 13). Default: Claude Code's personal skills
//! folder, `~/.claude/skills/clavitor/SKILL.md`.

use std::path::PathBuf;

use serde_json::json;

use super::client::print_json;
use super::{CliError, CliResult, SkillInstallArgs};

/// The skill, embedded at build time.
pub const SKILL: &str = include_str!("skill/SKILL.md");

fn default_dir() -> Result<PathBuf, CliError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".claude").join("skills"))
        .ok_or_else(|| CliError::Usage("HOME is not set: give --dir D".into()))
}

pub fn install(a: &SkillInstallArgs, json: bool) -> CliResult {
    let base = match &a.dir {
        Some(d) => d.clone(),
        None => default_dir()?,
    };
    let dir = base.join("clavitor");
    let path = dir.join("SKILL.md");
    let fail = |what: &str, e: std::io::Error| {
        CliError::Failed(format!("{}: cannot {what}: {e}", path.display()))
    };
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing == SKILL => {}
        Ok(_) if !a.force => {
            return Err(CliError::Failed(format!(
                "{} exists and differs from this version's skill; --force replaces it",
                path.display()
            )))
        }
        Ok(_) | Err(_) => {
            std::fs::create_dir_all(&dir).map_err(|e| fail("create the folder", e))?;
            let tmp = dir.join(format!(".SKILL.md.{}.tmp", std::process::id()));
            std::fs::write(&tmp, SKILL).map_err(|e| fail("write", e))?;
            std::fs::rename(&tmp, &path).map_err(|e| fail("write", e))?;
        }
    }
    if json {
        print_json(&json!({"installed": path.display().to_string()}));
    } else {
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skill_has_front_matter_and_teaches_the_commands() {
        assert!(SKILL.starts_with("---\nname: clavitor\ndescription: "));
        for needle in [
            "clavitor run",
            "clavitor read",
            "clavitor totp",
            "clavitor inject",
            "one credential at a time",
            "Never print",
        ] {
            assert!(SKILL.contains(needle), "{needle}");
        }
    }
}
