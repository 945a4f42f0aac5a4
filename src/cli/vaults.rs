use super::*;
pub fn init(_: &InitArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
pub fn login(_: &LoginArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
pub fn logout(_: &LogoutArgs, _: bool) -> CliResult { Err(CliError::Failed("not yet".into())) }
