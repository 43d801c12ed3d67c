// The store's schema, shared by the server component and the client components.
export const entities = { Todo: { relations: { owner: 'User' } }, User: {} };
export const todosQuery = { queryKey: ['todos'], url: '/api/todos', shape: ['Todo'], staleTime: 60_000 };
