/**
 * The load generator of the gateway and content benchmarks, run in its own process (forked by
 * gateway.bench.ts and services/content/bench/content.bench.ts) so that it never shares the servers'
 * event loop. It receives one scenario over IPC, runs autocannon, and sends back the figures.
 */
import autocannon from 'autocannon';

export type Scenario =
  | { kind: 'feed'; url: string; tokens: string[]; connections: number; durationSeconds: number }
  | {
      kind: 'post' | 'like';
      url: string;
      tokens: string[];
      /** reads: any of them; likes: each request likes posts[k] as user k, every pair at most once */
      postIds: string[];
      connections: number;
      durationSeconds: number;
    }
  | { kind: 'create-post'; url: string; tokens: string[]; connections: number; durationSeconds: number }
  | {
      /** GETs of the given paths in turn, each as one of the users in turn */
      kind: 'paths';
      url: string;
      tokens: string[];
      paths: string[];
      connections: number;
      durationSeconds: number;
    }
  | {
      kind: 'comment';
      url: string;
      tokens: string[];
      /** each request comments on one of them, in turn */
      postIds: string[];
      connections: number;
      durationSeconds: number;
    };

export interface LoadFigures {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** bytes received per response, headers included */
  bytesPerResponse: number;
}

function requestsOf(scenario: Scenario): autocannon.Request[] {
  let n = 0;
  const { tokens } = scenario;
  const auth = (i: number) => ({ authorization: `Bearer ${tokens[i % tokens.length]}` });
  const request = (build: (i: number) => Partial<autocannon.Request>): autocannon.Request[] => [
    { setupRequest: (base) => ({ ...base, ...build(n++) }) },
  ];
  switch (scenario.kind) {
    case 'feed':
      return request((i) => ({ method: 'GET', path: '/api/v1/feed', headers: auth(i) }));
    case 'post': {
      const { postIds } = scenario;
      return request((i) => ({
        method: 'GET',
        path: `/api/v1/posts/${postIds[(i * 7919) % postIds.length]}`,
        headers: auth(i),
      }));
    }
    case 'like': {
      const { postIds } = scenario;
      return request((i) => ({
        method: 'PUT',
        path: `/api/v1/posts/${postIds[Math.floor(i / tokens.length) % postIds.length]}/like`,
        headers: auth(i),
      }));
    }
    case 'create-post':
      return request((i) => ({
        method: 'POST',
        path: '/api/v1/posts',
        headers: { ...auth(i), 'content-type': 'application/json' },
        body: JSON.stringify({ photo: `https://img.example/bench/${i}.jpg`, caption: `bench post ${i}` }),
      }));
    case 'paths': {
      const { paths } = scenario;
      return request((i) => ({ method: 'GET', path: paths[i % paths.length], headers: auth(i) }));
    }
    case 'comment': {
      const { postIds } = scenario;
      return request((i) => ({
        method: 'POST',
        path: `/api/v1/posts/${postIds[i % postIds.length]}/comments`,
        headers: { ...auth(i), 'content-type': 'application/json' },
        body: JSON.stringify({ text: `bench comment ${i}, a few words as people write them` }),
      }));
    }
  }
}

async function run(scenario: Scenario): Promise<LoadFigures> {
  const result = await autocannon({
    url: scenario.url,
    connections: scenario.connections,
    duration: scenario.durationSeconds,
    requests: requestsOf(scenario),
  });
  return {
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
  };
}

process.once('message', (scenario: Scenario) => {
  run(scenario).then(
    (figures) => process.send?.(figures, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
