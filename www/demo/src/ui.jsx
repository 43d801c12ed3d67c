// Small presentational pieces: avatars, chips, icons, toasts.
import { dismissToast, useToasts } from './hooks.js';

export function initials(name = '') {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0].toUpperCase())
    .join('');
}

export function Avatar({ user, size = 24, title }) {
  if (!user) {
    return (
      <span className="avatar avatar-empty" style={{ width: size, height: size }} title={title ?? 'Unassigned'}>
        ?
      </span>
    );
  }
  return (
    <span
      className="avatar"
      style={{ width: size, height: size, background: user.color || '#64748b', fontSize: size * 0.42 }}
      title={title ?? user.name}
    >
      {initials(user.name)}
    </span>
  );
}

export function Chip({ tone = 'neutral', children, title, testid }) {
  return (
    <span className={`chip chip-${tone}`} title={title} data-testid={testid}>
      {children}
    </span>
  );
}

export function Spinner({ size = 12 }) {
  return <span className="spinner" style={{ width: size, height: size }} aria-hidden="true" />;
}

const paths = {
  check: 'M5 12l5 5L20 7',
  cloud: 'M7 18h10a4 4 0 0 0 .6-7.96A6 6 0 0 0 6.1 9.2 4.5 4.5 0 0 0 7 18z',
  cloudOff: 'M3 3l18 18M8.5 5.6A6 6 0 0 1 17.6 10a4 4 0 0 1 2.2 6.9M16 18H7a4.5 4.5 0 0 1-1-8.9',
  alert: 'M12 8v5M12 16.5v.5M10.3 3.9L2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  comment: 'M4 5h16v11H9l-5 4z',
  x: 'M6 6l12 12M18 6L6 18',
  plus: 'M12 5v14M5 12h14',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7',
  merge: 'M7 4v6a5 5 0 0 0 5 5h5M14 12l3 3-3 3M7 20v-4',
  bolt: 'M13 2L4 14h7l-1 8 9-12h-7z',
  layers: 'M12 3l9 5-9 5-9-5zM3 13l9 5 9-5',
  database: 'M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3',
  server: 'M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01',
  sync: 'M4 12a8 8 0 0 1 14-5.3L20 9M20 4v5h-5M20 12a8 8 0 0 1-14 5.3L4 15M4 20v-5h5',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  list: 'M9 6h11M9 12h11M9 18h11M4 6h.01M4 12h.01M4 18h.01',
};

export function Icon({ name, size = 16, className = '' }) {
  return (
    <svg className={`icon ${className}`} width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={paths[name]} />
    </svg>
  );
}

export function Toasts() {
  const list = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind || 'info'}`} data-testid="toast">
          <Icon name={t.kind === 'error' ? 'alert' : t.kind === 'warn' ? 'merge' : 'check'} size={18} />
          <div className="toast-body">
            <strong>{t.title}</strong>
            {t.text && <span>{t.text}</span>}
          </div>
          {t.action && (
            <button
              className="btn btn-small"
              onClick={() => {
                t.action.run();
                dismissToast(t.id);
              }}
            >
              {t.action.label}
            </button>
          )}
          <button className="icon-btn" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
