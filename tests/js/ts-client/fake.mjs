// A scripted stand-in for a socket.io-client Socket (only what the runtime uses), so connection
// faults, acks and timers are exact. Tests pass `io: fake.factory` to createRealtimeClient.
import { createRequire } from 'node:module';

const out = process.env.TS_CLIENT_OUT;
if (!out) throw new Error('TS_CLIENT_OUT (the compiled generated/ts) is not set');
export const realtime = createRequire(import.meta.url)(`${out}/realtime.js`);

export class FakeSocket {
  constructor(opts, server) {
    this.opts = opts;
    this.server = server;
    this.handlers = new Map();
    this.any = [];
    this.connected = false;
    this.emitted = [];
  }
  on(ev, fn) {
    if (!this.handlers.has(ev)) this.handlers.set(ev, []);
    this.handlers.get(ev).push(fn);
    return this;
  }
  onAny(fn) { this.any.push(fn); }
  offAny() { this.any = []; }
  removeAllListeners() { this.handlers.clear(); }
  fire(ev, ...args) { for (const f of [...(this.handlers.get(ev) ?? [])]) f(...args); }
  connect() { this.server.onConnect(this); }
  disconnect() { this.connected = false; }
  emit(ev, ...args) {
    const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
    const m = { ev, payload: args[0], ack };
    this.emitted.push(m);
    this.server.log.push(m);
    this.server.onEmit(this, m);
  }
  /** The server accepts the connection. */
  accept() { this.connected = true; this.fire('connect'); }
  /** The link goes down. */
  drop(reason = 'transport close') { this.connected = false; this.fire('disconnect', reason); }
  push(ev, payload) { for (const f of [...this.any]) f(ev, payload); }
  /** A server event with extra trailing arguments (a recoverable event's `{_rec: [...]}`). */
  pushArgs(ev, ...args) { for (const f of [...this.any]) f(ev, ...args); }
}

/** A fake server: `onConnect(socket)` and `onEmit(socket, message)` decide what happens. */
export function fakeServer({ onConnect = (s) => s.accept(), onEmit = () => {} } = {}) {
  const server = { sockets: [], log: [], onConnect, onEmit };
  server.factory = (url, opts) => {
    const s = new FakeSocket(opts, server);
    server.sockets.push(s);
    return s;
  };
  server.last = () => server.sockets.at(-1);
  return server;
}

/** What socket.io-client's engine reports for a failed transport (no `data`). */
export function transportError(message = 'websocket error') {
  const e = new Error(message);
  e.type = 'TransportError';
  return e;
}

/** What socket.io-client reports for the server's CONNECT_ERROR (it always sets `data`). */
export function refusal(message) {
  const e = new Error(message);
  e.data = undefined;
  return e;
}

export const okAck = (m, data = null) => m.ack?.({ ok: true, data });
export const chat = (text) => ({ chatId: 'c-1', message: text, timestamp: '2026-12-01T00:00:00Z' });
export const flush = () => new Promise((r) => setImmediate(r));

/** Polls `check` every 10 ms; rejects after `ms`. */
export function until(what, check, ms = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}
