// opsteam web chat: a thin client of the HTTP API. Every reply comes from the server's
// conversation engine (the same as `opsteam chat`); this file only renders and sends lines.
// Text is always inserted with textContent, never as HTML.
"use strict";

const state = { token: null, me: null, conversation: null, busy: false };
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let lines = [`${response.status} ${response.statusText}`];
    try { lines = (await response.json()).errors || lines; } catch (_) { /* not JSON */ }
    const error = new Error(lines.join("; "));
    error.status = response.status;
    throw error;
  }
  return response;
}

function log(node) {
  $("log").append(node);
  $("log").scrollTop = $("log").scrollHeight;
  return node;
}

function say(text) {
  if (state.busy || !state.conversation || !text.trim()) return;
  log(el("div", { class: "msg you" }, el("span", {}, text)));
  send(text);
}

async function send(text) {
  state.busy = true;
  $("send").disabled = true;
  const working = log(el("div", { class: "working" }));
  try {
    const response = await api(`/conversations/${state.conversation}/messages`, {
      method: "POST", body: JSON.stringify({ text }),
    });
    await readEvents(response, (event, data) => {
      if (event === "progress") working.append(el("div", { class: "progress" }, `… ${data.label}`));
      if (event === "reply") log(render(data));
    });
  } catch (error) {
    log(el("div", { class: "msg error" }, `error: ${error.message}`));
  } finally {
    state.busy = false;
    $("send").disabled = false;
    $("say").focus();
  }
}

async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message", data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

function render(reply) {
  switch (reply.kind) {
    case "said": return el("div", { class: "msg you" }, el("span", {}, reply.text));
    case "text": return el("div", { class: `msg ${reply.tone}` },
      reply.tone === "error" ? `error: ${reply.text}` : reply.text);
    case "question": return renderQuestion(reply);
    case "request": return renderRequest(reply.detail);
    case "table": return renderTable(reply);
    case "artifact": showViewer(`${reply.path} (${reply.role})`, reply.content);
      return el("div", { class: "msg hint" }, `Opened ${reply.path} in the viewer.`);
    case "kpis": return renderKpis(reply);
    default: return el("div", { class: "msg" }, JSON.stringify(reply));
  }
}

function renderQuestion(reply) {
  const facts = Object.entries(reply.understood || {}).map(([k, v]) => `${k}: ${v}`).join(", ");
  $("say").placeholder = "Your answer";
  return el("div", { class: "msg question", "data-field": reply.field },
    facts ? el("div", { class: "muted" }, `Understood so far: ${facts}`) : null,
    (reply.problems || []).map((p) => el("div", { class: "error" }, p)),
    el("strong", {}, reply.question));
}

function renderTable(reply) {
  if (!reply.rows.length) return el("div", { class: "msg" }, reply.empty);
  return el("div", { class: "msg" }, el("strong", {}, reply.title),
    el("table", {}, el("tr", {}, reply.columns.map((c) => el("th", {}, c))),
      reply.rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell))))));
}

function renderRequest(detail) {
  const r = detail.result;
  $("say").placeholder = "Describe what you need, in plain words";
  const card = el("div", { class: "card request", "data-thread": r.thread_id, "data-status": r.status },
    el("div", {}, el("span", { class: `status ${r.status}` }, r.status.toUpperCase()),
      ` ${r.request} [${r.environment}] `, el("span", { class: "muted" }, r.thread_id)),
    el("div", {}, r.summary),
    r.design ? el("div", { class: "muted" }, `Design: ${r.design}  Risk: ${r.risk}`) : null);
  for (const p of r.pending) card.append(renderCheckpoint(r, p, detail.preview));
  if (r.error) card.append(el("div", { class: "error" }, `Error: ${r.error}`));
  if (detail.diagram) {
    card.append(el("button", { type: "button", class: "diagram",
      onclick: () => showViewer("Design diagram", detail.diagram) }, "Design diagram"));
  }
  if (r.artifacts.length && !r.pending.length) card.append(renderFiles(r.thread_id, r.artifacts));
  for (const d of r.decisions.slice(-3)) {
    card.append(el("div", { class: "muted" },
      `Decided: ${d.checkpoint} ${d.verdict} by ${d.by}${d.reason ? `: ${d.reason}` : ""}`));
  }
  return card;
}

function renderFiles(thread, files) {
  return el("details", { open: "" }, el("summary", {}, `Artifacts (${files.length})`),
    el("ul", {}, files.map((f) => el("li", {},
      el("a", { class: "file", onclick: () => openArtifact(thread, f.path) }, f.path),
      el("span", { class: "muted" }, ` ${f.role}`)))));
}

function renderCheckpoint(r, p, preview) {
  const box = el("div", { class: "checkpoint", "data-checkpoint": p.id },
    el("strong", {}, `Checkpoint: ${p.name}`), el("span", { class: "muted" }, ` (${p.id})`),
    el("div", {}, `Why: ${p.reason}`),
    (p.applied || []).map((a) => el("div", {}, `Applied from your requested changes: ${a}`)),
    (p.not_applied || []).map((a) => el("div", { class: "error" }, `Not applied: ${a}`)));
  if (preview) {
    const review = (r.review && r.review.lines) || [];
    if (review.length) {
      box.append(el("div", {}, el("strong", {}, review[0])),
        el("ul", {}, review.slice(1).map((line) => el("li", {}, line.trim()))));
    }
    box.append(el("div", {}, el("strong", {}, "The design")),
      el("ul", {},
        preview.components.length ? el("li", {}, `Components: ${preview.components.join(", ")}`) : null,
        preview.specialists.length ? el("li", {}, `Specialists: ${preview.specialists.join(", ")}`) : null,
        preview.maintenance_window ? el("li", {}, `Window: ${preview.maintenance_window}`) : null,
        el("li", {}, `Files: ${preview.files_note}`)));
    if (preview.files.length) box.append(renderFiles(r.thread_id, preview.files));
  }
  box.append(decisionButtons(p.id));
  return box;
}

