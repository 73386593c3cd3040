// Scenario 5b: a payload missing a required field is refused with `invalid_payload` whose `field`
// names the missing field (like every other invalid field), at any depth.
import { ask, assert, chatMessage, connect, errorOf, nowIso, run } from './lib.mjs';

run('missing_field', async () => {
  const u1 = await connect('u1');
  const cases = [
    ['chatId missing', { message: 'hi', timestamp: nowIso() }, 'chatId'],
    ['message missing', { chatId: 'c-1', timestamp: nowIso() }, 'message'],
    ['timestamp missing', { chatId: 'c-1', message: 'hi' }, 'timestamp'],
    ['attachment type missing', chatMessage('hi', { attachments: [{ url: 'https://x/y' }] }), 'attachments[0].type'],
  ];
  const fields = {};
  for (const [label, payload] of cases) {
    fields[label] = errorOf(await ask(u1, 'chat:send_message', payload), 'invalid_payload', label).field ?? null;
  }
  for (const [label, , field] of cases) {
    assert.equal(fields[label], field, `${label}: error.field; all fields seen: ${JSON.stringify(fields)}`);
  }
  return { fields };
});
