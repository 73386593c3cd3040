// The Node side of the server benchmark (tests/bench/server.sh): a socket.io 4.8.4 server for
// tests/bench/catalogue, written against the TypeScript Switchboard generates from it, with the
// same contract and settings as the generated Rust server:
// - WebSocket transport only, no compression (perMessageDeflate and httpCompression off),
//   the default JSON parser, room broadcasts with io.to(room).emit, 1 MiB frames at most;
// - auth middleware: `auth.token` must be an HS256 JWT (userId, role, exp) signed with
//   BENCH_JWT_SECRET, checked with node:crypto; same refusal messages as the Rust runtime;
// - every client event is validated (types, lengths, 65536-byte payload limit) and always answered
//   with the `{ ok: true, data }` / `{ ok: false, error }` envelope;
// - reliable events carrying `_mid` are deduplicated per user and event (100k ids, 10 min),
//   as the Rust runtime does;
// - bench:chat re-emits bench:message to `bench-{roomId}`, then acks `{ seq }`.
// Prints `{"port":P,"pid":PID}` once listening. GET /stats answers counters and memory usage.

import * as http from "node:http";
import * as crypto from "node:crypto";
import { Server } from "socket.io";
import type {
  AckErrorCode,
  AckResponse,
  BenchChatAck,
  BenchEchoAck,
  BenchJoinAck,
  BenchMessagePayload,
  ClientToServerEvents,
  ServerToClientEvents,
} from "./generated/ts/socket.types";

interface SocketData {
  userId: string;
  role?: string;
}

const SECRET = Buffer.from(process.env.BENCH_JWT_SECRET ?? "bench-secret");
const MAX_TOKEN_LEN = 8 * 1024;
const MAX_EVENT_BYTES = 65536;
const DEDUP_CAPACITY = 100_000;
const DEDUP_TTL_MS = 600_000;

const counters = { connections: 0, authFailures: 0, eventsOk: 0, invalidPayloads: 0, tooLarge: 0, duplicates: 0 };

function verifyToken(token: string): SocketData | null {
  if (token.length > MAX_TOKEN_LEN) return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [h, c, s] = parts;
  try {
    const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: unknown };
    if (header.alg !== "HS256") return null;
    const expected = crypto.createHmac("sha256", SECRET).update(`${h}.${c}`).digest();
    const sig = Buffer.from(s, "base64url");
    if (sig.length !== expected.length || !crypto.timingSafeEqual(sig, expected)) return null;
    const claims = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as { userId?: unknown; role?: unknown; exp?: unknown };
    if (typeof claims.exp !== "number" || claims.exp + 5 < Date.now() / 1000) return null;
    let userId: string;
    if (typeof claims.userId === "string" && claims.userId.length > 0 && claims.userId.length <= 128) userId = claims.userId;
    else if (typeof claims.userId === "number") userId = String(claims.userId);
    else return null;
    return { userId, role: typeof claims.role === "string" ? claims.role : undefined };
  } catch {
    return null;
  }
}

class Refusal {
  constructor(
    readonly code: AckErrorCode,
    readonly message: string,
    readonly field?: string,
  ) {}
}

function refuse<T>(e: Refusal): AckResponse<T> {
  if (e.code === "payload_too_large") counters.tooLarge++;
  else counters.invalidPayloads++;
  return { ok: false, error: e.field === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, field: e.field } };
}

function object(payload: unknown): Record<string, unknown> {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw new Refusal("invalid_payload", "expected an object");
  if (Buffer.byteLength(JSON.stringify(payload)) > MAX_EVENT_BYTES) throw new Refusal("payload_too_large", `more than the ${MAX_EVENT_BYTES} bytes allowed`);
  return payload as Record<string, unknown>;
}

function str(o: Record<string, unknown>, field: string, min: number, max: number): string {
  const v = o[field];
  if (typeof v !== "string") throw new Refusal("invalid_payload", `\`${field}\` must be a string`, field);
  if (v.length < min || v.length > max) throw new Refusal("invalid_payload", `length must be ${min}..=${max}`, field);
  return v;
}

