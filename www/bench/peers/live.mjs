// Scenario 10: live queries (issue 17), strata's `live` option beside TanStack DB's live query
// collections (@tanstack/db, a local-only collection with the BTree indexes its warnings ask
// for on the filtered and sorted fields), the same tasks, interleaved in one page.
//   a. build: a live query "open tasks by due date, first 100" over 100,000 tasks (the tasks
//      are in the store / collection already, untimed), timed until its result can be read;
//   b. update one task that moves within that window, timed from the write call until the
//      observer is notified (strata: updateEntity -> subscribeQuery listener; TanStack:
//      collection.update -> live collection subscribeChanges);
//   c. 1,000 live queries over 10,000 tasks (one per project, 10 tasks each, by due date): one
//      task update that moves within its project's list, timed until that query's observer is
//      notified; the other 999 must not be.
// Due dates are distinct and every update gives a value no other task has, so both systems
// have one answer, which the checks compare.
import { createStore } from '/pkg/index.js';
import { createCollection, localOnlyCollectionOptions, createLiveQueryCollection, eq, BTreeIndex } from './dist/peers.js';

const BIG = 100_000;
const WINDOW = 100;
const MANY = 1_000;
const MANY_TASKS = 10_000;

const now = () => performance.now();
const entities = { Task: {} };

function makeTasks(n, projects) {
  // 7919 is prime to every count used here: the dues are a permutation of 0..n-1.
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, project: `p${i % projects}`, done: i % 3 === 0, due: (i * 7919) % n, title: `Task ${i + 1}` }));
}

async function strataStore(tasks) {
  const store = await createStore({ entities, persist: false });
  store.setQueryData(['all'], tasks, { shape: ['Task'] });
  return store;
}

function tanstackCollection(tasks, indexed) {
  const col = createCollection(localOnlyCollectionOptions({ id: `tasks-${Math.random()}`, getKey: (t) => t.id, initialData: tasks }));
  for (const f of indexed) col.createIndex((r) => r[f], { indexType: BTreeIndex });
  return col;
}

const openByDue = { from: 'Task', where: { done: false }, orderBy: [['due', 'asc']], limit: WINDOW };
const tanstackOpenByDue = (col) => (q) => q.from({ t: col }).where(({ t }) => eq(t.done, false)).orderBy(({ t }) => t.due, 'asc').limit(WINDOW);

/**
 * Runs the scenario with the bench page's helpers: `interleaved`, `row`, `check`, `stats`, and
 * run counts (`runs` for a and the 1,000 queries' build, `updates` for b and c).
 */
