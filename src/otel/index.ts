/**
 * `memjs-namespaces/otel`: OpenTelemetry spans and metrics for memjs-namespaces, through
 * `@opentelemetry/api` (an optional peer dependency: install it to use this entry point).
 */
export { instrumentOpenTelemetry, type OpenTelemetryOptions } from './instrumentation.js';
