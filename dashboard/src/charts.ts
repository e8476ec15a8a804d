// Hand-drawn SVG charts: stacked daily bars and a rate line with its
// threshold. Drawn at the container's pixel width (not scaled from a
// viewBox), so text stays crisp at any size; the caller redraws on resize.

import { h, s } from "./dom";

export interface Series {
  key: string;
  label: string;
  values: number[];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** 0, and 4-5 round steps up to at least `max`. */
function niceTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function shortDay(day: string): string {
  // "2026-11-22" → "11/22"; the year is in the page's range line.
  return `${Number(day.slice(5, 7))}/${Number(day.slice(8, 10))}`;
}

function axes(svg: SVGSVGElement, f: Frame, days: string[], ticks: number[], fmt: (v: number) => string, x: (i: number) => number): void {
  const top = ticks[ticks.length - 1];
  for (const v of ticks) {
    const y = f.height - f.bottom - (v / top) * (f.height - f.top - f.bottom);
    svg.append(
      s("line", { x1: f.left, x2: f.width - f.right, y1: y, y2: y, class: v === 0 ? "axis" : "gridline" }),
      s("text", { x: f.left - 8, y: y + 4, class: "tick", "text-anchor": "end" }, fmt(v)),
    );
  }
  const every = Math.max(1, Math.ceil(days.length / Math.max(2, Math.floor((f.width - f.left - f.right) / 64))));
  days.forEach((d, i) => {
    if ((days.length - 1 - i) % every !== 0) return;
    svg.append(s("text", { x: x(i), y: f.height - f.bottom + 18, class: "tick", "text-anchor": "middle" }, shortDay(d)));
  });
}

/** A hover tooltip inside a chart's wrapper (position: relative). */
function tooltip(wrap: HTMLElement): { show(x: number, y: number, rows: (Node | string)[]): void; hide(): void } {
  const tip = h("div", { class: "tooltip", role: "status" });
  tip.hidden = true;
  wrap.append(tip);
  return {
    show(x, y, rows) {
      tip.replaceChildren(...rows);
      tip.hidden = false;
      // CSSOM, not a style attribute: allowed by the page's CSP.
      const w = tip.offsetWidth;
      const left = Math.min(Math.max(4, x - w / 2), wrap.clientWidth - w - 4);
      tip.style.left = `${left}px`;
      tip.style.top = `${Math.max(0, y - tip.offsetHeight - 12)}px`;
    },
    hide() {
      tip.hidden = true;
    },
  };
}

/** Daily stacked bars; `series` bottom to top. */
export function stackedBars(wrap: HTMLElement, days: string[], series: Series[], fmt: (v: number) => string, dayLabel: (d: string) => string): void {
  const width = Math.max(320, wrap.clientWidth);
  const f: Frame = { width, height: 240, left: 48, right: 12, top: 12, bottom: 28 };
  const totals = days.map((_, i) => series.reduce((sum, se) => sum + se.values[i], 0));
  const ticks = niceTicks(Math.max(...totals, 0));
  const top = ticks[ticks.length - 1];
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, Math.min(28, slot * 0.68));
  const x = (i: number) => f.left + slot * i + slot / 2;
  const yScale = (v: number) => (v / top) * plotH;

  const svg = s("svg", { width, height: f.height, class: "chart", role: "img" });
  axes(svg, f, days, ticks, fmt, x);
  const tip = tooltip(wrap);
  const hover = s("rect", { class: "hover", x: 0, y: f.top, width: slot, height: plotH, visibility: "hidden" });
  svg.append(hover);

  days.forEach((day, i) => {
    let base = f.height - f.bottom;
    for (const se of series) {
      const v = se.values[i];
      if (v <= 0) continue;
      const hgt = Math.max(1, yScale(v));
      base -= hgt;
      svg.append(s("rect", { x: x(i) - barW / 2, y: base, width: barW, height: hgt, class: `bar s-${se.key}` }));
    }
    const hit = s("rect", { x: f.left + slot * i, y: f.top, width: slot, height: plotH, class: "hit" });
    hit.addEventListener("mouseenter", () => {
      hover.setAttribute("x", String(f.left + slot * i));
      hover.setAttribute("visibility", "visible");
      const rows: (Node | string)[] = [h("div", { class: "tip-title" }, dayLabel(day))];
      // Zero rows only when the whole day is empty: the tooltip stays short.
      const shown = series.filter((se) => se.values[i] > 0);
      for (const se of (shown.length ? shown : series).reverse())
        rows.push(h("div", { class: "tip-row" }, h("span", { class: `swatch s-${se.key}` }), `${se.label}`, h("b", {}, fmt(se.values[i]))));
      tip.show(x(i), base, rows);
    });
    hit.addEventListener("mouseleave", () => {
      hover.setAttribute("visibility", "hidden");
      tip.hide();
    });
    svg.append(hit);
  });
  wrap.prepend(svg);
}

/** A daily rate as a line over an area, with the threshold dashed. */
export function rateLine(
  wrap: HTMLElement,
  days: string[],
  rates: (number | null)[],
  threshold: number,
  fmt: (v: number) => string,
  thresholdLabel: string,
  detail: (i: number) => string,
): void {
  const width = Math.max(320, wrap.clientWidth);
  const f: Frame = { width, height: 200, left: 48, right: 12, top: 14, bottom: 28 };
  const max = Math.max(threshold * 1.6, ...rates.map((r) => (r ?? 0) * 1.1));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const slot = plotW / Math.max(1, days.length);
  const x = (i: number) => f.left + slot * i + slot / 2;
  const y = (v: number) => f.height - f.bottom - (v / top) * plotH;

  const svg = s("svg", { width, height: f.height, class: "chart", role: "img" });
  axes(svg, f, days, ticks, fmt, x);

  // Days without attempts have no rate: the line breaks there.
  const segments: [number, number][][] = [];
  let run: [number, number][] = [];
  rates.forEach((r, i) => {
    if (r === null) {
      if (run.length) segments.push(run);
      run = [];
    } else run.push([x(i), y(r)]);
  });
  if (run.length) segments.push(run);
  for (const seg of segments) {
    const line = seg.map(([px, py], k) => `${k ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
    const area = `${line}L${seg[seg.length - 1][0].toFixed(1)},${y(0)}L${seg[0][0].toFixed(1)},${y(0)}Z`;
    svg.append(s("path", { d: area, class: "rate-area" }), s("path", { d: line, class: "rate-line" }));
  }

  const ty = y(threshold);
  svg.append(
    s("line", { x1: f.left, x2: f.width - f.right, y1: ty, y2: ty, class: "threshold" }),
    // On the left: recent days, on the right, are the ones people look at.
    s("text", { x: f.left + 6, y: ty - 6, class: "threshold-label", "text-anchor": "start" }, thresholdLabel),
  );

  const tip = tooltip(wrap);
  rates.forEach((r, i) => {
    if (r === null) return;
    const over = r > threshold;
    const dot = s("circle", { cx: x(i), cy: y(r), r: over ? 4.5 : 3, class: over ? "dot over" : "dot" });
    const hit = s("rect", { x: f.left + slot * i, y: f.top, width: slot, height: plotH, class: "hit" });
    hit.addEventListener("mouseenter", () => {
      dot.classList.add("active");
      tip.show(x(i), y(r), [h("div", { class: "tip-title" }, detail(i))]);
    });
    hit.addEventListener("mouseleave", () => {
      dot.classList.remove("active");
      tip.hide();
    });
    svg.append(dot, hit);
  });
  wrap.prepend(svg);
}
