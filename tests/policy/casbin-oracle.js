// casbin-oracle.js: answers Casbin requests with node-casbin, for differential tests.
//   node casbin-oracle.js MODEL POLICY|- [CONTEXT] < requests
// Requests use perihelion-cli's "policy enforce" line format (CSV; a field starting with `{` is a
// JSON attribute object). Prints true, false or "error: ..." per request line.
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';

const fs = require('fs');
const casbin = require('casbin');

function splitRequest(line) {
  const fields = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '{') {
      let depth = 0, inString = false, start = i;
      for (; i < line.length; i++) {
        const c = line[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if ((c === '}' || c === ']') && --depth === 0) { i++; break; }
      }
      fields.push(JSON.parse(line.slice(start, i)));
      while (line[i] === ' ' || line[i] === '\t') i++;
    } else if (line[i] === '"') {
      let s = '';
      for (i++; ; i++) {
        if (line[i] === '"' && line[i + 1] === '"') { s += '"'; i++; }
        else if (line[i] === '"') { i++; break; }
        else s += line[i];
      }
      fields.push(s);
    } else {
      let s = '';
      while (i < line.length && line[i] !== ',') s += line[i++];
      fields.push(s);
    }
    if (i >= line.length) return fields;
    i++; // comma
  }
}

async function main() {
  const [model, policy, context] = process.argv.slice(2);
  const enforcer = policy && policy !== '-'
    ? await casbin.newEnforcer(model, policy)
    : await casbin.newEnforcer(model);
  const n = Number(context || 1);
  const modelText = fs.readFileSync(model, 'utf8');
  const lines = fs.readFileSync(0, 'utf8').split('\n');
  const out = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      const args = splitRequest(line);
      if (n > 1) {
        // Like perihelion-cli: a context without its own effect uses e.
        const eType = new RegExp('^\\s*e' + n + '\\s*=', 'm').test(modelText) ? 'e' + n : 'e';
        args.unshift(new casbin.EnforceContext('r' + n, 'p' + n, eType, 'm' + n));
      }
      out.push((await enforcer.enforce(...args)) ? 'true' : 'false');
    } catch (e) {
      out.push('error: ' + String(e && e.message || e).split('\n')[0]);
    }
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}

main().catch((e) => {
  process.stderr.write('casbin-oracle: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
