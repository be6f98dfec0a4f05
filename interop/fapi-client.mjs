// The fintech side of the interop run: oauth4webapi, as published, set up
// against one `fapi serve` (issuer, dev CA, profile and client key from the
// environment that `.ci/interop` sets).
//
// Nothing here re-implements the protocol: discovery, client assertions,
// PKCE, DPoP proofs, request objects and every response check are
// oauth4webapi's. This module only holds what a client application holds
// (its registration, its keys, its TLS set-up) and the DPoP nonce retry in the
// shape oauth4webapi's documentation gives it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';

/** The client registered by `setup-clients.mjs`. */
export const CLIENT = Object.freeze({
  id: 'fintech-1',
  name: 'Fintech One Ltd',
  redirectUri: 'https://fintech.example/cb',
  scopes: ['openid', 'accounts', 'payments'],
});

/** The CDR sharing duration asked for: 90 days (more than the 28 days of a CDR refresh token). */
export const CDR_SHARING_DURATION = 90 * 24 * 3600;

/** One of the server's default test users. */
export const USER = Object.freeze({ username: 'alice', password: 'alice-password' });

/** The account-access consent the fintech asks the user to approve. */
export const PERMISSIONS = Object.freeze(['ReadAccountsDetail', 'ReadBalances', 'ReadTransactionsDetail']);

