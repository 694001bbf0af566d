// casbin-bench.js: node-casbin's time per decision on one model, policy and request.
//   node casbin-bench.js MODEL POLICY|- SECONDS REQUEST-JSON
// Prints "load_ms ns_per_decision iterations".
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';

const casbin = require('casbin');

async function main() {
  const [model, policy, seconds, requestJson] = process.argv.slice(2);
  const request = JSON.parse(requestJson);
  const t0 = process.hrtime.bigint();
  const e = policy !== '-' ? await casbin.newEnforcer(model, policy) : await casbin.newEnforcer(model);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const budget = BigInt(Math.round(Number(seconds) * 1e9));
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    await e.enforce(...request);
    n++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  process.stdout.write(`${loadMs.toFixed(1)} ${(Number(elapsed) / n).toFixed(0)} ${n}\n`);
}

main().catch((err) => { process.stderr.write(String(err && err.stack || err) + '\n'); process.exit(1); });
