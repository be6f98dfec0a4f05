// The happy flow against oidc-provider-fapi.mjs by a client nobody on this
// project wrote: oauth4webapi, as published. It checks the peer's
// configuration before `fapi probe` is aimed at it (.ci/interop), so that a
// probe FAIL there is about one rule, not a set-up mistake.
//
// Environment (what .ci/interop sets): FAPI_OP_ISSUER, FAPI_OP_DIR (the files
// of oidc-provider-setup.mjs), FAPI_OP_MODE (dpop or mtls), FAPI_OP_RESOURCE
// (the protected resource URL), FAPI_OP_DPOP_NONCE=1 when the provider runs
// with --dpop-nonce (the test then asserts the AS asked for a nonce).
//
// Steps: discovery; PAR with PKCE S256 and private_key_jwt (DPoP-bound under
// dpop: `dpop_jkt` from the proof); the user's login and consent over plain
// HTTP form posts (oidc-provider's devInteractions pages, the form-post
// convention of `fapi probe`); `iss` and `state` checked (RFC 9207); the code
// grant; the resource with the bound token, and refused when the binding is
// missing; the refresh grant (not rotated) and the resource again; the code
// refused a second time.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';

import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';

import { BrowserSession, findForm } from './html-form.mjs';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this test through .ci/interop`);
  }
  return value;
}

const issuer = required('FAPI_OP_ISSUER');
const dir = required('FAPI_OP_DIR');
const mode = required('FAPI_OP_MODE');
const resource = new URL(required('FAPI_OP_RESOURCE'));
const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
const { clients: [registered] } = JSON.parse(await readFile(join(dir, 'clients.json'), 'utf8'));

const jwk = JSON.parse(await readFile(join(dir, `${registered.client_id}.jwk.json`), 'utf8'));
const signingKey = await crypto.subtle.importKey(
  'jwk',
  jwk,
  jwk.kty === 'RSA' ? { name: 'RSA-PSS', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign'],
);
const clientAuth = oauth.PrivateKeyJwt({ key: signingKey, kid: jwk.kid });
// Under mtls the client sends its certificate-bound requests to the
// metadata's mtls_endpoint_aliases (RFC 8705 §5).
const client = { client_id: registered.client_id, use_mtls_endpoint_aliases: mode === 'mtls' };

// The client trusts the test CA only; under mtls it presents its certificate
// on every connection. The user's browser has no certificate.
const connect = { ca };
if (mode === 'mtls') {
  connect.cert = await readFile(join(dir, `${registered.client_id}-cert.pem`), 'utf8');
  connect.key = await readFile(join(dir, `${registered.client_id}-key.pem`), 'utf8');
}
const clientAgent = new Agent({ connect });
const browserAgent = new Agent({ connect: { ca } });
const clientFetch = (url, init) => undiciFetch(url, { ...init, dispatcher: clientAgent });
const browserFetch = (url, init) => undiciFetch(url, { ...init, dispatcher: browserAgent });
after(async () => {
  await clientAgent.close();
  await browserAgent.close();
});

const dpopKeys = mode === 'dpop' ? await oauth.generateKeyPair('ES256') : undefined;
const dpop = dpopKeys && oauth.DPoP(client, dpopKeys);
const options = { [oauth.customFetch]: clientFetch, DPoP: dpop };
const flow = {};
/** Where the AS asked for a DPoP nonce (RFC 9449 §8) and the request was sent again with it. */
const nonceChallenges = [];

/**
 * A request answered again once if the server asks for a DPoP nonce: the
 * pattern of oauth4webapi's documentation (`isDPoPNonceError`, then the
 * same call, which now carries the nonce the DPoP handle cached).
 */
async function withDpopNonceRetry(label, send, processResponse) {
  try {
    return await processResponse(await send());
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) {
      throw err;
    }
    nonceChallenges.push(label);
    return processResponse(await send());
  }
}

test(`discovery: oidc-provider's metadata for FAPI 2.0 (${mode})`, async () => {
  const expected = new URL(issuer);
  const response = await oauth.discoveryRequest(expected, { ...options, algorithm: 'oidc' });
  flow.as = await oauth.processDiscoveryResponse(expected, response);
  assert.equal(flow.as.require_pushed_authorization_requests, true);
  assert.deepEqual(flow.as.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(flow.as.token_endpoint_auth_methods_supported, ['private_key_jwt']);
  assert.equal(flow.as.authorization_response_iss_parameter_supported, true);
  if (mode === 'dpop') {
    assert.ok(flow.as.dpop_signing_alg_values_supported.includes('ES256'));
  } else {
    assert.equal(flow.as.tls_client_certificate_bound_access_tokens, true);
    assert.equal(flow.as.dpop_signing_alg_values_supported, undefined);
    // RFC 8705 §5: the certificate-taking endpoints on their own origin.
    const aliases = flow.as.mtls_endpoint_aliases;
    assert.equal(new URL(aliases.token_endpoint).origin, resource.origin);
    assert.notEqual(resource.origin, issuer);
  }
});

