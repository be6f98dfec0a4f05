// The user's side of the authorization step, over plain HTTP: read the
// server's login and consent forms and post them as a browser would.
//
// The pages are the server's own, small and well-formed; what is read of them
// is the `action` of one form, its `<input>` and `<button>` name/value pairs,
// and the visible text. A few regular expressions do that without pulling an
// HTML parser into the test's dependencies; the entity decoding covers what
// HTML escapers emit (`&amp; &lt; &gt; &quot; &#39;` and numeric references).
// The headless Chromium test (consent.test.mjs) checks the same pages the way
// a person sees them.

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the character references of an HTML text or attribute value. */
export function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) {
      return String.fromCodePoint(parseInt(ref.slice(2), 16));
    }
    if (ref.startsWith('#')) {
      return String.fromCodePoint(parseInt(ref.slice(1), 10));
    }
    return ENTITIES[ref] ?? whole;
  });
}

function attributes(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/**
 * The form posting to `action` in `html`: its method, its fields (inputs with
 * a name, hidden ones included) and its submit buttons. Throws when the page
 * has no such form.
 */
export function findForm(html, action) {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]);
    if (attrs.action !== action) {
      continue;
    }
    const fields = {};
    for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1]);
      if (a.name !== undefined && a.type !== 'submit') {
        fields[a.name] = a.value ?? '';
      }
    }
    const buttons = [];
    for (const button of m[2].matchAll(/<button\b([^>]*)>/gi)) {
      const a = attributes(button[1]);
      if (a.name !== undefined) {
        buttons.push({ name: a.name, value: a.value ?? '' });
      }
    }
    return { method: (attrs.method ?? 'get').toLowerCase(), fields, buttons };
  }
  throw new Error(`the page has no <form action="${action}">:\n${html.slice(0, 2000)}`);
}

/** The text a person reads on the page (tags, scripts and styles removed). */
export function visibleText(html) {
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ');
  return decodeEntities(text).replace(/\s+/g, ' ').trim();
}

/**
 * A browser's session with the AS: cookies kept per run, redirects not
 * followed (the test reads the 303 `Location` itself).
 */
export class BrowserSession {
  #fetch;
  #origin;
  #cookies = new Map();

  constructor(fetchFn, origin) {
    this.#fetch = fetchFn;
    this.#origin = origin;
  }

  async #send(path, init) {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) {
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const url = new URL(path, this.#origin);
    const response = await this.#fetch(url.href, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) {
        this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
    }
    return response;
  }

  /** GET a page. */
  get(url) {
    return this.#send(url, { method: 'GET', headers: { accept: 'text/html' } });
  }

  /** POST a form (`application/x-www-form-urlencoded`). */
  post(path, fields) {
    return this.#send(path, {
      method: 'POST',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}
