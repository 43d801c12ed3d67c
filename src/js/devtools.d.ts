// Type declarations for `strata-store/devtools` (written by hand). Needs `@types/react`.

import type { CSSProperties, ReactElement } from 'react';
import type { Store } from './index.js';

export type StrataDevtoolsTab = 'queries' | 'entities' | 'layers' | 'outbox' | 'connection' | 'timeline';

export interface StrataDevtoolsProps {
  /** The store to show; default: the one of the nearest `<StoreProvider>`. */
  store?: Store;
  /** Open the panel at once (default false: the floating button). */
  initialIsOpen?: boolean;
  /** Where the button sits (default 'bottom-right'); the panel opens along that edge. */
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left';
  /** The open panel's height (CSS, default '45vh'). */
  panelHeight?: string;
  initialTab?: StrataDevtoolsTab;
}

/** A floating button that opens the devtools panel over the page. */
export declare function StrataDevtools(props?: StrataDevtoolsProps): ReactElement;

export interface StrataDevtoolsPanelProps {
  store?: Store;
  initialTab?: StrataDevtoolsTab;
  /** Merged over the panel's own style (it fills its parent's height by default). */
  style?: CSSProperties;
}

/** The panel alone, to embed in the app's own layout. */
export declare function StrataDevtoolsPanel(props?: StrataDevtoolsPanelProps): ReactElement;
