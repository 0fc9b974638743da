'use strict';
/**
 * The execution services' hot path: GET /internal/v1/agents/:name/config with a service key,
 * beside baselines answering the same bytes from memory in the same run; then 304s
 * (If-None-Match), and the same with WEB_CONCURRENCY=2 (cluster workers, unpinned).
 */
const {
  BASELINES,
  benchTenant,
  measure,
  printTable,
  saveResults,
  startAgentry,
  startBaseline,
  warmUp,
} = require('./lib');

const AGENT = 'support';

/** A config of about 2 KB, as a realistic agent would have. */
function agentBody() {
  return {
    name: AGENT,
    description: 'Customer support agent for the billing product',
    system_prompt: `You are a support agent. ${'Answer politely, cite the knowledge base, escalate refunds. '.repeat(20)}`,
    model: { provider: 'openai', model: 'gpt-4o-mini', base_url: 'http://models.internal/v1' },
    config: { temperature: 0.3, top_p: 0.9, max_tokens: 800, max_steps: 8 },
    metadata: { team: 'support', owner: 'ops@example.com', tags: ['billing', 'eu'] },
    tags: ['production'],
  };
}

async function prepare(app) {
  const tenant = await benchTenant(app, 'bench-internal');
  const admin = { authorization: `Bearer ${tenant.jwt}` };
  await app.request('POST', '/api/v1/agents', { headers: admin, body: agentBody() });
  const key = await app.request('POST', '/api/v1/api-keys', {
    headers: admin,
    body: { name: 'executor', role: 'service' },
  });
  const headers = { 'x-api-key': key.json.key };
  const route = `/internal/v1/agents/${AGENT}/config`;
  const sample = await app.request('GET', route, { headers });
  return { route, headers, body: Buffer.from(sample.text), etag: sample.headers.get('etag') };
}

async function main() {
  const rows = [];
  let baselineRows;
  let info;
  const app = await startAgentry({ label: 'bench_internal' });
  try {
    info = await prepare(app);
    console.log(`GET ${info.route}: ${info.body.length} bytes of JSON, ETag ${info.etag}`);
    for (const kind of BASELINES) {
      const baseline = await startBaseline(kind, info.body);
      try {
        rows.push(await measure(baseline.label, { url: baseline.baseUrl + info.route }));
      } finally {
        await baseline.stop();
      }
    }
    baselineRows = rows.slice();
    await warmUp({ url: app.baseUrl + info.route, headers: info.headers, seconds: 4 });
    rows.push(
      await measure('Agentry, 200 (service key)', { url: app.baseUrl + info.route, headers: info.headers }),
    );
    rows.push(
      await measure('Agentry, 304 (If-None-Match)', {
        url: app.baseUrl + info.route,
        headers: { ...info.headers, 'if-none-match': info.etag },
      }),
    );
  } finally {
    await app.stop();
  }

  // Cluster mode: two workers share the port; with two cores the load generator shares them too,
  // so this row is not pinned and is not comparable with the pinned ones above.
  const clustered = await startAgentry({
    label: 'bench_internal_cluster',
    env: { WEB_CONCURRENCY: '2' },
    core: null,
  });
  try {
    const clusterInfo = await prepare(clustered);
    await warmUp({ url: clustered.baseUrl + clusterInfo.route, headers: clusterInfo.headers, seconds: 4 });
    rows.push(
      await measure('Agentry, 200, WEB_CONCURRENCY=2 (unpinned)', {
        url: clustered.baseUrl + clusterInfo.route,
        headers: clusterInfo.headers,
      }),
    );
  } finally {
    await clustered.stop();
  }

  printTable(`Internal resolved-config GET (${info.body.length} bytes)`, rows, baselineRows.slice(1, 2));
  const express = baselineRows.find((row) => row.name.includes('raw'));
  const agentry = rows.find((row) => row.name.startsWith('Agentry, 200 (service'));
  console.log(
    `\ngoal: >= 80% of plain Express (raw buffer) and p99 < 30 ms: ${Math.round((100 * agentry.rps) / express.rps)}%, p99 ${agentry.p99} ms`,
  );
  saveResults('internal-config', { route: info.route, bytes: info.body.length, rows });
  const failed = rows.filter((row) => row.errors > 0 || (row.non2xx > 0 && !row.name.includes('304')));
  if (failed.length > 0) {
    console.error(`\nnon-2xx responses or errors from: ${failed.map((row) => row.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
