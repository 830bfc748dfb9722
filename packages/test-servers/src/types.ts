/** The servers this package can provide. */
export type ServerName = 'redis' | 'kafka' | 'mongo' | 's3';

export const SERVER_NAMES: readonly ServerName[] = ['redis', 'kafka', 'mongo', 's3'];

/** How a server is run: a container where a Docker engine is available, a local process otherwise. */
export type ServerMode = 'container' | 'local';

export interface RunningServer {
  readonly name: ServerName;
  /** Which server, its version and where it runs, e.g. `redis 7.0.15 (local process 127.0.0.1:40112)`. */
  readonly description: string;
  /** Stops the server and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RunningRedis extends RunningServer {
  readonly name: 'redis';
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

export interface RunningKafka extends RunningServer {
  readonly name: 'kafka';
  /** `host:port` of the bootstrap brokers. */
  readonly brokers: string[];
}

export interface RunningMongo extends RunningServer {
  readonly name: 'mongo';
  /** A MongoDB connection string without a database name. */
  readonly url: string;
}

export interface RunningS3 extends RunningServer {
  readonly name: 's3';
  /** `http://host:port`, path-style S3 API */
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export type AnyRunningServer = RunningRedis | RunningKafka | RunningMongo | RunningS3;
