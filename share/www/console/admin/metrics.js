// A live overview from /metrics (the Prometheus text the kernel serves): requests and server
// errors per second, mean latency, open connections and WebSockets, and the queues, sampled
// every few seconds while the page is open and drawn as small SVG charts (no library).
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, notice, pageHeading } from "../ui.js";
import { holds } from "./access.js";

const everyMs = 3000;
const keep = 60; // samples per chart: three minutes
const svgNs = "http://www.w3.org/2000/svg";

/** The samples of a Prometheus text exposition: [{name, labels, value}]. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, name, value] of (match[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

const sum = (samples, name, test = () => true) =>
  samples.filter((sample) => sample.name === name && test(sample.labels)).reduce((total, sample) => total + sample.value, 0);

/** The totals one scrape gives; rates come from two of them. */
function totals(samples) {
  return {
    at: Date.now(),
    requests: sum(samples, "comfygate_http_requests_total"),
    errors: sum(samples, "comfygate_http_requests_total", (labels) => Number(labels.status) >= 500),
    latencySum: sum(samples, "comfygate_http_request_duration_seconds_sum"),
    latencyCount: sum(samples, "comfygate_http_request_duration_seconds_count"),
    connections: sum(samples, "comfygate_http_connections_open"),
    websockets: sum(samples, "comfygate_websockets_open"),
    queued: sum(samples, "comfygate_http_connections_queued") + sum(samples, "comfygate_scheduler_queued"),
  };
}

const charts = [
  { id: "requests", title: "Requests per second", unit: "/s", value: (a, b) => (b.requests - a.requests) / ((b.at - a.at) / 1000) },
  { id: "errors", title: "Server errors (5xx) per second", unit: "/s", value: (a, b) => (b.errors - a.errors) / ((b.at - a.at) / 1000) },
  { id: "latency", title: "Mean latency", unit: " ms", value: (a, b) => (b.latencyCount > a.latencyCount ? ((b.latencySum - a.latencySum) / (b.latencyCount - a.latencyCount)) * 1000 : 0) },
  { id: "sockets", title: "Open connections and WebSockets", unit: "", value: (a, b) => b.connections + b.websockets },
  { id: "queue", title: "Waiting for a worker", unit: "", value: (a, b) => b.queued },
];

function svg(tag, attributes) {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** One chart: a line over the kept values, scaled to their maximum. */
function draw(figure, chart, values) {
  const width = 240;
  const height = 60;
  const max = Math.max(...values, chart.unit === "/s" ? 0.1 : 1);
  const x = (index) => (values.length < 2 ? width : (index / (keep - 1)) * width);
  const y = (value) => height - 2 - (value / max) * (height - 4);
  const points = values.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
  const last = values.length ? values[values.length - 1] : 0;
  const shown = `${last < 10 ? last.toFixed(2) : Math.round(last)}${chart.unit}`;
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img", "aria-label": `${t(chart.title)}: ${shown}` });
  picture.append(svg("line", { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: "axis" }));
  if (values.length) picture.append(svg("polyline", { points, class: "line" }));
  figure.querySelector(".value").textContent = shown;
  figure.querySelector(".range").textContent = t("highest {max}", { max: `${max < 10 ? max.toFixed(2) : Math.round(max)}${chart.unit}` });
  figure.querySelector("svg")?.remove();
  figure.append(picture);
}

export default {
  path: "/admin/overview",
  title: "Live overview",
  nav: true,
  access: holds("can_view_metrics"),
  async render(main) {
    const grid = h("div", { class: "charts", id: "metric-charts", dataset: { samples: "0" } });
    const problem = h("div", { id: "metrics-problem" });
    const figures = {};
    const series = Object.fromEntries(charts.map((chart) => [chart.id, []]));
    for (const chart of charts) {
      figures[chart.id] = h("figure", { class: "card chart", id: `chart-${chart.id}` },
        h("figcaption", {}, t(chart.title), " ", h("strong", { class: "value" }, "…"), " ", h("span", { class: "muted range" })));
      grid.append(figures[chart.id]);
    }
    main.append(pageHeading(t("Live overview")), h("p", { class: "muted" }, t("Sampled from /metrics every {seconds} seconds while this page is open.", { seconds: everyMs / 1000 })), problem, grid);

    let previous = null;
    let samples = 0;
    let stopped = false;
    const sample = async () => {
      try {
        const response = await fetch("/metrics", { credentials: "same-origin", headers: { Accept: "text/plain" } });
        if (!response.ok) throw new Error(t("/metrics answered {status}.", { status: response.status }));
        const current = totals(parseMetrics(await response.text()));
        if (stopped) return;
        problem.replaceChildren();
        if (previous) {
          for (const chart of charts) {
            const values = series[chart.id];
            values.push(Math.max(0, chart.value(previous, current)));
            if (values.length > keep) values.shift();
            draw(figures[chart.id], chart, values);
          }
        }
        previous = current;
        grid.dataset.samples = String(++samples);
      } catch (e) {
        problem.replaceChildren(notice(e.message, "error"));
      }
    };
    await sample();
    const timer = setInterval(sample, everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  },
};