export async function liveQueries({ interleaved, row, check, log, yieldTask, runs, warmup, updates }) {
  const big = makeTasks(BIG, 1000);
  const text = JSON.stringify(big);
  // ---- a. build -----------------------------------------------------------------------------
  let lastStrata = null;
  let lastTanstack = null;
  const build = await interleaved({
    strata: async () => {
      lastStrata?.store.close();
      const store = await strataStore(JSON.parse(text));
      const t0 = now();
      let notified = 0;
      const off = store.subscribeQuery({ queryKey: ['open'], live: openByDue }, () => notified++);
      const data = store.getQueryData(['open']);
      const ms = now() - t0;
      lastStrata = { store, off, data };
      return { build: ms };
    },
    tanstack: async () => {
      lastTanstack?.live.cleanup?.();
      const col = tanstackCollection(JSON.parse(text), ['done', 'due']);
      const t0 = now();
      const live = createLiveQueryCollection({ query: tanstackOpenByDue(col), startSync: true });
      await live.preload();
      const data = live.toArray;
      const ms = now() - t0;
      lastTanstack = { col, live, data };
      return { build: ms };
    },
  }, { runs, warmup });
  row('live.strata.build', 10, 'strata', `build a sorted live query over ${BIG.toLocaleString('en')} tasks (first ${WINDOW})`, build.strata.build, { headline: true });
  row('live.tanstack.build', 10, 'tanstack', `TanStack DB createLiveQueryCollection + preload (BTree indexes on done, due)`, build.tanstack.build, { vs: 'live.strata.build' });
  const ids = (list) => list.map((t) => t.id);
  check('10a. both live queries show the same first 100 open tasks by due date', JSON.stringify(ids(lastStrata.data)) === JSON.stringify(ids(lastTanstack.data)), ids(lastStrata.data).slice(0, 5));
  const open = big.filter((x) => !x.done).length;
  check('10a. the window is full and state.total counts every open task', lastStrata.data.length === WINDOW && lastStrata.store.getQueryState(['open']).total === open, lastStrata.store.getQueryState(['open']).total);

  // ---- b. one update that moves a row within the window -------------------------------------
  // The same sequence for both: task at position 10 + k%20 moves between positions 60 + k%30
  // and the next (a due no task has).
  const s = lastStrata;
  const t = lastTanstack;
  s.off();
  let sAt = 0;
  let sCount = 0;
  s.off = s.store.subscribeQuery({ queryKey: ['open'], live: openByDue }, () => { sAt = now(); sCount++; });
  let tAt = 0;
  let tCount = 0;
  t.live.subscribeChanges(() => { tAt = now(); tCount++; });
  const moves = [];
  const sample = { strata: [], tanstack: [] };
  for (let k = 0; k < warmup + updates; k++) {
    const list = s.store.getQueryData(['open']);
    const who = list[10 + (k % 20)].id;
    const due = list[60 + (k % 30)].due + 0.5;
    moves.push([who, due]);
    for (const sys of k % 2 ? ['tanstack', 'strata'] : ['strata', 'tanstack']) {
      if (sys === 'strata') {
        const before = sCount;
        const t0 = now();
        s.store.updateEntity('Task', who, { due });
        if (sCount === before) log('10b: strata did not notify');
        if (k >= warmup) sample.strata.push(sAt - t0);
      } else {
        const before = tCount;
        const t0 = now();
        t.col.update(who, (d) => { d.due = due; });
        for (let w = 0; tCount === before && w < 100; w++) await yieldTask();
        if (k >= warmup) sample.tanstack.push(tAt - t0);
      }
      await yieldTask();
    }
  }
  row('live.strata.move', 10, 'strata', `update one task that moves within the window -> observer notified`, sample.strata, { headline: true });
  row('live.tanstack.move', 10, 'tanstack', `TanStack DB collection.update -> live subscribeChanges`, sample.tanstack, { vs: 'live.strata.move' });
  check('10b. after the same moves both windows are equal', JSON.stringify(ids(s.store.getQueryData(['open']))) === JSON.stringify(ids(t.live.toArray)));
  check('10b. strata notified once per move', sCount === moves.length, { notified: sCount, moves: moves.length });
  s.off();
  s.store.close();
  t.live.cleanup?.();

  // ---- c. 1,000 live queries, one affected --------------------------------------------------
  const few = makeTasks(MANY_TASKS, MANY);
  const store = await strataStore(few);
  const counts = new Array(MANY).fill(0);
  const at = new Array(MANY).fill(0);
  const tBuild = now();
  for (let p = 0; p < MANY; p++) {
    store.subscribeQuery({ queryKey: ['project', p], live: { from: 'Task', where: { project: `p${p}` }, orderBy: [['due', 'asc']] } }, () => { counts[p]++; at[p] = now(); });
  }
  const strataManyBuild = now() - tBuild;
  const col = tanstackCollection(few, ['project', 'due']);
  const tCounts = new Array(MANY).fill(0);
  const tAts = new Array(MANY).fill(0);
  const lives = [];
  const tBuild2 = now();
  for (let p = 0; p < MANY; p++) {
    const live = createLiveQueryCollection({ query: (q) => q.from({ t: col }).where(({ t: x }) => eq(x.project, `p${p}`)).orderBy(({ t: x }) => x.due, 'asc'), startSync: true });
    await live.preload();
    live.subscribeChanges(() => { tCounts[p]++; tAts[p] = now(); });
    lives.push(live);
  }
  const tanstackManyBuild = now() - tBuild2;
  row('live.strata.manyBuild', 10, 'strata', `(info) build ${MANY} live queries over ${MANY_TASKS.toLocaleString('en')} tasks`, [strataManyBuild], { info: true });
  row('live.tanstack.manyBuild', 10, 'tanstack', `(info) TanStack DB: ${MANY} live query collections + preload`, [tanstackManyBuild], { vs: 'live.strata.manyBuild', info: true });
  const many = { strata: [], tanstack: [] };
  let strayStrata = 0;
  let strayTanstack = 0;
  for (let k = 0; k < warmup + updates; k++) {
    const p = (k * 37) % MANY;
    const list = store.getQueryData(['project', p]);
    const who = list[k % 3].id;
    const due = list[7].due + 0.5 + k / 1e6;
    for (const sys of k % 2 ? ['tanstack', 'strata'] : ['strata', 'tanstack']) {
      if (sys === 'strata') {
        const before = counts.reduce((a, b) => a + b, 0);
        const t0 = now();
        store.updateEntity('Task', who, { due });
        strayStrata += counts.reduce((a, b) => a + b, 0) - before - 1;
        if (k >= warmup) many.strata.push(at[p] - t0);
      } else {
        const before = tCounts.reduce((a, b) => a + b, 0);
        const mine = tCounts[p];
        const t0 = now();
        col.update(who, (d) => { d.due = due; });
        for (let w = 0; tCounts[p] === mine && w < 100; w++) await yieldTask();
        strayTanstack += tCounts.reduce((a, b) => a + b, 0) - before - 1;
        if (k >= warmup) many.tanstack.push(tAts[p] - t0);
      }
      await yieldTask();
    }
  }
  row('live.strata.oneOfMany', 10, 'strata', `one change with ${MANY} live queries over the type, one affected -> its observer notified`, many.strata, { headline: true });
  row('live.tanstack.oneOfMany', 10, 'tanstack', `TanStack DB: collection.update with ${MANY} live query collections`, many.tanstack, { vs: 'live.strata.oneOfMany' });
  check('10c. strata notified only the affected query', strayStrata === 0, strayStrata);
  check('10c. TanStack notified only the affected query', strayTanstack === 0, strayTanstack);
  const sameAll = Array.from({ length: MANY }, (_, p) => JSON.stringify(ids(store.getQueryData(['project', p]))) === JSON.stringify(ids(lives[p].toArray))).every(Boolean);
  check('10c. all 1,000 lists agree after the moves', sameAll);
  store.close();
  for (const l of lives) l.cleanup?.();
}
