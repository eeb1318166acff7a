'use strict';
// WebSocket peer for the Whatwg.WebSockets tests, built on the `ws` package.
//
//   node server.js [--port 0] [--deflate]
//
// Listens on 127.0.0.1 (port 0 picks a free port), prints exactly one line
// `listening <port>` to stdout once ready, and exits when its stdin pipe closes
// (so it dies with the test process that started it) or on SIGTERM/SIGINT.
//
// Paths:
//   /echo                       echo every message with the same type, byte-exact
//   /close?code=4001&reason=bye close right after connecting (no code: empty close frame)
//   /headers                    send one text message {"url":..., "headers":{...}}, then echo
//   /flood?size=N&count=M&binary=1
//                               send M messages of N bytes, then close 1000
//                               binary: byte i = i % 251; text: char i = 0x20 + i % 95
// Any other path is answered with 404 and no upgrade.
//
// Compression: --deflate accepts permessage-deflate with ws's defaults on every path. A query
// parameter `pmd` (JSON of ws's perMessageDeflate options, e.g.
// {"serverMaxWindowBits":10,"clientNoContextTakeover":true,"threshold":0}) accepts it with those
// options on that connection, whatever the flag; `pmd=off` declines it.
//
// Subprotocols: when the client offers some, the server selects `?protocol=NAME`
// if NAME is among the offered ones, no subprotocol at all if NAME is given but
// not offered, and otherwise the first offered one.

const fs = require('fs');
const http = require('http');
const { WebSocketServer } = require('ws');

function parseArgs(argv) {
  const options = { port: 0, deflate: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') options.port = Number(argv[++i]);
    else if (argv[i] === '--deflate') options.deflate = true;
    else {
      process.stderr.write(`unknown argument: ${argv[i]}\n`);
      process.exit(2);
    }
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const PATHS = new Set(['/echo', '/close', '/headers', '/flood', '/pingpong']);

function createServer(perMessageDeflate) {
  return new WebSocketServer({
    noServer: true,
    maxPayload: 128 * 1024 * 1024,
    perMessageDeflate,
    handleProtocols(protocols, request) {
      const wanted = new URL(request.url, 'ws://localhost').searchParams.get('protocol');
      if (wanted !== null) return protocols.has(wanted) ? wanted : false;
      const first = protocols.values().next();
      return first.done ? false : first.value;
    },
  });
}

const wss = createServer(options.deflate);
const servers = new Map(); // pmd query value -> server with those options

function serverFor(url) {
  const pmd = url.searchParams.get('pmd');
  if (pmd === null) return wss;
  let found = servers.get(pmd);
  if (found === undefined) {
    found = createServer(pmd === 'off' ? false : JSON.parse(pmd));
    servers.set(pmd, found);
  }
  return found;
}

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket upgrade required\n');
});

server.on('upgrade', (request, socket, head) => {
  const url = new URL(request.url, 'ws://localhost');
  if (!PATHS.has(url.pathname)) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  let target;
  try {
    target = serverFor(url);
  } catch (err) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  target.handleUpgrade(request, socket, head, (ws) => handle(ws, request, url));
});

function echo(ws) {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

function send(ws, data, binary) {
  return new Promise((resolve, reject) => {
    ws.send(data, { binary }, (err) => (err ? reject(err) : resolve()));
  });
}

async function flood(ws, params) {
  const size = Number(params.get('size') ?? 0);
  const count = Number(params.get('count') ?? 1);
  const binary = params.get('binary') === '1';
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = binary ? i % 251 : 0x20 + (i % 95);
  for (let n = 0; n < count && ws.readyState === ws.OPEN; n++) {
    await send(ws, payload, binary);
  }
  if (ws.readyState === ws.OPEN) ws.close(1000);
}

function handle(ws, request, url) {
  ws.on('error', (err) => process.stderr.write(`connection error: ${err.message}\n`));
  switch (url.pathname) {
    case '/echo':
      echo(ws);
      break;
    case '/close': {
      const code = url.searchParams.get('code');
      const reason = url.searchParams.get('reason') ?? '';
      if (code === null) ws.close();
      else ws.close(Number(code), reason);
      break;
    }
    case '/headers':
      ws.send(JSON.stringify({ url: request.url, headers: request.headers }));
      echo(ws);
      break;
    case '/flood':
      flood(ws, url.searchParams).catch((err) => {
        process.stderr.write(`flood failed: ${err.message}\n`);
      });
      break;
    case '/pingpong':
      // Reports each control frame it sees as a text message, and pings the client once with ?ping=DATA.
      ws.on('ping', (data) => ws.send(`ping ${data.toString('hex')}`));
      ws.on('pong', (data) => ws.send(`pong ${data.toString('hex')}`));
      echo(ws);
      if (url.searchParams.has('ping')) ws.ping(Buffer.from(url.searchParams.get('ping'), 'utf8'));
      break;
  }
}

function shutdown() {
  for (const s of [wss, ...servers.values()]) for (const client of s.clients) client.terminate();
  server.close();
  process.exit(0);
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Exit when the parent's end of a stdin pipe goes away; a terminal or /dev/null stdin is not watched.
const stdinStat = fs.fstatSync(0);
if (stdinStat.isFIFO() || stdinStat.isSocket()) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}

server.listen(options.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
