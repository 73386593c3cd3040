// Scenario 10: `heartbeat {timestamp}` is acked with `{serverTime: ISO}`.
import { ask, assert, connect, errorOf, nowIso, okData, run } from './lib.mjs';

run('heartbeat', async () => {
  const u1 = await connect('u1');
  const before = Date.now();
  const ack = await ask(u1, 'heartbeat', { timestamp: nowIso() });
  const after = Date.now();
  const data = okData(ack, 'heartbeat');
  assert.deepEqual(Object.keys(data), ['serverTime'], 'heartbeat ack data keys');
  assert.equal(typeof data.serverTime, 'string');
  assert.match(data.serverTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'serverTime is ISO-8601');
  const t = Date.parse(data.serverTime);
  assert.ok(t >= before - 2000 && t <= after + 2000, `serverTime ${data.serverTime} is not around now`);
  const bad = errorOf(await ask(u1, 'heartbeat', { timestamp: 'now' }), 'invalid_payload', 'heartbeat with a bad timestamp');
  assert.equal(bad.field, 'timestamp');
  okData(await ask(u1, 'heartbeat', { timestamp: nowIso() }), 'heartbeat after a refusal');
  return { serverTime: data.serverTime, rttMs: after - before };
});
