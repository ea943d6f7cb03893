import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

/**
 * Renders deploy/k8s with `kubectl kustomize` (offline) and checks every object three ways:
 * the JSON-schema validation of the typed `kubernetes-models` packages (types, required
 * fields), a TypeScript check of each object against those packages' interfaces (unknown or
 * misspelt fields, which the schemas let through but `kubectl apply` refuses), and the rules
 * this deployment depends on (probes, secrets by reference only, non-root, grace periods).
 */

const ROOT = resolve(__dirname, '..', '..');
const K8S = join(ROOT, 'deploy', 'k8s');

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: any;
};

function kubectl(): string {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    // No maintained JavaScript kustomize renderer exists to fall back on.
    throw new Error(
      'kubectl is required to render deploy/k8s (`kubectl kustomize` works offline): install kubectl ' +
        `(it bundles kustomize). ${probe.error?.message ?? probe.stderr}`,
    );
  }
  return 'kubectl';
}

function render(dir: string): K8sObject[] {
  const out = execFileSync(kubectl(), ['kustomize', join(K8S, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}

/** The kubernetes-models module of an object: `kubernetes-models/apps/v1/Deployment`. */
function modelPath(o: K8sObject): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : [undefined, o.apiVersion];
  return ['kubernetes-models', ...(group ? [group] : []), version, o.kind].join('/');
}

function schemaErrors(o: K8sObject): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Model = require(modelPath(o))[o.kind] as new (data: unknown) => { validate(): void };
  try {
    new Model(o).validate();
    return undefined;
  } catch (err) {
    return `${o.kind}/${o.metadata.name}: ${(err as Error).message}`;
  }
}

/** Type-checks the objects as literals of their kubernetes-models interfaces; returns the errors. */
function typeErrors(objects: K8sObject[]): string[] {
  const file = join(ROOT, 'test', 'deploy', '__rendered__.ts');
  const lines: string[] = [];
  objects.forEach((o, i) => {
    lines.push(`import type { I${o.kind} as T${i} } from '${modelPath(o)}';`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const index = Math.floor(line / 2);
    return `${objects[index]?.kind}/${objects[index]?.metadata.name}: ${text}`;
  });
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} rendered`);
  return found;
}

const podSpec = (o: K8sObject) => o.spec.template.spec;
const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e]));

/** Every variable Engram reads, from .env.example (the list of record). */
function knownVariables(): Set<string> {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
}

const overlays = ['dev', 'prod'] as const;
const rendered: Record<string, K8sObject[]> = {};

beforeAll(() => {
  for (const o of ['base', ...overlays]) rendered[o] = render(o === 'base' ? 'base' : `overlays/${o}`);
}, 60_000);

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('renders the base and both overlays with the expected objects', () => {
    const names = (o: string) => rendered[o].map((x) => `${x.kind}/${x.metadata.name}`).sort();
    const base = [
      'ConfigMap/engram-config',
      'Deployment/engram-api',
      'Deployment/engram-worker',
      'HorizontalPodAutoscaler/engram-api',
      'HorizontalPodAutoscaler/engram-worker',
      'Job/engram-migrate',
      'PodDisruptionBudget/engram-api',
      'Service/engram-api',
      'ServiceAccount/engram',
    ];
    expect(names('base')).toEqual(base);
    expect(names('prod')).toEqual([...base, 'Namespace/engram'].sort());
    expect(names('dev')).toEqual(
      [
        ...base,
        'Namespace/engram-dev',
        'Deployment/engram-postgres',
        'Service/engram-postgres',
        'Deployment/engram-redis',
        'Service/engram-redis',
      ].sort(),
    );
  });

  it.each(overlays)('%s: every object passes the kubernetes-models schema validation', (overlay) => {
    expect(rendered[overlay].map(schemaErrors).filter(Boolean)).toEqual([]);
  });

  it('every object of both overlays type-checks against the kubernetes-models types', () => {
    expect(typeErrors([...rendered.dev, ...rendered.prod])).toEqual([]);
  }, 60_000);

  it('would fail a broken manifest: a misspelt field, a wrong type, a missing selector', () => {
    const api = structuredClone(find(rendered.prod, 'Deployment', 'engram-api'));
    const misspelt = structuredClone(api);
    misspelt.spec.template.spec.containers[0].readinesProbe =
      misspelt.spec.template.spec.containers[0].readinessProbe;
    expect(typeErrors([misspelt]).join('\n')).toContain(
      `'"readinesProbe"' does not exist in type 'IContainer'`,
    );
    const wrongType = structuredClone(api);
    wrongType.spec.replicas = 'three';
    expect(schemaErrors(wrongType)).toContain('spec/replicas must be integer');
    const noSelector = structuredClone(api);
    delete noSelector.spec.selector;
    expect(schemaErrors(noSelector)).toContain('required property selector');
  });

  it.each(overlays)(
    '%s: the api has readiness, liveness, resources, a PDB, a Service and a CPU HPA',
    (overlay) => {
      const objects = rendered[overlay];
      const api = find(objects, 'Deployment', 'engram-api');
      const [c] = podSpec(api).containers;
      expect(c.args).toEqual(['api']);
      expect(c.readinessProbe.httpGet).toEqual({ path: '/v1/health/ready', port: 'http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/v1/health', port: 'http' });
      expect(c.ports).toEqual(expect.arrayContaining([{ name: 'http', containerPort: 8283 }]));
      const labels = api.spec.template.metadata.labels;
      expect(api.spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'engram',
        'app.kubernetes.io/component': 'api',
      });

      const pdb = find(objects, 'PodDisruptionBudget', 'engram-api');
      const service = find(objects, 'Service', 'engram-api');
      for (const selector of [pdb.spec.selector.matchLabels, service.spec.selector]) {
        expect(labels).toMatchObject(selector);
      }
      expect(service.spec.ports).toEqual([{ name: 'http', port: 8283, targetPort: 'http' }]);

      for (const name of ['engram-api', 'engram-worker']) {
        const hpa = find(objects, 'HorizontalPodAutoscaler', name);
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
        expect(hpa.spec.metrics).toEqual([
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ]);
      }
      expect(podSpec(find(objects, 'Deployment', 'engram-worker')).containers[0].args).toEqual(['worker']);
      expect(podSpec(find(objects, 'Job', 'engram-migrate')).containers[0].args).toEqual(['migrate']);
    },
  );

  it.each(overlays)(
    '%s: every container runs as non-root, read-only, without privileges, with resources',
    (overlay) => {
      for (const w of workloads(rendered[overlay])) {
        const pod = podSpec(w);
        expect([w.metadata.name, pod.securityContext]).toEqual([
          w.metadata.name,
          expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
        ]);
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        for (const c of pod.containers) {
          expect([w.metadata.name, c.securityContext]).toEqual([
            w.metadata.name,
            {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
          ]);
          expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
          expect(c.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        }
      }
    },
  );

  it.each(overlays)(
    '%s: secrets come only by reference from engram-secrets, and no Secret is in the repo',
    (overlay) => {
      const objects = rendered[overlay];
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      const refs = new Set<string>();
      for (const w of workloads(objects)) {
        for (const c of podSpec(w).containers) {
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (!ref) continue;
            expect(ref.name).toBe('engram-secrets');
            expect(ref.key).toBe(e.name);
            refs.add(e.name);
          }
          for (const from of c.envFrom ?? []) expect(from.secretRef).toBeUndefined();
        }
      }
      expect([...refs]).toEqual(
        expect.arrayContaining([
          'ENGRAM_SECRETS_KEY',
          'ENGRAM_ADMIN_KEY',
          'ENGRAM_JWT_SECRET',
          'OPENAI_API_KEY',
          'ANTHROPIC_API_KEY',
          ...(overlay === 'prod' ? ['DATABASE_URL', 'REDIS_URL'] : []),
        ]),
      );
      const config = find(objects, 'ConfigMap', 'engram-config').data as Record<string, string>;
      for (const key of Object.keys(config)) expect(key).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD|_URL$/);
    },
  );

  it.each(overlays)('%s: every variable the manifests set is one Engram reads', (overlay) => {
    const known = knownVariables();
    const objects = rendered[overlay];
    const used = new Set(Object.keys(find(objects, 'ConfigMap', 'engram-config').data));
    for (const w of workloads(objects).filter(
      (o) => o.metadata.name.startsWith('engram-') && !/postgres|redis/.test(o.metadata.name),
    )) {
      for (const c of podSpec(w).containers) for (const e of c.env ?? []) used.add(e.name);
    }
    const unknown = [...used].filter((v) => !known.has(v));
    expect(unknown).toEqual([]);
  });

  it.each(overlays)(
    '%s: Kubernetes waits longer than the API drains (preStop + ENGRAM_SHUTDOWN_GRACE_MS)',
    (overlay) => {
      const objects = rendered[overlay];
      const graceMs = Number(find(objects, 'ConfigMap', 'engram-config').data.ENGRAM_SHUTDOWN_GRACE_MS);
      expect(graceMs).toBeGreaterThan(0);
      for (const name of ['engram-api', 'engram-worker']) {
        const pod = podSpec(find(objects, 'Deployment', name));
        const preStop = pod.containers[0].lifecycle?.preStop?.exec?.command;
        const preStopMs = preStop ? Number(preStop[1]) * 1000 : 0;
        if (name === 'engram-api') expect(preStop).toEqual(['sleep', '5']);
        // A few seconds of margin for the process to exit after closing.
        expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(preStopMs + graceMs + 5_000);
      }
    },
  );

  it('dev: one replica each, with Postgres (pgvector) and Redis in the cluster', () => {
    const objects = rendered.dev;
    for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('engram-dev');
    expect(find(objects, 'Deployment', 'engram-api').spec.replicas).toBe(1);
    expect(find(objects, 'Deployment', 'engram-worker').spec.replicas).toBe(1);
    for (const name of ['engram-api', 'engram-worker']) {
      expect(find(objects, 'HorizontalPodAutoscaler', name).spec).toMatchObject({
        minReplicas: 1,
        maxReplicas: 1,
      });
    }
    expect(podSpec(find(objects, 'Deployment', 'engram-postgres')).containers[0].image).toMatch(
      /^pgvector\/pgvector:/,
    );
    expect(podSpec(find(objects, 'Deployment', 'engram-redis')).containers[0].image).toMatch(/^redis:/);
    for (const w of workloads(objects).filter((o) => /engram-(api|worker|migrate)/.test(o.metadata.name))) {
      const env = envOf(podSpec(w).containers[0]);
      expect(env.DATABASE_URL).toEqual({
        name: 'DATABASE_URL',
        value: 'postgres://engram@engram-postgres:5432/engram',
      });
      if (w.kind === 'Deployment')
        expect(env.REDIS_URL).toEqual({ name: 'REDIS_URL', value: 'redis://engram-redis:6379/0' });
    }
    expect(find(objects, 'Service', 'engram-postgres').spec.ports[0].port).toBe(5432);
    expect(find(objects, 'Service', 'engram-redis').spec.ports[0].port).toBe(6379);
  });

  it('prod: external Postgres and Redis from the Secret, several replicas, a pinned image', () => {
    const objects = rendered.prod;
    for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('engram');
    expect(objects.some((o) => /postgres|redis/.test(o.metadata.name))).toBe(false);
    expect(find(objects, 'HorizontalPodAutoscaler', 'engram-api').spec.minReplicas).toBeGreaterThanOrEqual(2);
    for (const w of workloads(objects)) {
      const c = podSpec(w).containers[0];
      expect(c.image).toMatch(/^engram:\d+\.\d+\.\d+$/);
      expect(envOf(c).DATABASE_URL.valueFrom.secretKeyRef).toEqual({
        name: 'engram-secrets',
        key: 'DATABASE_URL',
      });
    }
  });
});
