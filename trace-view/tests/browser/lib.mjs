// Shared by test.mjs and bench.mjs: playwright-core from the cache folder, Chromium as the
// machine runs it headless, and the viewer's API.
import { createRequire } from "node:module";

const require = createRequire(`${process.env.TV_DEPS}/package.json`);
const { chromium } = require("playwright-core");

export const UI = process.env.TV_UI;
export const OTLP = process.env.TV_OTLP;

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function api(path) {
  const response = await fetch(UI + path);
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

/** Posts an OTLP/JSON request; returns the status. */
export async function postJson(request) {
  const response = await fetch(`${OTLP}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  await response.arrayBuffer();
  return response.status;
}

/** One OTLP/JSON request with `spans` from service `service`. */
export function request(service, spans) {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: "browser-test", version: "1" }, spans }],
    }],
  };
}

export async function waitFor(what, check, ms = 15000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
