import { log } from '../state.js';

export const dynamic = 'force-dynamic';

export function GET() {
  return Response.json(log);
}
