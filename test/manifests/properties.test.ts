import { loadEnvironments } from '../../manifests-src/config';
import { AIRFLOW_GENERATED_SECRETS, K8S_SECRETS, secretsManagerNames } from '../../manifests-src/config';
import * as path from 'node:path';
import { readTree } from '../../manifests-src/validate/drift';
import { LOG_GROOMER } from '../../manifests-src/airflow/log-groomer';
import { parseFiles, podSpecOf, type K8sObject, type RenderedObject } from '../support/render';

/**
 * Properties every object in dist/ must have, checked over all environments. Exceptions are listed with
 * their reason; anything else failing a rule fails the test with the object's file and name.
 */
const envs = loadEnvironments();
// The committed files Argo CD syncs (the drift test proves they equal a fresh render).
const all = parseFiles(readTree(path.join(__dirname, '..', '..', 'dist')));
const id = (o: RenderedObject) => `${o.file} ${o.obj.kind}/${o.obj.metadata.name}`;
const workloads = all.filter((o) => podSpecOf(o.obj));

/** Containers allowed to run as root, and why. */
const ROOT_ALLOWED: Record<string, string> = {
  'fluent-bit/fluent-bit': 'reads root-owned host log files; no capabilities but DAC_READ_SEARCH, read-only root FS',
};

function containersOf(o: K8sObject): { c: any; init: boolean; sidecar: boolean }[] {
  const spec = podSpecOf(o)!;
  return [
    ...(spec.initContainers ?? []).map((c: any) => ({ c, init: true, sidecar: c.restartPolicy === 'Always' })),
    ...spec.containers.map((c: any) => ({ c, init: false, sidecar: false })),
  ];
}

function failures(check: (o: RenderedObject) => string | undefined, objs = workloads): string[] {
  return objs.map((o) => {
    const why = check(o);
    return why ? `${id(o)}: ${why}` : undefined;
  }).filter((x): x is string => !!x);
}

