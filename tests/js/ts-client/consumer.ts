// A consumer of the generated realtime client, written as the app would: checked by
// `tsc --strict` (tests/tests/ts_client.rs). Nothing here runs.
import { createRealtimeClient, RealtimeError, RECOVERY } from '../../../generated/ts/realtime';
import type { ConnectionState, DroppedMessage, RealtimeClient, ResyncReason, ResyncRequired } from '../../../generated/ts/realtime';
import { useConnectionState, useRealtimeEvent, useResyncRequired } from '../../../generated/ts/realtime-react';
import type { AckErrorCode, ChatMessagePayload } from '../../../generated/ts/socket.types';

// No `console`: the harness's lib has no DOM and no Node types, like the runtime.
const seen: string[] = [];
function log(...parts: unknown[]): void {
  seen.push(parts.map(String).join(' '));
}

export async function app(getToken: () => Promise<string | null>): Promise<string> {
  const client: RealtimeClient = createRealtimeClient({ url: 'http://127.0.0.1:3000', getToken, autoConnect: false });
  const offMessage = client.onChatMessage((m: ChatMessagePayload) => log(m.text));
  const offAny = client.on('order:status_update', (p) => log(p.status));
  client.onDropped((d: DroppedMessage) => log(d.event, d.reason));
  // Missed events that could not be replayed: refetch that room's screen.
  client.onResyncRequired((r: ResyncRequired) => {
    const reason: ResyncReason = r.reason;
    log(r.room, reason, RECOVERY);
  });
  client.onStateChange((s: ConnectionState) => {
    if (s.status === 'reconnecting') log(`Reconnecting... (${s.attempt}) in ${s.nextRetryInMs ?? 0} ms`);
  });
  client.connect();
  await client.subscribeChat({ chatId: 'c-1' });
  // A room joined with a bare id (`value:` in the catalogue): the argument is the id itself.
  await client.joinTournament('t-1');
  await client.joinEarningsRoom('u-1');
  try {
    const ack = await client.chatSendMessage({ chatId: 'c-1', message: 'hi', timestamp: new Date().toISOString() });
    offMessage();
    offAny();
    return ack.messageId;
  } catch (e) {
    if (e instanceof RealtimeError) {
      const code: AckErrorCode | string = e.code;
      return code;
    }
    throw e;
  } finally {
    await client.updateAuthToken('next');
    log(client.getQueueSize());
  }
}

export function Banner(): string {
  const state = useConnectionState();
  useRealtimeEvent('chat:message', (m) => log(m.chatId));
  useResyncRequired((r) => log(r.room));
  return state.status === 'failed' ? `Failed: ${state.error ?? ''}` : state.status;
}