/** Removes `_mid` (the reliable message id) like the Rust runtime does. */
function takeMid(o: Record<string, unknown>): string | undefined {
  if (!("_mid" in o)) return undefined;
  const mid = o._mid;
  delete o._mid;
  if (typeof mid !== "string" || mid.length === 0 || mid.length > 128) throw new Refusal("invalid_payload", "`_mid` must be a string of 1 to 128 characters", "_mid");
  return mid;
}

/** Remembered acks of reliable events, oldest first (Map keeps insertion order). */
const dedup = new Map<string, { at: number; ack: unknown }>();

function remember(key: string, ack: unknown): void {
  if (dedup.size >= DEDUP_CAPACITY) {
    const oldest = dedup.keys().next();
    if (!oldest.done) dedup.delete(oldest.value);
  }
  dedup.set(key, { at: Date.now(), ack });
}

function seen(key: string): unknown {
  const hit = dedup.get(key);
  if (hit === undefined) return undefined;
  if (Date.now() - hit.at > DEDUP_TTL_MS) {
    dedup.delete(key);
    return undefined;
  }
  return hit.ack;
}

const httpServer = http.createServer((req, res) => {
  if (req.url === "/stats") {
    const body = JSON.stringify({ ...counters, emit_drops: 0, dedup_size: dedup.size, memory: process.memoryUsage() });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
  transports: ["websocket"],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 1024 * 1024,
});

io.use((socket, next) => {
  const auth = socket.handshake.auth as { token?: unknown } | undefined;
  const token = typeof auth?.token === "string" ? auth.token : "";
  if (token === "") {
    counters.authFailures++;
    return next(new Error("Authentication required"));
  }
  const principal = verifyToken(token);
  if (principal === null) {
    counters.authFailures++;
    return next(new Error("Invalid or expired token"));
  }
  socket.data.userId = principal.userId;
  socket.data.role = principal.role;
  next();
});

let seq = 0;

io.on("connection", (socket) => {
  counters.connections++;

  socket.on("bench:join", (payload, ack) => {
    let reply: AckResponse<BenchJoinAck>;
    try {
      const o = object(payload);
      takeMid(o);
      const roomId = str(o, "roomId", 1, 64);
      void socket.join(`bench-${roomId}`);
      counters.eventsOk++;
      reply = { ok: true, data: { roomId } };
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      reply = refuse(e);
    }
    ack?.(reply);
  });

  socket.on("bench:chat", (payload, ack) => {
    let reply: AckResponse<BenchChatAck>;
    try {
      const o = object(payload);
      const mid = takeMid(o);
      const key = mid === undefined ? undefined : `${socket.data.userId}\u0000bench:chat\u0000${mid}`;
      const earlier = key === undefined ? undefined : seen(key);
      if (earlier !== undefined) {
        counters.duplicates++;
        ack?.(earlier as AckResponse<BenchChatAck>);
        return;
      }
      const roomId = str(o, "roomId", 1, 64);
      const text = str(o, "text", 0, 4000);
      seq += 1;
      const message: BenchMessagePayload = { roomId, text, seq };
      io.to(`bench-${roomId}`).emit("bench:message", message);
      counters.eventsOk++;
      reply = { ok: true, data: { seq } };
      if (key !== undefined) remember(key, reply);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      reply = refuse(e);
    }
    ack?.(reply);
  });

  socket.on("bench:echo", (payload, ack) => {
    let reply: AckResponse<BenchEchoAck>;
    try {
      const o = object(payload);
      takeMid(o);
      const text = str(o, "text", 0, 4000);
      counters.eventsOk++;
      reply = { ok: true, data: { text } };
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      reply = refuse(e);
    }
    ack?.(reply);
  });
});

const port = Number(process.env.BENCH_PORT ?? "0");
// 511 is Node's default backlog; the Rust server uses the same.
httpServer.listen(port, "127.0.0.1", 511, () => {
  const addr = httpServer.address();
  const bound = typeof addr === "object" && addr !== null ? addr.port : port;
  process.stdout.write(`${JSON.stringify({ port: bound, pid: process.pid })}\n`);
});

process.on("SIGTERM", () => {
  io.close();
  process.exit(0);
});
