/** A source (来源) on the newsroom's reusable list: a syndicating paper, an agency, their site. */
export interface Source {
  id: number;
  name: string;
  url: string;
  createdAt: number;
}

export interface NewSource {
  name: string;
  url: string;
  createdBy: number | null;
  at: number;
}
