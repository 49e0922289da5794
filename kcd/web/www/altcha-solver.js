/*
 * altcha-solver.js: solves kcd's proof-of-work captcha (ALTCHA v1 format)
 * in the browser and puts the solution into the form.
 *
 * Markup it looks for, inside a form:
 *   <input type="hidden" name="altcha" data-challenge-url="/captcha/challenge">
 *   <span data-altcha-status></span>        (optional: progress and result)
 * It fetches the challenge JSON {algorithm, challenge, maxnumber, salt,
 * signature}, tries number = 0, 1, ... until SHA-256(salt + number) equals
 * challenge, and stores base64(JSON {algorithm, challenge, number, salt,
 * signature, took}) in the field. A submit before that is held back.
 * Hashing uses crypto.subtle where the page is a secure context and a small
 * built-in SHA-256 elsewhere. No dependencies; no inline code (strict CSP).
 * German texts unless <html lang="en">.
 */
(function () {
  'use strict';

  var CHUNK = 1000; /* hashes per step: keeps the page responsive */

  /* ---- SHA-256 (FIPS 180-4) for pages without crypto.subtle ---- */
  var K = [];
  var H0 = [];
  (function () {
    var n = 2, found = 0, i;
    function frac(x) { return ((x - Math.floor(x)) * 4294967296) | 0; }
    while (found < 64) {
      for (i = 2; i * i <= n && n % i; i++);
      if (i * i > n) {
        if (found < 8) H0[found] = frac(Math.sqrt(n));
        K[found++] = frac(Math.cbrt(n));
      }
      n++;
    }
  })();

  function ror(x, n) { return (x >>> n) | (x << (32 - n)); }

  function sha256Hex(text) {
    var bytes = new TextEncoder().encode(text);
    var len = bytes.length, blocks = (len + 9 + 63) >> 6;
    var m = new Uint8Array(blocks * 64), w = new Int32Array(64);
    var h = H0.slice(), a, b, c, d, e, f, g, hh, t1, t2, i, o, out = '';
    m.set(bytes);
    m[len] = 0x80;
    for (i = 1; i <= 4; i++) m[m.length - i] = ((len * 8) >>> (8 * (i - 1))) & 255;
    for (o = 0; o < m.length; o += 64) {
      for (i = 0; i < 16; i++)
        w[i] = (m[o + 4 * i] << 24) | (m[o + 4 * i + 1] << 16) |
          (m[o + 4 * i + 2] << 8) | m[o + 4 * i + 3];
      for (i = 16; i < 64; i++)
        w[i] = (w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >>> 3)) +
          w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >>> 10))) | 0;
      a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
      for (i = 0; i < 64; i++) {
        t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    for (i = 0; i < 8; i++) out += ('0000000' + (h[i] >>> 0).toString(16)).slice(-8);
    return out;
  }

  function subtle() {
    return typeof crypto !== 'undefined' && crypto.subtle ? crypto.subtle : null;
  }

  function bufHex(buf) {
    var b = new Uint8Array(buf), s = '', i;
    for (i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }

  /* Hashes of salt + n for n in [from, to], in order. */
  function hashRange(salt, from, to) {
    var jobs = [], s = subtle(), enc = new TextEncoder(), n;
    for (n = from; n <= to; n++) {
      jobs.push(s ? s.digest('SHA-256', enc.encode(salt + n)).then(bufHex) :
        Promise.resolve(sha256Hex(salt + n)));
    }
    return Promise.all(jobs);
  }

  /* Find the number for challenge ch; progress(done, total) after each
   * chunk. Resolves to the number, or null when none fits. */
  function solve(ch, progress) {
    var max = Math.floor(Number(ch.maxnumber));
    function step(from) {
      if (from > max) return Promise.resolve(null);
      var to = Math.min(from + CHUNK - 1, max);
      return hashRange(ch.salt, from, to).then(function (hashes) {
        var i = hashes.indexOf(ch.challenge);
        if (i >= 0) return from + i;
        if (progress) progress(to + 1, max + 1);
        return new Promise(function (res) { setTimeout(res, 0); })
          .then(function () { return step(to + 1); });
      });
    }
    if (ch.algorithm !== 'SHA-256' || typeof ch.salt !== 'string' ||
      typeof ch.challenge !== 'string' || !(max >= 0))
      return Promise.reject(new Error('bad challenge'));
    return step(0);
  }

  /* What the form field carries, as the ALTCHA widget sends it. */
  function payload(ch, number, took) {
    return btoa(JSON.stringify({
      algorithm: ch.algorithm, challenge: ch.challenge, number: number,
      salt: ch.salt, signature: ch.signature, took: took
    }));
  }

  var TEXT = {
    de: { work: 'Sicherheitsprüfung läuft … ', done: 'Bestätigt',
      wait: 'Bitte einen Moment – die Sicherheitsprüfung läuft noch.',
      fail: 'Sicherheitsprüfung fehlgeschlagen. Bitte die Seite neu laden.' },
    en: { work: 'Security check running … ', done: 'Verified',
      wait: 'One moment please – the security check is still running.',
      fail: 'Security check failed. Please reload the page.' }
  };

  function start(field) {
    var form = field.form, t0 = Date.now();
    var lang = /^en/i.test(document.documentElement.lang || '') ? 'en' : 'de';
    var status = form ? form.querySelector('[data-altcha-status]') : null;
    var url = field.getAttribute('data-challenge-url') || '/captcha/challenge';
    function show(s) { if (status) status.textContent = s; }
    if (form) {
      form.addEventListener('submit', function (ev) {
        if (!field.value) { ev.preventDefault(); show(TEXT[lang].wait); }
      });
    }
    show(TEXT[lang].work);
    fetch(url, { credentials: 'same-origin', cache: 'no-store',
      headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (ch) {
        return solve(ch, function (done, total) {
          show(TEXT[lang].work + Math.floor(100 * done / total) + ' %');
        }).then(function (n) {
          if (n === null) throw new Error('no solution');
          field.value = payload(ch, n, Date.now() - t0);
          show(TEXT[lang].done);
        });
      })
      .catch(function () { show(TEXT[lang].fail); });
  }

  if (typeof document !== 'undefined') {
    var init = function () {
      var f = document.querySelectorAll('input[name="altcha"]'), i;
      for (i = 0; i < f.length; i++) start(f[i]);
    };
    if (document.readyState === 'loading')
      document.addEventListener('DOMContentLoaded', init);
    else
      init();
  }
  /* For tests under node. */
  if (typeof module !== 'undefined' && module.exports)
    module.exports = { solve: solve, payload: payload, sha256Hex: sha256Hex };
})();
