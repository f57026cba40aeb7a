//! The span store: `SQLite` (the bundled library), in a file that survives a restart or in
//! memory, bounded by a number of spans (the oldest traces go first).
//!
//! Tables: `traces` (one summary row per trace, kept up to date as spans arrive, whatever
//! their order; its integer `id`, given in arrival order, is what the other tables refer to),
//! `spans` (one row per trace, resource and scope per write, not per span: the spans' ids, the
//! spans themselves in their OTLP protobuf encoding, made into the API's JSON when a trace is
//! read, and the `key=value` text the attribute filter searches), `trace_services` and
//! `trace_names` (which services a trace crossed and which span names it holds, each indexed
//! both ways) and `resources` (each resource's document, once). Indexes serve the list (newest
//! first), the service and span-name filters, a trace by its id and a trace's spans.
//!
//! Why this shape: writing is what bounds the ingest rate. A row per trace rather than per
//! span keeps the index entries per span well under one, and keys in arrival order append to
//! the right end of their B-trees: only the trace-id index takes a random insert, once per
//! trace, where random 16-byte keys everywhere dirtied a page per trace in every index.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{params, Connection, OptionalExtension as _};
use serde_json::Value as Json;

use crate::otlp::{stored_scope, stored_span, Batch, Chunk, SpanMeta};
use crate::span::{hex, Resource};

