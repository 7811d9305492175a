// Counts one view of an article page, once it has loaded. Failures are ignored.

export function initBeacon(): void {
  const id = document.body?.dataset.articleId;
  if (!id) return;
  const url = '/api/v1/articles/' + encodeURIComponent(id) + '/views';
  const send = () => {
    try {
      if (navigator.sendBeacon?.(url)) return;
      fetch(url, { method: 'POST', keepalive: true, credentials: 'same-origin' }).catch(() => undefined);
    } catch {
      // never mind
    }
  };
  if (document.readyState === 'complete') send();
  else addEventListener('load', send, { once: true });
}
