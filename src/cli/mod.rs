//! The `clavitor` command line: one binary for the server (`serve`,
//! `check-config`, `backup`) and the owner/agent client (everything else).
//!
//! Exit codes (SPEC section 10): 0 ok, 1 error, 2 usage, 3 denied,
//! 4 not found, 5 locked or rate limited, 6 ambiguous (a title matches
//! more than one entry; nothing was printed: ask by id). Data goes to stdout (exactly one
//! JSON object with `--json`); prompts, progress and errors go to stderr.

mod agents;
mod audit;
mod client;
mod edit;
mod entries;
mod export;
mod import;
mod mask;
mod mcp;
mod profile;
mod proxy;
mod refcmds;
mod scopes;
mod secretref;
mod server_cmds;
mod skill;
mod upload;
mod values;
mod vaults;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A failed command, carrying its exit code.
#[derive(Debug)]
pub enum CliError {
    /// 1: something went wrong (network, server error, bad file).
    Failed(String),
    /// 2: the command line itself is wrong.
    Usage(String),
    /// 3: authentication or authorization refused.
    Denied(String),
    /// 4: the thing asked for does not exist.
    NotFound(String),
    /// 5: agent locked or rate limited.
    Locked(String),
    /// 6: a title matches more than one entry; the message lists them. Its
    /// own code so that a script can tell it from "not found" (which might
    /// lead it to create yet another entry) and from a network error.
    Ambiguous(String),
}

impl CliError {
    pub fn code(&self) -> i32 {
        match self {
            CliError::Failed(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Denied(_) => 3,
            CliError::NotFound(_) => 4,
            CliError::Locked(_) => 5,
            CliError::Ambiguous(_) => 6,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            CliError::Failed(m)
            | CliError::Usage(m)
            | CliError::Denied(m)
            | CliError::NotFound(m)
            | CliError::Locked(m)
            | CliError::Ambiguous(m) => m,
        }
    }
}

pub type CliResult = Result<(), CliError>;

#[derive(Parser, Debug)]
#[command(
    name = "clavitor",
    version,
    about = "Self-hosted credential vault with scoped, audited agent access"
)]
pub struct Cli {
    /// Print exactly one JSON object on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as an agent with the client credential in this file (instead of
    /// $CLAVITOR_CREDENTIAL or the owner's login)
    #[arg(long, global = true, value_name = "F")]
    pub credential_file: Option<PathBuf>,
    /// Allow a plain http:// server URL naming another machine: owner and
    /// agent credentials then cross the network unencrypted (also
    /// CLAVITOR_INSECURE_HTTP=1). Loopback needs no flag
    #[arg(long, global = true)]
    pub insecure_http: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the vault server
    Serve(ServeArgs),
    /// Validate a configuration file without starting
    CheckConfig(ConfigArg),
    /// Write a consistent copy of the live database (SQLite online backup)
    Backup(BackupArgs),
    /// Create a vault; prints its id and a recovery code once, then logs in
    Init(InitArgs),
    /// Unlock a vault on this machine
    Login(LoginArgs),
    /// Forget this machine's session
    Logout(LogoutArgs),
    /// Fetch an entry by id or exact title
    Get(GetArgs),
    /// Create an entry
    Put(PutArgs),
    /// Change an entry in place (same id; refused if it changed meanwhile)
    Edit(EditArgs),
    /// Print a new random password or passphrase
    Generate(GenerateArgs),
    /// Print the current one-time code of an entry
    Totp(TotpArgs),
    /// List entries (owner only)
    List(ListArgs),
    /// Delete an entry
    Rm(RmArgs),
    /// Import another password manager's export (parsed and encrypted locally; owner only)
    Import(ImportArgs),
    /// Export every entry, decrypted locally (owner only)
    Export(ExportArgs),
    /// Manage agents and their client credentials (owner only)
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage scopes (owner only)
    #[command(subcommand)]
    Scope(ScopeCommand),
    /// Show or verify the audit log (owner only)
    Audit(AuditArgs),
    /// Run a local HTTP(S) proxy that puts clavitor:// references in request headers into requests for the hosts their entries allow
    Proxy(ProxyArgs),
    /// Print the value of one clavitor://ENTRY/FIELD reference
    Read(ReadArgs),
    /// Run a command with the references in its environment resolved
    Run(RunArgs),
    /// Fill {{ clavitor://ENTRY/FIELD }} placeholders of a template
    Inject(InjectArgs),
    /// Serve the Model Context Protocol on stdio (tools that use secrets without revealing them)
    Mcp,
    /// Coding-agent skill files
    #[command(subcommand)]
    Skill(SkillCommand),
}

