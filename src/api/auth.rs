//! Who is calling: turns `Authorization: Bearer cvt0.…` into a
//! [`Principal`], or refuses with 401. Agent refusals are audited.

use super::error::Code;
use super::{ApiError, Ctx, Result};
use crate::crypto::token::{self, PrincipalKind};
use crate::ids::{EntryId, VaultId};
use crate::policy::{self, AgentRecord};
use crate::records::{AgentRecords, Records};
use crate::vault::{ActorKind, AuditEvent, EntryRow, Outcome, VaultRow};

/// The vault owner, with the vault row and its records (opened with the
/// key from the token, which lives for one request).
pub struct Owner {
    pub vault: VaultRow,
    pub records: Records,
}

impl Owner {
    pub fn id(&self) -> &VaultId {
        &self.vault.vault_id
    }
}

/// An agent whose token checked out (it may still be locked or off its allowlist: see [`gate`]).
pub struct Agent {
    pub vault: VaultRow,
    pub id: EntryId,
    pub record: AgentRecord,
    /// The stored row `record` was opened from (its version tells whether
    /// the record changed since).
    pub record_row: EntryRow,
    /// The vault's records as an agent may use them (no L3).
    pub records: AgentRecords,
}

impl Agent {
    pub fn vault_id(&self) -> &VaultId {
        &self.vault.vault_id
    }
}

/// An authenticated caller.
// One per request, moved once from the router into the handler: not worth a Box.
#[allow(clippy::large_enum_variant)]
pub enum Principal {
    Owner(Owner),
    Agent(Agent),
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn invalid() -> ApiError {
    ApiError::new(
        Code::InvalidToken,
        "invalid token: it does not open, or what it names no longer exists",
    )
}

/// The audit event for something an agent did.
pub fn agent_event(
    ctx: &Ctx<'_>,
    agent: &EntryId,
    action: &'static str,
    entry: Option<EntryId>,
    outcome: Outcome,
    reason: Option<&'static str>,
) -> AuditEvent {
    let mut ev = owner_event(ctx, action, entry, outcome, reason);
    ev.actor_kind = ActorKind::Agent;
    ev.actor_id = agent.hex();
    ev
}

/// The audit event for something the owner did.
pub fn owner_event(
    ctx: &Ctx<'_>,
    action: &'static str,
    entry: Option<EntryId>,
    outcome: Outcome,
    reason: Option<&'static str>,
) -> AuditEvent {
    AuditEvent {
        actor_kind: ActorKind::Owner,
        actor_id: String::new(),
        action,
        entry_id: entry,
        outcome,
        reason,
        source_ip: ctx.req.peer.to_string(),
        host: None,
    }
}

/// Writes one audit row on its own; an error means the log is unavailable (503).
pub fn audit_alone(ctx: &mut Ctx<'_>, vault: &VaultId, ev: AuditEvent) -> Result<()> {
    let vault = *vault;
    ctx.audited(move |tx| tx.audit(&vault, &ev))
        .map_err(|_| audit_unavailable())
}

/// Records a refusal on its own, repeats of the same refusal collapsed into
/// counted rows (`Tx::audit_refusal`), in the next group commit; an error
/// means the log is unavailable (503). Nothing is released on a refusal,
/// so the collapse costs no fail-closed guarantee.
pub fn audit_refused(ctx: &mut Ctx<'_>, vault: &VaultId, ev: AuditEvent) -> Result<()> {
    let vault = *vault;
    ctx.audited(move |tx| tx.audit_refusal(&vault, &ev))
        .map_err(|_| audit_unavailable())
}

/// Fail-closed answer: the audit row did not commit, so nothing is released.
pub fn audit_unavailable() -> ApiError {
    ApiError::new(
        Code::AuditUnavailable,
        "audit log unavailable: the request was not carried out and nothing was released",
    )
}

/// Checks the bearer token: it opens, is unexpired, its vault exists and
/// the key it carries is the vault's; for owners the session generation is current, for agents
/// the agent exists and its token generation is current.
pub fn authenticate(ctx: &mut Ctx<'_>) -> Result<Principal> {
    let header = ctx.req.header("authorization").ok_or_else(|| {
        ApiError::new(
            Code::NoToken,
            "missing token: send `Authorization: Bearer <token>`",
        )
    })?;
    // The scheme name is case-insensitive (RFC 9110 section 11.1).
    let raw = match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => {
            return Err(ApiError::new(
                Code::NoToken,
                "malformed Authorization header: expected `Bearer <token>`",
            ))
        }
    };
    let claims = token::open_token(&ctx.app.keyring(), raw).map_err(|_| invalid())?;
    if claims.kind == PrincipalKind::Agent {
        // A backup POP sends agents to the primary before touching anything:
        // their reads change rate-limit state that lives on the primary only.
        if let Some(refusal) = ctx.app.edition.refuse_agent() {
            return Err(refusal.into());
        }
    }
    let vault_id = VaultId::from_bytes(claims.vault_id);
    let vault = ctx.store.db().vault(&vault_id)?.ok_or_else(invalid)?;
    let records = Records::from_token(&claims, &vault).ok_or_else(invalid)?;
    let expired = claims.is_expired(unix_now());
    match claims.kind {
        PrincipalKind::Owner => {
            if expired {
                return Err(ApiError::new(
                    Code::TokenExpired,
                    "token expired: log in again",
                ));
            }
            if claims.generation != vault.session_generation {
                return Err(ApiError::new(
                    Code::SessionRevoked,
                    "session revoked (logged out everywhere): log in again",
                ));
            }
            Ok(Principal::Owner(Owner { vault, records }))
        }
        PrincipalKind::Agent => {
            let agent_id = EntryId::from_bytes(claims.principal_id);
            let record = records.load_agent(&ctx.store.db(), &agent_id)?;
            let valid = record.as_ref().is_some_and(|(_, r)| {
                r.token_generation == claims.generation && !expired && !record_expired(r)
            });
            match record {
                Some((record_row, record)) if valid => Ok(Principal::Agent(Agent {
                    vault,
                    id: agent_id,
                    record,
                    record_row,
                    records: records.for_agent(),
                })),
                _ => {
                    // The token opened, so it names this vault: the refusal belongs in its log.
                    let ev = agent_event(
                        ctx,
                        &agent_id,
                        "authenticate",
                        None,
                        Outcome::Denied,
                        Some("token_invalid"),
                    );
                    audit_refused(ctx, &vault_id, ev)?;
                    Err(invalid())
                }
            }
        }
    }
}

