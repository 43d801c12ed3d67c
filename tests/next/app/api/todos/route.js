// The tiny same-origin API: GET lists the todos, POST adds one; every request is logged with
// its user agent (the server component's fetch comes from Node, the page's from Chromium).
import { log, todos } from '../state.js';

export const dynamic = 'force-dynamic';

export async function GET(request) {
  log.push({ method: 'GET', agent: request.headers.get('user-agent') ?? '' });
  return Response.json(todos);
}

export async function POST(request) {
  const body = await request.json();
  log.push({ method: 'POST', agent: request.headers.get('user-agent') ?? '' });
  const todo = { id: todos.length + 1, title: String(body.title), owner: { id: 'u1', name: 'Ann' } };
  todos.push(todo);
  return Response.json(todo, { status: 201 });
}
