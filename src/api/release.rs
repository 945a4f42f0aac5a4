//! Answers released only once their audit rows are durable: the API's side
//! of group commit (`vault::Committer`). A handler builds its reply, then
//! hands it over with the work that appends its audit rows (and decides,
//! for an agent read, whether the reply may go out at all); the worker is
//! free at once, and the committer sends the reply after the batch's fsync.

use crate::http::{Reply, Responder};
use crate::vault::{AuditSync, Db, Job, StoreError};

use super::auth::audit_unavailable;
use super::Result;

/// Appends a request's audit rows and returns the reply to release — or the
/// refusal to send instead (403, 423, 429: their rows commit too). An error
/// of status 500 or above undoes the job's writes and answers 503.
pub type Work = Box<dyn FnOnce(&Db<'_>) -> Result<Reply> + Send>;

/// A reply waiting for its audit rows (see [`super::Ctx::release_after_audit`]).
pub struct Pending {
    pub(super) sync: AuditSync,
    pub(super) work: Work,
}

impl Pending {
    /// Runs the work in a transaction of its own on `db`'s store (no
    /// committer: one commit for this request alone).
    pub(super) fn run_alone(self, store: &mut crate::vault::Store) -> Reply {
        let work = self.work;
        let out = store.write_audited_read(self.sync, |db| match work(db) {
            Err(e) if e.status >= 500 => Err(e),
            other => Ok(other),
        });
        match out {
            Ok(Ok(reply)) => reply,
            Ok(Err(refusal)) => refusal.reply(),
            Err(_) => audit_unavailable().reply(),
        }
    }

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

    fn run(&mut self, db: &Db<'_>) -> std::result::Result<(), StoreError> {
        let work = self.work.take().expect("a job runs once");
        match work(db) {
            Ok(reply) => self.reply = Some(reply),
            Err(e) if e.status >= 500 => return Err(StoreError::RolledBack),
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
