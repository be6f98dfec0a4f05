// oauth4webapi, a certified FAPI 2.0 client library, unpatched, through the
// whole account-information flow against `fapi serve` (run by .ci/interop
// under each profile it lists):
// discovery, client credentials and the account-access consent, PAR with PKCE
// S256 + private_key_jwt + DPoP (or MTLS), the user's login and approval over
// HTTP, the authorization response (`iss`: F2-ISS), the code, the accounts
// API with the sender-constrained token, and the refresh.
//
// Under fapi2-ms, cdr and ofb the client asks for what FAPI 2.0 Message
// Signing and the OpenID Connect sets add: the PAR request is a signed
// request object (Message Signing §5.3) with `response_mode=jwt` and a
// nonce; the authorization response is a JWT (JARM, Message Signing §5.4)
// checked by oauth4webapi's `validateJwtAuthResponse`; the code grant must
// return an ID token with that nonce; introspection answers a signed JWT
// (RFC 9701). Under cdr the ID token and under ofb the authorization
// response come encrypted to the client's key: jose decrypts them (held to
// CDR-ALG and OFB-ALG), oauth4webapi checks the nested JWT, and jose
// verifies it again against the AS's keys.
//
// Steps run in order and share the flow's state; a failed step skips the
// rest, so the first failure is the one reported.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';

import {
  CLIENT,
  PERMISSIONS,
  USER,
  asJwks,
  authorizationResponse,
  clientCredentials,
  codeGrant,
  createAccountAccessConsent,
  discover,
  loadContext,
  pushAuthorizationRequest,
  resourceRequest,
  withDpopNonceRetry,
} from './fapi-client.mjs';
import { BrowserSession, findForm, visibleText } from './html-form.mjs';

const ctx = await loadContext();
// The profiles with the CDR's lifetimes (CDR-AT-TTL, CDR-PAR-TTL).
const SHORT_LIFETIMES = new Set(['fapi2-plus', 'cdr']);
// The error RFC 9126 §2.3 / RFC 9101 §6.3 give an AS that requires signed request objects.
const CDR_UNSIGNED_PAR_ERROR = 'invalid_request';
// CDR-ALG: signatures PS256 or ES256; encryption RSA-OAEP or RSA-OAEP-256
// with AES-128 or AES-256 (the CDS list the GCM and CBC-HMAC forms).
const CDR_ALG = Object.freeze({
  sig: ['PS256', 'ES256'],
  alg: ['RSA-OAEP', 'RSA-OAEP-256'],
  enc: ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'],
});
// OFB-ALG: signatures PS256 only; encryption RSA-OAEP with AES-256 (A256GCM).
const OFB_ALG = Object.freeze({ sig: ['PS256'], alg: ['RSA-OAEP'], enc: ['A256GCM'] });
// The rule of the run's algorithms: CDR-ALG, OFB-ALG, or FAPI 2.0 (F2-ALG).
const ALG_RULE = { cdr: ['CDR-ALG', CDR_ALG], ofb: ['OFB-ALG', OFB_ALG], obie: ['OB-ALG', { sig: ['PS256'] }] }[ctx.profile] ?? [
  'F2-ALG',
  { sig: ['PS256', 'ES256', 'EdDSA', 'Ed25519'] },
];
// The CDR's `acr` values (CDS: urn:cds.au:cdr:2 or urn:cds.au:cdr:3).
const CDR_ACR = ['urn:cds.au:cdr:2', 'urn:cds.au:cdr:3'];
const jwsAlg = ctx.registration.id_token_signed_response_alg;
const flow = {};
let failed = false;

