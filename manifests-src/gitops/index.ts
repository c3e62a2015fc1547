export * from './argocd-settings';
export * from './manifest-objects';
export { renderArgoCd } from './render';
export { CONTROLLER_OWNED_FIELDS } from './ignore-differences';
