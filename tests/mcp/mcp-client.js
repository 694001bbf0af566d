// The MCP tests' client: the official SDK (@modelcontextprotocol/sdk) against perihelion-mcp
// over stdio, with a local HTTP server on 127.0.0.1 that records what really arrived. Every
// byte the MCP client receives (and the server's standard error) is recorded, and no form of
// the canary secret may appear in any of it.
//
// Environment: PH_MCP_PATH, PH_CANARY (the Echo API entry's password), PH_TOTP_SECRET (base32
// of the "Totp Site" entry), PH_HTTP_PORT (where to listen).
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { spawn, execFileSync } = require('node:child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { McpError } = require('@modelcontextprotocol/sdk/types.js');

const mcpPath = process.env.PH_MCP_PATH;
const canary = process.env.PH_CANARY;
const port = Number(process.env.PH_HTTP_PORT);
const received = [];     // every message the MCP client received, as JSON text
const serverLog = [];    // every request the HTTP server received

// The service the credential belongs to: it echoes what it got, secret included, so the
// masking is what keeps the secret from the model.
const service = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    serverLog.push({ host: req.headers.host, url: req.url, method: req.method, headers: req.headers, body });
    if (req.url === '/redirect') {
      res.writeHead(302, { Location: `http://localhost:${port}/stolen` });
      res.end();
      return;
    }
    res.writeHead(req.url === '/missing' ? 404 : 200,
      { 'Content-Type': 'application/json', 'X-Echo-Token': req.headers.authorization || '' });
    res.end(JSON.stringify({ authorization: req.headers.authorization || null, apiKey: req.headers['x-api-key'] || null,
                             method: req.method, body }));
  });
});

class RecordingTransport {
  constructor(inner) { this.inner = inner; }
  async start() {
    this.inner.onmessage = (m) => { received.push(JSON.stringify(m)); this.onmessage?.(m); };
    this.inner.onerror = (e) => this.onerror?.(e);
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
    this.inner.stderr?.on('data', (d) => received.push(d.toString()));
  }
  send(message, options) { return this.inner.send(message, options); }
  close() { return this.inner.close(); }
  get sessionId() { return this.inner.sessionId; }
  setProtocolVersion(v) { this.inner.setProtocolVersion?.(v); }
}

function text(result) {
  return result.content.map((c) => c.text).join('\n');
}

async function withClient(name, fn) {
  const transport = new RecordingTransport(new StdioClientTransport({
    command: mcpPath, args: [], env: process.env, stderr: 'pipe',
  }));
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  try {
    await fn(client);
  } finally {
    await client.close();
  }
}

// Raw JSON-RPC lines to a fresh server: for what the SDK would never send.
function raw(lines, expected) {
  return new Promise((resolve, reject) => {
    const child = spawn(mcpPath, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const replies = [];
    let buffer = '';
    child.stdout.on('data', (d) => {
      received.push(d.toString());
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        replies.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
      if (replies.length >= expected) {
        child.stdin.end();
      }
    });
    child.stderr.on('data', (d) => received.push(d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ replies, code }));
    for (const line of lines) {
      child.stdin.write(line + '\n');
    }
  });
}

const tests = [];
function test(name, fn) { tests.push([name, fn]); }

test('initialize and tools/list with the SDK (protocol 2025-11-25)', async () => {
  await withClient('mcp-test-client', async (client) => {
    assert.equal(client.getServerVersion().name, 'perihelion-mcp');
    assert.ok(client.getServerCapabilities().tools);
    assert.match(client.getInstructions(), /capabilities, not secrets/);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(),
      ['get_totp', 'http_request', 'list_credentials', 'oauth_token', 'request_secret', 'run_command']);
    for (const tool of tools) {
      assert.ok(tool.description.length > 60, `${tool.name} has a description a model can use`);
      assert.equal(tool.inputSchema.type, 'object');
    }
    const http = tools.find((t) => t.name === 'http_request');
    assert.deepEqual(http.inputSchema.required, ['entry', 'url']);
  });
});

