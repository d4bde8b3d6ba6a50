//! The error a caller sees when a wasm instance traps.
//!
//! A trap (a panic, which aborts in this build; running out of wasm memory;
//! a stack overflow) cannot be caught inside wasm, and the instance's memory
//! may be half-updated afterwards, so the instance is never used again. The
//! JS runtime (`pkg-template/shared/runtime.cjs`) catches the trap where JS
//! entered wasm, gathers what is known about it, and asks a live instance
//! for this error. What it knows, and how much of it the message shows, is
//! decided here.

use super::error::{ErrorCode, HubError};
use super::redact::scrub;

/// Panic messages can quote input (a token string, a file's text): a caller
/// sees at most this much of one, scrubbed like server text.
const MAX_PANIC_CHARS: usize = 300;

/// What the runtime observed when the instance trapped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrapReport {
    /// The JS error's `name: message` (`RuntimeError: unreachable`, ...).
    pub trap: String,
    /// The panic hook's message, when the trap was a panic.
    pub panic: Option<String>,
    /// Bytes an allocation asked for that the wasm heap could not grow to
    /// hold (0 when the heap never failed to grow).
    pub heap_exhausted: u64,
}

/// Why the instance trapped, as far as can be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapCause {
    Panic(String),
    OutOfMemory { requested: u64 },
    StackOverflow,
    Other(String),
}

impl TrapReport {
    pub fn cause(&self) -> TrapCause {
        if let Some(message) = &self.panic {
            return TrapCause::Panic(shorten(&scrub(message, None)));
        }
        if self.heap_exhausted > 0 {
            return TrapCause::OutOfMemory {
                requested: self.heap_exhausted,
            };
        }
        // V8's own stack limit (a JS RangeError), or the Rust stack running
        // below address 0 (an out-of-bounds access at the bottom of memory).
        if self.trap.contains("Maximum call stack size exceeded") {
            return TrapCause::StackOverflow;
        }
        TrapCause::Other(shorten(&scrub(&self.trap, None)))
    }
}

impl TrapCause {
    fn describe(&self) -> String {
        match self {
            TrapCause::Panic(message) => format!("the tokenizers library panicked: {message}"),
            TrapCause::OutOfMemory { requested } => format!(
                "it ran out of memory: the wasm heap could not grow by another {} (a wasm instance ends at 4 GiB)",
                human_bytes(*requested)
            ),
            TrapCause::StackOverflow => "its stack overflowed".to_owned(),
            TrapCause::Other(trap) => format!("the wasm engine stopped it: {trap}"),
        }
    }
}

/// The error for every call on a tokenizer whose instance trapped.
pub fn tokenizer_crashed(repo: &str, report: &TrapReport) -> HubError {
    HubError::new(
        ErrorCode::TokenizerCrashed,
        format!(
            "The tokenizer of {repo} crashed ({}). It cannot be used any more; other tokenizers are not \
             affected. Load it again with AutoTokenizer.from_pretrained; if it crashes again, its files or \
             this input make the tokenizers library fail: please report it to hubguard with the repo id.",
            report.cause().describe()
        ),
    )
    .about(repo, None)
}

/// The error for calls that were under way in the shared Hub instance.
pub fn engine_crashed(report: &TrapReport) -> HubError {
    HubError::new(
        ErrorCode::EngineCrashed,
        format!(
            "hubguard's engine crashed during this call ({}). Nothing written to the cache is affected, and \
             the next call starts a new engine: retry it.",
            report.cause().describe()
        ),
    )
}

/// A panic's message for the report: the payload, and where it happened as
/// `crate-version/path:line` (the build machine's folders are left out).
pub fn panic_text(payload: Option<&str>, location: Option<(&str, u32)>) -> String {
    let message = payload.unwrap_or("(no message)");
    match location {
        Some((file, line)) => format!("{message} (at {}:{line})", short_source_path(file)),
        None => message.to_owned(),
    }
}

/// `/root/.cargo/registry/src/index…/tokenizers-0.23.2/src/x.rs` →
/// `tokenizers-0.23.2/src/x.rs`; a path inside this crate stays as it is.
fn short_source_path(file: &str) -> &str {
    let Some(src) = file.rfind("/src/") else {
        return file;
    };
    match file[..src].rfind('/') {
        Some(start) => &file[start + 1..],
        None => file,
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_PANIC_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        format!("{} MiB", bytes.div_ceil(MIB))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(trap: &str, panic: Option<&str>, heap: u64) -> TrapReport {
        TrapReport {
            trap: trap.to_owned(),
            panic: panic.map(str::to_owned),
            heap_exhausted: heap,
        }
    }

    #[test]
    fn a_panic_message_is_named_and_wins_over_the_trap() {
        let r = report("RuntimeError: unreachable", Some("index out of bounds"), 0);
        assert_eq!(r.cause(), TrapCause::Panic("index out of bounds".into()));
        let e = tokenizer_crashed("a/b", &r);
        assert_eq!(e.code, ErrorCode::TokenizerCrashed);
        assert_eq!(e.repo_id.as_deref(), Some("a/b"));
        assert!(e.message.contains("panicked: index out of bounds"), "{}", e.message);
        assert!(e.message.contains("Load it again"), "{}", e.message);
    }

    #[test]
    fn a_failed_heap_growth_reads_as_out_of_memory() {
        let r = report("RuntimeError: unreachable", None, 300 << 20);
        assert_eq!(r.cause(), TrapCause::OutOfMemory { requested: 300 << 20 });
        assert!(engine_crashed(&r).message.contains("300 MiB"));
    }

    #[test]
    fn v8s_stack_limit_reads_as_a_stack_overflow() {
        let r = report("RangeError: Maximum call stack size exceeded", None, 0);
        assert_eq!(r.cause(), TrapCause::StackOverflow);
    }

    #[test]
    fn other_traps_are_quoted() {
        let r = report("RuntimeError: memory access out of bounds", None, 0);
        assert_eq!(
            r.cause(),
            TrapCause::Other("RuntimeError: memory access out of bounds".into())
        );
    }

    #[test]
    fn panic_locations_leave_out_the_build_machines_folders() {
        let file =
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokenizers-0.23.2/src/tokenizer/normalizer.rs";
        assert_eq!(
            panic_text(Some("index out of bounds"), Some((file, 373))),
            "index out of bounds (at tokenizers-0.23.2/src/tokenizer/normalizer.rs:373)"
        );
        assert_eq!(
            panic_text(None, Some(("src/core/x.rs", 3))),
            "(no message) (at src/core/x.rs:3)"
        );
        assert_eq!(panic_text(Some("m"), None), "m");
    }

    #[test]
    fn panic_text_is_scrubbed_and_shortened() {
        let token = format!("hf_{}", "a".repeat(34));
        let long = format!("bad token {token} {}", "x".repeat(1000));
        let TrapCause::Panic(shown) = report("", Some(&long), 0).cause() else {
            panic!("a panic");
        };
        assert!(!shown.contains(&token), "{shown}");
        assert!(shown.chars().count() <= MAX_PANIC_CHARS + 1, "{}", shown.len());
    }
}
