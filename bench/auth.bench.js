'use strict';
/**
 * Authentication on the hot path: an authenticated GET (API key, then JWT) on a light route,
 * beside baselines answering the same bytes from memory in the same run.
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

const ROUTE = '/api/v1/api-keys?limit=1';

async function main() {
  const app = await startAgentry({ label: 'bench_auth' });
  const rows = [];
  try {
    const tenant = await benchTenant(app);
    const sample = await app.request('GET', ROUTE, { headers: { 'x-api-key': tenant.apiKey } });
    const body = Buffer.from(sample.text);
    console.log(`GET ${ROUTE}: ${body.length} bytes of JSON`);

    for (const kind of BASELINES) {
      const baseline = await startBaseline(kind, body);
      try {
        rows.push(await measure(baseline.label, { url: baseline.baseUrl + ROUTE }));
      } finally {
        await baseline.stop();
      }
    }
    // A freshly started app is slower for several seconds (JIT, pools): without this the first
    // Agentry row measured about half of the second one.
    const apiKey = { 'x-api-key': tenant.apiKey };
    const bearer = { authorization: `Bearer ${tenant.jwt}` };
    await warmUp({ url: app.baseUrl + ROUTE, headers: apiKey, seconds: 4 });
    await warmUp({ url: app.baseUrl + ROUTE, headers: bearer, seconds: 4 });
    rows.push(
      await measure('Agentry, X-API-Key', {
        url: app.baseUrl + ROUTE,
        headers: { 'x-api-key': tenant.apiKey },
      }),
    );
    rows.push(
      await measure('Agentry, Bearer JWT (HS256)', {
        url: app.baseUrl + ROUTE,
        headers: bearer,
      }),
    );
  } finally {
    await app.stop();
  }

  printTable(`Authenticated GET ${ROUTE}`, rows, rows.slice(0, 2));
  saveResults('auth', { route: ROUTE, rows });
  const failed = rows.filter((row) => row.non2xx + row.errors > 0);
  if (failed.length > 0) {
    console.error(`\nnon-2xx responses or errors from: ${failed.map((row) => row.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
