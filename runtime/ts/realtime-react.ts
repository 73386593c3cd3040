// React bindings of the generated realtime client (hand-written, copied verbatim by codegen).
// React is a peer dependency of this file only; `.ts` without JSX so no JSX setting is needed.

import { createContext, createElement, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ReactElement, ReactNode } from 'react';
import type { ConnectionState, RealtimeClient, RealtimeEventName, RealtimeEvents, ResyncRequired } from './realtime';

const RealtimeContext = createContext<RealtimeClient | null>(null);

/** Makes `client` available to the hooks below. */
export function RealtimeProvider(props: { client: RealtimeClient; children?: ReactNode }): ReactElement {
  return createElement(RealtimeContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest `RealtimeProvider`. */
export function useRealtime(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (client === null) throw new Error('useRealtime() needs a <RealtimeProvider client={...}> above it');
  return client;
}

/** The connection state; re-renders on every change. */
export function useConnectionState(): ConnectionState {
  const client = useRealtime();
  return useSyncExternalStore(
    (onChange) => client.onStateChange(onChange),
    () => client.getState(),
    () => client.getState(),
  );
}

/** Calls `handler` for every `event` while mounted; unmounting unsubscribes. */
export function useRealtimeEvent<K extends RealtimeEventName>(event: K, handler: (payload: RealtimeEvents[K]) => void): void {
  const client = useRealtime();
  // The latest handler, so a new closure each render does not resubscribe.
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => client.on(event, (payload) => latest.current(payload)), [client, event]);
}

/** Calls `handler` for every room that must be refetched after a reconnect, while mounted. */
export function useResyncRequired(handler: (resync: ResyncRequired) => void): void {
  const client = useRealtime();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => client.onResyncRequired((r) => latest.current(r)), [client]);
}
