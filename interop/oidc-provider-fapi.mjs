// oidc-provider (the version of benches/load, an OpenID-certified FAPI 2.0
// authorization server) configured for FAPI 2.0 Security Profile final, with
// a small protected resource beside it: the peer `fapi probe` is checked
// against (interop/README.md, "fapi probe against oidc-provider").
//
//   node oidc-provider-fapi.mjs DIR PORT --mode dpop|mtls
//
// DIR holds what oidc-provider-setup.mjs wrote: clients.json (the two
// clients' ids, redirect URIs and public JWKS), tls-cert.pem / tls-key.pem
// (the server's certificate, issued by DIR/ca.pem). PORT 0 takes a free
// loopback port. Once listening it prints one JSON line
//   {"event":"ready","issuer":...,"mode":...,"mtls_origin":...,"resource":...,"ca":...}
// and logs every refusal (AS and RS) as one JSON line on stderr.
//
// What it is configured to do (FAPI 2.0 Security Profile final, §5):
// - `features.fapi` profile '2.0' (oidc-provider's own FAPI 2.0 rules: PKCE
//   required, `redirect_uri` required, client assertion `aud` the issuer
//   only, request object `exp`/`nbf`);
// - PAR required (RFC 9126 §5 `require_pushed_authorization_requests`);
// - PKCE S256 only (oidc-provider offers no other method), `response_type`
//   `code` only, authorization code and refresh token grants;
// - `private_key_jwt` only, ES256, PS256 or EdDSA (§5.4.1);
// - `iss` in the authorization response (RFC 9207, always on);
// - refresh tokens for every client allowed the grant, not rotated (§5.3.2.1);
// - resource indicators (RFC 8707): the resource ISSUER/api is the default
//   audience, its access tokens are JWTs (RFC 9068, ES256, 5 minutes);
// - `--mode dpop`: DPoP (RFC 9449), tokens bound to the client's DPoP key
//   (`dpop_bound_access_tokens`); no DPoP nonces (RFC 9449 §8 leaves them to
//   the server; FAPI 2.0 does not ask for them);
// - `--mode mtls`: `features.mTLS` with `certificateBoundAccessTokens`
//   (`tls_client_certificate_bound_access_tokens` clients, `cnf.x5t#S256`),
//   the certificate read from the TLS socket; the DPoP feature is off, so the
//   metadata lists no `dpop_signing_alg_values_supported`. As RFC 8705 §5
//   describes, the issuer's port does not ask for client certificates (the
//   user's browser talks to it) and a second port on 127.0.0.1 does
//   (`requestCert`, any certificate accepted at the TLS layer: RFC 8705 §3
//   binds tokens to self-signed ones too); the metadata names it in
//   `mtls_endpoint_aliases` (PAR, token, introspection, revocation,
//   userinfo), and the resource is served there;
// - `devInteractions`: oidc-provider's development login form (`login`,
//   `password`; any login is accepted and the password is not checked) and
//   its consent form.
//
// The protected resource, GET ISSUER/api/accounts, checks what a resource
// server must: the JWT access token (jose `jwtVerify`: signature by the AS
// key, `typ` at+jwt, `iss`, `aud` the resource, `exp`; RFC 9068 §4), its
// scope, and its binding: under DPoP the `DPoP` scheme and one proof
// (RFC 9449 §4.3 and §7: `typ`, algorithm, the embedded public key's
// signature, `htm`, `htu`, `iat` window, `jti` not seen before, `ath`, and
// the key's RFC 7638 thumbprint against `cnf.jkt`); under MTLS the
// certificate of the TLS connection against `cnf.x5t#S256` (RFC 8705 §3.2).
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';

import * as jose from 'jose';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'dpop' },
    'dpop-nonce': { type: 'boolean', default: false },
  },
});
if (positionals.length !== 2 || !['dpop', 'mtls'].includes(values.mode) || !/^\d+$/.test(positionals[1])) {
  console.error('usage: node oidc-provider-fapi.mjs DIR PORT --mode dpop|mtls [--dpop-nonce]');
  process.exit(2);
}
const [dir, portArg] = positionals;
const { mode } = values;
const dpopNonce = values['dpop-nonce'];
if (dpopNonce && mode !== 'dpop') {
  console.error('--dpop-nonce goes with --mode dpop');
  process.exit(2);
}
/** Prints one line and exits 2: a set-up the server cannot start with. */
function fatal(message) {
  console.error(`oidc-provider-fapi.mjs: ${message}`);
  process.exit(2);
}
function read(name) {
  try {
    return fs.readFileSync(path.join(dir, name), 'utf8');
  } catch (err) {
    return fatal(`cannot read ${path.join(dir, name)} (written by oidc-provider-setup.mjs): ${err.message}`);
  }
}

