// The Streamable HTTP transport, with the official MCP SDK (StreamableHTTPClientTransport) as
// the client, and raw HTTP for what the SDK would never send. perihelion-mcp --http is started
// here on 127.0.0.1 with a known bearer token; the agent and vault are test-mcp's.
//
// Environment: PH_MCP_PATH, PH_CANARY, PH_HTTP_PORT (for the credential's own service).
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const canary = process.env.PH_CANARY;
const servicePort = Number(process.env.PH_HTTP_PORT);
const token = crypto.randomBytes(32).toString('hex');
const received = [];
const serviceLog = [];

const service = http.createServer((req, res) => {
  serviceLog.push(req.headers.authorization);
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`you sent ${req.headers.authorization}`);
});

let endpoint;   // http://127.0.0.1:PORT/mcp

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PH_MCP_PATH, ['--http', '127.0.0.1:0'], {
      env: { ...process.env, PERIHELION_MCP_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (d) => received.push(d.toString()));
    child.stdout.once('data', (d) => resolve({ child, url: d.toString().trim() }));
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`perihelion-mcp --http exited: ${code ?? signal}`)));
  });
}

// One raw exchange; every byte of the answer is recorded.
function raw(method, headers, body) {
  return new Promise((resolve, reject) => {
    const url = new URL(endpoint);
    const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    // A connection of its own for each exchange (agent: false), as a hostile client would open.
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, agent: false,
      headers: { Accept: 'application/json, text/event-stream', 'Content-Type': 'application/json',
                 'Content-Length': Buffer.byteLength(payload), ...headers } },
    (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => { received.push(data); resolve({ status: res.statusCode, headers: res.headers, body: data }); });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const auth = () => ({ Authorization: `Bearer ${token}` });
const initialize = (version, name = 'raw-client') => ({ jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name, version: '0' } } });

class RecordingTransport {
  constructor(inner) { this.inner = inner; }
  async start() {
    this.inner.onmessage = (m) => { received.push(JSON.stringify(m)); this.onmessage?.(m); };
    this.inner.onerror = (e) => this.onerror?.(e);
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
  }
  send(message, options) { return this.inner.send(message, options); }
  close() { return this.inner.close(); }
  terminateSession() { return this.inner.terminateSession(); }
  get sessionId() { return this.inner.sessionId; }
  setProtocolVersion(v) { this.inner.setProtocolVersion?.(v); }
}

async function connect(name) {
  const transport = new RecordingTransport(new StreamableHTTPClientTransport(new URL(endpoint),
    { requestInit: { headers: auth() } }));
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const tests = [];
function test(name, fn) { tests.push([name, fn]); }

test('the SDK over Streamable HTTP: initialize, tools/list, list_credentials, a session', async () => {
  const { client, transport } = await connect('mcp-test-client');
  assert.equal(client.getServerVersion().name, 'perihelion-mcp');
  assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
  const { tools } = await client.listTools();
  assert.equal(tools.length, 6);
  const list = await client.callTool({ name: 'list_credentials', arguments: {} });
  assert.ok(list.structuredContent.credentials.some((c) => c.title === 'Echo API'));
  await transport.terminateSession();
  await client.close();
});

test('http_request over HTTP, with progress (an event stream): sent, masked', async () => {
  const { client } = await connect('mcp-test-client');
  const before = serviceLog.length;
  const result = await client.callTool({ name: 'http_request', arguments: {
    entry: 'Echo API', url: `http://127.0.0.1:${servicePort}/` } }, undefined, { onprogress: () => {} });
  assert.equal(result.isError, false, JSON.stringify(result));
  assert.equal(serviceLog.length, before + 1);
  assert.equal(serviceLog.at(-1), `Bearer ${canary}`);
  assert.equal(result.structuredContent.body, 'you sent Bearer [REDACTED]');
  await client.close();
});

test('each session is its own AI agent for the gate', async () => {
  const [a, b] = await Promise.all([connect('mcp-test-client'), connect('other-agent')]);
  const args = { name: 'http_request', arguments: { entry: 'Echo API', url: `http://127.0.0.1:${servicePort}/` } };
  const [allowed, denied] = await Promise.all([a.client.callTool(args), b.client.callTool(args)]);
  assert.equal(allowed.isError, false);
  assert.equal(denied.isError, true, 'other-agent has no rule: a person would have to approve');
  await Promise.all([a.client.close(), b.client.close()]);
});

test('protocol versions, and the session header', async () => {
  for (const [asked, answered] of [['2025-11-25', '2025-11-25'], ['2025-06-18', '2025-06-18'],
                                   ['2025-03-26', '2025-03-26']]) {
    const r = await raw('POST', auth(), initialize(asked));
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).result.protocolVersion, answered);
    assert.match(r.headers['mcp-session-id'], /^[0-9a-f]{32}$/);
  }
});