test('older protocol versions are negotiated; an unknown one gets the latest', async () => {
  for (const [asked, answered] of [['2025-06-18', '2025-06-18'], ['2025-03-26', '2025-03-26'],
                                   ['2024-11-05', '2025-11-25']]) {
    const { replies } = await raw([JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: asked, capabilities: {}, clientInfo: { name: 'old-client', version: '0' } } })], 1);
    assert.equal(replies[0].result.protocolVersion, answered);
  }
});

test('list_credentials: metadata only, hosts from the URLs', async () => {
  await withClient('mcp-test-client', async (client) => {
    const result = await client.callTool({ name: 'list_credentials', arguments: {} });
    assert.equal(result.isError, false);
    const echo = result.structuredContent.credentials.find((c) => c.title === 'Echo API');
    assert.deepEqual(echo.hosts, ['127.0.0.1']);
    assert.equal(echo.username, 'bot');
    assert.equal(echo.has_totp, false);
    const totp = result.structuredContent.credentials.find((c) => c.title === 'Totp Site');
    assert.equal(totp.has_totp, true);
    const filtered = await client.callTool({ name: 'list_credentials', arguments: { query: 'Totp' } });
    assert.deepEqual(filtered.structuredContent.credentials.map((c) => c.title), ['Totp Site']);
  });
});

test('http_request sends the credential and masks it in what comes back', async () => {
  await withClient('mcp-test-client', async (client) => {
    const cases = [
      [{}, `Bearer ${canary}`, 'authorization'],
      [{ auth: 'basic' }, `Basic ${Buffer.from(`bot:${canary}`).toString('base64')}`, 'authorization'],
      [{ auth: 'header:X-Api-Key' }, canary, 'x-api-key'],
    ];
    for (const [extra, sent, header] of cases) {
      const before = serverLog.length;
      const result = await client.callTool({ name: 'http_request', arguments: {
        entry: 'Echo API', url: `http://127.0.0.1:${port}/echo`, method: 'POST', body: 'hello',
        headers: { 'Content-Type': 'text/plain' }, ...extra } });
      assert.equal(result.isError, false, text(result));
      assert.equal(serverLog.length, before + 1);
      assert.equal(serverLog[before].headers[header], sent, 'the service really got the credential');
      assert.equal(serverLog[before].body, 'hello');
      assert.equal(result.structuredContent.status, 200);
      const echoed = JSON.parse(result.structuredContent.body);
      assert.match(echoed.authorization ?? echoed.apiKey, /\[REDACTED\]/);
    }
    const missing = await client.callTool({ name: 'http_request', arguments: {
      entry: 'Echo API', url: `http://127.0.0.1:${port}/missing` } });
    assert.equal(missing.isError, true);
    assert.equal(missing.structuredContent.status, 404);
  });
});

test('http_request refuses hosts the entry does not name and does not follow redirects', async () => {
  await withClient('mcp-test-client', async (client) => {
    const before = serverLog.length;
    for (const url of [`http://localhost:${port}/echo`, 'https://evil.example/steal', `ftp://127.0.0.1:${port}/`,
                       'not a url']) {
      const result = await client.callTool({ name: 'http_request', arguments: { entry: 'Echo API', url } });
      assert.equal(result.isError, true, url);
      assert.match(text(result), /Refused/);
    }
    const wrongEntry = await client.callTool({ name: 'http_request', arguments: {
      entry: 'Other Service', url: `http://127.0.0.1:${port}/echo` } });
    assert.equal(wrongEntry.isError, true);
    assert.equal(serverLog.length, before, 'nothing was sent');

    const redirect = await client.callTool({ name: 'http_request', arguments: {
      entry: 'Echo API', url: `http://127.0.0.1:${port}/redirect` } });
    assert.equal(redirect.structuredContent.status, 302);
    assert.equal(redirect.structuredContent.redirect_not_followed, true);
    assert.equal(serverLog.length, before + 1);
    assert.ok(!serverLog.some((r) => r.url === '/stolen'), 'the redirect was not followed');
  });
});

