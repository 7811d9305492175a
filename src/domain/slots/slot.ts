/** One article in a curated home-page slot, at its place in the editors' order, until it expires (if ever). */
export interface SlotItem {
  articleId: number;
  position: number;
  expiresAt: number | null;
}
