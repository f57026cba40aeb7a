// Benchmark (BENCHMARKS.md, not a test): how long a trace of 10,000 spans takes to open in
// Chromium, from navigation start to the waterfall built (the page's "trace-rendered"
// Performance mark), median of 5 loads. Run by `BENCH=1 run.sh`.
import { UI, launch, postJson, request, api } from "./lib.mjs";

const SPANS = 10000;
const traceId = "5e".repeat(16);
const hex16 = (n) => n.toString(16).padStart(16, "0");
const base = BigInt(Date.now()) * 1000000n;
const spans = [];
// A root, 100 children, 99 grandchildren each: 1 + 100 + 9,900 = 10,001 - 1 = 10,000 spans.
spans.push({ traceId, spanId: hex16(1), name: "GET /report", kind: 2, startTimeUnixNano: String(base), endTimeUnixNano: String(base + 2000000000n) });
let id = 2;
for (let c = 0; c < 100 && spans.length < SPANS; c++) {
  const cid = id++;
  const cs = base + BigInt(c) * 19000000n;
  spans.push({ traceId, spanId: hex16(cid), parentSpanId: hex16(1), name: `section ${c}`, kind: 1,
    startTimeUnixNano: String(cs), endTimeUnixNano: String(cs + 18000000n),
    attributes: [{ key: "section", value: { intValue: String(c) } }] });
  for (let g = 0; g < 99 && spans.length < SPANS; g++) {
    const gs = cs + BigInt(g) * 180000n;
    spans.push({ traceId, spanId: hex16(id++), parentSpanId: hex16(cid), name: "db.query", kind: 3,
      startTimeUnixNano: String(gs), endTimeUnixNano: String(gs + 150000n),
      attributes: [{ key: "db.system", value: { stringValue: "postgresql" } }, { key: "row", value: { intValue: String(g) } }],
      status: g === 50 && c === 50 ? { code: 2, message: "timeout" } : undefined });
  }
}
for (let i = 0; i < spans.length; i += 1000) {
  const status = await postJson(request("bench", spans.slice(i, i + 1000)));
  if (status !== 200) throw new Error(`ingest: ${status}`);
}
const stored = await api(`/api/traces/${traceId}`);
if (stored.length !== SPANS) throw new Error(`stored ${stored.length} spans`);

const browser = await launch();
const runs = [];
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${UI}/trace/${traceId}`);
  await page.waitForSelector("body[data-loaded=true]", { timeout: 30000 });
  runs.push(await page.evaluate(() => ({
    open_ms: performance.getEntriesByName("trace-rendered")[0].startTime,
    ...window.traceViewTiming,
    rows: document.querySelectorAll(".wf-row").length,
  })));
  await page.close();
}
await browser.close();
const median = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
console.log(`bench: a ${SPANS}-span trace opens in ${median("open_ms").toFixed(0)} ms (median of ${runs.length}; ` +
  `API fetch + parse ${median("fetch_ms").toFixed(0)} ms, waterfall build ${median("render_ms").toFixed(0)} ms; ${runs[0].rows} rows)`);
console.log(`bench: runs ${runs.map((r) => r.open_ms.toFixed(0)).join(", ")} ms`);