#[derive(Subcommand, Debug)]
pub enum SkillCommand {
    /// Write the clavitor skill (SKILL.md) for coding agents
    Install(SkillInstallArgs),
}

#[derive(Args, Debug)]
pub struct SkillInstallArgs {
    /// Skills folder to write clavitor/SKILL.md into [default: ~/.claude/skills]
    #[arg(long, value_name = "D")]
    pub dir: Option<PathBuf>,
    /// Replace an existing SKILL.md
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// clavitor://ENTRY/FIELD (ENTRY: entry id or exact title, percent-encoded; FIELD: field name, or totp for the current code)
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Print the value without a trailing newline
    #[arg(short = 'n', long)]
    pub no_newline: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Also load variables from this dotenv file (KEY=VALUE lines; values may hold references)
    #[arg(long, value_name = "F")]
    pub env_file: Vec<PathBuf>,
    /// Do not mask resolved values in the command's output
    #[arg(long)]
    pub no_masking: bool,
    /// The command and its arguments (after --)
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct InjectArgs {
    /// The template ("-" for standard input)
    #[arg(short = 'i', long = "in-file", value_name = "TEMPLATE")]
    pub input: PathBuf,
    /// Write here (created 0600, replaced atomically) instead of standard output
    #[arg(short = 'o', long = "out-file", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ConfigArg {
    /// Configuration file [default: /etc/clavitor/clavitor.yaml if present, else built-in defaults]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Send aggregate health reports (never vault content) to this URL; opts the community edition in
    #[arg(long, value_name = "URL")]
    pub telemetry_host: Option<String>,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist)
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Configuration file naming the data directory
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Server URL [default: the saved one, else http://127.0.0.1:1984]
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// A login name (e.g. an e-mail address) to unlock with instead of the vault id
    #[arg(long, value_name = "H")]
    pub handle: Option<String>,
    /// Read the passphrase from this file instead of prompting
    #[arg(long, value_name = "F")]
    pub passphrase_file: Option<PathBuf>,
    /// The server's one-time setup token (needed while registration is closed)
    #[arg(long, value_name = "F")]
    pub setup_token_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// Server URL [default: the saved one, else http://127.0.0.1:1984]
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Vault id
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "handle",
        required_unless_present = "handle"
    )]
    pub vault: Option<String>,
    /// Login name given at init
    #[arg(long, value_name = "H")]
    pub handle: Option<String>,
    /// Read the passphrase from this file instead of prompting
    #[arg(long, value_name = "F", conflicts_with = "recovery_file")]
    pub passphrase_file: Option<PathBuf>,
    /// Unlock with the recovery code read from this file
    #[arg(long, value_name = "F")]
    pub recovery_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// Also end every other session of this vault, on every device
    #[arg(long)]
    pub everywhere: bool,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// Entry id, or exact title
    pub query: String,
    /// Print only this field's value (e.g. password, username, notes, url)
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,
}

#[derive(Args, Debug)]
pub struct PutArgs {
    /// Entry type: login, card, identity, ssh_key, software_license, database, wifi, api_key, crypto_wallet, note
    #[arg(value_name = "TYPE")]
    pub entry_type: String,
    /// Title (get and totp find an entry by its exact title)
    #[arg(long, value_name = "T")]
    pub title: String,
    /// A URL the entry belongs to (repeatable)
    #[arg(long = "url", value_name = "U")]
    pub urls: Vec<String>,
    /// Free-text notes
    #[arg(long, value_name = "N")]
    pub notes: Option<String>,
    /// Folder path, with / between levels
    #[arg(long, value_name = "F")]
    pub folder: Option<String>,
    /// A field (repeatable): name=VALUE, name=- (stdin), name=@FILE, name (prompt without echo) or name=:generate; tiers come from FIELD_SPEC
    #[arg(long = "field", value_name = "NAME[=VALUE]")]
    pub fields: Vec<String>,
    /// A four-digit scope id (repeatable)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    /// Let agents' raw-value tools (clavitor mcp reveal_secret) return this entry's values
    #[arg(long)]
    pub agent_reveal: bool,
    /// A host references to this entry may be sent to, besides its URLs' hosts (repeatable; *.example.com for subdomains)
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
}