/// The layout of the tables; a file made with another layout is refused.
const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS traces (
    id INTEGER PRIMARY KEY,
    trace_id BLOB NOT NULL UNIQUE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    span_count INTEGER NOT NULL,
    error INTEGER NOT NULL,
    root_name TEXT,
    root_start INTEGER,
    first_name TEXT NOT NULL,
    first_start INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (start);
CREATE TABLE IF NOT EXISTS trace_services (
    trace INTEGER NOT NULL,
    service TEXT NOT NULL,
    PRIMARY KEY (trace, service)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_services_by_service ON trace_services (service, trace);
CREATE TABLE IF NOT EXISTS trace_names (
    trace INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (trace, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_names_by_name ON trace_names (name, trace);
CREATE TABLE IF NOT EXISTS spans (
    trace INTEGER NOT NULL,
    span_ids BLOB NOT NULL,
    attrs TEXT NOT NULL,
    has_links INTEGER NOT NULL,
    resource INTEGER NOT NULL,
    scope BLOB NOT NULL,
    spans BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans (trace);
CREATE TABLE IF NOT EXISTS resources (
    key INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    doc TEXT NOT NULL
);
";

/// The most traces one list query returns.
pub const MAX_LIMIT: u32 = 1000;

/// Why the store could not be opened or used.
#[derive(Debug)]
pub struct StoreError(String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self(format!("store: {e}"))
    }
}

/// The filters of `GET /api/traces`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) service: Option<String>,
    pub(crate) name: Option<String>,
    /// `key=value`: some span of the trace has this attribute.
    pub(crate) attribute: Option<String>,
    /// Only traces with (`Some(true)`) or without (`Some(false)`) an error span.
    pub(crate) error: Option<bool>,
    /// One trace only.
    pub(crate) trace_id: Option<[u8; 16]>,
    pub(crate) min_duration_ns: Option<i64>,
    /// Start time range, Unix nanoseconds, inclusive.
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
    pub(crate) limit: u32,
}

/// One line of the trace list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) trace_id: [u8; 16],
    pub(crate) root_name: String,
    /// Whether the root span (the one with no parent) has arrived.
    pub(crate) has_root: bool,
    pub(crate) services: Vec<String>,
    pub(crate) start_unix_nano: i64,
    pub(crate) duration_ns: i64,
    pub(crate) span_count: i64,
    pub(crate) error: bool,
}

impl Summary {
    pub(crate) fn to_json(&self) -> Json {
        serde_json::json!({
            "trace_id": hex(&self.trace_id),
            "root_name": self.root_name,
            "has_root": self.has_root,
            "services": self.services,
            "start_unix_nano": self.start_unix_nano,
            "duration_ns": self.duration_ns,
            "span_count": self.span_count,
            "error": self.error,
        })
    }
}

/// What an insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Inserted {
    /// Spans written (a span already stored, sent again by a retry, is not written twice).
    pub(crate) new_spans: u64,
    /// Traces removed to stay under the bound.
    pub(crate) evicted_traces: u64,
}

/// The span store (see the module docs).
#[derive(Debug)]
pub struct Store {
    inner: Mutex<Inner>,
    max_spans: u64,
}

#[derive(Debug)]
struct Inner {
    conn: Connection,
    total_spans: u64,
    /// A bound below `max_spans`, learned when the store ran out of room first (the 1 GiB of
    /// the in-memory database, or a full disk).
    room: Option<u64>,
}

/// The summary of one trace's new spans in one insert.
struct Fold<'a> {
    start: i64,
    end: i64,
    count: i64,
    error: bool,
    root: Option<(&'a str, i64)>,
    first: (&'a str, i64),
    services: BTreeSet<&'a str>,
    names: BTreeSet<&'a str>,
}

impl<'a> Fold<'a> {
    fn new(name: &'a str, start: i64, end: i64) -> Self {
        Self {
            start,
            end,
            count: 0,
            error: false,
            root: None,
            first: (name, start),
            services: BTreeSet::new(),
            names: BTreeSet::new(),
        }
    }

    fn add(&mut self, name: &'a str, span: &SpanMeta) {
        self.start = self.start.min(span.start);
        self.end = self.end.max(span.end);
        self.count += 1;
        self.error |= span.error;
        if span.is_root && self.root.is_none_or(|(_, s)| span.start < s) {
            self.root = Some((name, span.start));
        }
        if span.start < self.first.1 {
            self.first = (name, span.start);
        }
        self.names.insert(name);
    }
}

/// The ids of the spans of `chunk`'s trace already stored (none for a new trace).
fn stored_span_ids(
    exists: &mut rusqlite::CachedStatement<'_>,
    stored_ids: &mut rusqlite::CachedStatement<'_>,
    chunk: &Chunk,
) -> Result<HashSet<[u8; 8]>, rusqlite::Error> {
    let mut ids = HashSet::with_capacity(chunk.spans.len());
    let row: Option<i64> = exists
        .query_row([&chunk.trace_id[..]], |r| r.get(0))
        .optional()?;
    if let Some(row) = row {
        let mut rows = stored_ids.query([row])?;
        while let Some(row) = rows.next()? {
            let blob = row.get_ref(0)?.as_blob()?;
            ids.extend(blob.chunks_exact(8).map(|id| {
                let mut out = [0; 8];
                out.copy_from_slice(id);
                out
            }));
        }
    }
    Ok(ids)
}

impl Store {
    /// Opens (creating it if missing) the store at `path`, or an empty one in memory, keeping
    /// at most `max_spans` spans.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or created, is not a store, or was made by another
    /// version of trace-view.
    pub fn open(path: Option<&Path>, max_spans: u64) -> Result<Self, StoreError> {
        let conn = match path {
            Some(p) => Connection::open(p)
                .map_err(|e| StoreError(format!("cannot open {}: {e}", p.display())))?,
            // Not `:memory:`: its pages live in the page cache, which SQLite scans at every
            // commit for pages past the end, a cost that grew with the store (a fifth of the
            // ingest time at 800,000 spans). The memdb file keeps the cache bounded; the name
            // does not start with '/', so the database is this connection's alone.
            None => Connection::open_with_flags(
                "file:trace-view?vfs=memdb",
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
        };
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let has_tables: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'traces'",
            [],
            |r| r.get(0),
        )?;
        if has_tables && version != SCHEMA_VERSION {
            return Err(StoreError(format!(
                "the store was made by another version of trace-view (layout {version}, this one reads {SCHEMA_VERSION})"
            )));
        }
        if path.is_none() {
            conn.pragma_update(None, "journal_mode", "MEMORY")?;
        } else {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Checkpoints copy the log into the file and sync it: fewer, larger ones (64 MiB
            // of 4 KiB pages; larger pages were tried: a smaller file, slower writes).
            conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
        }
        // The page cache stays at SQLite's default 2 MiB: each commit scans it (see above), and
        // with 8, 16 or 64 MiB the ingest measured slower, by up to a third.
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        let total: i64 =
            conn.query_row("SELECT coalesce(sum(span_count), 0) FROM traces", [], |r| {
                r.get(0)
            })?;
        let store = Self {
            inner: Mutex::new(Inner {
                conn,
                total_spans: u64::try_from(total).unwrap_or(0),
                room: None,
            }),
            max_spans,
        };
        // A smaller bound than the last run's applies at once.
        store.with(|inner| {
            let tx = inner.conn.transaction()?;
            let mut total = inner.total_spans;
            evict(&tx, &mut total, max_spans)?;
            tx.commit()?;
            inner.total_spans = total;
            Ok(())
        })?;
        Ok(store)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(f(&mut inner)?)
    }

    /// How many spans are stored.
    pub fn span_count(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total_spans
    }

    /// Writes `batch` in one transaction (a span already stored, sent again by a retry, is
    /// not written twice), then evicts the oldest traces beyond the bound.
    ///
    /// A store out of room before its bound (the in-memory database holds 1 GiB) keeps nine
    /// tenths of what it holds from then on: it evicts the oldest traces and writes again.
    pub(crate) fn insert(&self, batch: &Batch) -> Result<Inserted, StoreError> {
        let max_spans = self.max_spans;
        self.with(|inner| {
            let max = inner.room.map_or(max_spans, |room| room.min(max_spans));
            match write(inner, batch, max) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DiskFull && inner.total_spans > 0 =>
                {
                    let room = inner.total_spans - inner.total_spans / 10;
                    inner.room = Some(room);
                    let tx = inner.conn.transaction()?;
                    let mut total = inner.total_spans;
                    let evicted = evict(&tx, &mut total, room)?;
                    tx.commit()?;
                    inner.total_spans = total;
                    let mut inserted = write(inner, batch, room)?;
                    inserted.evicted_traces += evicted;
                    Ok(inserted)
                }
                other => other,
            }
        })
    }

    /// The traces matching `query`, newest first.
    pub(crate) fn traces(&self, query: &Query) -> Result<Vec<Summary>, StoreError> {
        let mut sql = String::from(
            "SELECT trace_id, coalesce(root_name, first_name), root_name IS NOT NULL, start,
                 end - start, span_count, error,
                 (SELECT group_concat(service, char(10)) FROM trace_services s
                  WHERE s.trace = t.id)
             FROM traces t WHERE 1",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(s) = &query.service {
            arg(
                &mut sql,
                " AND id IN (SELECT trace FROM trace_services WHERE service = ?)",
                s.clone().into(),
            );
        }
        if let Some(n) = &query.name {
            arg(
                &mut sql,
                " AND id IN (SELECT trace FROM trace_names WHERE name = ?)",
                n.clone().into(),
            );
        }
        if let Some(a) = &query.attribute {
            arg(
                &mut sql,
                " AND id IN (SELECT trace FROM spans WHERE instr(attrs, ?) > 0)",
                format!("\n{a}\n").into(),
            );
        }
        if let Some(e) = query.error {
            sql.push_str(if e {
                " AND error = 1"
            } else {
                " AND error = 0"
            });
        }
        if let Some(id) = query.trace_id {
            arg(&mut sql, " AND trace_id = ?", id.to_vec().into());
        }
        if let Some(d) = query.min_duration_ns {
            arg(&mut sql, " AND end - start >= ?", d.into());
        }
        if let Some(from) = query.from {
            arg(&mut sql, " AND start >= ?", from.into());
        }
        if let Some(to) = query.to {
            arg(&mut sql, " AND start <= ?", to.into());
        }
        arg(
            &mut sql,
            " ORDER BY start DESC LIMIT ?",
            i64::from(query.limit.min(MAX_LIMIT)).into(),
        );
        self.with(|inner| {
            let mut stmt = inner.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
                let id: Vec<u8> = r.get(0)?;
                let services: Option<String> = r.get(7)?;
                let mut services: Vec<String> = services
                    .unwrap_or_default()
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                services.sort();
                Ok(Summary {
                    trace_id: id.try_into().unwrap_or([0; 16]),
                    root_name: r.get(1)?,
                    has_root: r.get(2)?,
                    start_unix_nano: r.get(3)?,
                    duration_ns: r.get(4)?,
                    span_count: r.get(5)?,
                    error: r.get(6)?,
                    services,
                })
            })?;
            rows.collect()
        })
    }

    /// The spans of one trace as a JSON array (in arrival order), each link saying whether
    /// its trace is stored; `None` when the trace is not stored.
    pub(crate) fn trace(&self, trace_id: [u8; 16]) -> Result<Option<String>, StoreError> {
        self.with(|inner| {
            let mut stmt = inner.conn.prepare_cached(
                "SELECT s.spans, s.scope, r.service, r.doc FROM traces t
                 JOIN spans s ON s.trace = t.id
                 LEFT JOIN resources r ON r.key = s.resource
                 WHERE t.trace_id = ?1 ORDER BY s.rowid",
            )?;
            let mut exists = inner
                .conn
                .prepare_cached("SELECT 1 FROM traces WHERE trace_id = ?1")?;
            let mut rows = stmt.query([&trace_id[..]])?;
            let mut out = String::from("[");
            let mut doc = Vec::with_capacity(1024);
            while let Some(row) = rows.next()? {
                let mut spans = row.get_ref(0)?.as_blob()?;
                let scope = Arc::new(stored_scope(row.get_ref(1)?.as_blob()?));
                let resource = Arc::new(Resource {
                    service: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    json: row
                        .get::<_, Option<String>>(3)?
                        .unwrap_or_else(|| "{\"attributes\":[]}".to_owned()),
                    key: 0,
                });
                while let Some(span) = stored_span(&mut spans, &resource, &scope) {
                    doc.clear();
                    span.write_json(&mut doc);
                    let mut text = String::from_utf8_lossy(&doc);
                    if !span.links.is_empty() {
                        let mut json: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
                        if let Some(Json::Array(links)) = json.get_mut("links") {
                            for link in links {
                                let stored = link
                                    .get("trace_id")
                                    .and_then(Json::as_str)
                                    .and_then(crate::span::parse_hex::<16>)
                                    .map(|id| exists.exists([&id[..]]))
                                    .transpose()?
                                    .unwrap_or(false);
                                link["stored"] = stored.into();
                            }
                        }
                        text = Cow::Owned(json.to_string());
                    }
                    if out.len() > 1 {
                        out.push(',');
                    }
                    // The document is an object: put the resource in as its first member.
                    out.push_str("{\"resource\":");
                    out.push_str(&resource.json);
                    if text.len() > 2 {
                        out.push(',');
                    }
                    out.push_str(text.get(1..).unwrap_or("}"));
                }
            }
            out.push(']');
            Ok((out.len() > 2).then_some(out))
        })
    }

    /// Every service name seen, sorted.
    pub(crate) fn services(&self) -> Result<Vec<String>, StoreError> {
        self.with(|inner| {
            let mut stmt = inner
                .conn
                .prepare_cached("SELECT DISTINCT service FROM trace_services ORDER BY service")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Up to 500 span names, sorted.
    pub(crate) fn span_names(&self) -> Result<Vec<String>, StoreError> {
        self.with(|inner| {
            let mut stmt = inner
                .conn
                .prepare_cached("SELECT DISTINCT name FROM trace_names ORDER BY name LIMIT 500")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// The summary of one trace, if stored.
    pub(crate) fn summary(&self, trace_id: [u8; 16]) -> Result<Option<Summary>, StoreError> {
        let query = Query {
            trace_id: Some(trace_id),
            limit: 1,
            ..Query::default()
        };
        Ok(self.traces(&query)?.pop())
    }
}

/// [`Store::insert`] in one transaction, with `max` as the bound.
fn write(inner: &mut Inner, batch: &Batch, max: u64) -> Result<Inserted, rusqlite::Error> {
    let tx = inner.conn.transaction()?;
    // Which spans are new (a retry's are not), and the new summaries.
    let mut folds: HashMap<[u8; 16], Fold<'_>> = HashMap::new();
    let mut keeps: Vec<Vec<bool>> = Vec::with_capacity(batch.chunks.len());
    {
        let mut exists = tx.prepare_cached("SELECT id FROM traces WHERE trace_id = ?1")?;
        let mut stored_ids = tx.prepare_cached("SELECT span_ids FROM spans WHERE trace = ?1")?;
        // The span ids of each trace this write touches: the stored ones, then the new.
        let mut seen: HashMap<[u8; 16], HashSet<[u8; 8]>> = HashMap::new();
        for chunk in &batch.chunks {
            let ids = match seen.entry(chunk.trace_id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(stored_span_ids(&mut exists, &mut stored_ids, chunk)?),
            };
            let keep: Vec<bool> = (0..chunk.spans.len())
                .map(|i| ids.insert(chunk.span_id(i)))
                .collect();
            for (span, _) in chunk.spans.iter().zip(&keep).filter(|(_, k)| **k) {
                let name = chunk.names[span.name].as_str();
                folds
                    .entry(chunk.trace_id)
                    .or_insert_with(|| Fold::new(name, span.start, span.end))
                    .add(name, span);
            }
            if let Some(fold) = folds.get_mut(&chunk.trace_id) {
                fold.services.insert(&batch.groups[chunk.group].0.service);
            }
            keeps.push(keep);
        }
    }
    let (new_spans, rows) = write_summaries(&tx, &folds)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO spans (trace, span_ids, attrs, has_links, resource, scope, spans)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut resource = tx.prepare_cached(
            "INSERT OR IGNORE INTO resources (key, service, doc) VALUES (?1, ?2, ?3)",
        )?;
        let mut last_resource = None;
        for (chunk, keep) in batch.chunks.iter().zip(&keeps) {
            let Some(row) = rows.get(&chunk.trace_id) else {
                continue;
            };
            if !keep.contains(&true) {
                continue;
            }
            let (chunk_resource, scope) = &batch.groups[chunk.group];
            if last_resource != Some(chunk_resource.key) {
                resource.execute(params![
                    chunk_resource.key,
                    chunk_resource.service,
                    chunk_resource.json
                ])?;
                last_resource = Some(chunk_resource.key);
            }
            let (span_ids, encoded, attrs) = chunk.kept(keep);
            let has_links = chunk.spans.iter().zip(keep).any(|(s, k)| *k && s.has_links);
            insert.execute(params![
                row,
                &span_ids[..],
                &attrs[..],
                has_links,
                chunk_resource.key,
                scope,
                &encoded[..]
            ])?;
        }
    }
    let mut total = inner.total_spans + new_spans;
    let evicted_traces = evict(&tx, &mut total, max)?;
    tx.commit()?;
    inner.total_spans = total;
    Ok(Inserted {
        new_spans,
        evicted_traces,
    })
}

/// Folds one insert's new spans into the trace summaries; returns how many spans were new
/// and each trace's row.
fn write_summaries(
    tx: &rusqlite::Transaction<'_>,
    folds: &HashMap<[u8; 16], Fold<'_>>,
) -> Result<(u64, HashMap<[u8; 16], i64>), rusqlite::Error> {
    let mut new_spans = 0;
    let mut rows = HashMap::with_capacity(folds.len());
    let mut upsert = tx.prepare_cached(
        "INSERT INTO traces (trace_id, start, end, span_count, error, root_name,
             root_start, first_name, first_start)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (trace_id) DO UPDATE SET
             start = min(start, excluded.start),
             end = max(end, excluded.end),
             span_count = span_count + excluded.span_count,
             error = max(error, excluded.error),
             root_name = CASE WHEN excluded.root_start IS NOT NULL
                 AND (root_start IS NULL OR excluded.root_start < root_start)
                 THEN excluded.root_name ELSE root_name END,
             root_start = CASE WHEN excluded.root_start IS NOT NULL
                 AND (root_start IS NULL OR excluded.root_start < root_start)
                 THEN excluded.root_start ELSE root_start END,
             first_name = CASE WHEN excluded.first_start < first_start
                 THEN excluded.first_name ELSE first_name END,
             first_start = min(first_start, excluded.first_start)
         RETURNING id",
    )?;
    let mut service =
        tx.prepare_cached("INSERT OR IGNORE INTO trace_services (trace, service) VALUES (?1, ?2)")?;
    let mut name =
        tx.prepare_cached("INSERT OR IGNORE INTO trace_names (trace, name) VALUES (?1, ?2)")?;
    for (trace_id, f) in folds {
        let row: i64 = upsert.query_row(
            params![
                &trace_id[..],
                f.start,
                f.end,
                f.count,
                f.error,
                f.root.map(|r| r.0),
                f.root.map(|r| r.1),
                f.first.0,
                f.first.1
            ],
            |r| r.get(0),
        )?;
        for s in &f.services {
            service.execute(params![row, s])?;
        }
        for n in &f.names {
            name.execute(params![row, n])?;
        }
        rows.insert(*trace_id, row);
        new_spans += u64::try_from(f.count).unwrap_or(0);
    }
    Ok((new_spans, rows))
}

/// Removes the oldest traces (by start time) until at most `max` spans remain.
fn evict(
    tx: &rusqlite::Transaction<'_>,
    total: &mut u64,
    max: u64,
) -> Result<u64, rusqlite::Error> {
    let mut evicted = 0;
    while *total > max {
        let oldest: Vec<(i64, i64)> = tx
            .prepare_cached("SELECT id, span_count FROM traces ORDER BY start LIMIT 64")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        if oldest.is_empty() {
            *total = 0;
            break;
        }
        for (id, count) in oldest {
            tx.prepare_cached("DELETE FROM spans WHERE trace = ?1")?
                .execute([id])?;
            tx.prepare_cached("DELETE FROM trace_services WHERE trace = ?1")?
                .execute([id])?;
            tx.prepare_cached("DELETE FROM trace_names WHERE trace = ?1")?
                .execute([id])?;
            tx.prepare_cached("DELETE FROM traces WHERE id = ?1")?
                .execute([id])?;
            *total = total.saturating_sub(u64::try_from(count).unwrap_or(0));
            evicted += 1;
            if *total <= max {
                break;
            }
        }
    }
    Ok(evicted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{self, Format};

    /// A request of one trace (`t`) with 20 spans, each with a 1 KiB attribute.
    fn request(t: u32) -> Batch {
        let spans: Vec<String> = (1..=20)
            .map(|s| {
                format!(
                    r#"{{"traceId":"{t:032x}","spanId":"{s:016x}","name":"s{s}",
                    "startTimeUnixNano":"{start}","endTimeUnixNano":"{start}",
                    "attributes":[{{"key":"pad","value":{{"stringValue":"{pad}"}}}}]}}"#,
                    start = u64::from(t) * 1000 + s,
                    pad = "x".repeat(1024),
                )
            })
            .collect();
        let body = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        );
        otlp::decode(Format::Json, body.as_bytes()).unwrap().batch
    }

    #[test]
    fn a_store_out_of_room_evicts_and_keeps_writing() {
        let store = Store::open(None, 1_000_000).unwrap();
        // About 1 MiB of pages: room for a few dozen of these traces.
        store
            .with(|inner| inner.conn.pragma_update(None, "max_page_count", 256))
            .unwrap();
        for t in 1..=100 {
            store.insert(&request(t)).unwrap();
        }
        let kept = store.span_count();
        assert!(kept < 100 * 20, "{kept}");
        let room = store.with(|inner| Ok(inner.room)).unwrap().unwrap();
        assert!(kept <= room, "{kept} > {room}");
        let newest = store.summary(trace(100)).unwrap().unwrap();
        assert_eq!(newest.span_count, 20);
        assert!(store.summary(trace(1)).unwrap().is_none());
        let counted: i64 = store
            .with(|inner| {
                inner
                    .conn
                    .query_row("SELECT sum(span_count) FROM traces", [], |r| r.get(0))
            })
            .unwrap();
        assert_eq!(u64::try_from(counted).unwrap(), kept);
    }

    #[test]
    fn two_stores_in_memory_are_two_databases() {
        let (a, b) = (
            Store::open(None, 100).unwrap(),
            Store::open(None, 100).unwrap(),
        );
        a.insert(&request(1)).unwrap();
        assert_eq!((a.span_count(), b.span_count()), (20, 0));
        assert!(b.summary(trace(1)).unwrap().is_none());
        assert_eq!(a.summary(trace(1)).unwrap().unwrap().span_count, 20);
    }

    fn trace(t: u32) -> [u8; 16] {
        u128::from(t).to_be_bytes()
    }
}
