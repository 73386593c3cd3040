// Recovery of missed server events (hand-written, copied verbatim by codegen): what the client
// has seen per room (epoch, last contiguous offset, offsets above a gap), the `_recover` request
// sent after the re-joins of a reconnect, and exactly-once, in-order delivery around it. The
// wire protocol is codegen/FORMAT.md "Recovery of missed events"; this mirrors the Rust client's
// runtime/src/client/recovery.rs. Pure logic: no imports, no timers.
//
// Live events can also arrive out of order: with several gateway nodes, an event another node
// sent travels through Redis pub/sub and can be overtaken by a later one the client's own node
// delivers directly. An event past a gap in one of its rooms is held ("early") until the gap
// fills; if it is still open after `reorderWaitMs`, the client asks for it with `_recover` on the
// live link (the core sets the timer from `gapDeadline()`).

/** The client-to-server event a recovering client sends after its re-joins. */
export const RECOVER_EVENT = '_recover';

/** Why a room's missed events cannot be replayed: the app refetches that room's data. */
export type ResyncReason = 'too_old' | 'epoch_changed' | 'capped' | 'unavailable';

/** One room the app must refetch, reported to every `onResyncRequired` listener. */
export interface ResyncRequired {
  /** The server's room name (e.g. `order-o-100`). */
  readonly room: string;
  readonly reason: ResyncReason;
}

/** Where one event sits in one room's stream. */
export interface Position {
  room: string;
  epoch: string;
  offset: number;
}

/** What a recovering client sends with `_recover`. */
export interface RecoverRequest {
  gone_ms: number;
  rooms: Position[];
}

/** What one step produced: events for the listeners, rooms to resync. */
export interface Steps {
  deliver: Array<[string, unknown]>;
  resync: ResyncRequired[];
}

/** Offsets remembered above a gap per room; past it the oldest gap is given up. */
const MAX_ABOVE = 1024;
/**
 * Live events held ahead of open gaps; past it the gaps are asked for at once instead of after
 * `reorderWaitMs` (so a fast room cannot grow the app's memory while it waits).
 */
const MAX_EARLY = 1024;

/**
 * Live events held while a `_recover` request is in flight. Later ones are not kept: they are in
 * the server's history, so once the answer is in, a second request asks for them (a busy room
 * cannot grow the app's memory without bound while it waits).
 */