test('PAR is required: a plain authorization request is refused', async () => {
  const url = new URL(flow.as.authorization_endpoint);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', registered.redirect_uri);
  url.searchParams.set('scope', 'openid accounts');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()));
  url.searchParams.set('code_challenge_method', 'S256');
  const response = await browserFetch(url.href, { redirect: 'manual' });
  const location = response.headers.get('location');
  // oidc-provider redirects the error to the client: RFC 6749 §4.1.2.1.
  assert.equal(response.status, 303, await response.text());
  const back = new URL(location);
  assert.equal(back.searchParams.get('error'), 'invalid_request', location);
  assert.equal(back.searchParams.get('iss'), issuer, 'RFC 9207: iss in the error response too');
});

test('PAR with PKCE S256 and private_key_jwt', async () => {
  flow.verifier = oauth.generateRandomCodeVerifier();
  flow.state = oauth.generateRandomState();
  const params = new URLSearchParams({
    response_type: 'code',
    redirect_uri: registered.redirect_uri,
    scope: 'openid accounts',
    state: flow.state,
    code_challenge: await oauth.calculatePKCECodeChallenge(flow.verifier),
    code_challenge_method: 'S256',
  });
  flow.par = await withDpopNonceRetry(
    'PAR',
    () => oauth.pushedAuthorizationRequest(flow.as, client, clientAuth, params, options),
    (response) => oauth.processPushedAuthorizationResponse(flow.as, client, response),
  );
  assert.match(flow.par.request_uri, /^urn:ietf:params:oauth:request_uri:/);
  assert.ok(flow.par.expires_in > 0 && flow.par.expires_in < 600, `FAPI 2.0 §5.3.2.2: request_uri expires_in ${flow.par.expires_in}`);
});

test("the user's login and consent: oidc-provider's devInteractions forms, posted as a browser would", async () => {
  const auth = new URL(flow.as.authorization_endpoint);
  auth.searchParams.set('client_id', client.client_id);
  auth.searchParams.set('request_uri', flow.par.request_uri);
  const browser = new BrowserSession(browserFetch, issuer);
  let response = await browser.get(auth.href);
  const pages = [];
  // Redirects and forms, bounded, until the redirect to the client.
  for (let i = 0; i < 10; i += 1) {
    if (response.status === 302 || response.status === 303) {
      const next = new URL(response.headers.get('location'), issuer);
      if (`${next.origin}${next.pathname}` === registered.redirect_uri) {
        flow.callback = next;
        break;
      }
      response = await browser.get(next.href);
      continue;
    }
    const html = await response.text();
    assert.equal(response.status, 200, html.slice(0, 2000));
    const action = /<form\b[^>]*\baction="([^"]+)"/i.exec(html)?.[1];
    assert.ok(action, `a form on the page:\n${html.slice(0, 2000)}`);
    const form = findForm(html, action);
    assert.equal(form.method, 'post');
    pages.push(form.fields.prompt);
    const fields = { ...form.fields };
    if ('login' in fields) {
      Object.assign(fields, { login: 'alice', password: 'secret' });
    }
    response = await browser.post(new URL(action, issuer).href, fields);
  }
  assert.deepEqual(pages, ['login', 'consent'], 'the login page, then the consent page');
  assert.ok(flow.callback, 'redirected back to the client');
});

test('authorization response: iss and state checked by oauth4webapi (RFC 9207)', () => {
  assert.equal(flow.callback.searchParams.get('iss'), issuer);
  flow.params = oauth.validateAuthResponse(flow.as, client, flow.callback, flow.state);
  const mixedUp = new URL(flow.callback);
  mixedUp.searchParams.set('iss', 'https://attacker.example');
  assert.throws(() => oauth.validateAuthResponse(flow.as, client, mixedUp, flow.state));
});

