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
//   /sequence?echo=1&send=N     check the ordered messages the client sends (see "Ordered messages" below);
//                               echo=1 echoes each one; send=N sends N ordered messages of stream 999 at once,
//                               while receiving. The client's Close is answered with 1000 and the reason
//                               `ok n=<messages received> s=<messages sent on stream 999>`, or
//                               `bad n=<received> s=<sent> <first error>` (cut to 123 bytes).
// Any other path is answered with 404 and no upgrade.
//
// Ordered messages (also built and checked by the .NET tests, Reliability/OrderingServers.cs): the ASCII header
// `<stream>.<seq>.<length>.<t|b>|` then filler up to <length> bytes in all, from xorshift32 seeded by
// (stream, seq): text filler bytes 0x20 + x % 95, binary filler bytes x & 0xff. Within a stream, seq counts
// 0, 1, 2, ... in sending order; the message type must match t|b.
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
const PATHS = new Set(['/echo', '/close', '/headers', '/flood', '/pingpong', '/sequence']);

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

function orderedSeed(stream, seq) {
  const seed = (Math.imul(stream, 0x9e3779b1) ^ Math.imul(seq, 0x85ebca77)) >>> 0;
  return seed === 0 ? 1 : seed;
}

function orderedMessage(stream, seq, length, text) {
  const header = Buffer.from(`${stream}.${seq}.${length}.${text ? 't' : 'b'}|`, 'latin1');
  if (length < header.length) return null;
  const out = Buffer.allocUnsafe(length);
  header.copy(out, 0);
  let x = orderedSeed(stream, seq);
  for (let i = header.length; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = text ? 0x20 + (x % 95) : x & 0xff;
  }
  return out;
}

// Returns { stream, seq } for a whole, correct ordered message, or a string saying what is wrong with it.
function readOrdered(data, isBinary) {
  const bar = data.indexOf(0x7c);
  if (bar < 0 || bar > 64) return `no header in a ${data.length}-byte message`;
  const match = /^(\d+)\.(\d+)\.(\d+)\.([tb])$/.exec(data.toString('latin1', 0, bar));
  if (match === null) return `bad header "${data.toString('latin1', 0, Math.min(bar, 40))}"`;
  const [stream, seq, length] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const text = match[4] === 't';
  const where = `stream ${stream} seq ${seq}`;
  if (text === isBinary) return `${where}: sent as ${text ? 'text' : 'binary'}, received as ${isBinary ? 'binary' : 'text'}`;
  if (length !== data.length) return `${where}: ${data.length} bytes, header says ${length}`;
  const expected = orderedMessage(stream, seq, length, text);
  if (expected === null || !expected.equals(data)) return `${where}: content differs`;
  return { stream, seq };
}

function sequence(ws, params) {
  const echoing = params.get('echo') === '1';
  const toSend = Number(params.get('send') ?? 0);
  const next = new Map();
  let received = 0;
  let sent = 0;
  let error = null;
  ws.on('message', (data, isBinary) => {
    received++;
    const result = readOrdered(data, isBinary);
    if (typeof result === 'string') {
      error ??= result;
    } else {
      const expected = next.get(result.stream) ?? 0;
      if (result.seq !== expected) error ??= `stream ${result.stream}: expected seq ${expected}, got ${result.seq}`;
      next.set(result.stream, result.seq + 1);
    }
    if (echoing) ws.send(data, { binary: isBinary });
  });
  // ws answers a Close frame by calling close(code, reason) on the socket; on that path only (the Close frame
  // has been received), answer with 1000 and the counts instead of echoing the client's code and reason.
  const close = ws.close.bind(ws);
  ws.close = (code, reason) => {
    if (!ws._closeFrameReceived) return close(code, reason);
    const summary = `${error === null ? 'ok' : 'bad'} n=${received} s=${sent}${error === null ? '' : ' ' + error}`;
    return close(1000, summary.slice(0, 123));
  };
  (async () => {
    for (let seq = 0; seq < toSend && ws.readyState === ws.OPEN; seq++) {
      const text = seq % 2 === 0;
      sent++;
      await send(ws, orderedMessage(999, seq, 64 + ((seq * 37) % 2000), text), !text);
    }
  })().catch((err) => process.stderr.write(`sequence send failed: ${err.message}\n`));
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
    case '/sequence':
      sequence(ws, url.searchParams);
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