// oidc-provider comes from benches/load (one pin, one lock file for the
// load test's peer and this one): `npm ci` there first.
const providerEntry = new URL('../benches/load/node_modules/oidc-provider/lib/index.js', import.meta.url);
if (!fs.existsSync(providerEntry)) {
  fatal(`oidc-provider is not installed at ${providerEntry.pathname}: run \`npm ci\` in benches/load`);
}
const { default: Provider, errors } = await import(providerEntry.href);
const providerVersion = JSON.parse(fs.readFileSync(new URL('../package.json', providerEntry), 'utf8')).version;

const registration = JSON.parse(read('clients.json'));
const tls = { cert: read('tls-cert.pem'), key: read('tls-key.pem') };
const ca = path.resolve(dir, 'ca.pem');

/** One JSON line on stderr per refusal or failure. */
function log(event, fields) {
  console.error(JSON.stringify({ event, ...fields }));
}

// The TLS server first (PORT 0: the kernel's free port), so that the issuer,
// which names the port, is known before the provider is built.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
/** An HTTPS server on 127.0.0.1:`port` (0: a free port), optionally asking for client certificates. */
async function listen(port, requestCert) {
  const server = https.createServer(
    {
      ...tls,
      // MTLS: ask for a client certificate and let the application decide
      // (certificate-bound tokens accept self-signed certificates, RFC 8705
      // §3; the client authenticates by private_key_jwt, not by it).
      requestCert,
      rejectUnauthorized: false,
    },
    (req, res) => handler(req, res),
  );
  await new Promise((resolve) => {
    server.once('error', (err) => fatal(`cannot listen on 127.0.0.1:${port}: ${err.message}`));
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}
const servers = [await listen(Number(portArg), false)];
if (mode === 'mtls') {
  servers.push(await listen(0, true));
}
const issuer = `https://127.0.0.1:${servers[0].address().port}`;
/** Where clients present their certificate (RFC 8705 §5), under mtls. */
const mtlsOrigin = mode === 'mtls' ? `https://127.0.0.1:${servers[1].address().port}` : undefined;
const resourceAudience = `${issuer}/api`;
const resourceUrl = `${mtlsOrigin ?? issuer}/api/accounts`;
const RESOURCE_SCOPE = 'accounts';
const SIGNING_ALGS = ['ES256', 'PS256', 'EdDSA'];

// The AS signing key: a fresh P-256 key per run.
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const asJwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'as-1' };
const { d: _d, ...asPublicJwk } = asJwk;
const asKeys = jose.createLocalJWKSet({ keys: [asPublicJwk] });

/** The client certificate of the TLS connection, PEM, or undefined. */
function peerCertificate(socket) {
  const cert = socket.getPeerCertificate?.(false);
  if (!cert || !cert.raw) {
    return undefined;
  }
  return `-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
}

const clients = registration.clients.map((c) => ({
  client_id: c.client_id,
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: c.jwks,
  redirect_uris: [c.redirect_uri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: registration.scope,
  id_token_signed_response_alg: 'ES256',
  ...(mode === 'dpop' ? { dpop_bound_access_tokens: true } : { tls_client_certificate_bound_access_tokens: true }),
}));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [asJwk] },
  scopes: ['openid', RESOURCE_SCOPE],
  responseTypes: ['code'],
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  enabledJWA: {
    clientAuthSigningAlgValues: SIGNING_ALGS,
    idTokenSigningAlgValues: ['ES256'],
    dPoPSigningAlgValues: SIGNING_ALGS,
  },
  clientAuthMethods: ['private_key_jwt'],
  discovery: mtlsOrigin
    ? {
        mtls_endpoint_aliases: {
          pushed_authorization_request_endpoint: `${mtlsOrigin}/request`,
          token_endpoint: `${mtlsOrigin}/token`,
          introspection_endpoint: `${mtlsOrigin}/token/introspection`,
          revocation_endpoint: `${mtlsOrigin}/token/revocation`,
          userinfo_endpoint: `${mtlsOrigin}/me`,
        },
      }
    : {},
  // Refresh tokens for every client allowed the grant (not only with
  // `offline_access`), never rotated (FAPI 2.0 Security Profile §5.3.2.1).
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: false,
  features: {
    fapi: { enabled: true, profile: '2.0' },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    devInteractions: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    // --dpop-nonce: every DPoP proof at the AS must carry a nonce it issued
    // (RFC 9449 §8); its time then stands for the proof's creation time.
    dPoP: dpopNonce
      ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true }
      : { enabled: mode === 'dpop' },
    mTLS: {
      enabled: mode === 'mtls',
      certificateBoundAccessTokens: true,
      getCertificate: (ctx) => peerCertificate(ctx.socket),
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resourceAudience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resourceAudience) {
          throw new errors.InvalidTarget(`unknown resource ${indicator}, expected ${resourceAudience}`);
        }
        return {
          scope: RESOURCE_SCOPE,
          audience: resourceAudience,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});

// Every refusal, with oidc-provider's reason.
for (const event of [
  'authorization.error',
  'backchannel.error',
  'discovery.error',
  'grant.error',
  'introspection.error',
  'jwks.error',
  'pushed_authorization_request.error',
  'revocation.error',
  'userinfo.error',
]) {
  provider.on(event, (_ctx, err) =>
    // error_detail: oidc-provider's own reason where the description is generic.
    log(event, { error: err.error ?? err.name, reason: err.error_detail ?? err.error_description ?? err.message }),
  );
}
provider.on('server_error', (_ctx, err) => log('server_error', { error: 'server_error', reason: err.stack }));

// --- The protected resource.

/** Seen DPoP proof `jti`s, with the time they may be forgotten. */
const seenJti = new Map();
/** How far a proof's `iat` may be from now (RFC 9449 §11.1 leaves it to the server). */
const IAT_WINDOW = 60;

class Refusal extends Error {
  constructor(status, scheme, error, description) {
    super(description);
    this.status = status;
    this.scheme = scheme;
    this.error = error;
  }
}

/** The request's URL without query and fragment, as `htu` must name it (RFC 9449 §4.3 item 9). */
function requestHtu(req) {
  // The origin of the port that took the request (not the client's Host header).
  const url = new URL(req.url, `https://127.0.0.1:${req.socket.localPort}`);
  return url.origin + url.pathname;
}

async function verifyDpop(req, token, claims) {
  const proofs = req.headersDistinct.dpop ?? [];
  if (proofs.length !== 1) {
    throw new Refusal(401, 'DPoP', 'invalid_dpop_proof', `expected exactly one DPoP header, got ${proofs.length}`);
  }
  let verified;
  try {
    verified = await jose.jwtVerify(proofs[0], jose.EmbeddedJWK, { typ: 'dpop+jwt', algorithms: SIGNING_ALGS });
  } catch (err) {
    throw new Refusal(401, 'DPoP', 'invalid_dpop_proof', `DPoP proof: ${err.message}`);
  }
  const { payload, protectedHeader } = verified;
  const fail = (why) => {
    throw new Refusal(401, 'DPoP', 'invalid_dpop_proof', why);
  };
  if (typeof payload.jti !== 'string' || !payload.jti) fail('DPoP proof: no jti');
  if (payload.htm !== req.method) fail(`DPoP proof: htm ${payload.htm}, expected ${req.method}`);
  const htu = URL.parse(payload.htu ?? '');
  const expectedHtu = requestHtu(req);
  if (!htu || htu.origin + htu.pathname !== expectedHtu) fail(`DPoP proof: htu ${payload.htu}, expected ${expectedHtu}`);
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > IAT_WINDOW) {
    fail(`DPoP proof: iat ${payload.iat} not within ${IAT_WINDOW} s of ${now}`);
  }
  const ath = crypto.hash('sha256', token, 'base64url');
  if (payload.ath !== ath) fail(`DPoP proof: ath ${payload.ath}, expected ${ath}`);
  const jkt = await jose.calculateJwkThumbprint(protectedHeader.jwk);
  if (claims.cnf?.jkt !== jkt) {
    throw new Refusal(401, 'DPoP', 'invalid_token', `token bound to jkt ${claims.cnf?.jkt}, the proof's key is ${jkt}`);
  }
  for (const [jti, until] of seenJti) {
    if (until < now) seenJti.delete(jti);
  }
  if (seenJti.has(`${jkt}:${payload.jti}`)) fail(`DPoP proof: jti ${payload.jti} replayed`);
  seenJti.set(`${jkt}:${payload.jti}`, now + 2 * IAT_WINDOW);
}

