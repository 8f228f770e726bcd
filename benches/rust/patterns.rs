//! patterns: the walkthrough's thread patterns in Rust's own std::thread,
//! timed for the rust_vs_c bench beside their C ports on threadlab.
//!
//! Each pattern starts threads that do nothing but return their index, so
//! what is timed is the cost of the pattern itself:
//!   spawn_join           one thread::spawn, then join (threads must be 1)
//!   scope                thread::scope spawning T threads, which it joins
//!   spawn_all_join_all   spawn T, keep the handles, then join all T
//!   join_in_loop         spawn one and join it, T times (the mistake)
//!
//! Two ways to run it:
//!   patterns PATTERN THREADS BATCH [SAMPLES]
//!       prints SAMPLES lines (default 1), each the nanoseconds per
//!       operation of one batch of BATCH operations;
//!   patterns --serve
//!       reads requests "PATTERN THREADS BATCH" on stdin, one a line, and
//!       answers each with one line: the nanoseconds the whole batch took
//!       (std::time::Instant around it). The bench's harness sizes the
//!       batches exactly as it does for the C patterns (it calibrates with
//!       these requests), so both languages are timed by one method.
//! Bad input: one line on stderr, exit status 2. Built with plain
//! `rustc -O`, no crates; nothing newer than Rust 1.63 (thread::scope).
use std::io::{self, BufRead, Write};
use std::process;
use std::thread;
use std::time::Instant;

#[derive(Clone, Copy)]
enum Pattern {
    SpawnJoin,
    Scope,
    SpawnAllJoinAll,
    JoinInLoop,
}

fn parse_pattern(name: &str) -> Option<Pattern> {
    match name {
        "spawn_join" => Some(Pattern::SpawnJoin),
        "scope" => Some(Pattern::Scope),
        "spawn_all_join_all" => Some(Pattern::SpawnAllJoinAll),
        "join_in_loop" => Some(Pattern::JoinInLoop),
        _ => None,
    }
}

/// Runs one operation of the pattern on `threads` threads; returns the sum
/// of what the threads returned, so that nothing can be optimised away.
fn run_once(pattern: Pattern, threads: u64) -> u64 {
    match pattern {
        Pattern::SpawnJoin => thread::spawn(|| 1u64).join().unwrap(),
        Pattern::Scope => {
            thread::scope(|s| {
                for t in 0..threads {
                    s.spawn(move || t);
                }
            });
            threads
        }
        Pattern::SpawnAllJoinAll => {
            let handles: Vec<_> = (0..threads).map(|t| thread::spawn(move || t)).collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        }
        Pattern::JoinInLoop => (0..threads).map(|t| thread::spawn(move || t).join().unwrap()).sum(),
    }
}

/// The nanoseconds that `batch` operations took, and their checksum.
fn time_batch(pattern: Pattern, threads: u64, batch: u64) -> (u128, u64) {
    let start = Instant::now();
    let mut sum = 0u64;
    for _ in 0..batch {
        sum = sum.wrapping_add(run_once(pattern, threads));
    }
    (start.elapsed().as_nanos(), sum)
}

fn usage_error(message: &str) -> ! {
    eprintln!("patterns: {}", message);
    eprintln!("usage: patterns PATTERN THREADS BATCH [SAMPLES] | patterns --serve");
    process::exit(2);
}

fn parse_count(what: &str, text: &str) -> u64 {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => n,
        _ => usage_error(&format!("{}: expected a positive integer, got '{}'", what, text)),
    }
}

/// "PATTERN THREADS BATCH" into its parts, or a usage error naming the line.
fn parse_request(words: &[&str]) -> (Pattern, u64, u64) {
    if words.len() != 3 {
        usage_error(&format!("expected PATTERN THREADS BATCH, got '{}'", words.join(" ")));
    }
    let pattern = parse_pattern(words[0]).unwrap_or_else(|| {
        usage_error(&format!(
            "unknown pattern '{}' (spawn_join, scope, spawn_all_join_all, join_in_loop)",
            words[0]
        ))
    });
    let threads = parse_count("THREADS", words[1]);
    if matches!(pattern, Pattern::SpawnJoin) && threads != 1 {
        usage_error("spawn_join takes THREADS 1");
    }
    (pattern, threads, parse_count("BATCH", words[2]))
}

fn serve() {
    let stdin = io::stdin();
    let mut out = io::stdout();
    for line in stdin.lock().lines() {
        let line = line.unwrap_or_else(|e| usage_error(&format!("stdin: {}", e)));
        let words: Vec<&str> = line.split_whitespace().collect();
        let (pattern, threads, batch) = parse_request(&words);
        let (ns, _) = time_batch(pattern, threads, batch);
        if writeln!(out, "{}", ns).and_then(|_| out.flush()).is_err() {
            return; // the bench went away: nothing left to answer
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() == 1 && args[0] == "--serve" {
        return serve();
    }
    if args.len() != 3 && args.len() != 4 {
        usage_error("expected PATTERN THREADS BATCH [SAMPLES], or --serve");
    }
    let words: Vec<&str> = args[..3].iter().map(|s| s.as_str()).collect();
    let (pattern, threads, batch) = parse_request(&words);
    let samples = if args.len() == 4 { parse_count("SAMPLES", &args[3]) } else { 1 };
    for _ in 0..samples {
        let (ns, _) = time_batch(pattern, threads, batch);
        println!("{:.1}", ns as f64 / batch as f64);
    }
}