function step(name, fn) {
  test(`[${ctx.profile}] ${name}`, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

before(() => {
  console.log(`# issuer ${ctx.issuer}, profile ${ctx.profile}, ${ctx.mtls ? 'MTLS' : 'DPoP'}-bound tokens`);
});
after(async () => {
  if (ctx.nonceChallenges.length) {
    console.log(`# DPoP nonce challenges answered: ${ctx.nonceChallenges.join(', ')}`);
  }
  await ctx.close();
});

// F2-METADATA: RFC 8414 metadata at both well-known addresses, with the
// issuer oauth4webapi expects.
step('discovery: RFC 8414 and OpenID metadata (F2-METADATA)', async () => {
  const as = await discover(ctx, 'oauth2');
  const oidc = await discover(ctx, 'oidc');
  assert.deepEqual(oidc, as, 'both well-known documents are the same metadata');
  assert.equal(as.issuer, ctx.issuer);
  assert.equal(as.require_pushed_authorization_requests, true, 'F2-PAR');
  assert.equal(as.authorization_response_iss_parameter_supported, true, 'F2-ISS');
  assert.deepEqual(as.code_challenge_methods_supported, ['S256'], 'F2-PKCE');
  assert.deepEqual(as.response_types_supported, ['code'], 'F2-FLOWS');
  assert.ok(as.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  if (ctx.mtls) {
    assert.equal(as.tls_client_certificate_bound_access_tokens, true, 'CDR-HOK / OB-SENDER');
  } else {
    assert.ok(as.dpop_signing_alg_values_supported.includes('ES256'), 'F2-SENDER: DPoP ES256');
  }
  flow.as = as;
});

if (ctx.jarm) {
  // What the client is about to ask for is in the metadata, within the
  // profile's algorithms.
  step(`discovery: JARM, ID token and RFC 9701 members (JARM §3, OIDC Discovery §3, RFC 9701 §7, ${ALG_RULE[0]})`, async () => {
    const { as } = flow;
    const [rule, allowed] = ALG_RULE;
    assert.ok(as.response_modes_supported?.includes('jwt'), `JARM §3 / FAPI 2.0 Message Signing §5.4: response_modes_supported ${as.response_modes_supported}`);
    for (const [member, registered] of [
      ['authorization_signing_alg_values_supported', 'authorization_signed_response_alg'],
      ['id_token_signing_alg_values_supported', 'id_token_signed_response_alg'],
      ['introspection_signing_alg_values_supported', 'introspection_signed_response_alg'],
    ]) {
      const values = as[member];
      assert.ok(Array.isArray(values) && values.includes(ctx.registration[registered]), `${member}: ${values}`);
      for (const alg of values) {
        assert.ok(allowed.sig.includes(alg), `${rule}: ${member} lists ${alg}`);
      }
    }
    if (ctx.encAlg !== undefined) {
      const kind = ctx.registration.id_token_encrypted_response_alg ? 'id_token' : 'authorization';
      const algs = as[`${kind}_encryption_alg_values_supported`];
      const encs = as[`${kind}_encryption_enc_values_supported`];
      assert.ok(algs?.includes(ctx.encAlg), `${rule}: ${kind}_encryption_alg_values_supported ${algs}`);
      assert.ok(encs?.includes(ctx.registration[`${kind}_encrypted_response_enc`]), `${rule}: ${kind}_encryption_enc_values_supported ${encs}`);
      for (const alg of algs) {
        assert.ok(allowed.alg.includes(alg), `${rule}: ${kind}_encryption_alg_values_supported lists ${alg}`);
      }
      for (const enc of encs) {
        assert.ok(allowed.enc.includes(enc), `${rule}: ${kind}_encryption_enc_values_supported lists ${enc}`);
      }
    }
    flow.jwks = await asJwks(ctx, as);
  });
}

step('client credentials token and account-access consent (UK OB v3.1)', async () => {
  const token = await clientCredentials(ctx, flow.as, 'accounts');
  assert.equal(token.token_type, ctx.mtls ? 'bearer' : 'dpop');
  assert.ok(token.expires_in > 0, 'expires_in');
  const response = await createAccountAccessConsent(ctx, token.access_token);
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  assert.equal(body.Data.Status, 'AwaitingAuthorisation');
  assert.deepEqual([...body.Data.Permissions].sort(), [...PERMISSIONS].sort());
  assert.ok(body.Data.ConsentId);
  flow.consentId = body.Data.ConsentId;

  // A token without the user's approval reads no account data.
  // The answer is a Response (403) or, with a WWW-Authenticate challenge,
  // oauth4webapi's WWWAuthenticateChallengeError (401); both have `status`.
  const refused = await resourceRequest(ctx, token.access_token, 'GET', '/open-banking/v3.1/aisp/accounts').catch(
    (err) => err,
  );
  const { status } = refused;
  assert.ok(status === 401 || status === 403, `accounts with a client credentials token: ${status}`);
});

// F2-PAR, F2-PKCE, F2-CLIENT-AUTH, F2-SENDER (the code bound to the DPoP key
// of the PAR request, RFC 9449 §10.1).
step(`PAR: PKCE S256, private_key_jwt, ${ctx.mtls ? 'MTLS' : 'DPoP'}, ${ctx.signedRequest ? 'a signed request object, ' : ''}consent_id (F2-PAR, F2-PKCE)`, async () => {
  flow.request = await pushAuthorizationRequest(ctx, flow.as, {
    scope: 'openid accounts',
    consentId: flow.consentId,
  });
  assert.match(flow.request.pushed.request_uri, /^urn:ietf:params:oauth:request_uri:/);
  const ttl = flow.request.pushed.expires_in;
  assert.ok(ttl > 0 && ttl < 600, `F2-PAR-TTL: ${ttl}`);
  if (SHORT_LIFETIMES.has(ctx.profile)) {
    assert.ok(ttl >= 10 && ttl <= 90, `CDR-PAR-TTL: ${ttl}`);
  }
  if (ctx.profile === 'ofb') {
    assert.ok(ttl >= 60, `OFB-PAR-TTL: ${ttl}`);
  }
});

// F2-AS-INFO: the user sees the client and what it asks for before approving.
step('the user logs in and approves the consent (F2-AS-INFO)', async () => {
  const browser = new BrowserSession(ctx.browserFetch, ctx.issuer);
  const loginPage = await browser.get(flow.request.authorizationUrl.href);
  const loginHtml = await loginPage.text();
  assert.equal(loginPage.status, 200, loginHtml);
  const login = findForm(loginHtml, '/authorize/login');
  assert.equal(login.method, 'post');
  assert.ok(login.fields.txn && login.fields.csrf, 'hidden txn and csrf');

  const wrong = await browser.post('/authorize/login', { ...login.fields, username: USER.username, password: 'not-the-password' });
  const wrongHtml = await wrong.text();
  assert.equal(wrong.status, 401, 'a wrong password is refused');
  const retry = findForm(wrongHtml, '/authorize/login');

  const consentPage = await browser.post('/authorize/login', {
    ...retry.fields,
    username: USER.username,
    password: USER.password,
  });
  const consentHtml = await consentPage.text();
  assert.equal(consentPage.status, 200, consentHtml);
  const text = visibleText(consentHtml);
  assert.ok(text.includes(CLIENT.name), `the consent page names the client: ${text}`);
  assert.ok(text.includes('accounts'), 'the consent page shows the scope');
  for (const permission of PERMISSIONS) {
    assert.ok(text.includes(permission), `the consent page shows ${permission}`);
  }
  const consent = findForm(consentHtml, '/authorize/consent');
  assert.deepEqual(
    consent.buttons.filter((b) => b.name === 'decision').map((b) => b.value).sort(),
    ['approve', 'deny'],
  );
  const approved = await browser.post('/authorize/consent', { ...consent.fields, decision: 'approve' });
  assert.equal(approved.status, 303);
  flow.callback = new URL(approved.headers.get('location'));
  assert.equal(`${flow.callback.origin}${flow.callback.pathname}`, CLIENT.redirectUri);
});

if (ctx.jarm) {
  // JARM §4.1 (`jwt` with the code flow is `query.jwt`): the redirect carries
  // one parameter, `response`, and the code, state and iss only inside it
  // (FAPI 2.0 Message Signing §5.4).
  step(`authorization response: JARM checked by oauth4webapi validateJwtAuthResponse (FAPI 2.0 Message Signing §5.4, JARM §4.4)`, async (t) => {
    const { callback } = flow;
    const response = callback.searchParams.get('response');
    assert.ok(response, `JARM §4.1: a response parameter in ${callback.search}`);
    assert.deepEqual([...callback.searchParams.keys()], ['response'], 'JARM §4.1: the code travels only in the JWT');
    if (ctx.profile === 'ofb') {
      // OFB-ALG: the registered encryption, RSA-OAEP with A256GCM; the
      // five-part compact JWE of RFC 7516 §7.1, a nested JWT (`cty`).
      assert.equal(response.split('.').length, 5, 'OFB-ALG: the registered encryption (a compact JWE)');
      const header = jose.decodeProtectedHeader(response);
      assert.equal(header.alg, 'RSA-OAEP', 'OFB-ALG: RSA-OAEP');
      assert.equal(header.enc, 'A256GCM', 'OFB-ALG: AES-256 (A256GCM)');
      assert.equal(header.cty?.toUpperCase(), 'JWT', 'RFC 7519 §5.2: cty JWT for a nested JWT');
      assert.equal(header.kid, ctx.encKid, "RFC 7516 §4.1.6: the kid of the client's enc key");
    } else {
      assert.equal(response.split('.').length, 3, 'a signed JWT (JWS compact)');
    }
    flow.params = await authorizationResponse(ctx, flow.as, callback, flow.request.state);
    assert.ok(flow.params.get('code'), 'JARM §2.1: the code inside the JWT');
    assert.equal(flow.params.get('iss'), ctx.issuer, 'F2-ISS: iss inside the JWT');

    // jose, on its own: decrypt (the profile's algorithms only) and verify
    // the signature against the AS's keys, with iss, aud and exp.
    const jws = ctx.profile === 'ofb' ? await ctx.decryptJwe(response) : response;
    const { payload, protectedHeader } = await jose.jwtVerify(jws, flow.jwks, {
      issuer: ctx.issuer,
      audience: CLIENT.id,
      algorithms: [ctx.registration.authorization_signed_response_alg],
      requiredClaims: ['exp'],
    });
    assert.ok(ALG_RULE[1].sig.includes(protectedHeader.alg), `${ALG_RULE[0]}: JARM signed ${protectedHeader.alg}`);
    assert.equal(payload.state, flow.request.state, 'JARM §2.1: state');
    assert.equal(payload.code, flow.params.get('code'), 'JARM §2.1: code');
    assert.ok(payload.exp - Math.floor(Date.now() / 1000) <= 600, `JARM §2.1: exp at most 10 minutes ahead (${payload.exp})`);
    t.diagnostic(`JARM: ${JSON.stringify(jose.decodeProtectedHeader(response))}${jws === response ? '' : ` around ${JSON.stringify(protectedHeader)}`}`);

    // Stripped to a plain query, the same code is refused by the client.
    const plain = new URL(CLIENT.redirectUri);
    for (const name of ['code', 'state', 'iss']) {
      plain.searchParams.set(name, flow.params.get(name));
    }
    await assert.rejects(
      authorizationResponse(ctx, flow.as, plain, flow.request.state),
      { message: '"parameters" does not contain a JARM response' },
      'JARM §4.4: a plain response where jwt was asked for',
    );
    // Tampered: a flipped byte in the signature (or the JWE's tag).
    const tampered = new URL(callback);
    const flipped = response.at(-2) === 'A' ? 'B' : 'A';
    tampered.searchParams.set('response', `${response.slice(0, -2)}${flipped}${response.at(-1)}`);
    await assert.rejects(authorizationResponse(ctx, flow.as, tampered, flow.request.state), (err) => {
      if (ctx.profile === 'ofb') {
        assert.ok(err instanceof jose.errors.JWEDecryptionFailed, `RFC 7516 §5.2: ${err}`);
      } else {
        assert.equal(err.message, 'JWT signature verification failed', String(err));
      }
      return true;
    });
  });
}

// F2-ISS: the client checks `iss` (RFC 9207) before it uses the code.
if (!ctx.jarm) step('authorization response: iss and state checked by oauth4webapi (F2-ISS)', async () => {
  flow.params = oauth.validateAuthResponse(flow.as, ctx.client, flow.callback, flow.request.state);
  assert.ok(flow.params.get('code'));
  assert.equal(flow.callback.searchParams.get('iss'), ctx.issuer);

  // The same response claiming another issuer (a mix-up, A1) is refused.
  const mixedUp = new URL(flow.callback);
  mixedUp.searchParams.set('iss', 'https://attacker.example');
  assert.throws(() => oauth.validateAuthResponse(flow.as, ctx.client, mixedUp, flow.request.state), {
    message: 'unexpected "iss" (issuer) response parameter value',
  });
});

// F2-SENDER: the tokens are bound to the DPoP key (cnf.jkt) or the client
// certificate (cnf.x5t#S256); F2-PKCE: the verifier is checked.
step('token: authorization code grant (F2-PKCE, F2-SENDER)', async () => {
  const { tokens, idToken } = await codeGrant(ctx, flow.as, flow.params, flow.request);
  flow.tokens = tokens;
  flow.idToken = idToken;
  assert.equal(flow.tokens.token_type, ctx.mtls ? 'bearer' : 'dpop');
  const ttl = flow.tokens.expires_in;
  assert.ok(ttl > 0, `expires_in: ${ttl}`);
  if (SHORT_LIFETIMES.has(ctx.profile)) {
    assert.ok(ttl >= 120 && ttl <= 600, `CDR-AT-TTL: ${ttl}`);
  }
  if (ctx.profile === 'ofb') {
    assert.ok(ttl >= 300 && ttl <= 900, `OFB-AT-TTL: ${ttl}`);
  }
  assert.ok(flow.tokens.refresh_token, 'a refresh token');
});

if (ctx.jarm) {
  // oauth4webapi required the ID token, checked iss, aud, exp, iat, sub and
  // the nonce (`requireIdToken`, `expectedNonce`: OpenID Connect Core
  // §3.1.3.7), after jose decrypted it where the client registered
  // encryption, and verified its signature against the AS's keys
  // (`validateApplicationLevelSignature`). Here: the claims the sets add,
  // and jose's own verification.
  step(`ID token: nonce, auth_time, at_hash, signature (OpenID Connect Core §3.1.3.7, §3.3.2.11, ${ALG_RULE[0]})`, async (t) => {
    const claims = oauth.getValidatedIdTokenClaims(flow.tokens);
    assert.equal(claims.nonce, flow.request.nonce, 'OpenID Connect Core §3.1.3.7 (11): nonce');
    assert.equal(claims.aud === CLIENT.id || claims.aud.includes(CLIENT.id), true, 'OpenID Connect Core §3.1.3.7 (3): aud');
    assert.equal(typeof claims.auth_time, 'number', 'OpenID Connect Core §2: auth_time (the user signed in)');
    assert.ok(claims.auth_time <= Math.floor(Date.now() / 1000) + 5, 'OpenID Connect Core §2: auth_time not in the future');
    // at_hash: the left half of the hash the JWS algorithm uses (SHA-256 for
    // ES256 and PS256), of the access token's ASCII octets.
    const digest = createHash('sha256').update(flow.tokens.access_token, 'ascii').digest();
    assert.equal(claims.at_hash, digest.subarray(0, 16).toString('base64url'), 'OpenID Connect Core §3.3.2.11: at_hash');
    if (ctx.profile === 'cdr') {
      assert.ok(CDR_ACR.includes(claims.acr), `CDS: acr urn:cds.au:cdr:2 or :3, got ${claims.acr}`);
    }
    if (ctx.profile === 'obie') {
      assert.equal(claims.openbanking_intent_id, flow.consentId, 'OB-INTENT: openbanking_intent_id is the consent');
    }

    let jws = flow.idToken;
    if (ctx.registration.id_token_encrypted_response_alg) {
      // CDR-ALG: encrypted as registered, RSA-OAEP-256 with A256GCM, to the
      // client's enc key; a nested JWT (RFC 7519 §5.2: cty JWT).
      assert.equal(jws.split('.').length, 5, 'CDR-ALG: the registered ID-token encryption (a compact JWE)');
      const header = jose.decodeProtectedHeader(jws);
      assert.equal(header.alg, ctx.registration.id_token_encrypted_response_alg, `CDR-ALG: alg ${header.alg}`);
      assert.equal(header.enc, ctx.registration.id_token_encrypted_response_enc, `CDR-ALG: enc ${header.enc}`);
      assert.ok(CDR_ALG.alg.includes(header.alg) && CDR_ALG.enc.includes(header.enc), 'CDR-ALG');
      assert.equal(header.cty?.toUpperCase(), 'JWT', 'RFC 7519 §5.2: cty JWT for a nested JWT');
      assert.equal(header.kid, ctx.encKid, "RFC 7516 §4.1.6: the kid of the client's enc key");
      assert.ok(ctx.decrypted.some((h) => h.alg === header.alg && h.enc === header.enc), 'oauth4webapi had jose decrypt it (jweDecrypt)');
      jws = await ctx.decryptJwe(jws);
    } else {
      // OFB Security Profile §5.2.2.1: the token endpoint's ID token is not encrypted.
      assert.equal(jws.split('.').length, 3, 'a signed, unencrypted ID token');
    }
    const { payload, protectedHeader } = await jose.jwtVerify(jws, flow.jwks, {
      issuer: ctx.issuer,
      audience: CLIENT.id,
      algorithms: [jwsAlg],
      requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
    });
    assert.ok(ALG_RULE[1].sig.includes(protectedHeader.alg), `${ALG_RULE[0]}: ID token signed ${protectedHeader.alg}`);
    assert.equal(payload.nonce, flow.request.nonce, 'OpenID Connect Core §3.1.3.7 (11): nonce (jose)');
    assert.deepEqual(payload, claims, 'jose reads the claims oauth4webapi checked');
    t.diagnostic(`ID token: ${JSON.stringify(jose.decodeProtectedHeader(flow.idToken))}${jws === flow.idToken ? '' : ` around ${JSON.stringify(protectedHeader)}`}`);
  });
}

step('resource server: accounts and balances with the bound token', async () => {
  const accounts = await resourceRequest(ctx, flow.tokens.access_token, 'GET', '/open-banking/v3.1/aisp/accounts');
  const body = await accounts.json();
  assert.equal(accounts.status, 200, JSON.stringify(body));
  assert.ok(Array.isArray(body.Data.Account) && body.Data.Account.length > 0, JSON.stringify(body));
  assert.ok(body.Links.Self);
  const accountId = body.Data.Account[0].AccountId;
  const balances = await resourceRequest(
    ctx,
    flow.tokens.access_token,
    'GET',
    `/open-banking/v3.1/aisp/accounts/${encodeURIComponent(accountId)}/balances`,
  );
  const balancesBody = await balances.json();
  assert.equal(balances.status, 200, JSON.stringify(balancesBody));
  assert.ok(Array.isArray(balancesBody.Data.Balance));
  flow.accountId = accountId;
  if (ctx.messageSigner !== undefined) {
    // FAPI 2.0 HTTP Signatures: both requests went out signed by the npm
    // http-message-signatures, and both answers' signatures verified.
    const signed = ctx.verifiedResponses.filter((r) => r.includes('/aisp/accounts'));
    assert.ok(signed.length >= 2, JSON.stringify(ctx.verifiedResponses));
    console.log(`# ${ctx.profile}: signed resource responses verified: ${ctx.verifiedResponses.length}`);
  }
});

// F2-RT-NO-ROTATE: the refresh gives a new access token and no new refresh
// token (or the same one).
step('token: refresh token grant (F2-RT-NO-ROTATE)', async () => {
  const refreshed = await withDpopNonceRetry(
    ctx,
    'token (refresh_token)',
    () => oauth.refreshTokenGrantRequest(flow.as, ctx.client, ctx.clientAuth, flow.tokens.refresh_token, ctx.options),
    (response) => oauth.processRefreshTokenResponse(flow.as, ctx.client, response, ctx.decryptOptions),
  );
  assert.notEqual(refreshed.access_token, flow.tokens.access_token);
  if (refreshed.refresh_token !== undefined) {
    assert.equal(refreshed.refresh_token, flow.tokens.refresh_token, 'not rotated');
  }
  const accounts = await resourceRequest(ctx, refreshed.access_token, 'GET', '/open-banking/v3.1/aisp/accounts');
  assert.equal(accounts.status, 200, await accounts.text());
  flow.refreshedAccessToken = refreshed.access_token;
});

if (ctx.jarm) {
  // RFC 9701 §4-5 (FAPI 2.0 Message Signing §5.6): asked for with
  // `Accept: application/token-introspection+jwt`, the answer is a JWT of
  // that type; oauth4webapi's processIntrospectionResponse checks typ, iss,
  // aud (the client) and iat and reads `token_introspection`;
  // validateApplicationLevelSignature verifies it against the AS's keys.
  step('introspection: a signed response (RFC 9701, FAPI 2.0 Message Signing §5.6)', async (t) => {
    const response = await oauth.introspectionRequest(flow.as, ctx.client, ctx.clientAuth, flow.tokens.refresh_token, {
      ...ctx.options,
      requestJwtResponse: true,
    });
    const raw = await response.clone().text();
    assert.equal(response.status, 200, raw);
    assert.equal(oauth.getContentType(response), 'application/token-introspection+jwt', 'RFC 9701 §5: Content-Type');
    const introspection = await oauth.processIntrospectionResponse(flow.as, ctx.client, response, ctx.decryptOptions);
    await oauth.validateApplicationLevelSignature(flow.as, response, ctx.options);
    assert.equal(introspection.active, true, 'RFC 7662 §2.2: active');
    assert.equal(introspection.client_id ?? CLIENT.id, CLIENT.id, 'RFC 7662 §2.2: client_id');
    if (ctx.profile === 'cdr') {
      assert.equal(introspection.username, undefined, 'CDR-INTROSPECT: no username');
    }

    const { payload, protectedHeader } = await jose.jwtVerify(raw, flow.jwks, {
      issuer: ctx.issuer,
      audience: CLIENT.id,
      typ: 'token-introspection+jwt',
      algorithms: [ctx.registration.introspection_signed_response_alg],
      requiredClaims: ['iat'],
    });
    assert.ok(ALG_RULE[1].sig.includes(protectedHeader.alg), `${ALG_RULE[0]}: introspection signed ${protectedHeader.alg}`);
    assert.deepEqual(payload.token_introspection, introspection, 'RFC 9701 §5: the token_introspection claim');
    t.diagnostic(`introspection: ${JSON.stringify(protectedHeader)}`);
  });
}

step('introspection of the refresh token, then revocation (RFC 7662, RFC 7009)', async () => {
  const introspected = await oauth.processIntrospectionResponse(
    flow.as,
    ctx.client,
    await oauth.introspectionRequest(flow.as, ctx.client, ctx.clientAuth, flow.tokens.refresh_token, ctx.options),
  );
  assert.equal(introspected.active, true);
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(flow.as, ctx.client, ctx.clientAuth, flow.tokens.refresh_token, ctx.options),
  );
  const after = await oauth.processIntrospectionResponse(
    flow.as,
    ctx.client,
    await oauth.introspectionRequest(flow.as, ctx.client, ctx.clientAuth, flow.tokens.refresh_token, ctx.options),
  );
  assert.equal(after.active, false, 'revoked');
});

// F2-CODE-ONCE: the code is spent. RFC 6749 §4.1.2, RFC 9700 §4.5: presented
// again, it is refused and the tokens of its first redemption are revoked:
// the access tokens are refused at the resource server.
step('token: the same code again is invalid_grant, and its tokens are revoked (F2-CODE-ONCE, RFC 6749 §4.1.2)', async () => {
  const response = await oauth.authorizationCodeGrantRequest(
    flow.as,
    ctx.client,
    ctx.clientAuth,
    flow.params,
    CLIENT.redirectUri,
    flow.request.codeVerifier,
    ctx.options,
  );
  await assert.rejects(oauth.processAuthorizationCodeResponse(flow.as, ctx.client, response), (err) => {
    assert.ok(err instanceof oauth.ResponseBodyError, String(err));
    assert.equal(err.error, 'invalid_grant');
    return true;
  });
  for (const token of [flow.tokens.access_token, flow.refreshedAccessToken]) {
    await assert.rejects(resourceRequest(ctx, token, 'GET', '/open-banking/v3.1/aisp/accounts'), (err) => {
      assert.ok(err instanceof oauth.WWWAuthenticateChallengeError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.cause[0].parameters.error, 'invalid_token');
      return true;
    });
  }
});

// CDR-PAR / CDR-REQ-TTL: under the CDR the authorization request travels only
// as a signed request object; the same parameters as plain PAR form fields are
// refused.
if (ctx.profile === 'cdr') {
  step('cdr: PAR without a signed request object is refused (CDR-PAR)', async () => {
    // A fresh consent awaiting authorisation: the refusal is for the form.
    const token = await clientCredentials(ctx, flow.as, 'accounts');
    const created = await createAccountAccessConsent(ctx, token.access_token);
    const consentId = (await created.json()).Data.ConsentId;
    await assert.rejects(
      pushAuthorizationRequest(ctx, flow.as, { scope: 'openid accounts', consentId, signed: false }),
      (err) => {
        assert.ok(err instanceof oauth.ResponseBodyError, String(err));
        console.log(`# cdr: unsigned PAR refused: ${err.status} ${err.error} (${err.error_description})`);
        assert.equal(err.error, CDR_UNSIGNED_PAR_ERROR);
        assert.match(err.error_description ?? '', /signed_request_required/, 'refused for the missing request object');
        return true;
      },
    );
  });
}
