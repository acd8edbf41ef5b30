// One function worker process: the portal starts a pool of these (FunctionWorkerPool.cs) and sends it one
// invocation at a time over a loopback connection. Each invocation runs in a fresh Worker (its own V8 isolate) with
// every Deno permission denied; this process itself may only reach the host's port. Why one invocation per process:
// a V8 heap overflow aborts the whole process, so only the invocation that caused it may live there
// (docs/architecture.md, "Functions").
//
// Protocol: newline-delimited JSON both ways (JSON.stringify never writes a raw newline).
//   host → here:  {t:"run", inv, code, input, timeoutMs}  {t:"exec-result", inv, call, json}  {t:"cancel", inv}
//   here → host:  {t:"hello", token}  {t:"ready"}  {t:"log", inv, level, text}  {t:"exec", inv, call, asUser, tool, params, connectionId}
//                 {t:"done", inv, kind: "ok"|"error"|"timeout"|"limit", wire?, error?}
// stdin carries only the connection token (one line), then EOF; stdout/stderr are not part of the protocol (the host
// keeps stderr's tail to tell a heap overflow from other crashes and discards the rest).

import process from "node:process";

const port = Number(Deno.args[0]);
const maxMessageChars = Number(Deno.args[1] ?? 6 * 1024 * 1024);
const maxLogLines = Number(Deno.args[2] ?? 200);
const idleCpuMs = Number(Deno.args[3] ?? 12); // FunctionLimits.IdleWorkerCpuMs

const token = await readToken();
const conn = await Deno.connect({ hostname: "127.0.0.1", port });
conn.setNoDelay(true); // small messages both ways: no waiting on Nagle for the next one
const encoder = new TextEncoder();
let writing = Promise.resolve();
function send(message) {
  const bytes = encoder.encode(JSON.stringify(message) + "\n");
  writing = writing.then(() => writeAll(bytes)).catch(() => Deno.exit(3)); // the host is gone: nothing left to serve
}
async function writeAll(bytes) {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}

async function readToken() {
  const buffer = new Uint8Array(256);
  let text = "";
  while (!text.includes("\n")) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text.trim();
}

// The code every worker runs before the handler's module: it removes what would let an isolate talk to another one or
// keep state (BroadcastChannel, Cache Storage, nested workers, the process's stdio), defines console (lines go to the
// invocation log), and answers one run message. The handler is imported from a data: URL, so Deno strips its types.
const prelude = String.raw`
const post = self.postMessage.bind(self);
const listen = self.addEventListener.bind(self);
for (const name of ["BroadcastChannel", "caches", "Worker", "localStorage", "sessionStorage", "indexedDB"]) {
  try { delete globalThis[name]; } catch {}
}
for (const name of ["stdin", "stdout", "stderr", "openKv", "serve", "jupyter"]) {
  try { delete Deno[name]; } catch {}
}
const text = (v) => {
  if (typeof v === "string") return v;
  if (v instanceof Error) return String(v);
  try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); }
};
const consoleObject = {};
for (const level of ["log", "info", "warn", "error", "debug"]) {
  consoleObject[level] = (...args) => post({ t: "log", level, text: args.map(text).join(" ") });
}
Object.defineProperty(globalThis, "console", { value: Object.freeze(consoleObject), configurable: false, writable: false });

let nextCall = 0;
const pending = new Map();
const call = (asUser, toolName, params, options) => new Promise((resolve) => {
  const id = ++nextCall;
  pending.set(id, resolve);
  post({ t: "exec", call: id, asUser, tool: String(toolName), params: JSON.stringify(params ?? {}), connectionId: options?.connectionId ?? null });
}).then((json) => JSON.parse(json));

const wire = async (v) => {
  if (v instanceof Response) {
    const headers = {};
    for (const [k, h] of v.headers) headers[k] = h;
    const body = v.body === null ? null : await v.text();
    return { kind: "response", status: v.status, headers, body };
  }
  if (v === undefined) return { kind: "empty" };
  const body = JSON.stringify(v);
  return body === undefined ? { kind: "empty" } : { kind: "json", body };
};
const failure = (e) => (e instanceof Error ? e.name + ": " + e.message : "Uncaught " + text(e));

listen("message", async (event) => {
  const m = event.data;
  if (m.t === "exec-result") { pending.get(m.call)?.(m.json); pending.delete(m.call); return; }
  if (m.t !== "run") return;
  const input = JSON.parse(m.input);
  let handler;
  try {
    handler = (await import(m.url)).default;
  } catch (e) {
    post({ t: "done", kind: "error", error: failure(e) });
    return;
  }
  if (typeof handler !== "function") {
    post({ t: "done", kind: "error", error: "The module has no default export function: write \u0060export default async function handler(ctx) { … }\u0060." });
    return;
  }
  const integrations = Object.freeze({
    execute: (toolName, params, options) => call(null, toolName, params, options),
    asUser: (userId) => Object.freeze({ execute: (toolName, params, options) => call(String(userId), toolName, params, options) }),
  });
  const ctx = Object.freeze({
    body: input.bodyJson === "" ? null : JSON.parse(input.bodyJson),
    user: input.userId === null ? null : Object.freeze({ id: input.userId }),
    env: Object.freeze(input.env),
    integrations,
    method: input.method,
    path: input.path,
    headers: Object.freeze(input.headers),
    query: Object.freeze(input.query),
  });
  const req = Object.freeze({
    method: ctx.method, path: ctx.path, headers: ctx.headers, query: ctx.query, body: ctx.body,
    json: async () => ctx.body,
    text: async () => input.bodyJson,
  });
  try {
    const result = await (handler.length >= 2 ? handler(req, ctx) : handler(ctx));
    post({ t: "done", kind: "ok", wire: await wire(result) });
  } catch (e) {
    post({ t: "done", kind: "error", error: failure(e) });
  }
});
`;
const preludeUrl = "data:application/javascript;base64," + base64(prelude);