test('run_command: the secret in one variable, the output masked, only the programs the policy names', async () => {
  await withClient('mcp-test-client', async (client) => {
    const script = 'echo "token=$API_TOKEN"; printf %s "$API_TOKEN" | base64; echo "stdin: $(cat)"; ' +
                   'test -z "$PH_CANARY_ABSENT" && echo >&2 "to stderr: $API_TOKEN"; exit 3';
    const result = await client.callTool({ name: 'run_command', arguments: {
      entry: 'Echo API', argv: ['sh', '-c', script], env_var: 'API_TOKEN' } });
    assert.equal(result.isError, true, 'a non-zero exit is reported as an error');
    assert.equal(result.structuredContent.exit_status, 3);
    const output = result.structuredContent.output;
    assert.match(output, /^token=\[REDACTED\]$/m, 'the program got the secret; the model sees it masked');
    assert.match(output, /^\[REDACTED\]$/m, 'its base64 form masked too');
    assert.match(output, /^stdin: $/m, 'nothing on standard input');
    assert.match(output, /to stderr: \[REDACTED\]/);

    const ok = await client.callTool({ name: 'run_command', arguments: {
      entry: 'Echo API', argv: ['sh', '-c', 'test -n "$API_TOKEN"'], env_var: 'API_TOKEN' } });
    assert.equal(ok.isError, false);
    assert.equal(ok.structuredContent.exit_status, 0);

    // The policy names sh only: env is another program, left to a person, and nobody is asked.
    const other = await client.callTool({ name: 'run_command', arguments: {
      entry: 'Echo API', argv: ['env'], env_var: 'API_TOKEN' } });
    assert.equal(other.isError, true);
    assert.match(text(other), /approv/i);

    const slow = await client.callTool({ name: 'run_command', arguments: {
      entry: 'Echo API', argv: ['sh', '-c', 'sleep 30'], env_var: 'API_TOKEN', timeout: 1 } });
    assert.equal(slow.structuredContent.timed_out, true);

    for (const bad of [{ env_var: 'LD_PRELOAD' }, { env_var: 'PATH' }, { env_var: 'A B' }, { argv: [] },
                       { argv: ['no-such-program-here'] }, { argv: [['sh']] }, { timeout: 0 }]) {
      const refused = await client.callTool({ name: 'run_command', arguments: {
        entry: 'Echo API', argv: ['sh', '-c', 'true'], env_var: 'API_TOKEN', ...bad } });
      assert.equal(refused.isError, true, JSON.stringify(bad));
      assert.match(text(refused), /Refused/);
    }
  });
});

