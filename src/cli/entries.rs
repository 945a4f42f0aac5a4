use super::*;
pub fn get(_: &GetArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
pub fn put(_: &PutArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
pub fn totp(_: &TotpArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
pub fn list(_: &ListArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
pub fn rm(_: &RmArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
