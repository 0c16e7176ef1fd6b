// A bench-owned nginx in round-robin in front of some replicas: the same configuration as the
// replicas rig (test/scale/replicas-rig.ts), so 1 and 3 replicas are compared behind identical
// proxies; only the `upstream` block differs. One process (`master_process off`), so killing
// it leaves no orphaned worker.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX, freePort } from '../../test/scale/replicas-rig.ts';

export interface Nginx {
  base: string;
  child: ChildProcess;
}

export async function startNginx(upstreams: string[], track: (c: ChildProcess) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  # The access log is a write per request on the hot path; the bench measures the replicas.
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream warden {
${upstreams.map((u) => `    server ${new URL(u).host};`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://warden;
      proxy_http_version 1.1;
      # As in the rig: no keep-alive to the replicas, so every request of a session goes to
      # the next replica and each one opens the sealed session id itself.
      proxy_set_header Connection "close";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 60s;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    const up = await fetch(`${base}/healthz`).then(
      () => true,
      () => false,
    );
    if (up) return { base, child } satisfies Nginx;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not start: ${err}`);
}
