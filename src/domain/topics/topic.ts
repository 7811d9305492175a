export interface Topic {
  id: number;
  slug: string;
  title: string;
  description: string;
  cover: string;
  articleIds: number[];
  createdAt: number;
  updatedAt: number;
}
