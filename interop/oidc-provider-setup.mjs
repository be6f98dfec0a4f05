// Makes the files of one `fapi probe` run against oidc-provider
// (oidc-provider-fapi.mjs): a test CA and the server's TLS certificate, and
// two registered clients, each with its signing key, its client file for
// `fapi probe` (the TOML of the probe's contract) and a client certificate.
//
//   node oidc-provider-setup.mjs DIR --mode dpop|mtls [--alg ES256|PS256]
//
// writes into DIR:
// - ca.pem, ca-key.pem: the test CA (P-256, one day); `fapi probe --ca`;
// - tls-cert.pem, tls-key.pem: the server's certificate for 127.0.0.1 and
//   localhost, issued by the test CA;
// - c1.jwk.json, c2.jwk.json: the clients' private signing JWKs (WebCrypto,
//   P-256 for ES256 or RSA 2048 for PS256: FAPI 2.0 Security Profile §5.4.1);
// - c1-cert.pem, c1-key.pem, c2-cert.pem, c2-key.pem: client certificates
//   issued by the test CA (CN c1, c2). Under `--mode mtls` they bind the
//   tokens (RFC 8705 §3, `cnf.x5t#S256`); the clients still authenticate by
//   `private_key_jwt`;
// - c1.toml, c2.toml: the client files of `fapi probe --client`; under
//   `--mode mtls` with `tls_cert` and `tls_key`;
// - clients.json: what the provider registers (client_id, redirect_uri,
//   public JWKS), read by oidc-provider-fapi.mjs.
//
// The certificates are made by openssl (Node has no X.509 writer); the keys
// by WebCrypto, as setup-clients.mjs does.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'dpop' },
    alg: { type: 'string', default: 'ES256' },
  },
});
if (positionals.length !== 1 || !['dpop', 'mtls'].includes(values.mode) || !['ES256', 'PS256'].includes(values.alg)) {
  console.error('usage: node oidc-provider-setup.mjs DIR --mode dpop|mtls [--alg ES256|PS256]');
  process.exit(2);
}
const [dir] = positionals;
const { mode, alg } = values;
await mkdir(dir, { recursive: true });

/** The two registered clients: the probe's first and second `--client`. */
const CLIENTS = [
  { id: 'c1', redirectUri: 'https://client-one.example/cb' },
  { id: 'c2', redirectUri: 'https://client-two.example/cb' },
];
/** The scope of the happy flow: an ID token and the resource's scope. */
const SCOPE = 'openid accounts';

function openssl(...args) {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    console.error(`oidc-provider-setup.mjs: openssl ${args.join(' ')}: ${err.stderr?.toString().trim() || err.message}`);
    process.exit(1);
  }
}

// The test CA, then certificates it issues: the server's (127.0.0.1 and
// localhost) and one per client.
openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
  '-subj', '/CN=oidc-provider interop test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem',
  '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
// The extensions of each certificate are written to a file (-extfile).
async function issue(name, subject, ext) {
  await writeFile(join(dir, `${name}.ext`), ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject,
    '-keyout', `${name}-key.pem`, '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial',
    '-days', '1', '-out', `${name}-cert.pem`, '-extfile', `${name}.ext`);
  await rm(join(dir, `${name}.csr`));
  await rm(join(dir, `${name}.ext`));
}
await issue('tls', '/CN=127.0.0.1',
  'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');

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

const registered = [];
for (const client of CLIENTS) {
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    alg === 'PS256' ? { name: 'RSA-PSS', ...RSA } : { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign', 'verify'],
  );
  const pub = publicPart(await crypto.subtle.exportKey('jwk', publicKey));
  const kid = await thumbprint(pub);
  const { key_ops: _ops, ext: _ext, ...priv } = await crypto.subtle.exportKey('jwk', privateKey);
  await writeFile(join(dir, `${client.id}.jwk.json`), JSON.stringify({ ...priv, kid, alg, use: 'sig' }), { mode: 0o600 });

  await issue(client.id, `/CN=${client.id}/O=oidc-provider interop`,
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');

  // TOML basic strings: none of these values holds a quote or a backslash.
  const tls = mode === 'mtls' ? `tls_cert = "${client.id}-cert.pem"\ntls_key = "${client.id}-key.pem"\n` : '';
  await writeFile(
    join(dir, `${client.id}.toml`),
    `# Written by interop/oidc-provider-setup.mjs (--mode ${mode}): a client of oidc-provider-fapi.mjs.
client_id = "${client.id}"
key = "${client.id}.jwk.json"
auth = "private_key_jwt"
redirect_uri = "${client.redirectUri}"
scope = "${SCOPE}"
${tls}`,
  );
  registered.push({ client_id: client.id, redirect_uri: client.redirectUri, jwks: { keys: [{ ...pub, kid, alg, use: 'sig' }] } });
}
await writeFile(join(dir, 'clients.json'), JSON.stringify({ mode, alg, scope: SCOPE, clients: registered }, null, 2));
console.log(`oidc-provider run (${mode}, ${alg}): clients ${CLIENTS.map((c) => c.id).join(', ')}, CA ${join(dir, 'ca.pem')}`);
