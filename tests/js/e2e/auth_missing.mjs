// Scenario 1: a handshake without a token is refused with exactly `Authentication required`.
import { assert, connectError, run } from './lib.mjs';

run('auth_missing', async () => {
  const cases = {
    'no auth at all': {},
    'auth without token': { auth: {} },
    'empty token': { auth: { token: '' } },
    'token not a string': { auth: { token: 42 } },
  };
  const messages = {};
  for (const [label, options] of Object.entries(cases)) {
    messages[label] = await connectError(options, label);
    assert.equal(messages[label], 'Authentication required', `${label}: connect_error message`);
  }
  return { refused: Object.keys(messages).length, messages };
});
