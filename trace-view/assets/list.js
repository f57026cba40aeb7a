// The trace list: filters kept in the address (a link shares them), newest first, polled
// while "live" is on. Rows are built with TV.el: user data is text only.
"use strict";

(() => {
  const { el } = TV;
  const form = document.getElementById("filters");
  const rows = document.getElementById("rows");
  const table = document.getElementById("traces");
  const empty = document.getElementById("empty");
  const count = document.getElementById("count");
  const status = document.getElementById("status");
  const live = document.getElementById("f-live");
  const liveState = document.getElementById("live-state");
  const FIELDS = ["service", "name", "attr", "min_duration_ms", "range", "limit", "error"];
  const POLL_MS = 2000;
  let shown = new Set();
  let first = true;
  let timer = null;
  let inflight = false;

  function fromAddress() {
    const params = new URLSearchParams(location.search);
    for (const name of FIELDS) {
      const input = form.elements[name];
      if (!input || !params.has(name)) continue;
      if (input.type === "checkbox") input.checked = params.get(name) === "true";
      else input.value = params.get(name);
    }
    if (params.get("live") === "false") live.checked = false;
  }

  function filters() {
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const input = form.elements[name];
      if (input.type === "checkbox") { if (input.checked) params.set(name, "true"); }
      else if (input.value.trim() !== "") params.set(name, input.value.trim());
    }
    return params;
  }

  function toAddress(params) {
    const p = new URLSearchParams(params);
    if (!live.checked) p.set("live", "false");
    const query = p.toString();
    history.replaceState(null, "", query ? `/?${query}` : "/");
  }

  function apiQuery(params) {
    const q = new URLSearchParams(params);
    const range = q.get("range");
    q.delete("range");
    if (range) q.set("from", String(Date.now() - Number(range) * 60000));
    return q;
  }

  function row(t, maxDuration, fresh) {
    const href = `/trace/${encodeURIComponent(t.trace_id)}`;
    const width = maxDuration > 0 ? Math.max(1, (100 * t.duration_ns) / maxDuration) : 0;
    return el("tr", { class: fresh ? "fresh" : "", dataset: { traceId: t.trace_id } },
      el("td", { class: "c-start", title: TV.clock(t.start_unix_nano) },
        el("div", null, TV.ago(t.start_unix_nano)),
        el("div", { class: "sub" }, TV.clock(t.start_unix_nano).slice(11))),
      el("td", { class: "c-root" },
        el("a", { href, class: "root-name" },
          t.error ? el("span", { class: "err-mark", title: "a span of this trace failed" }, "error") : null,
          el("span", { class: "name" }, t.root_name),
          t.has_root ? null : el("span", { class: "warn-mark", title: "the root span has not arrived" }, "no root")),
        el("div", { class: "sub mono" }, t.trace_id)),
      el("td", { class: "c-services" }, t.services.map(TV.serviceChip)),
      el("td", { class: "num" }, String(t.span_count)),
      el("td", { class: "c-dur" },
        el("div", { class: "dur-text" }, TV.duration(t.duration_ns)),
        el("div", { class: "dur-track" }, el("div", { class: t.error ? "dur-bar error" : "dur-bar", style: { width: `${width}%` } }))));
  }

  async function refresh() {
    if (inflight) return;
    inflight = true;
    const params = filters();
    toAddress(params);
    try {
      const traces = await TV.getJSON(`/api/traces?${apiQuery(params)}`);
      const maxDuration = traces.reduce((m, t) => Math.max(m, t.duration_ns), 0);
      const fragment = document.createDocumentFragment();
      const next = new Set();
      for (const t of traces) {
        next.add(t.trace_id);
        fragment.appendChild(row(t, maxDuration, !first && !shown.has(t.trace_id)));
      }
      rows.replaceChildren(fragment);
      shown = next;
      first = false;
      count.textContent = traces.length === 1 ? "1 trace" : `${traces.length} traces`;
      const filtered = [...params.keys()].some((k) => k !== "limit");
      table.hidden = traces.length === 0;
      empty.hidden = traces.length !== 0 || filtered;
      status.textContent = traces.length === 0 && filtered ? "No trace matches these filters." :
        `newest first · updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove("error-text");
    } catch (e) {
      status.textContent = `Could not load traces: ${e.message}`;
      status.classList.add("error-text");
    } finally {
      inflight = false;
    }
  }

  function schedule() {
    clearInterval(timer);
    liveState.textContent = live.checked ? "live" : "paused";
    liveState.classList.toggle("on", live.checked);
    if (live.checked) timer = setInterval(refresh, POLL_MS);
  }

  async function options() {
    try {
      const [services, names] = await Promise.all([TV.getJSON("/api/services"), TV.getJSON("/api/span-names")]);
      const select = form.elements.service;
      const current = select.value;
      select.replaceChildren(el("option", { value: "" }, "all services"),
        ...services.map((s) => el("option", { value: s }, s)));
      if (current && !services.includes(current)) select.appendChild(el("option", { value: current }, current));
      select.value = current;
      document.getElementById("span-names").replaceChildren(...names.map((n) => el("option", { value: n })));
    } catch (_) { /* the list shows the error */ }
  }

  fromAddress();
  form.addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  form.addEventListener("change", (e) => { if (e.target !== live) refresh(); else { toAddress(filters()); schedule(); } });
  let typing = null;
  form.addEventListener("input", (e) => {
    if (e.target.tagName !== "INPUT" || e.target.type === "checkbox") return;
    clearTimeout(typing);
    typing = setTimeout(refresh, 300);
  });
  options().then(() => { fromAddress(); refresh(); });
  setInterval(() => { if (live.checked) options(); }, 10000);
  schedule();
})();
