// Scenario 2: bad tokens are refused with `Invalid or expired token`; a token only in the query
// string is not read (`Authentication required`); a good token still connects.
import { assert, connect, connectError, run, signJwt, SECRET, token } from './lib.mjs';

run('auth_invalid', async () => {
  assert.ok(SECRET, 'E2E_SECRET is needed to forge tokens');
  const now = Math.floor(Date.now() / 1000);
  const invalid = {
    garbage: 'garbage',
    'three garbage parts': 'a.b.c',
    'other secret': signJwt({ userId: 'u1', role: 'customer', exp: now + 600 }, 'not-the-gateway-secret'),
    'expired 10 min ago': signJwt({ userId: 'u1', role: 'customer', exp: now - 600 }),
    'tampered claims': (() => {
      const [h, , sig] = token('u1').split('.');
      const claims = Buffer.from(JSON.stringify({ userId: 'admin', exp: now + 600 })).toString('base64url');
      return `${h}.${claims}.${sig}`;
    })(),
    'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ userId: 'u1', exp: now + 600 })).toString('base64url')}.`,
  };
  const messages = {};
  for (const [label, t] of Object.entries(invalid)) {
    messages[label] = await connectError({ auth: { token: t } }, label);
    assert.equal(messages[label], 'Invalid or expired token', `${label}: connect_error message`);
  }
  // The same signer with exp in the future is accepted: the refusals above are about the token.
  const forged = signJwt({ userId: 'u1', role: 'customer', exp: now + 600 });
  const good = await connect('u1', { auth: { token: forged } });
  assert.ok(good.connected, 'a hand-signed valid token connects');
  good.close();
  // A token in the query string only: never read.
  const query = await connectError({ query: { token: token('u1') } }, 'query-string token');
  assert.equal(query, 'Authentication required', 'query-string token: connect_error message');
  return { invalid: Object.keys(messages).length, messages, query, validConnected: true };
});