fn record_expired(r: &AgentRecord) -> bool {
    r.expires_at
        .as_deref()
        .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
        .is_some_and(|t| t <= std::time::SystemTime::now())
}

/// Owner-only routes. An agent gets 403, and the attempt is audited.
pub fn require_owner(ctx: &mut Ctx<'_>) -> Result<Owner> {
    match authenticate(ctx)? {
        Principal::Owner(o) => Ok(o),
        Principal::Agent(a) => {
            let reason = if policy::ip_allowed(&a.record, ctx.req.peer) {
                "owner_only"
            } else {
                "ip_refused"
            };
            let ev = agent_event(
                ctx,
                &a.id,
                "owner_route",
                None,
                Outcome::Denied,
                Some(reason),
            );
            audit_refused(ctx, a.vault_id(), ev)?;
            Err(ApiError::access_denied())
        }
    }
}

/// Checks an agent's source address and lock before it may do anything; refusals are audited.
pub fn gate(ctx: &mut Ctx<'_>, agent: &Agent, action: &'static str) -> Result<()> {
    let refusal = if !policy::ip_allowed(&agent.record, ctx.req.peer) {
        (
            "ip_refused",
            ApiError::new(
                Code::IpNotAllowed,
                "Access denied: this address is not in the agent's allowlist",
            ),
        )
    } else if agent.record.locked {
        ("agent_locked", locked())
    } else {
        return Ok(());
    };
    let (reason, error) = refusal;
    let ev = agent_event(ctx, &agent.id, action, None, Outcome::Denied, Some(reason));
    audit_refused(ctx, agent.vault_id(), ev)?;
    Err(error)
}

/// 423 for a locked agent.
pub fn locked() -> ApiError {
    ApiError::new(
        Code::AgentLocked,
        "agent locked after repeated rate-limit violations; the owner must unlock it",
    )
}