test(`token: the code grant, an access token for the resource bound by ${mode === 'dpop' ? 'DPoP (cnf.jkt)' : 'the client certificate (cnf.x5t#S256)'}`, async () => {
  flow.tokens = await withDpopNonceRetry(
    'token (authorization_code)',
    () => oauth.authorizationCodeGrantRequest(flow.as, client, clientAuth, flow.params, registered.redirect_uri, flow.verifier, options),
    (response) => oauth.processAuthorizationCodeResponse(flow.as, client, response, { requireIdToken: true }),
  );
  assert.equal(flow.tokens.token_type.toLowerCase(), mode === 'dpop' ? 'dpop' : 'bearer');
  assert.ok(flow.tokens.refresh_token, 'a refresh token');
  const claims = jose.decodeJwt(flow.tokens.access_token);
  assert.equal(jose.decodeProtectedHeader(flow.tokens.access_token).typ, 'at+jwt');
  assert.equal(claims.aud, `${issuer}/api`);
  if (mode === 'dpop') {
    assert.equal(claims.cnf.jkt, await jose.calculateJwkThumbprint(await jose.exportJWK(dpopKeys.publicKey)));
  } else {
    const pem = await readFile(join(dir, `${registered.client_id}-cert.pem`), 'utf8');
    assert.equal(claims.cnf['x5t#S256'], createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url'));
  }
});

test('resource: the bound token is accepted, and refused without its binding', async () => {
  const ok = await oauth.protectedResourceRequest(flow.tokens.access_token, 'GET', resource, new Headers(), null, options);
  const body = await ok.json();
  assert.equal(ok.status, 200, JSON.stringify(body));
  assert.equal(body.client_id, client.client_id);
  assert.equal(body.sub, 'alice');

  // No binding: under dpop the token as a plain bearer token, without a
  // proof (RFC 9449 §7.2); under mtls the token over a connection without
  // the client certificate (RFC 8705 §3.2).
  const bare = await browserFetch(resource.href, { headers: { authorization: `Bearer ${flow.tokens.access_token}` } });
  assert.equal(bare.status, 401, await bare.text());
  assert.match(bare.headers.get('www-authenticate'), /error="invalid_token"/);
});

if (mode === 'mtls') {
  test('token: a refresh without the client certificate (the plain token endpoint) is refused (RFC 8705 §3)', async () => {
    const plain = { ...flow.as, mtls_endpoint_aliases: undefined };
    const response = await oauth.refreshTokenGrantRequest(plain, { client_id: client.client_id }, clientAuth, flow.tokens.refresh_token, {
      [oauth.customFetch]: browserFetch,
    });
    await assert.rejects(oauth.processRefreshTokenResponse(plain, client, response), (err) => {
      assert.equal(err.error, 'invalid_grant', String(err));
      return true;
    });
  });
}

test('token: the refresh grant, not rotated (FAPI 2.0 §5.3.2.1), and the resource with the new token', async () => {
  const refreshed = await withDpopNonceRetry(
    'token (refresh_token)',
    () => oauth.refreshTokenGrantRequest(flow.as, client, clientAuth, flow.tokens.refresh_token, options),
    (response) => oauth.processRefreshTokenResponse(flow.as, client, response),
  );
  assert.notEqual(refreshed.access_token, flow.tokens.access_token);
  if (refreshed.refresh_token !== undefined) {
    assert.equal(refreshed.refresh_token, flow.tokens.refresh_token, 'not rotated');
  }
  const ok = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', resource, new Headers(), null, options);
  assert.equal(ok.status, 200, await ok.text());
});

test('token: the code a second time is refused (invalid_grant)', async () => {
  const response = await oauth.authorizationCodeGrantRequest(
    flow.as, client, clientAuth, flow.params, registered.redirect_uri, flow.verifier, options,
  );
  await assert.rejects(oauth.processAuthorizationCodeResponse(flow.as, client, response), (err) => {
    assert.equal(err.error, 'invalid_grant', String(err));
    return true;
  });
});

if (process.env.FAPI_OP_DPOP_NONCE === '1') {
  test('DPoP nonces: the AS asked for one (use_dpop_nonce) and the proofs carried it (RFC 9449 §8)', () => {
    assert.ok(nonceChallenges.includes('PAR'), JSON.stringify(nonceChallenges));
  });
}
