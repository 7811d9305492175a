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

export type NewTopic = Omit<Topic, 'id' | 'articleIds'>;

export type TopicChanges = Partial<Pick<Topic, 'title' | 'description' | 'cover'>> & { updatedAt: number };
