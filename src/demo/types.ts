/** Shapes of the demo content shipped in this folder (JSON files written by hand, original text). */

export interface DemoChannel {
  slug: string; // lowercase latin, e.g. "difang"
  name: string; // Chinese display name, e.g. "地方频道"
  children?: DemoChannel[];
}

export interface DemoArticle {
  key: string; // stable latin key, unique across all demo files, e.g. "huairou-science-city"
  title: string;
  subtitle?: string;
  channel: string; // channel path, e.g. "difang/yaowen"
  source: string; // 来源, e.g. "砚台日报"
  byline: string; // e.g. "本报记者 王晓明"
  editor: string; // 责编, e.g. "陈静"
  tags: string[];
  summary: string;
  body: string; // HTML: p, h2-h4, strong, em, ul/ol/li, blockquote, figure/img/figcaption, a, br
  hoursAgo: number; // publish time = now - hoursAgo hours (0.5 .. 720)
  cover?: string; // file name in demo/images/, e.g. "harbour-dawn.jpg"
}

export interface DemoTopic {
  slug: string;
  title: string;
  description: string;
  cover?: string; // file name in demo/images/
  articles: string[]; // DemoArticle keys, in order
}
