export { createDockerHostReconciler, dockerHostOutcome, withHelperImage } from './reconciler.js';
export type { DockerHostObserved, DockerHostReconcilerOptions } from './reconciler.js';
export { probeEngine, engineFacts } from './observe.js';
