'use client';
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'strata-store/react';
import { todosQuery } from './entities.js';

export default function Todos() {
  const todos = useQuery(todosQuery);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const add = useMutation({
    mutation: (title) => ({
      request: { method: 'POST', url: '/api/todos', body: { title } },
      shape: 'Todo',
      invalidate: [['todos']],
    }),
  });
  return (
    <section data-hydrated={hydrated ? 'yes' : 'no'}>
      <p className="status">{todos.status}</p>
      <ul>
        {(todos.data ?? []).map((t) => (
          <li key={t.id}>
            {t.title} ({t.owner.name})
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => add.mutate('written in the browser')}>
        add
      </button>
      <p className="mutation">{add.status}</p>
    </section>
  );
}
