// Shared helpers. Every piece of user data goes into the page as text: `el` sets strings
// as text nodes (never parsed as HTML), attributes with setAttribute.
"use strict";

const TV = (() => {
  /** Makes an element: el("div", {class: "x", title: "..."}, "text", childNode, ...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "class") node.className = v;
        else if (k === "style") Object.assign(node.style, v);
        else if (k === "dataset") Object.assign(node.dataset, v);
        else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const child of children) append(node, child);
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }

  /** "412 µs", "3.21 ms", "1.24 s", "2m 3s". */
  function duration(ns) {
    ns = Number(ns);
    if (!isFinite(ns) || ns < 0) return "?";
    if (ns < 1e3) return `${ns} ns`;
    if (ns < 1e6) return `${trim(ns / 1e3)} µs`;
    if (ns < 1e9) return `${trim(ns / 1e6)} ms`;
    if (ns < 60e9) return `${trim(ns / 1e9)} s`;
    const s = Math.round(ns / 1e9);
    return `${Math.floor(s / 60)}m ${s % 60}s`;
  }

  function trim(x) {
    return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  }

  /** A Unix-nanosecond time as local date and time with milliseconds. */
  function clock(unixNano) {
    const d = new Date(Number(unixNano) / 1e6);
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  /** "just now", "12 s ago", "5 min ago", "3 h ago", else the date. */
  function ago(unixNano) {
    const s = (Date.now() - Number(unixNano) / 1e6) / 1000;
    if (s < 2) return "just now";
    if (s < 60) return `${Math.floor(s)} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return clock(unixNano).slice(0, 16);
  }

  const PALETTE = ["#4f8ef7", "#2fb48a", "#f08c3a", "#a66cf0", "#e0568a", "#2bb3c8",
    "#c9a227", "#6f7ef0", "#5fae3e", "#d3643c"];
  const colors = new Map();

  /** A stable color per service name. */
  function serviceColor(name) {
    if (!colors.has(name)) {
      let h = 2166136261;
      for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
      colors.set(name, PALETTE[(h >>> 0) % PALETTE.length]);
    }
    return colors.get(name);
  }

  function serviceChip(name) {
    return el("span", { class: "chip", title: name },
      el("span", { class: "dot", style: { background: serviceColor(name) } }), name);
  }

  /** A typed OTLP value from the API as display text. */
  function valueText(v) {
    if (!v) return "";
    switch (v.type) {
      case "string": return v.value;
      case "array": return "[" + v.value.map((x) => JSON.stringify(x.type === "string" ? x.value : x.value)).join(", ") + "]";
      case "kvlist": return "{" + v.value.map((kv) => `${kv.key}: ${valueText(kv)}`).join(", ") + "}";
      case "empty": return "(empty)";
      default: return String(v.value);
    }
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { accept: "application/json" } });
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error || message; } catch (_) { /* not JSON */ }
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  return { el, duration, clock, ago, serviceColor, serviceChip, valueText, getJSON };
})();
