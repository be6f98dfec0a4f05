// oauth4webapi, a certified FAPI 2.0 client library, unpatched, through the
// whole account-information flow against `fapi serve` (run by .ci/interop
// under each profile it lists):
// discovery, client credentials and the account-access consent, PAR with PKCE
// S256 + private_key_jwt + DPoP (or MTLS), the user's login and approval over
// HTTP, the authorization response (`iss`: F2-ISS), the code, the accounts
// API with the sender-constrained token, and the refresh.
//
// Steps run in order and share the flow's state; a failed step skips the
// rest, so the first failure is the one reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';

import {
  CLIENT,
  PERMISSIONS,
  USER,
  clientCredentials,
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
step('PAR: PKCE S256, private_key_jwt, DPoP, consent_id (F2-PAR, F2-PKCE)', async () => {
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

// F2-ISS: the client checks `iss` (RFC 9207) before it uses the code.
step('authorization response: iss and state checked by oauth4webapi (F2-ISS)', async () => {
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
  flow.tokens = await withDpopNonceRetry(
    ctx,
    'token (authorization_code)',
    () =>
      oauth.authorizationCodeGrantRequest(
        flow.as,
        ctx.client,
        ctx.clientAuth,
        flow.params,
        CLIENT.redirectUri,
        flow.request.codeVerifier,
        ctx.options,
      ),
    (response) => oauth.processAuthorizationCodeResponse(flow.as, ctx.client, response),
  );
  assert.equal(flow.tokens.token_type, ctx.mtls ? 'bearer' : 'dpop');
  const ttl = flow.tokens.expires_in;
  assert.ok(ttl > 0, `expires_in: ${ttl}`);
  if (SHORT_LIFETIMES.has(ctx.profile)) {
    assert.ok(ttl >= 120 && ttl <= 600, `CDR-AT-TTL: ${ttl}`);
  }
  assert.ok(flow.tokens.refresh_token, 'a refresh token');
});

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
});

// F2-RT-NO-ROTATE: the refresh gives a new access token and no new refresh
// token (or the same one).
step('token: refresh token grant (F2-RT-NO-ROTATE)', async () => {
  const refreshed = await withDpopNonceRetry(
    ctx,
    'token (refresh_token)',
    () => oauth.refreshTokenGrantRequest(flow.as, ctx.client, ctx.clientAuth, flow.tokens.refresh_token, ctx.options),
    (response) => oauth.processRefreshTokenResponse(flow.as, ctx.client, response),
  );
  assert.notEqual(refreshed.access_token, flow.tokens.access_token);
  if (refreshed.refresh_token !== undefined) {
    assert.equal(refreshed.refresh_token, flow.tokens.refresh_token, 'not rotated');
  }
  const accounts = await resourceRequest(ctx, refreshed.access_token, 'GET', '/open-banking/v3.1/aisp/accounts');
  assert.equal(accounts.status, 200, await accounts.text());
  flow.refreshedAccessToken = refreshed.access_token;
});

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
