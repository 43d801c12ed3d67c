// The demo's starting data: a small product team with two projects (12 tasks, t1..t12, the
// board's) and an Inbox of 120 support tickets in no project yet (t13..t132, only in "All
// tasks": the long list the paginated endpoints page through). `seed(now)` returns a fresh
// database object (the shape www/server/api.mjs keeps in memory and in its JSON file).
//
// Stored form (references by id; the API expands them in answers):
//   users:    { id, name, role, color }
//   projects: { id, key, name, color }
//   tasks:    { id, projectId | null (the Inbox), title, done, version, assigneeId | null,
//               comments: [commentId], createdAt, updatedAt, updatedById | null }
//   comments: { id, taskId, authorId, body, createdAt }
//
// Creation order (createdAt): the tickets come in every 30 minutes from 20 hours before the
// projects' first task, so the projects' tasks sit among them: t1 is the 41st task, then every
// third one is the next project task (t5 is the 53rd: on page 3 of 20), t12 the 74th.
// Format 2 (this one) added the Inbox; a format 1 data file gets the tickets appended when it
// is loaded (`addInbox`), keeping everything it had.

export const ME = 'u1';

const USERS = [
  { id: 'u1', name: 'Ada Okafor', role: 'Product lead', color: '#6d5dfc' },
  { id: 'u2', name: 'Lin Chen', role: 'Engineering', color: '#0ea5e9' },
  { id: 'u3', name: 'Marco Rossi', role: 'Design', color: '#f97316' },
  { id: 'u4', name: 'Priya Nair', role: 'Engineering', color: '#10b981' },
  { id: 'u5', name: 'Sam Keller', role: 'Quality', color: '#e11d48' },
];

const PROJECTS = [
  { id: 'p1', key: 'WEB', name: 'Website relaunch', color: '#6d5dfc' },
  { id: 'p2', key: 'APP', name: 'Mobile app 2.0', color: '#0d9488' },
];

// [projectId, title, done, assigneeId]
const TASKS = [
  ['p1', 'Write the launch announcement', false, 'u1'],
  ['p1', 'New pricing page layout', false, 'u3'],
  ['p1', 'Migrate the blog to the new CMS', true, 'u2'],
  ['p1', 'Accessibility audit of the signup flow', false, 'u5'],
  ['p1', 'Review the analytics event plan', false, 'u1'],
  ['p1', 'Cookie banner copy', true, 'u3'],
  ['p2', 'Offline mode for the task list', false, 'u4'],
  ['p2', 'Push notification settings screen', false, 'u2'],
  ['p2', 'Beta feedback triage', false, 'u1'],
  ['p2', 'App Store screenshots', false, 'u3'],
  ['p2', 'Crash on rotate (Android 14)', true, 'u5'],
  ['p2', 'Decide the 2.0 release date', false, 'u1'],
];

// [taskIndex, authorId, body]
const COMMENTS = [
  [0, 'u2', 'Can we mention the offline mode? It is the headline feature.'],
  [0, 'u1', 'Yes, draft is in the doc. Needs a screenshot.'],
  [1, 'u1', 'Three tiers, annual toggle on top please.'],
  [6, 'u4', 'Queue is persisted now, working on conflict UI.'],
  [8, 'u5', '42 reports so far, 6 are crashes.'],
  [11, 'u2', 'Store review takes ~2 days, plan for that.'],
];

// The Inbox: area x problem, 12 x 10 distinct titles, in an order that mixes both.
const AREAS = ['Checkout', 'Search', 'Login', 'Invoices', 'Notifications', 'Settings', 'Dashboard', 'Reports', 'Sync', 'Onboarding', 'Billing', 'Profile'];
const PROBLEMS = [
  'slow on large accounts',
  'wrong currency shown',
  'fails in Safari 17',
  'loses the draft on reload',
  'unclear error message',
  'times out behind a proxy',
  'ignores the time zone',
  'breaks with long names',
  'customer asks for a CSV export',
  'keyboard shortcuts requested',
];
const TICKET_ASSIGNEES = [null, 'u2', 'u3', 'u4', 'u5', null, 'u4']; // never u1: "My tasks" stays the board's
export const INBOX_SIZE = AREAS.length * PROBLEMS.length; // 120

/**
 * The Inbox tickets for projects whose first task was created at `t0`: INBOX_SIZE stored tasks
 * with ids `t<firstId>`, `t<firstId + 1>`, ... (deterministic: the same every time).
 */
export function inboxTasks(t0, firstId) {
  const start = t0 - 20 * 3_600_000 + 10 * 60_000;
  return Array.from({ length: INBOX_SIZE }, (_, k) => {
    const area = k % AREAS.length;
    const problem = (Math.floor(k / AREAS.length) + 3 * area) % PROBLEMS.length; // each pair once
    const assigneeId = TICKET_ASSIGNEES[k % TICKET_ASSIGNEES.length];
    const at = start + k * 30 * 60_000;
    return {
      id: `t${firstId + k}`,
      projectId: null,
      title: `${AREAS[area]}: ${PROBLEMS[problem]}`,
      done: k % 5 === 3,
      version: 1,
      assigneeId,
      comments: [],
      createdAt: at,
      updatedAt: at,
      updatedById: assigneeId,
    };
  });
}

/** Brings a format 1 database (no Inbox) to format 2 in place: the tickets get the next ids. */
export function addInbox(data) {
  const t0 = data.tasks.length ? Math.min(...data.tasks.map((t) => t.createdAt)) : Date.now() - 3 * 86_400_000;
  const tickets = inboxTasks(t0, data.nextTask);
  data.tasks.push(...tickets);
  data.nextTask += tickets.length;
  data.format = 2;
  return data;
}

export function seed(now = Date.now()) {
  const t0 = now - 3 * 86_400_000;
  const tasks = TASKS.map(([projectId, title, done, assigneeId], i) => ({
    id: `t${i + 1}`,
    projectId,
    title,
    done,
    version: 1,
    assigneeId,
    comments: [],
    createdAt: t0 + i * 3_600_000,
    updatedAt: t0 + i * 3_600_000,
    updatedById: assigneeId,
  }));
  const comments = COMMENTS.map(([ti, authorId, body], i) => {
    const id = `c${i + 1}`;
    tasks[ti].comments.push(id);
    return { id, taskId: tasks[ti].id, authorId, body, createdAt: t0 + 86_400_000 + i * 600_000 };
  });
  tasks.push(...inboxTasks(t0, tasks.length + 1));
  return {
    format: 2,
    nextTask: tasks.length + 1,
    nextComment: comments.length + 1,
    users: USERS.map((u) => ({ ...u })),
    projects: PROJECTS.map((p) => ({ ...p })),
    tasks,
    comments,
    // Idempotency-Key -> the first answer { status, body, at } (kept so a replay after a server
    // restart is still answered, not applied again).
    idempotency: {},
  };
}
