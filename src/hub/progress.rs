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