describe('hygiene of every workload in dist/', () => {
  test('dist/ has workloads for every environment', () => {
    for (const env of envs) expect(workloads.filter((w) => w.env === env.name).length).toBeGreaterThanOrEqual(8);
  });

  test('every container has CPU and memory requests and limits', () => {
    expect(failures((o) => containersOf(o.obj).map(({ c }) => {
      const r = c.resources ?? {};
      return ['requests', 'limits'].flatMap((k) => ['cpu', 'memory'].filter((m) => !r[k]?.[m]).map((m) => `${c.name} lacks ${k}.${m}`)).join('; ') || undefined;
    }).filter(Boolean).join('; ') || undefined)).toEqual([]);
  });

  // The log groomer is a one-process loop restarted by its restartPolicy; an exec probe in it could not run
  // within its CPU limit (manifests-src/airflow/log-groomer.ts).
  test('every long-running container has liveness and startup probes (Jobs, one-shot init containers and the log groomer excepted)', () => {
    expect(failures((o) => o.obj.kind === 'Job' ? undefined : containersOf(o.obj)
      .filter(({ init, sidecar }) => !init || sidecar)
      .filter(({ c }) => c.name !== LOG_GROOMER)
      .filter(({ c }) => !c.livenessProbe || !c.startupProbe)
      .map(({ c }) => `${c.name} lacks probes`).join('; ') || undefined)).toEqual([]);
  });

  test('containers are hardened: no privilege escalation, ALL capabilities dropped, read-only root FS, non-root', () => {
    expect(failures((o) => containersOf(o.obj).map(({ c }) => {
      const s = c.securityContext ?? {};
      const problems: string[] = [];
      if (s.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation not false');
      if (!s.capabilities?.drop?.includes('ALL')) problems.push('capabilities not dropped');
      if (s.readOnlyRootFilesystem !== true) problems.push('root FS writable');
      const podNonRoot = podSpecOf(o.obj)!.securityContext?.runAsNonRoot === true;
      if (!(s.runAsNonRoot === true || (podNonRoot && s.runAsNonRoot !== false)) && !ROOT_ALLOWED[`${o.obj.metadata.name}/${c.name}`]) problems.push('may run as root');
      return problems.length ? `${c.name}: ${problems.join(', ')}` : undefined;
    }).filter(Boolean).join('; ') || undefined)).toEqual([]);
  });

  test('every workload has its own ServiceAccount, rendered in the same environment', () => {
    expect(failures((o) => {
      const sa = podSpecOf(o.obj)!.serviceAccountName;
      if (!sa || sa === 'default') return 'uses the default ServiceAccount';
      const ns = o.obj.metadata.namespace;
      return all.some((x) => x.env === o.env && x.obj.kind === 'ServiceAccount' && x.obj.metadata.name === sa && x.obj.metadata.namespace === ns) ? undefined : `ServiceAccount ${sa} missing`;
    })).toEqual([]);
  });

  test('multi-replica Deployments spread over zones and have a PodDisruptionBudget selecting them', () => {
    const deployments = workloads.filter((o) => o.obj.kind === 'Deployment');
    expect(failures((o) => {
      const replicas = o.obj.spec.replicas ?? 1;
      const spread = podSpecOf(o.obj)!.topologySpreadConstraints ?? [];
      if (!spread.some((t: any) => t.topologyKey === 'topology.kubernetes.io/zone')) return 'no zone spread';
      if (replicas < 2) return undefined;
      const sel = o.obj.spec.selector.matchLabels;
      const pdb = all.find((x) => x.env === o.env && x.obj.kind === 'PodDisruptionBudget' && JSON.stringify(x.obj.spec.selector.matchLabels) === JSON.stringify(sel));
      return pdb ? undefined : `replicas=${replicas} but no PDB`;
    }, deployments)).toEqual([]);
  });

  test('prod runs api-server, scheduler and PgBouncer with at least 2 replicas', () => {
    for (const name of ['airflow-api-server', 'airflow-scheduler', 'pgbouncer']) {
      const d = all.find((o) => o.env === 'prod' && o.obj.kind === 'Deployment' && o.obj.metadata.name === name)!;
      expect([name, d.obj.spec.replicas >= 2]).toEqual([name, true]);
    }
  });

  test('each namespace with workloads has a default-deny NetworkPolicy', () => {
    for (const env of envs) {
      const deny = all.find((o) => o.env === env.name && o.obj.kind === 'NetworkPolicy' && o.obj.metadata.namespace === env.namespace && JSON.stringify(o.obj.spec.podSelector) === '{}');
      expect(deny?.obj.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    }
  });

  test('images come from the configured registry (the ECR mirror in aws-cn) and are pinned', () => {
    expect(failures((o) => {
      const env = envs.find((e) => e.name === o.env)!;
      return containersOf(o.obj).map(({ c }) => {
        if (/:latest$|^[^:]+$/.test(c.image)) return `${c.name}: unpinned image ${c.image}`;
        if (env.images.mirrorRegistry && !c.image.startsWith(`${env.images.mirrorRegistry}/`)) return `${c.name}: ${c.image} bypasses the mirror`;
        return undefined;
      }).filter(Boolean).join('; ') || undefined;
    })).toEqual([]);
  });
});

describe('no secret values in dist/', () => {
  test('no Secret objects at all: credentials arrive only through ExternalSecrets', () => {
    expect(all.filter((o) => o.obj.kind === 'Secret').map(id)).toEqual([]);
  });

  test('secret-looking env vars and ConfigMap keys carry references, never values', () => {
    const secretish = /(PASSWORD|SECRET|TOKEN|FERNET|_KEY$|SQL_ALCHEMY_CONN|BROKER_URL|RESULT_BACKEND)/i;
    const envLeaks = failures((o) => containersOf(o.obj).flatMap(({ c }) => (c.env ?? [])
      .filter((e: any) => secretish.test(e.name) && e.value !== undefined && !/_FILE$|_CMD$|^AIRFLOW__SECRETS__BACKEND(_KWARGS)?$/.test(e.name))
      .map((e: any) => `${c.name}: ${e.name} has a literal value`)).join('; ') || undefined);
    const cmLeaks = all.filter((o) => o.obj.kind === 'ConfigMap').flatMap((o) => Object.keys(o.obj.data ?? {}).filter((k) => secretish.test(k)).map((k) => `${id(o)}: ${k}`));
    expect([...envLeaks, ...cmLeaks]).toEqual([]);
  });

  test('every Secret a pod references is produced by an ExternalSecret from the documented Secrets Manager names', () => {
    for (const env of envs) {
      const inEnv = all.filter((o) => o.env === env.name);
      const produced = new Map(inEnv.filter((o) => o.obj.kind === 'ExternalSecret').map((o) => [o.obj.spec.target.name, o.obj]));
      const referenced = new Set<string>();
      for (const o of inEnv.filter((x) => podSpecOf(x.obj) && x.obj.metadata.namespace === env.namespace)) {
        const spec = podSpecOf(o.obj)!;
        for (const { c } of containersOf(o.obj)) for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
        for (const v of spec.volumes ?? []) if (v.secret) referenced.add(v.secret.secretName);
      }
      expect([...referenced].filter((s) => !produced.has(s))).toEqual([]);
      const allowed = new Set(Object.values(secretsManagerNames(env)));
      const remoteKeys = [...produced.values()].flatMap((es) => [...(es.spec.data ?? []).map((d: any) => d.remoteRef.key), ...(es.spec.dataFrom ?? []).map((d: any) => d.extract.key)]);
      expect(remoteKeys.filter((k) => !allowed.has(k))).toEqual([]);
      for (const k of AIRFLOW_GENERATED_SECRETS) expect(produced.has(K8S_SECRETS[k].name)).toBe(true);
    }
  });
});
