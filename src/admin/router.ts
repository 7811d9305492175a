import { useEffect, useRef, useState } from 'preact/hooks';

// Client-side routes under /admin: the server answers every /admin/* with the same shell.

/** Dispatched on window after every in-app navigation (pages that read the query string listen to it). */
export const NAVIGATED = 'admin:navigate';

const LEAVE_QUESTION = '有未保存的更改，离开后将会丢失。确定离开吗？';

/** Each says whether leaving the page now would lose something (the editor's unsaved changes, a live entry being written). */
const leaveGuards = new Set<() => boolean>();

/**
 * While the component using it is shown, in-app navigation (links, the router, the back button) and signing out
 * ask before leaving when `unsaved()` says there is something to lose, as the browser's beforeunload does for
 * reloads and other sites.
 */
export function useLeaveGuard(unsaved: () => boolean): void {
  // The newest closure, without registering again on every render.
  const latest = useRef(unsaved);
  latest.current = unsaved;
  useEffect(() => {
    const guard = () => latest.current();
    leaveGuards.add(guard);
    return () => {
      leaveGuards.delete(guard);
    };
  }, []);
}

/** True when the page may be left: nothing would be lost, or the person said so. */
export function confirmLeave(): boolean {
  return ![...leaveGuards].some((unsaved) => unsaved()) || confirm(LEAVE_QUESTION);
}

/** Shows another page of the app; asks first when there are unsaved changes (unless `force`, e.g. the same editor). */
export function navigate(to: string, { replace = false, force = false }: { replace?: boolean; force?: boolean } = {}): boolean {
  if (!force && to !== location.pathname + location.search && !confirmLeave()) return false;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  shown = location.pathname + location.search;
  dispatchEvent(new Event(NAVIGATED));
  scrollTo(0, 0);
  return true;
}

/** The address of the page on screen, to go back to when a back-button press is refused. */
let shown = typeof location === 'undefined' ? '' : location.pathname + location.search;

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    const popped = () => {
      const to = location.pathname + location.search;
      if (to !== shown && !confirmLeave()) {
        // The address already changed: put the page's own back on top.
        history.pushState(null, '', shown);
        return;
      }
      shown = to;
      update();
    };
    addEventListener('popstate', popped);
    addEventListener(NAVIGATED, update);
    return () => {
      removeEventListener('popstate', popped);
      removeEventListener(NAVIGATED, update);
    };
  }, []);
  return path;
}

/** Same-tab clicks stay in the app; modified clicks (new tab, new window) go to the browser. */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest('a');
  if (!a || a.target || !a.pathname.startsWith('/admin') || a.pathname.startsWith('/admin/preview') || a.origin !== location.origin) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}

export function match(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_m, name: string) => (names.push(name), '([^/]+)')) + '/?$');
  const m = re.exec(path);
  if (!m) return null;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
}
