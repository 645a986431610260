/**
 * A dockerode-shaped engine for the adoption report's unit tests: it answers the reads the report
 * makes (version, info, container and image inspect) from a scripted host, and any other call — a
 * create, start, remove, exec, import, pull, swarm call, at any depth — is recorded as a write and
 * fails, so a test asserts `writes` is empty and a stray write also fails the report itself.
 */
import type Docker from 'dockerode';

export interface FakeContainer {
  Id: string;
  State: { Running: boolean; Pid: number };
  Config: { Image?: string; Labels?: Record<string, string> };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { SandboxKey?: string };
}

export interface FakeEngineWorld {
  /** false: every call fails as a refused connection. */
  reachable?: boolean;
  containers?: Record<string, FakeContainer>;
  images?: Record<string, { Id: string; Config?: { Labels?: Record<string, string> } }>;
  arch?: string;
}

export interface FakeEngine {
  docker: Docker;
  /** Every call that is not one of the reads above (method path, e.g. `getContainer(web1).remove`). */
  writes: string[];
  /** Every read made. */
  reads: string[];
}

function notFound(what: string): Error {
  return Object.assign(new Error(`No such ${what}`), { statusCode: 404 });
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED /fake.sock'), { code: 'ECONNREFUSED' });
}

export function readOnlyEngine(world: FakeEngineWorld): FakeEngine {
  const writes: string[] = [];
  const reads: string[] = [];
  const up = world.reachable !== false;
  const read = async <T>(what: string, answer: () => T): Promise<T> => {
    reads.push(what);
    if (!up) throw refused();
    return answer();
  };
  /** Any property of it is a function that records a write and fails. */
  const writer = (path: string): unknown =>
    new Proxy(function () {}, {
      get: (_t, prop) => (prop === 'then' ? undefined : writer(`${path}.${String(prop)}`)),
      apply: () => {
        writes.push(path);
        return Promise.reject(new Error(`write to the engine in a dry run: ${path}`));
      },
    });
  const withReads = (path: string, methods: Record<string, () => Promise<unknown>>): unknown =>
    new Proxy(methods, { get: (t, prop) => (typeof prop === 'string' && prop in t ? t[prop] : writer(`${path}.${String(prop)}`)) });

  const docker = withReads('docker', {
    version: () =>
      read('version', () => ({ Version: '27.5.1', ApiVersion: '1.47', Os: 'linux', Arch: world.arch ?? 'amd64', KernelVersion: '6.1.0' })),
    info: () => read('info', () => ({ Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } })),
  }) as Record<string, unknown>;
  const root = new Proxy(docker, {
    get: (t, prop) => {
      if (prop === 'getContainer')
        return (name: string) =>
          withReads(`getContainer(${name})`, {
            inspect: () =>
              read(`inspect container ${name}`, () => {
                const c = world.containers?.[name] ?? Object.values(world.containers ?? {}).find((x) => x.Id === name);
                if (!c) throw notFound(`container: ${name}`);
                return c;
              }),
          });
      if (prop === 'getImage')
        return (name: string) =>
          withReads(`getImage(${name})`, {
            inspect: () =>
              read(`inspect image ${name}`, () => {
                const i = world.images?.[name];
                if (!i) throw notFound(`image: ${name}`);
                return i;
              }),
          });
      return t[prop as string];
    },
  });
  return { docker: root as unknown as Docker, writes, reads };
}