const MAX_HELD = 4 * MAX_EARLY;
const REASONS: readonly string[] = ['too_old', 'epoch_changed', 'capped', 'unavailable'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPosition(v: unknown): v is Position {
  return isRecord(v) && typeof v.room === 'string' && typeof v.epoch === 'string' && typeof v.offset === 'number';
}

/** The positions of `{"_rec": [...]}`, or undefined when `arg` is not one (an app value). */
export function readPositions(arg: unknown): Position[] | undefined {
  if (!isRecord(arg) || !Array.isArray(arg._rec)) return undefined;
  const rec: unknown[] = arg._rec;
  return rec.every(isPosition) ? rec : undefined;
}

class Track {
  epoch: string;
  /** Every offset up to here was seen. */
  mark: number;
  above = new Set<number>();

  constructor(epoch: string, mark: number) {
    this.epoch = epoch;
    this.mark = mark;
  }

  seen(offset: number): boolean {
    return offset <= this.mark || this.above.has(offset);
  }

  record(offset: number): void {
    if (offset <= this.mark) return;
    this.above.add(offset);
    this.advance();
    while (this.above.size > MAX_ABOVE) {
      const first = Math.min(...this.above);
      this.above.delete(first);
      this.mark = first;
      this.advance();
    }
  }

  settleAt(head: number): void {
    this.mark = Math.max(this.mark, head);
    for (const o of [...this.above]) if (o <= this.mark) this.above.delete(o);
    this.advance();
  }

  private advance(): void {
    while (this.above.delete(this.mark + 1)) this.mark++;
  }
}

interface Held {
  event: string;
  payload: unknown;
  rec: Position[];
}

/** What survives reconnects for recovery; times are `Date.now()` values passed in. */
export class RecoveryTracker {
  private readonly _rooms = new Map<string, Track>();
  /** Positioned events received on a link before its recovery is answered. */
  private _held: Held[] | null = null;
  /** When the last frame from the server arrived. */
  private _heard: number | null = null;
  /** The last frame before the gap being recovered (kept until a recovery is answered). */
  private _away: number | null = null;
  /** A recovery is due on the current or next link. */
  private _owed = false;
  /** Live events that arrived ahead of a gap in one of their rooms, in arrival order. */
  private _early: Held[] = [];
  /** Since when the oldest open gap has waited. */
  private _earlySince: number | null = null;
  /** Since when live events past MAX_HELD were left to a second request (due after the answer). */
  private _refetch: number | null = null;
  private readonly _reorderWaitMs: number;

  /** `reorderWaitMs`: how long a gap in a room's offsets may stay open before it is asked for. */
  constructor(reorderWaitMs = 500) {
    this._reorderWaitMs = reorderWaitMs;
  }

  heard(now: number): void {
    this._heard = now;
  }

  /** A link is up: when a recovery is due, positioned events are held from now on. */
  linkStarted(): void {
    if (!this._owed) {
      this._away = this._heard;
      this._owed = this._away !== null;
    }
    if (this._owed) {
      // Events held ahead of a gap wait for the replay, which fills it.
      this._held = this._early;
      this._early = [];
      this._earlySince = null;
    }
  }

  /** The request for this link, when a recovery is due (an earlier link heard the server). */
  request(now: number): RecoverRequest | undefined {
    if (!this._owed || this._away === null) return undefined;
    const rooms = [...this._rooms.entries()].map(([room, t]) => ({ room, epoch: t.epoch, offset: t.mark }));
    rooms.sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
    return { gone_ms: Math.max(0, now - this._away), rooms };
  }

  /**
   * A live event: held during a recovery or ahead of a gap, skipped when seen, else recorded and
   * delivered (with the early events it lets through).
   */
  live(event: string, payload: unknown, rec: Position[] | undefined, out: Steps, now: number): void {
    if (rec === undefined) {
      out.deliver.push([event, payload]);
      return;
    }
    if (this._held !== null) {
      if (this._held.length < MAX_HELD) this._held.push({ event, payload, rec });
      else if (this._refetch === null) this._refetch = now;
      return;
    }
    if (this._ahead(rec)) {
      if (this._earlySince === null) this._earlySince = now;
      this._early.push({ event, payload, rec });
      return;
    }
    if (this._accept(rec, out.resync)) out.deliver.push([event, payload]);
    this._releaseEarly(out, now);
  }

  /** When the oldest open gap is due to be asked for (null while a recovery is in flight). */
  gapDeadline(): number | null {
    if (this._held !== null) return null;
    // Events left to the server's history while a request was in flight: due now.
    if (this._refetch !== null) return this._refetch;
    if (this._earlySince === null) return null;
    // Already due when more than MAX_EARLY events wait.
    return this._earlySince + (this._early.length > MAX_EARLY ? 0 : this._reorderWaitMs);
  }

  /** A gap stayed open: the early events are held and a `_recover` request is due now. */
  gapExpired(): void {
    this._owed = true;
    const since = this._earlySince !== null && this._refetch !== null ? Math.min(this._earlySince, this._refetch) : (this._earlySince ?? this._refetch);
    this._away = since ?? this._heard;
    this._refetch = null;
    this._held = this._early;
    this._early = [];
    this._earlySince = null;
  }

  /** True when one of the event's rooms has a gap before it (a new epoch starts at offset 1). */
  private _ahead(rec: Position[]): boolean {
    return rec.some((p) => {
      const t = this._rooms.get(p.room);
      if (t === undefined) return false;
      if (t.epoch !== p.epoch) return p.offset > 1;
      return p.offset > t.mark + 1 && !t.seen(p.offset);
    });
  }

  /** Delivers the early events whose gaps are filled, in offset order. */
  private _releaseEarly(out: Steps, now: number): void {
    let progressed = false;
    for (;;) {
      const i = this._early.findIndex((h) => !this._ahead(h.rec));
      if (i < 0) break;
      const [h] = this._early.splice(i, 1);
      if (this._accept(h.rec, out.resync)) out.deliver.push([h.event, h.payload]);
      progressed = true;
    }
    if (this._early.length === 0) this._earlySince = null;
    else if (progressed) this._earlySince = now;
  }

  /** The server's answer (the ack's `data`): the replay, then the held events, each once. */
  answered(data: unknown, out: Steps): void {
    const rooms = isRecord(data) && Array.isArray(data.rooms) ? data.rooms.filter(isRecord) : null;
    const events = isRecord(data) && Array.isArray(data.events) ? data.events.filter(isRecord) : null;
    if (rooms === null || events === null) {
      this.failed(false, out);
      return;
    }
    this._owed = false;
    const held = this._held ?? [];
    this._held = null;
    for (const r of rooms) {
      if (typeof r.room !== 'string') continue;
      const epoch = typeof r.epoch === 'string' ? r.epoch : undefined;
      const offset = typeof r.offset === 'number' ? r.offset : 0;
      if (r.status === 'recovered' && epoch !== undefined) {
        if (this._rooms.get(r.room)?.epoch !== epoch) this._rooms.set(r.room, new Track(epoch, 0));
      } else if (r.status === 'resync_required') {
        const reason = typeof r.reason === 'string' && REASONS.includes(r.reason) ? (r.reason as ResyncReason) : 'unavailable';
        out.resync.push({ room: r.room, reason });
        if (epoch !== undefined) this._rooms.set(r.room, new Track(epoch, offset));
        else this._rooms.delete(r.room);
      } else {
        // `recovered` without history, or `not_joined`.
        this._rooms.delete(r.room);
      }
    }
    for (const e of events) {
      const rec = readPositions({ _rec: e._rec });
      if (typeof e.event === 'string' && rec !== undefined && this._accept(rec, null)) out.deliver.push([e.event, e.data]);
    }
    for (const r of rooms) {
      if (r.status === 'recovered' && typeof r.room === 'string' && typeof r.epoch === 'string' && typeof r.offset === 'number') {
        this._rooms.get(r.room)?.settleAt(r.offset);
      }
    }
    this._release(held, out);
  }

  /**
   * The request failed (refused, unanswered): every known room is told to resync, unless the
   * server has no recovery at all (`unsupported`); held events are delivered.
   */
  failed(unsupported: boolean, out: Steps): void {
    this._owed = false;
    // Every room is told to resync (or the server has no history to ask).
    this._refetch = null;
    const held = this._held ?? [];
    this._held = null;
    if (!unsupported) for (const room of [...this._rooms.keys()].sort()) out.resync.push({ room, reason: 'unavailable' });
    this._release(held, out);
  }

  /** The link ended during a request: held events are forgotten so the next request asks again. */
  abandoned(): void {
    this._held = null;
    // The next request starts from the last delivered offsets, so it covers them too.
    this._refetch = null;
  }

  /** Records an event's positions; false when one of its rooms already saw it. */
  private _accept(rec: Position[], resync: ResyncRequired[] | null): boolean {
    if (rec.some((p) => this._rooms.get(p.room)?.epoch === p.epoch && this._rooms.get(p.room)?.seen(p.offset) === true)) return false;
    for (const p of rec) {
      const t = this._rooms.get(p.room);
      if (t !== undefined && t.epoch === p.epoch) {
        t.record(p.offset);
        continue;
      }
      // A known room in another epoch lost its history.
      if (t !== undefined && resync !== null) resync.push({ room: p.room, reason: 'epoch_changed' });
      // A room seen for the first time starts at this event; a new epoch at its offset 1.
      const fresh = new Track(p.epoch, t !== undefined ? 0 : Math.max(0, p.offset - 1));
      fresh.record(p.offset);
      this._rooms.set(p.room, fresh);
    }
    return true;
  }

  private _release(held: Held[], out: Steps): void {
    for (const h of held) if (this._accept(h.rec, out.resync)) out.deliver.push([h.event, h.payload]);
  }
}

/** Hands the `_recover` ack (undefined: it timed out) to `tracker`. */
export function recoveryAnswer(tracker: RecoveryTracker, res: unknown, out: Steps): void {
  if (isRecord(res) && res.ok === true) tracker.answered(res.data, out);
  else tracker.failed(isRecord(res) && isRecord(res.error) && res.error.code === 'unknown_event', out);
}
