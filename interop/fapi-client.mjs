// The fintech side of the interop run: oauth4webapi, as published, set up
// against one `fapi serve` (issuer, dev CA, profile and client key from the
// environment that `.ci/interop` sets).
//
// Nothing here re-implements the protocol: discovery, client assertions,
// PKCE, DPoP proofs, request objects and every response check are
// oauth4webapi's. This module only holds what a client application holds
// (its registration, its keys, its TLS set-up) and the DPoP nonce retry in the
// shape oauth4webapi's documentation gives it.
import { constants, createHash, createPrivateKey, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSigner, createVerifier, httpbis } from 'http-message-signatures';
import * as jose from 'jose';
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
const SIGNED_REQUEST_PROFILES = new Set(['obie', 'ofb', 'cdr', 'fapi2-ms']);
// The profiles whose signatures are PS256 only (OFB-ALG, OB-ALG): the
// client's signing key is RSA there, P-256 (ES256) elsewhere.
export const PS256_PROFILES = new Set(['obie', 'ofb']);
// Where the run asks for what FAPI 2.0 Message Signing and the OpenID
// Connect sets add: `response_mode=jwt` (JARM), a `nonce` and the ID token
// it comes back in, and signed introspection responses (RFC 9701).
// fapi2-ms requires JARM (FAPI 2.0 Message Signing §5.4); the CDS require
// data holders to support it; OFB offers it (FAPI 1.0 Advanced §5.2.2-2).
// obie offers it too (FAPI 1.0 Advanced §5.2.2-2) and puts the consent in
// the ID token (OB-INTENT).
export const JARM_PROFILES = new Set(['fapi2-ms', 'cdr', 'ofb', 'obie']);
// Where resource requests and responses are signed (RFC 9421 with RFC 9530
// Content-Digest, FAPI 2.0 HTTP Signatures; BG-SIGNED-REQ): the profiles
// with `signed_messages_required`. The npm package http-message-signatures
// signs the requests and verifies the bank's responses.
export const SIGNED_MESSAGE_PROFILES = new Set(['fapi2-ms', 'berlin']);

/**
 * What the client registers for its responses, per profile (OpenID Connect
 * Registration §2, JARM §3, RFC 9701 §6). The signing algorithm is the one
 * of the server's default key: PS256 where the profile allows only PS256
 * (OB-ALG, OFB-ALG), ES256 elsewhere. Encryption to the client's `"use":"enc"` RSA
 * key:
 * - cdr: the ID token, RSA-OAEP-256 with A256GCM (CDR-ALG);
 * - ofb: the authorization response (JARM), RSA-OAEP with A256GCM
 *   (OFB-ALG); OFB's security profile §5.2.2.1 wants the token endpoint's
 *   ID token unencrypted, so that is not asked for.
 * Under the other profiles nothing is registered (the flow is as before).
 */
export function responseRegistration(profile) {
  if (!JARM_PROFILES.has(profile)) {
    return {};
  }
  const alg = PS256_PROFILES.has(profile) ? 'PS256' : 'ES256';
  const signed = {
    id_token_signed_response_alg: alg,
    authorization_signed_response_alg: alg,
    introspection_signed_response_alg: alg,
  };
  switch (profile) {
    case 'cdr':
      return { ...signed, id_token_encrypted_response_alg: 'RSA-OAEP-256', id_token_encrypted_response_enc: 'A256GCM' };
    case 'ofb':
      return { ...signed, authorization_encrypted_response_alg: 'RSA-OAEP', authorization_encrypted_response_enc: 'A256GCM' };
    default:
      return signed;
  }
}

/** The registration's JWE key management algorithm, if it asks for encryption (`RSA-OAEP`, `RSA-OAEP-256`). */
export function encryptionAlg(registration) {
  return registration.id_token_encrypted_response_alg ?? registration.authorization_encrypted_response_alg;
}

