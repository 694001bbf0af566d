// perihelion-mcp benchmarks, with the official MCP SDK as the client (run by test-mcp with
// PH_MCP_CLIENT=mcp-bench.js: the same vault, policy and agent as the MCP tests).
// tools/call round trips for list_credentials and for an allowed http_request against a local
// server, the same request made directly for comparison, and 20 concurrent sessions.
'use strict';

const http = require('node:http');
const path = require('node:path');
const { Client } = require(path.join(process.env.NODE_PATH, '@modelcontextprotocol/sdk/dist/cjs/client/index.js'));
const { StdioClientTransport } = require(path.join(process.env.NODE_PATH,
  '@modelcontextprotocol/sdk/dist/cjs/client/stdio.js'));
const { StreamableHTTPClientTransport } = require(path.join(process.env.NODE_PATH,
  '@modelcontextprotocol/sdk/dist/cjs/client/streamableHttp.js'));
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');

const port = Number(process.env.PH_HTTP_PORT);
const url = `http://127.0.0.1:${port}/echo`;
const N = 300;
const children = [];

const service = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true}');
  });
});
const agent = new http.Agent({ keepAlive: true });

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), n: sorted.length };
}

function show(name, s) {
  console.log(`${name}: median ${s.median.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms (n=${s.n})`);
}

async function time(fn, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return samples;
}

async function connect(name) {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.env.PH_MCP_PATH, args: [], env: process.env }));
  return client;
}

function direct() {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers: { Authorization: 'Bearer x' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

(async () => {
  await new Promise((resolve) => service.listen(port, '127.0.0.1', resolve));
  const client = await connect('mcp-test-client');
  const list = () => client.callTool({ name: 'list_credentials', arguments: {} });
  const use = async () => {
    const r = await client.callTool({ name: 'http_request', arguments: { entry: 'Echo API', url } });
    if (r.isError) throw new Error(JSON.stringify(r));
  };
  await time(list, 20);
  await time(use, 20);
  await time(direct, 20);
  show('tools/call list_credentials (3 entries)', stats(await time(list, N)));
  const through = stats(await time(use, N));
  const alone = stats(await time(direct, N));
  show('tools/call http_request (allowed, local server)', through);
  show('the same request made directly (node, keep-alive)', alone);
  console.log(`http_request overhead over the request itself: ${(through.median - alone.median).toFixed(2)} ms (median)`);
  await client.close();

  // 20 sessions at once (each its own perihelion-mcp, as each AI agent would start), each
  // making 50 list_credentials calls concurrently with the others.
  const sessions = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(`bench-${i}`)));
  const all = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(sessions.map(async (s) => {
    all.push(...await time(() => s.callTool({ name: 'list_credentials', arguments: {} }), 50));
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  show('20 concurrent sessions, list_credentials', stats(all));
  console.log(`20 concurrent sessions: ${(all.length / seconds).toFixed(0)} calls/s in total`);
  await Promise.all(sessions.map((s) => s.close()));

  // The same over Streamable HTTP: one perihelion-mcp --http, 20 sessions at once.
  const token = crypto.randomBytes(32).toString('hex');
  const server = spawn(process.env.PH_MCP_PATH, ['--http', '127.0.0.1:0'],
    { env: { ...process.env, PERIHELION_MCP_TOKEN: token }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(server);
  const endpoint = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(d.toString().trim())));
  const overHttp = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const c = new Client({ name: `http-bench-${i}`, version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(endpoint),
      { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    return c;
  }));
  const single = overHttp[0];
  show('HTTP: tools/call list_credentials, one session', stats(await time(
    () => single.callTool({ name: 'list_credentials', arguments: {} }), N)));
  const httpAll = [];
  const t1 = process.hrtime.bigint();
  await Promise.all(overHttp.map(async (c) => {
    httpAll.push(...await time(() => c.callTool({ name: 'list_credentials', arguments: {} }), 50));
  }));
  const httpSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  show('HTTP: 20 concurrent sessions, list_credentials', stats(httpAll));
  console.log(`HTTP: 20 concurrent sessions: ${(httpAll.length / httpSeconds).toFixed(0)} calls/s in total`);
  await Promise.all(overHttp.map((c) => c.close()));
  server.kill('SIGTERM');
  service.close();
  agent.destroy();
})().catch((error) => {
  console.log(`not ok - ${error.stack}`);
  process.exitCode = 1;
}).finally(() => {
  // Whatever happened, no server of ours outlives the benchmark (it holds the harness's pipes).
  for (const child of children) child.kill('SIGKILL');
  process.exit();
});
