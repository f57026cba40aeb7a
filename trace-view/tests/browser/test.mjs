// The browser test (run by run.sh): the list, a filter, live updates, the waterfall of a
// trace across three processes (nesting and relative bar widths), a span's details,
// collapse, orphans, late children, links, and markup shown as text, in headless Chromium.
import assert from "node:assert/strict";
import { UI, launch, api, postJson, request, waitFor } from "./lib.mjs";

const XSS_NAME = `<img src=x onerror="window.__xss='name'">checkout`;
const XSS_ATTR = `<script>window.__xss='attr'</script><img src=x onerror="window.__xss='attr-img'">`;
const XSS_EVENT = `<img src=x onerror="window.__xss='event'">`;
const XSS_SERVICE = `<b onmouseover="window.__xss='service'">evil</b>`;
const XSS_TRACE = "ab".repeat(16);
const LIVE_TRACE = "cd".repeat(16);
const step = (s) => console.log(`browser test: ${s}`);

// The real services' traces.
const multi = await waitFor("the frontend/orders/inventory trace", async () => {
  const t = await api("/api/traces?service=orders");
  return t.find((x) => x.services.length === 3 && x.span_count === 9);
});
const shop = await waitFor("the two_services traces", async () => {
  const t = await api("/api/traces?service=shop");
  return t.length === 3 && t.every((x) => x.span_count >= 5) ? t : null;
});
step(`services sent ${shop.length} traces from two_services and one across 3 processes (${multi.trace_id})`);

