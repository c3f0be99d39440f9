import type { RunLinks } from './run-links';

/** Plain links for the tests: the app's routes are not under test here. */
export const testLinks: RunLinks = {
  run: (r) => `/r/${r.id}`,
  project: (r) => `/p/${r.project}`,
  commit: (r) => `/c/${r.trace.commit}`,
  build: (r) => `/b/${r.trace.build_id}`,
  images: (r) => `/i/${r.project}`,
  deployment: (r) => `/d/${r.trace.deployment_id ?? ''}`,
};
