//! A fuzz test of the `tokenizers` crate's panics, through hubguard's load
//! path (host only: natively a panic unwinds and is caught; in wasm it
//! would abort the instance).
//!
//! Each case takes a real tokenizer (`fixtures.rs`), mutates its parts
//! (`mutate.rs`, `parts.rs`), loads it as hubguard does and uses it on a
//! multilingual corpus (`exercise.rs`). A panic is a finding: the file must
//! be refused at load by `validate` (INVALID_TOKENIZER), or, where no rule
//! can tell, the finding is contained by running each tokenizer in its own
//! instance. `make test` runs 200 cases with a fixed seed and
//! fails on any panic; `make fuzz CASES=n SECONDS=s SEED=k` runs longer
//! and prints what it found (each distinct panic site, how often, and the
//! mutations of its first case).

mod exercise;
mod fixtures;
mod mutate;
mod parts;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use exercise::Outcome;

/// What a run found.
#[derive(Default)]
struct Report {
    cases: usize,
    used: usize,
    refused: BTreeMap<String, usize>,
    call_errors: usize,
    /// Panic site -> (how many cases, the first case's fixture and mutations).
    panics: BTreeMap<String, (usize, String)>,
    /// Cases that took longer than [`SLOW`]: how long, and what they were.
    slow: Vec<(Duration, String)>,
}

/// A case slower than this is reported (natively; wasm is slower still).
const SLOW: Duration = Duration::from_secs(1);

impl Report {
    fn print(&self, seed: u64, took: Duration) {
        eprintln!(
            "fuzz: seed {seed}, {} cases in {:.1} s: {} loaded and used ({} calls answered a typed error), \
             refused {:?}, {} panicked at {} sites, {} took over {} s",
            self.cases,
            took.as_secs_f64(),
            self.used,
            self.call_errors,
            self.refused,
            self.panics.values().map(|(n, _)| n).sum::<usize>(),
            self.panics.len(),
            self.slow.len(),
            SLOW.as_secs(),
        );
        for (site, (n, example)) in &self.panics {
            eprintln!("  {n} x {site}\n      first case: {example}");
        }
        let mut slowest: Vec<&(Duration, String)> = self.slow.iter().collect();
        slowest.sort_by_key(|(took, _)| std::cmp::Reverse(*took));
        for (took, example) in slowest.into_iter().take(10) {
            eprintln!("  slow: {:.2} s: {example}", took.as_secs_f64());
        }
    }
}

/// Run cases until `cases` are done or `budget` has passed.
fn run(seed: u64, cases: usize, budget: Duration, keep: Option<usize>) -> Report {
    let fixtures = fixtures::all(keep);
    let corpus = fixtures::corpus();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::default();
    let start = Instant::now();
    let watchdog = Watchdog::start();
    while report.cases < cases && start.elapsed() < budget {
        let fixture = &fixtures[rng.random_range(0..fixtures.len())];
        let case = mutate::mutate(&mut rng, &fixture.file, &fixture.config);
        let shown = || format!("{}: {}", fixture.name, shorten(&case.steps.join(" | ")));
        let began = Instant::now();
        watchdog.watch(Some(shown()));
        match exercise::run(&case, &corpus, &mut rng) {
            Outcome::Refused(code) => *report.refused.entry(code.to_string()).or_default() += 1,
            Outcome::Used { errors } => {
                report.used += 1;
                report.call_errors += errors;
            }
            Outcome::Panicked(site) => {
                let entry = report.panics.entry(site).or_insert_with(|| (0, shown()));
                entry.0 += 1;
            }
        }
        watchdog.watch(None);
        if began.elapsed() > SLOW {
            report.slow.push((began.elapsed(), shown()));
        }
        report.cases += 1;
    }
    report.print(seed, start.elapsed());
    report
}

/// Prints the running case when it has run for a minute: a case that
/// never ends (a hang in the crate) is then named, not just stuck.
struct Watchdog(Arc<Mutex<Option<(Instant, String)>>>);

impl Watchdog {
    fn start() -> Self {
        let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::default();
        let seen = Arc::downgrade(&current);
        std::thread::spawn(move || {
            while let Some(current) = seen.upgrade() {
                if let Some((since, case)) = current.lock().unwrap().as_ref() {
                    if since.elapsed() > Duration::from_secs(60) {
                        eprintln!("fuzz: a case has run for {} s: {case}", since.elapsed().as_secs());
                    }
                }
                drop(current);
                std::thread::sleep(Duration::from_secs(30));
            }
        });
        Watchdog(current)
    }

    fn watch(&self, case: Option<String>) {
        *self.0.lock().unwrap() = case.map(|c| (Instant::now(), c));
    }
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(600).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The bounded run of `make test`: a fixed seed, a few seconds, no panic.
#[test]
fn mutated_real_tokenizers_never_panic() {
    let report = run(20_260_516, 200, Duration::from_secs(60), Some(1000));
    assert!(report.cases >= 100, "too few cases ran: {}", report.cases);
    assert!(report.used > report.cases / 4, "most cases must load: {}", report.used);
    assert!(report.panics.is_empty(), "the crate panicked (see above)");
}

/// `make fuzz`: HUBGUARD_FUZZ_CASES, _SECONDS, _SEED and _KEEP (0: whole
/// vocabularies) from the environment; prints its findings, fails on any.
#[test]
#[ignore = "long: run with `make fuzz`"]
fn fuzz() {
    let seed = env("HUBGUARD_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    });
    let keep = match env::<usize>("HUBGUARD_FUZZ_KEEP").unwrap_or(3000) {
        0 => None,
        n => Some(n),
    };
    let report = run(
        seed,
        env("HUBGUARD_FUZZ_CASES").unwrap_or(usize::MAX),
        Duration::from_secs_f64(env("HUBGUARD_FUZZ_SECONDS").unwrap_or(60.0)),
        keep,
    );
    assert!(report.panics.is_empty(), "the crate panicked (see above)");
}
