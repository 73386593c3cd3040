// Shared helpers of the end-to-end scenarios (tests/tests/e2e_gateway.rs runs each scenario
// with `node tests/js/e2e/<scenario>.mjs` against an in-process gateway).
//
// Environment (set by the Rust test):
//   E2E_URL     the gateway's base URL, e.g. http://127.0.0.1:41234
//   E2E_TOKENS  JSON object: user id -> valid HS256 token minted by the gateway's secret
//   E2E_SECRET  the gateway's HS256 secret (only for scenarios that sign tokens by hand)
//
// Protocol with the Rust side: the script prints free-form lines (e.g. `READY`) and, last, one
// line `RESULT {json}` with its observations; it exits 0 when every assertion held and non-zero
// (with the reason on stderr) otherwise. Every wait has a timeout, and a global watchdog ends
// the process if the scenario hangs.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { io } from 'socket.io-client';

export { assert };

export const GATEWAY_URL = process.env.E2E_URL ?? fail('E2E_URL is not set');
export const TOKENS = JSON.parse(process.env.E2E_TOKENS ?? '{}');
export const SECRET = process.env.E2E_SECRET ?? '';

/** Default wait for one expected thing (connect, ack, event). */
export const WAIT_MS = 5000;

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(2);
}

const sockets = new Set();

/** The token of a user minted by the Rust test. */
export function token(user) {
  const t = TOKENS[user];
  if (!t) fail(`no token for ${user} in E2E_TOKENS`);
  return t;
}

/** A client with the options every scenario uses (no reconnection, no shared manager). */
export function client(options = {}) {
  const s = io(GATEWAY_URL, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: WAIT_MS, ...options });
  sockets.add(s);
  return s;
}

/** Connects as `user` (or with `options`) and resolves once connected; rejects on connect_error. */
export function connect(user, options = {}) {
  const s = client({ auth: { token: token(user) }, ...options });
  s.user = user;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${user}: not connected after ${WAIT_MS} ms`)), WAIT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('connect_error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${user}: connect_error: ${e.message}`));
    });
  });
}

/** Connects with `options` expecting a refusal; resolves with the connect_error's message. */
export function connectError(options, label) {
  const s = client(options);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: neither connected nor refused after ${WAIT_MS} ms`)), WAIT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      s.close();
      reject(new Error(`${label}: connected although it should have been refused`));
    });
    s.once('connect_error', (e) => {
      clearTimeout(timer);
      s.close();
      resolve(e.message);
    });
  });
}

/** Emits with an ack and resolves with the ack (rejects when none comes within `ms`). */
export async function ask(s, event, payload, ms = WAIT_MS) {
  try {
    return await s.timeout(ms).emitWithAck(event, payload);
  } catch (e) {
    throw new Error(`${s.user ?? '?'}: no ack for \`${event}\` within ${ms} ms (${e.message})`);
  }
}

/** Asserts an ack is `{ok: true, ...}` and returns its data. */
export function okData(ack, what) {
  assert.equal(ack?.ok, true, `${what}: expected an ok ack, got ${JSON.stringify(ack)}`);
  assert.ok(!('error' in ack), `${what}: ok ack carries an error: ${JSON.stringify(ack)}`);
  return ack.data;
}

/** Asserts an ack is `{ok: false, error: {code, message, field?}}` with `code`; returns the error. */
export function errorOf(ack, code, what) {
  assert.equal(ack?.ok, false, `${what}: expected ok:false, got ${JSON.stringify(ack)}`);
  assert.equal(typeof ack.error, 'object', `${what}: no error object in ${JSON.stringify(ack)}`);
  assert.equal(ack.error.code, code, `${what}: expected error code ${code}, got ${JSON.stringify(ack)}`);
  assert.equal(typeof ack.error.message, 'string', `${what}: error without a message: ${JSON.stringify(ack)}`);
  assert.ok(!('data' in ack), `${what}: error ack carries data: ${JSON.stringify(ack)}`);
  return ack.error;
}

/** Records every event a socket receives: `rec.all` is `[event, payload]` in arrival order. */
export function record(s) {
  // `extra`: arguments after the payload (a recoverable event's position, `{ _rec: [...] }`).
  const rec = { all: [], extra: [] };
  rec.of = (event) => rec.all.filter(([e]) => e === event).map(([, p]) => p);
  s.onAny((event, payload, ...extra) => {
    rec.all.push([event, payload]);
    rec.extra.push([event, extra]);
  });
  s.rec = rec;
  return rec;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` every 5 ms until true; throws `what` after `ms`. */
export async function waitFor(pred, what, ms = WAIT_MS) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A disconnect promise: resolves with the reason, rejects after `ms`. */
export function disconnected(s, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    if (s.disconnected) return resolve('already disconnected');
    const timer = setTimeout(() => reject(new Error(`${s.user ?? '?'}: still connected after ${ms} ms`)), ms);
    s.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** An HS256 JWT signed by hand (to forge expired tokens the Rust minter cannot make). */
export function signJwt(claims, secret = SECRET) {
  const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export const nowIso = () => new Date().toISOString();

/** A valid `chat:send_message` payload. */
export const chatMessage = (text, extra = {}) => ({ chatId: 'c-1', message: text, timestamp: nowIso(), ...extra });

/**
 * Runs a scenario: `body` returns the observations; they are printed as `RESULT {json}`.
 * Any thrown error (assertion or timeout) prints the reason and exits 1.
 */
export function run(name, body, watchdogMs = 25000) {
  const watchdog = setTimeout(() => {
    console.error(`e2e ${name}: watchdog: scenario still running after ${watchdogMs} ms`);
    process.exit(3);
  }, watchdogMs);
  watchdog.unref();
  body()
    .then((result) => {
      for (const s of sockets) s.close();
      process.stdout.write(`RESULT ${JSON.stringify(result ?? {})}\n`, () => process.exit(0));
    })
    .catch((e) => {
      for (const s of sockets) s.close();
      console.error(`e2e ${name} FAILED: ${e?.stack ?? e}`);
      process.exit(1);
    });
}
