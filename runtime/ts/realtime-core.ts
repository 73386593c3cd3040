// Switchboard's TypeScript realtime runtime (hand-written, copied verbatim by codegen next to the
// generated `realtime.ts`; its public types are in `realtime-types.ts`). It imports nothing but
// socket.io-client and its sibling files and uses no Node-only or DOM-only API, so it runs in
// React Native, browsers and Node.
//
// Semantics follow the Rust client (runtime/src/client): an offline queue of 100 that drops the
// oldest and reports every drop, backoff 1, 2, 4, 8, 16 s for 10 attempts then `failed`,
// reliable events stamped with `_mid` and resent with the same id, rooms re-joined before the
// queue drains, an app heartbeat, ack timeouts with retries, and recovery of missed events.

import { io as socketIo } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { RECOVER_EVENT, RecoveryTracker, readPositions, recoveryAnswer } from './realtime-recovery';
import type { ResyncRequired, Steps } from './realtime-recovery';
import { DEFAULT_BACKOFF, RealtimeError } from './realtime-types';
import type { AppStateLike, BackoffOptions, ConnectionState, CoreOptions, DropReason, DroppedMessage, EventSpec, SocketFactory, Unsubscribe } from './realtime-types';

export type { ResyncReason, ResyncRequired } from './realtime-recovery';
export * from './realtime-types';

const MID = '_mid';
// On resends only: ms since the first send, so a server whose dedup store lost its history
// meanwhile answers `outcome_unknown` instead of running the message twice.
const RESENT = '_resent';