#[derive(Args, Debug)]
pub struct EditArgs {
    /// Entry id, or exact title
    pub query: String,
    /// New title
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// Replace the URLs with these (repeatable)
    #[arg(long = "url", value_name = "U")]
    pub urls: Vec<String>,
    /// Remove every URL
    #[arg(long, conflicts_with = "urls")]
    pub no_url: bool,
    /// New notes
    #[arg(long, value_name = "N")]
    pub notes: Option<String>,
    /// New folder path, with / between levels
    #[arg(long, value_name = "F")]
    pub folder: Option<String>,
    /// Set a field (repeatable): name=VALUE, name=- (stdin), name=@FILE, name (prompt without echo) or name=:generate
    #[arg(long = "field", value_name = "NAME[=VALUE]")]
    pub fields: Vec<String>,
    /// Remove a field (repeatable)
    #[arg(long = "remove-field", value_name = "NAME")]
    pub remove_fields: Vec<String>,
    /// Replace the scopes with these four-digit ids (repeatable)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    /// Change only if the entry is still at this version (as `get --json` shows); default: the version just read
    #[arg(long, value_name = "VERSION")]
    pub if_match: Option<i64>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of characters [default: 20; 8 to 256]
    #[arg(long, value_name = "N", conflicts_with = "words")]
    pub length: Option<usize>,
    /// A passphrase of N words from the embedded EFF short word list instead (3 to 64; 6 give about 62 bits)
    #[arg(long, value_name = "N")]
    pub words: Option<usize>,
    /// Include symbols (the default)
    #[arg(long, overrides_with = "no_symbols", conflicts_with = "words")]
    pub symbols: bool,
    /// Letters and digits only
    #[arg(long, overrides_with = "symbols", conflicts_with = "words")]
    pub no_symbols: bool,
}

#[derive(Args, Debug)]
pub struct TotpArgs {
    /// Entry id, or exact title
    pub query: String,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only entries of this type
    #[arg(long = "type", value_name = "T")]
    pub entry_type: Option<String>,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Entry id
    pub id: String,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The export file (at most 64 MiB)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// auto (detect), a manager (bitwarden, chrome, …) or a format (bitwarden-json, …)
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub format: String,
    /// Parse, map and check the file, report, and upload nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid records of a partially bad file (the bad ones are reported)
    #[arg(long)]
    pub skip_invalid: bool,
}

/// Export file formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// {"items":[…]}: every field
    Json,
    /// title,folder,url,username,password,totp,notes,type
    Csv,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
    /// Write to this file (created 0600) instead of standard output
    #[arg(long, value_name = "F")]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Create an agent; prints its client credential once
    Create(AgentCreateArgs),
    /// List agents
    List,
    /// Show one agent
    Show(AgentIdArg),
    /// Change an agent's scopes, access, allowlist, limits or expiry; its credential keeps working
    #[command(visible_alias = "update")]
    Edit(AgentUpdateArgs),
    /// Issue a new credential; the old one stops working
    Rotate(AgentIdArg),
    /// Clear a lockdown after rate-limit violations
    Unlock(AgentIdArg),
    /// Delete an agent; its credential stops working
    Rm(AgentIdArg),
}

#[derive(Args, Debug)]
pub struct AgentIdArg {
    /// Agent id
    pub id: String,
}

#[derive(Args, Debug)]
pub struct AgentCreateArgs {
    /// A name to recognise the agent by
    pub name: String,
    /// A four-digit scope id the agent may read (repeatable)
    #[arg(
        long = "scope",
        value_name = "S",
        required_unless_present = "all_access"
    )]
    pub scopes: Vec<String>,
    /// Every entry not in the owner-only scope 0000
    #[arg(long)]
    pub all_access: bool,
    /// May create entries in its scopes
    #[arg(long)]
    pub can_write: bool,
    #[command(flatten)]
    pub limits: AgentLimitArgs,
    /// Stop working at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)
    #[arg(long, value_name = "RFC3339")]
    pub expires: Option<String>,
}

/// Settings shared by `agent create` and `agent edit`.
#[derive(Args, Debug)]
pub struct AgentLimitArgs {
    /// Only from this network, IPv4 or IPv6 CIDR (repeatable; default: any address)
    #[arg(long = "ip", value_name = "CIDR")]
    pub ips: Vec<String>,
    /// Distinct credentials per minute, at most 1000 [server default: 3]
    #[arg(long, value_name = "N")]
    pub rate_minute: Option<u32>,
    /// Distinct credentials per hour, at most 10000 [server default: 10]
    #[arg(long, value_name = "N")]
    pub rate_hour: Option<u32>,
}

#[derive(Args, Debug)]
pub struct AgentUpdateArgs {
    /// Agent id
    pub id: String,
    /// New name
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Replace the scopes with these (repeatable)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub limits: AgentLimitArgs,
    /// Remove the address allowlist (any address)
    #[arg(long, conflicts_with = "ips")]
    pub any_ip: bool,
    /// Allow or forbid creating entries
    #[arg(long, value_name = "true|false")]
    pub can_write: Option<bool>,
    /// Grant or revoke access to every non-owner-only entry
    #[arg(long, value_name = "true|false")]
    pub all_access: Option<bool>,
    /// New expiry (RFC 3339)
    #[arg(long, value_name = "RFC3339", conflicts_with = "no_expiry")]
    pub expires: Option<String>,
    /// Remove the expiry
    #[arg(long)]
    pub no_expiry: bool,
}

