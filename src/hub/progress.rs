//! Download progress, in the shape Transformers.js' `progress_callback` uses.

#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// About to request the file.
    Initiate,
    /// The Hub answered; the body is coming.
    Download,
    /// Bytes so far and the announced size (when the server sent one).
    Progress {
        loaded: u64,
        total: Option<u64>,
    },
    Done,
}

impl Progress {
    pub fn status(&self) -> &'static str {
        match self {
            Progress::Initiate => "initiate",
            Progress::Download => "download",
            Progress::Progress { .. } => "progress",
            Progress::Done => "done",
        }
    }
}

/// Progress of a file the repo may lack: `initiate` is held back until the
/// Hub has answered with the file (any later event), so a missing optional
/// file reports nothing instead of an `initiate` that no `done` ever follows
/// (a progress bar would wait on it forever). The disk cache's path already
/// behaves so: it only reports once a HEAD found the file.
pub struct HeldInitiate<'a> {
    inner: &'a dyn Fn(Progress),
    held: std::cell::Cell<bool>,
}

impl<'a> HeldInitiate<'a> {
    pub fn new(inner: &'a dyn Fn(Progress)) -> Self {
        HeldInitiate {
            inner,
            held: std::cell::Cell::new(false),
        }
    }

    pub fn report(&self, progress: Progress) {
        if progress == Progress::Initiate {
            self.held.set(true);
            return;
        }
        if self.held.take() {
            (self.inner)(Progress::Initiate);
        }
        (self.inner)(progress);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[test]
    fn initiate_waits_for_the_file_and_is_dropped_when_it_never_comes() {
        let seen = RefCell::new(Vec::new());
        let record = |p: Progress| seen.borrow_mut().push(p.status());
        let found = HeldInitiate::new(&record);
        found.report(Progress::Initiate);
        assert!(seen.borrow().is_empty());
        found.report(Progress::Download);
        found.report(Progress::Progress { loaded: 1, total: None });
        found.report(Progress::Done);
        assert_eq!(*seen.borrow(), ["initiate", "download", "progress", "done"]);
        seen.borrow_mut().clear();
        let missing = HeldInitiate::new(&record);
        missing.report(Progress::Initiate);
        assert!(seen.borrow().is_empty());
    }
}