// What each profile asks of a client, as `fapi_core::profile` states it:
// MTLS-bound tokens (`sender: MTLS_ONLY`: OB-SENDER, CDR-HOK, BG-MTLS) and
// signed request objects (`signed_request_required`: OB-REQOBJ, CDR-REQ-TTL).
const MTLS_PROFILES = new Set(['obie', 'ofb', 'cdr', 'berlin']);
const SIGNED_REQUEST_PROFILES = new Set(['obie', 'ofb', 'cdr']);

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests through .ci/interop`);
  }
  return value;
}

/**
 * Everything a test needs to talk to the server, read from the environment:
 * FAPI_ISSUER, FAPI_CA (the dev CA PEM), FAPI_PROFILE, FAPI_INTEROP_DIR (the
 * client key written by `setup-clients.mjs`, and under the MTLS profiles the
 * client certificate `client-cert.pem` / `client-key.pem`).
 */
export async function loadContext() {
  const issuer = required('FAPI_ISSUER');
  const profile = process.env.FAPI_PROFILE || 'fapi2';
  const dir = required('FAPI_INTEROP_DIR');
  const ca = await readFile(required('FAPI_CA'), 'utf8');
  const mtls = MTLS_PROFILES.has(profile);

  const jwk = JSON.parse(await readFile(join(dir, 'client.jwk.json'), 'utf8'));
  const signingKey = await crypto.subtle.importKey(
    'jwk',
    jwk,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const privateKey = { key: signingKey, kid: jwk.kid };

  // The client's TLS: the dev CA is the only trust anchor, and under the
  // MTLS profiles the client presents its certificate on every connection
  // to the AS and the RS (RFC 8705 §3: the tokens are bound to it).
  const connect = { ca };
  if (mtls) {
    connect.cert = await readFile(join(dir, 'client-cert.pem'), 'utf8');
    connect.key = await readFile(join(dir, 'client-key.pem'), 'utf8');
  }
  const clientAgent = new Agent({ connect });
  const clientFetch = (url, init) => undiciFetch(url, { ...init, dispatcher: clientAgent });
  // The user's browser: trusts the dev CA, has no client certificate.
  const browserAgent = new Agent({ connect: { ca } });
  const browserFetch = (url, init) => undiciFetch(url, { ...init, dispatcher: browserAgent });

  const client = { client_id: CLIENT.id, use_mtls_endpoint_aliases: mtls };
  // The DPoP key: ES256, or FAPI_DPOP_ALG (`Ed25519`: oauth4webapi then
  // writes the RFC 9864 name in the proofs' `alg`).
  const dpopAlg = process.env.FAPI_DPOP_ALG ?? 'ES256';
  const dpop = mtls
    ? undefined
    : oauth.DPoP(client, await oauth.generateKeyPair(dpopAlg, { extractable: true }));

  return {
    issuer,
    profile,
    mtls,
    signedRequest: SIGNED_REQUEST_PROFILES.has(profile),
    client,
    privateKey,
    clientAuth: oauth.PrivateKeyJwt(privateKey),
    dpop,
    browserFetch,
    /** oauth4webapi options for every client request (TLS, and DPoP when used). */
    options: { [oauth.customFetch]: clientFetch, DPoP: dpop },
    /** Endpoints whose DPoP nonce challenge the client answered. */
    nonceChallenges: [],
    close: async () => {
      await clientAgent.close();
      await browserAgent.close();
    },
  };
}

/** RFC 8414 discovery, with oauth4webapi's issuer check. */
export async function discover(ctx, algorithm = 'oauth2') {
  const expected = new URL(ctx.issuer);
  const response = await oauth.discoveryRequest(expected, { ...ctx.options, algorithm });
  return oauth.processDiscoveryResponse(expected, response);
}

/**
 * A request to the AS, answered again once if the server asks for a DPoP
 * nonce: the pattern of oauth4webapi's documentation (`isDPoPNonceError`,
 * then the same call, which now carries the nonce the DPoP handle cached).
 */
export async function withDpopNonceRetry(ctx, label, send, processResponse) {
  let response = await send();
  try {
    return await processResponse(response);
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) {
      throw err;
    }
    ctx.nonceChallenges.push(label);
    response = await send();
    return processResponse(response);
  }
}

/** The client credentials grant (RFC 6749 §4.4) for `scope`. */
export function clientCredentials(ctx, as, scope) {
  return withDpopNonceRetry(
    ctx,
    'token (client_credentials)',
    () => oauth.clientCredentialsGrantRequest(as, ctx.client, ctx.clientAuth, { scope }, ctx.options),
    (response) => oauth.processClientCredentialsResponse(as, ctx.client, response),
  );
}

/**
 * A call to the resource server with the sender-constrained token: a DPoP
 * proof bound to it (`ath`) or, under MTLS, the client certificate. A DPoP
 * nonce challenge (`WWW-Authenticate: DPoP error="use_dpop_nonce"`) is
 * answered once.
 */
export async function resourceRequest(ctx, accessToken, method, path, body) {
  const url = new URL(`${ctx.issuer}${path}`);
  const headers = new Headers({ accept: 'application/json' });
  if (body !== undefined) {
    headers.set('content-type', 'application/json');
  }
  const init = body === undefined ? null : JSON.stringify(body);
  const send = () => oauth.protectedResourceRequest(accessToken, method, url, headers, init, ctx.options);
  try {
    return await send();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) {
      throw err;
    }
    ctx.nonceChallenges.push(`${method} ${path}`);
    return send();
  }
}

/**
 * PAR (RFC 9126) with PKCE S256, `private_key_jwt`, DPoP (the code is bound
 * to the DPoP key) and, where the profile requires it, a signed request object
 * (RFC 9101) carrying every parameter. Returns what the client keeps for the
 * callback and the authorization URL the user is sent to.
 */
export async function pushAuthorizationRequest(
  ctx,
  as,
  { scope, consentId, sharingDuration = CDR_SHARING_DURATION, signed = ctx.signedRequest },
) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const params = new URLSearchParams({
    response_type: 'code',
    redirect_uri: CLIENT.redirectUri,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  });
  if (consentId !== undefined) {
    params.set('consent_id', consentId);
    // In a signed request object the consent travels the profile's way:
    // `cdr_arrangement_id` (CDR) or the essential `openbanking_intent_id`
    // claim (OB-INTENT) of the `claims` parameter.
    if (ctx.profile === 'cdr') {
      // CDR: the refresh token lives up to `sharing_duration` (0 or absent:
      // no refresh token).
      const claims = { cdr_arrangement_id: consentId };
      if (sharingDuration !== undefined) {
        claims.sharing_duration = sharingDuration;
      }
      params.set('claims', JSON.stringify(claims));
    } else if (ctx.profile === 'obie') {
      params.set(
        'claims',
        JSON.stringify({ id_token: { openbanking_intent_id: { value: consentId, essential: true } } }),
      );
    }
  }
  const pushed = await withDpopNonceRetry(
    ctx,
    'par',
    async () => {
      const form = signed
        ? { request: await oauth.issueRequestObject(as, ctx.client, params, ctx.privateKey) }
        : params;
      return oauth.pushedAuthorizationRequest(as, ctx.client, ctx.clientAuth, form, ctx.options);
    },
    (response) => oauth.processPushedAuthorizationResponse(as, ctx.client, response),
  );
  const authorizationUrl = new URL(as.authorization_endpoint);
  authorizationUrl.searchParams.set('client_id', CLIENT.id);
  authorizationUrl.searchParams.set('request_uri', pushed.request_uri);
  return { pushed, codeVerifier, state, authorizationUrl };
}

/** The account-access consent (UK Open Banking v3.1), created with a client credentials token. */
export async function createAccountAccessConsent(ctx, accessToken) {
  const now = Date.now();
  const day = 24 * 3600 * 1000;
  const response = await resourceRequest(
    ctx,
    accessToken,
    'POST',
    '/open-banking/v3.1/aisp/account-access-consents',
    {
      Data: {
        Permissions: PERMISSIONS,
        ExpirationDateTime: new Date(now + 90 * day).toISOString(),
        TransactionFromDateTime: new Date(now - 365 * day).toISOString(),
        TransactionToDateTime: new Date(now).toISOString(),
      },
      Risk: {},
    },
  );
  return response;
}
