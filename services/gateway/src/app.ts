import { createServiceApp, type ServiceApp } from '@gram/service-kit';

/** The one public door. Until routing lands it serves only `/health`. */
export function buildGatewayApp(): ServiceApp {
  return createServiceApp({ name: 'gateway', description: 'The public API of the photo-sharing app' });
}
