/**
 * Argo CD API types, from the published CRD models. Type-only: the models package is ESM and
 * this project compiles to CommonJS, so nothing is loaded at run time (validation runs in a child process).
 */
export type { IApplication as Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application' with { 'resolution-mode': 'import' };
export type { IAppProject as AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject' with { 'resolution-mode': 'import' };

import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application' with { 'resolution-mode': 'import' };
export type ApplicationSpec = IApplication['spec'];
export type SyncPolicy = NonNullable<ApplicationSpec['syncPolicy']>;
export type ResourceIgnoreDifferences = NonNullable<ApplicationSpec['ignoreDifferences']>[number];
