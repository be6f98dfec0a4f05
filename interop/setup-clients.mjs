// Makes the client side of an interop run: a fresh signing key for
// `private_key_jwt` and signed request objects (WebCrypto), where the run
// asks for encrypted responses an RSA encryption key, and the `clients.toml`
// that registers them with `fapi serve`.
//
//   node setup-clients.mjs [--profile P] DIR
//
// writes DIR/client.jwk.json (the private signing JWK, read by the tests),
// DIR/client-enc.jwk.json (the private encryption JWK, when there is one)
// and DIR/clients.toml (the public JWKS only, and the response registration
// of `responseRegistration` in fapi-client.mjs). Under the MTLS profiles the
// client's TLS certificate is not registered: it authenticates by
// `private_key_jwt` (CDR-CLIENT-AUTH, OFB-CLIENT-AUTH) and its certificate
// only binds the tokens (`cnf.x5t#S256`, RFC 8705 §3, CDR-HOK).
//
// The signing key is P-256 (ES256), which fapi2, fapi2-plus, fapi2-ms and
// cdr allow (F2-ALG, CDR-ALG), or under the PS256-only profiles (OB-ALG,
// OFB-ALG) RSA 2048 for PS256. Ed25519 keys are exercised by the DPoP key under
// fapi2-plus (FAPI_DPOP_ALG in .ci/interop), whose proofs oauth4webapi signs
// with `alg` `Ed25519` (RFC 9864), which fapi reads as EdDSA.
//
// The encryption key (cdr, ofb) is RSA 2048, `"use":"enc"`, with the
// registered key management algorithm as its `alg`: RSA-OAEP-256 under cdr
// (CDR-ALG), RSA-OAEP under ofb (OFB-ALG).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CLIENT, PS256_PROFILES, encryptionAlg, responseRegistration } from './fapi-client.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: 'string', default: 'fapi2' } },
});
if (positionals.length !== 1) {
  console.error('usage: node setup-clients.mjs [--profile P] DIR');
  process.exit(2);
}
const [dir] = positionals;
const { profile } = values;
await mkdir(dir, { recursive: true });

const RSA = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

/** RFC 7638 thumbprint: SHA-256 of the required members in lexical order. */
async function thumbprint(jwk) {
  const required = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(required)));
  return Buffer.from(digest).toString('base64url');
}

/** The public members only (no `d`, `p`, `q`, ...). */
function publicPart(jwk) {
  return jwk.kty === 'RSA' ? { kty: jwk.kty, n: jwk.n, e: jwk.e } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

const ps256 = PS256_PROFILES.has(profile);
const sigAlg = ps256 ? 'PS256' : 'ES256';
const { privateKey, publicKey } = await crypto.subtle.generateKey(
  ps256 ? { name: 'RSA-PSS', ...RSA } : { name: 'ECDSA', namedCurve: 'P-256' },
  true,
  ['sign', 'verify'],
);
const pub = publicPart(await crypto.subtle.exportKey('jwk', publicKey));
const kid = await thumbprint(pub);
const keys = [{ ...pub, kid, alg: sigAlg, use: 'sig' }];
const privateJwk = { ...(await crypto.subtle.exportKey('jwk', privateKey)), kid, alg: sigAlg };
await writeFile(join(dir, 'client.jwk.json'), JSON.stringify(privateJwk), { mode: 0o600 });

const registration = responseRegistration(profile);
const encAlg = encryptionAlg(registration);
let encKid;
if (encAlg !== undefined) {
  // RSA-OAEP-256 is OAEP with SHA-256, RSA-OAEP with SHA-1 (RFC 7518 §4.3).
  const enc = await crypto.subtle.generateKey(
    { name: 'RSA-OAEP', ...RSA, hash: encAlg === 'RSA-OAEP-256' ? 'SHA-256' : 'SHA-1' },
    true,
    ['encrypt', 'decrypt'],
  );
  const encPub = publicPart(await crypto.subtle.exportKey('jwk', enc.publicKey));
  encKid = await thumbprint(encPub);
  keys.push({ ...encPub, kid: encKid, alg: encAlg, use: 'enc' });
  const encPrivate = { ...(await crypto.subtle.exportKey('jwk', enc.privateKey)), kid: encKid, alg: encAlg, use: 'enc' };
  delete encPrivate.key_ops;
  delete encPrivate.ext;
  await writeFile(join(dir, 'client-enc.jwk.json'), JSON.stringify(encPrivate), { mode: 0o600 });
}

// TOML literal strings ('...') take the JSON as it is: it has no single quote.
const fields = Object.entries(registration)
  .map(([name, value]) => `${name} = "${value}"\n`)
  .join('');
const toml = `# Written by interop/setup-clients.mjs for one interop run (${profile}).
[[client]]
client_id = "${CLIENT.id}"
name = "${CLIENT.name}"
redirect_uris = ["${CLIENT.redirectUri}"]
auth = "private_key_jwt"
jwks = '${JSON.stringify({ keys })}'
scopes = ${JSON.stringify(CLIENT.scopes)}
${fields}`;
await writeFile(join(dir, 'clients.toml'), toml);
console.log(
  `client ${CLIENT.id} (${profile}): ${sigAlg} key ${kid}${encKid ? `, ${encAlg} key ${encKid}` : ''}, ${join(dir, 'clients.toml')}`,
);