/** The registration's JWE content encryption algorithm. */
export function encryptionEnc(registration) {
  return registration.id_token_encrypted_response_enc ?? registration.authorization_encrypted_response_enc;
}

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
  // P-256 (ES256) or, under the PS256-only profiles, RSA-PSS with SHA-256
  // (PS256): oauth4webapi names the JWS algorithm after the CryptoKey.
  const signingKey = await crypto.subtle.importKey(
    'jwk',
    jwk,
    jwk.kty === 'RSA' ? { name: 'RSA-PSS', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const privateKey = { key: signingKey, kid: jwk.kid };
  const messageSigner = SIGNED_MESSAGE_PROFILES.has(profile) ? httpSigner(jwk) : undefined;

  // The response algorithms the client registered; oauth4webapi checks the
  // `alg` of each signed response against them (client metadata).
  const registration = responseRegistration(profile);
  // The client's decryption key, when it registered encryption: jose
  // decrypts (compactDecrypt, held to the registered algorithms), oauth4webapi
  // then checks the nested JWT (its `jweDecrypt` option).
  const decrypted = [];
  let decryptOptions = {};
  let decryptJwe;
  let encKid;
  const encAlg = encryptionAlg(registration);
  if (encAlg !== undefined) {
    const encJwk = JSON.parse(await readFile(join(dir, 'client-enc.jwk.json'), 'utf8'));
    encKid = encJwk.kid;
    const decryptionKey = await jose.importJWK(encJwk, encAlg);
    decryptJwe = async (jwe) => {
      const { plaintext, protectedHeader } = await jose.compactDecrypt(jwe, decryptionKey, {
        keyManagementAlgorithms: [encAlg],
        contentEncryptionAlgorithms: [encryptionEnc(registration)],
      });
      decrypted.push(protectedHeader);
      return new TextDecoder().decode(plaintext);
    };
    decryptOptions = { [oauth.jweDecrypt]: decryptJwe };
  }

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
  for (const name of ['id_token_signed_response_alg', 'authorization_signed_response_alg', 'introspection_signed_response_alg']) {
    if (registration[name] !== undefined) {
      client[name] = registration[name];
    }
  }
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
    /** The RFC 9421 signer of resource requests, where the profile signs them. */
    messageSigner,
    /** The bank's resource responses whose signatures verified (RFC 9421). */
    verifiedResponses: [],
    /** JARM, a nonce and a required ID token, signed introspection. */
    jarm: JARM_PROFILES.has(profile),
    registration,
    /** The key management algorithm the client registered, if any. */
    encAlg,
    /** The `kid` of the client's encryption key. */
    encKid,
    /** jose's decryption with the client's key (JWE compact → the nested JWT), or undefined. */
    decryptJwe,
    /** `{ [oauth.jweDecrypt]: decryptJwe }` when the client registered encryption, else `{}`. */
    decryptOptions,
    /** The protected headers of the JWEs decrypted so far. */
    decrypted,
    clientFetch,
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

/**
 * The AS's signing keys as jose reads them: its `jwks_uri` fetched over the
 * client's TLS (the dev CA), for `jose.jwtVerify`.
 */
export async function asJwks(ctx, as) {
  const response = await ctx.clientFetch(as.jwks_uri, { headers: { accept: 'application/json' } });
  if (response.status !== 200) {
    throw new Error(`GET ${as.jwks_uri}: ${response.status}`);
  }
  return jose.createLocalJWKSet(await response.json());
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
  // Where the profile signs messages, the request is signed as it leaves
  // oauth4webapi (its Authorization and DPoP headers set) and the bank's
  // response verified as it arrives.
  const options =
    ctx.messageSigner === undefined
      ? ctx.options
      : { ...ctx.options, [oauth.customFetch]: (u, i) => signedFetch(ctx, u, i) };
  const send = () => oauth.protectedResourceRequest(accessToken, method, url, headers, init, options);
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

/** RFC 9530: the sha-256 `Content-Digest` of `body`. */
function contentDigest(body) {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

/**
 * The client's RFC 9421 signer, from its private JWK: ecdsa-p256-sha256 for
 * a P-256 key, rsa-pss-sha512 with the 64-byte salt of RFC 9421 §3.3.1 for
 * an RSA key (the library's own RSA signer leaves the salt to OpenSSL).
 */
function httpSigner(jwk) {
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  if (jwk.kty !== 'RSA') {
    return createSigner(key, 'ecdsa-p256-sha256', jwk.kid);
  }
  return {
    id: jwk.kid,
    alg: 'rsa-pss-sha512',
    sign: async (data) =>
      cryptoSign('sha512', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }),
  };
}

/**
 * A resource request signed by the library (FAPI 2.0 HTTP Signatures:
 * `@method`, `@target-uri`, `authorization`, `dpop`, `content-digest` with a
 * body; `created`, `keyid`, `alg`, tag `fapi-2-request`), and the bank's
 * answer: a successful response must carry a `fapi-2-response` signature
 * over `@status`, its `Content-Digest` (recomputed here) and the request
 * (`;req`), made with a key of the bank's `jwks_uri`.
 */
async function signedFetch(ctx, url, init) {
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  const fields = ['@method', '@target-uri', 'authorization'];
  if (headers.dpop !== undefined) {
    fields.push('dpop');
  }
  if (typeof init.body === 'string' && init.body.length > 0) {
    headers['content-digest'] = contentDigest(init.body);
    fields.push('content-digest');
  }
  const request = await httpbis.signMessage(
    {
      key: ctx.messageSigner,
      name: 'sig1',
      fields,
      params: ['created', 'keyid', 'alg', 'tag'],
      paramValues: { tag: 'fapi-2-request' },
    },
    { method: init.method, url: String(url), headers },
  );
  const response = await ctx.clientFetch(url, { ...init, headers: request.headers });
  if (response.ok) {
    await verifyResponse(ctx, request, response.clone());
  }
  return response;
}

async function verifyResponse(ctx, request, response) {
  const body = await response.text();
  const headers = Object.fromEntries(response.headers.entries());
  const what = `${request.method} ${request.url}: ${response.status}`;
  const input = headers['signature-input'] ?? '';
  if (!input.includes('tag="fapi-2-response"')) {
    throw new Error(`${what}: no fapi-2-response signature (${input})`);
  }
  if (body.length > 0 && headers['content-digest'] !== contentDigest(body)) {
    throw new Error(`${what}: Content-Digest ${headers['content-digest']} is not the body's`);
  }
  if (ctx.bankJwks === undefined) {
    const as = await discover(ctx);
    ctx.bankJwks = await (await ctx.clientFetch(as.jwks_uri, { headers: { accept: 'application/json' } })).json();
  }
  // The library matches covered components by name, parameters aside
  // (`"@method";req` is `@method`): the `;req` binding is in the signature
  // base it rebuilds from `request`.
  const requiredFields = ['@status', '@method', '@target-uri', 'signature', 'signature-input'];
  if (body.length > 0) {
    requiredFields.push('content-digest');
  }
  const config = {
    keyLookup: async (params) => {
      const jwk = ctx.bankJwks.keys.find((k) => k.kid === params.keyid);
      return jwk === undefined
        ? null
        : { id: jwk.kid, algs: [params.alg], verify: createVerifier(createPublicKey({ key: jwk, format: 'jwk' }), params.alg) };
    },
    requiredFields,
    requiredParams: ['created', 'keyid', 'alg', 'tag'],
    maxAge: 60,
    tolerance: 5,
  };
  const ok = await httpbis.verifyMessage(config, { status: response.status, headers }, request);
  if (ok !== true) {
    throw new Error(`${what}: the response signature does not verify (${ok})`);
  }
  ctx.verifiedResponses.push(what);
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
  { scope, consentId, sharingDuration = CDR_SHARING_DURATION, signed = ctx.signedRequest, jarm = ctx.jarm },
) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  if (signed && consentId !== undefined && ctx.profile !== 'cdr' && ctx.profile !== 'obie') {
    // Where the profile has no consent claim (fapi2-ms, ofb), a signed
    // request names the consent in its scope, `consent:<id>` (as Open
    // Finance Brasil's dynamic consent scope): the request object carries
    // every parameter and nothing else reaches the AS.
    scope = `${scope} consent:${consentId}`;
  }
  const params = new URLSearchParams({
    response_type: 'code',
    redirect_uri: CLIENT.redirectUri,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  });
  // OpenID Connect Core §3.1.2.1: the nonce the ID token must carry; JARM
  // §2.3.4: `jwt`, the authorization response as a signed (and, where
  // registered, encrypted) JWT in the query.
  let nonce;
  if (jarm) {
    nonce = oauth.generateRandomNonce();
    params.set('nonce', nonce);
    params.set('response_mode', 'jwt');
  }
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
  return { pushed, codeVerifier, state, nonce, authorizationUrl };
}

/**
 * The authorization response at the redirect URI, checked by oauth4webapi:
 * under JARM `validateJwtAuthResponse` (the JWT's signature against the
 * AS's `jwks_uri`, its `alg` against the registration, `iss`, `aud`,
 * `exp`, then `state` and `iss` as in RFC 9207; a JWE is first decrypted
 * by jose through the `jweDecrypt` option), else `validateAuthResponse`.
 */
export function authorizationResponse(ctx, as, callback, state) {
  if (ctx.jarm) {
    return oauth.validateJwtAuthResponse(as, ctx.client, callback, state, {
      ...ctx.options,
      ...ctx.decryptOptions,
    });
  }
  return oauth.validateAuthResponse(as, ctx.client, callback, state);
}

/**
 * The authorization code grant. Where the run asks for an ID token (the JARM
 * profiles) oauth4webapi requires it and checks its nonce (OpenID Connect
 * Core §3.1.3.7), decrypting it first through `jweDecrypt` when the client
 * registered encryption; `validateApplicationLevelSignature` then verifies
 * its signature against the AS's `jwks_uri`. Returns the token response and
 * the raw `id_token` as the server sent it.
 */
export async function codeGrant(ctx, as, params, request) {
  let idToken;
  let processed;
  const tokens = await withDpopNonceRetry(
    ctx,
    'token (authorization_code)',
    () =>
      oauth.authorizationCodeGrantRequest(
        as,
        ctx.client,
        ctx.clientAuth,
        params,
        CLIENT.redirectUri,
        request.codeVerifier,
        ctx.options,
      ),
    async (response) => {
      idToken = undefined;
      const raw = response.clone();
      const options = ctx.jarm
        ? { expectedNonce: request.nonce, requireIdToken: true, ...ctx.decryptOptions }
        : ctx.decryptOptions;
      const result = await oauth.processAuthorizationCodeResponse(as, ctx.client, response, options);
      idToken = (await raw.json()).id_token;
      processed = response;
      return result;
    },
  );
  if (ctx.jarm) {
    await oauth.validateApplicationLevelSignature(as, processed, ctx.options);
  }
  return { tokens, idToken };
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
