import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { PORTS } from '../config';
import { API_SERVER_HEALTH_PATH } from '../airflow/api-server';
import { SERVICE_NAMES } from '../airflow/airflow-settings';
import { labelsFor } from '../hardening/workload-defaults';
import { albTargetDraining } from './alb-target-draining';

export interface ApiServerIngressProps {
  readonly env: EnvironmentConfig;
}

/** ALB (AWS Load Balancer Controller) in front of the api-server: HTTPS only, IP targets, health-checked. */
export class ApiServerIngress extends Construct {
  constructor(scope: Construct, id: string, props: ApiServerIngressProps) {
    super(scope, id);
    const { env } = props;
    const i = env.ingress;
    const annotations: Record<string, string> = {
      'alb.ingress.kubernetes.io/scheme': i.scheme,
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'alb.ingress.kubernetes.io/healthcheck-path': API_SERVER_HEALTH_PATH,
      'alb.ingress.kubernetes.io/healthcheck-interval-seconds': '15',
      'alb.ingress.kubernetes.io/healthy-threshold-count': '2',
      'alb.ingress.kubernetes.io/unhealthy-threshold-count': '3',
      'alb.ingress.kubernetes.io/success-codes': '200',
      'alb.ingress.kubernetes.io/inbound-cidrs': i.allowedCidrs.join(','),
      'alb.ingress.kubernetes.io/target-group-attributes': `deregistration_delay.timeout_seconds=${albTargetDraining(env).deregistrationDelaySeconds}`,
      'alb.ingress.kubernetes.io/load-balancer-attributes': 'routing.http.drop_invalid_header_fields.enabled=true',
      'alb.ingress.kubernetes.io/tags': `airflow-eks/environment=${env.name}`,
    };
    if (i.certificateArn) annotations['alb.ingress.kubernetes.io/certificate-arn'] = i.certificateArn;
    new k8s.KubeIngress(this, 'Resource', {
      metadata: { name: SERVICE_NAMES.apiServer, namespace: env.namespace, labels: labelsFor(SERVICE_NAMES.apiServer, 'ingress'), annotations },
      spec: {
        ingressClassName: 'alb',
        tls: [{ hosts: [i.host] }],
        rules: [
          {
            host: i.host,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: SERVICE_NAMES.apiServer, port: { number: PORTS.apiServer } } },
                },
              ],
            },
          },
        ],
      },
    });
  }
}
