/**
 * The logging surface the messaging code needs: pino's call shape (`logger.error({ ...fields }, 'message')`), so a
 * service passes its pino logger as is. Without one, lines go to stderr as JSON, one per line.
 */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

function line(level: string, fields: Record<string, unknown>, message: string): void {
  process.stderr.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: message })}\n`,
  );
}

export const stderrLogger: Logger = {
  info: (fields, message) => line('info', fields, message),
  warn: (fields, message) => line('warn', fields, message),
  error: (fields, message) => line('error', fields, message),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** An error as log fields: its message always, its stack only for errors that are not expected ones. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error)
    return { err: { name: error.name, message: error.message, stack: error.stack } };
  return { err: { message: String(error) } };
}
