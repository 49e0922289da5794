// altcha_interop.js: the node side of tests/integration/test_altcha_interop.sh.
// Runs altcha-lib's v1 API (the reference ALTCHA implementation) and kcd's
// own browser solver (kcd/www/altcha-solver.js) against kcd's C code.
//
//   node altcha_interop.js solve-lib JSON           altcha-lib solveChallenge
//   node altcha_interop.js solve-ours JSON          kcd's solver
//   node altcha_interop.js verify-lib KEY PAYLOAD   altcha-lib verifySolution
//   node altcha_interop.js create-lib KEY MAX SECS  createChallenge, expiring
//                                                   in SECS (omit: no expiry)
//
// solve-* print the base64 payload the form field carries; verify-lib
// prints true or false (exit 0 or 1). Environment: ALTCHA_NODE_MODULES (the
// node_modules directory holding altcha-lib), KCD_SOLVER (path of
// altcha-solver.js).
'use strict';

const path = require('path');
const { createRequire } = require('module');

// Node 18 (Debian 12's) has Web Crypto only as require('crypto').webcrypto;
// altcha-lib and browsers expect the global.
if (typeof globalThis.crypto === 'undefined')
  globalThis.crypto = require('crypto').webcrypto;

function altcha() {
  const dir = process.env.ALTCHA_NODE_MODULES;
  if (!dir) throw new Error('ALTCHA_NODE_MODULES is not set');
  return createRequire(path.join(dir, 'noop.js'))('altcha-lib/v1');
}

// The payload exactly as the ALTCHA widget builds it.
function widgetPayload(ch, number, took) {
  return Buffer.from(JSON.stringify({
    algorithm: ch.algorithm, challenge: ch.challenge, number: number,
    salt: ch.salt, signature: ch.signature, took: took,
  })).toString('base64');
}

async function main(argv) {
  const cmd = argv[0];
  if (cmd === 'solve-lib') {
    const ch = JSON.parse(argv[1]);
    const r = await altcha().solveChallenge(ch.challenge, ch.salt,
      ch.algorithm, ch.maxnumber).promise;
    if (!r) throw new Error('altcha-lib found no solution');
    console.log(widgetPayload(ch, r.number, r.took));
  } else if (cmd === 'solve-ours') {
    const solver = require(process.env.KCD_SOLVER);
    const ch = JSON.parse(argv[1]);
    const t0 = Date.now();
    const n = await solver.solve(ch, null);
    if (n === null) throw new Error('kcd solver found no solution');
    console.log(solver.payload(ch, n, Date.now() - t0));
  } else if (cmd === 'verify-lib') {
    const ok = await altcha().verifySolution(argv[2], argv[1], true);
    console.log(ok ? 'true' : 'false');
    process.exitCode = ok ? 0 : 1;
  } else if (cmd === 'create-lib') {
    const opts = { hmacKey: argv[1], maxnumber: Number(argv[2]) };
    if (argv[3] !== undefined)
      opts.expires = new Date(Date.now() + Number(argv[3]) * 1000);
    console.log(JSON.stringify(await altcha().createChallenge(opts)));
  } else {
    throw new Error('unknown command ' + cmd);
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error('altcha_interop.js: ' + e.message);
  process.exit(2);
});
