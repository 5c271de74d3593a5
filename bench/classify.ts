/**
 * Throughput of the policy language: classify() in TypeScript and the compiled SQL over a whole
 * population. Usage: DATABASE_URL=postgres://… npm run bench:classify -- [users] [eventsPerUser]
 * (without DATABASE_URL it runs on in-memory PGlite; keep the population small there).
 * It creates and drops its own database next to DATABASE_URL's.
 */
import { openScratchDatabase } from '../db/scratch.ts';
import { compileClassifier } from '../rules/classify.ts';
import { compile } from '../rules/compile.ts';
import { defaultPolicy } from '../rules/default-policy.ts';
import { parsePolicy, type Policy } from '../rules/policy.ts';
import type { Facts } from '../rules/facts.ts';

const users = Number(process.argv[2] ?? 1_000_000);
const perUser = Number(process.argv[3] ?? 10);
const D = 86_400_000;
const now = Date.parse('2026-06-01T00:00:00Z');
/** Windows, revenue and traits as well: the heavier end of what operators write. */
const richPolicy = parsePolicy(`
name: rich
stages:
  - stage: paying
    when: { any: [ { since_last_payment: { lt: 35 days } }, { revenue: { within: 90 days, gte: 100 } } ] }
  - stage: new
    when: { all: [ { account_age: { lt: 14 days } }, { not: { trait: { name: plan, eq: enterprise } } } ] }
  - stage: active
    when: { any: [ { since_last_activity: { lt: 7 days } }, { count: { events: [login, upload], within: 30 days, gte: 4 } } ] }
  - stage: silent
    when: { since_last_activity: { lt: 30 days } }
  - stage: churned
    otherwise: true
`, 'rich.yaml');

const names = ['login', 'login', 'login', 'page_view', 'page_view', 'email_opened', 'upload', 'purchase'];

/** A deterministic generator, so runs are comparable. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function* history(random: () => number) {
  for (let u = 0; u < users; u++) {
    // Each user is around for a while and then may stop: a spread of recencies.
    const start = now - Math.floor(random() * 180 * D);
    const end = Math.min(now, start + Math.floor(random() * 120 * D));
    const n = Math.max(1, Math.round(perUser * 2 * random()));
    const events: { name: string; at: number; revenue: string | null }[] = [];
    for (let i = 0; i < n; i++) {
      const name = names[Math.floor(random() * names.length)]!;
      events.push({ name, at: start + Math.floor(random() * (end - start + 1)), revenue: name === 'purchase' ? (5 + Math.floor(random() * 5000) / 100).toFixed(2) : null });
    }
    yield { id: `u${u}`, events };
  }
}

function benchClassify() {
  const policy = defaultPolicy();
  const classifier = compileClassifier(policy);
  const random = rng(1);
  const facts: Facts[] = [];
  for (const user of history(random)) {
    let first = Infinity;
    let active: number | null = null;
    let paid: number | null = null;
    for (const e of user.events) {
      first = Math.min(first, e.at);
      if (e.name !== 'email_opened') active = Math.max(active ?? -Infinity, e.at);
      if (e.name === 'purchase') paid = Math.max(paid ?? -Infinity, e.at);
    }
    facts.push({ firstSeenAt: first, lastActiveAt: active, lastPaymentAt: paid, counts: {}, revenue: {}, traits: {} });
  }
  const stages = new Map<string, number>();
  for (const f of facts) classifier(f, now); // warm up the JIT
  const start = performance.now();
  let next = 0;
  for (const f of facts) {
    const r = classifier(f, now);
    if (r.nextChangeAt !== null) next++;
    stages.set(r.stage, (stages.get(r.stage) ?? 0) + 1);
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`classify(): ${facts.length.toLocaleString()} users in ${seconds.toFixed(3)} s = ${Math.round(facts.length / seconds).toLocaleString()} users/s`);
  console.log('  stages', Object.fromEntries(stages), `(${next.toLocaleString()} with a next change)`);
}

async function benchSql() {
  const database = await openScratchDatabase(process.env.DATABASE_URL, 'lifeline_bench');
  try {
    const random = rng(1);
    let loadStart = performance.now();
    const all = [...history(random)];
    await database.copy('users', ['id', 'first_seen_at'], all.map((u) => [u.id, new Date(now)]));
    let id = 0;
    const events = await database.copy(
      'events',
      ['id', 'user_id', 'name', 'occurred_at', 'revenue'],
      (function* () {
        for (const u of all) for (const e of u.events) yield [`e${id++}`, u.id, e.name, new Date(e.at), e.revenue];
      })(),
    );
    await database.query('analyze users');
    await database.query('analyze events');
    console.log(`loaded ${all.length.toLocaleString()} users, ${events.toLocaleString()} events in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

    for (const [label, policy] of [['default', defaultPolicy()], ['rich', richPolicy]] as [string, Policy][]) {
      const query = compile(policy);
      for (let run = 0; run < 2; run++) {
        loadStart = performance.now();
        const rows = await database.query<{ stage: string; n: string }>(`select stage, count(*) as n from (${query.text}) c group by stage`, query.params(now));
        const seconds = (performance.now() - loadStart) / 1000;
        const total = rows.reduce((s, r) => s + Number(r.n), 0);
        console.log(`compiled SQL, ${label} policy (run ${run + 1}): ${total.toLocaleString()} users in ${seconds.toFixed(2)} s = ${Math.round(total / seconds).toLocaleString()} users/s`);
        console.log('  stages', Object.fromEntries(rows.map((r) => [r.stage, Number(r.n)])));
      }
    }
  } finally {
    await database.close();
  }
}

benchClassify();
await benchSql();
