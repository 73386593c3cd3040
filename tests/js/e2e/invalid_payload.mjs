// Scenario 5: invalid `chat:send_message` payloads are refused with `invalid_payload` naming the
// bad field, and the same connection keeps working afterwards. Missing required fields are
// checked in missing_field.mjs. Refused payloads
// spend no rate-limit tokens; the sends are spaced by 110 ms to keep the test calm.
import { ask, assert, chatMessage, connect, errorOf, nowIso, okData, record, run, sleep } from './lib.mjs';

run('invalid_payload', async () => {
  const u1 = await connect('u1');
  const rec = record(u1);
  // [label, payload, expected field (undefined: the payload as a whole)]
  const cases = [
    ['message is a number', { chatId: 'c-1', message: 42, timestamp: 'x' }, 'message'],
    ['message empty (min_length 1)', { chatId: 'c-1', message: '', timestamp: nowIso() }, 'message'],
    ['chatId empty (min_length 1)', { chatId: '', message: 'hi', timestamp: nowIso() }, 'chatId'],
    ['message over max_length 4000', { chatId: 'c-1', message: 'x'.repeat(4001), timestamp: nowIso() }, 'message'],
    ['timestamp not ISO', { chatId: 'c-1', message: 'hi', timestamp: 'yesterday' }, 'timestamp'],
    ['attachment type not in enum', chatMessage('hi', { attachments: [{ type: 'video', url: 'https://x/y' }] }), 'attachments[0].type'],
    ['_mid not a string', chatMessage('hi', { _mid: 5 }), '_mid'],
    ['payload not an object', 'hello', undefined],
  ];
  const fields = {};
  for (const [label, payload, field] of cases) {
    await sleep(110);
    const error = errorOf(await ask(u1, 'chat:send_message', payload), 'invalid_payload', label);
    fields[label] = error.field ?? null;
    assert.equal(error.field, field, `${label}: error.field (message: ${error.message})`);
    assert.ok(u1.connected, `${label}: still connected`);
  }
  // No argument at all: refused too (not a crash, not a silent drop).
  await sleep(110);
  const none = errorOf(await ask(u1, 'chat:send_message'), 'invalid_payload', 'no payload');
  // A missing required field: refused, and the message names it (the `field` member: see
  // missing_field.mjs).
  await sleep(110);
  const missing = errorOf(await ask(u1, 'chat:send_message', { message: 'hi', timestamp: nowIso() }), 'invalid_payload', 'chatId missing');
  assert.match(missing.message, /chatId/, 'chatId missing: the message names the field');
  await sleep(110);
  // Same connection, valid payload: works.
  const data = okData(await ask(u1, 'chat:send_message', chatMessage('still usable')), 'valid send after invalid ones');
  assert.match(data.messageId, /./, 'messageId');
  assert.ok(!Number.isNaN(Date.parse(data.timestamp)), 'ack timestamp is ISO');
  await sleep(100);
  // u1 is not subscribed to c-1: it gets no chat:message; none of the refused ones were emitted.
  assert.deepEqual(rec.of('chat:message'), [], 'chat:message to a non-subscriber');
  return { invalid: cases.length + 2, fields, noPayload: none, missing, valid: data };
});
