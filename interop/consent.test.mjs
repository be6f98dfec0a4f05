// A person's view of the authorization step: headless Chromium (Debian's
// /usr/bin/chromium, driven by puppeteer-core, which never downloads a
// browser) opens the authorization URL of a real PAR request made with
// oauth4webapi, logs in as the user, shows the consent page (saved as a
// screenshot), clicks approve, and the redirect to the client carries
// `code`, `state` and `iss` (F2-ISS), which oauth4webapi accepts (under the
// JARM profiles of the run, all three inside the one `response` JWT, which
// oauth4webapi's validateJwtAuthResponse checks). A reload
// of the login page before the decision shows it again; after the decision
// the request URI is refused (F2-PAR).
//
// Chromium trusts exactly the server's certificate key
// (`--ignore-certificate-errors-spki-list` with its SPKI SHA-256), read from
// the TLS handshake after checking that certificate against the dev CA.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { after, test } from 'node:test';
import puppeteer from 'puppeteer-core';

import {
  CLIENT,
  PERMISSIONS,
  USER,
  authorizationResponse,
  clientCredentials,
  codeGrant,
  createAccountAccessConsent,
  discover,
  loadContext,
  pushAuthorizationRequest,
} from './fapi-client.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ctx = await loadContext();
after(() => ctx.close());

/** The base64 SHA-256 of the server certificate's SPKI, once it chains to the dev CA. */
async function serverSpkiHash(issuer) {
  const { hostname, port } = new URL(issuer);
  const ca = await readFile(process.env.FAPI_CA, 'utf8');
  const raw = await new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) || 443, ca, servername: hostname === '127.0.0.1' ? undefined : hostname }, () => {
      const cert = socket.getPeerCertificate(false).raw;
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
  });
  const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

test(`[${ctx.profile}] Chromium: login, consent page, approve (F2-AS-INFO, F2-ISS)`, async (t) => {
  const as = await discover(ctx);
  const cc = await clientCredentials(ctx, as, 'accounts');
  const consentResponse = await createAccountAccessConsent(ctx, cc.access_token);
  const consent = await consentResponse.json();
  assert.equal(consentResponse.status, 201, JSON.stringify(consent));
  const request = await pushAuthorizationRequest(ctx, as, {
    scope: 'openid accounts',
    consentId: consent.Data.ConsentId,
  });

  const profileDir = await mkdtemp(join(tmpdir(), 'fapi-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profileDir,
    args: [
      // Chromium's sandbox needs an unprivileged user; CI runs as root.
      '--no-sandbox',
      '--disable-dev-shm-usage',
      `--ignore-certificate-errors-spki-list=${await serverSpkiHash(ctx.issuer)}`,
    ],
  });
  t.after(async () => {
    await browser.close();
    await rm(profileDir, { recursive: true, force: true });
  });

  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 900 });
  // The client's redirect URI is answered here (the client is this test);
  // anything but the AS and that callback is refused: no request leaves the
  // machine.
  const issuerOrigin = new URL(ctx.issuer).origin;
  let callback;
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (`${url.origin}${url.pathname}` === CLIENT.redirectUri) {
      callback = url;
      void req.respond({ status: 200, contentType: 'text/html', body: '<p>Back at Fintech One</p>' });
    } else if (url.origin === issuerOrigin || url.protocol === 'data:') {
      void req.continue();
    } else {
      void req.abort();
    }
  });

  const login = await page.goto(request.authorizationUrl.href, { waitUntil: 'load' });
  assert.equal(login.status(), 200);
  // F2-PAR (FAPI 2.0 Security Profile §5.3.2.2, note 3): a reload of the
  // login page before the decision shows it again; the request URI is spent
  // by the decision.
  const reloaded = await page.reload({ waitUntil: 'load' });
  assert.equal(reloaded.status(), 200, 'the login page again after a reload');
  await page.type('form[action="/authorize/login"] input[name="username"]', USER.username);
  await page.type('form[action="/authorize/login"] input[name="password"]', USER.password);
  const [consentPage] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('form[action="/authorize/login"] [type="submit"]'),
  ]);
  assert.equal(consentPage.status(), 200);

  // F2-AS-INFO: what the person sees before approving.
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(text.includes(CLIENT.name), `the client's name is shown:\n${text}`);
  assert.ok(text.includes('accounts'), `the scope is shown:\n${text}`);
  for (const permission of PERMISSIONS) {
    assert.ok(text.includes(permission), `${permission} is shown:\n${text}`);
  }
  const shot = process.env.FAPI_SCREENSHOT || join(tmpdir(), `fapi-consent-${ctx.profile}.png`);
  await mkdir(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`consent page screenshot: ${shot}`);

  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('form[action="/authorize/consent"] button[name="decision"][value="approve"]'),
  ]);
  assert.ok(callback, 'the browser was sent to the redirect URI');
  if (ctx.jarm) {
    // JARM §4.1 (FAPI 2.0 Message Signing §5.4): only `response`.
    assert.deepEqual([...callback.searchParams.keys()], ['response'], 'JARM §4.1: the response JWT alone');
  } else {
    assert.ok(callback.searchParams.get('code'), 'code');
    assert.equal(callback.searchParams.get('state'), request.state, 'state');
    assert.equal(callback.searchParams.get('iss'), ctx.issuer, 'iss (F2-ISS)');
  }
  const params = await authorizationResponse(ctx, as, callback, request.state);
  assert.ok(params.get('code'), 'RFC 6749 §4.1.2 (JARM §2.1 under jwt): code');
  assert.equal(params.get('iss'), ctx.issuer, 'iss (F2-ISS)');
  // After the decision the request URI is refused.
  const again = await page.goto(request.authorizationUrl.href, { waitUntil: 'load' });
  assert.equal(again.status(), 400, 'the request URI after the decision');
  assert.ok((await page.evaluate(() => document.body.innerText)).includes('invalid_request_uri'));

  // The code the person's approval produced is good at the token endpoint.
  // (Under the JARM profiles: with the ID token and its nonce, as in fapi2.test.mjs.)
  const { tokens } = await codeGrant(ctx, as, params, request);
  assert.ok(tokens.access_token);
});
