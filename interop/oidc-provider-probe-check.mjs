// Reads the `fapi probe --json` report of a run against oidc-provider and
// the known differences (oidc-provider-known.json), prints the module table,
// and decides the CI step:
//
//   node oidc-provider-probe-check.mjs REPORT.json MODE [KNOWN.json]
//
// - a FAIL of a module that is not listed for MODE fails (exit 1);
// - a FAIL of a listed module is reported as known, with its reason;
// - a listed module that now passes is reported (the list should lose it);
// - a report that is not the probe's JSON fails (exit 2).
//
// KNOWN.json maps a module name to the reason it does not pass on
// oidc-provider: a string (every mode), or {"modes": ["dpop"], "reason": ...}.
// Keys starting with "_" are comments. interop/README.md has the table with
// each clause and which of the two is right.
import { readFileSync } from 'node:fs';

/** The runs of .ci/interop: oidc-provider-fapi.mjs --mode dpop, --mode dpop --dpop-nonce, --mode mtls. */
const MODES = ['dpop', 'dpop-nonce', 'mtls'];

const [reportPath, mode, knownPath = new URL('./oidc-provider-known.json', import.meta.url)] = process.argv.slice(2);
if (!reportPath || !MODES.includes(mode)) {
  console.error(`usage: node oidc-provider-probe-check.mjs REPORT.json ${MODES.join('|')} [KNOWN.json]`);
  process.exit(2);
}

let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
  if (!Array.isArray(report.modules)) {
    throw new Error('no "modules" array');
  }
} catch (err) {
  console.error(`${reportPath}: not a fapi probe --json report: ${err.message}`);
  process.exit(2);
}

const known = new Map();
for (const [name, entry] of Object.entries(JSON.parse(readFileSync(knownPath, 'utf8')))) {
  if (name.startsWith('_')) continue;
  const { reason, modes = MODES } = typeof entry === 'string' ? { reason: entry } : entry;
  if (modes.includes(mode)) known.set(name, reason);
}

const width = Math.max(6, ...report.modules.map((m) => m.module.length));
const counts = { pass: 0, fail: 0, skip: 0 };
const unexpected = [];
const fixed = [];
const seen = new Set();
console.log(`fapi probe against oidc-provider (${mode}): ${report.issuer} --profile ${report.profile}`);
console.log(`${'module'.padEnd(width)}  result  detail`);
for (const m of report.modules) {
  seen.add(m.module);
  counts[m.result] = (counts[m.result] ?? 0) + 1;
  let note = m.detail ?? '';
  if (m.result === 'fail') {
    if (known.has(m.module)) {
      note = `known difference: ${known.get(m.module)} | ${note}`;
    } else {
      unexpected.push(m);
    }
  } else if (m.result === 'pass' && known.has(m.module)) {
    fixed.push(m.module);
    note = `listed in oidc-provider-known.json but passes now | ${note}`;
  }
  console.log(`${m.module.padEnd(width)}  ${m.result.toUpperCase().padEnd(6)}  ${note.replace(/\s+/g, ' ').slice(0, 300)}`);
}
console.log(`pass ${counts.pass}, fail ${counts.fail} (known ${counts.fail - unexpected.length}), skip ${counts.skip}`);

const stale = [...known.keys()].filter((name) => !seen.has(name));
if (stale.length) {
  console.log(`listed but not in the report (renamed or removed modules?): ${stale.join(', ')}`);
}
if (fixed.length) {
  console.log(`now passing, remove from oidc-provider-known.json: ${fixed.join(', ')}`);
}
if (unexpected.length) {
  console.error(`FAIL on oidc-provider (${mode}), not a known difference:`);
  for (const m of unexpected) {
    console.error(`  ${m.module} [${(m.ids ?? []).join(', ')}] ${m.clause ?? ''}: expected ${m.expected ?? '?'}; ${m.detail ?? ''}`);
  }
  process.exit(1);
}