function verifyCertificate(req, claims) {
  const pem = peerCertificate(req.socket);
  if (!pem) {
    throw new Refusal(401, 'Bearer', 'invalid_token', 'no client certificate on the connection (the token is certificate-bound)');
  }
  const thumbprint = crypto.hash('sha256', new crypto.X509Certificate(pem).raw, 'base64url');
  const bound = claims.cnf?.['x5t#S256'];
  if (bound !== thumbprint) {
    throw new Refusal(401, 'Bearer', 'invalid_token', `token bound to x5t#S256 ${bound}, the connection's certificate is ${thumbprint}`);
  }
}

async function resource(req, res) {
  const scheme = mode === 'dpop' ? 'DPoP' : 'Bearer';
  try {
    if (requestHtu(req) !== resourceUrl) {
      throw new Refusal(404, undefined, 'not_found', `no resource at ${requestHtu(req)}`);
    }
    if (req.method !== 'GET') {
      throw new Refusal(405, undefined, 'method_not_allowed', `${req.method}, expected GET`);
    }
    const authorization = req.headers.authorization ?? '';
    const m = /^(\S+) +(\S+)$/.exec(authorization);
    if (!m) {
      // RFC 6750 §3.1: no credentials, no error code.
      throw new Refusal(401, scheme, undefined, 'no access token');
    }
    const [, given, token] = m;
    if (given.toLowerCase() !== scheme.toLowerCase()) {
      // A DPoP-bound token sent as a bearer token, or the reverse (RFC 9449 §7.2).
      throw new Refusal(401, scheme, 'invalid_token', `authorization scheme ${given}, expected ${scheme}`);
    }
    let claims;
    try {
      ({ payload: claims } = await jose.jwtVerify(token, asKeys, {
        issuer,
        audience: resourceAudience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'iat', 'jti', 'client_id'],
      }));
    } catch (err) {
      throw new Refusal(401, scheme, 'invalid_token', `access token: ${err.message}`);
    }
    if (mode === 'dpop') {
      await verifyDpop(req, token, claims);
    } else {
      verifyCertificate(req, claims);
    }
    const scopes = (claims.scope ?? '').split(' ');
    if (!scopes.includes(RESOURCE_SCOPE)) {
      throw new Refusal(403, scheme, 'insufficient_scope', `scope ${claims.scope}, expected ${RESOURCE_SCOPE}`);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ sub: claims.sub, client_id: claims.client_id, accounts: [{ id: 'acc-1', currency: 'EUR' }] }));
  } catch (err) {
    if (!(err instanceof Refusal)) {
      log('resource.server_error', { reason: err.stack });
      res.writeHead(500).end();
      return;
    }
    log('resource.error', { status: err.status, error: err.error, reason: err.message });
    const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (err.scheme) {
      const params = [];
      if (err.error) params.push(`error="${err.error}"`, `error_description="${err.message.replaceAll('"', "'")}"`);
      if (err.scheme === 'DPoP') params.push(`algs="${SIGNING_ALGS.join(' ')}"`);
      headers['www-authenticate'] = `${err.scheme}${params.length ? ` ${params.join(', ')}` : ''}`;
    }
    res.writeHead(err.status, headers);
    res.end(JSON.stringify(err.error ? { error: err.error, error_description: err.message } : {}));
  }
}

const app = provider.callback();
handler = (req, res) => {
  if (req.url === '/api' || req.url.startsWith('/api/') || req.url.startsWith('/api?')) {
    resource(req, res);
  } else {
    app(req, res);
  }
};

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
    process.exit(0);
  });
}
console.log(JSON.stringify({ event: 'ready', issuer, mode, dpop_nonce: dpopNonce, mtls_origin: mtlsOrigin, resource: resourceUrl, ca, oidc_provider: providerVersion }));
