// The peer of the load test: oidc-provider, configured for FAPI 2.0 with
// the grant fapi is measured on (client_credentials, private_key_jwt, DPoP,
// JWT access tokens signed ES256), over HTTPS on one Node process.
//
//   node oidc-provider.mjs DIR PORT
//
// DIR holds what `fapi-load setup` wrote: client-jwks.json (the load
// client's public keys), tls-cert.pem and tls-key.pem (127.0.0.1). Prints
// one JSON line {"event":"ready","issuer":...} once listening.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import Provider from 'oidc-provider';

const [dir, portArg] = process.argv.slice(2);
if (!dir || !portArg) {
  console.error('usage: node oidc-provider.mjs DIR PORT');
  process.exit(2);
}
const port = Number(portArg);
const issuer = `https://127.0.0.1:${port}`;
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
const clientJwks = JSON.parse(read('client-jwks.json'));
// The AS signing key: a fresh P-256 key, as `fapi serve` makes by default.
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const asKey = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'as-1' };
const audience = 'https://api.bank.example';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'load-1',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      id_token_signed_response_alg: 'ES256',
      jwks: clientJwks,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      dpop_bound_access_tokens: true,
      scope: 'accounts',
    },
  ],
  jwks: { keys: [asKey] },
  scopes: ['accounts'],
  enabledJWA: {
    clientAuthSigningAlgValues: ['ES256'],
    dPoPSigningAlgValues: ['ES256'],
  },
  features: {
    fapi: { enabled: true, profile: '2.0' },
    clientCredentials: { enabled: true },
    dPoP: { enabled: true },
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'accounts',
        audience,
        accessTokenTTL: 300,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
// Quiet: a refusal is counted by the load client, not logged per request.
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

https
  .createServer({ cert: read('tls-cert.pem'), key: read('tls-key.pem') }, provider.callback())
  .listen(port, '127.0.0.1', () => {
    console.log(JSON.stringify({ event: 'ready', issuer, profile: 'oidc-provider FAPI 2.0' }));
  });
