// The API's memory (one Node process: `next start`).
export const todos = [
  { id: 1, title: 'rendered on the server', owner: { id: 'u1', name: 'Ann' } },
  { id: 2, title: 'hydrated in the browser', owner: { id: 'u1', name: 'Ann' } },
];
export const log = [];