function decisionButtons(checkpoint) {
  if (state.me && state.me.role === "requester") {
    return el("div", { class: "muted" }, "An approver decides this checkpoint.");
  }
  const target = ` ${checkpoint}`;
  const reason = el("input", { placeholder: "Reason (needed to reject or request changes)" });
  const act = (verb) => () => {
    const why = reason.value.trim();
    if (verb !== "approve" && !why) { reason.focus(); reason.classList.add("error"); return; }
    say(`${verb}${target}${why ? `: ${why}` : ""}`);
  };
  return el("div", { class: "actions" },
    el("button", { type: "button", class: "approve", onclick: act("approve") }, "Approve"),
    el("button", { type: "button", class: "reject", onclick: act("reject") }, "Reject"),
    el("button", { type: "button", class: "changes", onclick: act("changes") }, "Request changes"),
    reason);
}

async function openArtifact(thread, path) {
  try {
    const response = await api(`/requests/${thread}/artifacts/${path}`);
    showViewer(path, await response.text());
  } catch (error) {
    log(el("div", { class: "msg error" }, `error: ${error.message}`));
  }
}

function showViewer(title, text) {
  $("viewer-title").textContent = title;
  $("viewer-body").textContent = text;
  $("viewer").hidden = false;
}

function renderKpis(reply) {
  const series = Object.fromEntries(reply.trend.map((t) => [t.key, t]));
  const box = el("div", { class: "msg kpis" }, el("strong", {}, "KPIs against their targets"),
    el("table", {}, el("tr", {}, ["KPI", "Target", "Actual", "Status"].map((c) => el("th", {}, c))),
      reply.rows.map((k) => el("tr", {}, el("td", {}, k.name), el("td", {}, k.target),
        el("td", {}, k.actual === null ? "-" : `${k.actual} ${k.unit}`), el("td", {}, k.status)))));
  box.append(el("div", { class: "charts" },
    reply.rows.map((k) => series[k.key] ? chart(series[k.key]) : null)));
  return box;
}

function chart(t) {
  const w = 220, h = 90, pad = 14, ns = "http://www.w3.org/2000/svg";
  const values = t.points.map((p) => p.actual).filter((v) => v !== null);
  const all = values.concat([t.target]);
  const low = Math.min(...all), high = Math.max(...all), span = high - low || 1;
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(1, t.points.length - 1);
  const y = (v) => h - pad - ((v - low) / span) * (h - 2 * pad);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h);
  svg.setAttribute("role", "img"); svg.setAttribute("aria-label", `${t.name} over time`);
  const line = (x1, y1, x2, y2, color, dash) => {
    const l = document.createElementNS(ns, "line");
    Object.entries({ x1, y1, x2, y2, stroke: color, "stroke-dasharray": dash || "" })
      .forEach(([k, v]) => l.setAttribute(k, v));
    svg.append(l);
  };
  line(pad, y(t.target), w - pad, y(t.target), "#9a6700", "4 3");
  let previous = null;
  t.points.forEach((p, i) => {
    if (p.actual === null) { previous = null; return; }
    if (previous) line(x(previous[0]), y(previous[1]), x(i), y(p.actual), "#1f6feb");
    const dot = document.createElementNS(ns, "circle");
    Object.entries({ cx: x(i), cy: y(p.actual), r: 3, fill: p.status === "met" ? "#1a7f37" : "#cf222e" })
      .forEach(([k, v]) => dot.setAttribute(k, v));
    svg.append(dot);
    previous = [i, p.actual];
  });
  return el("div", { class: "chart" },
    el("div", { class: "title" }, `${t.name} (target ${t.comparison} ${t.target} ${t.unit})`),
    values.length ? svg : el("div", { class: "muted" }, "no data yet"));
}

async function openConversation(fresh) {
  $("log").replaceChildren();
  const saved = fresh ? null : localStorage.getItem("opsteam.conversation");
  let data = null;
  if (saved) {
    try { data = await (await api(`/conversations/${saved}`)).json(); } catch (_) { data = null; }
  }
  if (!data) data = await (await api("/conversations", { method: "POST" })).json();
  state.conversation = data.id;
  localStorage.setItem("opsteam.conversation", data.id);
  for (const reply of data.replies) log(render(reply));
  log(el("div", { class: "msg hint conversation", "data-id": data.id }, `Conversation ${data.id}`));
}

async function connect(token) {
  state.token = token;
  try {
    state.me = await (await api("/me")).json();
  } catch (error) {
    $("login-error").textContent = error.message;
    state.token = null;
    return;
  }
  sessionStorage.setItem("opsteam.token", token);
  $("who").textContent = `${state.me.name} (${state.me.role})`;
  await openConversation(false);  // the input appears only once there is a conversation
  $("login").hidden = true;
  $("app").hidden = false;
  $("say").focus();
}

$("login-form").addEventListener("submit", (e) => { e.preventDefault(); connect($("token").value.trim()); });
$("say-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("say").value;
  $("say").value = "";
  say(text);
});
$("viewer-close").addEventListener("click", () => { $("viewer").hidden = true; });
$("new-conversation").addEventListener("click", () => state.token && openConversation(true));
document.querySelectorAll("button.quick").forEach((b) =>
  b.addEventListener("click", () => state.token && say(b.dataset.say)));
const remembered = sessionStorage.getItem("opsteam.token");
if (remembered) connect(remembered);
