// Starts the already-built Butterbase portal as a real process on 127.0.0.1 with its own temporary SQLite
// database and the Sandbox on, creates an app with the CLI (`apps create`), and mints end-user JWTs.
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The Debug build `scripts/test.sh` makes (`dotnet build Butterbase.Portal.sln`); override with BUTTERBASE_PORTAL_DLL. */
export const portalDll = process.env.BUTTERBASE_PORTAL_DLL
  ?? join(repo, 'Butterbase.Portal', 'bin', 'Debug', 'net10.0', 'Butterbase.Portal.dll');

/** A port nothing listens on right now (bound, read, released). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function run(args, env, cwd) {
  return new Promise((resolveRun, reject) => {
    execFile('dotnet', [portalDll, ...args], { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`dotnet ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolveRun(stdout);
    });
  });
}

/**
 * @param {{ env?: Record<string,string>, redirectUrls?: string[], port?: number }} options
 *   env: extra configuration (e.g. `Butterbase__Toolkits__slack__TokenUrl`); redirectUrls: the app's allowed redirect URLs.
 */
export async function startPortal({ env = {}, redirectUrls = [], port } = {}) {
  if (!existsSync(portalDll))
    throw new Error(`The portal is not built: ${portalDll} is missing. Run: dotnet build Butterbase.Portal/Butterbase.Portal.csproj`);
  const dir = await mkdtemp(join(tmpdir(), 'bb-sdk-test-'));
  port ??= await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const fullEnv = {
    ...process.env,
    ASPNETCORE_ENVIRONMENT: 'Production',
    DOTNET_NOLOGO: '1',
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    ConnectionStrings__Butterbase: `Data Source=${join(dir, 'b.db')}`,
    Butterbase__Sandbox__Enabled: 'true',
    // Outside Development the public origin is required (never taken from a request's Host header), and the node
    // stand-ins listen on loopback, which the outbound policy refuses unless told otherwise.
    Butterbase__PublicBaseUrl: baseUrl,
    Butterbase__Outbound__AllowPrivateNetworks: 'true',
    Logging__LogLevel__Default: 'Warning',
    ...env,
  };

  // The CLI prints {"appId","apiKey"} as its last stdout line, using the same database and configuration.
  const created = await run(['apps', 'create', '--name', 'sdk-test', ...redirectUrls.flatMap((u) => ['--allowed-redirect-url', u])], fullEnv, dir);
  const { appId, apiKey } = JSON.parse(created.trim().split('\n').at(-1));

  const child = spawn('dotnet', [portalDll, '--urls', baseUrl], { env: fullEnv, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk) => { log = (log + chunk).slice(-20_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  // If the test process ends without reaching stop() (a crash, a runner timeout), do not leave the portal running.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);

  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(r, 150, null))]);
    if (early) throw new Error(`The portal exited before it was healthy (${JSON.stringify(early)}):\n${log}`);
    try {
      const health = await fetch(`${baseUrl}/healthz`);
      if (health.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The portal was not healthy within 60 s:\n${log}`);
    }
  }

  return {
    baseUrl,
    appId,
    apiKey,
    get log() { return log; },
    /** An end-user JWT minted by the host (`POST /v1/{appId}/auth/user-token`). */
    async userToken(userId, expiresIn = 3600) {
      const response = await fetch(`${baseUrl}/v1/${appId}/auth/user-token`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId, expiresIn }),
      });
      if (!response.ok) throw new Error(`user-token for ${userId}: ${response.status} ${await response.text()}`);
      return (await response.json()).access_token;
    },
    async stop() {
      process.off('exit', orphanGuard);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
