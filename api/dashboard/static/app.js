// The NOC dashboard: vanilla JS, no dependencies, nothing fetched from outside the appliance.
// Every value from the API goes into the DOM through textContent (SIP user agents, URIs and
// Call-IDs are chosen by whoever sends the packets): this file never assigns innerHTML.
"use strict";

(() => {
  const TOKEN_KEY = "voip-monitor-token";
  const SEVERITIES = ["critical", "high", "medium", "low", "info"];
  const STATES = ["open", "acknowledged", "resolved"];
  const LIMIT = 500;
  const POSTURES = ["compliant", "cleartext_media", "keys_exposed", "cleartext_signaling", "downgraded", "unknown"];
  const POSTURE_LABELS = { compliant: "compliant", cleartext_media: "cleartext media", keys_exposed: "keys exposed",
    cleartext_signaling: "cleartext signaling", downgraded: "downgraded", unknown: "unknown / not yet calling" };
  const GROUPS = ["vendor_model", "subnet", "vlan", "sensor", "device_class"];
  const RETRY_MS = 5000;
  const REFRESH_MS = 15000;

  const state = {
    token: null, name: null, role: null,
    alerts: new Map(), selected: null,
    source: null, retry: null,
    view: "alerts", refresh: null, chartTimer: null,
    sensorSamples: new Map(),
  };
  const $ = (id) => document.getElementById(id);

  // -- DOM helpers (text only) ------------------------------------------------------------------
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function show(node, visible) { node.classList.toggle("hidden", !visible); }
  function oneOf(value, allowed, fallback) { return allowed.includes(value) ? value : fallback; }
  function pad(n) { return String(n).padStart(2, "0"); }
  function fmtTime(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const d = new Date(seconds * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
           `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function fmtNumber(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"); }
  function yesNo(value, yes, no) {
    if (value === true) return el("span", yes || "yes", "good");
    if (value === false) return el("span", no || "no", "bad");
    return el("span", "unknown", "unknown");
  }
  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null || cell === undefined ? "—" : String(cell);
      tr.appendChild(td);
    }
    return tr;
  }
  function fillTable(id, rows) {
    const body = $(id).querySelector("tbody");
    clear(body);
    for (const r of rows) body.appendChild(r);
  }
  function appError(message) { $("app-error").textContent = message || ""; }

  // -- the API ----------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function request(path, options = {}) {
    const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, options.headers || {});
    let response;
    try {
      response = await fetch(path, Object.assign({ cache: "no-store" }, options, { headers }));
    } catch (err) {
      throw new ApiError(0, "the appliance cannot be reached");
    }
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try { const body = await response.json(); if (body && typeof body.detail === "string") detail = body.detail; } catch (e) { /* not JSON */ }
      if (response.status === 401 && path !== "/dashboard/session") signOut(`Signed out: ${detail}`);
      throw new ApiError(response.status, detail);
    }
    return response;
  }
  async function getJson(path) { return (await request(path)).json(); }
  function query(params) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== "" && value !== null && value !== undefined) q.append(key, value);
    const text = q.toString();
    return text ? `?${text}` : "";
  }

  // -- sign in / out ----------------------------------------------------------------------------
  async function signIn(token, quiet) {
    const message = $("login-error");
    message.textContent = "";
    state.token = token;
    let who;
    try {
      who = await getJson("/dashboard/session");
    } catch (err) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      if (!quiet || err.status !== 401) {
        message.textContent = err.status === 401 ? `Sign-in refused: ${err.message}` : `Sign-in failed: ${err.message}`;
      }
      $("token").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    state.name = who.name;
    state.role = who.role;
    $("token").value = "";
    $("whoami").textContent = `${who.name} (${who.role})`;
    document.body.classList.toggle("can-act", canAct());
    show($("login"), false);
    show($("app"), true);
    show($("logout"), true);
    switchView("alerts");
    connectLive();
    loadAlerts();                             // again when the feed opens (or re-opens)
    loadChart();
    loadFleet();
  }

  function signOut(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = state.name = state.role = null;
    if (state.source) { state.source.close(); state.source = null; }
    clearTimeout(state.retry);
    clearInterval(state.refresh);
    clearTimeout(state.chartTimer);
    state.alerts.clear();
    state.selected = null;
    setLive("off", "offline");
    $("whoami").textContent = "";
    document.body.classList.remove("can-act");
    show($("app"), false);
    show($("logout"), false);
    show($("alert-detail"), false);
    show($("login"), true);
    $("login-error").textContent = reason || "";
  }

  function canAct() { return state.role === "operator" || state.role === "admin"; }

  // -- the live feed ----------------------------------------------------------------------------
  function setLive(kind, text) {
    const badge = $("live-status");
    badge.className = `live ${oneOf(kind, ["on", "off", "wait"], "off")}`;
    badge.textContent = text;
  }

  function connectLive() {
    if (state.source) state.source.close();
    clearTimeout(state.retry);
    setLive("wait", "connecting");
    const source = new EventSource(`/api/v1/alerts/stream${query({ token: state.token })}`);
    state.source = source;
    source.addEventListener("open", () => {
      setLive("on", "live");
      loadAlerts();                           // after the feed started: nothing falls between the two
    });
    source.addEventListener("alert", (event) => {
      let alert;
      try { alert = JSON.parse(event.data); } catch (e) { return; }
      upsertAlert(alert, true);
      scheduleChart();
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) { setLive("wait", "reconnecting"); return; }
      setLive("wait", "reconnecting");
      source.close();
      state.retry = setTimeout(async () => {
        if (!state.token) return;
        try { await getJson("/dashboard/session"); } catch (err) {
          if (err.status === 401) { signOut(`Signed out: ${err.message}`); return; }
        }
        if (state.token) connectLive();
      }, RETRY_MS);
    });
  }

  // -- alerts -----------------------------------------------------------------------------------
  function filters() {
    return {
      severity: $("f-severity").value, state: $("f-state").value, type: $("f-type").value,
      endpoint: $("f-endpoint").value.trim().toLowerCase(),
    };
  }
  function matches(alert, f) {
    if (f.severity && alert.severity !== f.severity) return false;
    if (f.state && alert.state !== f.state) return false;
    if (f.type && alert.type !== f.type) return false;
    if (f.endpoint) {
      const where = `${alert.endpoint || ""} ${alert.peer || ""}`.toLowerCase();
      if (!where.includes(f.endpoint)) return false;
    }
    return true;
  }

  async function loadAlerts() {
    const f = filters();
    try {
      const page = await getJson(`/api/v1/alerts${query({ severity: f.severity, state: f.state, type: f.type, limit: LIMIT })}`);
      state.alerts = new Map(page.items.map((a) => [a.id, a]));
      renderAlerts(new Set());
      $("alerts-count").dataset.total = page.total;
      appError("");
    } catch (err) {
      if (state.token) appError(`Alerts could not be loaded: ${err.message}`);
    }
  }

  function upsertAlert(alert, live) {
    const known = state.alerts.has(alert.id);
    state.alerts.set(alert.id, alert);
    renderAlerts(live && !known ? new Set([alert.id]) : new Set());
    if (state.selected === alert.id) renderDetail(alert, false);
  }

  function renderAlerts(fresh) {
    const f = filters();
    const shown = [...state.alerts.values()].filter((a) => matches(a, f)).sort((a, b) => b.id - a.id);
    const rows = shown.map((alert) => {
      const severity = oneOf(alert.severity, SEVERITIES, "info");
      const tr = row([fmtTime(alert.last_seen), el("span", alert.severity, `badge sev-${severity}`), alert.type,
        alert.endpoint, alert.device_class, alert.summary, el("span", alert.state, `state-${oneOf(alert.state, STATES, "open")}`),
        alert.count]);
      tr.dataset.id = String(alert.id);
      tr.className = `alert sev-${severity}`;
      if (fresh.has(alert.id)) tr.classList.add("fresh");
      if (alert.id === state.selected) tr.classList.add("selected");
      tr.tabIndex = 0;
      tr.addEventListener("click", () => selectAlert(alert.id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") selectAlert(alert.id); });
      return tr;
    });
    fillTable("alerts-table", rows);
    $("alerts-count").textContent = `${shown.length} shown`;
  }

  function selectAlert(id) {
    state.selected = id;
    for (const tr of $("alerts-table").querySelectorAll("tbody tr")) tr.classList.toggle("selected", tr.dataset.id === String(id));
    const alert = state.alerts.get(id);
    if (alert) renderDetail(alert, true);
  }

  function renderDetail(alert, fresh) {
    show($("alert-detail"), true);
    $("d-title").textContent = `${alert.type} — ${alert.endpoint}`;
    const fields = $("d-fields");
    clear(fields);
    const pairs = [["Alert", `#${alert.id}`], ["Severity", alert.severity], ["State", alert.state], ["Reason", alert.summary],
      ["Endpoint", alert.endpoint], ["Peer", alert.peer], ["Device class", alert.device_class], ["Sensor", alert.sensor],
      ["Call-ID", alert.call_id], ["Stream", alert.stream], ["First seen", fmtTime(alert.first_seen)],
      ["Last seen", fmtTime(alert.last_seen)], ["Occurrences", alert.count]];
    if (alert.acknowledged_by) pairs.push(["Acknowledged", `${alert.acknowledged_by}, ${fmtTime(alert.acknowledged_at)}`]);
    if (alert.resolved_by === "sensor") pairs.push(["Resolved", `${fmtTime(alert.resolved_at)}: ${alert.resolved_reason}`]);
    else if (alert.resolved_by) pairs.push(["Resolved", `${alert.resolved_by}, ${fmtTime(alert.resolved_at)}`]);
    else if (alert.resolved_reason) pairs.push(["Resolved", `${fmtTime(alert.resolved_at)}: ${alert.resolved_reason}`]);
    if (alert.comment) pairs.push(["Comment", alert.comment]);
    for (const [name, value] of pairs) {
      fields.appendChild(el("dt", name));
      fields.appendChild(el("dd", value === null || value === undefined ? "—" : value));
    }
    const evidence = $("d-evidence");
    clear(evidence);
    for (const line of alert.evidence || []) evidence.appendChild(el("li", line));
    if (!(alert.evidence || []).length) evidence.appendChild(el("li", "none recorded", "muted"));

    const ack = $("d-ack"), resolve = $("d-resolve");
    ack.disabled = !canAct() || alert.state !== "open";
    resolve.disabled = !canAct() || alert.state === "resolved";
    show($("d-role-note"), !canAct());
    if (fresh) {
      $("d-message").textContent = "";
      loadStream(alert);
    }
  }

  async function loadStream(alert) {
    const box = $("d-stream");
    clear(box);
    if (!alert.stream) { box.appendChild(el("dd", "this alert is not about one media stream", "muted")); return; }
    box.appendChild(el("dd", "loading…", "muted"));
    let stream = null;
    try {
      const page = await getJson(`/api/v1/streams${query({ endpoint: alert.endpoint, sensor: alert.sensor, call_id: alert.call_id, limit: LIMIT })}`);
      stream = page.items.find((s) => s.id === alert.stream) || null;
    } catch (err) {
      if (state.selected === alert.id) { clear(box); box.appendChild(el("dd", `could not load the stream: ${err.message}`, "error")); }
      return;
    }
    if (state.selected !== alert.id) return;
    clear(box);
    if (!stream) { box.appendChild(el("dd", "the stream is no longer in the store", "muted")); return; }
    const verdict = stream.encrypted === true ? "encrypted" : stream.encrypted === false ? "cleartext" : "undecided";
    const pairs = [["Flow", `${stream.src}:${stream.src_port} → ${stream.dst}:${stream.dst_port} (${stream.transport}, ${stream.kind})`],
      ["Verdict", verdict], ["Keying", stream.keying], ["Codec", stream.codec],
      ["Packets", fmtNumber(stream.packets)], ["Bytes", fmtNumber(stream.bytes)],
      ["Confidence", stream.confidence === null ? null : stream.confidence.toFixed(2)],
      ["Decided by", stream.verdict_source], ["Packets to verdict", stream.packets_to_verdict],
      ["SSRCs", (stream.ssrcs || []).map((s) => `0x${Number(s).toString(16).padStart(8, "0")}`).join(", ")],
      ["Payload types", (stream.payload_types || []).join(", ")],
      ["First seen", fmtTime(stream.first_seen)], ["Last seen", fmtTime(stream.last_seen)]];
    for (const [name, value] of pairs) {
      box.appendChild(el("dt", name));
      box.appendChild(el("dd", value === null || value === undefined || value === "" ? "—" : value));
    }
    if ((stream.evidence || []).length) {
      box.appendChild(el("dt", "Stream evidence"));
      const dd = el("dd");
      const list = el("ul");
      for (const line of stream.evidence) list.appendChild(el("li", line));
      dd.appendChild(list);
      box.appendChild(dd);
    }
  }

  async function act(action) {
    const id = state.selected;
    if (id === null) return;
    const message = $("d-message");
    message.className = "message";
    message.textContent = "";
    try {
      const response = await request(`/api/v1/alerts/${encodeURIComponent(id)}/${action}`, { method: "POST" });
      const alert = await response.json();
      state.alerts.set(alert.id, alert);
      renderAlerts(new Set());
      renderDetail(alert, false);
      message.textContent = action === "ack" ? "Acknowledged." : "Resolved.";
    } catch (err) {
      message.className = "message error";
      if (err.status === 403) message.textContent = `Not allowed for your token: ${err.message}`;
      else if (err.status === 409) message.textContent = `Not possible now: ${err.message}`;
      else message.textContent = `Failed: ${err.message}`;
    }
  }

  // -- the fleet: phones by posture, grouped; the trend; CSV exports ------------------------------
  async function loadFleet() {
    const group = oneOf($("fleet-group").value, GROUPS, "vendor_model");
    try {
      const summary = await getJson(`/api/v1/fleet/summary?group_by=${encodeURIComponent(group)}`);
      $("fleet-total").textContent = `${fmtNumber(summary.total)} endpoints`;
      const list = $("fleet-postures");
      clear(list);
      for (const name of POSTURES) {
        const item = el("li", null, `posture ${name}`);
        item.dataset.posture = name;
        item.appendChild(el("strong", fmtNumber(summary.postures[name]), "n"));
        item.appendChild(el("span", POSTURE_LABELS[name], "label"));
        list.appendChild(item);
      }
      fillTable("fleet-groups", summary.groups.map((g) => row([g.group, fmtNumber(g.total),
        ...POSTURES.map((name) => fmtNumber(g.postures[name]))])));
      const days = await getJson("/api/v1/fleet/trend");
      const today = days.length ? days[days.length - 1].non_compliant : 0;
      const peak = days.reduce((most, d) => Math.max(most, d.non_compliant), 0);
      $("fleet-trend").textContent = `Non-compliant phones per day, last ${days.length} days: ` +
        `${fmtNumber(today)} today, at most ${fmtNumber(peak)}.`;
    } catch (err) {
      if (state.token) appError(`The fleet summary could not be loaded: ${err.message}`);
    }
  }

  async function download(path, name, message) {
    message.className = "message";
    message.textContent = "";
    try {
      const response = await request(path);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      return blob;
    } catch (err) {
      message.className = "message error";
      message.textContent = `Download failed: ${err.message}`;
      throw err;
    }
  }

  async function downloadCsv(kind) {
    const blob = await download(`/api/v1/fleet/${kind}.csv`, `${kind}.csv`, $("fleet-message")).catch(() => null);
    if (blob) $("fleet-message").textContent = `${kind}.csv downloaded (${fmtNumber(blob.size)} bytes).`;
  }

  async function downloadPcap() {
    const id = state.selected;
    if (id === null) return;
    const message = $("d-message");
    message.className = "message";
    message.textContent = "";
    try {
      const response = await request(`/api/v1/alerts/${encodeURIComponent(id)}/pcap`);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `alert-${id}.pcap`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      message.textContent = `Evidence downloaded (${fmtNumber(blob.size)} bytes).`;
    } catch (err) {
      message.className = "message error";
      message.textContent = err.status === 404 ? "No evidence frames are stored for this alert." : `Download failed: ${err.message}`;
    }
  }

  // -- the chart: encrypted vs cleartext media over time (inline SVG) ---------------------------
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function scheduleChart() {
    clearTimeout(state.chartTimer);
    state.chartTimer = setTimeout(loadChart, 2000);
  }
  async function loadChart() {
    const box = $("chart");
    let series;
    try {
      series = await getJson("/api/v1/stats/media?buckets=48");
    } catch (err) {
      clear(box);
      box.appendChild(el("p", err.status === 404 ? "This appliance has no media statistics." : `Chart unavailable: ${err.message}`, "muted"));
      return;
    }
    drawChart(box, series);
  }
  function drawChart(box, series) {
    clear(box);
    if (series.start === null || !series.buckets.length) {
      box.appendChild(el("p", "No media streams yet.", "muted"));
      $("chart-range").textContent = "";
      return;
    }
    const W = 960, H = 170, left = 36, bottom = 22, top = 8;
    const plotW = W - left - 6, plotH = H - bottom - top;
    const max = Math.max(1, ...series.buckets.map((b) => b.encrypted + b.cleartext + b.unknown));
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "media-chart", "aria-label": "media streams over time" });
    chart.appendChild(svg("line", { x1: left, y1: top + plotH, x2: W - 6, y2: top + plotH, class: "axis" }));
    chart.appendChild(svg("text", { x: left - 4, y: top + 10, class: "tick end" }, max));
    chart.appendChild(svg("text", { x: left - 4, y: top + plotH, class: "tick end" }, 0));
    const slot = plotW / series.buckets.length;
    series.buckets.forEach((b, n) => {
      const x = left + n * slot + 1, w = Math.max(1, slot - 2);
      let y = top + plotH;
      for (const [kind, count] of [["enc", b.encrypted], ["clear", b.cleartext], ["unknown", b.unknown]]) {
        if (!count) continue;
        const h = (count / max) * plotH;
        y -= h;
        const bar = svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: w.toFixed(1), height: h.toFixed(1), class: `bar ${kind}` });
        bar.appendChild(svg("title", {}, `${fmtTime(b.start)}: ${b.encrypted} encrypted, ${b.cleartext} cleartext, ${b.unknown} undecided`));
        chart.appendChild(bar);
      }
    });
    chart.appendChild(svg("text", { x: left, y: H - 6, class: "tick" }, fmtTime(series.start)));
    chart.appendChild(svg("text", { x: W - 6, y: H - 6, class: "tick end" }, fmtTime(series.end)));
    box.appendChild(chart);
    const totals = series.buckets.reduce((t, b) => [t[0] + b.encrypted, t[1] + b.cleartext], [0, 0]);
    $("chart-range").textContent = `(${totals[0]} encrypted, ${totals[1]} cleartext streams)`;
  }

  // -- the other views ----------------------------------------------------------------------------
  async function loadEndpoints() {
    const page = await getJson(`/api/v1/endpoints${query({ limit: LIMIT })}`);
    fillTable("endpoints-table", page.items.map((e) => {
      const p = e.posture || {};
      const device = [e.vendor, e.model].filter(Boolean).join(" ") + (e.firmware ? ` ${e.firmware}` : "");
      const tr = row([e.ip, e.device_class, device || null, e.user_agent, yesNo(p.signaling_tls, "TLS", "cleartext"),
        yesNo(p.media_srtp, "SRTP", "cleartext"), p.keying, p.certificate_state,
        p.last_cleartext_media ? el("span", fmtTime(p.last_cleartext_media), "bad") : "never", e.sensor]);
      tr.dataset.ip = e.ip;
      return tr;
    }));
    $("endpoints-count").textContent = `${page.items.length} of ${page.total} endpoints`;
  }

  async function loadCalls() {
    const page = await getJson(`/api/v1/calls${query({ limit: LIMIT })}`);
    fillTable("calls-table", page.items.map((c) => row([fmtTime(c.last_seen), c.call_id, c.from, c.to,
      c.signaling_transport, c.offer, c.answer, yesNo(c.media_encrypted, "encrypted", "cleartext"), c.sensor])));
    $("calls-count").textContent = `${page.items.length} of ${page.total} calls`;
  }

  async function loadStreams() {
    const page = await getJson(`/api/v1/streams${query({ limit: LIMIT })}`);
    fillTable("streams-table", page.items.map((s) => row([fmtTime(s.last_seen), `${s.src}:${s.src_port}`,
      `${s.dst}:${s.dst_port}`, s.transport, s.kind, s.codec, yesNo(s.encrypted, "encrypted", "cleartext"), s.keying,
      fmtNumber(s.packets), s.confidence === null ? null : s.confidence.toFixed(2), s.verdict_source, s.call_id])));
    $("streams-count").textContent = `${page.items.length} of ${page.total} streams`;
  }

  async function loadSensors() {
    const sensors = await getJson("/api/v1/sensors");
    const now = Date.now() / 1000;
    fillTable("sensors-table", sensors.map((s) => {
      const previous = state.sensorSamples.get(s.id);
      let rate;
      if (previous && now > previous.at && s.packets >= previous.packets && previous.packets !== s.packets) {
        rate = (s.packets - previous.packets) / (now - previous.at);
      } else {
        rate = s.packets / Math.max(1, s.last_seen - s.first_seen);
      }
      state.sensorSamples.set(s.id, { at: now, packets: s.packets });
      const ratio = s.packets + s.drops > 0 ? (100 * s.drops) / (s.packets + s.drops) : 0;
      return row([s.id, s.name, fmtNumber(s.packets), `${rate.toFixed(1)} pkt/s`,
        s.drops ? el("span", fmtNumber(s.drops), "bad") : "0", `${ratio.toFixed(2)} %`, fmtTime(s.first_seen), fmtTime(s.last_seen)]);
    }));
  }

  async function loadSpan() {
    const empty = $("span-empty");
    let switches;
    try {
      switches = await getJson("/api/v1/switches");
    } catch (err) {
      if (err.status !== 404) throw err;
      fillTable("span-table", []);
      empty.textContent = "SPAN control is not available on this appliance (no /api/v1/switches).";
      show(empty, true);
      return;
    }
    const list = Array.isArray(switches) ? switches : (switches && switches.items) || [];
    show(empty, list.length === 0);
    empty.textContent = list.length === 0 ? "No switches configured." : "";
    fillTable("span-table", list.map((sw) => {
      const s = sw.session;
      if (!s) return row([sw.name, sw.device_type, `${sw.host}:${sw.port}`, sw.username, el("span", "no SPAN session", "muted"), "", "", "", "", ""]);
      return row([sw.name, sw.device_type, `${sw.host}:${sw.port}`, sw.username, (s.sources || []).join(", "),
        (s.source_vlans || []).join(", "), s.destination, s.state, s.applied_by,
        typeof s.applied_at === "number" ? fmtTime(s.applied_at) : s.applied_at]);
    }));
  }

  const LOADERS = { endpoints: loadEndpoints, calls: loadCalls, streams: loadStreams, sensors: loadSensors, span: loadSpan };

  async function refreshView() {
    const loader = LOADERS[state.view];
    if (!loader || !state.token) return;
    try { await loader(); appError(""); } catch (err) { if (state.token) appError(`The ${state.view} view could not be loaded: ${err.message}`); }
  }

  function switchView(view) {
    state.view = view;
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.view === view);
    for (const name of ["alerts", ...Object.keys(LOADERS)]) show($(`view-${name}`), name === view);
    clearInterval(state.refresh);
    if (view === "alerts") {
      state.refresh = setInterval(() => { loadChart(); loadFleet(); }, 30000);
    } else {
      refreshView();
      state.refresh = setInterval(refreshView, REFRESH_MS);
    }
  }

  // -- wiring -----------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      if (!token) { $("login-error").textContent = "Enter an API token."; return; }
      signIn(token, false);
    });
    $("logout").addEventListener("click", () => signOut("Signed out."));
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => switchView(tab.dataset.view));
    for (const id of ["f-severity", "f-state", "f-type"]) $(id).addEventListener("change", loadAlerts);
    $("f-endpoint").addEventListener("input", () => renderAlerts(new Set()));
    $("f-clear").addEventListener("click", () => {
      for (const id of ["f-severity", "f-state", "f-type", "f-endpoint"]) $(id).value = "";
      loadAlerts();
    });
    $("filters").addEventListener("submit", (event) => event.preventDefault());
    $("d-close").addEventListener("click", () => { state.selected = null; show($("alert-detail"), false); renderAlerts(new Set()); });
    $("d-ack").addEventListener("click", () => act("ack"));
    $("d-resolve").addEventListener("click", () => act("resolve"));
    $("d-pcap").addEventListener("click", downloadPcap);
    $("fleet-group").addEventListener("change", loadFleet);
    $("fleet-endpoints-csv").addEventListener("click", () => downloadCsv("endpoints"));
    $("fleet-incidents-csv").addEventListener("click", () => downloadCsv("incidents"));
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved, true); else $("token").focus();
  });
})();
