// play-user.js [--follow] URL: plays the person at the browser for the OAuth tests: opens URL,
// and submits each form the real provider shows (confirm the device code, log in as alice,
// consent) until a page has no form. Cookies are kept, redirects followed; a redirect to the
// client's loopback address (the authorization code) is printed as "REDIRECT <url>" and, with
// --follow, requested like a browser would (the client's loopback listener then answers), else
// not followed. The user name is $PLAY_USER_LOGIN, alice by default.
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';

const jar = new Map();
const follow = process.argv.includes('--follow');
const start = process.argv.filter((a) => !a.startsWith('--')).pop();

function storeCookies(res) {
  for (const line of res.headers.getSetCookie ? res.headers.getSetCookie() : []) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

function cookieHeader() {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

async function request(url, options = {}) {
  for (let hops = 0; hops < 20; hops++) {
    const res = await fetch(url, { ...options, redirect: 'manual', headers: { ...(options.headers || {}), cookie: cookieHeader() } });
    storeCookies(res);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).toString();
      if (next.startsWith('http://127.0.0.1/') || /^http:\/\/127\.0\.0\.1:\d+\/callback/.test(next) && !next.startsWith(new URL(url).origin)) {
        console.log(`REDIRECT ${next}`);
        if (follow) {
          const answer = await fetch(next);
          console.log(`LISTENER ${answer.status} ${(await answer.text()).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()}`);
        }
        return null;
      }
      url = next;
      options = {};
      continue;
    }
    return { url, html: await res.text() };
  }
  throw new Error('too many redirects');
}

function parseForm(html, base) {
  const form = html.match(/<form[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return null;
  const tag = form[0].match(/<form[^>]*>/i)[0];
  const action = (tag.match(/action="([^"]*)"/i) || [])[1] || base;
  const fields = new URLSearchParams();
  for (const input of form[1].matchAll(/<input[^>]*>/gi)) {
    const name = (input[0].match(/name="([^"]*)"/i) || [])[1];
    if (!name) continue;
    let value = (input[0].match(/value="([^"]*)"/i) || [])[1] || '';
    if (name === 'login') value = process.env.PLAY_USER_LOGIN || 'alice';
    if (name === 'password') value = 'any password';
    fields.append(name, value.replace(/&amp;/g, '&'));
  }
  return { action: new URL(action.replace(/&amp;/g, '&'), base).toString(), fields };
}

(async () => {
  let page = await request(start);
  for (let step = 0; page && step < 10; step++) {
    const form = parseForm(page.html, page.url);
    if (!form) break;
    page = await request(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.fields.toString(),
    });
  }
  if (page) console.log(`DONE ${page.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120)}`);
})().catch((e) => { console.error(e); process.exit(1); });
