//! `trace-view open FILE`: the JSON lines that `FileExporter` and `StdoutExporter::json()`
//! write, one OTLP/JSON `ExportTraceServiceRequest` per line, into the store.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::Path;

use crate::otlp::{self, Batch, Format};
use crate::store::{Store, StoreError};

/// What a load read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Non-empty lines read.
    pub lines: u64,
    /// Spans written to the store.
    pub spans: u64,
    /// Lines that were not OTLP/JSON, with their number (from 1) and why; at most 10 kept.
    pub bad_lines: Vec<(u64, String)>,
    /// How many lines were bad in all.
    pub bad_line_count: u64,
}

/// Why a file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The store failed.
    Store(StoreError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads `path` line by line into `store`; a line that does not decode is counted and
/// skipped (a file cut short by a crash still loads up to its last whole line).
///
/// # Errors
///
/// When the file cannot be read or the store fails.
pub fn load_json_lines(store: &Store, path: &Path) -> Result<Loaded, LoadError> {
    let file = File::open(path).map_err(LoadError::Io)?;
    let mut loaded = Loaded::default();
    let mut rows = Batch::default();
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(LoadError::Io)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        loaded.lines += 1;
        match otlp::decode(Format::Json, &line) {
            Ok(decoded) => rows.append(decoded.batch),
            Err(e) => {
                loaded.bad_line_count += 1;
                if loaded.bad_lines.len() < 10 {
                    loaded.bad_lines.push((i as u64 + 1, e.0));
                }
            }
        }
        if rows.len() >= 2048 {
            loaded.spans += store.insert(&rows).map_err(LoadError::Store)?.new_spans;
            rows = Batch::default();
        }
    }
    loaded.spans += store.insert(&rows).map_err(LoadError::Store)?.new_spans;
    Ok(loaded)
}
