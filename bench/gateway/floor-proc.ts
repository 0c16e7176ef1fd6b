// The floor of any Node.js proxy on this machine, for comparison with the gateway's drop-in
// route (issue #4): a bare pass-through reverse proxy in its own process — node:http server,
// the request body read whole, one keep-alive request to the upstream, the answer read whole and
// written back. No auth, policy, audit or inspection. Prints {url} as one line; answers `cpu`
// lines on stdin like gateway-proc.ts; runs until SIGTERM. Usage: floor-proc.ts UPSTREAM_URL
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const target = new URL(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    delete headers.connection;
    const up = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: req.method,
        headers,
        agent,
      },
      (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(body));
        });
      },
    );
    up.on('error', () => res.writeHead(502).end());
    up.end(Buffer.concat(chunks));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const u = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpu_us: u.user + u.system })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