interface Timers {
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(cb: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

// Looked up on every call so fake timers installed after import are honoured.
function timers(): Timers {
  return globalThis as unknown as Timers;
}

/**
 * Runs `verdict` one turn of the event loop later, after I/O that already arrived: a thread that
 * was busy or suspended sees an expired ack timer and the ack it waited for at once, and timers
 * run first (Node runs its timers phase before it reads sockets).
 */
function afterPendingIo(verdict: () => void): unknown {
  return timers().setTimeout(verdict, 0);
}

/** A reliable message waiting in the queue or for its ack. */
interface Outgoing {
  seq: number;
  event: string;
  payload: unknown;
  mid?: string;
  /** `Date.now()` at the first send; resends carry the time since as `_resent`. */
  firstSentAt?: number;
  timeouts: number;
  /** Bumped on every emit so a late ack of an earlier try is ignored. */
  attempt: number;
  timer?: unknown;
  resolve(data: unknown): void;
  reject(e: Error): void;
}

interface RoomEntry {
  event: string;
  payload: unknown;
  waiters: Array<{ resolve(data: unknown): void; reject(e: Error): void }>;
}

type AckHandler = (response: unknown) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The connection, queue and rooms; the generated `RealtimeClient` adds one typed method per
 * event. `Events` maps server event names to payload types.
 */
export class RealtimeCore<Events extends object = Record<string, unknown>, Code extends string = string> {
  private readonly _opts: CoreOptions;
  private readonly _backoff: BackoffOptions;
  private readonly _queueLimit: number;
  private readonly _ackTimeoutMs: number;
  private readonly _ackRetries: number;
  private readonly _factory: SocketFactory;
  private readonly _clientId = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  private _token: string | null;
  private _socket: Socket | null = null;
  private _state: ConnectionState;
  private _retryTimer: unknown = undefined;
  private _heartbeatTimer: unknown = undefined;
  private _gapTimer: unknown = undefined;
  private _missed = 0;
  private _nextSeq = 0;
  private _nextMid = 0;
  private _queue: Outgoing[] = [];
  private readonly _inflight = new Map<number, Outgoing>();
  private readonly _rooms = new Map<string, RoomEntry>();
  private _rejoining = 0;
  private readonly _stateListeners = new Set<(s: ConnectionState) => void>();
  private readonly _dropListeners = new Set<(d: DroppedMessage) => void>();
  private readonly _resyncListeners = new Set<(r: ResyncRequired) => void>();
  private readonly _recovery: RecoveryTracker | null;
  private readonly _eventListeners = new Map<string, Set<(payload: unknown) => void>>();
  private _connectWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];

  constructor(options: CoreOptions) {
    this._opts = options;
    this._backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this._queueLimit = options.queueLimit ?? 100;
    this._ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this._ackRetries = options.ackRetries ?? 2;
    this._factory = options.io ?? ((url, o) => socketIo(url, o));
    this._token = options.token ?? null;
    this._state = { status: 'disconnected', attempt: 0 };
    this._recovery = options.recovery === true ? new RecoveryTracker(options.reorderWaitMs ?? 500) : null;
    if (options.autoConnect ?? true) this.connect();
  }

  // ---- connection ------------------------------------------------------------------------

  /** Connects unless already connected or connecting. */
  connect(): void {
    const s = this._state.status;
    if (this._socket !== null || this._retryTimer !== undefined || s === 'connecting' || s === 'reconnecting') return;
    void this._open(0);
  }

  /** Closes the connection; the queue and rooms are kept for the next `connect()`. */
  disconnect(): void {
    this._cancelRetry();
    this._closeSocket();
    this._setState({ status: 'disconnected', attempt: 0 });
    this._settleConnectWaiters(new Error('disconnected'));
  }

  /** Starts again from `failed` (a Retry button). */
  retry(): void {
    this._cancelRetry();
    this._closeSocket();
    void this._open(0);
  }

  /** Reconnects now when reconnecting or failed (the app came to the foreground). */
  resume(): void {
    if (this._state.status === 'reconnecting' || this._state.status === 'failed') this.retry();
  }

  /** Calls `resume()` whenever React Native's AppState becomes `active`. */
  attachAppState(appState: AppStateLike): Unsubscribe {
    const sub = appState.addEventListener('change', (s) => {
      if (s === 'active') this.resume();
    });
    return () => sub.remove();
  }

  /**
   * Reconnects at once with `token`, keeping queue and rooms; resolves once connected. `null`
   * disconnects. With `getToken`, later reconnects ask it again.
   */
  updateAuthToken(token: string | null): Promise<void> {
    this._token = token;
    if (token === null) {
      this.disconnect();
      return Promise.resolve();
    }
    const done = new Promise<void>((resolve, reject) => this._connectWaiters.push({ resolve, reject }));
    this._cancelRetry();
    this._closeSocket();
    void this._open(0, token);
    return done;
  }

  getState(): ConnectionState {
    return this._state;
  }

  onStateChange(listener: (state: ConnectionState) => void): Unsubscribe {
    this._stateListeners.add(listener);
    return () => {
      this._stateListeners.delete(listener);
    };
  }

  // ---- queue ------------------------------------------------------------------------------

  /** Messages waiting for a connection (not those sent and waiting for an ack). */
  getQueueSize(): number {
    return this._queue.length;
  }

  /** Drops every queued message, each reported as `cleared`. */
  clearQueue(): void {
    const dropped = this._queue;
    this._queue = [];
    for (const o of dropped) this._drop(o, 'cleared');
  }

  /** Sends the queue now if connected and no re-join is pending (it also drains by itself). */
  processMessageQueue(): void {
    if (this._socket === null || !this._socket.connected || this._rejoining > 0) return;
    const pending = this._queue;
    this._queue = [];
    for (const o of pending) this._send(o);
  }

  /** Every dropped message, with its reason; nothing is dropped without a report. */
  onDropped(listener: (dropped: DroppedMessage) => void): Unsubscribe {
    this._dropListeners.add(listener);
    return () => {
      this._dropListeners.delete(listener);
    };
  }

  // ---- events -----------------------------------------------------------------------------

  /**
   * A room whose missed events could not be replayed after a reconnect (or whose history the
   * server lost): refetch what that room's screen shows.
   */
  onResyncRequired(listener: (resync: ResyncRequired) => void): Unsubscribe {
    this._resyncListeners.add(listener);
    return () => {
      this._resyncListeners.delete(listener);
    };
  }

  /** Listens to a server event by wire name; returns the unsubscribe function. */
  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): Unsubscribe {
    let set = this._eventListeners.get(event);
    if (set === undefined) {
      set = new Set();
      this._eventListeners.set(event, set);
    }
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  /** Sends a client event by wire name as `spec` says; used by the generated methods. */
  protected _request(event: string, payload: unknown, spec: EventSpec): Promise<unknown> {
    const room = spec.room;
    if (room !== undefined) {
      if (room.action === 'join') return this._join(event, payload, this._roomKey(room.kind, room.params, payload));
      if (room.action === 'leave') this._rooms.delete(this._roomKey(room.kind, room.params, payload));
      else for (const k of [...this._rooms.keys()]) if (k.startsWith(`${room.kind}:`)) this._rooms.delete(k);
    }
    if (spec.delivery === 'volatile') return this._volatile(event, payload);
    return new Promise((resolve, reject) => {
      const o: Outgoing = { seq: ++this._nextSeq, event, payload, timeouts: 0, attempt: 0, resolve, reject };
      if (isObject(payload) && payload[MID] === undefined) {
        o.mid = `${this._clientId}-${++this._nextMid}`;
        o.payload = { ...payload, [MID]: o.mid };
      }
      if (this._isLive() && this._rejoining === 0 && this._queue.length === 0) this._send(o);
      else this._enqueue(o);
    });
  }

  // ---- internals --------------------------------------------------------------------------

  private _isLive(): boolean {
    return this._socket !== null && this._socket.connected;
  }

  private _roomKey(kind: string, params: readonly string[], payload: unknown): string {
    // A bare value (a catalogue `value:` payload) is the room's one payload parameter.
    if (payload !== undefined && !isObject(payload)) return `${kind}:${params.map(() => String(payload)).join(',')}`;
    const p = isObject(payload) ? payload : {};
    return `${kind}:${params.map((name) => (p[name] === undefined ? '@me' : String(p[name]))).join(',')}`;
  }

  private _setState(s: ConnectionState): void {
    this._state = s;
    for (const l of [...this._stateListeners]) l(s);
  }

  private _drop(o: { event: string; payload: unknown; mid?: string; reject(e: Error): void }, reason: DropReason): void {
    const d: DroppedMessage = o.mid === undefined ? { event: o.event, payload: o.payload, reason } : { event: o.event, payload: o.payload, reason, mid: o.mid };
    for (const l of [...this._dropListeners]) l(d);
    o.reject(new RealtimeError<Code>(reason, `${o.event} dropped: ${reason}`));
  }

  private _enqueue(o: Outgoing): void {
    this._queue.push(o);
    this._trimQueue();
  }

  // Oldest first: the newest messages are the ones the user just made.
  private _trimQueue(): void {
    while (this._queue.length > this._queueLimit) {
      const oldest = this._queue.shift();
      if (oldest !== undefined) this._drop(oldest, 'queue_full');
    }
  }

  private async _open(attempt: number, token?: string): Promise<void> {
    this._setState({ status: attempt === 0 ? 'connecting' : 'reconnecting', attempt });
    let t: string | null;
    try {
      t = token ?? (this._opts.getToken !== undefined ? await this._opts.getToken() : this._token);
    } catch (e) {
      this._fail(e instanceof Error ? e.message : String(e));
      return;
    }
    // A disconnect() or another open() while the token was fetched wins.
    if (this._state.status !== 'connecting' && this._state.status !== 'reconnecting') return;
    if (this._state.attempt !== attempt || this._socket !== null) return;
    if (t === null) {
      this._fail('no token');
      return;
    }
    const socket = this._factory(this._opts.url, {
      transports: ['websocket'],
      ...this._opts.socketOptions,
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      auth: { token: t },
    });
    this._socket = socket;
    socket.on('connect', () => {
      if (this._socket === socket) this._onConnected(socket);
    });
    socket.on('connect_error', (err: Error) => {
      if (this._socket !== socket) return;
      this._closeSocket();
      // socket.io-client sets `data` only on the server's CONNECT_ERROR: a refusal, not a fault.
      if (Object.prototype.hasOwnProperty.call(err, 'data')) this._fail(err.message);
      else this._scheduleRetry(attempt, err.message);
    });
    socket.on('disconnect', (reason: string) => {
      if (this._socket !== socket) return;
      this._closeSocket();
      this._scheduleRetry(0, reason);
    });
    socket.onAny((event: string, ...args: unknown[]) => {
      if (this._socket !== socket) return;
      const r = this._recovery;
      if (r === null) return this._deliver(event, args[0]);
      r.heard(Date.now());
      // A recoverable event's positions are its trailing argument, after the payload.
      const steps: Steps = { deliver: [], resync: [] };
      r.live(event, args[0], args.length > 1 ? readPositions(args[args.length - 1]) : undefined, steps, Date.now());
      this._apply(steps);
      this._armGap(socket);
    });
    // Engine.IO pings are frames heard too (`gone_ms` counts from the last one).
    socket.io?.on('ping', () => {
      if (this._socket === socket) this._recovery?.heard(Date.now());
    });
    socket.connect();
  }

  private _deliver(event: string, payload: unknown): void {
    const set = this._eventListeners.get(event);
    if (set !== undefined) for (const l of [...set]) l(payload);
  }

  private _apply(steps: Steps): void {
    for (const [event, payload] of steps.deliver) this._deliver(event, payload);
    for (const r of steps.resync) for (const l of [...this._resyncListeners]) l(r);
  }

  /** After the re-joins: asks for the events missed while away, then drains the queue. */
  private _rejoined(socket: Socket): void {
    this._askRecovery(socket);
    this._armGap(socket);
    this.processMessageQueue();
  }

  /** Sends `_recover` when one is due; its answer delivers the replay, then the held events. */
  private _askRecovery(socket: Socket): void {
    const req = this._recovery?.request(Date.now());
    if (req === undefined) return;
    this._emitWithTimeout(socket, RECOVER_EVENT, req, (res) => {
      if (this._socket !== socket || this._recovery === null) return;
      const steps: Steps = { deliver: [], resync: [] };
      recoveryAnswer(this._recovery, res, steps);
      this._apply(steps);
      this._armGap(socket);
    });
  }

  /** (Re)sets the timer of an open gap in a room's offsets, once the re-joins are done. */
  private _armGap(socket: Socket): void {
    if (this._gapTimer !== undefined) timers().clearTimeout(this._gapTimer);
    this._gapTimer = undefined;
    const at = this._recovery?.gapDeadline() ?? null;
    if (at === null || this._rejoining > 0) return;
    this._gapTimer = timers().setTimeout(() => {
      this._gapTimer = undefined;
      if (this._socket !== socket || this._recovery === null) return;
      this._recovery.gapExpired();
      this._askRecovery(socket);
    }, Math.max(0, at - Date.now()));
  }

  private _fail(error: string): void {
    this._setState({ status: 'failed', attempt: this._state.attempt, error });
    this._settleConnectWaiters(new Error(error));
  }

  private _scheduleRetry(lastAttempt: number, error: string): void {
    const attempt = lastAttempt + 1;
    if (attempt > this._backoff.maxAttempts) {
      this._fail(error);
      return;
    }
    const delays = this._backoff.delaysMs;
    const delay = delays[Math.min(attempt, delays.length) - 1] ?? 0;
    this._setState({ status: 'reconnecting', attempt, nextRetryInMs: delay, error });
    this._retryTimer = timers().setTimeout(() => {
      this._retryTimer = undefined;
      void this._open(attempt);
    }, delay);
  }

  private _cancelRetry(): void {
    if (this._retryTimer !== undefined) timers().clearTimeout(this._retryTimer);
    this._retryTimer = undefined;
  }

  private _settleConnectWaiters(error: Error | null): void {
    const waiters = this._connectWaiters;
    this._connectWaiters = [];
    for (const w of waiters) if (error === null) w.resolve();
    else w.reject(error);
  }

  /** Ends the current socket; messages waiting for an ack go back to the queue in emit order. */
  private _closeSocket(): void {
    this._stopHeartbeat();
    const s = this._socket;
    this._socket = null;
    this._rejoining = 0;
    if (this._gapTimer !== undefined) timers().clearTimeout(this._gapTimer);
    this._gapTimer = undefined;
    this._recovery?.abandoned();
    if (s !== null) {
      s.offAny();
      s.removeAllListeners();
      s.disconnect();
    }
    if (this._inflight.size > 0) {
      const back = [...this._inflight.values()].sort((a, b) => a.seq - b.seq);
      this._inflight.clear();
      for (const o of back) {
        if (o.timer !== undefined) timers().clearTimeout(o.timer);
        o.timer = undefined;
        o.attempt++;
      }
      this._queue = [...back, ...this._queue];
      this._trimQueue();
    }
  }

  private _onConnected(socket: Socket): void {
    this._setState({ status: 'connected', attempt: 0 });
    this._settleConnectWaiters(null);
    this._startHeartbeat(socket);
    this._recovery?.linkStarted();
    // Rooms first: queued messages drain once every re-join is answered or timed out.
    const rooms = [...this._rooms.entries()];
    this._rejoining = rooms.length;
    if (rooms.length === 0) this._rejoined(socket);
    for (const [key, room] of rooms) {
      this._emitWithTimeout(socket, room.event, room.payload, (res) => {
        if (this._socket !== socket) return;
        const waiters = room.waiters;
        room.waiters = [];
        if (isObject(res) && res.ok === false) this._rooms.delete(key);
        // A re-join that times out stays remembered and is tried again on the next connection.
        for (const w of waiters) {
          if (res === undefined) w.reject(new RealtimeError<Code>('ack_timeout', `${room.event}: no ack within ${this._ackTimeoutMs} ms`));
          else this._settle(res, w.resolve, w.reject);
        }
        if (--this._rejoining === 0) this._rejoined(socket);
      });
    }
  }

  private _join(event: string, payload: unknown, key: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const existing = this._rooms.get(key);
      const room: RoomEntry = existing ?? { event, payload, waiters: [] };
      this._rooms.set(key, room);
      const socket = this._socket;
      if (socket === null || !socket.connected) {
        // Joined with the other remembered rooms on the next connect.
        room.waiters.push({ resolve, reject });
        return;
      }
      this._emitWithTimeout(socket, event, payload, (res) => {
        if (isObject(res) && res.ok === false && this._rooms.get(key) === room) this._rooms.delete(key);
        if (res === undefined) reject(new RealtimeError<Code>('ack_timeout', `${event}: no ack within ${this._ackTimeoutMs} ms`));
        else this._settle(res, resolve, reject);
      });
    });
  }

  private _volatile(event: string, payload: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const socket = this._socket;
      if (socket === null || !socket.connected) {
        this._drop({ event, payload, reject }, 'offline');
        return;
      }
      this._emitWithTimeout(socket, event, payload, (res) => {
        if (res === undefined) this._drop({ event, payload, reject }, 'ack_timeout');
        else this._settle(res, resolve, reject);
      });
    });
  }

  /** Emits with an ack; `done(undefined)` on timeout. */
  private _emitWithTimeout(socket: Socket, event: string, payload: unknown, done: (res: unknown) => void): void {
    let settled = false;
    let timer = timers().setTimeout(() => {
      timer = afterPendingIo(() => {
        if (settled) return;
        settled = true;
        done(undefined);
      });
    }, this._ackTimeoutMs);
    const ack: AckHandler = (res) => {
      if (settled) return;
      settled = true;
      timers().clearTimeout(timer);
      this._recovery?.heard(Date.now());
      done(res ?? null);
    };
    if (payload === undefined) socket.emit(event, ack);
    else socket.emit(event, payload, ack);
  }

  private _send(o: Outgoing): void {
    const socket = this._socket;
    if (socket === null || !socket.connected) {
      this._enqueue(o);
      return;
    }
    this._inflight.set(o.seq, o);
    const attempt = ++o.attempt;
    const ack: AckHandler = (res) => {
      this._recovery?.heard(Date.now());
      if (o.attempt !== attempt || this._inflight.get(o.seq) !== o) return;
      if (o.timer !== undefined) timers().clearTimeout(o.timer);
      this._inflight.delete(o.seq);
      this._settle(res, o.resolve, o.reject);
    };
    o.timer = timers().setTimeout(() => {
      o.timer = afterPendingIo(() => {
        if (o.attempt !== attempt || this._inflight.get(o.seq) !== o) return;
        o.timer = undefined;
        this._inflight.delete(o.seq);
        if (o.timeouts < this._ackRetries) {
          // Same `_mid`: the server's dedup answers a resend of a handled message without a second effect.
          o.timeouts++;
          this._send(o);
        } else {
          this._drop(o, 'ack_timeout');
        }
      });
    }, this._ackTimeoutMs);
    const now = Date.now();
    let payload = o.payload;
    if (o.firstSentAt === undefined) o.firstSentAt = now;
    else if (o.mid !== undefined && isObject(payload)) payload = { ...payload, [RESENT]: Math.max(0, Math.round(now - o.firstSentAt)) };
    if (payload === undefined) socket.emit(o.event, ack);
    else socket.emit(o.event, payload, ack);
  }

  private _settle(res: unknown, resolve: (data: unknown) => void, reject: (e: Error) => void): void {
    if (isObject(res) && res.ok === true) {
      resolve(res.data ?? null);
    } else if (isObject(res) && res.ok === false && isObject(res.error)) {
      const e = res.error;
      reject(new RealtimeError<Code>(String(e.code) as Code, String(e.message ?? e.code), typeof e.field === 'string' ? e.field : undefined));
    } else {
      reject(new RealtimeError<Code>('bad_ack', `unexpected ack: ${JSON.stringify(res)}`));
    }
  }

  private _startHeartbeat(socket: Socket): void {
    const hb = this._opts.heartbeat;
    if (hb === undefined || hb === null) return;
    this._missed = 0;
    let answered = true;
    this._heartbeatTimer = timers().setInterval(() => {
      if (this._socket !== socket) return;
      if (!answered && ++this._missed >= hb.maxMissed) {
        // A dead link the transport has not noticed yet.
        this._closeSocket();
        this._scheduleRetry(0, 'heartbeat not answered');
        return;
      }
      answered = false;
      socket.emit(hb.event, { timestamp: new Date().toISOString() }, () => {
        answered = true;
        this._missed = 0;
        this._recovery?.heard(Date.now());
      });
    }, hb.intervalMs);
  }

  private _stopHeartbeat(): void {
    if (this._heartbeatTimer !== undefined) timers().clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = undefined;
  }
}
