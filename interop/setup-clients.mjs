// Makes the client side of an interop run: a fresh P-256 key for
// `private_key_jwt` and signed request objects (WebCrypto), and the
// `clients.toml` that registers it with `fapi serve`.
//
//   node setup-clients.mjs DIR
//
// writes DIR/client.jwk.json (the private JWK, read by the tests) and
// DIR/clients.toml (the public JWKS only). Under the MTLS profiles the
// client's TLS certificate is not registered: it authenticates by
// `private_key_jwt` (CDR-CLIENT-AUTH) and its certificate only binds the
// tokens (`cnf.x5t#S256`, RFC 8705 §3, CDR-HOK).
//
// P-256 (ES256) is the one algorithm every profile run here allows (F2-ALG,
// CDR-ALG). Ed25519 keys are exercised by the DPoP key under fapi2-plus
// (FAPI_DPOP_ALG in .ci/interop), whose proofs oauth4webapi signs with
// `alg` `Ed25519` (RFC 9864), which fapi reads as EdDSA.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CLIENT } from './fapi-client.mjs';

const { positionals } = parseArgs({ allowPositionals: true, options: {} });
if (positionals.length !== 1) {
  console.error('usage: node setup-clients.mjs DIR');
  process.exit(2);
}
const [dir] = positionals;
await mkdir(dir, { recursive: true });

const { privateKey, publicKey } = await crypto.subtle.generateKey(
  { name: 'ECDSA', namedCurve: 'P-256' },
  true,
  ['sign', 'verify'],
);
const pub = await crypto.subtle.exportKey('jwk', publicKey);
const publicJwk = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
// RFC 7638 thumbprint: SHA-256 of the required members in lexical order.
const canonical = JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y });
const kid = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))).toString('base64url');
const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };
const privateJwk = { ...(await crypto.subtle.exportKey('jwk', privateKey)), kid, alg: 'ES256' };

await writeFile(join(dir, 'client.jwk.json'), JSON.stringify(privateJwk), { mode: 0o600 });

// TOML literal strings ('...') take the JSON as it is: it has no single quote.
const toml = `# Written by interop/setup-clients.mjs for one interop run.
[[client]]
client_id = "${CLIENT.id}"
name = "${CLIENT.name}"
redirect_uris = ["${CLIENT.redirectUri}"]
auth = "private_key_jwt"
jwks = '${JSON.stringify(jwks)}'
scopes = ${JSON.stringify(CLIENT.scopes)}
`;
await writeFile(join(dir, 'clients.toml'), toml);
console.log(`client ${CLIENT.id}: key ${kid}, ${join(dir, 'clients.toml')}`);