test('the gate decides for the AI agent by its name', async () => {
  await withClient('mcp-test-client', async (client) => {
    // Policy: mcp-test-client may reveal the Totp Site code; a reveal of a password needs an
    // approval, and with nobody at the tray it is denied.
    const totp = await client.callTool({ name: 'get_totp', arguments: { entry: 'Totp Site' } });
    assert.equal(totp.isError, false, text(totp));
    const expected = [0, 30].map((skew) => execFileSync('oathtool', ['--totp', '-b', process.env.PH_TOTP_SECRET,
      '-N', `now - ${skew} seconds`]).toString().trim());
    assert.ok(expected.includes(text(totp)), `${text(totp)} is oathtool's code`);

    const secret = await client.callTool({ name: 'request_secret', arguments: {
      entry: 'Echo API', reason: 'to test' } });
    assert.equal(secret.isError, true);
    assert.match(text(secret), /Denied|approv/i);
    const noReason = await client.callTool({ name: 'request_secret', arguments: { entry: 'Echo API' } });
    assert.equal(noReason.isError, true);

    const list = await client.callTool({ name: 'list_credentials', arguments: { query: 'GitHub Bot' } });
    assert.equal(list.structuredContent.credentials[0].oauth_account, true);
    const oauth = await client.callTool({ name: 'oauth_token', arguments: { account: 'GitHub Bot' } });
    assert.equal(oauth.isError, false, text(oauth));
    assert.equal(text(oauth), 'gho_oauth-test-token');
    const noAccount = await client.callTool({ name: 'oauth_token', arguments: { account: 'Echo API' } });
    assert.equal(noAccount.isError, true, 'not an OAuth account');
  });
  // Another AI agent has no rule of its own: it may list, and using the credential needs an
  // approval nobody gives.
  await withClient('other-agent', async (client) => {
    const list = await client.callTool({ name: 'list_credentials', arguments: {} });
    assert.equal(list.isError, false);
    const before = serverLog.length;
    const use = await client.callTool({ name: 'http_request', arguments: {
      entry: 'Echo API', url: `http://127.0.0.1:${port}/echo` } });
    assert.equal(use.isError, true);
    assert.equal(serverLog.length, before, 'nothing was sent without the approval');
    const totp = await client.callTool({ name: 'get_totp', arguments: { entry: 'Totp Site' } });
    assert.equal(totp.isError, true);
    const oauth = await client.callTool({ name: 'oauth_token', arguments: { account: 'GitHub Bot' } });
    assert.equal(oauth.isError, true);
    assert.ok(!text(oauth).includes('gho_'));
  });
});

test('unknown tools and bad arguments are errors, not crashes', async () => {
  await withClient('mcp-test-client', async (client) => {
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), McpError);
    const bad = await client.callTool({ name: 'http_request', arguments: { entry: 'Echo API' } });
    assert.equal(bad.isError, true);
    const method = await client.callTool({ name: 'http_request', arguments: {
      entry: 'Echo API', url: `http://127.0.0.1:${port}/echo`, method: 'TRACE' } });
    assert.equal(method.isError, true);
  });
});

test('hostile JSON-RPC is refused cleanly and the server goes on', async () => {
  const init = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '0' } } });
  const huge = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping', params: { pad: 'x'.repeat(5 * 1024 * 1024) } });
  const { replies, code } = await raw([
    '{"jsonrpc": "2.0", "id": 1, "method": ',                       // malformed
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), // before initialize
    init,
    JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'no/such/method' }),
    JSON.stringify([{ jsonrpc: '2.0', id: 4, method: 'ping' }]),    // a batch
    JSON.stringify({ jsonrpc: '1.0', id: 5, method: 'ping' }),
    JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: 'ping' }),
    JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: 'nope' }),
    huge,
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
  ], 10);
  assert.equal(code, 0);
  const byId = (id) => replies.find((r) => r.id === id);
  assert.equal(replies[0].error.code, -32700);
  assert.equal(byId(2).error.code, -32600);
  assert.equal(byId(0).result.serverInfo.name, 'perihelion-mcp');
  assert.equal(byId(3).error.code, -32601);
  assert.equal(byId(5).error.code, -32600);
  assert.equal(byId(6).error.code, -32602);
  assert.equal(replies.filter((r) => r.id === null && r.error?.code === -32600).length, 3,
    'the batch, the object id and the huge message');
  assert.deepEqual(byId(7).result, {}, 'still serving after all that');
});

(async () => {
  await new Promise((resolve) => service.listen(port, '127.0.0.1', resolve));
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
  // No form of the secret in anything the MCP client saw.
  const everything = received.join('\n');
  const forms = [canary, Buffer.from(canary).toString('base64'), encodeURIComponent(canary),
                 Buffer.from(`bot:${canary}`).toString('base64')];
  for (const form of forms) {
    if (everything.includes(form)) {
      failed++;
      console.log(`not ok - a form of the secret reached the MCP client: ${form.length} characters`);
    }
  }
  console.log(`# ${received.length} messages recorded, ${everything.length} bytes, ${serverLog.length} HTTP requests`);
  service.close();
  process.exit(failed ? 1 : 0);
})();
