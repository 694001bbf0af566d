// The approval outcomes, with the official MCP SDK as the client: test-mcp-approval clicks the
// agent's approval window (under Xvfb) while this script waits on perihelion-mcp. Approved and
// then denied, and while a person decides, progress notifications arrive.
//
// Environment: PH_MCP_PATH, PH_SECRET (the Echo API entry's password), PH_HTTP_PORT.
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

const port = Number(process.env.PH_HTTP_PORT);
const secret = process.env.PH_SECRET;
const serverLog = [];
const service = http.createServer((req, res) => {
  serverLog.push(req.headers.authorization);
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`you sent ${req.headers.authorization}`);
});

(async () => {
  await new Promise((resolve) => service.listen(port, '127.0.0.1', resolve));
  const client = new Client({ name: 'mcp-test-client', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.env.PH_MCP_PATH, args: [], env: process.env }));
  const progress = [];
  const options = { timeout: 60000, onprogress: (p) => progress.push(p) };

  // 1. Pending, then approved: the person reads the reason and allows once.
  const approved = await client.callTool({ name: 'request_secret', arguments: {
    entry: 'Echo API', reason: 'deploy the staging app' } }, undefined, options);
  assert.equal(approved.isError, false, JSON.stringify(approved));
  assert.equal(approved.content[0].text, secret);
  assert.ok(progress.length >= 1, 'progress notifications while the approval waited');
  assert.match(progress[0].message, /approve/);
  console.log(`ok - approved after ${progress.length} progress notifications`);

  // 2. A use of the credential, approved: sent, and masked in the answer.
  const used = await client.callTool({ name: 'http_request', arguments: {
    entry: 'Echo API', url: `http://127.0.0.1:${port}/` } }, undefined, options);
  assert.equal(used.isError, false, JSON.stringify(used));
  assert.equal(serverLog.at(-1), `Bearer ${secret}`);
  assert.equal(used.structuredContent.body, 'you sent Bearer [REDACTED]');
  console.log('ok - http_request approved, the credential sent and masked');

  // 3. Denied: a tool error the model can read, nothing released.
  const denied = await client.callTool({ name: 'request_secret', arguments: {
    entry: 'Echo API', reason: 'just curious' } }, undefined, options);
  assert.equal(denied.isError, true);
  assert.match(denied.content[0].text, /Not approved/);
  assert.ok(!JSON.stringify(denied).includes(secret));
  console.log('ok - denied is a tool error');

  // 4-6. The other tools, each approved in the window: the command ran with the secret (masked),
  // and the code and the token, which these tools reveal by design.
  const ran = await client.callTool({ name: 'run_command', arguments: {
    entry: 'Echo API', argv: ['sh', '-c', 'echo "key=$KEY"'], env_var: 'KEY' } }, undefined, options);
  assert.equal(ran.isError, false, JSON.stringify(ran));
  assert.equal(ran.structuredContent.output, 'key=[REDACTED]\n');
  const code = await client.callTool({ name: 'get_totp', arguments: { entry: 'Echo API' } }, undefined, options);
  assert.equal(code.isError, false, JSON.stringify(code));
  assert.match(code.content[0].text, /^[0-9]{6}$/);
  const token = await client.callTool({ name: 'oauth_token', arguments: { account: 'GitHub Bot' } }, undefined, options);
  assert.equal(token.isError, false, JSON.stringify(token));
  assert.equal(token.content[0].text, 'gho_approved-token');
  console.log('ok - run_command, get_totp and oauth_token approved');

  await client.close();
  service.close();
})().catch((error) => {
  console.log(`not ok - ${error.stack}`);
  process.exit(1);
});