test('refused cleanly: tokens, Origin, Host, sessions, versions, methods, bad bodies', async () => {
  const before = serviceLog.length;
  let r = await raw('POST', {}, initialize('2025-11-25'));
  assert.equal(r.status, 401);
  assert.match(r.headers['www-authenticate'], /^Bearer/);
  r = await raw('POST', { Authorization: `Bearer ${'0'.repeat(64)}` }, initialize('2025-11-25'));
  assert.equal(r.status, 401);
  r = await raw('POST', { Authorization: token }, initialize('2025-11-25'));
  assert.equal(r.status, 401);
  r = await raw('POST', { ...auth(), Origin: 'https://evil.example' }, initialize('2025-11-25'));
  assert.equal(r.status, 403);
  r = await raw('POST', { ...auth(), Host: `evil.example:${new URL(endpoint).port}` }, initialize('2025-11-25'));
  assert.equal(r.status, 403, 'DNS rebinding: a foreign Host');
  r = await raw('POST', { ...auth(), Origin: `http://localhost:${new URL(endpoint).port}` }, initialize('2025-11-25'));
  assert.equal(r.status, 200, 'a loopback Origin is fine');

  const session = r.headers['mcp-session-id'];
  const inSession = { ...auth(), 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-11-25' };
  r = await raw('POST', auth(), { jsonrpc: '2.0', id: 2, method: 'tools/list' });
  assert.equal(r.status, 400, 'no session');
  r = await raw('POST', { ...auth(), 'Mcp-Session-Id': 'f'.repeat(32) }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
  assert.equal(r.status, 404, 'unknown session');
  r = await raw('POST', { ...inSession, 'MCP-Protocol-Version': '1999-01-01' }, { jsonrpc: '2.0', id: 2, method: 'ping' });
  assert.equal(r.status, 400, 'unsupported protocol version');
  r = await raw('POST', inSession, '{"jsonrpc": "2.0", "id": 3, "method": ');
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).error.code, -32700);
  r = await raw('POST', inSession, { jsonrpc: '2.0', id: 4, method: 'no/such/method' });
  assert.equal(JSON.parse(r.body).error.code, -32601);
  r = await raw('POST', inSession, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(r.status, 202);
  r = await raw('POST', inSession, JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping', params: { pad: 'x'.repeat(5 << 20) } }));
  assert.equal(r.status, 413);
  r = await raw('POST', inSession, { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'http_request',
    arguments: { entry: 'Echo API', url: `http://localhost:${servicePort}/` } } });
  assert.equal(JSON.parse(r.body).result.isError, true, 'a host the entry does not name');
  r = await raw('PUT', inSession, {});
  assert.equal(r.status, 405);
  r = await raw('GET', auth());
  assert.equal(r.status, 400, 'a stream needs a session');

  // The session's stream opens; DELETE ends the session, and the stream with it.
  const stream = await new Promise((resolve, reject) => {
    const url = new URL(endpoint);
    http.get({ host: url.hostname, port: url.port, path: url.pathname, agent: false,
      headers: { ...inSession, Accept: 'text/event-stream' } }, resolve).on('error', reject);
  });
  assert.equal(stream.statusCode, 200);
  assert.match(stream.headers['content-type'], /^text\/event-stream/);
  const streamEnded = new Promise((resolve) => { stream.on('end', resolve); stream.resume(); });
  r = await raw('DELETE', inSession);
  assert.equal(r.status, 204);
  await streamEnded;
  r = await raw('POST', inSession, { jsonrpc: '2.0', id: 7, method: 'ping' });
  assert.equal(r.status, 404, 'the session is gone');
  assert.equal(serviceLog.length, before, 'nothing was sent by any of it');
});

(async () => {
  await new Promise((resolve) => service.listen(servicePort, '127.0.0.1', resolve));
  const { child, url } = await startServer();
  endpoint = url;
  let failed = 0;
  for (const [name, fn] of tests) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (error) {
      failed++;
      console.log(`not ok - ${name}\n${error.stack}`);
    }
  }
  const everything = received.join('\n');
  for (const form of [canary, Buffer.from(canary).toString('base64')]) {
    if (everything.includes(form)) {
      failed++;
      console.log('not ok - a form of the secret reached the MCP client');
    }
  }
  console.log(`# ${received.length} messages recorded, ${everything.length} bytes`);
  child.removeAllListeners('exit');
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    if (child.exitCode !== 0) {
      failed++;
      console.log(`not ok - perihelion-mcp --http ended with ${child.exitCode ?? child.signalCode}:\n` +
                  received.filter((m) => m.includes('Sanitizer')).join('\n'));
    }
  } else {
    failed++;
    console.log(`not ok - perihelion-mcp --http ended early: ${child.exitCode ?? child.signalCode}`);
  }
  service.close();
  process.exit(failed ? 1 : 0);
})();
