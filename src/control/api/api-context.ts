import type { ControlConfig } from '../config/control-config.js';
import type { ServiceDeps } from '../services/service-deps.js';

/** What route modules get: the services' dependencies and the validated configuration. */
export interface ApiContext {
  deps: ServiceDeps;
  config: Pick<ControlConfig, 'publicUrl' | 'rateLimits'>;
}
