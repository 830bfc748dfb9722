/**
 * The load generator of the content benchmark, run in its own process (forked by
 * content.bench.ts) so that it never competes with the server for the server's event loop.
 * It receives one scenario over IPC, runs autocannon, and sends back the figures.
 */
import autocannon from 'autocannon';

export type Scenario =
  | {
      kind: 'like';
      url: string;
      /** each request likes post posts[k] as user k: every (post, user) pair at most once */
      tokens: string[];
      postIds: string[];
      connections: number;
      durationSeconds: number;
    }
  | { kind: 'create-post'; url: string; tokens: string[]; connections: number; durationSeconds: number };

export interface LoadFigures {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

function requestsOf(scenario: Scenario): autocannon.Request[] {
  let n = 0;
  const { tokens } = scenario;
  if (scenario.kind === 'like') {
    const { postIds } = scenario;
    return [
      {
        setupRequest: (request) => {
          const i = n++;
          const user = i % tokens.length;
          const post = Math.floor(i / tokens.length) % postIds.length;
          return {
            ...request,
            method: 'PUT',
            path: `/api/v1/posts/${postIds[post]}/like`,
            headers: { authorization: `Bearer ${tokens[user]}` },
          };
        },
      },
    ];
  }
  return [
    {
      setupRequest: (request) => {
        const i = n++;
        return {
          ...request,
          method: 'POST',
          path: '/api/v1/posts',
          headers: {
            authorization: `Bearer ${tokens[i % tokens.length]}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ photo: `https://img.example/bench/${i}.jpg`, caption: `bench post ${i}` }),
        };
      },
    },
  ];
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