#[derive(Subcommand, Debug)]
pub enum ScopeCommand {
    /// Create a scope; prints its id
    Create {
        /// Scope name
        name: String,
    },
    /// List scopes
    List,
    /// Rename a scope
    Rename {
        /// Four-digit scope id
        id: String,
        /// New name
        name: String,
    },
    /// Delete a scope (entries keep the id; agents can no longer be granted it)
    Rm {
        /// Four-digit scope id
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Only events of this agent
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Only events about this entry
    #[arg(long, value_name = "ID")]
    pub entry: Option<String>,
    /// Only this action (e.g. read, create, agent_rotate)
    #[arg(long, value_name = "A")]
    pub action: Option<String>,
    /// Only this outcome: success, denied or failure
    #[arg(long, value_name = "O")]
    pub outcome: Option<String>,
    /// Only events since T: RFC 3339, or a duration ago like 1h, 30m, 7d
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// At most N events, newest first
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    /// Walk the hash chain instead; exit 1 if it is broken
    #[arg(long, conflicts_with_all = ["agent", "entry", "action", "outcome", "since"])]
    pub verify: bool,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProxyArgs {
    #[command(subcommand)]
    pub command: Option<ProxyCommand>,
    /// Address to listen on (loopback only)
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:1983")]
    pub listen: String,
    /// Also trust the CA certificate(s) in this PEM file for upstream TLS (private upstreams, tests)
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Option<PathBuf>,
    /// Most client connections served at once; one more is answered 503
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_connections: usize,
}

#[derive(Subcommand, Debug)]
pub enum ProxyCommand {
    /// Print the proxy CA certificate's path (created if needed) and the environment variables clients read
    Ca,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("clavitor: {}", e.message());
            e.code()
        }
    }
}

fn run(cli: Cli) -> CliResult {
    let json = cli.json;
    let cred = cli.credential_file.as_deref();
    client::allow_insecure_http(
        cli.insecure_http || std::env::var("CLAVITOR_INSECURE_HTTP").is_ok_and(|v| v == "1"),
    );
    if let Some(name) = owner_only(&cli.command) {
        profile::refuse_agent(cred, name)?;
    }
    match cli.command {
        Command::Serve(a) => {
            let overrides = crate::edition::Overrides {
                telemetry_host: a.telemetry_host.clone(),
            };
            crate::serve::run(a.config.config.as_deref(), &overrides).map_err(CliError::Failed)
        }
        Command::CheckConfig(a) => server_cmds::check_config(a.config.as_deref(), json),
        Command::Backup(a) => server_cmds::backup(&a, json),
        Command::Init(a) => vaults::init(&a, json),
        Command::Login(a) => vaults::login(&a, json),
        Command::Logout(a) => vaults::logout(&a, json),
        Command::Get(a) => entries::get(&a, json, cred),
        Command::Put(a) => entries::put(&a, json, cred),
        Command::Edit(a) => edit::run(&a, json, cred),
        Command::Generate(a) => entries::generate(&a, json),
        Command::Totp(a) => entries::totp(&a, json, cred),
        Command::List(a) => entries::list(&a, json),
        Command::Rm(a) => entries::rm(&a, json),
        Command::Import(a) => import::run(&a, json),
        Command::Export(a) => export::run(&a, json),
        Command::Agent(c) => agents::run(&c, json),
        Command::Scope(c) => scopes::run(&c, json),
        Command::Audit(a) => audit::run(&a, json),
        Command::Proxy(a) => proxy::run(&a, json, cred),
        Command::Read(a) => refcmds::read(&a, json, cred),
        Command::Run(a) => refcmds::run(&a, cred),
        Command::Inject(a) => refcmds::inject(&a, json, cred),
        Command::Mcp => mcp::run(cred),
        Command::Skill(SkillCommand::Install(a)) => skill::install(&a, json),
    }
}

/// The name of an owner-only client command, refused up front in agent mode.
fn owner_only(c: &Command) -> Option<&'static str> {
    match c {
        Command::List(_) => Some("list"),
        Command::Rm(_) => Some("rm"),
        Command::Import(_) => Some("import"),
        Command::Export(_) => Some("export"),
        Command::Agent(_) => Some("agent"),
        Command::Scope(_) => Some("scope"),
        Command::Audit(_) => Some("audit"),
        _ => None,
    }
}
