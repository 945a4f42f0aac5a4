//! Answers released only once their audit rows are durable: the API's side
//! of group commit (`vault::Committer`). A handler builds its reply, then
//! hands it over with the work that appends its audit rows (and decides,
//! for an agent read, whether the reply may go out at all); the worker is
//! free at once, and the committer sends the reply after the batch's fsync.

use crate::http::{Reply, Responder};
use crate::vault::{AuditSync, Audited, Job, StoreError, Tx};

use super::auth::audit_unavailable;
use super::Result;

/// Appends a request's audit rows and returns the reply to release — or the
/// refusal to send instead (423, 429: error replies, audited like the
/// rest). An `Err` answers without committing anything: below 500 it is
/// sent as is (an agent that vanished meanwhile: 403); from 500 on it
/// undoes the job's writes and answers 503.
pub type Work = Box<dyn FnOnce(&Tx<'_>) -> Result<Audited<Reply>> + Send>;

/// A reply waiting for its audit rows (see [`super::Ctx::release_after_audit`]).
pub struct Pending {
    pub(super) sync: AuditSync,
    pub(super) work: Work,
}

impl Pending {
    /// The committer job that answers through `responder`.
    pub(super) fn into_job(self, responder: Responder) -> Box<dyn Job> {
        Box::new(Release {
            sync: self.sync,
            work: Some(self.work),
            reply: None,
            responder,
        })
    }
}

struct Release {
    sync: AuditSync,
    work: Option<Work>,
    reply: Option<Reply>,
    responder: Responder,
}

impl Job for Release {
    fn sync(&self) -> AuditSync {
        self.sync
    }

    fn run(&mut self, tx: &Tx<'_>) -> std::result::Result<(), StoreError> {
        let work = self.work.take().expect("a job runs once");
        match work(tx) {
            Ok(reply) => self.reply = Some(reply.into_inner()),
            Err(e) if e.status() >= 500 => return Err(StoreError::RolledBack),
            Err(refusal) => self.reply = Some(refusal.reply()),
        }
        Ok(())
    }

    fn release(self: Box<Self>, durable: bool) {
        let reply = match self.reply {
            Some(reply) if durable => reply,
            _ => audit_unavailable().reply(),
        };
        self.responder.send(reply);
    }
}

/// Stands in for the reply of a handler that deferred it; never sent.
pub(super) fn placeholder() -> Reply {
    Reply::text(202, "text/plain", Vec::new())
}
