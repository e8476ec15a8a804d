// The dashboard: one page that asks the read API the questions an operator
// has every morning (how much failed, why, to which domains, who keeps
// failing, who must be asked for a new address, and "may I mail this
// person?") and shows the answers in Japanese or English.
//
// Data is fetched per section and kept in `state`; every section renders from
// state alone, so switching the language redraws without refetching.

import "./style.css";
import { Api, ApiError } from "./api";
import type { Notice, NoticeState, Page, ReasonInfo, RecipientStatus, SoftBounceRow, Stats, StatsRow, TimelineEvent, UserStatus } from "./api";
import { rateLine, stackedBars } from "./charts";
import type { Series } from "./charts";
import { fill, h } from "./dom";
import { formatNumber, formatPercent, formatTime, initialLang, lang, locale, setLang, t, tk } from "./i18n";
import type { Key } from "./i18n";

// --- persistence -------------------------------------------------------------

const TOKEN_KEY = "rebound.dashboard.token";
const LANG_KEY = "rebound.dashboard.lang";

function load(key: string): string | null {
  try {
    return localStorage.getItem(key) ?? sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Whether the value lives in localStorage (kept across browser restarts). */
function persisted(key: string): boolean {
  try {
    return localStorage.getItem(key) !== null;
  } catch {
    return false;
  }
}

function save(key: string, value: string | null, persist = true): void {
  try {
    for (const st of [localStorage, sessionStorage]) st.removeItem(key);
    if (value !== null) (persist ? localStorage : sessionStorage).setItem(key, value);
  } catch {
    // Storage may be disabled; the value then lasts for this page only.
  }
}

// --- state -------------------------------------------------------------------

type Loadable<T> = { status: "idle" } | { status: "loading"; data?: T } | { status: "ok"; data: T } | { status: "error"; message: string; data?: T };

type Lookup =
  | { kind: "address"; status: RecipientStatus; events: TimelineEvent[] }
  | { kind: "user"; user: UserStatus; selected: string | null; events: TimelineEvent[] };

const SERIES_KEYS = ["delivered", "deferrals", "soft_bounces", "blocks", "hard_bounces", "drops", "complaints"] as const;
type SeriesKey = (typeof SERIES_KEYS)[number];
const SERIES_LABEL: Record<SeriesKey, Key> = {
  delivered: "type_delivered",
  deferrals: "type_deferred",
  soft_bounces: "type_soft",
  blocks: "type_block",
  hard_bounces: "type_hard",
  drops: "type_drop",
  complaints: "type_complaint",
};

const WINDOWS = ["24h", "3d", "7d", "14d", "30d", "90d"];
const LIST_LIMIT = 200;

const state = {
  token: load(TOKEN_KEY) ?? "",
  canChangeNotices: null as boolean | null,
  gateError: "" as string,
  checking: false,
  hidden: new Set<SeriesKey>(),
  soft: { mode: "window" as "window" | "consecutive", n: 3, window: "7d", k: 3 },
  noticeState: "pending" as NoticeState | "",
  query: "",
  updatedAt: null as Date | null,
  reasons: {} as Record<string, ReasonInfo>,
  byDay: { status: "idle" } as Loadable<Stats>,
  byDomain: { status: "idle" } as Loadable<Stats>,
  byReason: { status: "idle" } as Loadable<Stats>,
  softRows: { status: "idle" } as Loadable<Page<SoftBounceRow>>,
  notices: { status: "idle" } as Loadable<Page<Notice>>,
  pending: { status: "idle" } as Loadable<Page<Notice>>,
  lookup: { status: "idle" } as Loadable<Lookup | null>,
  busyNotices: new Set<number>(),
};

setLang(initialLang(load(LANG_KEY)));
const api = new Api(() => state.token);

// --- helpers -----------------------------------------------------------------

function explanation(e: { en?: string; ja?: string } | null | undefined): string {
  if (!e) return "";
  return (lang() === "ja" ? e.ja : e.en) ?? e.en ?? "";
}

function reasonText(code: string | null | undefined): string {
  return code ? explanation(state.reasons[code]) : "";
}

function actionChip(action: string | null | undefined): HTMLElement | null {
  if (!action || action === "none") return null;
  return h("span", { class: `chip action action-${action}` }, tk("action_", action));
}

function reasonCell(code: string | null | undefined, action?: string | null, text?: string): HTMLElement {
  const why = text ?? reasonText(code);
  return h(
    "div",
    { class: "reason" },
    h("div", { class: "reason-head" }, h("code", {}, code || t("unclassified")), actionChip(action ?? (code ? state.reasons[code]?.action : null))),
    why ? h("div", { class: "reason-text" }, why) : null,
  );
}

/** "1 address", "3 addresses", "200+ addresses" for a page of a list. */
function counted(many: Key, one: Key, page: Page<unknown>): string {
  if (page.items.length === 1 && !page.next_cursor) return t(one);
  return t(many, { n: `${formatNumber(page.items.length)}${page.next_cursor ? "+" : ""}` });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs a fetch into a Loadable slot, re-rendering the section around it. */
async function into<T>(slot: { get(): Loadable<T>; set(v: Loadable<T>): void }, fetcher: () => Promise<T>, render: () => void): Promise<void> {
  const prev = slot.get();
  slot.set({ status: "loading", data: "data" in prev ? prev.data : undefined });
  render();
  try {
    slot.set({ status: "ok", data: await fetcher() });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signOut(t("tokenInvalid"));
    slot.set({ status: "error", message: message(e), data: "data" in prev ? prev.data : undefined });
  }
  render();
}

function slot<K extends "byDay" | "byDomain" | "byReason" | "softRows" | "notices" | "pending" | "lookup">(key: K) {
  return {
    get: () => state[key] as Loadable<unknown>,
    set: (v: Loadable<unknown>) => {
      (state as Record<K, Loadable<unknown>>)[key] = v;
    },
  } as { get(): (typeof state)[K]; set(v: (typeof state)[K]): void };
}

/** The body of a card for a Loadable: spinner, error, or the content. */
function body<T>(l: Loadable<T>, content: (data: T) => Node | Node[]): Node[] {
  const out: Node[] = [];
  if (l.status === "error") out.push(h("div", { class: "error", role: "alert" }, t("error", { message: l.message })));
  const data = "data" in l ? l.data : undefined;
  if (data !== undefined) {
    const c = content(data);
    out.push(...(Array.isArray(c) ? c : [c]));
  } else if (l.status === "loading" || l.status === "idle") out.push(h("div", { class: "loading" }, t("loading")));
  return out;
}

function card(id: string, title: Key, hint: Key | null, ...children: (Node | null)[]): HTMLElement {
  return h(
    "section",
    { class: "card", id, "aria-labelledby": `${id}-title` },
    h("header", { class: "card-head" }, h("div", {}, h("h2", { id: `${id}-title`, "data-test": `title-${id}` }, t(title)), hint ? h("p", { class: "hint" }, t(hint)) : null)),
    ...children,
  );
}

/** Every day of a stats range, with the rows the API had (it omits empty days). */
function days(stats: Stats): { days: string[]; rows: (StatsRow | null)[] } {
  const byDay = new Map(stats.items.map((r) => [r.day ?? "", r]));
  const out: string[] = [];
  for (let d = new Date(`${stats.from}T00:00:00Z`); d <= new Date(`${stats.to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) out.push(d.toISOString().slice(0, 10));
  return { days: out, rows: out.map((d) => byDay.get(d) ?? null) };
}

function dayLabel(day: string): string {
  return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short", day: "numeric", weekday: "short", timeZone: "UTC" }).format(new Date(`${day}T00:00:00Z`));
}

// --- page shell --------------------------------------------------------------

const root = document.getElementById("app")!;
const regions = {
  topbar: h("header", { class: "topbar" }),
  main: h("main", { class: "main" }),
  toast: h("div", { class: "toast", role: "status", "aria-live": "polite", "data-test": "toast" }),
};
regions.toast.hidden = true;
root.replaceChildren(regions.topbar, regions.main, regions.toast);

const sections = {
  kpis: h("div", { class: "kpis" }),
  lookup: h("div", { class: "span-12" }),
  volume: h("div", { class: "span-8" }),
  rate: h("div", { class: "span-4" }),
  reasons: h("div", { class: "span-6" }),
  domains: h("div", { class: "span-6" }),
  soft: h("div", { class: "span-12" }),
  notices: h("div", { class: "span-12" }),
};

let toastTimer = 0;
function toast(text: string, kind: "ok" | "error" = "ok"): void {
  regions.toast.textContent = text;
  regions.toast.className = `toast ${kind}`;
  regions.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (regions.toast.hidden = true), 4000);
}

function renderTopbar(): void {
  const range = state.byDay.status !== "idle" && "data" in state.byDay && state.byDay.data ? t("range", { from: state.byDay.data.from, to: state.byDay.data.to }) : "";
  const connected = state.token !== "" && !state.checking && state.gateError === "";
  fill(
    regions.topbar,
    h(
      "div",
      { class: "brand" },
      h("img", { src: `${import.meta.env.BASE_URL}favicon.svg`, alt: "", width: 28, height: 28 }),
      h("div", {}, h("div", { class: "brand-name" }, "rebound ", h("span", { class: "brand-title" }, t("title"))), h("div", { class: "brand-sub" }, t("subtitle"))),
    ),
    h("div", { class: "spacer" }),
    connected && range ? h("span", { class: "range", "data-test": "range" }, range) : null,
    connected && state.updatedAt ? h("span", { class: "updated" }, t("updated", { time: state.updatedAt.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }) })) : null,
    connected ? h("button", { class: "btn ghost", type: "button", "data-test": "refresh", onclick: () => void refreshAll() }, t("refresh")) : null,
    h(
      "button",
      {
        class: "btn ghost lang",
        type: "button",
        title: t("languageTitle"),
        "data-test": "lang-toggle",
        onclick: () => {
          setLang(lang() === "ja" ? "en" : "ja");
          save(LANG_KEY, lang());
          renderAll();
        },
      },
      t("language"),
    ),
    connected
      ? h(
          "details",
          { class: "token-menu" },
          h("summary", { class: "btn ghost", "data-test": "token-status" }, t("tokenConnected", { scopes: state.canChangeNotices ? t("scopeNotices") : t("scopeRead") })),
          h(
            "div",
            { class: "menu" },
            h("button", { class: "btn ghost", type: "button", onclick: () => signOut("") }, t("tokenChange")),
            h(
              "button",
              {
                class: "btn ghost danger",
                type: "button",
                onclick: () => {
                  save(TOKEN_KEY, null);
                  signOut("");
                },
              },
              t("tokenSignOut"),
            ),
          ),
        )
      : null,
  );
}

function renderGate(): void {
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", placeholder: t("tokenPlaceholder"), required: true, "data-test": "token-input" });
  const remember = h("input", { type: "checkbox", id: "remember", checked: true });
  const form = h(
    "form",
    {
      class: "gate card",
      "data-test": "token-form",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (token) void connect(token, remember.checked);
      },
    },
    h("h2", {}, t("token")),
    h("p", { class: "hint" }, t("tokenPrompt")),
    h("label", { class: "sr-only", for: "token" }, t("token")),
    input,
    h("label", { class: "check" }, remember, t("tokenRemember")),
    state.gateError ? h("div", { class: "error", role: "alert", "data-test": "token-error" }, state.gateError) : null,
    h("button", { class: "btn primary", type: "submit", disabled: state.checking, "data-test": "token-connect" }, state.checking ? t("tokenChecking") : t("tokenConnect")),
    h("p", { class: "hint small" }, h("code", {}, t("tokenHint"))),
  );
  fill(regions.main, form);
  input.focus();
}

function renderShell(): void {
  fill(
    regions.main,
    sections.kpis,
    h("div", { class: "grid" }, sections.lookup, sections.volume, sections.rate, sections.reasons, sections.domains, sections.soft, sections.notices),
  );
}

function renderAll(): void {
  renderTopbar();
  if (!state.token || state.checking || state.gateError) return renderGate();
  if (!regions.main.contains(sections.kpis)) renderShell();
  renderKpis();
  renderLookup();
  renderVolume();
  renderRate();
  renderReasons();
  renderDomains();
  renderSoft();
  renderNotices();
}

// --- KPIs --------------------------------------------------------------------

function kpi(key: string, label: Key, value: string, sub: string, tone: "" | "good" | "bad" = ""): HTMLElement {
  return h(
    "div",
    { class: `kpi ${tone}`, "data-test": `kpi-${key}` },
    h("div", { class: "kpi-label" }, t(label)),
    h("div", { class: "kpi-value" }, value),
    h("div", { class: "kpi-sub" }, sub),
  );
}

function renderKpis(): void {
  const stats = "data" in state.byDay ? state.byDay.data : undefined;
  const sum = (k: keyof StatsRow) => (stats ? stats.items.reduce((a, r) => a + (Number(r[k]) || 0), 0) : 0);
  const dash = t("none");
  const pendingPage = "data" in state.pending ? state.pending.data : undefined;
  const pendingCount = pendingPage ? `${formatNumber(pendingPage.items.length)}${pendingPage.next_cursor ? "+" : ""}` : dash;
  const attempts = sum("attempts");
  const delivered = sum("delivered");
  const deferrals = sum("deferrals");
  const over = stats ? stats.hard_bounce_rate > stats.hard_bounce_threshold : false;
  fill(
    sections.kpis,
    kpi("delivered", "kpiDelivered", stats ? formatNumber(delivered) : dash, t("kpiLast30"), "good"),
    kpi("hard-bounces", "kpiHardBounces", stats ? formatNumber(sum("hard_bounces")) : dash, t("kpiOfAttempts", { n: formatNumber(attempts) })),
    kpi(
      "hard-rate",
      "kpiHardRate",
      stats ? formatPercent(stats.hard_bounce_rate) : dash,
      stats ? t(over ? "kpiOverThreshold" : "kpiThreshold", { rate: formatPercent(stats.hard_bounce_threshold) }) : "",
      over ? "bad" : "",
    ),
    kpi("deferrals", "kpiDeferrals", stats ? formatNumber(deferrals) : dash, t("kpiDeferralRate", { rate: formatPercent(attempts + deferrals ? deferrals / (attempts + deferrals) : 0) })),
    kpi("complaints", "kpiComplaints", stats ? formatNumber(sum("complaints")) : dash, t("kpiComplaintRate", { rate: formatPercent(delivered ? sum("complaints") / delivered : 0) })),
    kpi("pending", "kpiPending", pendingCount, t("kpiPendingHint"), pendingPage && pendingPage.items.length ? "bad" : ""),
  );
}

// --- charts ------------------------------------------------------------------

const chartWraps = { volume: h("div", { class: "chart-wrap" }), rate: h("div", { class: "chart-wrap" }) };

function renderVolume(): void {
  const legend = h("div", { class: "legend" });
  const wrap = chartWraps.volume;
  wrap.replaceChildren();
  fill(
    sections.volume,
    card(
      "volume",
      "volumeTitle",
      "volumeHint",
      ...body(state.byDay, (stats) => {
        const { days: ds, rows } = days(stats);
        const visible = SERIES_KEYS.filter((k) => !state.hidden.has(k));
        const series: Series[] = visible.map((k) => ({ key: k, label: t(SERIES_LABEL[k]), values: rows.map((r) => (r ? Number(r[k]) : 0)) }));
        for (const k of SERIES_KEYS) {
          const total = stats.items.reduce((a, r) => a + Number(r[k]), 0);
          legend.append(
            h(
              "button",
              {
                type: "button",
                class: "legend-item",
                "aria-pressed": String(!state.hidden.has(k)),
                onclick: () => {
                  if (state.hidden.has(k)) state.hidden.delete(k);
                  else state.hidden.add(k);
                  renderVolume();
                },
              },
              h("span", { class: `swatch s-${k}` }),
              t(SERIES_LABEL[k]),
              h("b", {}, formatNumber(total)),
            ),
          );
        }
        queueMicrotask(() => stackedBars(wrap, ds, series, formatNumber, dayLabel));
        return [legend, stats.items.length ? wrap : h("div", { class: "empty" }, t("noData"))];
      }),
    ),
  );
}

function renderRate(): void {
  const wrap = chartWraps.rate;
  wrap.replaceChildren();
  fill(
    sections.rate,
    card(
      "rate",
      "rateTitle",
      "rateHint",
      ...body(state.byDay, (stats) => {
        const { days: ds, rows } = days(stats);
        const rates = rows.map((r) => (r && r.attempts > 0 ? r.hard_bounce_rate : null));
        const head = h(
          "div",
          { class: "rate-head" },
          h("span", { class: `big ${stats.hard_bounce_rate > stats.hard_bounce_threshold ? "bad" : "good"}` }, formatPercent(stats.hard_bounce_rate)),
          h("span", { class: "muted" }, t("threshold", { rate: formatPercent(stats.hard_bounce_threshold) })),
        );
        queueMicrotask(() =>
          rateLine(wrap, ds, rates, stats.hard_bounce_threshold, formatPercent, t("threshold", { rate: formatPercent(stats.hard_bounce_threshold) }), (i) => {
            const r = rows[i]!;
            return `${dayLabel(ds[i])}: ${formatPercent(r.hard_bounce_rate)} (${formatNumber(r.hard_bounces)} / ${formatNumber(r.attempts)})`;
          }),
        );
        return [head, stats.items.length ? wrap : h("div", { class: "empty" }, t("noData"))];
      }),
    ),
  );
}

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    for (const [wrap, render] of [
      [chartWraps.volume, renderVolume],
      [chartWraps.rate, renderRate],
    ] as const) {
      const svg = wrap.querySelector("svg");
      if (svg && Math.abs(Number(svg.getAttribute("width")) - wrap.clientWidth) > 8) render();
    }
  });
}).observe(document.body);

// --- reasons and domains -----------------------------------------------------

function bar(fraction: number, tone = ""): HTMLElement {
  const b = h("span", { class: `meter ${tone}` }, h("span", { class: "meter-fill" }));
  // CSSOM, not a style attribute: allowed by the page's CSP.
  (b.firstChild as HTMLElement).style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return b;
}

function renderReasons(): void {
  fill(
    sections.reasons,
    card(
      "reasons",
      "reasonsTitle",
      "reasonsHint",
      ...body(state.byReason, (stats) => {
        const totals = new Map<string, { hard: number; soft: number; total: number }>();
        for (const r of stats.items) {
          if (r.event_type === "delivered") continue;
          const n = r.hard_bounces + r.soft_bounces + r.blocks + r.deferrals + r.drops + r.complaints;
          if (!n) continue;
          const key = r.reason ?? "";
          const e = totals.get(key) ?? { hard: 0, soft: 0, total: 0 };
          e.hard += r.hard_bounces;
          e.soft += n - r.hard_bounces;
          e.total += n;
          totals.set(key, e);
        }
        const top = [...totals.entries()].sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0])).slice(0, 8);
        if (!top.length) return h("div", { class: "empty" }, t("noData"));
        const max = top[0][1].total;
        return h(
          "table",
          { class: "table" },
          h("thead", {}, h("tr", {}, h("th", {}, t("colReason")), h("th", { class: "num" }, t("colEvents")))),
          h(
            "tbody",
            {},
            ...top.map(([code, n]) =>
              h(
                "tr",
                { "data-test": "reason-row", "data-reason": code },
                h("td", {}, reasonCell(code || null)),
                h(
                  "td",
                  { class: "num" },
                  h("div", { class: "count" }, formatNumber(n.total)),
                  bar(n.total / max, n.hard > n.soft ? "bad" : "warn"),
                  h("div", { class: "split" }, n.hard ? `${t("severity_hard")} ${formatNumber(n.hard)}` : "", n.hard && n.soft ? " · " : "", n.soft ? `${t("severity_soft")} ${formatNumber(n.soft)}` : ""),
                ),
              ),
            ),
          ),
        );
      }),
    ),
  );
}

function renderDomains(): void {
  fill(
    sections.domains,
    card(
      "domains",
      "domainsTitle",
      "domainsHint",
      ...body(state.byDomain, (stats) => {
        const volume = (r: StatsRow) => r.delivered + r.hard_bounces + r.soft_bounces + r.blocks + r.deferrals + r.drops + r.complaints;
        const top = [...stats.items].sort((a, b) => volume(b) - volume(a)).slice(0, 8);
        if (!top.length) return h("div", { class: "empty" }, t("noData"));
        const th = stats.hard_bounce_threshold;
        return h(
          "table",
          { class: "table" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", {}, t("colDomain")), h("th", { class: "num" }, t("colVolume")), h("th", { class: "num" }, t("colDelivered")), h("th", { class: "num" }, t("colHardRate")), h("th", { class: "num" }, t("colDeferralRate"))),
          ),
          h(
            "tbody",
            {},
            ...top.map((r) =>
              h(
                "tr",
                { "data-test": "domain-row", "data-domain": r.domain ?? "" },
                h("td", {}, h("span", { class: "mono" }, r.domain ?? "")),
                h("td", { class: "num" }, formatNumber(volume(r))),
                h("td", { class: "num" }, formatNumber(r.delivered)),
                h("td", { class: `num ${r.over_threshold ? "bad" : ""}` }, h("div", {}, formatPercent(r.hard_bounce_rate)), bar(th > 0 ? r.hard_bounce_rate / (th * 2) : 0, r.over_threshold ? "bad" : "ok")),
                h("td", { class: "num" }, formatPercent(r.deferral_rate)),
              ),
            ),
          ),
        );
      }),
    ),
  );
}

// --- recurring soft bounces ---------------------------------------------------

function renderSoft(): void {
  const sf = state.soft;
  const number = (value: number, test: string, onset: (n: number) => void) =>
    h("input", {
      type: "number",
      min: 1,
      max: 1000,
      value,
      class: "num-input",
      "data-test": test,
      onchange: (ev: Event) => {
        const n = Math.round(Number((ev.target as HTMLInputElement).value));
        if (n >= 1) {
          onset(n);
          void loadSoft();
        }
      },
    });
  const modeButton = (mode: "window" | "consecutive", label: Key) =>
    h(
      "button",
      {
        type: "button",
        class: `seg ${sf.mode === mode ? "on" : ""}`,
        "aria-pressed": String(sf.mode === mode),
        "data-test": `soft-mode-${mode}`,
        onclick: () => {
          sf.mode = mode;
          void loadSoft();
        },
      },
      t(label),
    );
  const windowSelect = h(
    "select",
    {
      "data-test": "soft-window",
      onchange: (ev: Event) => {
        sf.window = (ev.target as HTMLSelectElement).value;
        void loadSoft();
      },
    },
    ...WINDOWS.map((w) => h("option", { value: w, selected: w === sf.window }, w)),
  );
  const controls = h(
    "div",
    { class: "controls" },
    h("div", { class: "segmented", role: "group", "aria-label": t("softMode") }, modeButton("window", "softModeWindow"), modeButton("consecutive", "softModeConsecutive")),
    sf.mode === "window"
      ? h("div", { class: "control-group" }, h("label", {}, t("softN"), number(sf.n, "soft-n", (n) => (sf.n = n))), h("label", {}, t("softWindow"), windowSelect))
      : h("div", { class: "control-group" }, h("label", {}, t("softK"), number(sf.k, "soft-k", (n) => (sf.k = n)))),
  );
  const page = "data" in state.softRows ? state.softRows.data : undefined;
  const count = page ? h("span", { class: "badge", "data-test": "soft-count" }, counted("softCount", "softCountOne", page)) : null;
  const c = card(
    "soft",
    "softTitle",
    "softHint",
    controls,
    ...body(state.softRows, (p) => {
      if (!p.items.length) return h("div", { class: "empty", "data-test": "soft-empty" }, t("empty"));
      return [
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "table", "data-test": "soft-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, t("colRecipient")),
                h("th", {}, t("colUser")),
                h("th", { class: "num" }, t("colFailures")),
                h("th", { class: "num" }, t("colStreak")),
                h("th", {}, t("colLastFailure")),
                h("th", {}, t("colReason")),
              ),
            ),
            h(
              "tbody",
              {},
              ...p.items.map((r) =>
                h(
                  "tr",
                  { "data-test": "soft-row", "data-recipient": r.recipient },
                  h("td", {}, h("button", { type: "button", class: "link mono", onclick: () => void lookup(r.recipient, true) }, r.recipient)),
                  h("td", { class: "mono muted" }, r.user_ref ?? t("none")),
                  h("td", { class: "num strong", "data-test": "soft-failures" }, formatNumber(r.failures)),
                  h("td", { class: "num" }, formatNumber(r.soft_streak)),
                  h("td", { class: "nowrap" }, formatTime(r.last_failure_at)),
                  h("td", {}, reasonCell(r.last_soft_reason, r.action, explanation(r.explanation))),
                ),
              ),
            ),
          ),
        ),
        p.next_cursor ? h("p", { class: "hint" }, t("moreRows", { n: formatNumber(p.items.length) })) : h("span"),
      ];
    }),
  );
  c.querySelector(".card-head")!.append(count ?? "");
  fill(sections.soft, c);
}

function loadSoft(): Promise<void> {
  const sf = state.soft;
  const params = sf.mode === "window" ? { mode: sf.mode, min_failures: sf.n, window: sf.window, limit: LIST_LIMIT } : { mode: sf.mode, min_streak: sf.k, limit: LIST_LIMIT };
  return into(slot("softRows"), () => api.softBounces(params), renderSoft);
}

// --- notices -----------------------------------------------------------------

async function transition(n: Notice, to: "notified" | "resolved"): Promise<void> {
  state.busyNotices.add(n.id);
  renderNotices();
  try {
    const r = to === "notified" ? await api.markNotified(n.id) : await api.resolve(n.id);
    if (r.changed) toast(t(to === "notified" ? "markedNotified" : "resolved", { id: n.id }));
    else toast(t("alreadyInState", { id: n.id, state: tk("state_", r.state) }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) state.canChangeNotices = false;
    toast(t("actionFailed", { id: n.id, message: message(e) }), "error");
  } finally {
    state.busyNotices.delete(n.id);
  }
  await Promise.all([loadNotices(), loadPending()]);
  if (state.lookup.status === "ok" && state.lookup.data) void lookup(state.query);
}

function renderNotices(): void {
  const tabs = h(
    "div",
    { class: "segmented", role: "tablist" },
    ...(["pending", "notified", "resolved", ""] as const).map((st) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          class: `seg ${state.noticeState === st ? "on" : ""}`,
          "aria-selected": String(state.noticeState === st),
          "data-test": `notice-tab-${st || "all"}`,
          onclick: () => {
            state.noticeState = st;
            void loadNotices();
          },
        },
        st ? t(`state_${st}` as Key) : t("stateAll"),
      ),
    ),
  );
  const allowed = state.canChangeNotices === true;
  const page = "data" in state.notices ? state.notices.data : undefined;
  const c = card(
    "notices",
    "noticesTitle",
    "noticesHint",
    h("div", { class: "controls" }, tabs),
    ...body(state.notices, (p) => {
      if (!p.items.length) return h("div", { class: "empty", "data-test": "notices-empty" }, t("empty"));
      return [
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "table", "data-test": "notices-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, t("colRecipient")),
                h("th", {}, t("colUser")),
                h("th", {}, t("colReason")),
                h("th", {}, t("colBounced")),
                h("th", {}, t("colState")),
                h("th", { class: "actions" }, t("colActions")),
              ),
            ),
            h(
              "tbody",
              {},
              ...p.items.map((n) => {
                const busy = state.busyNotices.has(n.id);
                const why = allowed ? "" : t("needsNoticesScope");
                return h(
                  "tr",
                  { "data-test": "notice-row", "data-id": n.id, "data-state": n.state, "data-recipient": n.recipient },
                  h("td", {}, h("button", { type: "button", class: "link mono", onclick: () => void lookup(n.recipient, true) }, n.recipient)),
                  h("td", { class: "mono muted" }, n.user_ref ?? t("none")),
                  h("td", {}, reasonCell(n.reason, n.action, explanation(n.explanation))),
                  h("td", { class: "nowrap" }, formatTime(n.bounced_at)),
                  h("td", {}, h("span", { class: `state state-${n.state}`, "data-test": "notice-state" }, tk("state_", n.state))),
                  h(
                    "td",
                    { class: "actions" },
                    n.state === "pending"
                      ? h("button", { type: "button", class: "btn small", disabled: !allowed || busy, title: why, "data-test": "mark-notified", onclick: () => void transition(n, "notified") }, t("markNotified"))
                      : null,
                    n.state !== "resolved"
                      ? h("button", { type: "button", class: "btn small ghost", disabled: !allowed || busy, title: why, "data-test": "resolve", onclick: () => void transition(n, "resolved") }, t("resolve"))
                      : null,
                  ),
                );
              }),
            ),
          ),
        ),
        p.next_cursor ? h("p", { class: "hint" }, t("moreRows", { n: formatNumber(p.items.length) })) : h("span"),
        allowed ? h("span") : h("p", { class: "hint scope-hint", "data-test": "scope-hint" }, t("needsNoticesScope")),
      ];
    }),
  );
  if (page) c.querySelector(".card-head")!.append(h("span", { class: "badge", "data-test": "notices-count" }, counted("noticesCount", "noticesCountOne", page)));
  fill(sections.notices, c);
}

function loadNotices(): Promise<void> {
  return into(slot("notices"), () => api.notices(state.noticeState, LIST_LIMIT), renderNotices);
}

function loadPending(): Promise<void> {
  return into(slot("pending"), () => api.notices("pending", 1000), renderKpis);
}

// --- lookup ------------------------------------------------------------------

function verdictCard(st: RecipientStatus, selectable: boolean, selected: boolean): HTMLElement {
  const fact = (label: Key, value: Node | string) => h("div", { class: "fact" }, h("dt", {}, t(label)), h("dd", {}, value));
  return h(
    selectable ? "button" : "div",
    {
      class: `verdict ${st.should_send ? "send" : "stop"} decision-${st.decision} ${selected ? "selected" : ""}`,
      "data-test": "verdict",
      "data-address": st.address,
      "data-should-send": String(st.should_send),
      "data-decision": st.decision,
      ...(selectable ? { type: "button", onclick: () => void selectAddress(st.address) } : {}),
    },
    h(
      "div",
      { class: "verdict-head" },
      h("span", { class: "verdict-badge", "data-test": "verdict-badge" }, st.should_send ? t("verdictSend") : t("verdictStop")),
      h("span", { class: "mono verdict-address" }, st.address),
    ),
    h(
      "dl",
      { class: "facts" },
      fact("decision", h("span", {}, h("b", { "data-test": "verdict-decision" }, tk("decision_", st.decision)), h("span", { class: "muted" }, ` · ${t("rule", { rule: st.decision_rule })}`))),
      fact("streak", formatNumber(st.soft_bounce_streak)),
      fact("lastDelivered", formatTime(st.last_delivered_at)),
      st.hard_bounced_at ? fact("hardBounced", formatTime(st.hard_bounced_at)) : null,
      st.complained_at ? fact("complained", formatTime(st.complained_at)) : null,
      st.notice ? fact("notice", h("span", { class: `state state-${st.notice.state}` }, `#${st.notice.id} ${tk("state_", st.notice.state)}`)) : null,
    ),
    st.reason ? reasonCell(st.reason.code, st.reason.action, explanation(st.reason)) : null,
  );
}

function timelineTable(events: TimelineEvent[]): HTMLElement {
  if (!events.length) return h("div", { class: "empty" }, t("noEvents"));
  const typeLabel = (e: TimelineEvent) => (e.event_type === "bounce" && e.severity ? tk("type_", e.severity) : tk("type_", e.event_type));
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "table timeline", "data-test": "timeline" },
      h("thead", {}, h("tr", {}, h("th", {}, t("colTime")), h("th", {}, t("colType")), h("th", {}, t("colReply")), h("th", {}, t("colReason")))),
      h(
        "tbody",
        {},
        ...events.map((e) =>
          h(
            "tr",
            { "data-test": "timeline-row", "data-type": e.event_type },
            h("td", { class: "nowrap" }, formatTime(e.occurred_at)),
            h("td", {}, h("span", { class: `type type-${e.event_type} ${e.severity ?? ""}` }, typeLabel(e))),
            h(
              "td",
              { class: "reply" },
              e.smtp_code || e.enhanced_status ? h("code", {}, [e.smtp_code, e.enhanced_status].filter(Boolean).join(" ")) : null,
              e.diagnostic ? h("div", { class: "diagnostic", title: e.diagnostic }, e.diagnostic) : null,
            ),
            h("td", {}, e.reason ? reasonCell(e.reason, e.explanation?.action, explanation(e.explanation)) : h("span", { class: "muted" }, t("none"))),
          ),
        ),
      ),
    ),
  );
}

