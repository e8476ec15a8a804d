// The dashboard in a real browser: Debian's headless Chromium, driven by
// playwright-core, against a real `rebound serve` and PostgreSQL.
//
// It makes a scratch database (PostgreSQL from the environment: PGHOST, ...;
// `make test` runs it under pg_virtualenv), migrates it, starts rebound on
// 127.0.0.1 (ephemeral port) with two API tokens (read+notices, read only),
// posts SendGrid batches of known events, then checks in the page what a
// person would: the numbers, the soft-bounce and notice tables, a lookup's
// verdict, the Japanese labels, and that "mark notified" changes the notice
// (in the page and through the API). It saves screenshots for people to look
// at, and stops everything it started, also on failure or timeout.
//
// Usage: node dashboard.test.mjs <path to rebound> [screenshot.png]
// Environment: DASHBOARD_SCREENSHOT (default build/dashboard-screenshot.png),
//   CHROMIUM (default /usr/bin/chromium), DASHBOARD_TEST_TIMEOUT_MS (120000).

import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { chromium } from "playwright-core";

const started = Date.now();
const binary = resolve(process.argv[2] ?? "build/rebound");
const screenshot = resolve(process.argv[3] ?? process.env.DASHBOARD_SCREENSHOT ?? "build/dashboard-screenshot.png");
const screenshotJa = screenshot.replace(/(\.png)?$/, "-ja.png");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const timeoutMs = Number(process.env.DASHBOARD_TEST_TIMEOUT_MS ?? 120000);

// --- bookkeeping: checks, and everything to undo ---------------------------

let passed = 0;
let failed = 0;
const cleanups = [];

function check(name, ok, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ""}`);
  }
  return ok;
}

function equal(name, actual, expected) {
  return check(name, actual === expected, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function cleanup() {
  while (cleanups.length) {
    const f = cleanups.pop();
    try {
      await f();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
}

const watchdog = setTimeout(async () => {
  console.log(`not ok - finished within ${timeoutMs} ms`);
  await cleanup();
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, timeoutMs);

// --- PostgreSQL ---------------------------------------------------------------

function psql(db, sql) {
  const r = spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr || r.error}`);
}

// --- rebound --------------------------------------------------------------------

const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const fullToken = `dash-${randomBytes(12).toString("hex")}`;
const readToken = `view-${randomBytes(12).toString("hex")}`;

function startRebound(env) {
  return new Promise((resolvePort, reject) => {
    const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    let done = false;
    const fail = (why) => {
      if (done) return;
      done = true;
      reject(new Error(`${why}\n${log.slice(-4000)}`));
    };
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      for (const line of chunk.split("\n")) {
        if (done || !line.startsWith("{")) continue;
        try {
          const rec = JSON.parse(line);
          if (rec.msg === "serving") {
            done = true;
            resolvePort({ child, port: Number(rec.address.split(":").pop()), log: () => log });
          }
        } catch {
          // A partial line; the next chunk completes it.
        }
      }
    });
    child.on("exit", (code) => fail(`rebound exited with ${code} before serving`));
    child.on("error", (e) => fail(`cannot start ${binary}: ${e.message}`));
    setTimeout(() => fail("rebound did not start within 30 s"), 30000).unref();
  });
}

function stopProcess(child) {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const kill = setTimeout(() => child.kill("SIGKILL"), 10000);
    child.once("exit", () => {
      clearTimeout(kill);
      done();
    });
    child.kill("SIGTERM");
  });
}

// --- the known events -----------------------------------------------------------

const now = Math.floor(Date.now() / 1000);
const HOUR = 3600;
let seq = 0;
const ev = (fields) => ({ sg_event_id: `browser-${++seq}`, sg_message_id: `msg-${seq}`, ...fields });

