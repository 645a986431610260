export { createDockerHostReconciler, dockerHostOutcome, withHelperImage } from './dockerhost-reconciler.js';
export type { DockerHostObserved, DockerHostReconcilerOptions } from './dockerhost-reconciler.js';
export { probeEngine, engineFacts } from './probe.js';
