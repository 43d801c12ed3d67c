// The demo's starting data: a small product team with two projects. `seed(now)` returns a
// fresh database object (the shape www/server/api.mjs keeps in memory and in its JSON file).
//
// Stored form (references by id; the API expands them in answers):
//   users:    { id, name, role, color }
//   projects: { id, key, name, color }
//   tasks:    { id, projectId, title, done, version, assigneeId | null, comments: [commentId],
//               createdAt, updatedAt, updatedById | null }
//   comments: { id, taskId, authorId, body, createdAt }

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
  return {
    format: 1,
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
