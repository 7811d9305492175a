// Where the newsroom shows our uploads from: the public media host (INKSTONE_MEDIA_PUBLIC_URL, a CDN) when the server
// names one. What is saved into bodies and covers stays /media/…, so the stored text never names a host.
const base = document.body.dataset.mediaUrl || '';

export const shownMedia = (url: string): string => (base && url.startsWith('/media/') ? base + url.slice('/media'.length) : url);