function renderLookup(): void {
  const input = h("input", { type: "search", value: state.query, placeholder: t("searchPlaceholder"), "aria-label": t("searchTitle"), "data-test": "search-input", autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void lookup(input.value.trim());
      },
    },
    input,
    h("button", { class: "btn primary", type: "submit", "data-test": "search-submit" }, t("search")),
  );
  const results =
    state.lookup.status === "idle"
      ? []
      : body(state.lookup, (l) => {
          if (!l) return h("span");
          if (l.kind === "address") {
            if (!l.status.known) return h("div", { class: "empty", "data-test": "lookup-unknown" }, t("searchUnknown", { q: l.status.address }));
            return h("div", { class: "lookup" }, h("div", { class: "verdicts" }, verdictCard(l.status, false, false)), h("div", {}, h("h3", {}, t("timeline")), timelineTable(l.events)));
          }
          if (!l.user.known) return h("div", { class: "empty", "data-test": "lookup-unknown" }, t("searchUnknown", { q: l.user.user_ref }));
          return h(
            "div",
            { class: "lookup" },
            h(
              "div",
              { class: "verdicts" },
              h(
                "div",
                { class: `user-head ${l.user.should_send ? "send" : "stop"}`, "data-test": "user-verdict" },
                h("b", {}, t("userAddresses", { n: l.user.addresses.length, user: l.user.user_ref })),
                h("span", {}, l.user.should_send ? t("userShouldSend") : t("userShouldNotSend")),
              ),
              ...l.user.addresses.map((a) => verdictCard(a, true, a.address === l.selected)),
            ),
            h("div", {}, h("h3", {}, `${t("timeline")}${l.selected ? ` · ${l.selected}` : ""}`), timelineTable(l.events)),
          );
        });
  fill(sections.lookup, card("lookup", "searchTitle", "searchHint", form, ...results));
}