function base64(s) {
  const bytes = encoder.encode(s);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// A warm worker waits with the prelude loaded: creating an isolate costs ~20 ms, so it happens between invocations.
let warm = null;
function prepare() {
  warm = new Worker(preludeUrl, { type: "module", deno: { permissions: "none" } });
}

let current = null; // { inv, worker, timer, logs }
function finish(message) {
  if (current === null) return;
  const { inv, worker, timer } = current;
  clearTimeout(timer);
  current = null;
  worker.terminate();
  send({ ...message, inv });
  // Creating the next isolate blocks this thread for ~20 ms: only once the answer is on its way. Then a check: a
  // terminated isolate's JavaScript stops, but native work it started (WebCrypto, node:crypto's pbkdf2/scrypt on the
  // runtime's thread pool) carries on. A process that keeps using CPU with no isolate running is not reused: it exits
  // and the host starts a fresh one (the host also watches idle processes).
  writing.then(async () => {
    await new Promise((resolve) => setTimeout(resolve, 15)); // the old isolate's teardown
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const used = process.cpuUsage(before);
    if ((used.user + used.system) / 1000 > idleCpuMs) Deno.exit(4);
    prepare();
    send({ t: "ready" });
  });
}

function run(m) {
  if (current !== null) return send({ t: "done", inv: m.inv, kind: "error", error: "The worker was busy." });
  const worker = warm ?? new Worker(preludeUrl, { type: "module", deno: { permissions: "none" } });
  warm = null;
  current = { inv: m.inv, worker, logs: 0, timer: setTimeout(() => finish({ t: "done", kind: "timeout" }), m.timeoutMs) };
  const mine = current;
  worker.onmessage = (event) => {
    if (current !== mine) return;
    try {
      relay(mine, event.data);
    } catch {
      // Whatever the handler managed to post that cannot be relayed (a BigInt, a cycle): its own invocation fails.
      if (current === mine) finish({ t: "done", kind: "error", error: "The function sent a value that cannot be sent back." });
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    if (current === mine) finish({ t: "done", kind: "error", error: String(event.message ?? "The function failed.").slice(0, 4096) });
  };
  worker.onmessageerror = () => { if (current === mine) finish({ t: "done", kind: "error", error: "The function sent a value that cannot be copied." }); };
  worker.postMessage({ t: "run", url: "data:application/typescript;base64," + m.code, input: m.input });
}

function relay(mine, r) {
  if (r === null || typeof r !== "object") return;
  if (r.t === "log") {
    if (++mine.logs > maxLogLines + 1) return; // the host keeps maxLogLines and marks the rest as truncated
    send({ t: "log", inv: mine.inv, level: String(r.level), text: String(r.text).slice(0, 65536) });
  } else if (r.t === "exec") {
    if (!Number.isSafeInteger(r.call)) return;
    send({ t: "exec", inv: mine.inv, call: r.call, asUser: r.asUser === null ? null : String(r.asUser), tool: String(r.tool).slice(0, 1024), params: String(r.params), connectionId: r.connectionId === null ? null : String(r.connectionId).slice(0, 1024) });
  } else if (r.t === "done") {
    const message = r.kind === "ok" ? { t: "done", kind: "ok", wire: r.wire } : { t: "done", kind: "error", error: String(r.error).slice(0, 4096) };
    if (JSON.stringify(message).length > maxMessageChars) {
      finish({ t: "done", kind: "limit", error: "The function's response is larger than " + Math.floor(maxMessageChars / 1048576) + " MB." });
    } else {
      finish(message);
    }
  }
}

function receive(m) {
  if (m.t === "run") run(m);
  else if (m.t === "exec-result" && current?.inv === m.inv) current.worker.postMessage({ t: "exec-result", call: m.call, json: m.json });
  else if (m.t === "cancel" && current?.inv === m.inv) finish({ t: "done", kind: "error", error: "The caller went away." });
}

send({ t: "hello", token });
prepare();
send({ t: "ready" });

// Read the host's lines until it closes the connection; then there is nothing left to do.
const decoder = new TextDecoder();
let buffered = "";
const chunk = new Uint8Array(64 * 1024);
for (;;) {
  const n = await conn.read(chunk);
  if (n === null) break;
  buffered += decoder.decode(chunk.subarray(0, n), { stream: true });
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line.length > 0) receive(JSON.parse(line));
  }
}
Deno.exit(0);
