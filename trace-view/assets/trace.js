// One trace as a waterfall. Spans are stitched by parent id, across services (a remote
// parent is a parent like any other); a span whose parent never arrived goes under the
// "orphans" marker, never at the top as a root; children sort by start time whatever
// order they arrived in. User data is text only (TV.el).
"use strict";

(() => {
  const { el } = TV;
  const traceId = decodeURIComponent(location.pathname.split("/").pop() || "");
  const rowsBox = document.getElementById("wf-rows");
  const ticks = document.getElementById("ticks");
  const facts = document.getElementById("facts");
  const status = document.getElementById("status");
  const title = document.getElementById("trace-title");
  const INDENT = 16;

  let nodes = [];       // every row in display order (spans and the orphans marker)
  let t0 = 0;
  let total = 1;
  const open = new Set(); // span ids whose details are shown
  const collapsed = new Set(); // span ids (or "orphans") collapsed

  const pct = (t) => (100 * (t - t0)) / total;

  /** Builds the tree: returns [roots, orphans] of nodes {span, children, parent}. */
  function tree(spans) {
    const byId = new Map();
    for (const s of spans) {
      const start = Number(s.start_unix_nano);
      const end = Math.max(start, Number(s.end_unix_nano));
      if (!byId.has(s.span_id)) byId.set(s.span_id, { id: s.span_id, span: s, start, end, children: [], parent: null });
    }
    const roots = [];
    let orphans = [];
    for (const n of byId.values()) {
      const p = n.span.parent_span_id;
      if (!p) roots.push(n);
      else if (byId.has(p) && p !== n.id) { n.parent = byId.get(p); n.parent.children.push(n); }
      else orphans.push(n);
    }
    // Parent chains that loop never reach a root: cut them and show them as orphans.
    const seen = new Set();
    const visit = (top) => {
      const stack = [top];
      while (stack.length) { const n = stack.pop(); seen.add(n.id); stack.push(...n.children); }
    };
    roots.forEach(visit);
    orphans.forEach(visit);
    for (const n of byId.values()) {
      if (seen.has(n.id)) continue;
      n.parent.children = n.parent.children.filter((c) => c !== n);
      n.parent = null;
      orphans.push(n);
      visit(n);
    }
    const byStart = (a, b) => a.start - b.start || a.end - b.end;
    for (const n of byId.values()) n.children.sort(byStart);
    roots.sort(byStart);
    orphans = orphans.sort(byStart);
    return [roots, orphans, byId];
  }

  /** Critical path segments: from the end of each top span backwards, the child that
   * finished last before the cursor is on the path; the gaps are the parent's own time. */
  function criticalPath(top) {
    const segments = [];
    const walk = (node, until) => {
      let cursor = Math.min(node.end, until);
      const kids = node.children.slice().sort((a, b) => b.end - a.end);
      for (const c of kids) {
        if (c.start >= cursor) continue;
        const end = Math.min(c.end, cursor);
        if (end < cursor) segments.push([node, end, cursor]);
        walk(c, end);
        cursor = Math.max(c.start, node.start);
        if (cursor <= node.start) break;
      }
      if (cursor > node.start) segments.push([node, node.start, cursor]);
    };
    walk(top, Infinity);
    return segments;
  }

  function flatten(roots, orphans) {
    const out = [];
    const push = (top, depth) => {
      const stack = [[top, depth]];
      while (stack.length) {
        const [n, d] = stack.pop();
        n.depth = d;
        out.push(n);
        for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], d + 1]);
      }
    };
    roots.forEach((r) => push(r, 0));
    if (orphans.length) {
      const marker = { id: "orphans", marker: true, depth: 0, children: orphans, start: 0, end: 0 };
      out.push(marker);
      orphans.forEach((o) => push(o, 1));
    }
    return out;
  }

  function attributesTable(attributes, emptyText) {
    if (!attributes || attributes.length === 0) return el("p", { class: "muted" }, emptyText || "none");
    return el("table", { class: "kv" },
      el("tbody", null, attributes.map((a) =>
        el("tr", null,
          el("th", null, a.key),
          el("td", { class: "type" }, a.type),
          el("td", { class: `val t-${a.type}` }, TV.valueText(a))))));
  }

  function details(n) {
    const s = n.span;
    const remote = s.parent_is_remote === true ? " (remote parent)" : "";
    const parentText = !s.parent_span_id ? "none (root)" :
      n.parent ? s.parent_span_id + remote : `${s.parent_span_id} (not received)`;
    const fact = (k, ...v) => el("div", { class: "fact" }, el("span", { class: "k" }, k), el("span", { class: "v" }, ...v));
    const status = el("span", { class: `status s-${s.status.code}` }, s.status.code);
    const sections = [
      el("div", { class: "facts-grid" },
        fact("service", TV.serviceChip(s.service)),
        fact("kind", s.kind),
        fact("duration", TV.duration(s.duration_ns)),
        fact("starts at", `+${TV.duration(n.start - t0)}`, el("span", { class: "muted" }, `  ${TV.clock(s.start_unix_nano)}`)),
        fact("status", status, s.status.message ? el("span", { class: "status-msg" }, s.status.message) : null),
        fact("span id", el("span", { class: "mono" }, s.span_id)),
        fact("parent", el("span", { class: "mono" }, parentText)),
        s.trace_state ? fact("tracestate", el("span", { class: "mono" }, s.trace_state)) : null),
      el("h3", null, "Attributes"), attributesTable(s.attributes),
    ];
    if (s.events.length) {
      sections.push(el("h3", null, `Events (${s.events.length})`),
        el("table", { class: "kv events" }, el("tbody", null, s.events.map((e) =>
          el("tr", null,
            el("td", { class: "type" }, `+${TV.duration(Number(e.time_unix_nano) - n.start)}`),
            el("th", null, e.name),
            el("td", { class: "val" }, e.attributes.map((a) => el("div", null, `${a.key} = ${TV.valueText(a)}`))))))));
    }
    if (s.links.length) {
      sections.push(el("h3", null, `Links (${s.links.length})`),
        el("ul", { class: "links" }, s.links.map((l) => el("li", null,
          l.stored ?
            el("a", { href: `/trace/${encodeURIComponent(l.trace_id)}#span-${encodeURIComponent(l.span_id)}`, class: "mono" }, `${l.trace_id} / ${l.span_id}`) :
            el("span", { class: "mono muted", title: "this trace is not stored" }, `${l.trace_id} / ${l.span_id} (not stored)`),
          l.attributes.length ? el("span", { class: "muted" }, "  " + l.attributes.map((a) => `${a.key}=${TV.valueText(a)}`).join(", ")) : null))));
    }
    const dropped = [["attributes", s.dropped_attributes_count], ["events", s.dropped_events_count], ["links", s.dropped_links_count]]
      .filter(([, c]) => c > 0).map(([w, c]) => `${c} ${w}`);
    if (dropped.length) sections.push(el("p", { class: "muted" }, `Dropped by the sender: ${dropped.join(", ")}`));
    sections.push(el("div", { class: "two-col" },
      el("div", null, el("h3", null, "Resource"), attributesTable(s.resource.attributes)),
      el("div", null, el("h3", null, "Instrumentation scope"),
        el("p", null, el("span", { class: "mono" }, s.scope.name || "(unnamed)"), s.scope.version ? ` ${s.scope.version}` : ""),
        s.scope.attributes.length ? attributesTable(s.scope.attributes) : null)));
    return el("div", { class: "wf-details", dataset: { for: n.id } }, sections);
  }

  function row(n, cpSegments) {
    if (n.marker) {
      return el("div", { class: "wf-row marker", dataset: { spanId: "orphans" } },
        el("div", { class: "wf-name" },
          el("button", { type: "button", class: "toggle", "aria-label": "collapse or expand" }, "▾"),
          el("span", { class: "marker-text" }, `orphans: ${n.children.length} span${n.children.length === 1 ? "" : "s"} whose parent never arrived`)),
        el("div", { class: "wf-track" }));
    }
    const s = n.span;
    const color = TV.serviceColor(s.service);
    const left = pct(n.start);
    const width = Math.max(0, pct(n.end) - left);
    const hop = !n.parent || n.parent.span.service !== s.service;
    const bar = el("div", {
      class: s.status.code === "error" ? "wf-bar error" : "wf-bar",
      style: { left: `${left}%`, width: `${width}%`, background: s.status.code === "error" ? null : color },
    });
    const spanDuration = n.end - n.start;
    for (const e of s.events) {
      const at = spanDuration > 0 ? (100 * (Number(e.time_unix_nano) - n.start)) / spanDuration : 0;
      bar.appendChild(el("span", { class: "ev", title: e.name, style: { left: `${Math.min(100, Math.max(0, at))}%` } }));
    }
    const track = el("div", { class: "wf-track" }, bar);
    for (const [, a, b] of cpSegments || []) {
      track.appendChild(el("div", { class: "cp", style: { left: `${pct(a)}%`, width: `${Math.max(0, pct(b) - pct(a))}%` } }));
    }
    const label = el("span", { class: "wf-label" }, TV.duration(s.duration_ns));
    if (left + width <= 80) label.style.left = `${left + width + 0.4}%`;
    else if (left >= 14) label.style.right = `${100 - left + 0.4}%`;
    else { label.style.right = `${100 - left - width + 0.4}%`; label.classList.add("inside"); }
    track.appendChild(label);
    return el("div", {
      class: `wf-row${s.status.code === "error" ? " error" : ""}${cpSegments ? " on-cp" : ""}`,
      id: `span-${s.span_id}`,
      dataset: { spanId: s.span_id, depth: n.depth },
    },
    el("div", { class: "wf-name", style: { paddingLeft: `${6 + n.depth * INDENT}px` } },
      n.children.length ?
        el("button", { type: "button", class: "toggle", "aria-label": "collapse or expand" }, "▾") :
        el("span", { class: "leaf" }),
      el("span", { class: "dot", style: { background: color } }),
      s.status.code === "error" ? el("span", { class: "err-dot", title: "error" }, "!") : null,
      el("span", { class: "span-name", title: s.name }, s.name),
      hop ? el("span", { class: "svc", style: { color } }, s.service) : null,
      s.parent_is_remote === true ? el("span", { class: "remote", title: "the parent span is in another process" }, "remote") : null),
    track);
  }

  function render(spans) {
    const [roots, orphans] = tree(spans);
    const all = spans.map((s) => [Number(s.start_unix_nano), Math.max(Number(s.start_unix_nano), Number(s.end_unix_nano))]);
    t0 = Infinity;
    let t1 = -Infinity;
    for (const [a, b] of all) { if (a < t0) t0 = a; if (b > t1) t1 = b; }
    total = Math.max(1, t1 - t0);
    nodes = flatten(roots, orphans);

    const segments = new Map();
    for (const top of [...roots, ...orphans]) {
      for (const seg of criticalPath(top)) {
        if (!segments.has(seg[0].id)) segments.set(seg[0].id, []);
        segments.get(seg[0].id).push(seg);
      }
    }

    const fragment = document.createDocumentFragment();
    for (const n of nodes) {
      n.row = row(n, segments.get(n.id));
      fragment.appendChild(n.row);
      if (open.has(n.id) && !n.marker) {
        n.details = details(n);
        fragment.appendChild(n.details);
      }
    }
    rowsBox.replaceChildren(fragment);
    applyCollapse();

    ticks.replaceChildren(...[0, 0.25, 0.5, 0.75, 1].map((f) =>
      el("span", { class: "tick", style: f === 1 ? { right: "0" } : { left: `${f * 100}%` } }, TV.duration(Math.round(f * total)))));

    const services = [...new Set(spans.map((s) => s.service))].sort();
    const errors = spans.filter((s) => s.status.code === "error").length;
    const root = roots[0] || orphans[0];
    const name = root ? root.span.name : "trace";
    title.textContent = name;
    document.title = `${name} · trace-view`;
    const depth = nodes.reduce((m, n) => Math.max(m, n.depth), 0) + 1;
    facts.replaceChildren(...[
      el("span", { class: "fact-inline" }, el("span", { class: "k" }, "trace"), el("span", { class: "mono" }, traceId)),
      el("span", { class: "fact-inline" }, el("span", { class: "k" }, "started"), TV.clock(t0)),
      el("span", { class: "fact-inline" }, el("span", { class: "k" }, "duration"), TV.duration(total)),
      el("span", { class: "fact-inline" }, el("span", { class: "k" }, "spans"), String(spans.length)),
      el("span", { class: "fact-inline" }, el("span", { class: "k" }, "depth"), String(depth)),
      errors ? el("span", { class: "fact-inline err" }, el("span", { class: "k" }, "errors"), String(errors)) : null,
      el("span", { class: "fact-inline" }, el("span", { class: "k" }, "services"), services.map(TV.serviceChip)),
    ].filter(Boolean));
  }

  /** Hides the rows under a collapsed row (and their open details). */
  function applyCollapse() {
    let hideBelow = Infinity;
    for (const n of nodes) {
      let hidden = false;
      if (n.depth > hideBelow) hidden = true;
      else hideBelow = Infinity;
      n.row.hidden = hidden;
      if (n.details) n.details.hidden = hidden;
      const isCollapsed = collapsed.has(n.id);
      const toggle = n.row.querySelector(".toggle");
      if (toggle) toggle.textContent = isCollapsed ? "▸" : "▾";
      n.row.classList.toggle("collapsed", isCollapsed);
      if (!hidden && isCollapsed) hideBelow = n.depth;
    }
  }

  function toggleDetails(n) {
    if (open.has(n.id)) {
      open.delete(n.id);
      if (n.details) n.details.remove();
      n.details = null;
      n.row.classList.remove("selected");
    } else {
      open.add(n.id);
      n.details = details(n);
      n.row.after(n.details);
      n.row.classList.add("selected");
    }
  }

  rowsBox.addEventListener("click", (e) => {
    const rowEl = e.target.closest(".wf-row");
    if (!rowEl) return;
    const n = nodes.find((x) => x.row === rowEl);
    if (!n) return;
    if (e.target.closest(".toggle") || n.marker) {
      if (collapsed.has(n.id)) collapsed.delete(n.id); else collapsed.add(n.id);
      applyCollapse();
    } else {
      toggleDetails(n);
    }
  });

  document.getElementById("expand-all").addEventListener("click", () => { collapsed.clear(); applyCollapse(); });
  document.getElementById("collapse-all").addEventListener("click", () => {
    for (const n of nodes) if (n.children.length && n.depth === 0) collapsed.add(n.id);
    applyCollapse();
  });
  document.getElementById("reload").addEventListener("click", () => load());

  function focusHash() {
    const m = /^#span-([0-9a-f]{16})$/.exec(location.hash);
    if (!m) return;
    const n = nodes.find((x) => x.id === m[1]);
    if (!n) return;
    for (let p = n.parent; p; p = p.parent) collapsed.delete(p.id);
    applyCollapse();
    if (!open.has(n.id)) toggleDetails(n);
    n.row.scrollIntoView({ block: "center" });
  }

  async function load() {
    const started = performance.now();
    try {
      const spans = await TV.getJSON(`/api/traces/${encodeURIComponent(traceId)}`);
      const fetched = performance.now();
      render(spans);
      focusHash();
      const rendered = performance.now();
      // Measured by the browser test and the benchmark (Performance API).
      performance.mark("trace-rendered");
      window.traceViewTiming = { spans: spans.length, fetch_ms: fetched - started, render_ms: rendered - fetched };
      status.textContent = "";
      document.body.dataset.loaded = "true";
    } catch (e) {
      status.textContent = e.status === 404 ? "This trace is not stored (yet, or any more)." : `Could not load the trace: ${e.message}`;
      status.classList.add("error-text");
      document.body.dataset.loaded = "error";
    }
  }

  window.addEventListener("hashchange", focusHash);
  load();
})();
