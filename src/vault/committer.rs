//! Group commit of audited requests.
//!
//! A credential may leave the server only once its audit row is durable.
//! Committing each request's row on its own costs one fsync per request,
//! which bounds reads by the disk (about 3.6k fsyncs/s on the reference
//! VPS) and makes every worker that loses the race for SQLite's write lock
//! wait. Instead, workers prepare their answer and hand it to one committer
//! thread together with the work that appends its audit rows; the committer
//! takes everything queued, runs each job in a savepoint of one `BEGIN
//! IMMEDIATE` transaction, commits once (one fsync), and only then releases
//! the answers. N queued requests cost one fsync, and the only writer of
//! read audit rows is this thread, so reads never contend for the lock.
//!
//! Jobs run one after another inside the transaction, so a job sees the rows
//! of the jobs before it: an agent's distinct-read count includes reads that
//! are queued in the same batch and not yet committed, and rate limits stay
//! exact.
//!
//! Idle, the thread blocks in `recv` (no timer, no wake-up).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::{AuditSync, Audited, Store, StoreError, Tx};

/// Most jobs in one transaction: bounds how long the write lock is held
/// (owner changes on the workers' connections wait for it).
const MAX_BATCH: usize = 256;

/// One request's share of a batch.
pub trait Job: Send {
    /// How the batch that carries this job reaches the disk (`Full` wins).
    fn sync(&self) -> AuditSync;
    /// Runs inside the batch transaction, in a savepoint of its own: reads
    /// what it must decide on and appends its audit rows. An error undoes
    /// this job's writes and fails only this job.
    fn run(&mut self, tx: &Tx<'_>) -> Result<(), StoreError>;
    /// Called exactly once, after the batch: `durable` is true when `run`
    /// succeeded and the transaction committed. Only then may a secret go
    /// out; otherwise the job answers "audit unavailable".
    fn release(self: Box<Self>, durable: bool);
}

enum Msg {
    Job(Box<dyn Job>),
    Stop,
}

/// Handle to the committer thread.
pub struct Committer {
    tx: Sender<Msg>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Committer {
    /// Starts the committer on its own connection.
    pub fn start(store: Store) -> Result<Committer, String> {
        // Unbounded: a job is a few hundred bytes and each one is a request a
        // worker already accepted; the workers and the connection cap bound
        // how many can be in flight.
        let (tx, rx) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("committer".into())
            .spawn(move || run(store, rx))
            .map_err(|e| format!("spawning the audit committer: {e}"))?;
        Ok(Committer {
            tx,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `job`. If the committer is gone (stopping), the job is
    /// released as not durable at once.
    pub fn submit(&self, job: Box<dyn Job>) {
        if let Err(e) = self.tx.send(Msg::Job(job)) {
            if let Msg::Job(job) = e.into_inner() {
                job.release(false);
            }
        }
    }

    /// Runs `f` as a job and waits until it is durable: group commit for a
    /// caller that needs the result before it can go on (refusals, owner
    /// reads of small things). `f` runs on the committer thread.
    pub fn run<T, F>(&self, sync: AuditSync, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<Audited<T>, StoreError> + Send + 'static,
    {
        let (done, wait) = crossbeam_channel::bounded(1);
        self.submit(Box::new(Blocking {
            sync,
            f: Some(Box::new(f)),
            out: None,
            done,
        }));
        wait.recv().unwrap_or_else(|_| Err(not_durable()))
    }

    /// Commits what is queued, then ends the thread. Jobs submitted later
    /// are released as not durable.
    pub fn stop(&self) {
        let _ = self.tx.send(Msg::Stop);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn not_durable() -> StoreError {
    StoreError::Audit(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
        Some("the audit batch did not commit".into()),
    ))
}

type BlockingFn<T> = Box<dyn FnOnce(&Tx<'_>) -> Result<Audited<T>, StoreError> + Send>;

/// The job behind [`Committer::run`].
struct Blocking<T> {
    sync: AuditSync,
    f: Option<BlockingFn<T>>,
    out: Option<Result<T, StoreError>>,
    done: Sender<Result<T, StoreError>>,
}

impl<T: Send> Job for Blocking<T> {
    fn sync(&self) -> AuditSync {
        self.sync
    }

    fn run(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let f = self.f.take().expect("a job runs once");
        match f(tx) {
            Ok(Audited(v)) => {
                self.out = Some(Ok(v));
                Ok(())
            }
            Err(e) => {
                // The savepoint is rolled back; the caller gets its own error.
                self.out = Some(Err(e));
                Err(StoreError::RolledBack)
            }
        }
    }

    fn release(self: Box<Self>, durable: bool) {
        let out = match self.out {
            Some(Ok(v)) if durable => Ok(v),
            Some(Err(e)) => Err(e),
            _ => Err(not_durable()),
        };
        let _ = self.done.send(out);
    }
}

fn run(mut store: Store, rx: Receiver<Msg>) {
    let mut jobs: Vec<Box<dyn Job>> = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut stop = false;
        let mut push = |m: Msg, jobs: &mut Vec<Box<dyn Job>>| match m {
            Msg::Job(j) => jobs.push(j),
            Msg::Stop => stop = true,
        };
        push(first, &mut jobs);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => push(m, &mut jobs),
                Err(_) => break,
            }
        }
        commit_batch(&mut store, std::mem::take(&mut jobs));
        if stop {
            break;
        }
    }
    // Anything queued after Stop: nobody will commit it.
    for m in rx.try_iter() {
        if let Msg::Job(j) = m {
            j.release(false);
        }
    }
    if let Err(e) = store.close() {
        log::error!("closing the committer's database connection: {e}");
    }
}

/// One transaction, one fsync, for every job in `jobs`; then their releases.
fn commit_batch(store: &mut Store, mut jobs: Vec<Box<dyn Job>>) {
    if jobs.is_empty() {
        return;
    }
    let sync = if jobs.iter().any(|j| j.sync() == AuditSync::Full) {
        AuditSync::Full
    } else {
        AuditSync::Normal
    };
    let mut ran = vec![false; jobs.len()];
    let committed = store.write_audited_read(sync, |tx| {
        for (job, ok) in jobs.iter_mut().zip(ran.iter_mut()) {
            // A panicking job is a bug; it fails alone and the committer lives on.
            *ok = catch_unwind(AssertUnwindSafe(|| tx.savepoint(|tx| job.run(tx))))
                .unwrap_or_else(|_| {
                    log::error!("audit job panicked (this is a bug); its request gets 503");
                    Err(StoreError::RolledBack)
                })
                .is_ok();
        }
        // Each job audited its own request (`Job::run`); the batch adds none.
        Ok::<_, StoreError>(Audited(()))
    });
    if let Err(e) = &committed {
        log::error!("audit batch of {} requests did not commit: {e}", jobs.len());
    }
    let durable = committed.is_ok();
    for (job, ok) in jobs.into_iter().zip(ran) {
        job.release(durable && ok);
    }
}