// 5 deliveries, 2 hard bounces to dead addresses (2 pending notices), 4
// deferrals of one address (a recurring soft bounce) and 2 of another (below
// the default N = 3), between yesterday and an hour ago.
const batches = [
  [
    ev({ email: "ok1@example.com", timestamp: now - 26 * HOUR, event: "delivered", response: "250 OK", user_id: "u-ok1" }),
    ev({ email: "ok2@example.com", timestamp: now - 25 * HOUR, event: "delivered", response: "250 OK", user_id: "u-ok2" }),
    ev({ email: "ok3@example.jp", timestamp: now - 3 * HOUR, event: "delivered", response: "250 OK", user_id: "u-ok3" }),
    ev({ email: "ok4@example.jp", timestamp: now - 2 * HOUR, event: "delivered", response: "250 OK", user_id: "u-ok4" }),
    ev({ email: "carol@example.com", timestamp: now - 2 * HOUR, event: "delivered", response: "250 OK", user_id: "u-carol" }),
  ],
  [
    ev({
      email: "dead@example.com",
      timestamp: now - 5 * HOUR,
      event: "bounce",
      type: "bounce",
      status: "5.1.1",
      reason: "550 5.1.1 The email account that you tried to reach does not exist.",
      user_id: "u-dead",
    }),
    ev({
      email: "gone@example.net",
      timestamp: now - 4 * HOUR,
      event: "bounce",
      type: "bounce",
      status: "5.1.1",
      reason: "550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
      user_id: "u-carol",
    }),
  ],
  [4, 3, 2, 1].map((h) =>
    ev({ email: "slow@example.org", timestamp: now - h * HOUR, event: "deferred", response: "421 4.7.0 Try again later, closing connection.", attempt: "1", user_id: "u-slow" }),
  ),
  [2, 1].map((h) => ev({ email: "busy@example.org", timestamp: now - h * HOUR - 600, event: "deferred", response: "450 4.2.1 Mailbox busy, try again later", user_id: "u-busy" })),
];

// --- main -------------------------------------------------------------------------

