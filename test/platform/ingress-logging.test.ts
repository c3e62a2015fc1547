import { environment, find, render } from '../support/render';

describe('ingress', () => {
  test('ALB, HTTPS with redirect, health check on the api-server health endpoint, scheme from config', () => {
    const env = environment('prod', { ingress: { host: 'af.example.com', scheme: 'internet-facing', allowedCidrs: ['203.0.113.0/24'], certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234' } });
    const ing = find(render([env]), 'Ingress', 'airflow-api-server');
    expect(ing.spec.ingressClassName).toBe('alb');
    expect(ing.metadata.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/healthcheck-path': '/api/v2/monitor/health',
      'alb.ingress.kubernetes.io/inbound-cidrs': '203.0.113.0/24',
      'alb.ingress.kubernetes.io/certificate-arn': 'arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234',
    });
    expect(ing.spec.rules[0].host).toBe('af.example.com');
  });
});

describe('FluentBit', () => {
  test('ships container logs to the CloudWatch group named from the config, with a Pod Identity service account', () => {
    const objs = render([environment('prod', { logging: { logGroupPrefix: '/custom/prefix' } })]);
    const conf: string = find(objs, 'ConfigMap', 'fluent-bit').data!['fluent-bit.conf'];
    expect(conf).toMatch(/log_group_name\s+\/custom\/prefix\/containers/);
    expect(conf).toMatch(/region\s+us-east-1/);
    const ds = find(objs, 'DaemonSet', 'fluent-bit');
    expect(ds.metadata.namespace).toBe('airflow-logging');
    expect(ds.spec.template.spec.serviceAccountName).toBe('fluent-bit');
    expect(ds.spec.template.spec.containers[0].image).toMatch(/aws-for-fluent-bit/);
  });
});