// A trace with markup everywhere, an orphan, a late child and links (one to a stored trace).
const linkedTrace = shop[0].trace_id;
const linkedSpans = await api(`/api/traces/${linkedTrace}`);
const linkedSpan = linkedSpans.find((s) => !s.parent_span_id).span_id;
const base = BigInt(Date.now()) * 1000000n - 5000000000n;
const t = (ms) => String(base + BigInt(ms) * 1000000n);
const sp = (id, parent, name, a, b, extra = {}) => ({
  traceId: XSS_TRACE, spanId: id.repeat(8), parentSpanId: parent ? parent.repeat(8) : "",
  name, kind: 1, startTimeUnixNano: t(a), endTimeUnixNano: t(b), ...extra,
});
assert.equal(await postJson(request(XSS_SERVICE, [
  sp("01", null, XSS_NAME, 0, 100, {
    attributes: [{ key: "note", value: { stringValue: XSS_ATTR } }, { key: "n", value: { intValue: "42" } }],
    events: [{ name: XSS_EVENT, timeUnixNano: t(50) }],
    links: [{ traceId: linkedTrace, spanId: linkedSpan }, { traceId: "ef".repeat(16), spanId: "ef".repeat(8) }],
    status: { code: 2, message: XSS_ATTR },
  }),
  sp("02", "01", "child", 10, 60),
  sp("03", "ee", "orphan span", 20, 30),
])), 200);
assert.equal(await postJson(request("late-service", [sp("04", "02", "late child", 30, 50)])), 200);

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
page.on("dialog", (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
const noXss = async () => assert.equal(await page.evaluate(() => window.__xss), undefined, "markup ran");

// The list: every trace, newest first, with services, span count and error mark.
await page.goto(`${UI}/`);
const all = await api("/api/traces?limit=100");
await page.waitForFunction((n) => document.querySelectorAll("#rows tr").length === n, all.length);
const listed = await page.$$eval("#rows tr", (rows) => rows.map((r) => r.dataset.traceId));
assert.deepEqual(listed, all.map((x) => x.trace_id));
const multiRow = page.locator(`tr[data-trace-id="${multi.trace_id}"]`);
assert.deepEqual(await multiRow.locator(".chip").allTextContents(), ["frontend", "inventory", "orders"]);
assert.equal(await multiRow.locator("td.num").textContent(), "9");
const xssRow = page.locator(`tr[data-trace-id="${XSS_TRACE}"]`);
assert.equal(await xssRow.locator(".name").textContent(), XSS_NAME);
assert.equal(await xssRow.locator(".chip").first().textContent(), XSS_SERVICE);
assert.equal(await xssRow.locator(".err-mark").count(), 1);
assert.equal(await page.locator("#rows img, #rows script, #rows b").count(), 0);
await noXss();
step(`the list shows ${all.length} traces, newest first; markup in names is text`);

// Live: a trace sent now appears without a reload.
assert.equal(await postJson(request("live", [{ traceId: LIVE_TRACE, spanId: "0102030405060708", name: "arrived later",
  startTimeUnixNano: String(BigInt(Date.now()) * 1000000n), endTimeUnixNano: String(BigInt(Date.now() + 3) * 1000000n) }])), 200);
await page.waitForSelector(`tr[data-trace-id="${LIVE_TRACE}"]`, { timeout: 10000 });
assert.equal(await page.$eval("#rows tr", (r) => r.dataset.traceId), LIVE_TRACE, "newest first");
step("a new trace appeared without a reload");

// Filters: service, then errors only; the address keeps them.
await page.selectOption("#f-service", "inventory");
const inventory = await api("/api/traces?service=inventory&limit=100");
await page.waitForFunction((ids) => {
  const rows = [...document.querySelectorAll("#rows tr")].map((r) => r.dataset.traceId);
  return rows.length === ids.length && rows.every((id, i) => id === ids[i]);
}, inventory.map((x) => x.trace_id));
assert.ok(new URL(page.url()).searchParams.get("service") === "inventory");
await page.selectOption("#f-service", "");
await page.check("#f-error");
const errors = await api("/api/traces?error=true&limit=100");
assert.ok(errors.length >= 2);
await page.waitForFunction((ids) => {
  const rows = [...document.querySelectorAll("#rows tr")].map((r) => r.dataset.traceId);
  return rows.length === ids.length && rows.every((id, i) => id === ids[i]);
}, errors.map((x) => x.trace_id));
assert.equal(await page.locator("#rows tr .err-mark").count(), errors.length);
await page.uncheck("#f-error");
await page.fill("#f-attr", "http.route=/orders/{id}");
const byAttr = await api(`/api/traces?attr=${encodeURIComponent("http.route=/orders/{id}")}&limit=100`);
assert.equal(byAttr.length, 3);
await page.waitForFunction((n) => document.querySelectorAll("#rows tr").length === n, byAttr.length);
await page.fill("#f-attr", "");
step(`filters: service=inventory ${inventory.length}, errors only ${errors.length}, attribute ${byAttr.length}`);

// The waterfall of the trace across three processes.
await page.waitForFunction((n) => document.querySelectorAll("#rows tr").length === n, all.length + 1);
await page.click(`tr[data-trace-id="${multi.trace_id}"] a.root-name`);
await page.waitForURL(`${UI}/trace/${multi.trace_id}`);
await page.waitForSelector("body[data-loaded=true]");
const spans = await api(`/api/traces/${multi.trace_id}`);
const byId = new Map(spans.map((s) => [s.span_id, s]));
const rows = await page.$$eval(".wf-row", (els) => els.map((r) => {
  const bar = r.querySelector(".wf-bar");
  const track = r.querySelector(".wf-track").getBoundingClientRect();
  const b = bar.getBoundingClientRect();
  return { id: r.dataset.spanId, depth: Number(r.dataset.depth), left: b.left - track.left, width: b.width, track: track.width };
}));
assert.equal(rows.length, 9);
const t0 = Math.min(...spans.map((s) => Number(s.start_unix_nano)));
const total = Math.max(...spans.map((s) => Number(s.end_unix_nano))) - t0;
const position = new Map(rows.map((r, i) => [r.id, i]));
for (const [i, r] of rows.entries()) {
  const s = byId.get(r.id);
  if (!s.parent_span_id) {
    assert.equal(r.depth, 0);
  } else {
    // Under its parent, one level deeper, whichever process it came from.
    const p = rows[position.get(s.parent_span_id)];
    assert.ok(position.get(s.parent_span_id) < i, `${s.name} after its parent`);
    assert.equal(r.depth, p.depth + 1, `${s.name} nested under its parent`);
  }
  // Bar width and offset proportional to duration and start.
  const expected = (s.duration_ns / total) * r.track;
  assert.ok(Math.abs(r.width - Math.max(expected, 2)) <= 1.5, `${s.name}: width ${r.width} vs ${expected}`);
  const left = ((Number(s.start_unix_nano) - t0) / total) * r.track;
  assert.ok(Math.abs(r.left - left) <= 1.5, `${s.name}: left ${r.left} vs ${left}`);
}
const depths = rows.map((r) => r.depth);
assert.equal(Math.max(...depths), 4, "frontend server > client > orders server > client > inventory server");
const remote = await page.locator(".wf-row .remote").count();
assert.equal(remote, 4, "four spans with a parent in another process");
assert.ok(await page.locator(".cp").count() > 0, "critical path marked");
step(`the waterfall nests ${rows.length} spans over 3 processes (depth ${Math.max(...depths) + 1}); bar widths match durations`);

// A span's details: the orders service's server span.
const ordersServer = spans.find((s) => s.service === "orders" && s.kind === "server");
await page.click(`.wf-row[data-span-id="${ordersServer.span_id}"] .span-name`);
const details = page.locator(`.wf-details[data-for="${ordersServer.span_id}"]`);
await details.waitFor();
const detailText = await details.textContent();
for (const want of ["http.route", "/test", "service.name", "orders", "trace-core", "remote parent", "server"]) {
  assert.ok(detailText.includes(want), `details show ${want}`);
}
const routeRow = details.locator("table.kv tr", { hasText: "http.response.status_code" });
assert.equal(await routeRow.locator("td.type").textContent(), "int");
await page.screenshot({ path: process.env.SCREENSHOT });
step(`the details of ${ordersServer.name} (orders) open; screenshot saved to ${process.env.SCREENSHOT}`);

// Collapse and expand.
const root = spans.find((s) => !s.parent_span_id);
await page.click(`.wf-row[data-span-id="${root.span_id}"] .toggle`);
assert.equal(await page.locator(".wf-row:visible").count(), 1);
await page.click(`.wf-row[data-span-id="${root.span_id}"] .toggle`);
assert.equal(await page.locator(".wf-row:visible").count(), 9);
step("collapse hides the subtree, expand shows it again");

// The trace with markup, an orphan, a late child and links.
await page.goto(`${UI}/trace/${XSS_TRACE}`);
await page.waitForSelector("body[data-loaded=true]");
assert.equal(await page.textContent("#trace-title"), XSS_NAME);
assert.ok((await page.title()).startsWith(XSS_NAME));
const order = await page.$$eval(".wf-row", (els) => els.map((r) => [r.dataset.spanId, r.dataset.depth ?? null]));
assert.deepEqual(order, [
  ["01".repeat(8), "0"], ["02".repeat(8), "1"], ["04".repeat(8), "2"],
  ["orphans", null], ["03".repeat(8), "1"],
], "late child under its parent; the orphan under the marker, not a root");
await page.click(`.wf-row[data-span-id="${"01".repeat(8)}"] .span-name`);
const xssDetails = page.locator(`.wf-details[data-for="${"01".repeat(8)}"]`);
await xssDetails.waitFor();
assert.equal(await xssDetails.locator("table.kv tr", { hasText: "note" }).locator("td.val").textContent(), XSS_ATTR);
assert.equal(await xssDetails.locator(".status-msg").textContent(), XSS_ATTR);
assert.equal(await xssDetails.locator("table.events th").textContent(), XSS_EVENT);
assert.equal(await page.getAttribute(`.wf-row[data-span-id="${"01".repeat(8)}"] .ev`, "title"), XSS_EVENT);
assert.equal(await page.locator("#waterfall img, #waterfall script, #waterfall b, .trace-head b").count(), 0);
await page.hover(".chip");
await noXss();
step("markup in span names, attributes, status, events and service names is shown as text, never run");

const links = xssDetails.locator("ul.links li");
assert.equal(await links.count(), 2);
assert.equal(await links.nth(1).locator("a").count(), 0, "a link to a trace not stored is not clickable");
assert.ok((await links.nth(1).textContent()).includes("not stored"));
await links.nth(0).locator("a").click();
await page.waitForURL(`${UI}/trace/${linkedTrace}#span-${linkedSpan}`);
await page.waitForSelector(`.wf-details[data-for="${linkedSpan}"]`);
step("a link to a stored trace opens it at the linked span");

assert.deepEqual(problems, []);
await browser.close();
step("passed");