/** Looks up an address or user; `scroll` brings the card into view (from a table link). */
async function lookup(q: string, scroll = false): Promise<void> {
  state.query = q;
  if (!q) {
    state.lookup = { status: "idle" };
    return renderLookup();
  }
  if (scroll) sections.lookup.scrollIntoView({ behavior: "smooth", block: "start" });
  await into(
    slot("lookup"),
    async (): Promise<Lookup> => {
      if (q.includes("@")) {
        const [status, tl] = await Promise.all([api.recipient(q), api.timeline(q, 50)]);
        return { kind: "address", status, events: tl.items };
      }
      const user = await api.user(q);
      const first = user.addresses[0]?.address ?? null;
      const events = first ? (await api.timeline(first, 50)).items : [];
      return { kind: "user", user, selected: first, events };
    },
    renderLookup,
  );
}

async function selectAddress(address: string): Promise<void> {
  const l = state.lookup.status === "ok" ? state.lookup.data : null;
  if (!l || l.kind !== "user") return;
  try {
    const tl = await api.timeline(address, 50);
    state.lookup = { status: "ok", data: { ...l, selected: address, events: tl.items } };
  } catch (e) {
    state.lookup = { status: "error", message: message(e), data: l };
  }
  renderLookup();
}

// --- loading -----------------------------------------------------------------