async function main() {
  if (!existsSync(binary)) throw new Error(`no rebound binary at ${binary} (make build)`);
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (apt-get install chromium; scripts/install-deps.sh does)`);

  const db = `rebound_browser_${process.pid}_${randomBytes(3).toString("hex")}`;
  psql("postgres", `CREATE DATABASE ${db}`);
  cleanups.push(() => psql("postgres", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));

  const env = {
    ...process.env,
    REBOUND_DATABASE_URL: `dbname=${db}`,
    REBOUND_LISTEN: "127.0.0.1:0",
    REBOUND_LOG_LEVEL: "info",
    REBOUND_API_TOKEN__DASH: `sha256:${sha256(fullToken)}:read,notices`,
    REBOUND_API_TOKEN__VIEWER: `sha256:${sha256(readToken)}:read`,
  };
  const migrate = spawnSync(binary, ["migrate"], { env, encoding: "utf8", timeout: 60000 });
  if (migrate.status !== 0) throw new Error(`rebound migrate failed: ${migrate.stderr}`);

  const server = await startRebound(env);
  cleanups.push(() => stopProcess(server.child));
  const base = `http://127.0.0.1:${server.port}`;
  const api = async (method, path, { token = fullToken, body } = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: res.headers.get("content-type")?.startsWith("application/json") ? await res.json() : null };
  };

  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${base}/readyz`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // --- the assets, as the server sends them ---
  const page0 = await fetch(`${base}/dashboard`);
  const html = await page0.text();
  equal("GET /dashboard is 200", page0.status, 200);
  equal("the page is text/html", page0.headers.get("content-type"), "text/html; charset=utf-8");
  equal("the page is revalidated", page0.headers.get("cache-control"), "no-cache");
  const csp = page0.headers.get("content-security-policy") ?? "";
  check("the page has a strict CSP", csp.includes("default-src 'none'") && csp.includes("script-src 'self'") && !/https?:/.test(csp), csp);
  const script = html.match(/src="(\/dashboard\/assets\/[^"]+\.js)"/)?.[1];
  check("the page loads a hashed bundle", Boolean(script), html);
  if (script) {
    const js = await fetch(base + script);
    equal("the bundle is JavaScript", js.headers.get("content-type"), "text/javascript; charset=utf-8");
    equal("the bundle is immutable", js.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const again = await fetch(base + script, { headers: { "If-None-Match": js.headers.get("etag") ?? "" } });
    equal("a known ETag gets 304", again.status, 304);
  }
  const missing = await fetch(`${base}/dashboard/assets/nope-123.js`);
  equal("an unknown asset is 404", missing.status, 404);
  equal("an unknown asset answers JSON", (await missing.json())?.error?.code, "not_found");
  equal("reasons.json needs a token", (await fetch(`${base}/dashboard/reasons.json`)).status, 401);

  // --- seed ---
  for (const batch of batches) {
    const r = await api("POST", "/v1/webhooks/sendgrid", { body: batch });
    check(`webhook batch of ${batch.length} accepted`, r.status === 200 && r.json?.accepted === batch.length, JSON.stringify(r.json));
  }

  // The API's own answers, so a page failure can be told from an API one.
  const stats = await api("GET", "/v1/stats");
  const sum = (k) => (stats.json?.items ?? []).reduce((a, r) => a + Number(r[k] ?? 0), 0);
  equal("API: delivered in the last 30 days", sum("delivered"), 5);
  equal("API: hard bounces in the last 30 days", sum("hard_bounces"), 2);
  equal("API: deferrals in the last 30 days", sum("deferrals"), 6);
  const pendingApi = await api("GET", "/v1/notices?state=pending");
  equal("API: pending notices", pendingApi.json?.items?.length, 2);

  // --- the browser ---
  const profile = mkdtempSync(join(tmpdir(), "rebound-chromium-"));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    // Without these Debian's Chromium reaches out to the network (updates,
    // sync, QUIC probes) and can stall on a machine that has none.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 900 },
    locale: "en-US",
    timezoneId: "UTC",
    timeout: 30000,
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on("console", (m) => {
    // Chromium logs every non-2xx fetch; the page expects some (the scope
    // probe's 403/404, a wrong token's 401). CSP violations and script
    // errors are what count.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource: the server responded with a status of"))
      problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(base)) problems.push(`request outside rebound: ${r.url()}`);
  });

  const text = async (selector) => (await page.locator(selector).first().textContent())?.trim();
  const waitText = async (name, selector, expected) => {
    try {
      await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent?.trim() === want, [selector, expected], { timeout: 15000 });
    } catch {
      // Reported below with what was there instead.
    }
    return equal(name, await text(selector), expected);
  };

  await page.goto(`${base}/dashboard`);
  await page.fill('[data-test="token-input"]', fullToken);
  await page.click('[data-test="token-connect"]');

  await waitText("page: delivered", '[data-test="kpi-delivered"] .kpi-value', "5");
  await waitText("page: hard bounces", '[data-test="kpi-hard-bounces"] .kpi-value', "2");
  await waitText("page: deferrals", '[data-test="kpi-deferrals"] .kpi-value', "6");
  await waitText("page: pending notices", '[data-test="kpi-pending"] .kpi-value', "2");
  await page.waitForSelector('[data-test="soft-row"]');
  equal("page: one recurring soft bounce (N=3 in 7d)", await page.locator('[data-test="soft-row"]').count(), 1);
  equal("page: its address", await page.locator('[data-test="soft-row"]').first().getAttribute("data-recipient"), "slow@example.org");
  equal("page: its failures", await text('[data-test="soft-row"] [data-test="soft-failures"]'), "4");
  await page.waitForSelector('[data-test="notice-row"]');
  equal("page: pending notice rows", await page.locator('[data-test="notice-row"][data-state="pending"]').count(), 2);
  check("page: mark-notified is enabled with the notices scope", await page.locator('[data-test="mark-notified"]').first().isEnabled());
  await page.waitForSelector('[data-test="reason-row"]');
  check("page: top reasons show userunknown", (await page.locator('[data-test="reason-row"][data-reason="userunknown"]').count()) === 1);
  check("page: the reason is explained", ((await text('[data-test="reason-row"][data-reason="userunknown"] .reason-text')) ?? "").length > 10);
  check("page: volume chart drawn", (await page.locator("#volume svg .bar").count()) > 0);
  check("page: rate chart has its threshold line", (await page.locator("#rate svg .threshold").count()) === 1);
  check("page: top domains listed", (await page.locator('[data-test="domain-row"]').count()) >= 4);

  // Lookup: a dead address must not be mailed; a user with one dead address neither.
  await page.fill('[data-test="search-input"]', "dead@example.com");
  await page.click('[data-test="search-submit"]');
  await page.waitForSelector('[data-test="verdict"][data-address="dead@example.com"]');
  equal("page: verdict for a dead address", await page.locator('[data-test="verdict"]').first().getAttribute("data-should-send"), "false");
  equal("page: verdict badge", await text('[data-test="verdict-badge"]'), "Do not send");
  equal("page: its timeline", await page.locator('[data-test="timeline-row"]').count(), 1);
  await page.fill('[data-test="search-input"]', "u-carol");
  await page.click('[data-test="search-submit"]');
  await page.waitForSelector('[data-test="user-verdict"]');
  equal("page: a user's addresses", await page.locator('[data-test="verdict"]').count(), 2);
  await page.fill('[data-test="search-input"]', "slow@example.org");
  await page.click('[data-test="search-submit"]');
  await page.waitForSelector('[data-test="verdict"][data-address="slow@example.org"]');
  equal("page: the soft-bouncing address's timeline", await page.locator('[data-test="timeline-row"]').count(), 4);

  // Consecutive mode: K = 5 finds nobody (the streak is 4), K = 4 finds slow@.
  await page.click('[data-test="soft-mode-consecutive"]');
  await page.fill('[data-test="soft-k"]', "5");
  await page.locator('[data-test="soft-k"]').dispatchEvent("change");
  await page.waitForSelector('[data-test="soft-empty"]');
  check("page: K=5 in a row finds nobody", true);
  await page.fill('[data-test="soft-k"]', "4");
  await page.locator('[data-test="soft-k"]').dispatchEvent("change");
  await page.waitForSelector('[data-test="soft-row"]');
  equal("page: K=4 in a row finds slow@", await page.locator('[data-test="soft-row"]').count(), 1);
  await page.click('[data-test="soft-mode-window"]');
  await page.waitForSelector('[data-test="soft-row"]');

  mkdirSync(dirname(screenshot), { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`# screenshot: ${screenshot}`);

  // Japanese.
  await page.click('[data-test="lang-toggle"]');
  await waitText("page: Japanese soft-bounce title", '[data-test="title-soft"]', "繰り返しのソフトバウンス");
  equal("page: Japanese KPI label", await text('[data-test="kpi-delivered"] .kpi-label'), "配信成功");
  equal("page: the html lang follows", await page.getAttribute("html", "lang"), "ja");
  check("page: reasons explained in Japanese", /[\u3040-\u30ff\u4e00-\u9fff]/.test((await text('[data-test="reason-row"][data-reason="userunknown"] .reason-text')) ?? ""));

  // Mark the dead address's notice as notified.
  const row = page.locator('[data-test="notice-row"][data-recipient="dead@example.com"]');
  const id = Number(await row.getAttribute("data-id"));
  await row.locator('[data-test="mark-notified"]').click();
  await page.waitForFunction((nid) => document.querySelector('[data-test="toast"]')?.textContent?.includes(`#${nid}`), id);
  await waitText("page: pending notices after marking", '[data-test="kpi-pending"] .kpi-value', "1");
  await page.waitForFunction(() => document.querySelectorAll('[data-test="notice-row"]').length === 1);
  equal("page: the notice left the pending tab", await page.locator(`[data-test="notice-row"][data-id="${id}"]`).count(), 0);
  await page.click('[data-test="notice-tab-notified"]');
  await page.waitForSelector(`[data-test="notice-row"][data-id="${id}"][data-state="notified"]`);
  equal("page: it is in the notified tab", await text(`[data-test="notice-row"][data-id="${id}"] [data-test="notice-state"]`), "通知済み");
  const after = await api("GET", `/v1/notices/${id}`);
  equal("API: the notice is notified", after.json?.state, "notified");
  check("API: its history names the token", (after.json?.history ?? []).some((h) => h.to === "notified" && String(h.actor).includes("dash")), JSON.stringify(after.json?.history));

  await page.click('[data-test="notice-tab-pending"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-test="notice-row"]').length === 1);
  // The toast is fixed to the viewport: it would float over the full-page picture.
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.querySelector('[data-test="toast"]')?.setAttribute("hidden", "");
  });
  await page.screenshot({ path: screenshotJa, fullPage: true });
  console.log(`# screenshot: ${screenshotJa}`);

  // A read-only token sees the notices but cannot change them.
  await page.click('[data-test="lang-toggle"]');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.fill('[data-test="token-input"]', readToken);
  await page.click('[data-test="token-connect"]');
  await page.waitForSelector('[data-test="mark-notified"]');
  check("page: read-only token cannot mark notices", await page.locator('[data-test="mark-notified"]').first().isDisabled());
  check("page: and is told why", (await page.locator('[data-test="scope-hint"]').count()) === 1);

  // A wrong token is refused at the door.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.fill('[data-test="token-input"]', "not-a-token");
  await page.click('[data-test="token-connect"]');
  await waitText("page: a wrong token is refused", '[data-test="token-error"]', "This token is not valid.");

  equal("page: no console errors, CSP violations or outside requests", problems.join("\n"), "");
}

try {
  await main();
} catch (e) {
  check("the browser test ran to the end", false, e.stack ?? String(e));
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
