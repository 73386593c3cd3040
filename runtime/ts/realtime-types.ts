// The TypeScript realtime runtime's public types (hand-written, copied verbatim by codegen next
// to `realtime-core.ts`, which re-exports them): options, connection state, drops, errors.

import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';

/** Stops what it was returned for (a listener, an AppState subscription). */
export type Unsubscribe = () => void;

/** Where the connection is; `failed` waits for `retry()`. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'disconnected';

/** The connection state a banner shows. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** Reconnect attempt in progress or scheduled (0 when connected or on a first connect). */
  readonly attempt: number;
  /** Delay before the scheduled attempt, while `reconnecting`. */
  readonly nextRetryInMs?: number;
  /** Why the last connect failed (the server's message for a refused token). */
  readonly error?: string;
}

/** Why a message was not delivered. `cleared` is `clearQueue()`. */
export type DropReason = 'queue_full' | 'offline' | 'ack_timeout' | 'cleared';

/** One dropped message, reported to every `onDropped` listener. */
export interface DroppedMessage {
  readonly event: string;
  readonly payload: unknown;
  readonly reason: DropReason;
  /** The message id, for reliable events. */
  readonly mid?: string;
}

/** Reconnect schedule: attempt n waits `delaysMs[min(n, len) - 1]`. */
export interface BackoffOptions {
  delaysMs: readonly number[];
  maxAttempts: number;
}

/** The app heartbeat: a client event answered by the server. */
export interface HeartbeatOptions {
  event: string;
  intervalMs: number;
  /** Unanswered heartbeats in a row before the link is declared dead. */
  maxMissed: number;
}

/** What connects a socket; the default is socket.io-client's `io`. Tests pass their own. */
export type SocketFactory = (url: string, options: Partial<ManagerOptions & SocketOptions>) => Socket;

/** React Native's `AppState`, taken by parameter so the runtime imports nothing from it. */
export interface AppStateLike {
  addEventListener(type: 'change', listener: (state: string) => void): { remove(): void };
}

/** Options of the core; the generated `createRealtimeClient` fills in the catalogue's defaults. */
export interface CoreOptions {
  url: string;
  /** Sent as `auth.token`. */
  token?: string | null;
  /** Asked before every connect (sync or async); wins over `token`. */
  getToken?: () => string | null | Promise<string | null>;
  /** Offline queue limit (100). */
  queueLimit?: number;
  backoff?: Partial<BackoffOptions>;
  /** `null` turns the heartbeat off. */
  heartbeat?: HeartbeatOptions | null;
  /** How long a reliable or volatile emit waits for its ack (10 s). */
  ackTimeoutMs?: number;
  /** Resends of a reliable emit whose ack timed out, with the same `_mid` (2). */
  ackRetries?: number;
  /** Asks for missed events after a reconnect (the catalogue's `settings.recovery`; false). */
  recovery?: boolean;
  /**
   * How long a live event that arrived ahead of a gap in its room's offsets (another gateway
   * node's broadcast still on its way) waits for the gap before `_recover` asks for it (500).
   */
  reorderWaitMs?: number;
  /** Connect on creation (true). */
  autoConnect?: boolean;
  /** Extra socket.io-client options; reconnection stays off (the client does its own). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  io?: SocketFactory;
}

/** How the typed layer describes a client event to the core. */
export interface EventSpec {
  delivery: 'reliable' | 'volatile';
  /** Room joins and leaves: the room kind and the payload fields that name it. */
  room?: { action: 'join' | 'leave' | 'leave_all'; kind: string; params: readonly string[] };
}

/** A refused or undelivered client event: the server's `{code, message, field?}` or a drop. */
export class RealtimeError<Code extends string = string> extends Error {
  readonly code: Code | DropReason | 'bad_ack';
  readonly field?: string;
  constructor(code: Code | DropReason | 'bad_ack', message: string, field?: string) {
    super(message);
    this.name = 'RealtimeError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

export const DEFAULT_BACKOFF: BackoffOptions = { delaysMs: [1000, 2000, 4000, 8000, 16000], maxAttempts: 10 };
