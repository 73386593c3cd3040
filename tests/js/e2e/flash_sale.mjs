// Scenario 7: a flash sale reaches every connected socket, with no room subscription. The script
// prints READY once all are connected; the Rust test then emits `flashsale:started` once.
import { assert, connect, record, run, sleep, waitFor } from './lib.mjs';

run('flash_sale', async () => {
  const clients = await Promise.all(['u1', 'u2', 'u9'].map((u) => connect(u)));
  for (const s of clients) record(s);
  console.log('READY');
  await waitFor(() => clients.every((s) => s.rec.of('flashsale:started').length >= 1), 'every client to receive flashsale:started', 10000);
  await sleep(300); // catch duplicates
  const received = {};
  const first = clients[0].rec.of('flashsale:started')[0];
  for (const s of clients) {
    const got = s.rec.of('flashsale:started');
    received[s.user] = got.length;
    assert.equal(got.length, 1, `${s.user} received flashsale:started ${got.length} times`);
    assert.deepEqual(got[0], first, `${s.user} got the same payload`);
    assert.deepEqual(s.rec.all.map(([e]) => e), ['flashsale:started'], `${s.user}: only flashsale:started`);
  }
  return { received, payload: first };
});
