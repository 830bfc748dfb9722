import { createServiceApp, type ServiceApp } from '@gram/service-kit';

/**
 * The read side: projection workers and the query API. Until the read models land it serves
 * only `/health`, so the system's layout and its start-up already include it.
 */
export function buildProjectionsApp(): ServiceApp {
  return createServiceApp({ name: 'projections', description: 'Read models and the query API' });
}
