//! JSON lines to a file, buffered, with optional size-based rotation.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use trace_core::{ExportError, Resource, SpanData, SpanExporter};

use crate::json_lines::LineEncoder;

/// Buffered bytes that trigger a write.
const BUFFER_LIMIT: usize = 64 * 1024;
/// The longest lines wait in memory once an export has added some.
const MAX_BUFFER_AGE: Duration = Duration::from_secs(1);
/// Rotated files kept when only [`FileExporter::max_bytes`] is set.
const DEFAULT_MAX_FILES: usize = 5;

/// Appends each span as one line of OTLP/JSON to a file, in the format
/// described on [`WriterExporter`](crate::WriterExporter#the-line-format).
///
/// Lines are buffered in memory and written in whole lines: when 64 KiB are
/// pending, when an export finds lines older than a second, on
/// [`force_flush`](SpanExporter::force_flush) and on shutdown (which also
/// syncs the file to disk). A write that fails half-way is cut back to the
/// last whole line, and opening a file whose last line was torn by a crash
/// removes that partial line, so the file only ever holds whole lines.
///
/// With [`max_bytes`](Self::max_bytes) the file is rotated before a line
/// would take it past that size: `spans.jsonl` becomes `spans.jsonl.1`,
/// `.1` becomes `.2`, and so on, keeping [`max_files`](Self::max_files)
/// old files (5 unless set).
///
/// # Examples
///
/// ```no_run
/// use trace_exporters::FileExporter;
///
/// let exporter = FileExporter::create("spans.jsonl")?
///     .max_bytes(10 * 1024 * 1024)
///     .max_files(3);
/// let guard = trace_core::Tracer::builder().exporter(exporter).install_global();
/// // ...
/// guard.shutdown()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileExporter {
    path: PathBuf,
    max_bytes: Option<u64>,
    max_files: usize,
    lines: LineEncoder,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// `None` after a failed rotation; reopened on the next write.
    file: Option<File>,
    /// Bytes of whole lines in the file.
    size: u64,
    /// Whole lines not yet written.
    pending: Vec<u8>,
    /// When the oldest pending line was added.
    pending_since: Option<Instant>,
}

impl FileExporter {
    /// Opens `path` for appending, creating it if needed (its directory
    /// must exist). A partial last line left by a crash is removed.
    ///
    /// # Errors
    ///
    /// The error of opening, reading or truncating the file.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let (file, size) = open_whole_lines(&path)?;
        Ok(Self {
            path,
            max_bytes: None,
            max_files: DEFAULT_MAX_FILES,
            lines: LineEncoder::default(),
            state: Mutex::new(State {
                file: Some(file),
                size,
                pending: Vec::new(),
                pending_since: None,
            }),
        })
    }

    /// Rotates the file before a line would take it past `bytes`. A single
    /// line longer than that gets a file of its own.
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes.max(1));
        self
    }

    /// Keeps `count` rotated files (`path.1` newest .. `path.count`
    /// oldest); 0 keeps none. Only used with [`max_bytes`](Self::max_bytes).
    #[must_use]
    pub fn max_files(mut self, count: usize) -> Self {
        self.max_files = count;
        self
    }

    /// The file spans are written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rotated_path(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// Writes the pending lines to the file.
    fn write_pending(&self, state: &mut State) -> io::Result<()> {
        if state.pending.is_empty() {
            return Ok(());
        }
        if state.file.is_none() {
            let (file, size) = open_whole_lines(&self.path)?;
            state.file = Some(file);
            state.size = size;
        }
        let Some(file) = state.file.as_mut() else {
            return Ok(());
        };
        match file.write_all(&state.pending) {
            Ok(()) => {
                state.size += state.pending.len() as u64;
                state.pending.clear();
                state.pending_since = None;
                Ok(())
            }
            Err(e) => {
                // Cut a half-written line off so the next write starts on a
                // line boundary; the pending lines are dropped.
                let _ = file.set_len(state.size);
                state.pending.clear();
                state.pending_since = None;
                Err(e)
            }
        }
    }

    /// Moves `path` to `path.1` (shifting older files up) and starts a new file.
    fn rotate(&self, state: &mut State) -> io::Result<()> {
        state.file = None;
        if self.max_files == 0 {
            fs::remove_file(&self.path).or_else(ignore_not_found)?;
        } else {
            fs::remove_file(self.rotated_path(self.max_files)).or_else(ignore_not_found)?;
            for n in (1..self.max_files).rev() {
                fs::rename(self.rotated_path(n), self.rotated_path(n + 1))
                    .or_else(ignore_not_found)?;
            }
            fs::rename(&self.path, self.rotated_path(1)).or_else(ignore_not_found)?;
        }
        let (file, size) = open_whole_lines(&self.path)?;
        state.file = Some(file);
        state.size = size;
        Ok(())
    }

    fn flush_state(&self, state: &mut State, sync: bool) -> Result<(), ExportError> {
        self.write_pending(state)
            .map_err(|e| self.error("writing", &e))?;
        if sync {
            if let Some(file) = &state.file {
                file.sync_data().map_err(|e| self.error("syncing", &e))?;
            }
        }
        Ok(())
    }

    fn error(&self, what: &str, e: &io::Error) -> ExportError {
        ExportError::new(format!("{what} {} failed: {e}", self.path.display()))
    }
}

fn ignore_not_found(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

/// Opens `path` for appending and removes a trailing partial line; returns
/// the file and its size.
fn open_whole_lines(path: &Path) -> io::Result<(File, u64)> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let len = file.metadata()?.len();
    let whole = whole_lines_len(&mut file, len)?;
    if whole != len {
        file.set_len(whole)?;
    }
    Ok((file, whole))
}

/// The length of `file` up to and including its last newline.
fn whole_lines_len(file: &mut File, len: u64) -> io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = len;
    let mut buf = vec![0u8; usize::try_from(CHUNK.min(len)).unwrap_or(0)];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let n = usize::try_from(end - start).unwrap_or(0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

impl SpanExporter for FileExporter {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = &mut *guard;
        let mut first_error = None;
        let mut line = Vec::with_capacity(512);
        for span in batch {
            line.clear();
            self.lines.line(span, &mut line);
            if let Some(max) = self.max_bytes {
                let after = state.size + state.pending.len() as u64 + line.len() as u64;
                if after > max && state.size + state.pending.len() as u64 > 0 {
                    let rotated = self
                        .write_pending(state)
                        .map_err(|e| self.error("writing", &e))
                        .and_then(|()| self.rotate(state).map_err(|e| self.error("rotating", &e)));
                    if let Err(e) = rotated {
                        first_error.get_or_insert(e);
                    }
                }
            }
            state.pending.extend_from_slice(&line);
            state.pending_since.get_or_insert_with(Instant::now);
        }
        let too_old = state
            .pending_since
            .is_some_and(|t| t.elapsed() >= MAX_BUFFER_AGE);
        if state.pending.len() >= BUFFER_LIMIT || too_old {
            if let Err(e) = self.flush_state(state, false) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn force_flush(&self) -> Result<(), ExportError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.flush_state(&mut state, true)
    }

    fn shutdown(&self) -> Result<(), ExportError> {
        self.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.lines = LineEncoder::new(resource);
    }
}

impl Drop for FileExporter {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let mut state = std::mem::replace(
            state,
            State {
                file: None,
                size: 0,
                pending: Vec::new(),
                pending_since: None,
            },
        );
        let _ = self.flush_state(&mut state, false);
    }
}