async function refreshAll(): Promise<void> {
  const reasons = api
    .reasons()
    .then((r) => {
      state.reasons = r.reasons;
    })
    .catch(() => {
      // Explanations are a nicety: the tables still show reason codes.
    });
  await Promise.all([
    into(slot("byDay"), () => api.stats("day"), () => (renderKpis(), renderVolume(), renderRate(), renderTopbar())),
    into(slot("byDomain"), () => api.stats("domain"), renderDomains),
    reasons.then(() => into(slot("byReason"), () => api.stats("reason"), renderReasons)),
    reasons.then(loadSoft),
    reasons.then(loadNotices),
    loadPending(),
    state.lookup.status === "ok" && state.query ? lookup(state.query) : null,
  ]);
  if (!state.token) return;
  state.updatedAt = new Date();
  renderTopbar();
}

async function connect(token: string, remember: boolean): Promise<void> {
  state.token = token;
  state.checking = true;
  state.gateError = "";
  renderAll();
  try {
    await api.stats("day");
    state.canChangeNotices = await api.canChangeNotices();
    save(TOKEN_KEY, token, remember);
    state.checking = false;
    renderAll();
    await refreshAll();
  } catch (e) {
    state.checking = false;
    state.token = "";
    state.gateError = e instanceof ApiError && e.status === 401 ? t("tokenInvalid") : e instanceof ApiError && e.status === 403 ? t("tokenNoRead") : message(e);
    renderAll();
  }
}

function signOut(error: string): void {
  state.token = "";
  state.gateError = error;
  state.canChangeNotices = null;
  state.checking = false;
  for (const k of ["byDay", "byDomain", "byReason", "softRows", "notices", "pending", "lookup"] as const) state[k] = { status: "idle" };
  renderAll();
}

if (state.token) void connect(state.token, persisted(TOKEN_KEY));
else renderAll();
