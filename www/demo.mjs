// The demo: loads the package exactly as an app would and shows one entity reaching every
// list that references it.
import { createStore } from '../pkg/index.js';

const store = await createStore({
  name: 'demo',
  persist: false,
  entities: {
    Task: { relations: { assignee: 'User' } },
    User: {},
  },
});

const users = [
  { id: 'u1', name: 'Grace Hopper' },
  { id: 'u2', name: 'Alan Turing' },
  { id: 'u3', name: 'Katherine Johnson' },
];
const task = (id, title, user, done = false) => ({ id, title, done, assignee: users[user] });

// As if three responses arrived from the server: the same users appear in all of them.
store.setQueryData(['project', 'apollo'], { name: 'Apollo', tasks: [task(1, 'Trajectory tables', 2), task(2, 'Compiler pass', 0), task(3, 'Launch checklist', 1)] }, { shape: { tasks: ['Task'] } });
store.setQueryData(['project', 'gemini'], { name: 'Gemini', tasks: [task(4, 'Orbit rendezvous', 2), task(5, 'Code review', 1)] }, { shape: { tasks: ['Task'] } });
store.setQueryData(['people'], users, { shape: ['User'] });

const panels = {
  'project-apollo': { key: ['project', 'apollo'], rows: (d) => d.tasks },
  'project-gemini': { key: ['project', 'gemini'], rows: (d) => d.tasks },
  people: { key: ['people'], rows: (d) => d },
};

const log = document.getElementById('log');
function note(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  log.prepend(li);
}

for (const [id, panel] of Object.entries(panels)) {
  const el = document.querySelector(`[data-query="${id}"]`);
  let renders = 0;
  let last;
  const render = () => {
    const data = store.getQueryData(panel.key);
    if (data === last) return; // same snapshot: nothing to do
    last = data;
    renders++;
    const ul = el.querySelector('ul');
    ul.replaceChildren(...panel.rows(data).map((row) => {
      const li = document.createElement('li');
      if (row.assignee) {
        li.className = row.done ? 'done' : '';
        li.innerHTML = '<span class="title"></span><span class="who"></span>';
        li.querySelector('.title').textContent = row.title;
        li.querySelector('.who').textContent = row.assignee.name;
      } else {
        li.textContent = row.name;
      }
      return li;
    }));
    el.querySelector('footer').textContent = `rendered ${renders}x`;
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 400);
  };
  render();
  store.subscribeQuery({ queryKey: panel.key }, () => {
    note(`${el.querySelector('h2').textContent}: new snapshot`);
    render();
  });
}

const select = document.getElementById('user');
for (const u of users) select.append(new Option(u.name, u.id));
document.getElementById('rename').addEventListener('click', () => {
  const id = select.value;
  store.updateEntity('User', id, { name: document.getElementById('name').value });
  select.selectedOptions[0].textContent = store.getEntity('User', id).name;
});
document.getElementById('toggle').addEventListener('click', () => {
  const t = store.getEntity('Task', 1);
  store.updateEntity('Task', 1, { done: !t.done });
});
window.__demoReady = true;
