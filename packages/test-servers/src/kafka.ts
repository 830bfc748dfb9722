import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadTestcontainers } from './containers.js';
import { installKafka, KAFKA_VERSION } from './kafka-install.js';
import { createRunDir, freePort } from './local/cache.js';
import { type LocalProcess, spawnServer, startWithRetries, waitUntilReady } from './local/process.js';
import { run } from './local/tools.js';
import { serverMode } from './mode.js';
import { once } from './once.js';
import type { RunningKafka } from './types.js';

const KAFKA_IMAGE = `apache/kafka:${KAFKA_VERSION}`;

/**
 * Broker settings shared by the container and the local process: a single node that is broker and KRaft
 * controller at once, so every replication factor is 1, and no rebalance delay (it would add 3s to every
 * consumer group a test starts). Internal topics get 3 partitions instead of 50: creating 50 partitions the
 * first time a test uses a consumer group or a transaction is the slowest part of a test run otherwise.
 */
const BROKER_SETTINGS: Record<string, string> = {
  'node.id': '1',
  'process.roles': 'broker,controller',
  'controller.listener.names': 'CONTROLLER',
  'inter.broker.listener.name': 'PLAINTEXT',
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
  'num.partitions': '3',
  'auto.create.topics.enable': 'true',
  'default.replication.factor': '1',
  'min.insync.replicas': '1',
  'offsets.topic.replication.factor': '1',
  'offsets.topic.num.partitions': '3',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'transaction.state.log.num.partitions': '3',
  'share.coordinator.state.topic.replication.factor': '1',
  'share.coordinator.state.topic.min.isr': '1',
  'group.initial.rebalance.delay.ms': '0',
};

/** Starts a Kafka broker (KRaft) for tests: a container where Docker runs, a local JVM otherwise. */
export async function startKafka(): Promise<RunningKafka> {
  return (await serverMode()) === 'container' ? startKafkaContainer() : startLocalKafka();
}

async function startKafkaContainer(): Promise<RunningKafka> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  // Clients must be told the broker's address as seen from the host, i.e. the mapped port, which is known
  // only once the container runs. So the container waits for a start script that is copied in afterwards,
  // the way the testcontainers Kafka modules do it.
  const startScript = '/tmp/gram-start-kafka.sh';
  const environment: Record<string, string> = {
    CLUSTER_ID: newClusterId(),
    KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093,HOST://0.0.0.0:19092',
    KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
    ...Object.fromEntries(Object.entries(BROKER_SETTINGS).map(([key, value]) => [imageEnvName(key), value])),
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,HOST:PLAINTEXT',
  };
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts(19092)
    .withEnvironment(environment)
    .withCommand([
      'sh',
      '-c',
      `echo waiting for the start script; while [ ! -f ${startScript} ]; do sleep 0.1; done; . ${startScript}`,
    ])
    .withWaitStrategy(Wait.forLogMessage('waiting for the start script'))
    .start();
  const stop = once(async () => {
    await container.stop();
  });
  try {
    const broker = `${container.getHost()}:${container.getMappedPort(19092)}`;
    await container.copyContentToContainer([
      {
        content: `export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://localhost:9092,HOST://${broker}\nexec /etc/kafka/docker/run\n`,
        target: startScript,
      },
    ]);
    await waitForKafka([broker], 120_000);
    return {
      name: 'kafka',
      brokers: [broker],
      description: `kafka ${KAFKA_VERSION} (container ${KAFKA_IMAGE} ${broker})`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `offsets.topic.replication.factor` -> `KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR`, as the apache/kafka image reads it. */
function imageEnvName(setting: string): string {
  return `KAFKA_${setting.toUpperCase().replaceAll('.', '_')}`;
}

async function startLocalKafka(): Promise<RunningKafka> {
  const kafka = await installKafka();
  return startWithRetries('kafka', async () => {
    const dir = await createRunDir('kafka');
    let server: LocalProcess | undefined;
    const stop = once(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });
    try {
      const brokerPort = await freePort();
      let controllerPort = await freePort();
      while (controllerPort === brokerPort) controllerPort = await freePort();
      const broker = `127.0.0.1:${brokerPort}`;

      const properties = join(dir, 'server.properties');
      await writeFile(
        properties,
        toProperties({
          ...BROKER_SETTINGS,
          // A static quorum of one voter: no --standalone/--initial-controllers dance at format time.
          'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
          listeners: `PLAINTEXT://${broker},CONTROLLER://127.0.0.1:${controllerPort}`,
          'advertised.listeners': `PLAINTEXT://${broker}`,
          'log.dirs': join(dir, 'data'),
        }),
      );
      const log4j = join(dir, 'log4j2.properties');
      await writeFile(log4j, log4jProperties(join(dir, 'kafka.log')));

      const jvm = [...javaOptions(), `-Dlog4j2.configurationFile=file:${log4j}`, '-cp', kafka.classPath];
      await run(kafka.java, [
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '--cluster-id',
        newClusterId(),
        '--config',
        properties,
      ]);
      server = await spawnServer({
        command: kafka.java,
        args: [...jvm, 'kafka.Kafka', properties],
        cwd: dir,
        logFile: join(dir, 'stdout.log'),
      });
      await waitUntilReady('kafka', server, () => waitForKafka([broker], 5_000));
      return {
        name: 'kafka',
        brokers: [broker],
        description: `kafka ${kafka.version} (local process ${broker})`,
        stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  });
}

/**
 * A small heap and a fast-starting JVM: on a 2-core machine the JIT's C2 compiler and a parallel GC compete
 * with the tests for the CPU, and C1 code is fast enough for test traffic. `GRAM_KAFKA_JAVA_OPTS` replaces
 * these, e.g. for a long-running broker under load.
 */
function javaOptions(): string[] {
  const custom = process.env.GRAM_KAFKA_JAVA_OPTS;
  if (custom) return custom.split(/\s+/).filter(Boolean);
  return [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
  ];
}

/** Warnings and errors only, into a file in the run dir: Kafka's INFO logging is megabytes per run. */
function log4jProperties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = warn',
    'rootLogger.appenderRef.file.ref = file',
    '',
  ].join('\n');
}

function toProperties(settings: Record<string, string>): string {
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/**
 * Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. One draw in 64 starts with '-',
 * which `kafka-storage format --cluster-id` then reads as an option and refuses; Kafka's own
 * `Uuid.randomUuid()` draws again in that case, and so does this.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Ready means what tests do first works at once: reading metadata, joining a consumer group, starting an
 * idempotent producer. A fresh broker answers metadata requests well before its group coordinator has
 * loaded (__consumer_offsets is created on first use) and before it can hand out producer ids; clients
 * retry through that, but each test would pay for it in seconds and pages of kafkajs errors.
 */
async function waitForKafka(brokers: string[], timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'test-servers-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: Math.max(0, Math.floor(timeoutMs / 500)), initialRetryTime: 100, maxRetryTime: 500 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.describeGroups(['gram-test-servers-probe']);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    // Connecting an idempotent producer is what asks the broker for a producer id.
    await producer.connect();
  } finally {
    await producer.disconnect();
  }
}
